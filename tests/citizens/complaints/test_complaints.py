"""Complaints: the consent snapshot at the moment of the message, citizen scoping, and the operators' admin."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from citizens.complaints.services import complaint_file, complaint_snapshot, complaint_update
from citizens.models import Complaint, ComplaintEvent, ComplaintStatus, SnapshotStatus
from consents.actors import Actor
from consents.models import ConsentEvent, RecipientType, Source, Status, Via
from consents.services import consent_record, consent_reject_by_citizen
from providers.models import Channel
from tests import factories

from ..conftest import make_citizen, sign_in_client

pytestmark = pytest.mark.django_db
PHONE = "+905321234567"
OTHER_PHONE = "+905559876543"
EMAIL = "ayse@example.com"


@pytest.fixture
def timeline(brand, provider_actor):
    """ONAY recorded 2 hours ago, the citizen's RET recorded 1 hour ago (MESAJ, BIREYSEL)."""
    now = timezone.now()
    onay = consent_record(
        brand=brand, recipient=PHONE, recipient_type=RecipientType.BIREYSEL, channel=Channel.MESAJ,
        status=Status.ONAY, source=Source.HS_WEB, consent_date=now - dt.timedelta(hours=3), actor=provider_actor,
        via=Via.WEB, now=now - dt.timedelta(hours=2),
    )
    ret = consent_record(
        brand=brand, recipient=PHONE, recipient_type=RecipientType.BIREYSEL, channel=Channel.MESAJ,
        status=Status.RET, source=Source.IYS_WEB, actor=Actor.citizen(None, "test"), via=Via.WEB,
        now=now - dt.timedelta(hours=1),
    )
    return now, onay.event, ret.event


def test_snapshot_before_the_first_record_is_no_record(brand, timeline):
    now, _, _ = timeline
    snap = complaint_snapshot(brand=brand, recipient=PHONE, channel=Channel.MESAJ, moment=now - dt.timedelta(hours=3))
    assert (snap.status, snap.event, snap.allowed) == (SnapshotStatus.NO_RECORD, None, False)


def test_snapshot_between_consent_and_rejection_is_onay(brand, timeline):
    now, onay, _ = timeline
    snap = complaint_snapshot(brand=brand, recipient=PHONE, channel=Channel.MESAJ, moment=now - dt.timedelta(minutes=90))
    assert (snap.status, snap.source, snap.event, snap.allowed) == (Status.ONAY, Source.HS_WEB, onay, True)
    assert snap.recipient_type == RecipientType.BIREYSEL


def test_snapshot_after_the_rejection_is_ret(brand, timeline):
    now, _, ret = timeline
    snap = complaint_snapshot(brand=brand, recipient=PHONE, channel=Channel.MESAJ, moment=now - dt.timedelta(minutes=30))
    assert (snap.status, snap.source, snap.event, snap.allowed) == (Status.RET, Source.IYS_WEB, ret, False)


def test_snapshot_of_another_channel_or_brand_is_its_own(brand, timeline):
    now, _, _ = timeline
    other = factories.BrandFactory()
    for b, ch in ((brand, Channel.ARAMA), (other, Channel.MESAJ)):
        assert complaint_snapshot(brand=b, recipient=PHONE, channel=ch, moment=now).status == SnapshotStatus.NO_RECORD


def test_tacir_record_allows_sending_unless_rejected(brand, provider_actor):
    consent_record(
        brand=brand, recipient=PHONE, recipient_type=RecipientType.TACIR, channel=Channel.MESAJ, status=Status.ONAY,
        actor=provider_actor, via=Via.WEB,
    )
    snap = complaint_snapshot(brand=brand, recipient=PHONE, channel=Channel.MESAJ, moment=timezone.now())
    assert (snap.status, snap.recipient_type, snap.allowed) == (Status.ONAY, RecipientType.TACIR, True)


def test_filed_complaint_freezes_the_snapshot_and_records_who_filed(brand, timeline, provider_actor):
    now, onay, _ = timeline
    citizen = make_citizen(PHONE)
    address = citizen.addresses.get()
    complaint = complaint_file(
        citizen=citizen, address=address, brand=brand, channel=Channel.MESAJ,
        received_at=now - dt.timedelta(minutes=90), message_text="  Kampanya! %50 indirim  ",
    )
    assert (complaint.snapshot_status, complaint.snapshot_event, complaint.snapshot_allowed) == (Status.ONAY, onay, True)
    assert complaint.message_text == "Kampanya! %50 indirim" and complaint.recipient == PHONE
    assert complaint.status == ComplaintStatus.NEW
    event = complaint.events.get()
    assert (event.action, event.to_status, event.actor_label) == (ComplaintEvent.Action.FILED, "NEW", citizen.label)
    # A later movement of the consent does not change what the complaint says about that moment.
    consent_record(
        brand=brand, recipient=PHONE, recipient_type=RecipientType.BIREYSEL, channel=Channel.MESAJ,
        status=Status.ONAY, source=Source.HS_WEB, consent_date=timezone.now(), actor=provider_actor, via=Via.WEB,
    )
    complaint.refresh_from_db()
    assert complaint.snapshot_event == onay and complaint.snapshot_status == Status.ONAY


def test_complaint_after_the_rejection_snapshots_ret(brand, timeline):
    now, _, ret = timeline
    citizen = make_citizen(PHONE)
    complaint = complaint_file(
        citizen=citizen, address=citizen.addresses.get(), brand=brand, channel=Channel.MESAJ,
        received_at=now - dt.timedelta(minutes=5), message_text="yine geldi",
    )
    assert (complaint.snapshot_status, complaint.snapshot_source, complaint.snapshot_event_id) == (
        Status.RET, Source.IYS_WEB, ret.pk,
    )
    assert complaint.snapshot_allowed is False


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("channel", {"channel": Channel.EPOSTA}),
        ("received_at", {"received_at": timezone.now() + dt.timedelta(days=1)}),
        ("received_at", {"received_at": dt.datetime(2014, 1, 1, tzinfo=dt.UTC)}),
        ("message_text", {"message_text": "   "}),
        ("message_text", {"message_text": "x" * 2001}),
    ],
)
def test_invalid_complaint_is_refused_field_by_field_and_stores_nothing(brand, field, kwargs):
    citizen = make_citizen(PHONE)
    values = {
        "citizen": citizen, "address": citizen.addresses.get(), "brand": brand, "channel": Channel.MESAJ,
        "received_at": timezone.now() - dt.timedelta(hours=1), "message_text": "metin",
    } | kwargs
    with pytest.raises(ValidationError) as error:
        complaint_file(**values)
    assert field in error.value.message_dict
    assert not Complaint.objects.exists()


def test_address_of_another_citizen_is_refused(brand):
    me = make_citizen(PHONE)
    someone = make_citizen(OTHER_PHONE)
    with pytest.raises(ValidationError) as error:
        complaint_file(
            citizen=me, address=someone.addresses.get(), brand=brand, channel=Channel.MESAJ,
            received_at=timezone.now(), message_text="metin",
        )
    assert "address" in error.value.message_dict


# --- citizen pages ------------------------------------------------------------------------------


def _form(for_brand, address, **extra):
    local = timezone.localtime(timezone.now() - dt.timedelta(minutes=10))
    return {
        "address": address.pk, "brand": str(for_brand.brand_code), "channel": Channel.MESAJ,
        "received_at": local.strftime("%Y-%m-%dT%H:%M"), "message_text": "İndirim kampanyası", **extra,
    }


def test_pages_require_sign_in(client):
    for url in (reverse("complaints:list"), reverse("complaints:new"), reverse("complaints:detail", args=[1])):
        response = client.get(url)
        assert response.status_code == 302 and reverse("citizens:sign_in") in response["Location"]


def test_citizen_files_a_complaint_and_sees_the_snapshot(client, brand, timeline):
    citizen = make_citizen(PHONE)
    sign_in_client(client, citizen)
    page = client.get(reverse("complaints:new"))
    assert page.status_code == 200
    # The brand that holds a record for my address is offered in the suggestions.
    assert f"{brand.name} ({brand.brand_code})" in page.content.decode()
    response = client.post(reverse("complaints:new"), _form(brand, citizen.addresses.get()))
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("complaints:detail", args=[complaint.pk])
    detail = client.get(response["Location"]).content.decode()
    assert "O andaki izin kaydı" in detail and "IYS_WEB" in detail and "gönderemezdi" in detail
    assert complaint.snapshot_status == Status.RET
    assert brand.name in client.get(reverse("complaints:list")).content.decode()


@pytest.mark.parametrize("brand_input", ["{name}", "{name_upper}", "{name} ({code})", " {code} "])
def test_brand_is_found_by_name_or_code(client, brand, brand_input):
    citizen = make_citizen(PHONE)
    sign_in_client(client, citizen)
    typed = brand_input.format(name=brand.name, name_upper=brand.name.upper(), code=brand.brand_code)
    response = client.post(reverse("complaints:new"), _form(brand, citizen.addresses.get(), brand=typed))
    assert response.status_code == 302
    assert Complaint.objects.get().brand == brand


def test_form_errors_are_specific(client, brand):
    citizen = make_citizen(PHONE)
    sign_in_client(client, citizen)
    address = citizen.addresses.get()
    response = client.post(reverse("complaints:new"), _form(brand, address, brand="   "))
    assert "Bu alan zorunludur" in response.content.decode()
    response = client.post(reverse("complaints:new"), _form(brand, address, channel=Channel.EPOSTA))
    assert "yalnız SMS" in response.content.decode()
    response = client.post(reverse("complaints:new"), _form(brand, address, received_at="dün"))
    assert response.status_code == 200
    assert not Complaint.objects.exists()


def test_citizens_never_see_other_citizens_complaints(client, brand):
    me = make_citizen(PHONE)
    someone = make_citizen(OTHER_PHONE)
    theirs = complaint_file(
        citizen=someone, address=someone.addresses.get(), brand=brand, channel=Channel.MESAJ,
        received_at=timezone.now() - dt.timedelta(hours=1), message_text="gizli şikâyet metni",
    )
    sign_in_client(client, me)
    assert client.get(reverse("complaints:detail", args=[theirs.pk])).status_code == 404
    listing = client.get(reverse("complaints:list")).content.decode()
    assert "gizli şikâyet metni" not in listing and f"#{theirs.pk}<" not in listing
    # Nor can I file one about their address by posting its id.
    response = client.post(reverse("complaints:new"), _form(brand, someone.addresses.get()))
    assert response.status_code == 200
    assert Complaint.objects.filter(citizen=me).count() == 0


def test_a_released_address_can_no_longer_be_used(client, brand):
    citizen = make_citizen(PHONE)
    address = citizen.addresses.get()
    address.released_at = timezone.now()
    address.save(update_fields=["released_at"])
    sign_in_client(client, citizen)
    client.post(reverse("complaints:new"), _form(brand, address))
    assert not Complaint.objects.exists()


# --- operators --------------------------------------------------------------------------------


@pytest.fixture
def complaint(brand):
    citizen = make_citizen(PHONE)
    return complaint_file(
        citizen=citizen, address=citizen.addresses.get(), brand=brand, channel=Channel.MESAJ,
        received_at=timezone.now() - dt.timedelta(hours=1), message_text="izinsiz",
    )


@pytest.fixture
def operator(db):
    return factories.UserFactory(is_staff=True, is_superuser=True)


def test_update_writes_one_event_per_change_and_nothing_when_unchanged(complaint, operator):
    complaint_update(
        complaint_id=complaint.pk, operator=operator, status=ComplaintStatus.IN_REVIEW, assigned_to=operator,
        operator_notes="Markaya soruldu.",
    )
    complaint.refresh_from_db()
    assert (complaint.status, complaint.assigned_to, complaint.operator_notes) == (
        ComplaintStatus.IN_REVIEW, operator, "Markaya soruldu.",
    )
    actions = list(complaint.events.values_list("action", "actor_label"))
    assert actions == [
        ("FILED", complaint.citizen.label), ("STATUS", operator.username), ("ASSIGN", operator.username),
        ("NOTE", operator.username),
    ]
    complaint_update(
        complaint_id=complaint.pk, operator=operator, status=ComplaintStatus.IN_REVIEW, assigned_to=operator,
        operator_notes="Markaya soruldu.",
    )
    assert complaint.events.count() == 4
    with pytest.raises(ValidationError):
        complaint_update(complaint_id=complaint.pk, operator=operator, status="BOGUS")


def test_admin_changelist_filters_and_search(client, complaint, operator, brand):
    client.force_login(operator)
    url = reverse("admin:citizens_complaint_changelist")
    assert complaint.recipient in client.get(url).content.decode()
    assert client.get(url, {"status__exact": "NEW"}).context["cl"].result_count == 1
    assert client.get(url, {"status__exact": "RESOLVED"}).context["cl"].result_count == 0
    assert client.get(url, {"snapshot_allowed__exact": "0"}).context["cl"].result_count == 1
    assert client.get(url, {"q": "0532 123 45 67"}).context["cl"].result_count == 1
    assert client.get(url, {"q": brand.name}).context["cl"].result_count == 1
    assert client.get(url, {"q": "başka bir şey"}).context["cl"].result_count == 0


def test_admin_change_goes_through_the_service(client, complaint, operator):
    client.force_login(operator)
    url = reverse("admin:citizens_complaint_change", args=[complaint.pk])
    page = client.get(url)
    assert page.status_code == 200 and "izinsiz" in page.content.decode()
    response = client.post(url, {
        "status": ComplaintStatus.RESOLVED, "assigned_to": operator.pk, "operator_notes": "Marka uyarıldı.",
        "events-TOTAL_FORMS": "1", "events-INITIAL_FORMS": "1", "events-MIN_NUM_FORMS": "0",
        "events-MAX_NUM_FORMS": "1000", "events-0-id": complaint.events.get().pk, "events-0-complaint": complaint.pk,
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    complaint.refresh_from_db()
    assert (complaint.status, complaint.assigned_to, complaint.operator_notes) == (
        ComplaintStatus.RESOLVED, operator, "Marka uyarıldı.",
    )
    assert set(complaint.events.values_list("action", flat=True)) == {"FILED", "STATUS", "ASSIGN", "NOTE"}
    # The citizen's report and the snapshot cannot be edited from the admin, nor can complaints be deleted.
    assert client.get(reverse("admin:citizens_complaint_add")).status_code == 403
    assert client.get(reverse("admin:citizens_complaint_delete", args=[complaint.pk])).status_code == 403


def test_admin_action_takes_complaints_for_review(client, complaint, operator):
    client.force_login(operator)
    client.post(reverse("admin:citizens_complaint_changelist"), {
        "action": "take_for_review", "_selected_action": [complaint.pk],
    })
    complaint.refresh_from_db()
    assert (complaint.status, complaint.assigned_to) == (ComplaintStatus.IN_REVIEW, operator)
    assert ConsentEvent.objects.count() == 0  # nothing in the consent registry changed


@pytest.mark.parametrize("had_tacir_record", [False, True], ids=["no-record", "tacir-record"])
def test_a_citizens_rejection_holds_in_the_evidence_whatever_the_brand_filed(brand, provider_actor, had_tacir_record):
    # Issue 10: the brand may not send after the citizen's rejection, whether it asks as BIREYSEL or TACIR.
    if had_tacir_record:
        consent_record(
            brand=brand, recipient=PHONE, recipient_type=RecipientType.TACIR, channel=Channel.MESAJ,
            status=Status.ONAY, actor=provider_actor, via=Via.WEB, now=timezone.now() - dt.timedelta(hours=2),
        )
    consent_reject_by_citizen(
        brand=brand, recipient=PHONE, channel=Channel.MESAJ, source=Source.IYS_KISAMESAJ,
        actor=Actor.citizen(None, "SMS"), via=Via.SMS, now=timezone.now() - dt.timedelta(hours=1),
    )
    snap = complaint_snapshot(brand=brand, recipient=PHONE, channel=Channel.MESAJ, moment=timezone.now())
    assert (snap.status, snap.source, snap.allowed) == (Status.RET, Source.IYS_KISAMESAJ, False)
    for recipient_type in (RecipientType.BIREYSEL, RecipientType.TACIR):
        event = ConsentEvent.objects.filter(recipient=PHONE, recipient_type=recipient_type).latest("id")
        assert (event.status, event.source) == (Status.RET, Source.IYS_KISAMESAJ)
