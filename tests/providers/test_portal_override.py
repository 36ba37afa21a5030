"""Recording ONAY over a citizen's own rejection on the portal: the rejection is shown (when, how), the
consent date must be after it, an evidence note is required, and the history row is marked."""
from __future__ import annotations

import datetime as dt
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from citizens.sms.backends import locmem
from consents.actors import Actor
from consents.models import Consent, ConsentEvent, Source, Via
from consents.services import consent_reject_by_citizen

from .portal_data import make_setup, record

pytestmark = pytest.mark.django_db
PHONE = "+905321112233"


@pytest.fixture
def rejected(client):
    setup = make_setup()
    client.force_login(setup.user)
    record(setup.brand, recipient=PHONE, consent_date=timezone.now() - dt.timedelta(hours=3))
    consent_reject_by_citizen(
        brand=setup.brand, recipient=PHONE, channel="MESAJ", source=Source.IYS_FRAME_SMS,
        actor=Actor.citizen(5, "Vatandaş #5 (Ret sayfası)"), via=Via.OPTOUT_LINK,
    )
    return setup


def _text(moment: dt.datetime) -> str:
    return timezone.localtime(moment).replace(microsecond=0, tzinfo=None).isoformat()


def _post(client, brand, **fields):
    data = {
        "brand": brand.brand_code, "recipient": "0532 111 22 33", "channel": "MESAJ", "recipient_type": "BIREYSEL",
        "status": "ONAY", "source": "HS_ISLAK_IMZA", "consent_date": _text(timezone.now()), "evidence_note": "",
    }
    data.update(fields)
    return client.post(reverse("portal:consent_create"), data)


def test_the_form_shows_the_citizens_rejection_before_anything_is_typed(client, rejected):
    consent = Consent.objects.get(recipient_type="BIREYSEL")
    detail = client.get(reverse("portal:consent_detail", args=[consent.pk])).content.decode()
    assert "Onay olarak güncelle" in detail
    page = client.get(reverse("portal:consent_create"), {
        "brand": rejected.brand.brand_code, "recipient": PHONE, "channel": "MESAJ", "recipient_type": "BIREYSEL",
        "status": "ONAY",
    }).content.decode()
    assert 'id="citizen-rejection"' in page and "Alıcı bu kanalı kendisi reddetti" in page
    rejection = ConsentEvent.objects.filter(recipient_type="BIREYSEL").latest("id")
    assert timezone.localtime(rejection.created_at).strftime("%d.%m.%Y %H:%M") in page
    assert "İYS ret bağlantısı (SMS)" in page and "Ret bağlantısı" in page  # how: source and channel


def test_onay_needs_a_later_date_and_an_evidence_note_then_is_marked(
    client, rejected, django_capture_on_commit_callbacks
):
    locmem.outbox.clear()
    rejection = ConsentEvent.objects.filter(recipient_type="BIREYSEL").latest("id")
    time.sleep(1.05)  # the form's dates have whole seconds: "now" must come after the rejection
    page = _post(client, rejected.brand)
    assert page.status_code == 200
    html = page.content.decode()
    assert "ILT005" in html and 'id="id_evidence_note_error"' in html
    page = _post(client, rejected.brand, evidence_note="Islak imzalı form no 2026/118",
                 consent_date=_text(rejection.consent_date - dt.timedelta(minutes=5)))
    assert "H178" in page.content.decode()
    assert Consent.objects.get(recipient_type="BIREYSEL").status == "RET"

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, rejected.brand, evidence_note="Islak imzalı form no 2026/118")
    assert response.status_code == 302, response.content.decode()[-2000:]
    event = ConsentEvent.objects.latest("id")
    assert event.status == "ONAY" and event.overrides_citizen_rejection
    assert event.evidence_note == "Islak imzalı form no 2026/118"
    detail = client.get(response["Location"]).content.decode()
    assert "vatandaşın reddi üzerine onay" in detail and "Islak imzalı form no 2026/118" in detail
    # The citizen is told (SMS to the rejected number) once the movement commits.
    assert [m.to for m in locmem.outbox] == [PHONE]


def test_an_ordinary_change_needs_no_note(client):
    setup = make_setup()
    client.force_login(setup.user)
    record(setup.brand, recipient=PHONE, consent_date=timezone.now() - dt.timedelta(hours=3))
    response = _post(client, setup.brand, status="RET", source="HS_CAGRI_MERKEZI",
                     consent_date=_text(timezone.now() - dt.timedelta(hours=1)))
    assert response.status_code == 302
    page = client.get(reverse("portal:consent_create"), {
        "brand": setup.brand.brand_code, "recipient": PHONE, "channel": "MESAJ", "recipient_type": "BIREYSEL",
    }).content.decode()
    assert 'id="citizen-rejection"' not in page
    response = _post(client, setup.brand)
    assert response.status_code == 302
    assert not ConsentEvent.objects.latest("id").overrides_citizen_rejection
