"""Push connections of a brand (İYS "İzin Hareketi İletimi"): registering and removing receivers.

State changes lock the brand's active rows of the channel, return early when nothing changes and write a
provider audit row naming the API user.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from consents.models import PushRegistration, PushState
from providers.services import provider_audit

from .errors import IysError

MAX_ACTIVE_PER_TYPE = 2


@dataclass(frozen=True, slots=True)
class PushConnection:
    channel: str
    url: str
    username: str
    password: str


def check_push_url(url: str) -> None:
    allow_http = getattr(settings, "API_PUSH_ALLOW_HTTP", False)
    if not (url.startswith("https://") or (allow_http and url.startswith("http://"))):
        raise IysError.of("H531", location=["url"], value=url)


def push_register(
    *, brand_id: int, provider_id: int, connections: Sequence[PushConnection], api_user_id: int, actor_label: str
) -> None:
    """Add receivers (at most two active per channel); a known URL only gets its new credentials."""
    for conn in connections:
        check_push_url(conn.url)
    with transaction.atomic():
        for conn in connections:
            active = PushRegistration.objects.select_for_update().filter(
                brand_id=brand_id, channel=conn.channel, state=PushState.ACTIVE
            )
            same = active.filter(url=conn.url).first()
            if same is not None:
                if (same.username, same.password) != (conn.username, conn.password):
                    same.username, same.password = conn.username, conn.password
                    same.save(update_fields=["username", "password"])
                continue
            if active.count() >= MAX_ACTIVE_PER_TYPE:
                raise IysError.of("H532", location=["type"], value=conn.channel)
            PushRegistration.objects.create(
                brand_id=brand_id,
                channel=conn.channel,
                url=conn.url,
                username=conn.username,
                password=conn.password,
                created_by_id=api_user_id,
            )
            provider_audit(
                provider=provider_id, user=None, actor_label=actor_label, action="api.push.register",
                target=conn.url, detail={"channel": conn.channel},
            )


def push_unregister(*, brand_id: int, provider_id: int, connection: PushConnection, actor_label: str) -> None:
    """Remove an active receiver; its credentials must match (İYS H530 otherwise)."""
    with transaction.atomic():
        registration = (
            PushRegistration.objects.select_for_update()
            .filter(
                brand_id=brand_id,
                channel=connection.channel,
                url=connection.url,
                state=PushState.ACTIVE,
                username=connection.username,
                password=connection.password,
            )
            .first()
        )
        if registration is None:
            raise IysError.of("H530")
        registration.state = PushState.REMOVED
        registration.state_changed_at = timezone.now()
        registration.save(update_fields=["state", "state_changed_at"])
        provider_audit(
            provider=provider_id, user=None, actor_label=actor_label, action="api.push.unregister",
            target=connection.url, detail={"channel": connection.channel},
        )


def push_registrations(*, brand_id: int) -> QuerySet[PushRegistration]:
    return PushRegistration.objects.filter(brand_id=brand_id).order_by("-state_changed_at")
