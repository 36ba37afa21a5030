"""Shared helpers of the API tests: API users, tokens, a client that speaks JSON, the official document."""

from __future__ import annotations

import datetime as dt
import json
import socket
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from consents.api import egress, push
from consents.api.auth import issue_tokens
from consents.models import ApiUser, ApiUserKind
from consents.rules import ISTANBUL

OFFICIAL = Path("/work/shared/reference/iys-openapi-3.2.0.json")
PASSWORD = "api-parola-123456"


@lru_cache(maxsize=1)
def official() -> dict[str, Any]:
    return json.loads(OFFICIAL.read_text())


def make_api_user(*, provider=None, retailer=None, intermediary=None, username: str | None = None) -> ApiUser:
    if intermediary is not None:
        kind = ApiUserKind.INTERMEDIARY
    elif retailer is not None:
        kind, provider = ApiUserKind.RETAILER, retailer.brand.provider
    else:
        kind = ApiUserKind.PROVIDER
    user = ApiUser(
        kind=kind,
        provider=provider,
        retailer=retailer,
        intermediary=intermediary,
        username=username or f"api-{ApiUser.objects.count() + 1}-{kind.lower()}",
    )
    user.set_password(PASSWORD)
    user.save()
    return user


class ApiClient:
    """Django's test client with a bearer token and JSON bodies."""

    def __init__(self, token: str | None = None, address: str = "10.0.0.1") -> None:
        self.client = Client(REMOTE_ADDR=address)
        self.token = token

    def _headers(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}

    def call(self, method: str, path: str, body: Any = None, **extra: Any):
        kwargs = dict(self._headers(), **extra)
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        return getattr(self.client, method.lower())("/api" + path, **kwargs)

    def get(self, path: str, **extra: Any):
        return self.call("GET", path, **extra)

    def post(self, path: str, body: Any = None, **extra: Any):
        return self.call("POST", path, body, **extra)


def client_for(api_user: ApiUser, address: str = "10.0.0.1") -> ApiClient:
    return ApiClient(issue_tokens(api_user=api_user, address=address)["access_token"], address)


def recent(days: int = 0, hours: int = 1) -> str:
    """A consent date inside the three-business-day window, as İYS writes dates."""
    moment = timezone.now().astimezone(ISTANBUL) - dt.timedelta(days=days, hours=hours)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def consent_body(recipient: str = "+905321234567", **overrides: Any) -> dict[str, Any]:
    body = {
        "recipient": recipient,
        "type": "MESAJ" if "@" not in recipient else "EPOSTA",
        "source": "HS_WEB",
        "status": "ONAY",
        "consentDate": recent(),
        "recipientType": "BIREYSEL",
    }
    body.update(overrides)
    return body


@pytest.fixture
def api_user(provider):
    return make_api_user(provider=provider)


@pytest.fixture
def api(api_user) -> ApiClient:
    return client_for(api_user)


@pytest.fixture
def base(provider, brand) -> str:
    return f"/sps/{provider.iys_code}/brands/{brand.brand_code}"


@pytest.fixture
def external_receiver(monkeypatch):
    """İYS's example receivers (push.iys.org.tr, …) stand in for real hosts the tests must not call: their
    names resolve to a public address, and the receiver behaves as İYS requires (401 without its basic
    auth, 200 with it). The address checks themselves still run (consents/api/egress.py)."""
    real = socket.getaddrinfo
    calls: list[dict[str, Any]] = []

    def dns(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host.endswith(("iys.org.tr", "example.com", "example.org")):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("185.15.58.224", port))]
        return real(host, port, *args, **kwargs)

    def receiver(url: str, body: bytes, headers: dict[str, str], auth: Any) -> egress.Outcome:
        egress.resolve_target(url)
        calls.append({"url": url, "auth": auth})
        return egress.Outcome(200, "") if auth else egress.Outcome(401, "HTTP 401")

    monkeypatch.setattr(socket, "getaddrinfo", dns)
    monkeypatch.setattr(push, "post_json", receiver)
    return calls
