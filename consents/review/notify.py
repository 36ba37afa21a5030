"""Telling citizens about declarations made in their name (SPEC §4), once, and reminding them before the end.

Two steps, both idempotent:
1. `queue_period_notifications` writes one ReviewNotification row per citizen with declared consents still
   under review for one of their verified addresses (INSERT … SELECT … ON CONFLICT DO NOTHING on the
   unique (period, citizen, kind)), then marks the period (visibility_notified_at / reminder_sent_at).
2. `send_review_notification` claims one row (PENDING → SENDING in its own short transaction), sends one
   message outside any transaction, then marks it SENT. A failed send puts the row back to PENDING (retried
   with backoff by the task); a row nobody claimed is never sent, and a claimed row is never claimed again,
   so a retry, a second dispatcher or a redelivered task cannot notify twice.

Reminders go REVIEW_REMINDER_DAYS (default 5) days before the review deadline, only to citizens who still
have declared consents under review. A citizen gets one message: to a verified e-mail address when they
have one (room for the full list), otherwise an SMS to a verified phone.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from citizens.models import AddressKind, CitizenAddress
from citizens.sms import send_sms
from consents.models import (
    Consent,
    DeclarationPeriod,
    NotificationKind,
    NotificationState,
    ReviewNotification,
    Status,
)
from consents.selectors import review_deadline
from providers.models import Brand

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
SMS_BRANDS_SHOWN = 4


class NotificationSendError(Exception):
    """A message could not be delivered; the row is PENDING again and the task retries it later."""


def reminder_days() -> int:
    return int(getattr(settings, "REVIEW_REMINDER_DAYS", 5))


def periods_to_announce(*, today: dt.date) -> QuerySet[DeclarationPeriod]:
    """Periods citizens can see from today whose announcement was not queued yet (and review not over)."""
    return DeclarationPeriod.objects.filter(
        visible_from__lte=today, review_until__gte=today, visibility_notified_at__isnull=True
    )


def periods_to_remind(*, today: dt.date) -> QuerySet[DeclarationPeriod]:
    return DeclarationPeriod.objects.filter(
        visible_from__lte=today,
        review_until__gte=today,
        review_until__lte=today + dt.timedelta(days=reminder_days()),
        reminder_sent_at__isnull=True,
    )


# Citizens owning (verified, not released) an address that holds a declared consent of the period still
# under review. Portable SQL: PostgreSQL and SQLite both know INSERT … SELECT … ON CONFLICT DO NOTHING.
_QUEUE_SQL = """
INSERT INTO consents_reviewnotification
    (period_id, citizen_id, kind, state, channel, address, attempts, last_error, created_at)
SELECT DISTINCT %(period)s, a.citizen_id, %(kind)s, 'PENDING', '', '', 0, '', %(now)s
FROM consents_consent c
JOIN citizens_citizenaddress a
  ON a.value = c.recipient AND a.verified_at IS NOT NULL AND a.released_at IS NULL
JOIN citizens_citizen z ON z.id = a.citizen_id AND z.is_active
WHERE c.declaration_period_id = %(period)s AND c.status = 'ONAY' AND c.finalized_at IS NULL
ON CONFLICT (period_id, citizen_id, kind) DO NOTHING
"""


def queue_period_notifications(*, period: DeclarationPeriod, kind: str, now: dt.datetime | None = None) -> int:
    """Write the notification rows of one period and kind; mark the period. Returns rows added."""
    now = now or timezone.now()
    flag = "visibility_notified_at" if kind == NotificationKind.VISIBLE else "reminder_sent_at"
    with transaction.atomic():
        locked = DeclarationPeriod.objects.select_for_update().get(pk=period.pk)
        if getattr(locked, flag) is not None:
            return 0
        with connection.cursor() as cursor:
            cursor.execute(_QUEUE_SQL, {"period": period.pk, "kind": kind, "now": now})
            added = max(cursor.rowcount, 0)
        DeclarationPeriod.objects.filter(pk=period.pk).update(**{flag: now})
    logger.info("queued %s %s notifications for period %s", added, kind, period.pk)
    return added


def queue_due_notifications(*, now: dt.datetime | None = None) -> int:
    """Announcements of periods that became visible, reminders of periods ending soon."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    added = 0
    for period in periods_to_announce(today=today):
        added += queue_period_notifications(period=period, kind=NotificationKind.VISIBLE, now=now)
    for period in periods_to_remind(today=today):
        added += queue_period_notifications(period=period, kind=NotificationKind.REMINDER, now=now)
    return added


def pending_notification_ids(*, after_id: int = 0, limit: int = 100) -> list[int]:
    return list(
        ReviewNotification.objects.filter(state=NotificationState.PENDING, pk__gt=after_id)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


@dataclass(frozen=True, slots=True)
class Message:
    channel: str
    address: str
    subject: str
    body: str


def _claim(notification_id: int, now: dt.datetime) -> bool:
    """PENDING → SENDING, atomically: exactly one caller wins; everyone else leaves the row alone."""
    return bool(
        ReviewNotification.objects.filter(pk=notification_id, state=NotificationState.PENDING).update(
            state=NotificationState.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    )


def _brands_under_review(notification: ReviewNotification, addresses: list[str]) -> list[str]:
    brand_ids = (
        Consent.objects.filter(
            recipient__in=addresses,
            declaration_period_id=notification.period_id,
            status=Status.ONAY,
            finalized_at__isnull=True,
        )
        .values("brand_id")
        .distinct()
    )
    return list(Brand.objects.filter(pk__in=brand_ids).order_by("name").values_list("name", flat=True))


def compose(notification: ReviewNotification, *, addresses: list[CitizenAddress]) -> Message | None:
    """The one message for this citizen, or None when nothing is left to tell (all rejected meanwhile)."""
    brands = _brands_under_review(notification, [a.value for a in addresses])
    if not brands or not addresses:
        return None
    emails = [a.value for a in addresses if a.kind == AddressKind.EMAIL]
    phones = [a.value for a in addresses if a.kind == AddressKind.PHONE]
    link = settings.SITE_URL.rstrip("/") + reverse("citizens:consents")
    with translation.override("tr"):
        # The messages are Turkish: so is the date, in the Turkish format for a day in running text.
        deadline = formats.date_format(timezone.localtime(review_deadline(notification.period)), "DATE_FORMAT")
        if emails:
            listing = "\n".join(f"- {name}" for name in brands)
            if notification.kind == NotificationKind.REMINDER:
                subject = _("Hatırlatma: beyan edilen izinlerinizin inceleme süresi %(deadline)s tarihinde bitiyor") % {
                    "deadline": deadline}
            else:
                subject = _("Adınıza ileti izni beyan edildi")
            body = _(
                "Aşağıdaki gönderiler, adreslerinize ticari elektronik ileti gönderme izni aldıklarını beyan etti:\n"
                "%(listing)s\n\n"
                "Bu izinleri %(deadline)s tarihine kadar inceleyip reddedebilirsiniz: %(link)s\n"
                "Reddetmediğiniz beyanlar bu tarihten sonra kesinleşir."
            ) % {"listing": listing, "deadline": deadline, "link": link}
            return Message(AddressKind.EMAIL, emails[0], subject, body)
        shown = ", ".join(brands[:SMS_BRANDS_SHOWN])
        if len(brands) > SMS_BRANDS_SHOWN:
            shown += _(" ve %(n)s gönderici daha") % {"n": len(brands) - SMS_BRANDS_SHOWN}
        prefix = _("Hatırlatma: ") if notification.kind == NotificationKind.REMINDER else ""
        body = prefix + _(
            "İYS: %(brands)s adınıza ileti izni beyan etti. %(deadline)s tarihine kadar reddedebilirsiniz: %(link)s"
        ) % {"brands": shown, "deadline": deadline, "link": link}
        return Message(AddressKind.PHONE, phones[0], "", body)


def _deliver(message: Message) -> None:
    if message.channel == AddressKind.EMAIL:
        send_mail(message.subject, message.body, None, [message.address], fail_silently=False)
    else:
        send_sms(message.address, message.body)


def send_review_notification(*, notification_id: int, now: dt.datetime | None = None) -> str:
    """Claim, compose, send, record one notification. Returns the row's resulting state.

    Raises NotificationSendError when the backend failed (the row is PENDING again, or FAILED after
    MAX_ATTEMPTS). A row another worker claimed, or already sent, is left alone.
    """
    now = now or timezone.now()
    if not _claim(notification_id, now):
        return "NOT_CLAIMED"
    notification = ReviewNotification.objects.select_related("period").get(pk=notification_id)
    addresses = list(
        CitizenAddress.objects.filter(
            citizen_id=notification.citizen_id, verified_at__isnull=False, released_at__isnull=True
        ).order_by("kind", "verified_at")
    )
    message = compose(notification, addresses=addresses)
    mine = ReviewNotification.objects.filter(pk=notification_id, state=NotificationState.SENDING)
    if message is None:
        mine.update(state=NotificationState.SKIPPED)
        return NotificationState.SKIPPED
    try:
        _deliver(message)
    except Exception as exc:  # the backend's own error types vary (SMTP, gateway); all are retryable here
        gave_up = notification.attempts >= MAX_ATTEMPTS
        mine.update(
            state=NotificationState.FAILED if gave_up else NotificationState.PENDING,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        logger.warning("review notification %s failed (attempt %s): %s", notification_id, notification.attempts, exc)
        raise NotificationSendError(str(exc)) from exc
    mine.update(
        state=NotificationState.SENT, sent_at=timezone.now(), channel=message.channel, address=message.address,
        last_error="",
    )
    return NotificationState.SENT


def notifications_needing_attention() -> QuerySet[ReviewNotification]:
    """Rows a crash left between claim and send: maybe delivered, so never resent automatically."""
    stale = timezone.now() - dt.timedelta(hours=1)
    return ReviewNotification.objects.filter(
        Q(state=NotificationState.SENDING, claimed_at__lt=stale) | Q(state=NotificationState.FAILED)
    )
