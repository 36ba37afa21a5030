"""Demo consents: a few thousand across channels, sources and statuses, with declarations under review."""
from __future__ import annotations

import datetime as dt

from django.utils import timezone

from config.demo import DemoContext
from providers.models import Tier

from .models import (
    ActorKind,
    Consent,
    ConsentEvent,
    DeclarationPeriod,
    EventAction,
    RecipientType,
    Source,
    Status,
    Via,
    new_transaction_id,
)
from .rules import ISTANBUL
from .selectors import review_deadline

# Addresses the citizens builder signs in with: they hold consents of several brands.
DEMO_PHONE = "+905321112233"
DEMO_EMAIL = "ayse.demir@example.com"
HS_SOURCES = [s for s in Source.values if s.startswith("HS_") and s not in ("HS_2015", "HS_KARAR")]


def build(ctx: DemoContext) -> list[str]:
    rng = ctx.rng
    brands = ctx.objects["brands"]
    retailers = ctx.objects["retailers"]
    now = timezone.now()
    today = timezone.localdate()
    faq_small = DeclarationPeriod.objects.filter(tier=Tier.SMALL).order_by("declare_until").first()
    # A current period, so a newcomer sees declarations under citizen review today.
    current = DeclarationPeriod.objects.create(
        name="2026 demo beyan dönemi (150.000 ve altı)", name_en="2026 demo declaration period (150,000 and under)",
        tier=Tier.SMALL,
        opens_on=today - dt.timedelta(days=60), declare_until=today - dt.timedelta(days=3),
        visible_from=today - dt.timedelta(days=2), review_until=today + dt.timedelta(days=30),
    )
    per_brand = 80 if ctx.small else 700
    consents: list[Consent] = []
    seen: set[tuple] = set()

    def add(brand, recipient, channel, status, source, when, *, rtype=RecipientType.BIREYSEL, period=None, finalized=None, retailer=None) -> None:
        key = (brand.pk, recipient, rtype, channel)
        if key in seen:
            return
        seen.add(key)
        consents.append(Consent(
            brand=brand, recipient=recipient, recipient_type=rtype, channel=channel, status=status, source=source,
            consent_date=when, created_at=when + dt.timedelta(hours=2), updated_at=when + dt.timedelta(hours=2),
            transaction_id=new_transaction_id(), retailer=retailer, declaration_period=period,
            review_until=review_deadline(period) if period else None, finalized_at=finalized,
        ))

    for brand in brands:
        for i in range(per_brand):
            n = rng.randrange(10_000_000)
            channel = rng.choice(["MESAJ", "MESAJ", "ARAMA", "EPOSTA"])
            recipient = f"demo{n}@example.com" if channel == "EPOSTA" else f"+90530{n:07d}"
            when = now - dt.timedelta(days=rng.randrange(1, 500), minutes=rng.randrange(1440))
            status = Status.RET if rng.random() < 0.12 else Status.ONAY
            rtype = RecipientType.TACIR if rng.random() < 0.1 else RecipientType.BIREYSEL
            retailer = next((r for r in retailers if r.brand_id == brand.pk and rng.random() < 0.2), None)
            if rng.random() < 0.15 and faq_small:
                # Declared during the FAQ's 2021 period and finalised after its review date.
                when = dt.datetime(2015, 5, 1, tzinfo=ISTANBUL) if rng.random() < 0.3 else dt.datetime(2019, 3, 1, 10, tzinfo=ISTANBUL)
                source = Source.HS_2015 if when.year == 2015 else rng.choice(HS_SOURCES)
                add(brand, recipient, channel, Status.ONAY, source, when, rtype=rtype, period=faq_small,
                    finalized=review_deadline(faq_small) + dt.timedelta(hours=3))
                continue
            if rng.random() < 0.08:
                add(brand, recipient, channel, Status.ONAY, rng.choice(HS_SOURCES), now - dt.timedelta(days=400),
                    rtype=rtype, period=current)
                continue
            source = rng.choice(HS_SOURCES) if status == Status.ONAY else rng.choice(["IYS_WEB", "IYS_KISAMESAJ", "HS_KARAR", "HS_WEB"])
            add(brand, recipient, channel, status, source, when, rtype=rtype, retailer=retailer)
    # The demo citizen's own addresses across brands: approved, rejected and under review.
    for idx, brand in enumerate(brands):
        add(brand, DEMO_PHONE, "MESAJ", Status.ONAY, Source.HS_WEB, now - dt.timedelta(days=20 + idx))
        add(brand, DEMO_PHONE, "ARAMA", Status.RET if idx % 2 else Status.ONAY, Source.HS_CAGRI_MERKEZI, now - dt.timedelta(days=30 + idx))
        add(brand, DEMO_EMAIL, "EPOSTA", Status.ONAY, Source.HS_EORTAM, now - dt.timedelta(days=400),
            period=current if idx < 3 else None)

    Consent.objects.bulk_create(consents, batch_size=2000)
    stored = list(Consent.objects.filter(brand__in=brands).only(
        "id", "brand_id", "recipient", "recipient_type", "channel", "status", "source", "consent_date",
        "created_at", "transaction_id", "retailer_id", "review_until", "finalized_at",
    ))
    events: list[ConsentEvent] = []
    for c in stored:
        first_status = Status.ONAY
        events.append(_event(c, EventAction.CREATE, None, first_status, c.created_at, c.transaction_id if c.status == Status.ONAY and not c.finalized_at else new_transaction_id(), c.source if c.status == Status.ONAY else Source.HS_WEB))
        if c.status == Status.RET:
            events.append(_event(c, EventAction.CHANGE, Status.ONAY, Status.RET, c.updated_at, c.transaction_id, c.source,
                                 actor=ActorKind.CITIZEN if (c.source or "").startswith("IYS_") else ActorKind.PROVIDER))
        if c.finalized_at:
            events.append(_event(c, EventAction.FINALIZE, Status.ONAY, Status.ONAY, c.finalized_at, c.transaction_id, c.source, actor=ActorKind.SYSTEM))
    # Insert history in time order, as it would have accumulated: feeds page by id.
    events.sort(key=lambda e: e.created_at)
    ConsentEvent.objects.bulk_create(events, batch_size=2000)
    from . import counts
    from .services import provider_refresh_tier

    counts.recount(brand_ids=[b.pk for b in brands])  # written around the services: the totals from the rows

    for provider in ctx.objects["providers"]:
        provider_refresh_tier(provider=provider)  # pinned tiers stay; counts show on the dashboard
    ctx.objects.update(consents_count=len(stored), demo_phone=DEMO_PHONE, demo_email=DEMO_EMAIL, current_period=current)
    return [f"{len(stored)} consents and {len(events)} history rows; a declaration period under citizen review until {current.review_until}."]


def _event(c: Consent, action: str, previous: str | None, status: str, at: dt.datetime, tx: str, source: str | None,
           *, actor: str = ActorKind.PROVIDER) -> ConsentEvent:
    via = {ActorKind.CITIZEN: Via.WEB, ActorKind.SYSTEM: Via.SYSTEM}.get(actor, Via.UPLOAD)
    if actor == ActorKind.PROVIDER and source and source.startswith("IYS_"):
        source = Source.HS_WEB
    return ConsentEvent(
        consent_id=c.pk, brand_id=c.brand_id, recipient=c.recipient, recipient_type=c.recipient_type, channel=c.channel,
        action=action, previous_status=previous, status=status, source=source, consent_date=c.consent_date,
        created_at=at, transaction_id=tx, retailer_id=c.retailer_id, actor_kind=actor,
        actor_label={ActorKind.SYSTEM: "review-finalizer", ActorKind.CITIZEN: "citizen"}.get(actor, "demo upload"),
        via=via, review_until=c.review_until if status == Status.ONAY else None,
    )
