"""Operators see per period how many consents were declared, rejected during review and finalised."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from consents.actors import Actor
from consents.models import DeclarationPeriod, Source, Via
from consents.review.finalize import finalize_due_reviews
from consents.services import consent_reject_by_citizen
from providers.models import Tier
from tests import factories
from tests.consents.review.support import bulk_declared, declare, past_period


@pytest.mark.django_db
def test_period_changelist_counts_in_one_query(client, brand, provider_actor, django_assert_max_num_queries):
    period = past_period()
    bulk_declared(brand=brand, period=period, count=5)
    declare(brand=brand, period=period, recipient="+905309990001", actor=provider_actor)
    consent_reject_by_citizen(
        brand=brand, recipient="+905309990001", channel="MESAJ", source=Source.IYS_WEB,
        actor=Actor.citizen(None, "v"), via=Via.WEB,
    )
    finalize_due_reviews()
    for _ in range(5):
        past_period()  # more periods must not mean more queries
    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))

    with django_assert_max_num_queries(8):
        response = client.get(reverse("admin:consents_declarationperiod_changelist"))

    assert response.status_code == 200
    row = next(r for r in response.context["cl"].result_list if r.pk == period.pk)
    assert (row.n_declared, row.n_rejected, row.n_finalized, row.n_in_review) == (6, 1, 5, 0)
    assert "ncelemede reddedilen" in response.content.decode()  # the column header (capitalised)


@pytest.mark.django_db
def test_notification_log_is_browsable(client):
    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    assert client.get(reverse("admin:consents_reviewnotification_changelist")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["tr", "en"])
def test_calendar_bars_are_drawn_with_decimal_points_in_every_language(client, settings, language):
    """Turkish writes 2,67 — which CSS ignores, so the calendar drew nothing in Turkish."""
    # 300 days from the first opening to the last review: every bar edge falls on a fractional percent.
    start = dt.date(2026, 1, 1)
    DeclarationPeriod.objects.all().delete()  # the FAQ's periods (data migration) would widen the axis
    DeclarationPeriod.objects.create(
        name="Takvim", tier=Tier.SMALL, opens_on=start, declare_until=start + dt.timedelta(days=7),
        visible_from=start + dt.timedelta(days=8), review_until=start + dt.timedelta(days=300),
    )
    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    page = client.get(reverse("admin:consents_declarationperiod_changelist")).content.decode()

    # SVG rectangles on a 0-100 axis (no inline style: the Content-Security-Policy forbids it).
    bars = {
        name: (x, width)
        for name, x, width in re.findall(r'<rect class="bar-(declare|wait|review)" x="([^"]*)" y="0" width="([^"]*)"', page)
    }
    assert bars == {
        "declare": ("0", "2.33"),  # 7 of 300 days
        "wait": ("2.33", "0.34"),  # 1 day (kept visible at its computed 0.34%)
        "review": ("2.67", "97.33"),  # 292 days
    }
