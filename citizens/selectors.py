"""Reads for the citizen portal. Everything is scoped to the addresses the citizen holds an active claim on."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from consents.models import ActorKind, Consent, ConsentEvent, DeclarationPeriod, RecipientType, Source, Via
from providers.models import Brand, Channel

from .models import Citizen, CitizenAddress


def active_addresses(citizen: Citizen) -> QuerySet[CitizenAddress]:
    return CitizenAddress.objects.filter(citizen=citizen, verified_at__isnull=False, released_at__isnull=True)


def active_address_values(citizen: Citizen) -> list[str]:
    return list(active_addresses(citizen).values_list("value", flat=True))


def _visible(today: dt.date) -> Q:
    # Declared consents stay hidden until their period's visible_from day (SPEC §4).
    return Q(declaration_period__isnull=True) | Q(declaration_period__visible_from__lte=today)


def visible_consents(values: Iterable[str], *, today: dt.date | None = None) -> QuerySet[Consent]:
    today = today or timezone.localdate()
    return Consent.objects.filter(recipient__in=list(values)).filter(_visible(today))


def consents_of_citizen(
    citizen: Citizen, *, values: Sequence[str] | None = None, today: dt.date | None = None, with_history: bool = True
) -> QuerySet[Consent]:
    """The citizen's visible consents with brand, provider and (optionally) history: a fixed number of queries."""
    values = active_address_values(citizen) if values is None else values
    qs = (
        visible_consents(values, today=today)
        .select_related("brand", "brand__provider")
        .order_by("brand__provider__name", "brand__name", "brand_id", "recipient", "channel", "recipient_type")
    )
    if with_history:
        qs = qs.prefetch_related(Prefetch("events", queryset=ConsentEvent.objects.order_by("-id")))
    return qs


@dataclass(frozen=True, slots=True)
class HiddenDeclarations:
    visible_from: dt.date
    count: int


def hidden_declarations(values: Sequence[str], *, today: dt.date | None = None) -> list[HiddenDeclarations]:
    """How many declared consents are not yet visible, by the day they become visible (one query)."""
    today = today or timezone.localdate()
    rows = (
        Consent.objects.filter(recipient__in=list(values), declaration_period__visible_from__gt=today)
        .values("declaration_period__visible_from")
        .annotate(n=Count("id"))
        .order_by("declaration_period__visible_from")
    )
    return [HiddenDeclarations(r["declaration_period__visible_from"], r["n"]) for r in rows]


def upcoming_visibility_dates(*, today: dt.date | None = None) -> list[dt.date]:
    """Days on which pending declaration periods open to citizens (to explain a missing sender)."""
    today = today or timezone.localdate()
    return list(
        DeclarationPeriod.objects.filter(visible_from__gt=today)
        .order_by("visible_from")
        .values_list("visible_from", flat=True)
        .distinct()
    )


@dataclass
class BrandGroup:
    brand: Brand
    consents: list[Consent] = field(default_factory=list)

    @property
    def has_onay(self) -> bool:
        return any(c.status == "ONAY" for c in self.consents)

    @property
    def has_ret(self) -> bool:
        return any(c.status == "RET" for c in self.consents)

    @property
    def ret_count(self) -> int:
        # A brand-wide "approve again" only helps with two or more rejected channels; one has its own switch.
        # A channel counts once: a citizen's rejection is stored for both recipient types (rule 9).
        return len({(c.recipient, c.channel) for c in self.consents if c.status == "RET"})

    @property
    def under_review(self) -> list[Consent]:
        return [c for c in self.consents if c.under_review]


def group_by_brand(consents: Iterable[Consent]) -> list[BrandGroup]:
    """The citizen's records per brand, one row per address and channel where the two recipient types agree.

    A citizen's rejection is stored for BIREYSEL and TACIR alike (rule 9) and re-approving moves both, so a
    TACIR row with the same status as the BIREYSEL row beside it says nothing new: it is not shown twice.
    """
    consents = list(consents)
    bireysel = {
        (c.brand_id, c.recipient, c.channel): c.status for c in consents if c.recipient_type == RecipientType.BIREYSEL
    }
    consents = [
        c
        for c in consents
        if c.recipient_type != RecipientType.TACIR or bireysel.get((c.brand_id, c.recipient, c.channel)) != c.status
    ]
    groups: dict[int, BrandGroup] = {}
    for consent in consents:
        group = groups.get(consent.brand_id)
        if group is None:
            group = groups[consent.brand_id] = BrandGroup(consent.brand)
        group.consents.append(consent)
    return list(groups.values())


def search_brands(query: str, *, limit: int = 20) -> QuerySet[Brand]:
    """Active brands by name, provider name, or brand code."""
    query = (query or "").strip()
    if not query:
        return Brand.objects.none()
    condition = Q(name__icontains=query) | Q(provider__name__icontains=query)
    if query.isdigit():
        condition |= Q(brand_code=int(query))
    return Brand.objects.filter(condition, is_active=True).select_related("provider").order_by("name")[:limit]


def attach_history_and_labels(consents: Sequence[Consent]) -> None:
    """Give each consent `history` (newest first, plain dicts) and display labels, in one query.

    Model.get_FOO_display() hashes every lazy choice label on each call and model instances are costly;
    on a page of 500 consents with their history both dominated the response time, so the history is
    read as values and labels are looked up once per request.
    """
    sources = {value: str(label) for value, label in Source.choices}
    channels = {value: str(label) for value, label in Channel.choices}
    actors = {value: str(label) for value, label in ActorKind.choices}
    vias = {value: str(label) for value, label in Via.choices}
    history: dict[int, list[dict]] = {c.pk: [] for c in consents}
    if history:
        rows = (
            ConsentEvent.objects.filter(consent_id__in=list(history))
            .order_by("-id")
            .values("consent_id", "status", "source", "created_at", "actor_kind", "via")
        )
        for row in rows:
            row["source_label"] = sources.get(row["source"] or "", "")
            row["actor_kind_label"] = actors.get(row["actor_kind"], row["actor_kind"])
            row["via_label"] = vias.get(row["via"], row["via"])
            history[row["consent_id"]].append(row)
    for consent in consents:
        consent.channel_label = channels.get(consent.channel, consent.channel)
        consent.source_label = sources.get(consent.source or "", "")
        consent.history = history[consent.pk]
