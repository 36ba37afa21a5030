"""Finalising declared consents whose citizen review ended: what, once, and never over a rejection."""
from __future__ import annotations

import threading

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from consents.actors import Actor
from consents.models import ActorKind, Consent, ConsentEvent, EventAction, Source, Status, Via
from consents.review.finalize import finalize_chunk, finalize_due_reviews
from consents.services import consent_reject_by_citizen
from tests.consents.review.support import bulk_declared, declare, future_period, past_period

CITIZEN = Actor.citizen(None, "vatandaş")


def _reject(brand, recipient: str) -> None:
    consent_reject_by_citizen(
        brand=brand, recipient=recipient, channel="MESAJ", source=Source.IYS_WEB, actor=CITIZEN, via=Via.WEB
    )


def _finalize_events() -> int:
    return ConsentEvent.objects.filter(action=EventAction.FINALIZE).count()


@pytest.mark.django_db
def test_only_unchallenged_due_declarations_become_final(brand, provider_actor):
    ended, running = past_period(), future_period()
    due = declare(brand=brand, period=ended, recipient="+905301000001", actor=provider_actor).consent
    rejected = declare(brand=brand, period=ended, recipient="+905301000002", actor=provider_actor).consent
    _reject(brand, rejected.recipient)
    pending = declare(brand=brand, period=running, recipient="+905301000003", actor=provider_actor).consent

    report = finalize_due_reviews()

    assert report.finalized == 1
    due.refresh_from_db(), rejected.refresh_from_db(), pending.refresh_from_db()
    assert due.finalized_at is not None and due.status == Status.ONAY
    assert rejected.finalized_at is None and rejected.status == Status.RET
    assert pending.finalized_at is None
    event = ConsentEvent.objects.get(action=EventAction.FINALIZE)
    assert event.consent == due
    assert (event.actor_kind, event.via, event.status, event.previous_status) == (
        ActorKind.SYSTEM, Via.SYSTEM, Status.ONAY, Status.ONAY
    )
    assert event.review_until == due.review_until
    assert event.transaction_id not in set(
        ConsentEvent.objects.exclude(pk=event.pk).values_list("transaction_id", flat=True)
    )


@pytest.mark.django_db
def test_running_twice_finalises_once(brand, provider):
    bulk_declared(brand=brand, period=past_period(), count=1200)
    first = finalize_due_reviews(chunk_size=500)
    second = finalize_due_reviews(chunk_size=500)
    assert (first.finalized, first.chunks, second.finalized) == (1200, 3, 0)
    assert _finalize_events() == 1200
    assert not Consent.objects.filter(finalized_at__isnull=True).exists()


@pytest.mark.django_db
def test_management_command_reports_counts(brand, capsys):
    bulk_declared(brand=brand, period=past_period(), count=30)
    call_command("finalize_reviews", "--dry-run")
    assert "due=30" in capsys.readouterr().out
    call_command("finalize_reviews", "--chunk-size", "7")
    assert "finalized=30 chunks=5" in capsys.readouterr().out
    assert _finalize_events() == 30


@pytest.mark.django_db(transaction=True)
def test_two_finalisers_at_once_write_one_history_row_each(brand):
    bulk_declared(brand=brand, period=past_period(), count=6000)
    barrier = threading.Barrier(3)
    reports = []

    def run() -> None:
        try:
            barrier.wait()
            reports.append(finalize_due_reviews(chunk_size=250))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.finalized for r in reports) == 6000
    assert _finalize_events() == 6000
    assert ConsentEvent.objects.filter(action=EventAction.FINALIZE).values("consent").distinct().count() == 6000


@pytest.mark.django_db(transaction=True)
def test_rejection_in_progress_is_never_overridden(brand, provider_actor):
    """A citizen's rejection holds the row lock while the finaliser runs: the rejection wins."""
    period = past_period()
    target = declare(brand=brand, period=period, recipient="+905301000010", actor=provider_actor).consent
    declare(brand=brand, period=period, recipient="+905301000011", actor=provider_actor)
    locked, release, errors = threading.Event(), threading.Event(), []

    def citizen() -> None:
        try:
            with transaction.atomic():
                _reject(brand, target.recipient)  # row locked and updated, not yet committed
                locked.set()
                release.wait(20)
        except Exception as exc:  # noqa: BLE001 - surfaced in the main thread
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=citizen)
    thread.start()
    assert locked.wait(20)
    # The finaliser does not wait for the locked row: it finalises the rest and skips this one.
    report = finalize_due_reviews()
    assert report.finalized == 1
    release.set()
    thread.join()
    assert not errors
    assert finalize_due_reviews().finalized == 0  # the committed rejection is no longer due

    target.refresh_from_db()
    assert (target.status, target.finalized_at) == (Status.RET, None)
    assert list(target.events.order_by("id").values_list("action", "status")) == [
        (EventAction.CREATE, Status.ONAY), (EventAction.CHANGE, Status.RET)
    ]


@pytest.mark.django_db(transaction=True)
def test_rejection_arriving_during_a_finalising_chunk_waits_and_wins(brand, provider_actor):
    """The other order: the finaliser's chunk holds the lock; the citizen waits, then rejects."""
    period = past_period()
    target = declare(brand=brand, period=period, recipient="+905301000020", actor=provider_actor).consent
    in_chunk, release, done = threading.Event(), threading.Event(), threading.Event()

    def finaliser() -> None:
        try:
            with transaction.atomic():
                assert finalize_chunk()[0] == 1
                in_chunk.set()
                release.wait(20)
        finally:
            connection.close()

    def citizen() -> None:
        try:
            _reject(brand, target.recipient)
            done.set()
        finally:
            connection.close()

    f = threading.Thread(target=finaliser)
    f.start()
    assert in_chunk.wait(20)
    c = threading.Thread(target=citizen)
    c.start()
    assert not done.wait(0.5), "the citizen's row lock must wait for the open chunk"
    release.set()
    f.join(), c.join()
    assert done.is_set()

    target.refresh_from_db()
    assert target.status == Status.RET
    assert list(target.events.order_by("id").values_list("action", "status")) == [
        (EventAction.CREATE, Status.ONAY), (EventAction.FINALIZE, Status.ONAY), (EventAction.CHANGE, Status.RET)
    ]


@pytest.mark.django_db
def test_embedded_default_path_finalises_the_same_way(brand, provider_actor):
    """The ORM path SQLite uses (exercised here on PostgreSQL): due only, once, with history."""
    from django.utils import timezone

    from consents.review.finalize import _finalize_chunk_orm

    ended, running = past_period(), future_period()
    bulk_declared(brand=brand, period=ended, count=25)
    bulk_declared(brand=brand, period=running, count=5, start=100)
    now = timezone.now()
    assert [_finalize_chunk_orm(now=now, limit=10) for _ in range(4)] == [10, 10, 5, 0]
    assert _finalize_events() == 25
    assert not Consent.objects.filter(declaration_period=running, finalized_at__isnull=False).exists()
    assert set(ConsentEvent.objects.values_list("actor_kind", "via")) == {(ActorKind.SYSTEM, Via.SYSTEM)}
