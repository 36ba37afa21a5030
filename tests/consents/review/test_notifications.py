"""Citizens hear about declarations in their name once, with the senders and the deadline; failures retry."""
from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.utils import timezone

from consents.actors import Actor
from consents.models import NotificationKind, NotificationState, ReviewNotification, Source, Via
from consents.review.notify import NotificationSendError, queue_due_notifications, send_review_notification
from consents.review.tasks import dispatch_review_notifications
from consents.services import consent_reject_by_citizen
from tests import factories
from tests.consents.review import notify_backends
from tests.consents.review.support import declare, make_citizen, visible_period

A_PHONE, A_MAIL, B_PHONE, C_PHONE, D_PHONE = (
    "+905301110001", "ayse@example.com", "+905301110002", "+905301110003", "+905301110004"
)


@pytest.fixture
def outbox(settings) -> Iterator[None]:
    settings.EMAIL_BACKEND = notify_backends.EMAIL_BACKEND
    settings.SMS_BACKEND = notify_backends.SMS_BACKEND
    notify_backends.clear()
    yield
    notify_backends.clear()


@pytest.fixture
def two_brands(provider):
    return (
        factories.BrandFactory(provider=provider, name="Kırmızı Market", is_master=True),
        factories.BrandFactory(provider=provider, name="Mavi Sigorta", is_master=False),
    )


def _declarations(period, brands, actor) -> None:
    red, blue = brands
    declare(brand=red, period=period, recipient=A_PHONE, actor=actor)
    declare(brand=blue, period=period, recipient=A_MAIL, actor=actor, channel="EPOSTA")
    declare(brand=red, period=period, recipient=B_PHONE, actor=actor)
    declare(brand=red, period=period, recipient=C_PHONE, actor=actor)


def _to(address: str) -> list[dict]:
    return [m for m in notify_backends.outbox() if m["to"] == address]


@pytest.mark.django_db
def test_visible_period_tells_each_citizen_once_with_senders_and_deadline(outbox, two_brands, provider_actor):
    period = visible_period()
    _declarations(period, two_brands, provider_actor)
    make_citizen(A_PHONE, A_MAIL)
    make_citizen(B_PHONE)
    make_citizen(C_PHONE, verified=False)  # not proven: not told about someone else's number
    make_citizen(D_PHONE)  # nothing declared for this address

    dispatch_review_notifications()
    dispatch_review_notifications()  # a second tick changes nothing

    messages = notify_backends.outbox()
    assert len(messages) == 2
    (to_a,) = _to(A_MAIL)  # one message for Ayşe, by e-mail, although she has a phone too
    assert "Kırmızı Market" in to_a["body"] and "Mavi Sigorta" in to_a["body"]
    deadline = f"{period.review_until.day} "
    assert deadline in to_a["body"] and str(period.review_until.year) in to_a["body"]
    assert "/vatandas/" in to_a["body"]
    (to_b,) = _to(B_PHONE)
    assert "Kırmızı Market" in to_b["body"] and "Mavi Sigorta" not in to_b["body"]
    period.refresh_from_db()
    assert period.visibility_notified_at is not None
    assert set(ReviewNotification.objects.values_list("state", flat=True)) == {NotificationState.SENT}


@pytest.mark.django_db
def test_nobody_is_told_before_the_period_is_visible(outbox, two_brands, provider_actor):
    period = factories.DeclarationPeriodFactory()  # open now; citizens see it after declare_until
    _declarations(period, two_brands, provider_actor)
    make_citizen(A_PHONE, A_MAIL)

    dispatch_review_notifications()

    assert notify_backends.outbox() == []
    assert not ReviewNotification.objects.exists()


@pytest.mark.django_db
def test_reminder_goes_to_citizens_with_declarations_still_under_review(outbox, two_brands, provider_actor, settings):
    settings.REVIEW_REMINDER_DAYS = 5
    period = visible_period(review_in_days=4)
    period.visibility_notified_at = timezone.now()
    period.save()
    _declarations(period, two_brands, provider_actor)
    make_citizen(A_PHONE, A_MAIL)
    b = make_citizen(B_PHONE)
    consent_reject_by_citizen(
        brand=two_brands[0], recipient=B_PHONE, channel="MESAJ", source=Source.IYS_WEB,
        actor=Actor.citizen(b.pk, b.label), via=Via.WEB,
    )

    dispatch_review_notifications()
    dispatch_review_notifications()

    (reminder,) = notify_backends.outbox()
    assert reminder["to"] == A_MAIL and "Hatırlatma" in reminder["subject"]
    assert ReviewNotification.objects.get().kind == NotificationKind.REMINDER


@pytest.mark.django_db
def test_reminder_waits_until_the_last_days(outbox, two_brands, provider_actor, settings):
    settings.REVIEW_REMINDER_DAYS = 5
    period = visible_period(review_in_days=6)
    period.visibility_notified_at = timezone.now()
    period.save()
    _declarations(period, two_brands, provider_actor)
    make_citizen(A_PHONE)
    dispatch_review_notifications()
    assert notify_backends.outbox() == []


@pytest.mark.django_db
def test_a_failed_send_stays_retryable_and_a_claimed_row_is_never_sent_again(outbox, two_brands, provider_actor):
    _declarations(visible_period(), two_brands, provider_actor)
    make_citizen(B_PHONE)
    queue_due_notifications()
    row = ReviewNotification.objects.get()
    notify_backends.fail_next(B_PHONE, 1)

    with pytest.raises(NotificationSendError):
        send_review_notification(notification_id=row.pk)
    row.refresh_from_db()
    assert (row.state, row.attempts) == (NotificationState.PENDING, 1)
    assert "gateway unavailable" in row.last_error
    assert notify_backends.outbox() == []

    assert send_review_notification(notification_id=row.pk) == NotificationState.SENT
    assert send_review_notification(notification_id=row.pk) == "NOT_CLAIMED"
    # A row another worker claimed (and may be sending) is left alone.
    ReviewNotification.objects.filter(pk=row.pk).update(state=NotificationState.SENDING)
    assert send_review_notification(notification_id=row.pk) == "NOT_CLAIMED"
    assert len(_to(B_PHONE)) == 1


@pytest.fixture
def worker_with_recording_backends(transactional_db, request, monkeypatch, outbox):
    """A real worker whose e-mail/SMS backends record to Redis, so the test sees what it sent."""
    monkeypatch.setenv("TEST_EMAIL_BACKEND", notify_backends.EMAIL_BACKEND)
    monkeypatch.setenv("TEST_SMS_BACKEND", notify_backends.SMS_BACKEND)
    return request.getfixturevalue("celery_worker")


def test_worker_sends_once_per_citizen_despite_double_dispatch_and_a_failing_gateway(
    worker_with_recording_backends, two_brands, provider_actor
):
    _declarations(visible_period(), two_brands, provider_actor)
    make_citizen(A_PHONE, A_MAIL)
    make_citizen(B_PHONE)
    notify_backends.fail_next(B_PHONE, 2)  # the gateway refuses B's message twice, then recovers

    dispatch_review_notifications.delay()
    dispatch_review_notifications.delay()

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(notify_backends.outbox()) < 2:
        time.sleep(0.2)
    time.sleep(3)  # room for any duplicate to show up

    assert len(_to(A_MAIL)) == 1 and len(_to(B_PHONE)) == 1
    assert len(notify_backends.outbox()) == 2
    b_row = ReviewNotification.objects.get(address=B_PHONE)
    assert (b_row.state, b_row.attempts) == (NotificationState.SENT, 3)
