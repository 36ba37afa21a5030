"""Declarations are accepted only while the provider's tier has an open period, and refused with a reason after."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from consents.errors import ConsentRuleError, person_message
from consents.models import Via
from consents.rules import ISTANBUL
from consents.services import consent_record
from providers.models import Provider, Tier
from tests import factories


def _record(brand, actor, *, source: str, consent_date, now: dt.datetime | None = None):
    return consent_record(
        brand=brand, recipient="+905301234567", recipient_type="BIREYSEL", channel="MESAJ", status="ONAY",
        source=source, consent_date=consent_date, actor=actor, via=Via.WEB, now=now,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "source, consent_date",
    [("HS_2015", "2015-05-01 00:00:00"), ("HS_ISLAK_IMZA", "2019-03-04 10:00:00")],
    ids=["HS_2015", "older than three business days"],
)
def test_open_period_accepts_declarations_under_review(brand, provider_actor, source, consent_date):
    period = factories.DeclarationPeriodFactory(tier=Tier.SMALL)

    consent = _record(brand, provider_actor, source=source, consent_date=consent_date).consent

    assert consent.declaration_period == period
    assert consent.review_until == dt.datetime.combine(period.review_until, dt.time(23, 59, 59), tzinfo=ISTANBUL)
    assert consent.under_review
    assert consent.events.get().review_until == consent.review_until


@pytest.mark.django_db
def test_fresh_consent_needs_no_period(brand, provider_actor):
    consent = _record(brand, provider_actor, source="HS_WEB", consent_date=timezone.now()).consent
    assert (consent.declaration_period, consent.review_until) == (None, None)


@pytest.mark.django_db
def test_after_the_deadline_declarations_are_refused_with_the_reason(brand, provider_actor):
    period = factories.DeclarationPeriodFactory(tier=Tier.SMALL)
    after = timezone.make_aware(dt.datetime.combine(period.declare_until + dt.timedelta(days=1), dt.time(9)))

    with pytest.raises(ConsentRuleError) as hs2015:
        _record(brand, provider_actor, source="HS_2015", consent_date="2015-05-01 00:00:00", now=after)
    assert hs2015.value.code == "ILT001"
    assert period.declare_until.isoformat() in hs2015.value.message_tr
    assert "yeniden onay" in hs2015.value.message_tr  # what the business can do instead

    with pytest.raises(ConsentRuleError) as late:
        _record(brand, provider_actor, source="HS_ISLAK_IMZA", consent_date="2019-03-04 10:00:00", now=after)
    assert late.value.code == "H467"
    # Machines get İYS's own text (issue 10); people read what to do instead.
    assert late.value.message_tr == "Üç iş günü öncesinde alınan izinler kaydedilemez."
    for_people = person_message(late.value.code, "tr", **late.value.params)
    assert "beyan dönemi" in for_people and "yeniden onay" in for_people


@pytest.mark.django_db
def test_only_the_providers_own_tier_period_counts(brand, provider_actor):
    factories.DeclarationPeriodFactory(tier=Tier.SMALL)
    Provider.objects.filter(pk=brand.provider_id).update(tier=Tier.LARGE)
    brand.provider.refresh_from_db()

    with pytest.raises(ConsentRuleError) as refused:
        _record(brand, provider_actor, source="HS_2015", consent_date="2015-05-01 00:00:00")
    assert refused.value.code == "ILT001"
    assert "2020-12-31" in refused.value.message_tr  # the LARGE tier's last (FAQ) deadline
