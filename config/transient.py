"""Which errors mean "a service we depend on is unreachable right now" (PostgreSQL, Redis, the broker).

Such an error is not a bug of ours nor the client's fault: the request may be repeated (config/outage.py answers
503 with Retry-After) and a task retried in seconds (config/retry.py). Imports nothing of the project, so any
layer may ask.
"""
from __future__ import annotations

from django.db import InterfaceError as DjangoInterfaceError
from django.db import OperationalError as DjangoOperationalError


def _outage_types() -> tuple[type[BaseException], ...]:
    types: list[type[BaseException]] = [DjangoOperationalError, DjangoInterfaceError]
    try:  # the raw driver's errors, where a hot path uses psycopg directly
        import psycopg

        types += [psycopg.OperationalError, psycopg.InterfaceError]
    except ImportError:  # pragma: no cover - SQLite-only installs
        pass
    try:
        import redis.exceptions

        # ConnectionError covers refused, reset and "loading" (BusyLoadingError); TimeoutError a hung server.
        types += [redis.exceptions.ConnectionError, redis.exceptions.TimeoutError]
    except ImportError:  # pragma: no cover
        pass
    try:
        import kombu.exceptions

        types.append(kombu.exceptions.OperationalError)  # the broker, when a task is queued in the request
    except ImportError:  # pragma: no cover
        pass
    return tuple(types)


OUTAGE_ERRORS = _outage_types()


def is_outage(exc: BaseException | None) -> bool:
    """True for a database or Redis that cannot be reached (or went away mid-request), also when wrapped."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OUTAGE_ERRORS):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False
