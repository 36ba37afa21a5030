"""The acting provider of a portal request, and the scoping helpers every portal view uses.

A user may belong to several providers; the session key ``provider_id`` selects the one they act
for (default: their first membership). Everything a portal view reads or changes goes through the
helpers below, so another provider's object is always a 404 (never a 403 that confirms it exists).

A provider may also be the dealer/agency of another provider's brand (a Retailer whose
``linked_provider`` is this provider, set when its owner or manager accepted the brand's invitation).
Its staff then see that one brand, and act on it as the retailer: see ``BrandAccess``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from consents.actors import Actor

from .models import Brand, Membership, Provider, Retailer
from .selectors import pending_dealer_invitation_count

PROVIDER_SESSION_KEY = "provider_id"

Capability = str  # "can_write_consents" | "can_manage_brands" | "can_manage_api_keys"
CAPABILITIES: dict[str, Any] = {
    "can_write_consents": gettext_lazy("İzin ekleme ve dosya yükleme"),
    "can_manage_brands": gettext_lazy("Marka, bayi ve aracı yönetimi"),
    "can_manage_api_keys": gettext_lazy("API kullanıcıları yönetimi"),
}


def memberships_of(user: Any) -> list[Membership]:
    """All memberships of a user with their providers, in one query, active providers only."""
    return list(
        Membership.objects.filter(user=user, provider__is_active=True)
        .select_related("provider")
        .order_by("provider__name", "provider_id")
    )


def resolve_membership(request: HttpRequest) -> Membership | None:
    """The membership the request acts under: the session's choice, else the first one."""
    memberships = memberships_of(request.user)
    request.memberships = memberships  # the switcher in the portal header lists them
    if not memberships:
        return None
    wanted = request.session.get(PROVIDER_SESSION_KEY)
    for membership in memberships:
        if membership.provider_id == wanted:
            return membership
    return memberships[0]


def select_provider(request: HttpRequest, provider_id: Any) -> Membership | None:
    """Switch the acting provider; None (and no change) if the user is not a member of it."""
    try:
        wanted = int(provider_id)
    except (TypeError, ValueError):
        return None
    for membership in memberships_of(request.user):
        if membership.provider_id == wanted:
            request.session[PROVIDER_SESSION_KEY] = wanted
            return membership
    return None


def forbidden(request: HttpRequest, capability: str) -> HttpResponse:
    return render(
        request,
        "portal/forbidden.html",
        {
            "capability_label": CAPABILITIES.get(capability, capability),
            "role_label": request.membership.get_role_display(),
        },
        status=403,
    )


def _enter(request: HttpRequest, capability: Capability | None) -> HttpResponse | None:
    membership = resolve_membership(request)
    if membership is None:
        raise Http404(_("Bu kullanıcı hiçbir hizmet sağlayıcıya bağlı değil."))
    request.membership = membership
    request.provider = membership.provider
    if capability is not None and not getattr(membership, capability):
        return forbidden(request, capability)
    return None


def provider_required(capability: Capability | None = None) -> Callable:
    """Require a signed-in member of a provider; optionally a role capability (403 page otherwise).

    Sets ``request.membership``, ``request.provider`` and ``request.memberships``.
    """
    if capability is not None and capability not in CAPABILITIES:
        raise ValueError(f"unknown capability {capability!r}")

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        @login_required
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            refused = _enter(request, capability)
            if refused is not None:
                return refused
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class ProviderRequiredMixin(LoginRequiredMixin):
    """The class-based twin of ``provider_required``; set ``capability`` on the view."""

    capability: Capability | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        refused = _enter(request, self.capability)
        if refused is not None:
            return refused
        return super().dispatch(request, *args, **kwargs)


def portal_notices(request: HttpRequest) -> dict[str, Any]:
    """Template context: the acting provider's dealer invitations awaiting an answer (the portal's notice).

    A callable, so only pages that show it (the portal frame) pay for the count query.
    """
    provider = getattr(request, "provider", None)
    if provider is None:
        return {}
    return {"pending_dealer_invitations": lambda: pending_dealer_invitation_count(provider)}


# --- Scoping ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BrandAccess:
    """A brand the acting provider may see: its own, or one it serves as dealer (``retailer`` set)."""

    brand: Brand
    retailer: Retailer | None = None

    @property
    def as_dealer(self) -> bool:
        return self.retailer is not None


def own_brands(provider: Provider) -> Any:
    """The acting provider's own brands (the ones it may manage)."""
    return Brand.objects.filter(provider=provider)


def dealer_retailers(provider: Provider) -> Any:
    """Retailer records of other providers' brands that this provider's account acts as."""
    return (
        Retailer.objects.filter(linked_provider=provider)
        .exclude(brand__provider=provider)
        .select_related("brand", "brand__provider")
        .order_by("brand__name", "code")
    )


def brand_accesses(request: HttpRequest) -> list[BrandAccess]:
    """Every brand visible to the acting provider (own first, then as dealer); two queries, cached."""
    cached = getattr(request, "_brand_accesses", None)
    if cached is not None:
        return cached
    accesses = [BrandAccess(b) for b in own_brands(request.provider).order_by("-is_master", "name")]
    seen = {a.brand.pk for a in accesses}
    for retailer in dealer_retailers(request.provider):
        if retailer.brand_id not in seen:  # one dealer record per brand is enough to act on it
            seen.add(retailer.brand_id)
            accesses.append(BrandAccess(retailer.brand, retailer))
    request._brand_accesses = accesses
    return accesses


def visible_brand_ids(request: HttpRequest) -> list[int]:
    return [a.brand.pk for a in brand_accesses(request)]


def get_brand_or_404(request: HttpRequest, brand_code: Any) -> Brand:
    """One of the acting provider's OWN brands (for management pages); anything else is a 404."""
    try:
        code = int(brand_code)
    except (TypeError, ValueError):
        raise Http404 from None
    brand = own_brands(request.provider).filter(brand_code=code).first()
    if brand is None:
        raise Http404
    return brand


def get_brand_access_or_404(request: HttpRequest, brand_code: Any) -> BrandAccess:
    """An own brand, or a brand the provider serves as dealer (for consent pages)."""
    try:
        code = int(brand_code)
    except (TypeError, ValueError):
        raise Http404 from None
    for access in brand_accesses(request):
        if access.brand.brand_code == code:
            return access
    raise Http404


def access_for_brand_id(request: HttpRequest, brand_id: int) -> BrandAccess:
    for access in brand_accesses(request):
        if access.brand.pk == brand_id:
            return access
    raise Http404


def actor_for(request: HttpRequest, access: BrandAccess) -> Actor:
    """Who a portal user is when moving a consent of this brand: the provider, or its dealer."""
    if access.retailer is not None:
        return Actor.for_retailer(access.retailer, user=request.user)
    return Actor.provider_user(request.user)
