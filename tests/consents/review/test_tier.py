"""A provider's tier comes from its distinct approved addresses, counted nightly; operators can pin it."""
from __future__ import annotations

import time

import pytest
from django.db import connection
from django.utils import timezone

from consents.models import Via
from consents.review.tasks import schedule_tier_counts
from consents.services import consent_record, provider_refresh_tier
from providers.models import LARGE_TIER_THRESHOLD, Provider, Tier
from tests import factories


def _consent(brand, recipient: str, channel: str, actor, status: str = "ONAY") -> None:
    consent_record(
        brand=brand, recipient=recipient, recipient_type="BIREYSEL", channel=channel, status="ONAY",
        source="HS_WEB", consent_date=timezone.now(), actor=actor, via=Via.WEB,
    )
    if status == "RET":
        consent_record(
            brand=brand, recipient=recipient, recipient_type="BIREYSEL", channel=channel, status="RET",
            source="HS_WEB", consent_date=timezone.now(), actor=actor, via=Via.WEB,
        )


def _bulk_approved(brand, count: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO consents_consent (brand_id, recipient, recipient_type, channel, status, source,
                consent_date, created_at, updated_at, transaction_id)
            SELECT %s, '+90531' || lpad(g::text, 7, '0'), 'BIREYSEL', 'MESAJ', 'ONAY', 'HS_WEB',
                   now(), now(), now(), md5(g::text)
            FROM generate_series(1, %s) AS g
            """,
            [brand.pk, count],
        )


@pytest.mark.django_db
def test_count_is_distinct_approved_addresses_over_all_brands(provider, provider_actor):
    master = factories.BrandFactory(provider=provider, is_master=True)
    other = factories.BrandFactory(provider=provider, is_master=False)
    _consent(master, "+905320000001", "MESAJ", provider_actor)
    _consent(master, "+905320000001", "ARAMA", provider_actor)  # same phone, other channel
    _consent(other, "+905320000001", "MESAJ", provider_actor)  # same phone, other brand
    _consent(master, "ali@example.com", "EPOSTA", provider_actor)
    _consent(master, "+905320000002", "MESAJ", provider_actor, status="RET")  # rejected: not approved
    foreign = factories.BrandFactory(provider=factories.ProviderFactory(), is_master=True)
    _consent(foreign, "+905320000003", "MESAJ", provider_actor)  # another provider's consent

    refreshed = provider_refresh_tier(provider=provider)

    assert refreshed.approved_address_count == 2
    assert refreshed.tier == Tier.SMALL and refreshed.tier_counted_at is not None


@pytest.mark.django_db
def test_tier_follows_the_threshold_unless_pinned(provider):
    brand = factories.BrandFactory(provider=provider, is_master=True)
    _bulk_approved(brand, LARGE_TIER_THRESHOLD)
    assert provider_refresh_tier(provider=provider).tier == Tier.SMALL  # 150,000 is still SMALL

    one_more = """
        INSERT INTO consents_consent (brand_id, recipient, recipient_type, channel, status, source,
            consent_date, created_at, updated_at, transaction_id)
        VALUES (%s, '+905399999999', 'BIREYSEL', 'MESAJ', 'ONAY', 'HS_WEB', now(), now(), now(), 'x1')
    """
    with connection.cursor() as cursor:
        cursor.execute(one_more, [brand.pk])
    Provider.objects.filter(pk=provider.pk).update(tier_pinned=True)
    pinned = provider_refresh_tier(provider=provider)
    assert (pinned.approved_address_count, pinned.tier) == (LARGE_TIER_THRESHOLD + 1, Tier.SMALL)

    Provider.objects.filter(pk=provider.pk).update(tier_pinned=False)
    assert provider_refresh_tier(provider=provider).tier == Tier.LARGE


def test_nightly_count_runs_through_the_worker_in_batches(celery_worker, provider_actor):
    providers = [factories.ProviderFactory() for _ in range(5)]
    for n, p in enumerate(providers):
        brand = factories.BrandFactory(provider=p, is_master=True)
        for i in range(n):
            _consent(brand, f"+90533{n:03d}{i:04d}", "MESAJ", provider_actor)
    Provider.objects.filter(pk=providers[4].pk).update(tier=Tier.LARGE, tier_pinned=True)

    schedule_tier_counts.delay(batch=2).get(timeout=30)

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and Provider.objects.filter(tier_counted_at__isnull=True).exists():
        time.sleep(0.2)
    counted = {p.pk: (p.approved_address_count, p.tier) for p in Provider.objects.all()}
    assert [counted[p.pk] for p in providers] == [
        (0, Tier.SMALL), (1, Tier.SMALL), (2, Tier.SMALL), (3, Tier.SMALL), (4, Tier.LARGE)
    ]
