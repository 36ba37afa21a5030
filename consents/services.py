"""State changes of the consent registry. Every movement: one transaction, a row lock, one history row."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from config import metrics
from providers.models import Brand, Provider, Retailer, tier_for_count

from . import counts
from .actors import Actor
from .errors import ConsentRuleError
from .models import ActorKind, Consent, ConsentEvent, EventAction, RecipientType, Status, new_transaction_id
from .rules import Movement, Origin, Outcome, Stored, check_movement, check_transition
from .selectors import (
    citizen_rejection_in_force,
    dealer_may_use,
    declaration_period_open_for,
    last_closed_period_for,
    period_info,
    provider_approved_address_count,
)


@dataclass(frozen=True, slots=True)
class MovementResult:
    consent: Consent
    event: ConsentEvent | None
    outcome: Outcome

    @property
    def changed(self) -> bool:
        return self.outcome is not Outcome.UNCHANGED


def _origin_of(actor: Actor) -> Origin:
    return Origin.CITIZEN if actor.kind == ActorKind.CITIZEN else Origin.PROVIDER


def _resolve_retailer(*, brand: Brand, actor: Actor, retailer: Retailer | None, retailer_code: Any) -> Retailer | None:
    if actor.kind == ActorKind.RETAILER:
        assert actor.retailer is not None
        # A dealer shares its brand's consents and no other's (FAQ; SPEC §3 rule 10).
        if actor.retailer.brand_id != brand.pk:
            raise ConsentRuleError("ILT003", field="brandCode", value=brand.brand_code)
        return actor.retailer
    if retailer is not None:
        if retailer.brand_id != brand.pk:
            raise ConsentRuleError("H180", field="retailerCode", value=retailer.code)
        return retailer
    if retailer_code in (None, ""):
        return None
    try:
        code = int(str(retailer_code).strip())
    except ValueError:
        raise ConsentRuleError("H180", field="retailerCode", value=retailer_code) from None
    found = Retailer.objects.filter(brand=brand, code=code).first()
    if found is None:
        raise ConsentRuleError("H180", field="retailerCode", value=retailer_code)
    return found


def validate_movement(
    *,
    brand: Brand,
    recipient: Any,
    recipient_type: Any,
    channel: Any,
    status: Any,
    source: Any = None,
    consent_date: Any = None,
    actor: Actor,
    now: dt.datetime | None = None,
    api_formats: bool = False,
) -> Movement:
    """The static half of the rules for one movement, with the brand's declaration period looked up.

    `now` is the moment the movement is judged at (dates, the three business days, the open period).
    """
    now = now or timezone.now()
    origin = _origin_of(actor)
    period = deadline = None
    if origin is Origin.PROVIDER:
        open_period = declaration_period_open_for(brand.provider, on=timezone.localtime(now).date())
        period = period_info(open_period)
        if open_period is None:
            closed = last_closed_period_for(brand.provider, on=timezone.localtime(now).date())
            deadline = closed.declare_until if closed else None
    return check_movement(
        recipient=recipient,
        recipient_type=recipient_type,
        channel=channel,
        status=status,
        source=source,
        consent_date=consent_date,
        origin=origin,
        now=now,
        open_period=period,
        period_deadline=deadline,
        api_formats=api_formats,
    )


def consent_record(
    *,
    brand: Brand,
    recipient: Any,
    recipient_type: Any,
    channel: Any,
    status: Any,
    source: Any = None,
    consent_date: Any = None,
    retailer: Retailer | None = None,
    retailer_code: Any = None,
    actor: Actor,
    via: str,
    allow_unchanged: bool = False,
    evidence_note: str = "",
    require_override_evidence: bool = False,
    now: dt.datetime | None = None,
    judged_at: dt.datetime | None = None,
    api_formats: bool = False,
) -> MovementResult:
    """Record one movement of a consent (a first record, or a status change).

    Raises ConsentRuleError with the İYS code when a rule refuses it. A movement that would not
    change anything raises H174, unless `allow_unchanged` (bulk paths report it as unchanged).

    A provider's ONAY over the recipient's own RET is marked on its history row
    (`overrides_citizen_rejection`) whatever the path; with `require_override_evidence` (the portal,
    where a person can write one) it is refused with ILT005 unless `evidence_note` says what proves
    the recipient consented again. İYS's API and upload format have no such field: they are marked only.
    `judged_at`: the moment the rules judge the movement at when it is not the moment it is recorded
    (an API batch item is judged at its request's time, recorded when the task reaches it).
    `api_formats`: İYS's exact formats only (the API): consentDate 'yyyy-mm-dd hh:mm:ss', E.164 phones.
    """
    now = now or timezone.now()
    movement = validate_movement(
        brand=brand,
        recipient=recipient,
        recipient_type=recipient_type,
        channel=channel,
        status=status,
        source=source,
        consent_date=consent_date,
        actor=actor,
        now=judged_at or now,
        api_formats=api_formats,
    )
    resolved_retailer = _resolve_retailer(brand=brand, actor=actor, retailer=retailer, retailer_code=retailer_code)
    origin = _origin_of(actor)
    for attempt in range(2):
        try:
            return _apply(
                brand=brand,
                movement=movement,
                retailer=resolved_retailer,
                actor=actor,
                via=via,
                origin=origin,
                now=now,
                allow_unchanged=allow_unchanged,
                evidence_note=(evidence_note or "").strip(),
                require_override_evidence=require_override_evidence,
            )
        except IntegrityError:
            # Two first records of the same key raced; the loser retries against the winner's row.
            if attempt:
                raise
    raise AssertionError("unreachable")


@transaction.atomic
def _apply(
    *,
    brand: Brand,
    movement: Movement,
    retailer: Retailer | None,
    actor: Actor,
    via: str,
    origin: Origin,
    now: dt.datetime,
    allow_unchanged: bool,
    evidence_note: str = "",
    require_override_evidence: bool = False,
) -> MovementResult:
    current = (
        Consent.objects.select_for_update()
        .filter(
            brand=brand,
            recipient=movement.recipient,
            recipient_type=movement.recipient_type,
            channel=movement.channel,
        )
        .first()
    )
    if current is not None and actor.kind == ActorKind.RETAILER and not dealer_may_use(current, actor.retailer.pk):
        # İYS dealer consent management: a dealer changes only what its brand opened to it or it recorded.
        raise ConsentRuleError("ILT006", field="recipient", value=movement.recipient)
    stored = None if current is None else Stored(current.status, current.consent_date)
    outcome = check_transition(stored, movement, origin=origin)
    if outcome is Outcome.UNCHANGED:
        if not allow_unchanged:
            raise ConsentRuleError("H174", field="status", value=movement.status, status=current.status)
        return MovementResult(current, None, outcome)

    overrides = False
    if current is not None and origin is Origin.PROVIDER and movement.status == Status.ONAY:
        rejection = citizen_rejection_in_force(current.pk)
        overrides = rejection is not None
        if overrides and require_override_evidence and not evidence_note:
            raise ConsentRuleError(
                "ILT005", field="evidenceNote", value="",
                rejected_at=timezone.localtime(rejection.created_at).strftime("%d.%m.%Y %H:%M"),
            )

    consent_date = movement.consent_date or now
    transaction_id = new_transaction_id()
    previous_status = None
    old_key = None if current is None else counts.consent_key(current)
    if current is None:
        with transaction.atomic():  # savepoint: a racing insert raises IntegrityError here
            current = Consent.objects.create(
                brand=brand,
                recipient=movement.recipient,
                recipient_type=movement.recipient_type,
                channel=movement.channel,
                status=movement.status,
                source=movement.source,
                consent_date=consent_date,
                created_at=now,
                updated_at=now,
                transaction_id=transaction_id,
                retailer=retailer,
                declaration_period_id=movement.declaration_period_id,
                review_until=movement.review_until,
            )
    else:
        previous_status = current.status
        current.status = movement.status
        current.source = movement.source
        current.consent_date = consent_date
        current.updated_at = now
        current.transaction_id = transaction_id
        # A dealer's movement never takes a consent away from the dealer that collected it (its own event
        # row names it); the brand itself may name the collecting dealer.
        if retailer is not None and (current.retailer_id is None or actor.kind != ActorKind.RETAILER):
            current.retailer = retailer
        if movement.status == Status.ONAY:
            # A fresh consent replaces any earlier declaration; a new declaration opens a new review.
            current.declaration_period_id = movement.declaration_period_id
            current.review_until = movement.review_until
            current.finalized_at = None
        # A rejection keeps the declaration fields: operators count "rejected during review" from them.
        current.save(
            update_fields=[
                "status", "source", "consent_date", "updated_at", "transaction_id", "retailer",
                "declaration_period", "review_until", "finalized_at",
            ]
        )
    event = ConsentEvent.objects.create(
        consent=current,
        brand=brand,
        recipient=current.recipient,
        recipient_type=current.recipient_type,
        channel=current.channel,
        action=EventAction.CREATE if previous_status is None else EventAction.CHANGE,
        previous_status=previous_status,
        status=current.status,
        source=current.source,
        consent_date=consent_date,
        created_at=now,
        transaction_id=transaction_id,
        retailer=retailer,
        actor_kind=actor.kind,
        actor_user=actor.user if actor.user is not None and actor.user.pk else None,
        actor_ref=actor.ref[:64],
        actor_label=actor.label[:255],
        via=via,
        late_report=movement.late_report,
        review_until=movement.review_until if movement.status == Status.ONAY else None,
        overrides_citizen_rejection=overrides,
        evidence_note=evidence_note if movement.status == Status.ONAY else "",
    )
    # The dashboard's totals, in this transaction: the key the row had, the key it has now, one movement.
    changes = {counts.consent_key(current): 1}
    if old_key is not None:
        changes[old_key] = changes.get(old_key, 0) - 1
    counts.add(changes, {(brand.pk, counts.day_of(now), current.status, actor.kind == ActorKind.CITIZEN): 1})
    if event.status == Status.RET and origin is Origin.PROVIDER:
        # A business recording a RET; counted once committed (/metrics). A citizen's own rejection is one
        # rejection whatever rows it writes: consent_reject_by_citizen counts it.
        transaction.on_commit(partial(metrics.count_rejection, origin=origin.value, via=via))
    return MovementResult(current, event, Outcome.CREATE if previous_status is None else Outcome.CHANGE)


# Every recipient type a citizen's rejection covers, in the order the rows are locked (one order
# everywhere, so two rejections of the same address never wait on each other crosswise).
CITIZEN_REJECTION_TYPES: tuple[str, ...] = (RecipientType.BIREYSEL, RecipientType.TACIR)


@transaction.atomic
def consent_reject_by_citizen(
    *,
    brand: Brand,
    recipient: str,
    channel: str,
    source: str,
    actor: Actor,
    via: str,
    now: dt.datetime | None = None,
) -> list[MovementResult]:
    """A citizen's own RET of (brand, address, channel): at once, never refused for lateness, idempotent.

    It holds for every recipient type (rule 9): a RET is stored for BIREYSEL and for TACIR, created
    where the brand had no record. The citizen rejects the brand on that address, not one of the ways
    the brand files it, so a brand asking as TACIR (opt-out: "no record" would mean "may send") or
    writing a TACIR first record without date and source meets the stored RET. Lifting it takes a
    provider's fresh consent dated after it, per type (H178; a TACIR update needs both, H462/H463).
    One result per type, BIREYSEL first.
    """
    now = now or timezone.now()
    results = [
        consent_record(
            brand=brand,
            recipient=recipient,
            recipient_type=recipient_type,
            channel=channel,
            status=Status.RET,
            source=source,
            actor=actor,
            via=via,
            allow_unchanged=True,
            now=now,
        )
        for recipient_type in CITIZEN_REJECTION_TYPES
    ]
    if any(result.changed for result in results):
        transaction.on_commit(partial(metrics.count_rejection, origin=Origin.CITIZEN.value, via=via))
    return results


def consent_approve_by_citizen(
    *,
    brand: Brand,
    recipient: str,
    channel: str,
    recipient_type: str = RecipientType.BIREYSEL,
    source: str,
    actor: Actor,
    via: str,
) -> MovementResult:
    """A citizen re-approves a brand/channel, or adds a brand that has no record (IYS_WEB_YENI)."""
    return consent_record(
        brand=brand,
        recipient=recipient,
        recipient_type=recipient_type,
        channel=channel,
        status=Status.ONAY,
        source=source,
        actor=actor,
        via=via,
        allow_unchanged=True,
    )


def provider_refresh_tier(*, provider: Provider, now: dt.datetime | None = None) -> Provider:
    """Recount approved addresses; move the tier unless an operator pinned it."""
    count = provider_approved_address_count(provider)
    now = now or timezone.now()
    with transaction.atomic():
        locked = Provider.objects.select_for_update().get(pk=provider.pk)
        locked.approved_address_count = count
        locked.tier_counted_at = now
        fields = ["approved_address_count", "tier_counted_at"]
        if not locked.tier_pinned:
            new_tier = tier_for_count(count)
            if new_tier != locked.tier:
                locked.tier = new_tier
                fields.append("tier")
        locked.save(update_fields=fields)
    return locked
