"""Fixed-window rate limits and the API activity log, in Redis (the Django cache's client).

One pipelined round trip per request counts every window that applies (per token, per client
address). Without Redis (the embedded SQLite default) the Django cache's incr is used instead.

When Redis cannot be reached the API keeps answering (docs/operations.md, "Faults"): the per-second limits
fail open to counters in this process's memory (a bounded budget: the same limit per process instead of per
deployment), and Redis is not tried again for REDIS_RETRY_S, so requests do not each wait for a refused
connection. The activity log keeps at most PENDING_MAX entries in memory until Redis is back and never raises:
it runs after the view, when a write may already be committed. Limits that guard passwords (the token endpoint)
fail closed instead: `hit(..., fail_open=False)` raises and the client gets 503 with Retry-After.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

ACTIVITY_KEEP = 200
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)
# After a failed round trip, Redis is left alone this long (limits count locally meanwhile).
REDIS_RETRY_S = 2.0
_redis_down_until = [0.0]
_local_windows: dict[str, int] = {}  # window key -> requests counted by this process while Redis was down
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _now() -> float:
    return time.time()


@dataclass(frozen=True, slots=True)
class Limit:
    name: str  # what is counted: "token", "addr", "login-addr", ...
    ident: str  # whose count: token hash prefix, client address, username
    limit: int
    window: int  # seconds

    def key(self, now: float) -> str:
        return f"ileti:rl:{self.name}:{self.ident}:{int(now // self.window)}"


_clients: dict[int, Any] = {}


def _redis() -> Any | None:
    """The Redis client behind the Django cache, built once per pool (Django builds one per call)."""
    backend = getattr(cache, "_cache", None)
    get_client = getattr(backend, "get_client", None)
    if get_client is None:
        return None
    pool = backend._get_connection_pool(True)
    client = _clients.get(id(pool))
    if client is None:
        client = _clients[id(pool)] = get_client(None, write=True)
    return client


# Add each key's increment, setting its expiry on first use: one command, one reply, whatever the limits.
_INCR_SCRIPT = """
local totals = {}
for i, key in ipairs(KEYS) do
  local n = redis.call('INCRBY', key, ARGV[2 * i - 1])
  if n == tonumber(ARGV[2 * i - 1]) then redis.call('EXPIRE', key, ARGV[2 * i]) end
  totals[i] = n
end
return totals
"""
_scripts: dict[int, Any] = {}
# Far from a limit, a process counts locally and adds its counts to Redis every SYNC_EVERY seconds (so the
# hot path mostly skips the round trip); from half the limit on, every request is counted in Redis at once,
# so the limit itself is exact. Other processes' unsynced counts are at most SYNC_EVERY old.
SYNC_EVERY = 0.05
_unsynced: dict[str, tuple[int, int]] = {}  # window key -> (increments not yet in Redis, ttl)
_known: dict[str, int] = {}  # window key -> last total read from Redis
_last_sync = [0.0]


def redis_unavailable() -> bool:
    """True while a recent round trip to Redis failed (for REDIS_RETRY_S after it)."""
    return time.monotonic() < _redis_down_until[0]


def mark_redis_down(error: BaseException) -> None:
    if not redis_unavailable():
        log.warning("Redis unreachable (%r): rate limits count in process memory for now", error)
    _redis_down_until[0] = time.monotonic() + REDIS_RETRY_S


def _count_locally(limits: list[Limit], now: float) -> list[int]:
    with _lock:
        if len(_local_windows) > 10_000:
            _local_windows.clear()
        counts = []
        for lim in limits:
            key = lim.key(now)
            _local_windows[key] = _local_windows.get(key, 0) + 1
            counts.append(_local_windows[key])
        return counts


def hit(limits: list[Limit], *, fail_open: bool = True) -> int | None:
    """Count one request against every limit; the seconds to wait if any is exceeded, else None.

    With Redis unreachable: counted in this process (fail_open) or the Redis error is raised (a 503)."""
    if not limits:
        return None
    now = _now()
    client = _redis()
    if client is not None:
        try:
            if redis_unavailable():
                raise RedisConnectionError("Redis marked unreachable a moment ago")
            counts = _count_in_redis(client, limits, now)
        except REDIS_DOWN as error:
            mark_redis_down(error)
            if not fail_open:
                raise
            counts = _count_locally(limits, now)
    else:
        counts = []
        for lim in limits:
            key = lim.key(now)
            cache.add(key, 0, lim.window + 1)
            try:
                counts.append(cache.incr(key))
            except ValueError:
                counts.append(1)
    wait = 0
    for lim, count in zip(limits, counts):
        if int(count) > lim.limit:
            wait = max(wait, math.ceil(lim.window - (now % lim.window)) or 1)
    return wait or None


def _count_in_redis(client: Any, limits: list[Limit], now: float) -> list[int]:
    keys = [lim.key(now) for lim in limits]
    with _lock:
        for key, lim in zip(keys, limits):
            pending, _ = _unsynced.get(key, (0, 0))
            _unsynced[key] = (pending + 1, lim.window + 1)
        estimates = [_known.get(key, 0) + _unsynced[key][0] for key in keys]
        near_limit = any(2 * est >= lim.limit for est, lim in zip(estimates, limits))
        if not near_limit and time.monotonic() - _last_sync[0] < SYNC_EVERY:
            return estimates
        batch = dict(_unsynced)
        _unsynced.clear()
        _last_sync[0] = time.monotonic()
        if len(_known) > 10_000:
            _known.clear()
    script = _scripts.get(id(client))
    if script is None:
        script = _scripts[id(client)] = client.register_script(_INCR_SCRIPT)
    batch_keys = list(batch)
    args: list[int] = []
    for key in batch_keys:
        args.extend(batch[key])
    pending = _take_pending(force=False)
    try:
        if pending:
            pipe = client.pipeline(transaction=False)
            script(keys=batch_keys, args=args, client=pipe)
            _queue_log(pipe, pending)
            totals = pipe.execute()[0]
        else:
            totals = script(keys=batch_keys, args=args)
    except REDIS_DOWN:
        _keep_pending(pending)
        raise
    with _lock:
        for key, total in zip(batch_keys, totals):
            _known[key] = int(total)
        return [_known.get(key, 0) + _unsynced.get(key, (0, 0))[0] for key in keys]


def peek(lim: Limit) -> int:
    key = lim.key(_now())
    if redis_unavailable():
        raise RedisConnectionError("Redis marked unreachable a moment ago")
    value = cache.get(key) if _redis() is None else _redis().get(key)
    with _lock:
        unsynced = _unsynced.get(key, (0, 0))[0]
    return int(value or 0) + unsynced


# Activity entries wait here for the next rate-limit round trip of this process when requests come
# fast (at most FLUSH_EVERY seconds); a quiet process writes each one at once.
FLUSH_EVERY = 1.0
# While Redis is unreachable the newest entries wait in memory, at most this many (the oldest are dropped).
PENDING_MAX = 5000
_pending: list[tuple[str, str]] = []
_last_flush = [0.0]
_lock = threading.Lock()


def _keep_pending(entries: list[tuple[str, str]]) -> None:
    """Entries a failed write took: back in the buffer, ahead of newer ones, the buffer bounded."""
    if not entries:
        return
    with _lock:
        _pending[:0] = entries
        del _pending[: max(0, len(_pending) - PENDING_MAX)]


def _take_pending(*, force: bool = True) -> list[tuple[str, str]]:
    """The buffered entries, when it is time to write them (always with `force`)."""
    if not _pending:
        return []
    if not force and time.monotonic() - _last_flush[0] < FLUSH_EVERY and len(_pending) < 200:
        return []
    with _lock:
        taken = _pending[:]
        _pending.clear()
        _last_flush[0] = time.monotonic()
    return taken


# Integrator health: per API user and hour, requests and client-fault failures (İYS counts 400, 401, 403,
# 404 and 422 against a caller's success rate). Counted in process memory with the activity log and written
# in the same pipeline, so the hot path pays no extra round trip.
HEALTH_FAILURES = frozenset({400, 401, 403, 404, 422})
HEALTH_KEEP_S = 26 * 3600
_health: dict[str, list[int]] = {}


def _health_key(api_user_id: int, at: float) -> str:
    return f"ileti:apihealth:{api_user_id}:{int(at // 3600)}"


def _queue_health(pipe: Any) -> None:
    with _lock:
        counts = dict(_health)
        _health.clear()
    for key, (requests, failures) in counts.items():
        pipe.hincrby(key, "r", requests)
        if failures:
            pipe.hincrby(key, "f", failures)
        pipe.expire(key, HEALTH_KEEP_S)


def _queue_log(pipe: Any, pending: list[tuple[str, str]]) -> None:
    _queue_health(pipe)
    by_key: dict[str, list[str]] = {}
    for key, payload in pending:
        by_key.setdefault(key, []).append(payload)
    for key, payloads in by_key.items():
        pipe.lpush(key, *payloads)
        pipe.ltrim(key, 0, ACTIVITY_KEEP - 1)
        pipe.expire(key, 30 * 24 * 3600)


def flush_activity() -> None:
    """Write the buffered entries; with Redis unreachable they stay buffered (bounded) and nothing raises."""
    client = _redis()
    if client is None or redis_unavailable():
        return
    pending = _take_pending()
    if pending:
        pipe = client.pipeline(transaction=False)
        _queue_log(pipe, pending)
        try:
            pipe.execute()
        except REDIS_DOWN as error:
            mark_redis_down(error)
            _keep_pending(pending)


def record_activity(api_user_id: int, entry: dict[str, Any]) -> None:
    """Keep the last requests of an API user for the portal's activity page (newest first)."""
    key = f"ileti:apilog:{api_user_id}"
    payload = _ENCODER.encode(entry)
    client = _redis()
    health_key = _health_key(api_user_id, float(entry.get("at") or _now()))
    failed = int(entry.get("status") in HEALTH_FAILURES)
    if client is not None:
        with _lock:
            _pending.append((key, payload))
            del _pending[: max(0, len(_pending) - PENDING_MAX)]
            bucket = _health.setdefault(health_key, [0, 0])
            bucket[0] += 1
            bucket[1] += failed
        if time.monotonic() - _last_flush[0] >= FLUSH_EVERY or len(_pending) > 500:
            flush_activity()
        return
    entries = cache.get(key) or []
    cache.set(key, [payload, *entries][:ACTIVITY_KEEP], 30 * 24 * 3600)
    for suffix, amount in (("r", 1), ("f", failed)):
        if amount:
            cache.add(f"{health_key}:{suffix}", 0, HEALTH_KEEP_S)
            cache.incr(f"{health_key}:{suffix}", amount)


def usage_24h(api_user_ids: list[int], now: float | None = None) -> dict[int, tuple[int, int]]:
    """(requests, client-fault failures) of each API user over the last 24 hourly buckets."""
    flush_activity()
    now = _now() if now is None else now
    hours = [int(now // 3600) - back for back in range(24)]
    client = _redis()
    out: dict[int, tuple[int, int]] = {}
    if client is not None:
        pipe = client.pipeline(transaction=False)
        for uid in api_user_ids:
            for hour in hours:
                pipe.hmget(f"ileti:apihealth:{uid}:{hour}", "r", "f")
        replies = iter(pipe.execute())
        for uid in api_user_ids:
            requests = failures = 0
            for _hour in hours:
                r, f = next(replies)
                requests, failures = requests + int(r or 0), failures + int(f or 0)
            out[uid] = (requests, failures)
        return out
    for uid in api_user_ids:
        keys = [f"ileti:apihealth:{uid}:{hour}:{s}" for hour in hours for s in ("r", "f")]
        values = cache.get_many(keys)
        requests = sum(int(v) for k, v in values.items() if k.endswith(":r"))
        failures = sum(int(v) for k, v in values.items() if k.endswith(":f"))
        out[uid] = (requests, failures)
    return out


def recent_activity(api_user_ids: list[int], limit: int = 50) -> list[dict[str, Any]]:
    """The most recent requests of the given API users, merged newest first."""
    rows: list[dict[str, Any]] = []
    flush_activity()
    client = _redis()
    for uid in api_user_ids:
        key = f"ileti:apilog:{uid}"
        raw = client.lrange(key, 0, limit - 1) if client is not None else (cache.get(key) or [])[:limit]
        for value in raw:
            try:
                entry = json.loads(value)
            except (TypeError, ValueError):
                continue
            entry["api_user_id"] = uid
            rows.append(entry)
    rows.sort(key=lambda e: e.get("at", 0), reverse=True)
    return rows[:limit]
