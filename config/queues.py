"""Depth and age of the Celery queues, read straight from the Redis broker (for /healthz and /metrics).

Kombu keeps each queue as a Redis list (LPUSH in, BRPOP out), so the oldest waiting task is the list's last
element: two O(1) commands per queue, in one round trip. Celery's messages carry no sending time, so
config/celery.py stamps one into every message's headers (`ileti_sent_at`, before_task_publish). Tasks a
worker already holds (running, or waiting for a retry's countdown) are not in the list: this measures what
waits for a worker, which is what grows when a queue has too few consumers.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings

SENT_AT_HEADER = "ileti_sent_at"


@dataclass(frozen=True, slots=True)
class QueueStat:
    depth: int
    oldest_age_s: float | None  # None: empty, or its oldest message predates the stamp


@lru_cache(maxsize=4)
def _client(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def broker_is_redis() -> bool:
    return str(settings.CELERY_BROKER_URL).startswith(("redis://", "rediss://", "unix://"))


def queue_stats(now: float | None = None) -> dict[str, QueueStat]:
    """{queue: QueueStat} for every workload queue; {} without a Redis broker (the embedded default)."""
    from config.celery import QUEUES

    if not broker_is_redis():
        return {}
    pipe = _client(settings.CELERY_BROKER_URL).pipeline(transaction=False)
    for queue in QUEUES:
        pipe.llen(queue)
        pipe.lindex(queue, -1)
    replies = pipe.execute()
    now = time.time() if now is None else now
    stats = {}
    for index, queue in enumerate(QUEUES):
        depth, oldest = replies[2 * index], replies[2 * index + 1]
        stats[queue] = QueueStat(int(depth), _age(oldest, now))
    return stats


def _age(raw: bytes | None, now: float) -> float | None:
    if raw is None:
        return None
    try:
        sent_at = float(json.loads(raw)["headers"][SENT_AT_HEADER])
    except (ValueError, KeyError, TypeError):
        return None
    return max(0.0, now - sent_at)
