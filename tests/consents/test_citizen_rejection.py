"""A citizen's RET holds for every recipient type (SPEC §3 rule 9, issue 10).

After a citizen rejects a brand on an address and channel where the brand had no record, every answer
about sending there says no, whether the brand asks as BIREYSEL or TACIR, and no way a business writes
(form, CSV upload, API single, /v2, batch) turns it back without a fresh consent dated after it.
"""
from __future__ import annotations

import csv
import datetime as dt
import importlib
import io

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from consents.actors import Actor
from consents.models import ActorKind, Consent, ConsentEvent, EventAction, Source, UploadRefusal, Via
from consents.selectors import can_send, can_send_many
from consents.services import consent_record, consent_reject_by_citizen
from consents.uploads.services import upload_process
from tests import factories
from tests.consents.api.support import client_for, consent_body, make_api_user, recent
from tests.consents.uploads.helpers import csv_text, make_upload
from tests.providers.portal_data import make_setup

PHONE = "+905321234567"


def _citizen_rejects(brand, recipient: str = PHONE, channel: str = "MESAJ", now=None) -> None:
    consent_reject_by_citizen(
        brand=brand, recipient=recipient, channel=channel, source=Source.IYS_FRAME_SMS,
        actor=Actor.citizen(None, "Hesapsız ret"), via=Via.OPTOUT_LINK, now=now,
    )


def _may_send(brand, recipient_type: str, recipient: str = PHONE, channel: str = "MESAJ") -> bool:
    return can_send(brand=brand, recipient=recipient, recipient_type=recipient_type, channel=channel).allowed


@pytest.fixture
def setup(db):
    setup = make_setup()
    _citizen_rejects(setup.brand)
    return setup


@pytest.fixture
def api(setup):
    return client_for(make_api_user(provider=setup.provider))


@pytest.fixture
def base(setup) -> str:
    return f"/sps/{setup.provider.iys_code}/brands/{setup.brand.brand_code}"


@pytest.mark.django_db
def test_every_answer_about_sending_says_no_for_both_recipient_types(setup, api, base, client):
    for recipient_type in ("BIREYSEL", "TACIR"):
        assert not _may_send(setup.brand, recipient_type)
        answers = can_send_many(brand=setup.brand, recipients=[PHONE], recipient_type=recipient_type, channel="MESAJ")
        assert not answers[PHONE].allowed
        # İYS's single status: the stored RET with the citizen's source.
        r = api.post(base + "/consents/status", {"recipient": PHONE, "recipientType": recipient_type, "type": "MESAJ"})
        assert r.status_code == 200 and (r.json()["status"], r.json()["source"]) == ("RET", "IYS_FRAME_SMS")
        # İYS's multi status lists only the addresses the brand may message.
        r = api.post(base + f"/consents/{recipient_type}/status/MESAJ", {"recipients": [PHONE]})
        assert r.status_code == 200 and r.json()["list"] == []
    # The portal's search and export show a RET for each type.
    client.force_login(setup.user)
    page = client.get(reverse("portal:consents"), {"q": "0532 123 45 67"}).context["page"]
    assert sorted((c.recipient_type, c.status) for c in page) == [("BIREYSEL", "RET"), ("TACIR", "RET")]
    export = b"".join(client.get(reverse("portal:consent_export"), {"q": PHONE}).streaming_content)
    rows = list(csv.DictReader(io.StringIO(export.decode("utf-8-sig")), delimiter=";"))
    assert sorted((row["recipient"], row["recipientType"], row["status"]) for row in rows) == [
        ("'" + PHONE, "BIREYSEL", "RET"), ("'" + PHONE, "TACIR", "RET"),
    ]


@pytest.mark.django_db
def test_business_cannot_lift_it_as_tacir_through_the_api(setup, api, base):
    tacir = {"recipientType": "TACIR"}
    attempts = [
        (consent_body(PHONE, **tacir, consentDate=None, source=None), "H462"),  # TACIR first record shape
        (consent_body(PHONE, **tacir, source=None), "H463"),
        (consent_body(PHONE, **tacir, consentDate=recent(hours=2)), "H178"),  # dated before the rejection
        (consent_body(PHONE, consentDate=recent(hours=2)), "H178"),
    ]
    for body, code in attempts:
        body = {k: v for k, v in body.items() if v is not None}
        for path in (base + "/consents", "/v2" + base + "/consents"):
            r = api.post(path, body)
            assert r.status_code >= 400 and r.json()["errors"][0]["code"] == code, (path, body, r.content)
    assert not _may_send(setup.brand, "TACIR") and not _may_send(setup.brand, "BIREYSEL")


@pytest.mark.django_db
def test_business_cannot_lift_it_as_tacir_through_a_batch(setup, api, base, django_capture_on_commit_callbacks):
    items = [
        {k: v for k, v in consent_body(PHONE, recipientType="TACIR", consentDate=None, source=None).items() if v},
        consent_body(PHONE, recipientType="BIREYSEL", consentDate=recent(hours=2)),
    ]
    for path in (base + "/consents/request", "/v2" + base + "/consents/request"):
        with django_capture_on_commit_callbacks(execute=True):
            accepted = api.post(path, items)
        assert accepted.status_code == 202, accepted.content
        status_path = path + "/" + accepted.json()["requestId"]
        rows = api.get(status_path).json()
        assert [(row["status"], row["error"]["code"]) for row in rows] == [("failure", "H462"), ("failure", "H178")]
    assert not _may_send(setup.brand, "TACIR") and not _may_send(setup.brand, "BIREYSEL")


@pytest.mark.django_db
def test_business_cannot_lift_it_as_tacir_through_the_form(setup, client):
    client.force_login(setup.user)
    data = {
        "brand": setup.brand.brand_code, "recipient": "0532 123 45 67", "channel": "MESAJ",
        "recipient_type": "TACIR", "status": "ONAY", "source": "HS_WEB", "consent_date": "",
    }
    response = client.post(reverse("portal:consent_create"), data)
    assert response.status_code == 200 and "H462" in response.content.decode()
    response = client.post(reverse("portal:consent_create"), dict(data, source="HS_WEB", consent_date=recent(hours=2)))
    assert response.status_code == 200 and "H178" in response.content.decode()
    assert not _may_send(setup.brand, "TACIR")


@pytest.mark.django_db(transaction=True)
def test_business_cannot_lift_it_as_tacir_through_an_upload():
    setup = make_setup()
    _citizen_rejects(setup.brand)
    _citizen_rejects(setup.brand, "+905321234568", "ARAMA")
    content = csv_text(
        "05321234567,TACIR,MESAJ,ONAY,,",  # the opt-out first record shape
        f"05321234568,TACIR,ARAMA,ONAY,{recent(hours=3)},HS_WEB",  # dated before the rejection
        f"05321234567,BIREYSEL,MESAJ,ONAY,{recent(hours=3)},HS_WEB",
    )
    done = upload_process(upload_id=make_upload(brand=setup.brand, user=setup.user, content=content).pk)
    assert done.state == "DONE", done.error_message
    codes = dict(UploadRefusal.objects.filter(upload=done).values_list("line", "code"))
    assert codes == {2: "H462", 3: "H178", 4: "H178"}
    assert not _may_send(setup.brand, "TACIR") and not _may_send(setup.brand, "TACIR", "+905321234568", "ARAMA")


@pytest.mark.django_db
def test_a_fresh_consent_dated_after_it_lifts_it_for_its_own_type_only(setup):
    later = timezone.now()
    consent_record(
        brand=setup.brand, recipient=PHONE, recipient_type="TACIR", channel="MESAJ", status="ONAY", source="HS_WEB",
        consent_date=later, actor=Actor.provider_user(setup.user), via=Via.WEB, now=later,
    )
    assert _may_send(setup.brand, "TACIR") and not _may_send(setup.brand, "BIREYSEL")


# --- the data migration ------------------------------------------------------------------------

_migration = importlib.import_module("consents.migrations.0012_citizen_rejection_every_recipient_type")


def _row(brand, recipient, recipient_type, status, *, source, hours_ago, channel="MESAJ", tx):
    moment = timezone.now() - dt.timedelta(hours=hours_ago)
    consent = Consent.objects.create(
        brand=brand, recipient=recipient, recipient_type=recipient_type, channel=channel, status=status,
        source=source, consent_date=moment, created_at=moment, updated_at=moment, transaction_id=tx,
    )
    ConsentEvent.objects.create(
        consent=consent, brand=brand, recipient=recipient, recipient_type=recipient_type, channel=channel,
        action=EventAction.CREATE, status=status, source=source, consent_date=moment, created_at=moment,
        transaction_id=tx, actor_kind=ActorKind.PROVIDER, actor_label="before 0012", via=Via.UPLOAD,
    )
    return consent


@pytest.mark.django_db
def test_migration_brings_existing_rejections_to_every_recipient_type():
    brand = factories.BrandFactory()
    # 1. The old shape: a citizen's BIREYSEL RET where the brand had no record.
    _row(brand, "+905300000001", "BIREYSEL", "RET", source="IYS_FRAME_SMS", hours_ago=5, tx="a1")
    # 2. ...and the back door used: a TACIR first record without source, after the rejection.
    _row(brand, "+905300000002", "BIREYSEL", "RET", source="IYS_KISAMESAJ", hours_ago=5, tx="b1")
    _row(brand, "+905300000002", "TACIR", "ONAY", source=None, hours_ago=1, tx="b2")
    # 3. A BIREYSEL ONAY older than the citizen's rejection of the TACIR record.
    _row(brand, "+905300000003", "TACIR", "RET", source="IYS_WEB", hours_ago=5, tx="c1")
    _row(brand, "+905300000003", "BIREYSEL", "ONAY", source="HS_WEB", hours_ago=9, tx="c2")
    # 4. A fresh consent with a source dated after the rejection: today's rules accept it too; stays.
    _row(brand, "+905300000004", "BIREYSEL", "RET", source="IYS_WEB", hours_ago=5, tx="d1")
    _row(brand, "+905300000004", "TACIR", "ONAY", source="HS_WEB", hours_ago=1, tx="d2")
    # 5. A provider's own RET (not a citizen's) is not widened.
    _row(brand, "+905300000005", "BIREYSEL", "RET", source="HS_KARAR", hours_ago=5, tx="e1")

    with connection.schema_editor() as editor:
        _migration.citizen_rejections_for_every_type(None, editor)

    state = {
        (c.recipient[-1], c.recipient_type): (c.status, c.source)
        for c in Consent.objects.filter(brand=brand)
    }
    assert state == {
        ("1", "BIREYSEL"): ("RET", "IYS_FRAME_SMS"), ("1", "TACIR"): ("RET", "IYS_FRAME_SMS"),
        ("2", "BIREYSEL"): ("RET", "IYS_KISAMESAJ"), ("2", "TACIR"): ("RET", "IYS_KISAMESAJ"),
        ("3", "TACIR"): ("RET", "IYS_WEB"), ("3", "BIREYSEL"): ("RET", "IYS_WEB"),
        ("4", "BIREYSEL"): ("RET", "IYS_WEB"), ("4", "TACIR"): ("ONAY", "HS_WEB"),
        ("5", "BIREYSEL"): ("RET", "HS_KARAR"),
    }
    for recipient in ("+905300000001", "+905300000002", "+905300000003"):
        for recipient_type in ("BIREYSEL", "TACIR"):
            assert not _may_send(brand, recipient_type, recipient)
    # One history row per movement, naming the system and carrying the citizen's source and date.
    moved = ConsentEvent.objects.filter(brand=brand, actor_kind=ActorKind.SYSTEM).order_by("recipient")
    assert [(e.recipient[-1], e.recipient_type, e.action, e.previous_status, e.status) for e in moved] == [
        ("1", "TACIR", "CREATE", None, "RET"),
        ("2", "TACIR", "CHANGE", "ONAY", "RET"),
        ("3", "BIREYSEL", "CHANGE", "ONAY", "RET"),
    ]
    for event in moved:
        consent = event.consent
        assert (consent.transaction_id, consent.consent_date, event.source) == (
            event.transaction_id, event.consent_date, consent.source,
        )
    # Running it again changes nothing.
    with connection.schema_editor() as editor:
        _migration.citizen_rejections_for_every_type(None, editor)
    assert ConsentEvent.objects.filter(brand=brand, actor_kind=ActorKind.SYSTEM).count() == 3
