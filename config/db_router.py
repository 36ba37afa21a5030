"""Read replicas: hot read paths go to a streaming replica, everything else stays on the primary.

Replicas are named in `DATABASE_REPLICA_URLS` (comma-separated) and become `replica_0`, `replica_1`, … in
settings.DATABASES (config/settings/base.py). Without them every function here answers "default" at once,
so the embedded default and a one-box deployment pay nothing.

Reads are sent to a replica only where a view asks for it — the status and may-I-send API, history, the
change feed, the citizen's page, exports — with the `replica_reads` decorator (or `with reads_from_replica():`),
or explicitly with `.using(read_alias())` for work that runs after the view returned (a streamed export).
Routing every read blindly would send the reads of a write path (a form that checks, then saves) to a copy
that may be a few hundred milliseconds old.

Inside such a scope the router still keeps a read on the primary when

* the primary has an open transaction (`transaction.atomic`): reads that belong to a write see its rows;
* the request has already written (any ORM write routes through `db_for_write`, which notes it);
* the caller wrote within the last `DATABASE_READ_YOUR_WRITES_S` seconds (read-your-writes): a citizen sees
  their rejection at once, an API user the consent it just added. The caller is the API user, the citizen or
  the signed-in portal user; the mark is a key in the shared cache (Redis), so it holds across processes
  and servers, for browsers and for the token-only API alike. Work done later for a caller (an API batch,
  an upload) marks the caller when it finishes (`remember_write`);
* every replica lags more than `DATABASE_REPLICA_MAX_LAG_S` (measured on the replica, cached per process for
  `DATABASE_REPLICA_LAG_CHECK_S`) or cannot be reached.

Why the window is enough: a replica is used only while its replay lag is at most L = MAX_LAG (as measured
at most C = LAG_CHECK seconds ago), so a commit older than L + C is on every replica the router may pick.
A window W ≥ L + C therefore makes a caller's own writes visible to it; `check_settings` warns otherwise.
"""
from __future__ import annotations

import contextvars
import inspect
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse

log = logging.getLogger(__name__)

REPLICA_PREFIX = "replica"
_PIN_KEY = "ryw:{}"


def replica_aliases() -> list[str]:
    """The replica aliases configured in settings.DATABASES (replica_0, replica_1, …), in order."""
    return sorted(alias for alias in settings.DATABASES if alias.startswith(REPLICA_PREFIX))


# --- Lag -----------------------------------------------------------------------------------------------

# On the standby: 0 when everything received is replayed and the WAL receiver streams; otherwise the age of
# the last replayed commit. An idle primary writes no commits, so "received = replayed" is what tells an
# up-to-date standby from a stuck one; without a streaming receiver (primary gone, standby fell off) the
# age of the last commit is the honest, conservative figure. A server that is not in recovery has no lag.
_LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0.0
    WHEN pg_last_wal_receive_lsn() IS NOT NULL
         AND pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn()
         AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') THEN 0.0
    ELSE COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8, 'Infinity')
END
"""

_lag_lock = threading.Lock()
_lag_cache: dict[str, tuple[float, float | None]] = {}  # alias -> (measured at, lag or None)


def replica_lag_seconds(alias: str, *, max_age: float | None = None) -> float | None:
    """Replay lag of a replica alias in seconds; None when it cannot be reached or asked.

    0.0 means caught up (or the alias is not a standby at all). `float('inf')` means a standby that has
    replayed nothing it can date and is not streaming. Measurements are cached per process for `max_age`
    seconds (default DATABASE_REPLICA_LAG_CHECK_S); `max_age=0` measures now. Used by the router and by
    /healthz.
    """
    if max_age is None:
        max_age = float(getattr(settings, "DATABASE_REPLICA_LAG_CHECK_S", 1.0))
    now = time.monotonic()
    cached = _lag_cache.get(alias)
    if cached is not None and now - cached[0] < max_age:
        return cached[1]
    lag = _measure_lag(alias)
    with _lag_lock:
        _lag_cache[alias] = (time.monotonic(), lag)
    return lag


def _measure_lag(alias: str) -> float | None:
    try:
        conn = connections[alias]
        if conn.vendor != "postgresql":
            return 0.0
        with conn.cursor() as cursor:
            cursor.execute(_LAG_SQL)
            (lag,) = cursor.fetchone()
        return max(0.0, float(lag))
    except Exception as exc:  # noqa: BLE001 - an unreachable replica is skipped, never an error page
        log.warning("replica %s unavailable: %s", alias, exc)
        with suppress(Exception):
            connections[alias].close()  # a broken connection is reopened on the next check
        return None


def forget_lag_measurements() -> None:
    """Drop the per-process lag cache (tests, and after reconfiguring replicas)."""
    with _lag_lock:
        _lag_cache.clear()


def healthy_replicas() -> list[str]:
    """Replica aliases whose lag is within DATABASE_REPLICA_MAX_LAG_S now."""
    limit = float(getattr(settings, "DATABASE_REPLICA_MAX_LAG_S", 2.0))
    healthy = []
    for alias in replica_aliases():
        lag = replica_lag_seconds(alias)
        if lag is not None and lag <= limit:
            healthy.append(alias)
    return healthy


# --- Who is reading: the per-request scope ----------------------------------------------------------


@dataclass
class _Scope:
    request: HttpRequest | None = None
    prefer_replica: bool = False
    wrote: bool = False
    pinned: bool | None = None  # None: not looked up yet
    chosen: str | None = None
    extra_keys: list[str] = field(default_factory=list)


_scope: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar("ileti_read_scope", default=None)


def api_user_key(api_user_id: int) -> str:
    return f"api:{api_user_id}"


def user_key(user_id: int) -> str:
    return f"user:{user_id}"


def citizen_key(citizen_id: int) -> str:
    return f"citizen:{citizen_id}"


def caller_keys(request: HttpRequest | None) -> list[str]:
    """Who is asking, as cache-key parts: the API user, the citizen, the signed-in portal/admin user."""
    if request is None:
        return []
    keys = []
    principal = getattr(request, "principal", None)  # set by the API's bearer auth
    if principal is not None:
        keys.append(api_user_key(principal.api_user_id))
    session = getattr(request, "session", None)
    if session is not None:
        citizen_id = session.get("citizen_id")  # citizens.auth.CITIZEN_SESSION_KEY (config may not import it)
        if citizen_id is not None:
            keys.append(citizen_key(citizen_id))
        user_id = session.get("_auth_user_id")  # django.contrib.auth.SESSION_KEY, without loading the user
        if user_id is not None:
            keys.append(user_key(user_id))
    return keys


def _window() -> float:
    return float(getattr(settings, "DATABASE_READ_YOUR_WRITES_S", 5.0))


def remember_write(keys: Iterable[str]) -> None:
    """Keep these callers' reads on the primary for DATABASE_READ_YOUR_WRITES_S from now.

    Called at the end of a request that wrote, and by work finishing later for a caller (API batch, upload).
    Costs nothing without replicas.
    """
    keys = list(keys)
    if not keys or not replica_aliases():
        return
    timeout = max(1, int(_window() + 0.999))
    cache.set_many({_PIN_KEY.format(k): 1 for k in keys}, timeout=timeout)


def _pinned(scope: _Scope) -> bool:
    if scope.wrote:
        return True
    if scope.pinned is None:
        keys = caller_keys(scope.request) + scope.extra_keys
        scope.pinned = bool(keys) and bool(cache.get_many([_PIN_KEY.format(k) for k in keys]))
    return scope.pinned


def read_alias() -> str:
    """The alias a hot read should use now: a healthy replica, or "default" (see the module docstring).

    One choice per request: all its replica reads come from the same replica.
    """
    if not replica_aliases():
        return DEFAULT_DB_ALIAS
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    scope = _scope.get()
    if scope is not None:
        if _pinned(scope):
            return DEFAULT_DB_ALIAS
        if scope.chosen is not None:
            return scope.chosen
    healthy = healthy_replicas()
    chosen = random.choice(healthy) if healthy else DEFAULT_DB_ALIAS
    if scope is not None:
        scope.chosen = chosen
    return chosen


@contextmanager
def reads_from_replica() -> Iterator[None]:
    """Within this block the router may serve reads from a replica (never inside a primary transaction)."""
    scope = _scope.get()
    token = None
    if scope is None:
        token = _scope.set(_Scope(prefer_replica=True))
        scope = _scope.get()
    previous = scope.prefer_replica  # type: ignore[union-attr]
    scope.prefer_replica = True  # type: ignore[union-attr]
    try:
        yield
    finally:
        scope.prefer_replica = previous  # type: ignore[union-attr]
        if token is not None:
            _scope.reset(token)


def replica_reads(view: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator for a read-only hot view: its ORM reads (and its rendering) may come from a replica."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with reads_from_replica():
            return view(*args, **kwargs)

    try:
        # django-ninja resolves string annotations in the wrapper's module: give it the resolved signature.
        wrapper.__signature__ = inspect.signature(view, eval_str=True)  # type: ignore[attr-defined]
    except (NameError, TypeError):
        pass
    return wrapper


class ReadRoutingMiddleware:
    """Opens the request's routing scope and, when the request wrote, marks its caller (read-your-writes).

    Placed before the API's fast lane so the token-only API is covered too; the caller is looked up at the
    end, when the API's auth or the session has said who it is.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _scope.set(_Scope(request=request))
        try:
            response = self.get_response(request)
            scope = _scope.get()
            if scope is not None and scope.wrote:
                remember_write(caller_keys(request) + scope.extra_keys)
            return response
        finally:
            _scope.reset(token)


# --- The router ------------------------------------------------------------------------------------

# Writes to these tables say nothing about what the caller will read next (sign-in bookkeeping, lockout
# counters, sessions): they do not pin the caller to the primary.
_NOT_A_CALLERS_WRITE = frozenset({"sessions", "axes", "admin", "contenttypes"})
# Read from the primary always: a session made a moment ago must be found (and who the caller is, which
# the router asks the session, must not itself depend on the router), lockouts must count every failure.
_PRIMARY_ONLY = frozenset({"sessions", "axes"})


class ReplicaRouter:
    """Reads inside a replica scope go to `read_alias()`; every write, migration and relation: the primary."""

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        scope = _scope.get()
        if model._meta.app_label in _PRIMARY_ONLY:
            return DEFAULT_DB_ALIAS
        if scope is None or not scope.prefer_replica:
            instance = hints.get("instance")
            if instance is not None and instance._state.db and instance._state.db.startswith(REPLICA_PREFIX):
                # A related object of a replica-read instance, read after the scope ended: the primary.
                return DEFAULT_DB_ALIAS
            return None
        return read_alias()

    def db_for_write(self, model: type, **hints: Any) -> str:
        scope = _scope.get()
        if scope is not None and model._meta.app_label not in _NOT_A_CALLERS_WRITE:
            scope.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # Replicas are physical copies of the primary: objects from any of them may be related.
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        if db.startswith(REPLICA_PREFIX):
            return False
        return None


def check_settings(app_configs: Any = None, **kwargs: Any) -> list:
    """System check: the read-your-writes window must cover the lag a replica may have (see the docstring)."""
    from django.core.checks import Warning

    if not replica_aliases():
        return []
    window = _window()
    needed = float(getattr(settings, "DATABASE_REPLICA_MAX_LAG_S", 2.0)) + float(
        getattr(settings, "DATABASE_REPLICA_LAG_CHECK_S", 1.0)
    )
    if window < needed:
        return [
            Warning(
                f"DATABASE_READ_YOUR_WRITES_S={window:g} is shorter than DATABASE_REPLICA_MAX_LAG_S + "
                f"DATABASE_REPLICA_LAG_CHECK_S = {needed:g}: a caller might not see its own write.",
                id="ileti.W001",
            )
        ]
    return []
