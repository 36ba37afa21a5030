"""Operators see per period how many consents were declared, rejected during review and finalised."""
from __future__ import annotations

import pytest
from django.urls import reverse

from consents.actors import Actor
from consents.models import Source, Via
from consents.review.finalize import finalize_due_reviews
from consents.services import consent_reject_by_citizen
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
