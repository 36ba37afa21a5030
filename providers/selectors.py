"""Reads for the business portal dashboard: a fixed number of aggregate queries, whatever the data size.

Counts come from one GROUP BY over ``consent_dashboard_idx`` (brand, channel, status); movements
over time from one GROUP BY over the recent slice of ``event_change_feed_idx`` (brand, id).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from consents.models import ActorKind, Consent, ConsentEvent, DeclarationPeriod, Status
from consents.rules import ISTANBUL

from .models import Brand, Channel, Provider

CHART_DAYS = 30
REJECTION_DAYS = 7


@dataclass(frozen=True, slots=True)
class PeriodRow:
    period: DeclarationPeriod
    is_open: bool
    is_upcoming: bool
    in_review: bool


@dataclass(slots=True)
class DayMovements:
    day: dt.date
    approvals: int = 0
    rejections: int = 0

    @property
    def total(self) -> int:
        return self.approvals + self.rejections


@dataclass(slots=True)
class Dashboard:
    provider: Provider
    periods: list[PeriodRow]
    by_channel: dict[str, dict[str, int]]
    by_brand: list[tuple[Brand, int, int]]  # brand, ONAY, RET
    total: int
    pending_review: int
    rejections_7d: int
    citizen_rejections_7d: int
    days: list[DayMovements] = field(default_factory=list)

    @property
    def channel_rows(self) -> list[tuple[str, str, int, int]]:
        return [
            (value, label, self.by_channel[value][Status.ONAY], self.by_channel[value][Status.RET])
            for value, label in Channel.choices
        ]


def periods_for_tier(provider: Provider, *, today: dt.date) -> list[PeriodRow]:
    """The declaration periods of the provider's (effective) tier, with where today falls in them."""
    rows = []
    for period in DeclarationPeriod.objects.filter(tier=provider.tier).order_by("declare_until"):
        opened = period.opens_on is None or period.opens_on <= today
        rows.append(
            PeriodRow(
                period=period,
                is_open=opened and today <= period.declare_until,
                is_upcoming=not opened,
                in_review=period.visible_from <= today <= period.review_until,
            )
        )
    return rows


def recent_event_floor(since: dt.datetime) -> int:
    """A lower bound on the ids of events created since `since`.

    ConsentEvent has no created_at index (inserts are the hot path), but ids grow with time, so the
    newest event older than `since` is found by walking the primary key backwards over the recent
    slice only; everything newer has a larger id. Movements of a long bulk upload that started before
    `since` carry that start time and are filtered out again by created_at.
    """
    row = (
        ConsentEvent.objects.filter(created_at__lt=since)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    return row or 0


def build_dashboard(*, provider: Provider, brands: list[Brand], now: dt.datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    today = timezone.localtime(now, ISTANBUL).date()
    brand_ids = [b.pk for b in brands]

    by_channel: dict[str, dict[str, int]] = {c: {Status.ONAY: 0, Status.RET: 0} for c in Channel.values}
    by_brand_counts: dict[int, dict[str, int]] = {pk: {Status.ONAY: 0, Status.RET: 0} for pk in brand_ids}
    pending = 0
    grouped = (
        Consent.objects.filter(brand_id__in=brand_ids)
        .values_list("brand_id", "channel", "status")
        .annotate(
            n=Count("id"),
            pending=Count(
                "id", filter=Q(status=Status.ONAY, review_until__isnull=False, finalized_at__isnull=True)
            ),
        )
        .order_by()
    )
    for brand_id, channel, status, n, pending_n in grouped:
        by_channel[channel][status] += n
        by_brand_counts[brand_id][status] += n
        pending += pending_n

    first_day = today - dt.timedelta(days=CHART_DAYS - 1)
    since = dt.datetime.combine(first_day, dt.time(), tzinfo=ISTANBUL)
    days = {first_day + dt.timedelta(days=i): DayMovements(first_day + dt.timedelta(days=i)) for i in range(CHART_DAYS)}
    rejection_start = today - dt.timedelta(days=REJECTION_DAYS - 1)
    rejections = citizen_rejections = 0
    if brand_ids:
        movements = (
            ConsentEvent.objects.filter(
                brand_id__in=brand_ids, id__gt=recent_event_floor(since), created_at__gte=since
            )
            .annotate(day=TruncDate("created_at", tzinfo=ISTANBUL))
            .values_list("day", "status")
            .annotate(n=Count("id"), by_citizen=Count("id", filter=Q(actor_kind=ActorKind.CITIZEN)))
            .order_by()
        )
        for day, status, n, by_citizen in movements:
            bucket = days.get(day)
            if bucket is None:
                continue
            if status == Status.ONAY:
                bucket.approvals += n
            else:
                bucket.rejections += n
                if day >= rejection_start:
                    rejections += n
                    citizen_rejections += by_citizen

    return Dashboard(
        provider=provider,
        periods=periods_for_tier(provider, today=today),
        by_channel=by_channel,
        by_brand=[(b, by_brand_counts[b.pk][Status.ONAY], by_brand_counts[b.pk][Status.RET]) for b in brands],
        total=sum(sum(v.values()) for v in by_channel.values()),
        pending_review=pending,
        rejections_7d=rejections,
        citizen_rejections_7d=citizen_rejections,
        days=list(days.values()),
    )
