"""The dashboard: what it counts, its chart, and a query count that does not grow with the data."""
from __future__ import annotations

import pytest
from django.urls import reverse

from consents.actors import Actor
from consents.models import Via
from consents.services import consent_reject_by_citizen
from providers.models import Tier
from tests import factories

from .portal_data import bulk_consents, make_setup, record

pytestmark = pytest.mark.django_db


def _queries_for(client) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_query_count_is_the_same_for_small_and_large_data(client, django_assert_num_queries):
    from django.core.cache import cache

    setup = make_setup()
    other_brand = factories.BrandFactory(provider=setup.provider)
    client.force_login(setup.user)
    bulk_consents(setup.brand, 3)
    small = _queries_for(client)

    bulk_consents(setup.brand, 1500, under_review_every=3)
    bulk_consents(other_brand, 700)
    cache.clear()  # computed afresh, not served from the cache
    with django_assert_num_queries(small):
        response = client.get(reverse("portal:dashboard"))
    page = response.content.decode()
    assert "2.203" in page  # total consents, Turkish thousands separator
    # Served from the cache, the page needs fewer queries still.
    assert _queries_for(client) < small


def test_numbers_are_cached_then_refreshed_on_request_and_in_the_background(
    client, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.core.cache import cache
    from django.utils import timezone

    from providers import selectors

    setup = make_setup()
    client.force_login(setup.user)
    record(setup.brand)
    assert client.get(reverse("portal:dashboard")).context["board"].total == 1
    record(setup.brand)
    # Fresh numbers are served as they are for a minute...
    assert client.get(reverse("portal:dashboard")).context["board"].total == 1
    # ...the user may ask for new ones...
    assert client.get(reverse("portal:dashboard"), {"yenile": "1"}).context["board"].total == 2
    record(setup.brand)
    # ...and once they are older than a minute a refresh task recomputes them (eager in tests).
    key = selectors._cache_key(setup.provider.pk, [setup.brand.pk])
    numbers = cache.get(key)
    numbers.computed_at = timezone.now() - dt.timedelta(seconds=selectors.FRESH_SECONDS + 5)
    cache.set(key, numbers)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        stale = client.get(reverse("portal:dashboard")).context["board"]
    assert stale.total == 2  # this answer is the stale one, served at once
    assert len(callbacks) == 1
    assert sum(sum(v.values()) for v in cache.get(key).by_channel.values()) == 3
    assert client.get(reverse("portal:dashboard")).context["board"].total == 3


def test_adding_a_brand_shows_at_once(client):
    setup = make_setup()
    client.force_login(setup.user)
    client.get(reverse("portal:dashboard"))
    second = factories.BrandFactory(provider=setup.provider, name="Yepyeni")
    record(second)
    board = client.get(reverse("portal:dashboard")).context["board"]
    assert {b.name: onay for b, onay, _ret in board.by_brand}["Yepyeni"] == 1


def test_dashboard_counts_by_channel_status_brand_and_pending_review(client):
    setup = make_setup()
    second = factories.BrandFactory(provider=setup.provider, name="İkinci Marka")
    client.force_login(setup.user)
    record(setup.brand, channel="MESAJ")
    record(setup.brand, channel="MESAJ")
    rejected = record(second, channel="EPOSTA", recipient="ayse@example.com")
    consent_reject_by_citizen(
        brand=second, recipient=rejected.recipient, channel="EPOSTA", source="IYS_WEB",
        actor=Actor.citizen(None, "vatandaş"), via=Via.WEB,
    )
    bulk_consents(second, 4, under_review_every=2)  # 2 of them under review

    board = client.get(reverse("portal:dashboard")).context["board"]
    assert board.by_channel["MESAJ"] == {"ONAY": 4, "RET": 0}  # 2 recorded + 2 bulk (MESAJ/ARAMA alternate)
    # One citizen rejection is a RET record per recipient type (rule 9, issue 10).
    assert board.by_channel["EPOSTA"] == {"ONAY": 0, "RET": 2}
    assert board.by_channel["ARAMA"] == {"ONAY": 2, "RET": 0}
    by_brand = {b.name: (onay, ret) for b, onay, ret in board.by_brand}
    assert by_brand[setup.brand.name] == (2, 0)
    assert by_brand["İkinci Marka"] == (4, 2)
    assert board.pending_review == 2
    assert board.total == 8


def test_rejections_of_last_seven_days_and_chart(client):
    setup = make_setup()
    client.force_login(setup.user)
    bulk_consents(setup.brand, 40, days_back=20)  # a citizen RET on every 4th, spread over 20 days
    response = client.get(reverse("portal:dashboard"))
    board = response.context["board"]
    # Events of days 0..6 (i % 20 < 7) with i % 4 == 0: i in 0,4,20,24 -> 4 rejections.
    assert board.rejections_7d == 4
    assert board.citizen_rejections_7d == 4
    assert sum(d.approvals for d in board.days) == 40
    assert sum(d.rejections for d in board.days) == 10
    chart = response.context["chart"]
    assert len(chart.bars) == 30
    page = response.content.decode()
    assert '<svg id="movement-chart"' in page
    assert page.count('<rect class="onay"') == sum(1 for d in board.days if d.approvals)
    # Coordinates must be plain numbers even under the Turkish locale (no decimal commas).
    import re

    for value in re.findall(r'<rect class="(?:onay|ret)" x="([^"]+)" y="([^"]+)"', page):
        for number in value:
            float(number)


def test_dashboard_shows_the_periods_of_the_providers_tier(client):
    setup = make_setup(tier=Tier.LARGE)
    client.force_login(setup.user)
    large = factories.DeclarationPeriodFactory(tier=Tier.LARGE, name="Büyükler dönemi")
    factories.DeclarationPeriodFactory(tier=Tier.SMALL, name="Küçükler dönemi")
    response = client.get(reverse("portal:dashboard"))
    page = response.content.decode()
    assert "Büyükler dönemi" in page
    assert "Küçükler dönemi" not in page
    assert "beyana açık" in page
    assert large.review_until.strftime("%d.%m.%Y") in page


def test_period_names_follow_the_language_where_an_english_name_is_given(client, settings):
    setup = make_setup(tier=Tier.LARGE)
    client.force_login(setup.user)
    factories.DeclarationPeriodFactory(tier=Tier.LARGE, name="Büyükler dönemi", name_en="Large providers' period")
    assert "Büyükler dönemi" in client.get(reverse("portal:dashboard")).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert "Large providers&#x27; period" in page and "Büyükler dönemi" not in page


def test_dashboard_counts_only_the_acting_providers_brands(client):
    setup = make_setup()
    other = make_setup()
    bulk_consents(other.brand, 25)
    client.force_login(setup.user)
    board = client.get(reverse("portal:dashboard")).context["board"]
    assert board.total == 0
    assert board.rejections_7d == 0



def test_chart_counts_recent_movements_even_when_history_was_inserted_out_of_order(client):
    import datetime as dt

    from django.utils import timezone

    from consents.models import ConsentEvent

    setup = make_setup()
    client.force_login(setup.user)
    consent = record(setup.brand)  # one movement today
    template = ConsentEvent.objects.get(consent=consent)
    for days_ago in (3, 45, 2):  # a backfill: ids do not follow time
        ConsentEvent.objects.create(
            **{f.attname: getattr(template, f.attname) for f in ConsentEvent._meta.concrete_fields
               if f.attname not in ("id", "transaction_id", "created_at")},
            transaction_id=f"backfill-{days_ago}", created_at=timezone.now() - dt.timedelta(days=days_ago),
        )
    from consents import counts

    counts.recount(brand_ids=[setup.brand.pk])  # a backfill around the services is followed by a recount
    board = client.get(reverse("portal:dashboard")).context["board"]
    assert sum(d.approvals for d in board.days) == 3  # today, 2 and 3 days ago; not 45


def test_stale_numbers_are_recomputed_by_a_real_worker(client, celery_worker):
    import datetime as dt
    import time

    from django.core.cache import cache
    from django.utils import timezone

    from providers import selectors

    setup = make_setup()
    client.force_login(setup.user)
    bulk_consents(setup.brand, 5)
    assert client.get(reverse("portal:dashboard")).context["board"].total == 5
    bulk_consents(setup.brand, 7)
    key = selectors._cache_key(setup.provider.pk, [setup.brand.pk])
    numbers = cache.get(key)
    numbers.computed_at = timezone.now() - dt.timedelta(seconds=selectors.FRESH_SECONDS + 5)
    cache.set(key, numbers)
    assert client.get(reverse("portal:dashboard")).context["board"].total == 5  # stale, at once
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if sum(sum(v.values()) for v in cache.get(key).by_channel.values()) == 12:
            break
        time.sleep(0.2)
    assert client.get(reverse("portal:dashboard")).context["board"].total == 12


def _declared(brand, period, n: int) -> None:
    """n declared consents of `period` still under citizen review."""
    import datetime as dt

    from django.utils import timezone

    from consents.models import Consent

    now = timezone.now()
    Consent.objects.bulk_create([
        Consent(
            brand=brand, recipient=f"+90532700{i:04d}", recipient_type="BIREYSEL", channel="MESAJ", status="ONAY",
            source="HS_2015", consent_date=now - dt.timedelta(days=400), created_at=now, updated_at=now,
            transaction_id=f"declared-{period.pk}-{i}", declaration_period=period,
            review_until=now + dt.timedelta(days=20),
        )
        for i in range(n)
    ])
    from consents import counts

    counts.recount(brand_ids=[brand.pk])  # written around the services


def test_tier_count_and_periods_agree_and_the_period_under_review_is_listed(client):
    import datetime as dt

    from django.utils import timezone

    # An operator pinned the tier to LARGE; the count says SMALL; 3 declarations of the SMALL period are
    # still under review: the card says why, and the period table lists that period with its 3.
    setup = make_setup(tier=Tier.LARGE, tier_pinned=True, approved_address_count=1268,
                       tier_counted_at=timezone.now())
    client.force_login(setup.user)
    factories.DeclarationPeriodFactory(tier=Tier.LARGE, name="Büyükler dönemi")
    today = timezone.localdate()
    small = factories.DeclarationPeriodFactory(
        tier=Tier.SMALL, name="Küçükler dönemi", opens_on=today - dt.timedelta(days=60),
        declare_until=today - dt.timedelta(days=10), visible_from=today - dt.timedelta(days=9),
        review_until=today + dt.timedelta(days=20),
    )
    factories.DeclarationPeriodFactory(tier=Tier.SMALL, name="Başka küçük dönem")
    _declared(setup.brand, small, 3)
    response = client.get(reverse("portal:dashboard"))
    board = response.context["board"]
    page = response.content.decode()
    assert "1.268 onaylı adres" in page
    assert "sayıma göre kademeniz Küçük (150.000 ve daha az onaylı adres) olurdu" in page
    assert board.pending_review == 3
    row = page[page.index(f'id="period-{small.pk}"'):]
    row = row[: row.index("</tr>")]
    assert "Küçükler dönemi" in row and ">3</a>" in row and "inceleme süresinde" in row  # one term (issue 13)
    assert sum(r.pending for r in board.periods) == board.pending_review
    assert "Büyükler dönemi" in page and "Başka küçük dönem" not in page


def test_an_unpinned_tier_needs_no_explanation(client):
    from django.utils import timezone

    setup = make_setup(tier=Tier.SMALL, approved_address_count=1268, tier_counted_at=timezone.now())
    client.force_login(setup.user)
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert 'id="tier-pinned"' not in page and "1.268 onaylı adres" in page
