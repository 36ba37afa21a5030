"""A provider's ONAY over the recipient's own RET: marked on the history row by every path, evidence
required where a person types it, and the citizen told once after the commit."""
from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core import mail
from django.utils import timezone

from citizens.models import OverrideNoticeState, RejectionOverrideNotice
from citizens.notices import override_notice_send, override_notices_queue
from citizens.sms.backends import locmem
from citizens.tasks import notify_rejection_overrides
from consents.actors import Actor
from consents.errors import ConsentRuleError
from consents.models import Consent, ConsentEvent, RecipientType, Source, Status, Via
from consents.services import consent_record, consent_reject_by_citizen
from consents.uploads.services import upload_process
from providers.models import Channel

from .uploads.helpers import csv_text, make_upload

# Also run on the embedded default's SQLite by scripts/test (marker `sqlite`).
pytestmark = pytest.mark.sqlite

PHONE = "+905321112233"
EMAIL = "ayse@example.com"


def _onay(brand, actor, *, recipient=PHONE, channel=Channel.MESAJ, at=None, **kwargs):
    return consent_record(
        brand=brand, recipient=recipient, recipient_type=RecipientType.BIREYSEL, channel=channel,
        status=Status.ONAY, source=Source.HS_WEB, consent_date=at or timezone.now() - dt.timedelta(hours=2),
        actor=actor, via=Via.WEB, **kwargs,
    )


def _citizen_ret(brand, *, recipient=PHONE, channel=Channel.MESAJ):
    """The citizen's RET; it holds for both recipient types: the BIREYSEL result is the one these tests follow."""
    bireysel, _tacir = consent_reject_by_citizen(
        brand=brand, recipient=recipient, channel=channel, source=Source.IYS_WEB,
        actor=Actor.citizen(7, "Vatandaş #7"), via=Via.WEB,
    )
    return bireysel


@pytest.mark.django_db
def test_onay_over_a_citizens_rejection_is_marked_and_needs_evidence_where_asked(brand, provider_actor):
    _onay(brand, provider_actor, at=timezone.now() - dt.timedelta(hours=3))
    rejection = _citizen_ret(brand).event
    after = timezone.now()
    with pytest.raises(ConsentRuleError) as error:
        _onay(brand, provider_actor, at=after, require_override_evidence=True)
    assert error.value.code == "ILT005" and error.value.field == "evidenceNote"
    assert Consent.objects.get(brand=brand, recipient_type=RecipientType.BIREYSEL).status == Status.RET
    # A consent date before the rejection is refused by the ordinary rule (H178).
    with pytest.raises(ConsentRuleError) as error:
        _onay(brand, provider_actor, at=rejection.consent_date - dt.timedelta(minutes=1),
              require_override_evidence=True, evidence_note="imzalı form 42")
    assert error.value.code == "H178"
    result = _onay(brand, provider_actor, at=after, require_override_evidence=True, evidence_note=" imzalı form 42 ")
    assert result.event.overrides_citizen_rejection is True
    assert result.event.evidence_note == "imzalı form 42"


@pytest.mark.django_db
def test_paths_without_a_note_field_still_mark_it_and_a_providers_own_ret_is_no_override(brand, provider_actor):
    _onay(brand, provider_actor, at=timezone.now() - dt.timedelta(hours=3))
    _citizen_ret(brand)
    api_like = _onay(brand, provider_actor, at=timezone.now())  # the API and row uploads: no note, still marked
    assert api_like.event.overrides_citizen_rejection is True and api_like.event.evidence_note == ""
    # The provider's own RET (a rejection it received and reported) is not the citizen's.
    _onay(brand, provider_actor, channel=Channel.ARAMA, at=timezone.now() - dt.timedelta(hours=3))
    consent_record(
        brand=brand, recipient=PHONE, recipient_type=RecipientType.BIREYSEL, channel=Channel.ARAMA,
        status=Status.RET, source=Source.HS_CAGRI_MERKEZI, consent_date=timezone.now() - dt.timedelta(hours=1),
        actor=provider_actor, via=Via.WEB,
    )
    again = _onay(brand, provider_actor, channel=Channel.ARAMA, at=timezone.now(), require_override_evidence=True)
    assert again.event.overrides_citizen_rejection is False


@pytest.mark.django_db(transaction=True)
def test_the_upload_sql_marks_onay_over_a_citizens_rejection(brand, owner, provider_actor):
    _onay(brand, provider_actor, at=timezone.now() - dt.timedelta(hours=5))
    _onay(brand, provider_actor, channel=Channel.ARAMA, at=timezone.now() - dt.timedelta(hours=5))
    _citizen_ret(brand)
    consent_record(
        brand=brand, recipient=PHONE, recipient_type=RecipientType.BIREYSEL, channel=Channel.ARAMA,
        status=Status.RET, source=Source.HS_CAGRI_MERKEZI, consent_date=timezone.now() - dt.timedelta(hours=4),
        actor=provider_actor, via=Via.WEB,
    )
    time.sleep(1.05)  # İYS dates have whole seconds: the new consent must be after the rejection's moment
    now = timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")
    upload = make_upload(brand=brand, user=owner, content=csv_text(
        f"{PHONE},BIREYSEL,MESAJ,ONAY,{now},HS_WEB", f"{PHONE},BIREYSEL,ARAMA,ONAY,{now},HS_WEB",
    ))
    done = upload_process(upload_id=upload.pk)
    assert done.updated == 2
    marked = dict(ConsentEvent.objects.filter(brand=brand, via=Via.UPLOAD).values_list("channel", "overrides_citizen_rejection"))
    assert marked == {Channel.MESAJ: True, Channel.ARAMA: False}
    # The upload wrote history in SQL (no signals): the sweep finds the row and tells the citizen once.
    locmem.outbox.clear()
    assert notify_rejection_overrides() == 1
    assert notify_rejection_overrides() == 0
    assert [m.to for m in locmem.outbox] == [PHONE]


@pytest.mark.django_db
def test_the_citizen_is_told_once_after_commit_by_sms_or_email(brand, provider_actor, django_capture_on_commit_callbacks):
    for recipient, channel in ((PHONE, Channel.MESAJ), (EMAIL, Channel.EPOSTA)):
        _onay(brand, provider_actor, recipient=recipient, channel=channel, at=timezone.now() - dt.timedelta(hours=3))
        _citizen_ret(brand, recipient=recipient, channel=channel)
    locmem.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _onay(brand, provider_actor, at=timezone.now())
    assert locmem.outbox == []  # nothing before the commit
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
        _onay(brand, provider_actor, recipient=EMAIL, channel=Channel.EPOSTA, at=timezone.now())
    assert len(locmem.outbox) == 1
    sms = locmem.outbox[0]
    assert sms.to == PHONE and brand.name in sms.body and "yeniden onay olarak kaydetti" in sms.body
    assert f"/ret/{brand.brand_code}/" in sms.body and "0532 111 22 33" in sms.body
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [EMAIL] and brand.name in mail.outbox[0].subject
    assert set(RejectionOverrideNotice.objects.values_list("state", flat=True)) == {OverrideNoticeState.SENT}
    # Once: queueing the same rows again, or a second send of a sent notice, sends nothing.
    assert override_notices_queue() == []
    notice = RejectionOverrideNotice.objects.first()
    assert override_notice_send(notice_id=notice.pk) == "NOT_CLAIMED"
    assert len(locmem.outbox) == 1 and len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_failed_send_is_retried_later(brand, provider_actor, settings):
    _onay(brand, provider_actor, at=timezone.now() - dt.timedelta(hours=3))
    _citizen_ret(brand)
    _onay(brand, provider_actor, at=timezone.now())
    settings.SMS_BACKEND = "citizens.sms.backends.http.SmsBackend"
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/"  # nothing listens: the gateway is down
    [notice_id] = override_notices_queue()
    from citizens.notices import OverrideNoticeSendError

    with pytest.raises(OverrideNoticeSendError):
        override_notice_send(notice_id=notice_id)
    assert RejectionOverrideNotice.objects.get().state == OverrideNoticeState.PENDING
    settings.SMS_BACKEND = "citizens.sms.backends.locmem.SmsBackend"
    locmem.outbox.clear()
    assert override_notice_send(notice_id=notice_id) == OverrideNoticeState.SENT
    assert len(locmem.outbox) == 1


@pytest.mark.django_db
def test_the_api_answers_as_iys_does_and_marks_the_row(brand, provider, django_capture_on_commit_callbacks):
    from tests.consents.api.support import client_for, consent_body, make_api_user, recent

    api = client_for(make_api_user(provider=provider))
    base = f"/sps/{provider.iys_code}/brands/{brand.brand_code}"
    assert api.post(base + "/consents", consent_body(PHONE, consentDate=recent(hours=3))).status_code == 200
    _citizen_ret(brand)
    time.sleep(1.05)  # İYS dates have whole seconds: the new consent must be after the rejection's moment
    locmem.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(base + "/consents", consent_body(PHONE, consentDate=recent(hours=0)))
    # İYS's API has no note field: the answer is İYS's plain success, the row is marked, the citizen told.
    assert response.status_code == 200, response.content
    assert set(response.json()) >= {"transactionId", "creationDate"}
    event = ConsentEvent.objects.filter(recipient_type=RecipientType.BIREYSEL).latest("id")
    assert event.via == Via.API and event.overrides_citizen_rejection and event.evidence_note == ""
    assert [m.to for m in locmem.outbox] == [PHONE]
