"""Opt-out without an account: signed per-recipient links and the rejection they perform.

A provider puts `optout_link_for(...)` in every e-mail/SMS it sends (and in the RFC 8058
`List-Unsubscribe` header). The link is signed with the project's SECRET_KEY and a dedicated salt, so
it cannot be forged or pointed at another address, and it expires after OPTOUT_LINK_MAX_AGE (90 days:
long enough for a message read weeks later, short enough that a leaked old link stops working; a
citizen holding an expired link can still use the brand's public opt-out page with a code).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse

from consents.actors import Actor
from consents.models import Source, Via
from consents.recipients import EMAIL, PHONE, Recipient, normalize_recipient
from consents.services import MovementResult, consent_reject_by_citizen
from providers.models import Brand

from ..channels import CHANNELS_FOR_KIND
from ..models import CitizenAddress

OPTOUT_LINK_SALT = "citizens.optout.link.v1"
OPTOUT_LINK_MAX_AGE = dt.timedelta(days=90)

# Opt-out pages and links are "frame" sources in İYS: which one depends on the address reached.
FRAME_SOURCE_FOR_KIND: dict[str, str] = {PHONE: Source.IYS_FRAME_SMS, EMAIL: Source.IYS_FRAME_EPOSTA}


class OptoutLinkError(Exception):
    """A link that cannot be honoured; `http_status` tells the page which answer to give."""

    http_status = 400


class OptoutLinkTampered(OptoutLinkError):
    http_status = 400


class OptoutLinkExpired(OptoutLinkError):
    http_status = 410


@dataclass(frozen=True, slots=True)
class OptoutClaim:
    """What a valid signed link says: this recipient asks this brand to stop on these channels."""

    brand: Brand
    recipient: Recipient
    channels: tuple[str, ...]


def channels_for(recipient: Recipient) -> tuple[str, ...]:
    return CHANNELS_FOR_KIND[recipient.kind]


def _checked_channels(recipient: Recipient, channels: Iterable[str]) -> tuple[str, ...]:
    allowed = channels_for(recipient)
    wanted = tuple(dict.fromkeys(str(c) for c in channels))
    if not wanted:
        raise ValueError("at least one channel is required")
    wrong = [c for c in wanted if c not in allowed]
    if wrong:
        raise ValueError(f"channels {wrong} do not fit a {recipient.kind} address (allowed: {list(allowed)})")
    # Keep a stable order so two links for the same thing are the same string.
    return tuple(c for c in allowed if c in wanted)


def optout_token_for(*, brand: Brand, recipient: str, channels: Sequence[str] | None = None) -> str:
    """The signed token of a link; `channels` defaults to every channel of the address kind."""
    normalized = normalize_recipient(recipient)
    chosen = _checked_channels(normalized, channels or channels_for(normalized))
    payload = {"b": brand.brand_code, "r": normalized.value, "c": list(chosen)}
    return signing.dumps(payload, salt=OPTOUT_LINK_SALT, compress=True)


def optout_link_for(*, brand: Brand, recipient: str, channels: Sequence[str] | None = None) -> str:
    """Absolute URL of a recipient's opt-out link for a provider to embed in its messages."""
    token = optout_token_for(brand=brand, recipient=recipient, channels=channels)
    return settings.SITE_URL.rstrip("/") + reverse("optout:link", kwargs={"token": token})


def optout_headers_for(*, brand: Brand, recipient: str, channels: Sequence[str] | None = None) -> dict[str, str]:
    """The RFC 2369/8058 headers a provider adds to a commercial e-mail so mail clients offer one-click opt-out."""
    link = optout_link_for(brand=brand, recipient=recipient, channels=channels)
    return {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def optout_read_token(token: str, *, max_age: dt.timedelta = OPTOUT_LINK_MAX_AGE) -> OptoutClaim:
    """Verify a token and return what it claims; raise OptoutLinkTampered/OptoutLinkExpired."""
    try:
        payload = signing.loads(token, salt=OPTOUT_LINK_SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise OptoutLinkExpired(str(exc)) from exc
    except signing.BadSignature as exc:
        raise OptoutLinkTampered(str(exc)) from exc
    try:
        recipient = normalize_recipient(payload["r"])
        channels = _checked_channels(recipient, payload["c"])
        brand = Brand.objects.select_related("provider").get(brand_code=int(payload["b"]), is_active=True)
    except (KeyError, TypeError, ValueError, Brand.DoesNotExist) as exc:
        # A correctly signed link for a brand that has since been closed: nothing to reject any more.
        raise OptoutLinkExpired(str(exc)) from exc
    except Exception as exc:  # ConsentRuleError from an unreadable recipient: only a bug could sign that
        raise OptoutLinkTampered(str(exc)) from exc
    return OptoutClaim(brand=brand, recipient=recipient, channels=channels)


def citizen_owning(address: str) -> int | None:
    """The id of the citizen who verified this address and still holds it, or None."""
    return (
        CitizenAddress.objects.filter(value=address, verified_at__isnull=False, released_at__isnull=True)
        .values_list("citizen_id", flat=True)
        .first()
    )


def optout_actor(*, recipient: Recipient, channel_label: str) -> Actor:
    """The actor on the history row: the citizen holding the address when one does, else "without account".

    The label never repeats the address: the history row already carries it, and an address may
    change hands.
    """
    citizen_id = citizen_owning(recipient.value)
    if citizen_id is not None:
        return Actor.citizen(citizen_id, f"Vatandaş #{citizen_id} ({channel_label})")
    return Actor.citizen(None, f"Hesapsız ret ({channel_label})")


@transaction.atomic
def optout_reject(
    *,
    brand: Brand,
    recipient: Recipient,
    channels: Sequence[str],
    source: str,
    actor: Actor,
    via: str,
) -> list[MovementResult]:
    """Reject `channels` of `brand` for one address at once (rule 9), idempotently.

    The service stores a RET for every recipient type on each channel, creating the records the brand
    did not have, so no later "may I send?" answers yes, whether the brand asks as BIREYSEL or TACIR.
    """
    chosen = _checked_channels(recipient, channels)
    results: list[MovementResult] = []
    for channel in chosen:
        results.extend(
            consent_reject_by_citizen(
                brand=brand, recipient=recipient.value, channel=channel, source=source, actor=actor, via=via
            )
        )
    return results


def optout_by_link(*, claim: OptoutClaim, channels: Sequence[str] | None = None) -> list[MovementResult]:
    """Honour a signed link (confirmation form or RFC 8058 one-click): only the channels it names."""
    chosen = list(claim.channels) if channels is None else [c for c in channels if c in claim.channels]
    if not chosen:
        raise ValueError("choose at least one channel named by the link")
    return optout_reject(
        brand=claim.brand,
        recipient=claim.recipient,
        channels=chosen,
        source=FRAME_SOURCE_FOR_KIND[claim.recipient.kind],
        actor=optout_actor(recipient=claim.recipient, channel_label="Ret bağlantısı"),
        via=Via.OPTOUT_LINK,
    )
