"""Tokens of the İYS-style OAuth2 endpoint and the bearer check of every other endpoint.

Tokens are random secrets; only their SHA-256 is stored. A verified token's principal is kept in
the cache (and for a few seconds in process memory) so the hot "may I send?" path costs no query
for authentication; revoking deletes those cache entries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import secrets
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from config.client_ip import client_ip
from consents.models import ApiToken, ApiTokenKind, ApiUser, ApiUserKind

from . import ratelimit
from .errors import IysError
from .hygiene import check_request_text

ACCESS_TTL = dt.timedelta(hours=2)
REFRESH_TTL = dt.timedelta(hours=4)
CACHE_MAX_SECONDS = 600  # a verified principal is kept in the shared cache at most this long
_LOCAL_TTL = 5.0  # seconds a worker process trusts its own memory of a token
_local: dict[str, tuple[float, Principal | None]] = {}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: an API user and what it may act for."""

    api_user_id: int
    username: str
    kind: str
    provider_id: int | None
    iys_code: int | None
    retailer_id: int | None
    retailer_code: int | None
    retailer_brand_id: int | None
    intermediary_id: int | None
    intermediary_code: int | None
    expires_at: float
    token_hash: str = ""
    allowed_networks: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"API: {self.username}"


@lru_cache(maxsize=1024)
def _parsed_networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)


def address_allowed(address: str | None, cidrs: tuple[str, ...] | list[str]) -> bool:
    """An API user with an allow-list may only call from inside it (İYS whitelists integrators' addresses)."""
    if not cidrs:
        return True
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in net for net in _parsed_networks(tuple(cidrs)) if net.version == ip.version)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def _cache_key(token_hash: str) -> str:
    return f"ileti:apitoken:{token_hash}"


def client_address(request: HttpRequest) -> str:
    return client_ip(request) or "unknown"


def principal_of(api_user: ApiUser, expires_at: dt.datetime, token_hash: str = "") -> Principal:
    provider = api_user.provider
    retailer = api_user.retailer
    intermediary = api_user.intermediary
    return Principal(
        api_user_id=api_user.pk,
        username=api_user.username,
        kind=api_user.kind,
        provider_id=api_user.provider_id,
        iys_code=provider.iys_code if provider else None,
        retailer_id=api_user.retailer_id,
        retailer_code=retailer.code if retailer else None,
        retailer_brand_id=retailer.brand_id if retailer else None,
        intermediary_id=api_user.intermediary_id,
        intermediary_code=intermediary.code if intermediary else None,
        expires_at=expires_at.timestamp(),
        token_hash=token_hash,
        allowed_networks=tuple(api_user.allowed_networks or ()),
    )


def _new_secret() -> str:
    return secrets.token_urlsafe(48)


@transaction.atomic
def issue_tokens(*, api_user: ApiUser, address: str | None, now: dt.datetime | None = None) -> dict[str, Any]:
    """A fresh access/refresh pair in İYS's response shape."""
    now = now or timezone.now()
    access, refresh = _new_secret(), _new_secret()
    ApiToken.objects.bulk_create(
        [
            ApiToken(
                api_user=api_user,
                kind=ApiTokenKind.ACCESS,
                token_hash=hash_token(access),
                expires_at=now + ACCESS_TTL,
                created_at=now,
                client_address=address,
            ),
            ApiToken(
                api_user=api_user,
                kind=ApiTokenKind.REFRESH,
                token_hash=hash_token(refresh),
                expires_at=now + REFRESH_TTL,
                created_at=now,
                client_address=address,
            ),
        ]
    )
    ApiUser.objects.filter(pk=api_user.pk).update(last_login_at=now)
    return {
        "access_token": access,
        "refresh_token": refresh,
        "expires_in": int(ACCESS_TTL.total_seconds()),
        "refresh_expires_in": int(REFRESH_TTL.total_seconds()),
        "token_type": "bearer",
    }


def login_with_password(*, username: str, password: str) -> ApiUser | None:
    user = (
        ApiUser.objects.select_related("provider", "retailer", "intermediary")
        .filter(username=username, is_active=True)
        .first()
    )
    if user is None:
        # Spend the same hashing time as a real check, so timing does not reveal usernames.
        ApiUser(password="").set_password(password)
        return None
    if not _owner_active(user) or not user.check_password(password):
        return None
    return user


def _owner_active(user: ApiUser) -> bool:
    if user.kind == ApiUserKind.INTERMEDIARY:
        return bool(user.intermediary and user.intermediary.is_active)
    return bool(user.provider and user.provider.is_active)


class AddressRefused(Exception):
    """The caller's address is outside the API user's allow-list (answered with İYS's H363)."""


def rotate_refresh(*, raw_refresh: str, address: str | None) -> dict[str, Any] | None:
    """Exchange a live refresh token for a new pair; the used refresh token dies (rotation).

    The allow-list is checked here as at sign-in: a refresh token taken off an allowed machine must not
    mint access tokens elsewhere. A refused call leaves the token alive, so the rightful client's next
    refresh still works (raises AddressRefused)."""
    now = timezone.now()
    with transaction.atomic():
        token = (
            ApiToken.objects.select_for_update(of=("self",))
            .select_related("api_user", "api_user__provider", "api_user__retailer", "api_user__intermediary")
            .filter(
                token_hash=hash_token(raw_refresh),
                kind=ApiTokenKind.REFRESH,
                revoked_at__isnull=True,
                expires_at__gt=now,
            )
            .first()
        )
        if token is None:
            _revoke_on_reuse(hash_token(raw_refresh), now)
            return None
        if not token.api_user.is_active or not _owner_active(token.api_user):
            return None
        if not address_allowed(address, token.api_user.allowed_networks or ()):
            raise AddressRefused
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        return issue_tokens(api_user=token.api_user, address=address, now=now)


def _revoke_on_reuse(token_hash: str, now: dt.datetime) -> None:
    """A refresh token used twice means someone else holds a copy: end every live token of that user
    (the rightful client signs in again with its password)."""
    used = (
        ApiToken.objects.select_related("api_user")
        .filter(
            token_hash=token_hash, kind=ApiTokenKind.REFRESH, revoked_at__isnull=False, expires_at__gt=now
        )
        .first()
    )
    if used is not None:
        transaction.on_commit(lambda: revoke_user_tokens(used.api_user))


def revoke_tokens(api_user_ids: Iterable[int]) -> int:
    """End every live token of these users at once (deactivation of the user, its provider or its
    intermediary; refresh-token reuse). Set-based: one query for the hashes, one update."""
    now = timezone.now()
    ids = list(api_user_ids)
    if not ids:
        return 0
    live = ApiToken.objects.filter(api_user_id__in=ids, revoked_at__isnull=True, expires_at__gt=now)
    hashes = list(live.values_list("token_hash", flat=True))
    ApiToken.objects.filter(token_hash__in=hashes).update(revoked_at=now)
    # A negative entry rather than a deletion: a request that read the user as active a moment before could
    # otherwise cache its principal again afterwards (verify_access_token only *adds* to the cache).
    cache.set_many({_cache_key(h): {} for h in hashes}, CACHE_MAX_SECONDS)
    for h in hashes:
        _local.pop(h, None)
    return len(hashes)


def revoke_user_tokens(api_user: ApiUser) -> int:
    """Kill every live token of a user (deactivation, password change); effective at once."""
    return revoke_tokens([api_user.pk])


def forget_cached_principals(api_user: ApiUser) -> None:
    """Drop the cached principals of a user's live tokens (its allow-list changed); tokens stay valid.

    Other worker processes keep their own memory of a token for at most _LOCAL_TTL seconds."""
    hashes = list(
        ApiToken.objects.filter(
            api_user=api_user, kind=ApiTokenKind.ACCESS, revoked_at__isnull=True, expires_at__gt=timezone.now()
        ).values_list("token_hash", flat=True)
    )
    cache.delete_many([_cache_key(h) for h in hashes])
    for h in hashes:
        _local.pop(h, None)


def _cache_get(key: str) -> Any:
    """The cached principal; None (ask the database, the source of truth) while Redis is unreachable."""
    if ratelimit.redis_unavailable():
        return None
    try:
        return cache.get(key)
    except ratelimit.REDIS_DOWN as error:
        ratelimit.mark_redis_down(error)
        return None


def _cache_add(key: str, value: Any, timeout: int) -> None:
    if ratelimit.redis_unavailable():
        return
    try:
        cache.add(key, value, timeout)
    except ratelimit.REDIS_DOWN as error:
        ratelimit.mark_redis_down(error)


def verify_access_token(raw: str) -> Principal | None:
    token_hash = hash_token(raw)
    now = time.time()
    local = _local.get(token_hash)
    if local is not None and local[0] > now:
        principal = local[1]
        return principal if principal is not None and principal.expires_at > now else None
    key = _cache_key(token_hash)
    cached = _cache_get(key)
    if cached is not None:
        principal = Principal(**cached) if cached else None
    else:
        token = (
            ApiToken.objects.select_related(
                "api_user", "api_user__provider", "api_user__retailer", "api_user__intermediary"
            )
            .filter(
                token_hash=token_hash,
                kind=ApiTokenKind.ACCESS,
                revoked_at__isnull=True,
                expires_at__gt=timezone.now(),
            )
            .first()
        )
        principal = None
        if token is not None and token.api_user.is_active and _owner_active(token.api_user):
            principal = principal_of(token.api_user, token.expires_at, token_hash)
        ttl = int(principal.expires_at - now) if principal else 30
        # add, not set: a revocation's negative entry written meanwhile must win (see revoke_tokens).
        _cache_add(key, asdict(principal) if principal else {}, max(1, min(ttl, CACHE_MAX_SECONDS)))
    if len(_local) > 10_000:
        _local.clear()
    _local[token_hash] = (now + _LOCAL_TTL, principal)
    return principal if principal is not None and principal.expires_at > now else None


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def max_body_bytes() -> int:
    return _limit("API_MAX_BODY_BYTES", 2 * 1024 * 1024)


class BearerAuth(HttpBearer):
    """ninja auth: bearer token, per-token and per-address rate limits, then the text of every value
    (consents/api/hygiene.py). The body size is judged earlier, by ApiFastLane, before the body is read."""

    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:  # pragma: no cover
        return verify_access_token(token)

    def __call__(self, request: HttpRequest) -> Principal:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, raw = header.partition(" ")
        raw = raw.strip()
        principal = verify_access_token(raw) if scheme.lower() == "bearer" and raw else None
        address = client_address(request)
        per_second = _limit("API_RATE_LIMIT_PER_SECOND", 50)
        limits = [
            ratelimit.Limit("addr", address, _limit("API_RATE_LIMIT_PER_ADDRESS_PER_SECOND", per_second), 1)
        ]
        if principal is not None:
            limits.append(ratelimit.Limit("token", principal.token_hash[:32], per_second, 1))
        wait = ratelimit.hit(limits)
        if wait:
            raise IysError.of("H124", headers={"Retry-After": str(wait)})
        if principal is None:
            raise IysError.of("H351")
        # After the rate limits, before ninja parses a parameter: no handler or query sees such text.
        check_request_text(request)
        request.principal = principal
        if not address_allowed(client_ip(request), principal.allowed_networks):
            # İYS has no code of its own for this: H363 ("not authorised to use this service"), 403.
            raise IysError.of("H363")
        return principal


bearer = BearerAuth()
