"""How Celery tasks ride out a short database or broker outage: retry in seconds, not at the next sweep.

A task that meets an unreachable PostgreSQL (a restart, a failover) or Redis retries itself with a short,
jittered exponential backoff (about 1, 2, 4, 8, then every 10 seconds), so its work resumes seconds after the
service is back. Every task given these options is idempotent (acks late, re-checks its state), so a retry
after a partial run is harmless. If the retry itself cannot be queued (the broker is the thing that is down),
the task's sweep re-queues the work (docs/operations.md, "Faults").
"""
from __future__ import annotations

from config.transient import OUTAGE_ERRORS

RETRY_TRANSIENT: dict = {
    "autoretry_for": OUTAGE_ERRORS,
    "retry_backoff": 1,
    "retry_backoff_max": 10,
    "retry_jitter": True,
    "max_retries": 30,
    "acks_late": True,
}
