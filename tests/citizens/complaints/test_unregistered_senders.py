"""Complaints about any sender: a registered brand, or the name, short code or number the citizen saw."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from citizens.complaints.services import complaint_file, complaint_update
from citizens.models import Complaint, ComplaintStatus, SnapshotStatus
from providers.models import Channel
from tests import factories

from ..conftest import make_citizen, sign_in_client

pytestmark = pytest.mark.django_db
PHONE = "+905321234567"


def _form(address, sender: str, **extra):
    local = timezone.localtime(timezone.now() - dt.timedelta(minutes=10))
    return {
        "address": address.pk, "brand": sender, "channel": Channel.MESAJ,
        "received_at": local.strftime("%Y-%m-%dT%H:%M"), "message_text": "Hemen 50.000 TL kredi! Tıkla", **extra,
    }


@pytest.mark.parametrize("sender", ["Ucuz Kredi Hemen", "3607", "0850 123 45 67", "+905001112233"])
def test_a_sender_that_is_not_registered_is_accepted_with_text_and_time(client, brand, sender):
    citizen = make_citizen(PHONE)
    sign_in_client(client, citizen)
    response = client.post(reverse("complaints:new"), _form(citizen.addresses.get(), sender))
    assert response.status_code == 302, response.content.decode()[-3000:]
    complaint = Complaint.objects.get()
    assert complaint.brand is None and complaint.sender_text == sender
    assert complaint.message_text.startswith("Hemen 50.000 TL kredi")
    assert complaint.received_at < timezone.now()
    # Nobody registered: no record, sending not allowed — the snapshot says so.
    assert (complaint.snapshot_status, complaint.snapshot_allowed) == (SnapshotStatus.NO_RECORD, False)
    detail = client.get(response["Location"]).content.decode()
    assert sender in detail and "kayıtlı bir marka değil" in detail
    assert sender in client.get(reverse("complaints:list")).content.decode()


def test_a_registered_brand_is_still_recognised_by_name_or_code(client, brand):
    citizen = make_citizen(PHONE)
    sign_in_client(client, citizen)
    client.post(reverse("complaints:new"), _form(citizen.addresses.get(), f"{brand.name} ({brand.brand_code})"))
    client.post(reverse("complaints:new"), _form(citizen.addresses.get(), str(brand.brand_code)))
    assert list(Complaint.objects.values_list("brand", "sender_text")) == [(brand.pk, "")] * 2


def test_two_brands_of_one_name_ask_for_the_code(client):
    factories.BrandFactory(name="Aynı Ad")
    factories.BrandFactory(name="Aynı Ad")
    citizen = make_citizen(PHONE)
    sign_in_client(client, citizen)
    page = client.post(reverse("complaints:new"), _form(citizen.addresses.get(), "aynı ad")).content.decode()
    assert "birden çok marka var" in page and not Complaint.objects.exists()


def test_the_service_needs_a_sender_and_the_database_agrees():
    citizen = make_citizen(PHONE)
    with pytest.raises(ValidationError) as error:
        complaint_file(
            citizen=citizen, address=citizen.addresses.get(), brand=None, sender_text="  ", channel=Channel.MESAJ,
            received_at=timezone.now(), message_text="metin",
        )
    assert "brand" in error.value.message_dict
    assert not Complaint.objects.exists()


def test_operators_find_and_work_unregistered_sender_complaints_in_the_admin(client, brand):
    citizen = make_citizen(PHONE)
    spam = complaint_file(
        citizen=citizen, address=citizen.addresses.get(), brand=None, sender_text="Ucuz Kredi Hemen",
        channel=Channel.MESAJ, received_at=timezone.now() - dt.timedelta(hours=1), message_text="kredi",
    )
    complaint_file(
        citizen=citizen, address=citizen.addresses.get(), brand=brand, channel=Channel.MESAJ,
        received_at=timezone.now() - dt.timedelta(hours=1), message_text="kampanya",
    )
    operator = factories.UserFactory(is_staff=True, is_superuser=True)
    client.force_login(operator)
    url = reverse("admin:citizens_complaint_changelist")
    page = client.get(url)
    assert "Ucuz Kredi Hemen" in page.content.decode()
    assert client.get(url, {"gonderen": "kayitsiz"}).context["cl"].result_count == 1
    assert client.get(url, {"gonderen": "kayitli"}).context["cl"].result_count == 1
    assert client.get(url, {"q": "ucuz kredi"}).context["cl"].result_count == 1
    detail = client.get(reverse("admin:citizens_complaint_change", args=[spam.pk])).content.decode()
    assert "Ucuz Kredi Hemen" in detail and "kredi" in detail
    complaint_update(complaint_id=spam.pk, operator=operator, status=ComplaintStatus.IN_REVIEW)
    spam.refresh_from_db()
    assert spam.status == ComplaintStatus.IN_REVIEW
