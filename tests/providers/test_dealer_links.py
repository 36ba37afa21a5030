"""Dealer links across accounts: a linked provider sees a brand only after its owner or manager accepts."""
from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from consents.models import RetailerAccess
from providers.models import (
    LinkState,
    ProviderAuditEvent,
    Retailer,
    RetailerKind,
    RetailerLinkInvitation,
    Role,
)
from tests import factories

from .portal_data import Setup, make_setup, record

pytestmark = pytest.mark.django_db
# What İYS requires of a dealer besides its name (see test_portal_setup.py).
DEALER = {"contact_name": "Adım Soyadım", "tckn": "57703411244", "tax_number": "8450525470",
          "city": "34", "town": "429"}


@pytest.fixture
def world():
    """Brand owner A with a dealer record and a consent; dealer company D with an owner and an operator."""
    brand_side = make_setup(role=Role.MANAGER)
    dealer = make_setup(role=Role.OWNER, name="Kadıköy Bayi A.Ş.")
    operator = factories.MembershipFactory(provider=dealer.provider, role=Role.OPERATOR)
    retailer = factories.RetailerFactory(brand=brand_side.brand, name="Kadıköy Bayi", kind=RetailerKind.BAYI)
    shared = record(brand_side.brand, user=brand_side.user, recipient="paylasilan@example.com", channel="EPOSTA")
    # The brand opened this consent to its dealer (İYS retailerAccess): a linked account sees it through the dealer.
    RetailerAccess.objects.create(consent=shared, retailer=retailer)
    return brand_side, dealer, operator, retailer, shared


@pytest.fixture
def link(client, django_capture_on_commit_callbacks):
    """The brand's manager names the dealer's account on the edit form."""

    def post(brand_side: Setup, retailer: Retailer, iys_code: int | str):
        client.force_login(brand_side.user)
        # The view queues the invitation mail on commit; a test's transaction never commits, so run it here.
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("portal:retailer_edit", args=[retailer.code]), {
                "name": retailer.name, "kind": retailer.kind, "linked_provider_code": iys_code, **DEALER,
            }, follow=True)

    return post


def _actions(provider) -> list[str]:
    return list(ProviderAuditEvent.objects.filter(provider=provider).order_by("id").values_list("action", flat=True))


def _sees_brand(client, user, brand, consent) -> bool:
    client.force_login(user)
    brands_page = client.get(reverse("portal:brands"))
    listed = [a.brand for a in brands_page.context["dealer_brands"]] == [brand]
    detail = client.get(reverse("portal:consent_detail", args=[consent.pk])).status_code == 200
    in_list = consent.recipient in client.get(reverse("portal:consents")).content.decode()
    assert listed == detail == in_list, (listed, detail, in_list)
    return listed


def test_linking_another_providers_account_only_invites_it(client, world, link):
    brand_side, dealer, operator, retailer, shared = world
    page = link(brand_side, retailer, dealer.provider.iys_code).content.decode()
    assert "Kadıköy Bayi A.Ş. hesabına bayilik daveti gönderildi" in page
    retailer.refresh_from_db()
    assert retailer.linked_provider is None
    invitation = RetailerLinkInvitation.objects.get(retailer=retailer)
    assert invitation.provider == dealer.provider and invitation.state == LinkState.PENDING
    assert invitation.requested_by == brand_side.user
    # Audit on both sides, naming the manager.
    assert _actions(brand_side.provider)[-1] == "retailer.link_request"
    assert _actions(dealer.provider) == ["dealer_link.invited"]
    assert ProviderAuditEvent.objects.get(provider=dealer.provider).actor == brand_side.user
    # The brand's own list says it is waiting.
    assert "yanıt bekleniyor" in client.get(reverse("portal:retailers")).content.decode()
    # The dealer's staff see nothing of the brand yet.
    assert not _sees_brand(client, operator.user, brand_side.brand, shared)
    assert not _sees_brand(client, dealer.user, brand_side.brand, shared)


def test_the_invited_owners_and_managers_are_told_by_mail_and_on_the_portal(client, world, link):
    brand_side, dealer, operator, retailer, _shared = world
    manager = factories.MembershipFactory(provider=dealer.provider, role=Role.MANAGER)
    link(brand_side, retailer, dealer.provider.iys_code)
    [message] = mail.outbox
    assert sorted(message.to) == sorted([dealer.user.email, manager.user.email])  # not the operator
    assert brand_side.brand.name in message.subject
    assert "Kabul edene kadar bu markanın hiçbir kaydını görmezsiniz" in message.body
    assert "You will see none of its records until you accept" in message.body
    assert reverse("portal:dealer_invitations") in message.body
    # Every page of the dealer's portal carries the notice, for every role.
    client.force_login(operator.user)
    dashboard = client.get(reverse("portal:dashboard")).content.decode()
    assert "Hesabınızı bayi olarak bağlamak isteyen 1 davet yanıt bekliyor." in dashboard
    page = client.get(reverse("portal:dealer_invitations")).content.decode()
    assert brand_side.brand.name in page and "Kadıköy Bayi" in page
    assert "Kabul et" not in page  # an operator cannot answer
    invitation = RetailerLinkInvitation.objects.get()
    response = client.post(reverse("portal:dealer_invitation_accept", args=[invitation.pk]))
    assert response.status_code == 403
    assert RetailerLinkInvitation.objects.get().state == LinkState.PENDING


def test_accepting_links_the_account_with_audit_on_both_sides(client, world, link):
    brand_side, dealer, operator, retailer, shared = world
    link(brand_side, retailer, dealer.provider.iys_code)
    invitation = RetailerLinkInvitation.objects.get()
    client.force_login(dealer.user)
    page = client.get(reverse("portal:dealer_invitations")).content.decode()
    assert "Kabul et" in page and "Reddet" in page
    response = client.post(reverse("portal:dealer_invitation_accept", args=[invitation.pk]), follow=True)
    assert f"Artık {brand_side.provider.name} firmasının {brand_side.brand.name} markasının bayisisiniz" in (
        response.content.decode()
    )
    retailer.refresh_from_db()
    invitation.refresh_from_db()
    assert retailer.linked_provider == dealer.provider
    assert invitation.state == LinkState.ACCEPTED and invitation.decided_by == dealer.user
    assert _actions(dealer.provider) == ["dealer_link.invited", "dealer_link.accept"]
    assert _actions(brand_side.provider)[-1] == "retailer.link_accepted"
    assert _sees_brand(client, operator.user, brand_side.brand, shared)
    # No notice any more; answering twice is refused with a clear message.
    client.force_login(dealer.user)
    again = client.post(reverse("portal:dealer_invitation_decline", args=[invitation.pk]), follow=True)
    page = again.content.decode()
    assert "Bu davet artık yanıt beklemiyor (durumu: Kabul edildi)." in page
    assert "davet yanıt bekliyor" not in page
    retailer.refresh_from_db()
    assert retailer.linked_provider == dealer.provider


def test_declining_leaves_the_account_unlinked(client, world, link):
    brand_side, dealer, operator, retailer, shared = world
    link(brand_side, retailer, dealer.provider.iys_code)
    invitation = RetailerLinkInvitation.objects.get()
    client.force_login(dealer.user)
    client.post(reverse("portal:dealer_invitation_decline", args=[invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.state == LinkState.DECLINED
    assert Retailer.objects.get(pk=retailer.pk).linked_provider is None
    assert _actions(dealer.provider) == ["dealer_link.invited", "dealer_link.decline"]
    assert _actions(brand_side.provider)[-1] == "retailer.link_declined"
    assert not _sees_brand(client, operator.user, brand_side.brand, shared)
    client.force_login(dealer.user)
    response = client.post(reverse("portal:dealer_invitation_accept", args=[invitation.pk]), follow=True)
    assert "Bu davet artık yanıt beklemiyor" in response.content.decode()
    assert Retailer.objects.get(pk=retailer.pk).linked_provider is None


def test_only_the_invited_provider_can_answer(client, world, link):
    brand_side, dealer, _operator, retailer, _shared = world
    link(brand_side, retailer, dealer.provider.iys_code)
    invitation = RetailerLinkInvitation.objects.get()
    stranger = make_setup(role=Role.OWNER)
    client.force_login(stranger.user)
    assert brand_side.brand.name not in client.get(reverse("portal:dealer_invitations")).content.decode()
    response = client.post(reverse("portal:dealer_invitation_accept", args=[invitation.pk]), follow=True)
    assert "Bu davet bulunamadı." in response.content.decode()
    # Nor can the brand's own manager accept on the dealer's behalf.
    client.force_login(brand_side.user)
    client.post(reverse("portal:dealer_invitation_accept", args=[invitation.pk]))
    assert RetailerLinkInvitation.objects.get().state == LinkState.PENDING
    assert Retailer.objects.get(pk=retailer.pk).linked_provider is None


def test_moving_or_removing_a_link_takes_access_away_at_once(client, world, link):
    brand_side, dealer, operator, retailer, shared = world
    retailer.linked_provider = dealer.provider  # accepted earlier
    retailer.save()
    assert _sees_brand(client, operator.user, brand_side.brand, shared)
    other = make_setup(role=Role.OWNER)
    link(brand_side, retailer, other.provider.iys_code)
    retailer.refresh_from_db()
    assert retailer.linked_provider is None
    assert not _sees_brand(client, operator.user, brand_side.brand, shared)
    assert _actions(dealer.provider) == ["dealer_link.ended"]
    assert _actions(other.provider) == ["dealer_link.invited"]
    # Clearing the field withdraws the invitation; the invited side is told in its audit trail.
    link(brand_side, retailer, "")
    assert RetailerLinkInvitation.objects.get(provider=other.provider).state == LinkState.WITHDRAWN
    assert _actions(other.provider) == ["dealer_link.invited", "dealer_link.withdrawn"]
    client.force_login(other.user)
    assert "davet yanıt bekliyor" not in client.get(reverse("portal:dashboard")).content.decode()


def test_asking_the_same_account_twice_sends_one_invitation(client, world, link):
    brand_side, dealer, _operator, retailer, _shared = world
    link(brand_side, retailer, dealer.provider.iys_code)
    link(brand_side, retailer, dealer.provider.iys_code)
    assert RetailerLinkInvitation.objects.count() == 1 and len(mail.outbox) == 1
    assert _actions(dealer.provider) == ["dealer_link.invited"]
    # The edit form shows the invited account and says it waits.
    page = client.get(reverse("portal:retailer_edit", args=[retailer.code])).content.decode()
    assert f'value="{dealer.provider.iys_code}"' in page and "kabul edene kadar" in page


def test_a_new_dealer_with_an_account_is_invited_too(client, world):
    brand_side, dealer, operator, _retailer, shared = world
    client.force_login(brand_side.user)
    response = client.post(reverse("portal:retailer_create"), {
        "brand": brand_side.brand.brand_code, "name": "Yeni Bayi", "kind": RetailerKind.BAYI,
        "linked_provider_code": dealer.provider.iys_code, **DEALER,
    })
    assert response.status_code == 302
    created = Retailer.objects.get(name="Yeni Bayi")
    assert created.linked_provider is None and created.link_invitations.get().state == LinkState.PENDING
    assert not _sees_brand(client, operator.user, brand_side.brand, shared)


def test_deleting_a_linked_dealer_tells_the_dealer_side(client, world):
    brand_side, dealer, _operator, retailer, _shared = world
    retailer.linked_provider = dealer.provider
    retailer.save()
    RetailerAccess.objects.filter(retailer=retailer).delete()  # a dealer named by a consent cannot be deleted
    client.force_login(brand_side.user)
    client.post(reverse("portal:retailer_delete", args=[retailer.code]))
    assert not Retailer.objects.filter(pk=retailer.pk).exists()
    assert _actions(dealer.provider) == ["dealer_link.ended"]
