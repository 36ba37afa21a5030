"""/healthz: what a load balancer and monitoring read (config/health.py), on the real PostgreSQL and Redis."""
from __future__ import annotations

import time
import warnings

import pytest

from config.celery import app as celery_app
from tests.celery_worker import flush_test_redis

pytestmark = pytest.mark.django_db


@pytest.fixture
def empty_queues():
    flush_test_redis()
    yield
    flush_test_redis()  # a message left here would reach the next test's worker


def _queue_a_task(queue: str, *, sent_seconds_ago: float) -> None:
    """A real message on a real queue, sent (by its stamp) some time ago; no worker consumes it here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "task_always_eager has no effect on send_task": the point here
        celery_app.send_task(
            "consents.api.sweep", queue=queue, headers={"ileti_sent_at": time.time() - sent_seconds_ago}
        )


def test_all_well_answers_200_in_json_for_machines(client, empty_queues):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "redis", "celery_queues", "replica_lag"}
    assert all(check["status"] == "ok" for check in body["checks"].values())
    queues = body["checks"]["celery_queues"]["details"]
    assert set(queues) == {"uploads", "api_batches", "review", "notifications", "push", "default"}
    assert queues["api_batches"] == {"depth": 0, "oldest_age_s": None}


def test_a_queue_behind_is_reported_with_its_depth_and_age_without_failing_the_node(client, settings, empty_queues):
    settings.HEALTH_QUEUE_MAX_AGE_S = 300
    _queue_a_task("api_batches", sent_seconds_ago=600)
    _queue_a_task("api_batches", sent_seconds_ago=5)

    response = client.get("/healthz")
    assert response.status_code == 200  # the load balancer keeps the node: it still serves
    body = response.json()
    assert body["status"] == "degraded"
    check = body["checks"]["celery_queues"]
    assert check["status"] == "warning" and "api_batches" in check["message"]
    assert check["details"]["api_batches"]["depth"] == 2
    assert 590 <= check["details"]["api_batches"]["oldest_age_s"] < 900
    assert check["details"]["uploads"]["depth"] == 0

    assert client.get("/healthz?strict=1").status_code == 503  # monitoring asks for an error instead


def test_too_many_waiting_tasks_is_a_warning_too(client, settings, empty_queues):
    settings.HEALTH_QUEUE_MAX_DEPTH = 2
    for _ in range(3):
        _queue_a_task("uploads", sent_seconds_ago=1)
    check = client.get("/healthz").json()["checks"]["celery_queues"]
    assert check["status"] == "warning" and "uploads" in check["message"]
    assert check["details"]["uploads"]["depth"] == 3


def test_redis_unreachable_takes_the_node_out(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["redis"]["status"] == "fail"
    assert body["checks"]["database"]["status"] == "ok"


def _replica(monkeypatch, settings, alias: str, **changes) -> None:
    """A database alias as DATABASE_REPLICA_URLS makes them (replica_…), pointing where the test says."""
    monkeypatch.setitem(settings.DATABASES, alias, dict(settings.DATABASES["default"], **changes))


def test_without_replicas_the_replica_check_passes_and_says_nothing(client):
    check = client.get("/healthz").json()["checks"]["replica_lag"]
    assert check == {"status": "ok", "time_ms": check["time_ms"]}


def test_replicas_report_their_lag_and_an_unreachable_one_is_a_warning(client, settings, monkeypatch):
    # The primary itself is a server not in recovery: lag 0. Port 1 has no server at all.
    _replica(monkeypatch, settings, "replica_0")
    _replica(monkeypatch, settings, "replica_1", PORT="1")
    response = client.get("/healthz")
    assert response.status_code == 200
    check = response.json()["checks"]["replica_lag"]
    assert check["status"] == "warning"
    assert check["details"] == {"replica_0": {"lag_s": 0.0}, "replica_1": {"lag_s": None}}
    assert "replica_1" in check["message"] and "replica_0" not in check["message"]


def test_a_replica_over_the_lag_limit_is_a_warning(client, settings, monkeypatch):
    _replica(monkeypatch, settings, "replica_0")
    settings.DATABASE_REPLICA_MAX_LAG_S = -1  # any measured lag, even 0, is over it
    check = client.get("/healthz").json()["checks"]["replica_lag"]
    assert check["status"] == "warning" and "replica_0" in check["message"]
