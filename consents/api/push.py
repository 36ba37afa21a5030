"""Push connections of a brand (İYS "İzin Hareketi İletimi"): registering and removing receivers.

A receiver is accepted as İYS accepts one: its URL is https and its host resolves to public addresses only
(consents/api/egress.py), it refuses a request without its basic auth, and it answers İYS's test message sent
with its basic auth with a 2xx within 5 seconds (H191 on a timeout, H530 otherwise). The checks run before the
transaction: no row is locked while a receiver is being called.

State changes lock the brand's active rows of the channel, return early when nothing changes and write a
provider audit row naming the API user.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from consents.models import PushRegistration, PushState
from providers.services import provider_audit

from .egress import Outcome, TargetRefused, post_json, resolve_target
from .errors import IysError

MAX_ACTIVE_PER_TYPE = 2


@dataclass(frozen=True, slots=True)
class PushConnection:
    channel: str
    url: str
    username: str
    password: str


# İYS's own test message: the same for every connection (İYS OpenAPI 3.2.0, push registration).
TEST_MESSAGE = {
    "list": [
        {
            "iysCode": 121212,
            "brandCode": 121212,
            "consentDate": "2015-05-01 15:00:00",
            "creationDate": "2015-05-01 15:00:00",
            "source": "IYS_MOBIL",
            "recipient": "pushtest@iys.org.tr",
            "recipientType": "BIREYSEL",
            "status": "ONAY",
            "type": "EPOSTA",
            "transactionId": "e52ee30512adfcd2a41fb3b4682f5bd61eee5b1c92bda665fc0b7e56644d429d",
        }
    ]
}
NOT_CREATED = "Bağlantı oluşturulamadı."  # İYS's wording of H530 for a registration
TIMED_OUT = "Bağlantı zaman aşımına uğradı."  # İYS's H191 of the push registration


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def push_headers(secret: str, body: bytes, delivery: str) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {
        "Content-Type": "application/json; charset=utf-8",
        "X-Ileti-Timestamp": timestamp,
        "X-Ileti-Signature": signature(secret, timestamp, body),
        "X-Ileti-Delivery": delivery,
    }


def check_push_url(url: str) -> None:
    """https and a public address, or İYS's refusal naming the url."""
    try:
        resolve_target(url)
    except TargetRefused as refused:
        if refused.scheme:
            raise IysError.of("H531", location=["url"], value=url) from None
        raise IysError.of("H530", location=["url"], value=url, message=NOT_CREATED) from None


def _refusal(outcome: Outcome, url: str) -> IysError:
    if outcome.error == "timeout":
        return IysError.of("H191", location=["url"], value=url, message=TIMED_OUT)
    return IysError.of("H530", location=["url"], value=url, message=NOT_CREATED)


def verify_receiver(conn: PushConnection) -> None:
    """The receiver must insist on its basic auth and accept İYS's test message sent with it (2xx, 5 s)."""
    body = json.dumps(TEST_MESSAGE, ensure_ascii=False).encode()
    headers = push_headers(conn.password, body, "test")
    anonymous = post_json(conn.url, body, headers, auth=None)
    if anonymous.ok or anonymous.error == "timeout":
        raise _refusal(anonymous, conn.url)  # no basic auth check, or no answer in time
    outcome = post_json(conn.url, body, headers, auth=(conn.username, conn.password))
    if not outcome.ok:
        raise _refusal(outcome, conn.url)


def push_register(
    *, brand_id: int, provider_id: int, connections: Sequence[PushConnection], api_user_id: int, actor_label: str
) -> None:
    """Add receivers (at most two active per channel); a known URL only gets its new credentials.

    Every receiver is checked and called before anything is stored (see the module docstring)."""
    for conn in connections:
        check_push_url(conn.url)
    for conn in connections:
        verify_receiver(conn)
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
