"""Brands, dealers/agencies and intermediary authorisations through the portal."""
from __future__ import annotations

import pytest
from django.urls import reverse

from consents.actors import Actor
from providers import services
from providers.models import IntermediaryAuthorization, ProviderAuditEvent, Retailer, RetailerKind
from tests import factories

from .portal_data import make_setup, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    setup = make_setup()
    client.force_login(setup.user)
    return setup


def test_rename_brand_writes_audit_and_rejects_duplicates(client, manager):
    second = factories.BrandFactory(provider=manager.provider, name="İkinci")
    response = client.post(reverse("portal:brand_edit", args=[second.brand_code]), {"name": "Yeni Ad"})
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.name == "Yeni Ad"
    audit = ProviderAuditEvent.objects.get(action="brand.rename")
    assert audit.actor == manager.user and audit.detail["from"] == "İkinci"
    response = client.post(reverse("portal:brand_edit", args=[second.brand_code]), {"name": manager.brand.name})
    assert "Bu adla bir markanız zaten var" in response.content.decode()
    # Same name again: nothing changes, no audit row.
    client.post(reverse("portal:brand_edit", args=[second.brand_code]), {"name": "Yeni Ad"})
    assert ProviderAuditEvent.objects.filter(action="brand.rename").count() == 1


# What İYS requires of every dealer (its own createRetailer example): official, TCKN, tax number, place.
DEALER = {"contact_name": "Adım Soyadım", "tckn": "57703411244", "tax_number": "8450525470",
          "city": "34", "town": "429"}


def test_add_edit_and_remove_a_dealer(client, manager):
    response = client.post(reverse("portal:retailer_create"), {
        "brand": manager.brand.brand_code, "name": "Kadıköy Bayi", "kind": RetailerKind.ACENTE,
        "mobile": "0532 999 88 77", **DEALER,
    })
    assert response.status_code == 302
    retailer = Retailer.objects.get(name="Kadıköy Bayi")
    assert retailer.brand == manager.brand and 10_000_000 <= retailer.code <= 99_999_999
    assert retailer.mobile == "+905329998877"
    assert (retailer.city, retailer.town, retailer.town_code, retailer.tckn) == (
        "İstanbul", "Kadıköy", 429, "57703411244"
    )
    linked = factories.ProviderFactory()
    response = client.post(reverse("portal:retailer_edit", args=[retailer.code]), {
        "name": "Kadıköy Acente", "kind": RetailerKind.ACENTE, "linked_provider_code": linked.iys_code, **DEALER,
    })
    assert response.status_code == 302
    retailer.refresh_from_db()
    # Another provider's account is invited, not linked: it must accept first (tests/providers/test_dealer_links.py).
    assert retailer.name == "Kadıköy Acente" and retailer.linked_provider is None
    assert retailer.link_invitations.get().provider == linked
    response = client.post(reverse("portal:retailer_edit", args=[retailer.code]), {
        **DEALER, "name": "X", "kind": "BAYI", "linked_provider_code": 1, "tax_number": "12",
    })
    errors = response.context["form"].errors
    assert "Bu İYS numarasıyla etkin bir hizmet sağlayıcı bulunamadı." in errors["linked_provider_code"]
    assert "tax_number" in errors
    response = client.post(reverse("portal:retailer_delete", args=[retailer.code]), follow=True)
    assert not Retailer.objects.filter(pk=retailer.pk).exists()
    assert "silindi" in response.content.decode()
    actions = list(
        ProviderAuditEvent.objects.filter(provider=manager.provider).order_by("id").values_list("action", flat=True)
    )
    assert actions == [
        "retailer.create", "retailer.update", "retailer.link_request", "retailer.delete", "retailer.link_withdraw"
    ]


def test_removing_a_dealer_named_by_consents_is_refused_with_a_clear_message(client, manager):
    retailer = factories.RetailerFactory(brand=manager.brand, name="Çalışan Bayi")
    record(manager.brand, user=manager.user, retailer=retailer)
    response = client.post(reverse("portal:retailer_delete", args=[retailer.code]), follow=True)
    page = response.content.decode()
    assert "Çalışan Bayi silinemez: 1 izin kaydında bu bayi adı geçiyor" in page
    assert Retailer.objects.filter(pk=retailer.pk).exists()
    assert not ProviderAuditEvent.objects.filter(action="retailer.delete").exists()


def test_removing_a_dealer_whose_movements_are_in_history_is_refused(manager):
    retailer = factories.RetailerFactory(brand=manager.brand)
    consent = record(manager.brand, actor=Actor.for_retailer(retailer, user=manager.user))
    from consents.models import Consent

    # The current record no longer names the dealer, but its movement stays in the history.
    Consent.objects.filter(pk=consent.pk).update(retailer=None)
    with pytest.raises(services.SetupError, match="geçmiş"):
        services.retailer_delete(retailer=retailer, user=manager.user)
    assert Retailer.objects.filter(pk=retailer.pk).exists()


def test_grant_and_revoke_an_intermediary(client, manager):
    intermediary = factories.IntermediaryFactory(name="Toplu SMS A.Ş.")
    data = {"brand": manager.brand.brand_code, "intermediary": intermediary.code, "channel": "MESAJ"}
    assert client.post(reverse("portal:intermediaries"), data).status_code == 302
    assert client.post(reverse("portal:intermediaries"), data).status_code == 302  # twice: still one grant
    grant = IntermediaryAuthorization.objects.get()
    assert grant.granted_by == manager.user and grant.revoked_at is None
    assert ProviderAuditEvent.objects.filter(action="intermediary.authorize").count() == 1

    assert client.post(reverse("portal:authorization_revoke", args=[grant.pk])).status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_at is not None and grant.revoked_by == manager.user
    # Revoking again changes nothing; the revoked row stays listed with who revoked it.
    client.post(reverse("portal:authorization_revoke", args=[grant.pk]))
    assert ProviderAuditEvent.objects.filter(action="intermediary.revoke").count() == 1
    page = client.get(reverse("portal:intermediaries")).content.decode()
    assert "kaldırıldı" in page and manager.user.username in page
    # A new grant after revocation is a new row; the old one keeps its history.
    client.post(reverse("portal:intermediaries"), data)
    assert IntermediaryAuthorization.objects.count() == 2
    assert IntermediaryAuthorization.objects.filter(revoked_at__isnull=True).count() == 1


def test_inactive_intermediary_cannot_be_granted(manager):
    intermediary = factories.IntermediaryFactory(is_active=False)
    with pytest.raises(services.SetupError):
        services.intermediary_authorize(brand=manager.brand, intermediary=intermediary, channel="MESAJ",
                                        user=manager.user)


def test_saving_a_dealer_unchanged_writes_no_audit_row(manager):
    retailer = factories.RetailerFactory(brand=manager.brand, name="Aynı Bayi")
    data = services.RetailerData(
        name="Aynı Bayi", kind=retailer.kind, tax_number=retailer.tax_number, contact_name=retailer.contact_name,
        tckn=retailer.tckn, city_code=retailer.city_code, town_code=retailer.town_code,
    )
    services.retailer_update(retailer=retailer, data=data, user=manager.user)
    assert not ProviderAuditEvent.objects.filter(action="retailer.update").exists()


def test_dealer_form_requires_and_checks_what_iys_requires(client, manager):
    create = reverse("portal:retailer_create")
    response = client.post(create, {"brand": manager.brand.brand_code, "name": "Eksik Bayi", "kind": "BAYI"})
    errors = response.context["form"].errors
    assert set(errors) == {"contact_name", "tckn", "tax_number", "city", "town"}
    bad = {**DEALER, "tckn": "57703411245", "tax_number": "8450525471", "city": "6"}  # Kadıköy is not in Ankara
    response = client.post(create, {"brand": manager.brand.brand_code, "name": "Hatalı Bayi", "kind": "BAYI", **bad})
    errors = response.context["form"].errors
    assert "TC kimlik numarası geçerli değil (kontrol haneleri tutmuyor)." in errors["tckn"]
    assert "Vergi kimlik numarası geçerli değil (kontrol hanesi tutmuyor)." in errors["tax_number"]
    assert "Seçilen ilçe, seçilen ilin ilçelerinden biri değil." in errors["town"]
    assert not Retailer.objects.filter(name__in=["Eksik Bayi", "Hatalı Bayi"]).exists()
    page = client.get(create).content.decode()
    assert '<optgroup label="İstanbul">' in page and ">Kadıköy</option>" in page
    # One dealer per official's TCKN under a brand (İYS H231).
    factories.RetailerFactory(brand=manager.brand, tckn="57703411244")
    response = client.post(create, {"brand": manager.brand.brand_code, "name": "İkinci", "kind": "BAYI", **DEALER})
    assert "Bu markada bu TC kimlik numarasıyla kayıtlı bir bayi zaten var." in response.context["form"].errors["tckn"]
