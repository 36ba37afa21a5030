"""Which dealers of a brand may see which of its consents (İYS's "bayi izin erişimi").

Writes are set-based (one INSERT … ON CONFLICT DO NOTHING or one DELETE per call) and each leaves a
provider audit row naming the actor; reads return querysets scoped to one brand.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from django.db import transaction
from django.db.models import Count, QuerySet

from providers.models import Retailer
from providers.services import provider_audit

from .models import Consent, RetailerAccess


def brand_retailer_ids(*, brand_id: int, codes: Iterable[int]) -> dict[int, int]:
    """The brand's dealers among the given codes: {code: id}."""
    return dict(Retailer.objects.filter(brand_id=brand_id, code__in=list(codes)).values_list("code", "id"))


def brand_consent_id(*, brand_id: int, recipient: str, recipient_type: str, channel: str) -> int | None:
    return (
        Consent.objects.filter(brand_id=brand_id, recipient=recipient, recipient_type=recipient_type, channel=channel)
        .values_list("id", flat=True)
        .first()
    )


def brand_consent_ids(*, brand_id: int, recipients: Collection[str], recipient_type: str, channel: str) -> list[int]:
    """Ids of the brand's consents for the given (normalised) recipients, type and channel."""
    return list(
        Consent.objects.filter(
            brand_id=brand_id, recipient__in=list(recipients), recipient_type=recipient_type, channel=channel
        ).values_list("id", flat=True)
    )


def retailers_with_access(*, brand_id: int, recipient: str, recipient_type: str, channel: str) -> QuerySet[Retailer]:
    return Retailer.objects.filter(
        consent_accesses__consent__brand_id=brand_id,
        consent_accesses__consent__recipient=recipient,
        consent_accesses__consent__recipient_type=recipient_type,
        consent_accesses__consent__channel=channel,
    ).order_by("code")


def brand_retailers_with_access_counts(*, brand_id: int) -> QuerySet[Retailer]:
    return Retailer.objects.filter(brand_id=brand_id).annotate(access_count=Count("consent_accesses")).order_by("code")


def retailer_access_count(*, retailer: Retailer) -> int:
    return RetailerAccess.objects.filter(retailer=retailer).count()


@transaction.atomic
def retailer_access_grant(
    *, provider_id: int, consent_ids: Collection[int], retailers: Mapping[int, int], actor_label: str, target: str
) -> None:
    """Give the dealers ({code: id}) access to the consents (already granted pairs stay as they are)."""
    RetailerAccess.objects.bulk_create(
        [RetailerAccess(consent_id=c, retailer_id=r) for c in consent_ids for r in retailers.values()],
        ignore_conflicts=True,
    )
    provider_audit(
        provider=provider_id, user=None, actor_label=actor_label, action="api.retailer_access.add",
        target=target, detail={"retailers": sorted(retailers)},
    )


@transaction.atomic
def retailer_access_replace(
    *, provider_id: int, consent_ids: Collection[int], retailers: Mapping[int, int], actor_label: str
) -> None:
    """The given dealers ({code: id}), and only they, have access to the consents."""
    RetailerAccess.objects.filter(consent_id__in=consent_ids).exclude(retailer_id__in=retailers.values()).delete()
    RetailerAccess.objects.bulk_create(
        [RetailerAccess(consent_id=c, retailer_id=r) for c in consent_ids for r in retailers.values()],
        ignore_conflicts=True,
    )
    provider_audit(
        provider=provider_id, user=None, actor_label=actor_label, action="api.retailer_access.override",
        target=f"{len(consent_ids)} izin", detail={"retailers": sorted(retailers)},
    )


@transaction.atomic
def retailer_access_revoke(
    *, provider_id: int, consent_ids: Collection[int], retailers: Mapping[int, int] | None, actor_label: str
) -> int:
    """Take the dealers' ({code: id}) access to the consents away (every dealer's when `retailers` is None)."""
    grants = RetailerAccess.objects.filter(consent_id__in=consent_ids)
    if retailers is not None:
        grants = grants.filter(retailer_id__in=retailers.values())
    removed, _ = grants.delete()
    detail: dict[str, object] = {"removed": removed}
    if retailers is not None:
        detail["retailers"] = sorted(retailers)
    provider_audit(
        provider=provider_id, user=None, actor_label=actor_label,
        action="api.retailer_access.remove" if retailers is not None else "api.retailer_access.remove_all",
        target=f"{len(consent_ids)} izin", detail=detail,
    )
    return removed
