"""Scoping between two providers on every business URL: another provider's object is a 404."""
from __future__ import annotations

import pytest
from django.urls import reverse

from consents.actors import Actor
from consents.models import Consent, Via
from consents.services import consent_reject_by_citizen
from providers.models import IntermediaryAuthorization, Retailer
from tests import factories

from .portal_data import make_setup, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_providers():
    mine = make_setup()
    theirs = make_setup()
    their_retailer = factories.RetailerFactory(brand=theirs.brand)
    their_consent = record(theirs.brand, user=theirs.user, recipient="gizli@example.com", channel="EPOSTA")
    their_grant = factories.IntermediaryAuthorizationFactory(brand=theirs.brand)
    _citizen_rejects(their_consent)
    return mine, theirs, their_retailer, their_consent, their_grant


def _citizen_rejects(consent: Consent) -> None:
    consent_reject_by_citizen(brand=consent.brand, recipient=consent.recipient, channel=consent.channel,
                              source="IYS_WEB", actor=Actor.citizen(None, "vatandaş"), via=Via.WEB)


def _urls(theirs, retailer, consent, grant) -> list[tuple[str, str, dict]]:
    code = theirs.brand.brand_code
    return [
        ("get", reverse("portal:brand_edit", args=[code]), {}),
        ("post", reverse("portal:brand_edit", args=[code]), {"name": "Ele geçirildi"}),
        ("get", reverse("portal:retailers") + f"?brand={code}", {}),
        ("get", reverse("portal:retailer_edit", args=[retailer.code]), {}),
        ("post", reverse("portal:retailer_edit", args=[retailer.code]), {"name": "X", "kind": "BAYI"}),
        ("get", reverse("portal:retailer_delete", args=[retailer.code]), {}),
        ("post", reverse("portal:retailer_delete", args=[retailer.code]), {}),
        ("post", reverse("portal:authorization_revoke", args=[grant.pk]), {}),
        ("get", reverse("portal:consent_detail", args=[consent.pk]), {}),
    ]


def test_every_object_url_of_another_provider_is_404(client, two_providers):
    mine, theirs, retailer, consent, grant = two_providers
    client.force_login(mine.user)
    for method, url, data in _urls(theirs, retailer, consent, grant):
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (method, url, response.status_code)
    # Nothing of theirs changed.
    theirs.brand.refresh_from_db()
    assert theirs.brand.name != "Ele geçirildi"
    assert Retailer.objects.filter(pk=retailer.pk, name=retailer.name).exists()
    assert IntermediaryAuthorization.objects.get(pk=grant.pk).revoked_at is None


def test_the_owner_reaches_the_same_urls(client, two_providers):
    _mine, theirs, retailer, consent, grant = two_providers
    client.force_login(theirs.user)
    for method, url, _data in _urls(theirs, retailer, consent, grant):
        if method == "get":
            assert client.get(url).status_code == 200, url


def test_lists_show_only_the_acting_providers_objects(client, two_providers):
    mine, theirs, retailer, consent, grant = two_providers
    mine_retailer = factories.RetailerFactory(brand=mine.brand, name="Benim Bayim")
    mine_consent = record(mine.brand, user=mine.user, recipient="benim@example.com", channel="EPOSTA")
    _citizen_rejects(mine_consent)
    client.force_login(mine.user)

    brands = client.get(reverse("portal:brands")).content.decode()
    assert mine.brand.name in brands and theirs.brand.name not in brands

    retailers = client.get(reverse("portal:retailers")).content.decode()
    assert mine_retailer.name in retailers and retailer.name not in retailers

    # Intermediaries themselves are a public list (the grant form offers them); grants are private.
    grants = client.get(reverse("portal:intermediaries")).context["grants"]
    assert grant not in list(grants)

    consents = client.get(reverse("portal:consents")).content.decode()
    assert mine_consent.recipient in consents and consent.recipient not in consents

    # Searching for their recipient finds nothing, and filtering by their brand code is ignored.
    found = client.get(reverse("portal:consents"), {"q": "GIZLI@example.com"}).context["page"]
    assert list(found) == []
    by_brand = client.get(reverse("portal:consents"), {"brand": theirs.brand.brand_code})
    assert consent.recipient not in by_brand.content.decode()

    export = b"".join(client.get(reverse("portal:consent_export")).streaming_content).decode("utf-8-sig")
    assert mine_consent.recipient in export and consent.recipient not in export

    changes = client.get(reverse("portal:changes")).context["events"]
    # The citizen's rejection of my consent, BIREYSEL and TACIR (rule 9: it holds for every type).
    assert {e.recipient for e in changes} == {mine_consent.recipient} and len(changes) == 2
    foreign_feed = client.get(reverse("portal:changes"), {"brand": theirs.brand.brand_code})
    assert "brand" in foreign_feed.context["form"].errors
    assert [e.id for e in foreign_feed.context["events"]] == [e.id for e in changes]


def test_cannot_add_a_consent_to_another_providers_brand(client, two_providers):
    mine, theirs, *_ = two_providers
    client.force_login(mine.user)
    before = Consent.objects.filter(brand=theirs.brand).count()
    response = client.post(reverse("portal:consent_create"), {
        "brand": theirs.brand.brand_code, "recipient": "0532 000 00 01", "channel": "MESAJ",
        "recipient_type": "BIREYSEL", "status": "ONAY", "source": "HS_WEB", "consent_date": "2020-01-01T10:00",
    })
    assert response.status_code == 200  # the form refuses the unknown brand choice
    assert "brand" in response.context["form"].errors
    assert Consent.objects.filter(brand=theirs.brand).count() == before


def test_cannot_add_retailer_or_grant_to_another_providers_brand(client, two_providers):
    mine, theirs, *_ = two_providers
    intermediary = factories.IntermediaryFactory()
    client.force_login(mine.user)
    response = client.post(reverse("portal:retailer_create"), {"brand": theirs.brand.brand_code, "name": "Sızma", "kind": "BAYI"})
    assert response.status_code == 200 and "brand" in response.context["form"].errors
    response = client.post(reverse("portal:intermediaries"), {
        "brand": theirs.brand.brand_code, "intermediary": intermediary.code, "channel": "MESAJ",
    })
    assert response.status_code == 200 and "brand" in response.context["form"].errors
    assert not Retailer.objects.filter(name="Sızma").exists()
    assert not IntermediaryAuthorization.objects.filter(brand=theirs.brand, intermediary=intermediary).exists()


def test_switching_provider_changes_scope(client, two_providers):
    mine, theirs, _retailer, consent, _grant = two_providers
    factories.MembershipFactory(user=mine.user, provider=theirs.provider)
    client.force_login(mine.user)
    detail = reverse("portal:consent_detail", args=[consent.pk])
    client.post(reverse("portal:switch_provider"), {"provider_id": mine.provider.pk})
    assert client.get(detail).status_code == 404
    client.post(reverse("portal:switch_provider"), {"provider_id": theirs.provider.pk})
    assert client.get(detail).status_code == 200
