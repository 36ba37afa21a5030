"""Builders for review/finalisation tests: declared consents made the way providers make them, or in bulk."""
from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils import timezone

from consents.models import DeclarationPeriod, Via
from consents.selectors import review_deadline
from consents.services import consent_record
from tests import factories


def past_period(*, tier: str = "SMALL", review_days_ago: int = 3) -> DeclarationPeriod:
    """A period whose review ended `review_days_ago` days ago (declarations were accepted 60 days earlier)."""
    today = timezone.localdate()
    review_until = today - dt.timedelta(days=review_days_ago)
    return factories.DeclarationPeriodFactory(
        tier=tier,
        opens_on=review_until - dt.timedelta(days=90),
        declare_until=review_until - dt.timedelta(days=45),
        visible_from=review_until - dt.timedelta(days=44),
        review_until=review_until,
    )


def future_period(*, tier: str = "SMALL") -> DeclarationPeriod:
    """A period that closed for declarations but whose review runs for another 20 days."""
    today = timezone.localdate()
    return factories.DeclarationPeriodFactory(
        tier=tier,
        opens_on=today - dt.timedelta(days=60),
        declare_until=today - dt.timedelta(days=10),
        visible_from=today - dt.timedelta(days=9),
        review_until=today + dt.timedelta(days=20),
    )


def declare(*, brand, period: DeclarationPeriod, recipient: str, actor, channel: str = "MESAJ"):
    """Declare an HS_2015 consent the way a provider does, on a day inside the period."""
    moment = timezone.make_aware(dt.datetime.combine(period.declare_until, dt.time(12, 0)))
    return consent_record(
        brand=brand, recipient=recipient, recipient_type="BIREYSEL", channel=channel, status="ONAY",
        source="HS_2015", consent_date="2015-05-01 00:00:00", actor=actor, via=Via.WEB, now=moment,
    )


def bulk_declared(*, brand, period: DeclarationPeriod, count: int, start: int = 0) -> None:
    """`count` declared ONAY consents of the period, inserted set-based (phones +90530…)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO consents_consent (brand_id, recipient, recipient_type, channel, status, source,
                consent_date, created_at, updated_at, transaction_id, declaration_period_id, review_until)
            SELECT %(brand)s, '+90530' || lpad(g::text, 7, '0'), 'BIREYSEL', 'MESAJ', 'ONAY', 'HS_2015',
                   '2015-05-01 00:00:00+03', now(), now(), md5(g::text || random()::text), %(period)s, %(until)s
            FROM generate_series(%(start)s + 1, %(start)s + %(count)s) AS g
            """,
            {"brand": brand.pk, "period": period.pk, "until": review_deadline(period), "start": start,
             "count": count},
        )


def make_citizen(*values: str, verified: bool = True):
    """A citizen owning the given addresses (phones start with '+', e-mails contain '@')."""
    from citizens.models import AddressKind, Citizen, CitizenAddress

    citizen = Citizen.objects.create()
    for value in values:
        CitizenAddress.objects.create(
            citizen=citizen, value=value, kind=AddressKind.EMAIL if "@" in value else AddressKind.PHONE,
            verified_at=timezone.now() if verified else None,
        )
    return citizen


def visible_period(*, tier: str = "SMALL", review_in_days: int = 20) -> DeclarationPeriod:
    """A period citizens can see since yesterday; the review ends in `review_in_days` days."""
    today = timezone.localdate()
    return factories.DeclarationPeriodFactory(
        tier=tier,
        opens_on=today - dt.timedelta(days=60),
        declare_until=today - dt.timedelta(days=2),
        visible_from=today - dt.timedelta(days=1),
        review_until=today + dt.timedelta(days=review_in_days),
    )
