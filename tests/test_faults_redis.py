"""Redis stopped: the API keeps answering what it safely can, says 503 with Retry-After where it cannot, never
turns a committed write into an error; the portal shows the site's 503 page in the visitor's language.

The Redis is the test's own (tests/faults.py), never the suite's on 6379.
"""
from __future__ import annotations

import time

import pytest
from django.test import Client

from consents.api import ratelimit
from consents.models import ApiBatchRequest, Consent, TaskOutbox
from tests.consents.api.support import PASSWORD, client_for, consent_body, make_api_user
from tests.faults import throwaway_redis

pytestmark = [pytest.mark.django_db, pytest.mark.faults]


@pytest.fixture
def stopped_redis(settings):
    with throwaway_redis() as server:
        settings.CACHES = {"default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": server.url(),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }}
        ratelimit._clients.clear()
        ratelimit._redis_down_until[0] = 0.0
        yield server
    ratelimit._clients.clear()
    ratelimit._redis_down_until[0] = 0.0


def test_with_redis_stopped_the_api_answers_honestly(stopped_redis, settings, provider, brand):
    settings.API_RATE_LIMIT_PER_SECOND = 3
    user = make_api_user(provider=provider)
    api = client_for(user)
    base = f"/sps/{provider.iys_code}/brands/{brand.brand_code}"
    assert api.post(base + "/consents", consent_body("+905300000001")).status_code == 200
    stopped_redis.stop()

    # A committed write is answered 200 (the activity log waits in memory), and is there.
    r = api.post(base + "/consents", consent_body("+905300000002"))
    assert r.status_code == 200, r.content
    assert Consent.objects.filter(recipient="+905300000002").exists()
    # Reads keep answering; the per-second limit still holds, counted in this process (a bounded budget).
    query = {"recipient": "+905300000001", "recipientType": "BIREYSEL", "type": "MESAJ"}
    codes = [api.post(base + "/consents/status", query).status_code for _ in range(12)]
    assert 200 in codes and 429 in codes and set(codes) <= {200, 429}
    time.sleep(1.1)  # the next one-second window
    # A batch is stored and answered 202; its task is recorded with it (the outbox).
    r = api.post(base + "/consents/request", [consent_body("+905300000003")])
    assert r.status_code == 202
    batch = ApiBatchRequest.objects.get(request_id=r.json()["requestId"])
    assert TaskOutbox.objects.filter(task="consents.api.process_batch", args=[batch.pk]).exists()
    # The token endpoint guards passwords: without its counters it refuses, honestly.
    token = Client().post("/api/oauth2/token", {"grant_type": "password", "username": user.username,
                                                "password": PASSWORD})
    assert token.status_code == 503 and token["Retry-After"] == "5"
    assert token.json()["errors"][0]["code"] == "ILT503"

    stopped_redis.start()
    ratelimit._redis_down_until[0] = 0.0  # the 2-second pause after a failure, skipped
    token = Client().post("/api/oauth2/token", {"grant_type": "password", "username": user.username,
                                                "password": PASSWORD})
    assert token.status_code == 200


@pytest.mark.parametrize("language, heading", [
    ("tr", "Hizmet geçici olarak kullanılamıyor"), ("en", "Service temporarily unavailable"),
])
def test_with_redis_stopped_a_citizen_code_request_gets_the_503_page(stopped_redis, settings, language, heading):
    stopped_redis.stop()
    browser = Client(raise_request_exception=False)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = browser.post("/vatandas/giris/", {"address": "05321234567"})
    page = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert heading in page and f'lang="{language}"' in page and 'class="topbar"' in page
    other = "Service temporarily unavailable" if language == "tr" else "Hizmet geçici olarak kullanılamıyor"
    assert other not in page


@pytest.fixture
def broker_on(stopped_redis, settings, monkeypatch):
    """Tasks go to a real broker (the test's own Redis), not in-process."""
    from config.celery import app as celery_app

    url = stopped_redis.url()
    settings.REDIS_URL = url  # the worker subprocess reads it (tests/celery_worker.py)
    saved = {key: celery_app.conf.get(key) for key in (
        "broker_url", "CELERY_BROKER_URL", "result_backend", "CELERY_RESULT_BACKEND",
        "task_always_eager", "CELERY_TASK_ALWAYS_EAGER")}
    celery_app.conf.update(broker_url=url, CELERY_BROKER_URL=url, result_backend=url, CELERY_RESULT_BACKEND=url,
                           task_always_eager=False, CELERY_TASK_ALWAYS_EAGER=False)
    _forget_connections(celery_app)
    monkeypatch.setenv("OUTBOX_SWEEP_EVERY_S", "2")
    monkeypatch.setenv("API_SWEEP_EVERY_S", "5")
    try:
        yield celery_app
    finally:
        celery_app.conf.update(**saved)
        _forget_connections(celery_app)


def _forget_connections(celery_app) -> None:  # noqa: ANN001
    """Celery caches its broker pool, producer pool and result backend (which listens on the result Redis for
    every queued task): forget them, so the next task uses the Redis the configuration names now."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app._backend_cache = None
    if hasattr(celery_app._local, "backend"):
        del celery_app._local.backend


def test_a_batch_posted_while_the_broker_is_down_is_answered_202_and_done_once_it_is_back(
    transactional_db, broker_on, stopped_redis, provider, brand
):
    from tests.celery_worker import WorkerProcess

    api = client_for(make_api_user(provider=provider))
    base = f"/sps/{provider.iys_code}/brands/{brand.brand_code}"
    stopped_redis.stop()
    r = api.post(base + "/consents/request", [consent_body(f"+9053000001{i:02d}") for i in range(30)])
    assert r.status_code == 202, r.content
    batch = ApiBatchRequest.objects.get(request_id=r.json()["requestId"])
    assert TaskOutbox.objects.filter(args=[batch.pk]).exists()  # stored, waiting for the broker

    stopped_redis.start()
    back = time.monotonic()
    worker = WorkerProcess(beat=True)
    worker.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            batch.refresh_from_db()
            if batch.state == "DONE":
                break
            time.sleep(0.5)
        recovered = time.monotonic() - back
    finally:
        worker.stop()
    assert batch.state == "DONE", f"batch still {batch.state} after {recovered:.0f}s"
    assert Consent.objects.filter(brand=brand).count() == 30
    assert not TaskOutbox.objects.filter(args=[batch.pk]).exists()
    print(f"RESULT broker-down batch done {recovered:.1f}s after Redis returned (worker start included)")


def test_a_batch_whose_worker_is_killed_finishes_soon_after_a_new_worker_starts(
    transactional_db, broker_on, provider, brand
):
    from consents.models import ApiBatchItem
    from tests.celery_worker import WorkerProcess

    api = client_for(make_api_user(provider=provider))
    base = f"/sps/{provider.iys_code}/brands/{brand.brand_code}"
    first = WorkerProcess(concurrency=1)
    first.start()
    try:
        r = api.post(base + "/consents/request", [consent_body(f"+905301{i:06d}") for i in range(1000)])
        assert r.status_code == 202
        batch = ApiBatchRequest.objects.get(request_id=r.json()["requestId"])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if ApiBatchItem.objects.filter(batch=batch).exclude(status="enqueue").exists():
                break
            time.sleep(0.05)
    finally:
        first.kill()  # SIGKILL mid-batch: its task stays unacknowledged until Redis's visibility timeout
    done_before = ApiBatchItem.objects.filter(batch=batch).exclude(status="enqueue").count()
    assert 0 < done_before < 1000
    started = time.monotonic()
    second = WorkerProcess(beat=True)
    second.start()
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            batch.refresh_from_db()
            if batch.state == "DONE":
                break
            time.sleep(0.5)
        recovered = time.monotonic() - started
    finally:
        second.stop()
    assert batch.state == "DONE", f"batch still {batch.state} after {recovered:.0f}s"
    assert recovered < 60
    assert Consent.objects.filter(brand=brand).count() == 1000
    assert not ApiBatchItem.objects.filter(batch=batch, status="enqueue").exists()
    print(f"RESULT killed-worker batch done {recovered:.1f}s after a new worker was started ({done_before} done before)")
