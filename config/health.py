"""/healthz for load balancers and monitoring (django-health-check's checks, our JSON and status codes).

Critical checks decide whether this web node can serve: the primary database and Redis (cache, rate limits,
sessions of the API, the broker). A failure answers 503 and the load balancer takes the node out.
Warnings describe the deployment behind the node: Celery queues deeper or older than their limits, replicas
lagging or unreachable. They answer 200 with `"status": "degraded"`: the node still serves correctly (the
router skips a lagging replica, tasks wait in Redis), and taking every web node out because a worker pool is
short would turn a backlog into an outage. Monitoring that wants an error for a warning asks
`/healthz?strict=1` (503 on any warning).
"""
from __future__ import annotations

import asyncio
import dataclasses
import datetime
import logging

from django.conf import settings
from django.http import JsonResponse
from health_check.base import HealthCheck
from health_check.checks import Cache, Database
from health_check.contrib.redis import Redis
from health_check.exceptions import ServiceUnavailable, ServiceWarning
from health_check.views import HealthCheckView

log = logging.getLogger(__name__)


@dataclasses.dataclass
class CeleryQueues(HealthCheck):
    """Every workload queue's depth and the age of its oldest waiting task (config/queues.py)."""

    details: dict = dataclasses.field(default_factory=dict, repr=False)

    def run(self) -> None:
        from config.queues import broker_is_redis, queue_stats

        if not broker_is_redis():
            self.details = {"broker": "in-process"}  # the embedded default: tasks run in this process
            return
        try:
            stats = queue_stats()
        except Exception as exc:
            raise ServiceUnavailable("broker unreachable") from exc
        max_depth = int(getattr(settings, "HEALTH_QUEUE_MAX_DEPTH", 10_000))
        max_age = float(getattr(settings, "HEALTH_QUEUE_MAX_AGE_S", 300))
        self.details = {
            queue: {"depth": s.depth, "oldest_age_s": None if s.oldest_age_s is None else round(s.oldest_age_s, 1)}
            for queue, s in stats.items()
        }
        late = sorted(
            queue for queue, s in stats.items() if s.depth > max_depth or (s.oldest_age_s or 0) > max_age
        )
        if late:
            raise ServiceWarning(f"queues behind (over {max_depth} tasks or {max_age:g} s): {', '.join(late)}")


@dataclasses.dataclass
class ReplicaLag(HealthCheck):
    """Replay lag of every database alias starting with "replica" (DATABASE_REPLICA_URLS); none: nothing to do."""

    details: dict = dataclasses.field(default_factory=dict, repr=False)

    def run(self) -> None:
        limit = float(getattr(settings, "DATABASE_REPLICA_MAX_LAG_S", 2.0))
        behind = []
        for alias in sorted(a for a in settings.DATABASES if a.startswith("replica")):
            lag = _lag_seconds(alias)
            self.details[alias] = {"lag_s": None if lag is None else round(lag, 3)}
            if lag is None or lag > limit:
                behind.append(alias)
        if behind:
            raise ServiceWarning(f"replicas unreachable or over {limit:g} s behind: {', '.join(behind)}")


# On a standby: 0 when all it received is replayed and its WAL receiver streams (an idle primary writes no
# commits, so the age of the last replayed one would say nothing), else that age. Not in recovery: no lag.
_LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0.0
    WHEN pg_last_wal_receive_lsn() IS NOT NULL
         AND pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn()
         AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') THEN 0.0
    ELSE COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8, 'Infinity')
END
"""


def _lag_seconds(alias: str) -> float | None:
    """Measured now on a short connection of its own (not the request's pooled one), closed at once: the
    check must not keep a connection per thread of the view's executor, and it asks the replica, not the
    router's cached opinion of it."""
    db = settings.DATABASES[alias]
    if "postgresql" not in db.get("ENGINE", ""):
        return 0.0
    import psycopg

    try:
        with psycopg.connect(
            host=db.get("HOST") or None, port=db.get("PORT") or None, dbname=db.get("NAME"),
            user=db.get("USER") or None, password=db.get("PASSWORD") or None, connect_timeout=2, autocommit=True,
        ) as conn:
            (lag,) = conn.execute(_LAG_SQL).fetchone()
        return max(0.0, float(lag))
    except psycopg.Error:
        log.warning("replica %s: lag not measured", alias, exc_info=True)
        return None


def _redis_client():
    from redis.asyncio import Redis as AsyncRedis

    return AsyncRedis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


class HealthView(HealthCheckView):
    """JSON only: {"status": "ok" | "degraded" | "unavailable", "checks": {name: {...}}}."""

    def get_checks(self):
        yield "database", Database(alias="default")
        yield "cache", Cache(timeout=datetime.timedelta(seconds=2))
        if settings.REDIS_URL:
            yield "redis", Redis(client_factory=_redis_client)
        yield "celery_queues", CeleryQueues()
        yield "replica_lag", ReplicaLag()

    async def get(self, request, *args, **kwargs):
        named = list(self.get_checks())
        results = await asyncio.gather(*(check.get_result(None) for _, check in named))
        checks, worst = {}, "ok"
        for (name, check), result in zip(named, results, strict=True):
            entry: dict = {"status": "ok", "time_ms": round(result.time_taken * 1000, 1)}
            if result.error is not None:
                warning = isinstance(result.error, ServiceWarning)
                entry.update(status="warning" if warning else "fail", message=result.error.message)
                worst = "unavailable" if not warning else ("degraded" if worst == "ok" else worst)
            details = getattr(check, "details", None)
            if details:
                entry["details"] = details
            checks[name] = entry
        strict = request.GET.get("strict") not in (None, "", "0")
        failing = worst == "unavailable" or (strict and worst == "degraded")
        return JsonResponse({"status": worst, "checks": checks}, status=503 if failing else 200)
