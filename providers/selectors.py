"""Reads for the business portal dashboard: a fixed number of small queries, whatever the data size.

Counts, pending reviews and movements per day come from running totals (consents.models.counts:
ConsentCount, MovementCount) that every write path keeps in its own transaction, so computing the numbers
costs the same at ten thousand consents as at a million (bench/portal.py).

The numbers are still cached per provider for a minute and refreshed in the background (see
``dashboard_numbers``); this module only reads (and fills the cache): when the numbers are stale it says so
(``Dashboard.refresh_due``) and the view queues the refresh task.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Case, Count, Q, QuerySet, Sum, Value, When
from django.utils import timezone

from consents.models import ConsentCount, DeclarationPeriod, MovementCount, Status
from consents.rules import ISTANBUL

from .models import (
    Brand,
    Channel,
    IntermediaryAuthorization,
    LinkState,
    Membership,
    Provider,
    Retailer,
    RetailerLinkInvitation,
    Role,
    Tier,
    tier_for_count,
)

CHART_DAYS = 30
REJECTION_DAYS = 7


@dataclass(frozen=True, slots=True)
class PeriodRow:
    period: DeclarationPeriod
    is_open: bool
    is_upcoming: bool
    in_review: bool
    pending: int = 0  # the provider's declared consents of this period still under citizen review
    other_tier: bool = False  # listed because consents of it are under review, not because of today's tier


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
    computed_at: dt.datetime | None = None
    refresh_due: bool = False  # stale numbers: the caller queues a background refresh

    @property
    def counted_tier(self) -> str | None:
        """The tier the last count gives; differs from `provider.tier` only when an operator pinned it."""
        if self.provider.tier_counted_at is None:
            return None
        return tier_for_count(self.provider.approved_address_count)

    @property
    def counted_tier_label(self) -> str:
        return Tier(self.counted_tier).label if self.counted_tier else ""

    @property
    def channel_rows(self) -> list[tuple[str, str, int, int]]:
        return [
            (value, label, self.by_channel[value][Status.ONAY], self.by_channel[value][Status.RET])
            for value, label in Channel.choices
        ]


def periods_for_tier(
    provider: Provider, *, today: dt.date, pending_by_period: dict[int, int] | None = None
) -> list[PeriodRow]:
    """The periods of the provider's (effective) tier, and any other period whose declarations of this
    provider are still under citizen review (declared under an earlier tier), with where today falls."""
    pending_by_period = pending_by_period or {}
    rows = []
    periods = DeclarationPeriod.objects.filter(Q(tier=provider.tier) | Q(pk__in=list(pending_by_period)))
    for period in periods.order_by("declare_until", "tier"):
        opened = period.opens_on is None or period.opens_on <= today
        rows.append(
            PeriodRow(
                period=period,
                is_open=opened and today <= period.declare_until,
                is_upcoming=not opened,
                in_review=period.visible_from <= today <= period.review_until,
                pending=pending_by_period.get(period.pk, 0),
                other_tier=period.tier != provider.tier,
            )
        )
    return rows


@dataclass(slots=True)
class DashboardNumbers:
    """The expensive, cacheable part of the dashboard: plain values only."""

    computed_at: dt.datetime
    by_channel: dict[str, dict[str, int]]
    by_brand: dict[int, dict[str, int]]
    pending_review: int
    rejections_7d: int
    citizen_rejections_7d: int
    days: list[DayMovements]
    pending_by_period: dict[int, int] = field(default_factory=dict)


def compute_dashboard_numbers(*, brand_ids: list[int], now: dt.datetime | None = None) -> DashboardNumbers:
    """Two small reads of the running totals (consents.models.counts), whatever the brands' size.

    Every write path keeps the totals in its own transaction, so these numbers are as current as the rows.
    """
    now = now or timezone.now()
    today = timezone.localtime(now, ISTANBUL).date()

    by_channel: dict[str, dict[str, int]] = {c: {Status.ONAY: 0, Status.RET: 0} for c in Channel.values}
    by_brand: dict[int, dict[str, int]] = {pk: {Status.ONAY: 0, Status.RET: 0} for pk in brand_ids}
    pending_by_period: dict[int, int] = {}
    grouped = (
        ConsentCount.objects.filter(brand_id__in=brand_ids)
        .values_list("brand_id", "channel", "status", "review_period")
        .annotate(total=Sum("n"))
        .order_by()
    )
    for brand_id, channel, status, period, n in grouped:
        by_channel[channel][status] += n
        by_brand[brand_id][status] += n
        if period:  # an ONAY still under citizen review (-1: declared without a period)
            pending_by_period[period] = pending_by_period.get(period, 0) + n
    pending = sum(pending_by_period.values())

    first_day = today - dt.timedelta(days=CHART_DAYS - 1)
    days = {first_day + dt.timedelta(days=i): DayMovements(first_day + dt.timedelta(days=i)) for i in range(CHART_DAYS)}
    rejection_start = today - dt.timedelta(days=REJECTION_DAYS - 1)
    rejections = citizen_rejections = 0
    movements = (
        MovementCount.objects.filter(brand_id__in=brand_ids, day__gte=first_day, day__lte=today)
        .values_list("day", "status", "by_citizen")
        .annotate(total=Sum("n"))
        .order_by()
    )
    for day, status, by_citizen, n in movements:
        bucket = days.get(day)
        if bucket is None:
            continue
        if status == Status.ONAY:
            bucket.approvals += n
        else:
            bucket.rejections += n
            if day >= rejection_start:
                rejections += n
                if by_citizen:
                    citizen_rejections += n
    return DashboardNumbers(
        computed_at=now,
        by_channel=by_channel,
        by_brand=by_brand,
        pending_review=pending,
        rejections_7d=rejections,
        citizen_rejections_7d=citizen_rejections,
        days=list(days.values()),
        pending_by_period={k: v for k, v in pending_by_period.items() if k > 0},
    )


# Counting a million consents and their recent history takes most of a second, so the numbers are
# cached per provider: served as they are for FRESH_SECONDS, then still served while a Celery task
# recomputes them in the background (stale-while-revalidate), and dropped after CACHE_SECONDS.
FRESH_SECONDS = 60
CACHE_SECONDS = 15 * 60
MANUAL_REFRESH_SECONDS = 10


def _cache_key(provider_id: int, brand_ids: list[int]) -> str:
    # The brand set is part of the key, so adding a brand shows at once.
    brands = hashlib.sha1(",".join(map(str, sorted(brand_ids))).encode()).hexdigest()[:12]
    # v2: DashboardNumbers gained pending_by_period; older pickles must not be read back.
    return f"portal:dashboard:v2:{provider_id}:{brands}"


def refresh_dashboard_numbers(*, provider_id: int) -> DashboardNumbers:
    """Recompute and cache a provider's numbers (the background task calls this)."""
    brand_ids = list(Brand.objects.filter(provider_id=provider_id).values_list("id", flat=True))
    numbers = compute_dashboard_numbers(brand_ids=brand_ids)
    cache.set(_cache_key(provider_id, brand_ids), numbers, CACHE_SECONDS)
    return numbers


def dashboard_numbers(
    *, provider: Provider, brand_ids: list[int], refresh: bool = False
) -> tuple[DashboardNumbers, bool]:
    """The provider's numbers, and whether the caller should queue a background refresh (stale, claim won)."""
    key = _cache_key(provider.pk, brand_ids)
    if refresh and not cache.add(f"{key}:manual", 1, MANUAL_REFRESH_SECONDS):
        refresh = False  # someone just asked; the numbers are seconds old
    numbers = None if refresh else cache.get(key)
    refresh_due = False
    if numbers is None:
        numbers = compute_dashboard_numbers(brand_ids=brand_ids)
        cache.set(key, numbers, CACHE_SECONDS)
    elif (timezone.now() - numbers.computed_at).total_seconds() > FRESH_SECONDS and cache.add(
        f"{key}:refreshing", 1, FRESH_SECONDS
    ):
        refresh_due = True
    return numbers, refresh_due


def build_dashboard(
    *, provider: Provider, brands: list[Brand], refresh: bool = False, now: dt.datetime | None = None
) -> Dashboard:
    now = now or timezone.now()
    today = timezone.localtime(now, ISTANBUL).date()
    brand_ids = [b.pk for b in brands]
    numbers, refresh_due = dashboard_numbers(provider=provider, brand_ids=brand_ids, refresh=refresh)
    zero = {Status.ONAY: 0, Status.RET: 0}
    return Dashboard(
        provider=provider,
        periods=periods_for_tier(provider, today=today, pending_by_period=numbers.pending_by_period),
        by_channel=numbers.by_channel,
        by_brand=[
            (b, numbers.by_brand.get(b.pk, zero)[Status.ONAY], numbers.by_brand.get(b.pk, zero)[Status.RET])
            for b in brands
        ],
        total=sum(sum(v.values()) for v in numbers.by_channel.values()),
        pending_review=numbers.pending_review,
        rejections_7d=numbers.rejections_7d,
        citizen_rejections_7d=numbers.citizen_rejections_7d,
        days=numbers.days,
        computed_at=numbers.computed_at,
        refresh_due=refresh_due,
    )


def retailer_counts_by_brand(*, brand_ids: Iterable[int]) -> dict[int, int]:
    return dict(
        Retailer.objects.filter(brand_id__in=list(brand_ids))
        .values("brand_id")
        .annotate(n=Count("id"))
        .values_list("brand_id", "n")
    )


def intermediary_brand_channels(*, intermediary_id: int) -> QuerySet[IntermediaryAuthorization]:
    """The intermediary's live authorisations with their brand and provider, one row per (brand, channel)."""
    return (
        IntermediaryAuthorization.objects.filter(intermediary_id=intermediary_id, revoked_at__isnull=True)
        .select_related("brand", "brand__provider")
        .order_by("brand__brand_code", "channel")
    )


# --- Dealer links across accounts ---------------------------------------------------------------


def dealer_invitations_for(provider: Provider) -> QuerySet[RetailerLinkInvitation]:
    """Invitations this provider received to act as another provider's dealer, pending first, then newest."""
    return (
        RetailerLinkInvitation.objects.filter(provider=provider)
        .select_related("retailer__brand__provider", "requested_by", "decided_by")
        # The ones waiting for an answer first.
        .order_by(Case(When(state=LinkState.PENDING, then=Value(0)), default=Value(1)), "-created_at")
    )


def pending_dealer_invitation_count(provider: Provider) -> int:
    return RetailerLinkInvitation.objects.filter(provider=provider, state=LinkState.PENDING).count()


def pending_links_by_retailer(*, retailer_ids: Iterable[int]) -> dict[int, RetailerLinkInvitation]:
    """The invitation awaiting an answer for each of these dealers (at most one each)."""
    pending = RetailerLinkInvitation.objects.filter(retailer_id__in=list(retailer_ids), state=LinkState.PENDING)
    return {i.retailer_id: i for i in pending.select_related("provider")}


def invitation_deciders(provider: Provider) -> QuerySet[Membership]:
    """Who may answer a provider's dealer invitations (and is told of new ones): its owners and managers."""
    return (
        Membership.objects.filter(provider=provider, role__in=[Role.OWNER, Role.MANAGER], user__is_active=True)
        .exclude(user__email="")
        .select_related("user")
    )
