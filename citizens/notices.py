"""Telling a citizen, once, that a business recorded ONAY over their own rejection (issue 13).

The history row says it (`ConsentEvent.overrides_citizen_rejection`, set by consents.services and by
the upload's SQL). One RejectionOverrideNotice per such row — unique on the row, so retries, a second
worker and the sweep cannot send twice — goes to the address the consent belongs to: an SMS to a phone,
an e-mail to an e-mail address, with the opt-out page's link to reject again.

Steps, like the review notifications: `override_notices_queue` writes PENDING rows (one event after its
commit, or set-based for every marked row of the last days: the upload path writes history in SQL);
`override_notice_send` claims one row (PENDING → SENDING in its own statement), sends outside any
transaction, then marks it SENT (or PENDING again for a retry, FAILED after MAX_ATTEMPTS).
"""
from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from consents.models import ConsentEvent

from .channels import CHANNEL_LABELS
from .display import display_address
from .models import OverrideNoticeState, RejectionOverrideNotice
from .sms import send_sms

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
SWEEP_DAYS = 7


class OverrideNoticeSendError(Exception):
    """The backend could not deliver the notice; the row is PENDING again (or FAILED) and the task retries."""


def override_notices_queue(*, event_ids: list[int] | None = None, now: dt.datetime | None = None) -> list[int]:
    """PENDING rows for marked history rows without one (the given ids, or every one of the last days).

    Returns the ids of notices still to send among those rows.
    """
    now = now or timezone.now()
    events = ConsentEvent.objects.filter(overrides_citizen_rejection=True)
    if event_ids is not None:
        events = events.filter(pk__in=event_ids)
    else:
        events = events.filter(created_at__gte=now - dt.timedelta(days=SWEEP_DAYS))
    rows = list(events.values_list("id", "recipient"))
    RejectionOverrideNotice.objects.bulk_create(
        [RejectionOverrideNotice(event_id=pk, address=recipient, created_at=now) for pk, recipient in rows],
        ignore_conflicts=True,
    )
    return list(
        RejectionOverrideNotice.objects.filter(
            event_id__in=[pk for pk, _recipient in rows], state=OverrideNoticeState.PENDING
        ).values_list("id", flat=True)
    )


def _claim(notice_id: int, now: dt.datetime) -> bool:
    return bool(
        RejectionOverrideNotice.objects.filter(pk=notice_id, state=OverrideNoticeState.PENDING).update(
            state=OverrideNoticeState.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    )


def compose(event: ConsentEvent) -> tuple[str, str]:
    """Subject and body, in Turkish: the citizen's language is not known, the registry speaks Turkish first."""
    rejection = (
        ConsentEvent.objects.filter(consent_id=event.consent_id, id__lt=event.pk).order_by("-id").first()
    )
    link = settings.SITE_URL.rstrip("/") + reverse("optout:brand", args=[event.brand.brand_code])
    with translation.override("tr"):
        params = {
            "brand": event.brand.name,
            "channel": CHANNEL_LABELS.get(event.channel, event.channel),
            "address": display_address(event.recipient),
            "rejected": timezone.localtime(rejection.created_at).strftime("%d.%m.%Y") if rejection else "",
            "recorded": timezone.localtime(event.created_at).strftime("%d.%m.%Y %H:%M"),
            "link": link,
        }
        subject = _("ileti: %(brand)s reddettiğiniz izni yeniden kaydetti") % params
        body = _(
            "ileti: %(brand)s markası, %(rejected)s tarihinde reddettiğiniz %(channel)s iznini (%(address)s) "
            "%(recorded)s tarihinde yeniden onay olarak kaydetti. Onay vermediyseniz %(link)s adresinden yeniden "
            "reddedebilir, vatandaş sayfasından şikâyet edebilirsiniz."
        ) % params
    return str(subject), str(body)


def override_notice_send(*, notice_id: int, now: dt.datetime | None = None) -> str:
    """Claim, compose, send and record one notice; a row another worker holds or already sent is left alone."""
    now = now or timezone.now()
    if not _claim(notice_id, now):
        return "NOT_CLAIMED"
    notice = RejectionOverrideNotice.objects.select_related("event", "event__brand").get(pk=notice_id)
    subject, body = compose(notice.event)
    mine = RejectionOverrideNotice.objects.filter(pk=notice_id, state=OverrideNoticeState.SENDING)
    try:
        if "@" in notice.address:
            send_mail(subject, body, None, [notice.address], fail_silently=False)
        else:
            send_sms(notice.address, body)
    except Exception as exc:  # SMTP and gateway errors differ; every one is worth a retry
        gave_up = notice.attempts >= MAX_ATTEMPTS
        mine.update(
            state=OverrideNoticeState.FAILED if gave_up else OverrideNoticeState.PENDING,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        logger.warning("rejection override notice %s failed (attempt %s): %s", notice_id, notice.attempts, exc)
        raise OverrideNoticeSendError(str(exc)) from exc
    mine.update(state=OverrideNoticeState.SENT, sent_at=timezone.now(), last_error="")
    return OverrideNoticeState.SENT
