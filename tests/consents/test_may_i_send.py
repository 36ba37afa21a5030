"""'May I send?' (rule 11): BIREYSEL is opt-in, TACIR is opt-out; dealers use their brand's consents only."""
import datetime as dt

import pytest
from django.utils import timezone

from consents.actors import Actor
from consents.errors import ConsentRuleError
from consents.models import Consent, Via
from consents.selectors import can_send, can_send_many
from consents.services import consent_record
from tests import factories


def _record(brand, actor, **kw):
    data = dict(
        brand=brand, recipient="+905321234567", recipient_type="BIREYSEL", channel="MESAJ", status="ONAY",
        source="HS_WEB", consent_date=timezone.now() - dt.timedelta(hours=1), actor=actor, via=Via.WEB,
    )
    data.update(kw)
    return consent_record(**data)


@pytest.mark.django_db
def test_bireysel_is_opt_in_and_tacir_is_opt_out(brand, provider_actor):
    # No record at all: BIREYSEL may not be messaged, TACIR may.
    assert not can_send(brand=brand, recipient="0532 123 45 67", recipient_type="BIREYSEL", channel="MESAJ").allowed
    assert can_send(brand=brand, recipient="0532 123 45 67", recipient_type="TACIR", channel="MESAJ").allowed
    _record(brand, provider_actor)
    _record(brand, provider_actor, recipient_type="TACIR", source=None, consent_date=None)
    assert can_send(brand=brand, recipient="0532 123 45 67", recipient_type="BIREYSEL", channel="MESAJ").allowed
    _record(brand, provider_actor, recipient_type="TACIR", status="RET", consent_date=timezone.now())
    answer = can_send(brand=brand, recipient="+905321234567", recipient_type="TACIR", channel="MESAJ")
    assert not answer.allowed and answer.status == "RET"
    # Another channel of the same address has no record: BIREYSEL may not call.
    assert not can_send(brand=brand, recipient="+905321234567", recipient_type="BIREYSEL", channel="ARAMA").allowed


@pytest.mark.django_db
def test_declared_consent_under_review_is_allowed_and_says_so(brand, provider, provider_actor):
    factories.DeclarationPeriodFactory(tier=provider.tier)
    _record(brand, provider_actor, source="HS_2015", consent_date="2015-05-01 00:00:00")
    answer = can_send(brand=brand, recipient="+905321234567", recipient_type="BIREYSEL", channel="MESAJ")
    assert answer.allowed and answer.under_review and answer.review_until is not None


@pytest.mark.django_db
def test_many_recipients_in_one_query(brand, provider_actor, django_assert_num_queries):
    _record(brand, provider_actor, recipient="+905320000001")
    _record(brand, provider_actor, recipient="+905320000002")
    recipients = ["0532 000 00 01", "+905320000002"] + [f"+90533{i:07d}" for i in range(200)]
    with django_assert_num_queries(1):
        answers = can_send_many(brand=brand, recipients=recipients, recipient_type="BIREYSEL", channel="MESAJ")
    assert {r for r, a in answers.items() if a.allowed} == {"+905320000001", "+905320000002"}


@pytest.mark.django_db
def test_dealer_uses_its_brands_consents_but_not_another_brands(brand, provider, provider_actor):
    other_brand = factories.BrandFactory(provider=provider)
    dealer = factories.RetailerFactory(brand=brand)
    _record(brand, provider_actor)
    dealer_actor = Actor.for_retailer(dealer)
    # The dealer asks with the brand it works for, and sees the brand's consent.
    assert can_send(brand=dealer.brand, recipient="+905321234567", recipient_type="BIREYSEL", channel="MESAJ").allowed
    # It may add consents it collected for that brand: they are marked as the dealer's.
    added = _record(brand, dealer_actor, recipient="+905329998877")
    assert added.consent.retailer == dealer and added.event.actor_kind == "RETAILER"
    # Another brand of the same provider is out of its reach.
    with pytest.raises(ConsentRuleError) as caught:
        _record(other_brand, dealer_actor, recipient="+905329998877")
    assert caught.value.code == "ILT003"
    assert not Consent.objects.filter(brand=other_brand).exists()


@pytest.mark.django_db
def test_provider_may_name_the_dealer_that_collected_a_consent(brand, provider_actor):
    dealer = factories.RetailerFactory(brand=brand)
    result = _record(brand, provider_actor, retailer_code=str(dealer.code))
    assert result.consent.retailer == dealer
