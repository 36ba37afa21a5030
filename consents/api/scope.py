"""Which brand and channel a caller may act on: the one place the API scopes requests.

A provider's API user acts for its own brands; a dealer's only on its brand, as that dealer; an
intermediary's only asks "may I send?" for the brands and channels that authorised it (active
authorisations, read fresh on every request so a revocation takes effect at once).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Literal

from consents.actors import Actor
from consents.models import ApiUserKind
from providers.models import Brand, IntermediaryAuthorization, Retailer

from .auth import Principal
from .errors import IysError, not_yours

Action = Literal["read", "write", "status", "manage"]
_BRAND_TTL = 60.0
_brands: dict[int, tuple[float, tuple[int, int, int] | None]] = {}


@dataclass(frozen=True, slots=True)
class BrandRef:
    id: int
    provider_id: int
    iys_code: int
    brand_code: int


def _brand_by_code(brand_code: int) -> BrandRef | None:
    now = time.monotonic()
    hit = _brands.get(brand_code)
    if hit is None or hit[0] < now:
        row = (
            Brand.objects.filter(brand_code=brand_code, is_active=True, provider__is_active=True)
            .values_list("id", "provider_id", "provider__iys_code")
            .first()
        )
        if len(_brands) > 50_000:
            _brands.clear()
        _brands[brand_code] = hit = (now + _BRAND_TTL, row)
    row = hit[1]
    return None if row is None else BrandRef(row[0], row[1], row[2], brand_code)


def forget_brand(brand_code: int) -> None:
    _brands.pop(brand_code, None)


def resolve(
    principal: Principal,
    iys_code: int,
    brand_code: int,
    *,
    action: Action,
    channel: str | None = None,
    authorise_in_query: bool = False,
) -> BrandRef:
    """The brand the path names, if this caller may perform `action` on it; 403 (H353) otherwise.

    With `authorise_in_query` an intermediary's authorisation for the channel is left to the caller's
    own query (the hot single-status path checks it in the same round trip).
    """
    if principal.kind == ApiUserKind.INTERMEDIARY:
        if action != "status":
            raise IysError.of("H363")
        brand = _brand_by_code(brand_code)
        if brand is None or brand.iys_code != iys_code:
            raise not_yours("brandCode")
        if authorise_in_query:
            return brand
        authorised = IntermediaryAuthorization.objects.filter(
            intermediary_id=principal.intermediary_id, brand_id=brand.id, revoked_at__isnull=True
        )
        if channel is not None:
            authorised = authorised.filter(channel=channel)
        if not authorised.exists():
            raise not_yours("type" if channel else "brandCode")
        return brand
    if principal.iys_code != iys_code:
        raise not_yours("iysCode")
    brand = _brand_by_code(brand_code)
    if brand is None or brand.provider_id != principal.provider_id:
        raise not_yours("brandCode")
    if principal.kind == ApiUserKind.RETAILER:
        if brand.id != principal.retailer_brand_id:
            raise not_yours("brandCode")
        if action == "manage":
            raise IysError.of("H363")
    return brand


def dealer_of(principal: Principal) -> int | None:
    """The dealer (retailer id) a dealer API user acts as; None for everyone else."""
    return principal.retailer_id if principal.kind == ApiUserKind.RETAILER else None


def brand_object(ref: BrandRef) -> Brand:
    return Brand.objects.select_related("provider").get(pk=ref.id)


def actor_for(principal: Principal) -> Actor:
    """Who the history row names: the API user, or the dealer it acts as (with the API user's name)."""
    if principal.kind == ApiUserKind.RETAILER:
        retailer = Retailer.objects.select_related("brand").get(pk=principal.retailer_id)
        return dealer_actor(retailer, principal.username)
    return Actor.api_user(principal.api_user_id, principal.label)


def dealer_actor(retailer: Retailer, username: str) -> Actor:
    actor = Actor.for_retailer(retailer)
    return replace(actor, label=f"{actor.label} / API: {username}"[:255])
