from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from citizens.models import AddressClaimAction, AddressClaimEvent, CitizenAddress, OtpPurpose
from citizens.otp import OtpCheck, otp_send
from citizens.services import citizen_address_claim
from tests.factories import BrandFactory

from .conftest import last_sms_code, make_citizen, make_consent, sign_in_client

pytestmark = pytest.mark.django_db
PHONE = "+905321234567"
OTHER = "+905551112233"


def test_citizen_adds_a_second_address_verified_by_its_own_code(client):
    citizen = make_citizen(PHONE)
    sign_in_client(client, citizen)
    response = client.post(reverse("citizens:addresses"), {"address": "ayse@example.com"})
    assert response.url == reverse("citizens:address_verify")
    import re

    from django.core import mail

    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    response = client.post(reverse("citizens:address_verify"), {"code": code})
    assert response.status_code == 302
    assert set(CitizenAddress.objects.filter(citizen=citizen).values_list("value", flat=True)) == {
        PHONE, "ayse@example.com"
    }


def test_a_code_for_another_purpose_does_not_verify_an_address(client):
    citizen = make_citizen(PHONE)
    sign_in_client(client, citizen)
    client.post(reverse("citizens:addresses"), {"address": OTHER})
    otp_send(address=OTHER, purpose=OtpPurpose.SIGN_IN, client_ip=None)  # newest SMS is a sign-in code
    sign_in_code = last_sms_code(OTHER)
    page = client.post(reverse("citizens:address_verify"), {"code": sign_in_code})
    assert page.status_code == 200
    assert not CitizenAddress.objects.filter(value=OTHER).exists()


def test_claiming_an_address_of_another_citizen_releases_it_records_it_and_moves_the_consents(client):
    brand = BrandFactory()
    consent = make_consent(brand, OTHER)
    old_owner = make_citizen(OTHER)
    new_owner = make_citizen(PHONE)
    # The old owner sees the consent.
    sign_in_client(client, old_owner)
    assert brand.name in client.get(reverse("citizens:consents")).content.decode()

    # The new owner proves the address with a code.
    otp_send(address=OTHER, purpose=OtpPurpose.ADD_ADDRESS, client_ip="10.0.0.9")
    result = citizen_address_claim(
        citizen=new_owner, address="0555 111 22 33", code=last_sms_code(OTHER), client_ip="10.0.0.9"
    )
    assert result.ok and result.released_from == old_owner

    old_claim = CitizenAddress.objects.get(citizen=old_owner, value=OTHER)
    assert old_claim.released_at is not None
    assert CitizenAddress.objects.get(citizen=new_owner, value=OTHER).is_active
    release = AddressClaimEvent.objects.get(value=OTHER, action=AddressClaimAction.RELEASE)
    assert release.citizen == old_owner and release.other_citizen == new_owner
    claim = AddressClaimEvent.objects.filter(value=OTHER, action=AddressClaimAction.CLAIM).latest("id")
    assert claim.citizen == new_owner and claim.other_citizen == old_owner and str(claim.client_ip) == "10.0.0.9"

    # The old owner no longer sees nor changes those consents; the new owner does.
    page = client.get(reverse("citizens:consents")).content.decode()
    assert brand.name not in page
    assert client.post(reverse("citizens:reject"), {"scope": "consent", "consent": consent.pk, "confirm": "1"}).status_code == 404
    sign_in_client(client, new_owner)
    assert brand.name in client.get(reverse("citizens:consents")).content.decode()


def test_an_address_cannot_be_claimed_without_the_code():
    make_citizen(OTHER)
    intruder = make_citizen(PHONE)
    otp_send(address=OTHER, purpose=OtpPurpose.ADD_ADDRESS, client_ip=None)
    right = last_sms_code(OTHER)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    result = citizen_address_claim(citizen=intruder, address=OTHER, code=wrong, client_ip=None)
    assert result.check is OtpCheck.WRONG
    assert not CitizenAddress.objects.filter(citizen=intruder, value=OTHER).exists()
    assert CitizenAddress.objects.filter(value=OTHER, released_at__isnull=True).count() == 1


def test_database_refuses_two_active_claims_on_one_address():
    make_citizen(OTHER)
    other = make_citizen(PHONE)
    with pytest.raises(IntegrityError), transaction.atomic():
        CitizenAddress.objects.create(citizen=other, value=OTHER, kind="phone", verified_at=timezone.now())


def test_release_own_address_but_never_the_last_one(client):
    citizen = make_citizen(PHONE, OTHER)
    sign_in_client(client, citizen)
    addr = CitizenAddress.objects.get(citizen=citizen, value=OTHER)
    client.post(reverse("citizens:address_release", args=[addr.pk]))
    addr.refresh_from_db()
    assert addr.released_at is not None
    last = CitizenAddress.objects.get(citizen=citizen, value=PHONE)
    response = client.post(reverse("citizens:address_release", args=[last.pk]), follow=True)
    assert "Son adresinizi" in response.content.decode()
    last.refresh_from_db()
    assert last.released_at is None


def test_cannot_release_another_citizens_address(client):
    victim = make_citizen(OTHER)
    sign_in_client(client, make_citizen(PHONE, "x@example.com"))
    addr = CitizenAddress.objects.get(citizen=victim)
    assert client.post(reverse("citizens:address_release", args=[addr.pk])).status_code == 404
    addr.refresh_from_db()
    assert addr.released_at is None
