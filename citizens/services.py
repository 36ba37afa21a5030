"""Citizen portal state changes: sign-in, address claims, and the citizen's own consent movements.

Every consent movement is a call of consents.services.consent_reject_by_citizen (per brand, address and
channel: every recipient type at once) or consent_approve_by_citizen (per consent), with the citizen as actor,
an IYS_* source and Via.WEB. Only consents of addresses the citizen holds an active claim on are ever touched:
anything else is CitizenNotFound (a 404 for the views).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from consents.actors import Actor
from consents.errors import h464
from consents.models import Consent, RecipientType, Source, Status, Via
from consents.recipients import normalize_recipient
from consents.services import consent_approve_by_citizen, consent_reject_by_citizen
from providers.models import Brand, Channel

from .models import AddressClaimAction, AddressClaimEvent, Citizen, CitizenAddress, OtpPurpose
from .otp import OtpCheck, otp_check
from .selectors import active_address_values, active_addresses, visible_consents

PHONE_CHANNELS = (Channel.MESAJ, Channel.ARAMA)
EMAIL_CHANNELS = (Channel.EPOSTA,)


class CitizenNotFound(Exception):
    """The object is not the citizen's (or does not exist): views answer 404 without telling which."""


@dataclass(frozen=True, slots=True)
class ClaimResult:
    check: OtpCheck
    address: CitizenAddress | None = None
    released_from: Citizen | None = None  # the previous owner, when the address changed hands

    @property
    def ok(self) -> bool:
        return self.check is OtpCheck.OK


@dataclass(frozen=True, slots=True)
class SignInResult:
    check: OtpCheck
    citizen: Citizen | None = None
    created: bool = False
    deactivated: bool = False  # the address belongs to an account an operator switched off


def _claim(*, citizen: Citizen, value: str, kind: str, client_ip: str | None, reason: str) -> ClaimResult:
    """Give `citizen` the active claim on `value`, releasing another citizen's claim (recorded)."""
    now = timezone.now()
    with transaction.atomic():
        current = (
            CitizenAddress.objects.select_for_update()
            .filter(value=value, verified_at__isnull=False, released_at__isnull=True)
            .first()
        )
        if current is not None and current.citizen_id == citizen.pk:
            return ClaimResult(OtpCheck.OK, current)
        previous_owner = None
        if current is not None:
            previous_owner = current.citizen
            CitizenAddress.objects.filter(pk=current.pk, released_at__isnull=True).update(released_at=now)
            AddressClaimEvent.objects.create(
                value=value, kind=kind, action=AddressClaimAction.RELEASE, citizen_id=current.citizen_id,
                other_citizen=citizen, reason="claimed_by_other", client_ip=client_ip,
            )
        address = CitizenAddress.objects.create(citizen=citizen, value=value, kind=kind, verified_at=now)
        AddressClaimEvent.objects.create(
            value=value, kind=kind, action=AddressClaimAction.CLAIM, citizen=citizen,
            other_citizen=previous_owner, reason=reason, client_ip=client_ip,
        )
    return ClaimResult(OtpCheck.OK, address, previous_owner)


def citizen_sign_in(*, address: str, code: str, client_ip: str | None) -> SignInResult:
    """Check the sign-in code; return the owner of the address, creating a citizen for a new address."""
    check = otp_check(address=address, purpose=OtpPurpose.SIGN_IN, code=code)
    if check is not OtpCheck.OK:
        return SignInResult(check)
    recipient = normalize_recipient(address)
    for attempt in range(2):
        try:
            with transaction.atomic():
                owner = (
                    CitizenAddress.objects.filter(
                        value=recipient.value, verified_at__isnull=False, released_at__isnull=True
                    )
                    .select_related("citizen")
                    .first()
                )
                if owner is not None:
                    # An operator-deactivated account stays off: signing in must not mint a fresh one.
                    if not owner.citizen.is_active:
                        return SignInResult(check, deactivated=True)
                    return SignInResult(check, owner.citizen)
                citizen = Citizen.objects.create()
                _claim(citizen=citizen, value=recipient.value, kind=recipient.kind, client_ip=client_ip,
                       reason="sign_in")
                return SignInResult(check, citizen, created=True)
        except IntegrityError:
            # Two first sign-ins of the same address raced; the loser signs in to the winner's citizen.
            if attempt:
                raise
    raise AssertionError("unreachable")


def citizen_address_claim(*, citizen: Citizen, address: str, code: str, client_ip: str | None) -> ClaimResult:
    """Add an address the citizen proved with an ADD_ADDRESS code; takes it over from another citizen if needed."""
    check = otp_check(address=address, purpose=OtpPurpose.ADD_ADDRESS, code=code)
    if check is not OtpCheck.OK:
        return ClaimResult(check)
    recipient = normalize_recipient(address)
    for attempt in range(2):
        try:
            return _claim(citizen=citizen, value=recipient.value, kind=recipient.kind, client_ip=client_ip,
                          reason="add_address")
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


def citizen_address_release(*, citizen: Citizen, address_id: int, client_ip: str | None) -> CitizenAddress:
    """The citizen gives up one of their addresses (not the last one: they would lock themselves out)."""
    with transaction.atomic():
        address = active_addresses(citizen).select_for_update().filter(pk=address_id).first()
        if address is None:
            raise CitizenNotFound
        if active_addresses(citizen).count() <= 1:
            raise ValueError("last address")
        address.released_at = timezone.now()
        address.save(update_fields=["released_at"])
        AddressClaimEvent.objects.create(
            value=address.value, kind=address.kind, action=AddressClaimAction.RELEASE, citizen=citizen,
            reason="released_by_owner", client_ip=client_ip,
        )
    return address


# --- consent movements -------------------------------------------------------------------------


def _actor(citizen: Citizen) -> Actor:
    return Actor.citizen(citizen.pk, citizen.label)


def citizen_consents_in_scope(
    *, citizen: Citizen, consent_ids: Iterable[int] | None = None, brand_id: int | None = None, status: str | None = None
) -> list[Consent]:
    """The citizen's visible consents narrowed by ids/brand/status; raise CitizenNotFound for foreign ids."""
    qs = visible_consents(active_address_values(citizen)).select_related("brand", "brand__provider")
    if brand_id is not None:
        qs = qs.filter(brand_id=brand_id)
    if consent_ids is not None:
        ids = {int(i) for i in consent_ids}
        qs = qs.filter(pk__in=ids)
        found = list(qs.order_by("brand_id", "recipient", "channel"))
        if {c.pk for c in found} != ids:
            raise CitizenNotFound
    else:
        found = list(qs.order_by("brand_id", "recipient", "channel"))
        if brand_id is not None and not found:
            raise CitizenNotFound
    if status is not None:
        found = [c for c in found if c.status == status]
    return found


def _move(*, citizen: Citizen, consents: Sequence[Consent], status: str, source: str) -> int:
    """One service call per movement, all or nothing; returns how many of `consents` changed.

    A rejection is one call per brand, address and channel: the service rejects every recipient type
    there at once (rule 9).
    """
    actor = _actor(citizen)
    changed = 0
    with transaction.atomic():
        if status == Status.RET:
            moved: set[int] = set()
            for brand, recipient, channel in dict.fromkeys((c.brand, c.recipient, c.channel) for c in consents):
                results = consent_reject_by_citizen(
                    brand=brand, recipient=recipient, channel=channel, source=source, actor=actor, via=Via.WEB
                )
                moved.update(r.consent.pk for r in results if r.changed)
            return sum(1 for c in consents if c.pk in moved)
        for consent in consents:
            result = consent_approve_by_citizen(
                brand=consent.brand,
                recipient=consent.recipient,
                channel=consent.channel,
                recipient_type=consent.recipient_type,
                source=source,
                actor=actor,
                via=Via.WEB,
            )
            changed += int(result.changed)
            if consent.recipient_type == RecipientType.BIREYSEL:
                # Undo what the citizen's own rejection wrote for TACIR too (rule 9 stores it for both types);
                # a TACIR rejection the business recorded itself stays.
                mirrored = Consent.objects.filter(
                    brand=consent.brand, recipient=consent.recipient, channel=consent.channel,
                    recipient_type=RecipientType.TACIR, status=Status.RET, source__startswith="IYS_",
                ).exists()
                if mirrored:
                    consent_approve_by_citizen(
                        brand=consent.brand, recipient=consent.recipient, channel=consent.channel,
                        recipient_type=RecipientType.TACIR, source=source, actor=actor, via=Via.WEB,
                    )
    return changed


def citizen_reject(
    *, citizen: Citizen, consent_ids: Iterable[int] | None = None, brand_id: int | None = None
) -> int:
    """Reject one channel (consent ids), a whole brand, or everything (neither). Returns how many changed."""
    consents = citizen_consents_in_scope(
        citizen=citizen, consent_ids=consent_ids, brand_id=brand_id, status=Status.ONAY
    )
    return _move(citizen=citizen, consents=consents, status=Status.RET, source=Source.IYS_WEB)


def citizen_approve(*, citizen: Citizen, consent_ids: Iterable[int] | None = None, brand_id: int | None = None) -> int:
    """Re-approve rejected channels of a brand (or given consents). Returns how many changed."""
    if consent_ids is None and brand_id is None:
        raise ValueError("re-approving everything at once is not offered")
    consents = citizen_consents_in_scope(
        citizen=citizen, consent_ids=consent_ids, brand_id=brand_id, status=Status.RET
    )
    return _move(citizen=citizen, consents=consents, status=Status.ONAY, source=Source.IYS_WEB)


def channels_for_kind(kind: str) -> tuple[str, ...]:
    return PHONE_CHANNELS if kind == "phone" else EMAIL_CHANNELS


def citizen_add_brand(
    *, citizen: Citizen, brand: Brand, address_id: int, channels: Sequence[str]
) -> int:
    """Give consent to a brand that has no record for this address and channel (source IYS_WEB_YENI).

    Channels that already have a record are left alone (the citizen uses the switches for those).
    """
    address = active_addresses(citizen).filter(pk=address_id).first()
    if address is None or not brand.is_active:
        raise CitizenNotFound
    allowed = channels_for_kind(address.kind)
    wanted = [c for c in dict.fromkeys(channels) if c in allowed]
    if not wanted:
        offending = next((c for c in channels if c not in allowed), "EPOSTA" if allowed else "MESAJ")
        raise h464(offending, ",".join(channels), field="channel")
    existing = set(
        Consent.objects.filter(
            brand=brand, recipient=address.value, recipient_type=RecipientType.BIREYSEL, channel__in=wanted
        ).values_list("channel", flat=True)
    )
    actor = _actor(citizen)
    changed = 0
    with transaction.atomic():
        for channel in wanted:
            if channel in existing:
                continue
            result = consent_approve_by_citizen(
                brand=brand, recipient=address.value, channel=channel, recipient_type=RecipientType.BIREYSEL,
                source=Source.IYS_WEB_YENI, actor=actor, via=Via.WEB,
            )
            changed += int(result.changed)
    return changed
