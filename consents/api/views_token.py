"""POST /oauth2/token: the password and refresh_token grants, JSON or form-encoded, like İYS."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Router

from config.client_ip import client_ip
from config.hygiene import printable

from . import ratelimit
from .auth import (
    AddressRefused,
    address_allowed,
    client_address,
    issue_tokens,
    login_with_password,
    rotate_refresh,
)
from .errors import IysError, json_response
from .hygiene import TooDeep, refused_text
from .schemas import ErrorsOut, OAuthErrorOut, TokenOut

router = Router(tags=["Kimlik yönetimi"])

_PASSWORD_REQUEST = {
    "type": "object",
    "properties": {
        "grant_type": {"type": "string", "enum": ["password", "refresh_token"]},
        "username": {"type": "string"},
        "password": {"type": "string", "format": "password"},
        "refresh_token": {"type": "string"},
    },
    "required": ["grant_type"],
}
_REQUEST_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": _PASSWORD_REQUEST},
        "application/x-www-form-urlencoded": {"schema": _PASSWORD_REQUEST},
    },
}


def _oauth_error(error: str, description: str, status: int = 400) -> HttpResponse:
    return json_response({"error": error, "error_description": description}, status)


def _read(request: HttpRequest) -> dict[str, Any] | None:
    if (request.content_type or "").startswith("application/json"):
        try:
            data = json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError):
            return None
        return data if isinstance(data, dict) else None
    return {key: request.POST.get(key) for key in request.POST}


def _refused_text(request: HttpRequest) -> HttpResponse | None:
    """Control characters in a field (consents/api/hygiene.py), answered in the token endpoint's OAuth shape."""
    try:
        found = refused_text(request)
    except TooDeep:
        return _oauth_error("invalid_request", "Gönderilen istek JSON formatına uygun olmalıdır.")
    if not found:
        return None
    fields = ", ".join(dict.fromkeys(str(location[-1]) if location else "?" for _, location, _ in found))
    return _oauth_error("invalid_request", f"Geçersiz karakter içeren alan: {printable(fields)}.")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


@router.post(
    "/oauth2/token",
    auth=None,
    summary="Jeton Alma / Yenileme",
    operation_id="createToken2",
    response={200: TokenOut, 400: OAuthErrorOut, 413: ErrorsOut, 429: ErrorsOut},
    openapi_extra={"requestBody": _REQUEST_BODY},
)
def create_token(request: HttpRequest) -> HttpResponse:
    """Erişim jetonu (2 saat) ve yenileme jetonu (4 saat) verir; bir adresten saatte sınırlı istek kabul edilir."""
    address = client_address(request)
    # Fails closed: with Redis unreachable, password guessing must not get a per-process budget (503 instead).
    wait = ratelimit.hit(
        [ratelimit.Limit("token-addr", address, _setting("API_TOKEN_RATE_LIMIT_PER_HOUR", 100), 3600)],
        fail_open=False,
    )
    if wait:
        raise IysError.of("H084", headers={"Retry-After": str(wait)})
    refused = _refused_text(request)
    if refused is not None:
        return refused
    data = _read(request)
    if data is None:
        return _oauth_error("invalid_request", "Gönderilen istek JSON formatına uygun olmalıdır.")
    grant = data.get("grant_type")
    if grant is None:
        return _oauth_error("invalid_request", "Giriş yöntemi belirtilmemiş.")
    if not isinstance(grant, str):
        return _oauth_error("invalid_request", "Bilinmeyen giriş yöntemi.")
    if grant == "":
        return _oauth_error("invalid_grant", "Giriş yöntemi boş olamaz.")
    if grant == "refresh_token":
        raw = data.get("refresh_token")
        if raw is None:
            return _oauth_error("invalid_request", "Yenileme jetonu verilmemiş.")
        if not isinstance(raw, str):
            return _oauth_error("invalid_request", "Desteklenmeyen yenileme jetonu türü.")
        if not raw:
            return _oauth_error("invalid_grant", "Yenileme jetonu boş olamaz.")
        try:
            tokens = rotate_refresh(raw_refresh=raw[:512], address=client_ip(request))
        except AddressRefused:
            raise IysError.of("H363") from None
        if tokens is None:
            return _oauth_error("invalid_grant", "Yenileme jetonu geçersiz ya da süresi dolmuş.")
        return json_response(tokens)
    if grant != "password":
        return _oauth_error("invalid_grant", "Desteklenmeyen giriş yöntemi.")
    username, password = data.get("username"), data.get("password")
    if username is None:
        return _oauth_error("invalid_request", "Kullanıcı adı verilmemiş.")
    if not isinstance(username, str):
        return _oauth_error("invalid_request", "Desteklenmeyen kullanıcı adı türü.")
    if not username:
        return _oauth_error("invalid_grant", "Kullanıcı adı boş bırakılamaz.")
    if password is None:
        return _oauth_error("invalid_request", "Şifre verilmemiş.")
    if not isinstance(password, str):
        return _oauth_error("invalid_request", "Desteklenmeyen şifre türü.")
    if not password:
        return _oauth_error("invalid_grant", "Şifre boş bırakılamaz.")
    # Guessing one account's password from many addresses is limited per username too.
    failures = ratelimit.Limit(
        "login-fail", username.lower()[:150], _setting("API_LOGIN_FAILURES_PER_15_MIN", 10), 900
    )
    if ratelimit.peek(failures) >= failures.limit:
        raise IysError.of("H084", headers={"Retry-After": "900"})
    user = login_with_password(username=username[:150], password=password[:1024])
    if user is None:
        ratelimit.hit([failures], fail_open=False)
        return _oauth_error("invalid_request", "Kullanıcı kimlik bilgileri geçersiz.")
    if not address_allowed(client_ip(request), user.allowed_networks):
        raise IysError.of("H363")
    return json_response(issue_tokens(api_user=user, address=client_ip(request)))
