"""Finalisation through a real Celery worker and beat: scheduled, due consents only, crash-safe."""
from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from config.celery import app as celery_app
from consents.actors import Actor
from consents.models import Consent, ConsentEvent, EventAction, Source, Status, Via
from consents.services import consent_reject_by_citizen
from tests.celery_worker import WorkerProcess, flush_test_redis
from tests.consents.review.support import bulk_declared, future_period, past_period


@pytest.fixture
def beat_worker(transactional_db, monkeypatch) -> Iterator[WorkerProcess]:
    """A real worker with embedded beat; the finaliser ticks every second (env read by the subprocess)."""
    monkeypatch.setenv("REVIEW_FINALIZE_EVERY_S", "1")
    # Small chunks and a short budget: a run is many chunks and many re-queued tasks, so a kill lands mid-run.
    monkeypatch.setenv("REVIEW_FINALIZE_CHUNK_SIZE", "100")
    monkeypatch.setenv("REVIEW_FINALIZE_TASK_BUDGET_S", "0.3")
    monkeypatch.setenv("REVIEW_NOTIFY_EVERY_S", "3600")
    flush_test_redis()
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    celery_app.conf.CELERY_TASK_ALWAYS_EAGER = False  # the namespaced key is looked up first
    worker = WorkerProcess(beat=True)
    try:
        yield worker
    finally:
        worker.stop()
        celery_app.conf.task_always_eager = previous
        celery_app.conf.CELERY_TASK_ALWAYS_EAGER = previous


def _wait_until(predicate, timeout: float = 60.0, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return predicate()


def _finalize_events():
    return ConsentEvent.objects.filter(action=EventAction.FINALIZE)


def test_beat_finalises_due_consents_only(beat_worker, brand):
    ended, running = past_period(), future_period()
    bulk_declared(brand=brand, period=ended, count=250)
    bulk_declared(brand=brand, period=running, count=40, start=1000)
    rejected = Consent.objects.filter(declaration_period=ended).order_by("id").first()
    consent_reject_by_citizen(
        brand=brand, recipient=rejected.recipient, channel="MESAJ", source=Source.IYS_WEB,
        actor=Actor.citizen(None, "vatandaş"), via=Via.WEB,
    )

    beat_worker.start()
    assert _wait_until(lambda: _finalize_events().count() >= 249, timeout=60)
    time.sleep(3)  # a few more beat ticks: nothing else may change

    assert _finalize_events().count() == 249
    assert Consent.objects.filter(declaration_period=ended, finalized_at__isnull=False).count() == 249
    assert Consent.objects.filter(declaration_period=running, finalized_at__isnull=False).count() == 0
    rejected.refresh_from_db()
    assert (rejected.status, rejected.finalized_at) == (Status.RET, None)


def test_worker_killed_mid_run_finishes_after_restart_without_double_history(beat_worker, brand):
    total = 40_000
    bulk_declared(brand=brand, period=past_period(), count=total)
    finalised = Consent.objects.filter(finalized_at__isnull=False)

    beat_worker.start()
    assert _wait_until(lambda: finalised.exists(), timeout=60, every=0.02)
    beat_worker.kill()
    at_kill = finalised.count()
    assert 0 < at_kill < total, "the kill must land in the middle of the run"

    beat_worker.start()
    assert _wait_until(lambda: finalised.count() == total, timeout=120)
    time.sleep(2)
    events = _finalize_events()
    assert events.count() == total
    assert events.values("consent").distinct().count() == total
