"""Demo citizens: verified addresses holding consents of the demo brands, and how to sign in as them."""
from __future__ import annotations

import datetime as dt

from django.utils import timezone

from config.demo import DemoContext
from consents.actors import Actor
from consents.models import Consent, RecipientType, Source, Via
from consents.services import consent_record
from providers.models import Brand, Provider, Tier

from .models import AddressClaimAction, AddressClaimEvent, Citizen, CitizenAddress

FALLBACK_PHONE = "+905321112233"
FALLBACK_EMAIL = "ayse.demir@example.com"
SECOND_PHONE = "+905334445566"


def _brands(ctx: DemoContext) -> list[Brand]:
    brands = list(ctx.objects.get("brands") or [])
    if brands:
        return brands
    # Running alone (earlier builders missing): make a provider with two brands of our own.
    provider, _ = Provider.objects.get_or_create(
        iys_code=619999, defaults={"name": "Demo Vatandaş Markaları A.Ş.", "tier": Tier.SMALL}
    )
    return [
        Brand.objects.get_or_create(brand_code=709901, defaults={"provider": provider, "name": "Demo Market", "is_master": True})[0],
        Brand.objects.get_or_create(brand_code=709902, defaults={"provider": provider, "name": "Demo Kitap"})[0],
    ]


def _ensure_consents(brands: list[Brand], recipient: str, channels: list[str]) -> None:
    """Fresh provider consents (HS_WEB, today) through the service, for addresses with no record yet."""
    actor = Actor.system("demo")
    for brand in brands:
        for channel in channels:
            if Consent.objects.filter(brand=brand, recipient=recipient, channel=channel).exists():
                continue
            consent_record(
                brand=brand, recipient=recipient, recipient_type=RecipientType.BIREYSEL, channel=channel,
                status="ONAY", source=Source.HS_WEB, consent_date=timezone.now() - dt.timedelta(hours=2),
                actor=actor, via=Via.SYSTEM,
            )


def _citizen(*values: str) -> Citizen:
    owner = CitizenAddress.objects.filter(value=values[0], verified_at__isnull=False, released_at__isnull=True).first()
    if owner is not None:
        return owner.citizen
    citizen = Citizen.objects.create()
    now = timezone.now()
    for value in values:
        kind = "email" if "@" in value else "phone"
        CitizenAddress.objects.create(citizen=citizen, value=value, kind=kind, verified_at=now)
        AddressClaimEvent.objects.create(
            value=value, kind=kind, action=AddressClaimAction.CLAIM, citizen=citizen, reason="demo"
        )
    return citizen


def build(ctx: DemoContext) -> list[str]:
    brands = _brands(ctx)
    phone = ctx.objects.get("demo_phone") or FALLBACK_PHONE
    email = ctx.objects.get("demo_email") or FALLBACK_EMAIL
    if not Consent.objects.filter(recipient=phone).exists():
        _ensure_consents(brands[:3], phone, ["MESAJ", "ARAMA"])
        _ensure_consents(brands[:2], email, ["EPOSTA"])
    first = _citizen(phone, email)
    _ensure_consents(brands[:2], SECOND_PHONE, ["MESAJ"])
    second = _citizen(SECOND_PHONE)
    ctx.objects["citizens"] = [first, second]
    return signin_lines()


def signin_lines() -> list[str]:
    citizens = [
        (a.citizen_id, a.value)
        for a in CitizenAddress.objects.filter(
            value__in=[FALLBACK_PHONE, SECOND_PHONE], verified_at__isnull=False, released_at__isnull=True
        ).order_by("citizen_id")
    ]
    who = "; ".join(f"citizen #{cid}: {value}" for cid, value in citizens) or f"any phone, e.g. {FALLBACK_PHONE}"
    return [
        "Citizen portal: http://127.0.0.1:8000/vatandas/giris/",
        f"  sign in with a demo phone ({who}; the first also owns {FALLBACK_EMAIL})",
        "  the 6-digit code is printed on the runserver console and listed at /vatandas/gelistirici/giden-iletiler/",
    ]
