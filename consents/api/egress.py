"""Outgoing requests to providers' push receivers, which are addresses a client chose.

A receiver's host is resolved and every address it resolves to must be a public one: loopback, private,
link-local (cloud metadata at 169.254.169.254), multicast, reserved, shared (100.64/10), unspecified and
the like are refused, as is any scheme but https. The request then goes to the address that was checked
(the URL's host travels as the Host header and the TLS server name), so a DNS answer that changes between
the check and the connection (rebinding) cannot steer it elsewhere; redirects are not followed and proxy
settings from the environment are ignored.

What callers learn is deliberately coarse: an HTTP status, a timeout, or "unreachable" — never whether a
port was closed, reset or spoke another protocol.

Tests reach a receiver on 127.0.0.1 through the test-only setting API_PUSH_ALLOWED_PRIVATE_NETWORKS (CIDRs;
plain http is accepted only for addresses inside them). Production settings never define it.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.conf import settings

TIMEOUT_SECONDS = 5.0
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(ValueError):
    """The URL may not be called: wrong scheme, no host, or an address that is not public."""

    def __init__(self, reason: str, *, scheme: bool = False) -> None:
        super().__init__(reason)
        self.scheme = scheme  # True: the scheme (https) is at fault


@dataclass(frozen=True, slots=True)
class Target:
    url: str  # as registered
    host: str
    port: int
    address: IpAddress  # the checked address the connection goes to
    scheme: str

    @property
    def connect_url(self) -> str:
        parts = urlsplit(self.url)
        literal = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        return urlunsplit((self.scheme, f"{literal}:{self.port}", parts.path or "/", parts.query, ""))

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None
    error: str  # "" when delivered; "HTTP 503", "timeout", "unreachable" or "refused target" otherwise

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    cidrs = getattr(settings, "API_PUSH_ALLOWED_PRIVATE_NETWORKS", ()) or ()
    return [ipaddress.ip_network(cidr, strict=False) for cidr in cidrs]


def _public(address: IpAddress) -> bool:
    mapped = getattr(address, "ipv4_mapped", None) or getattr(address, "sixtofour", None)
    if mapped is not None and not _public(mapped):
        return False
    return address.is_global and not (
        address.is_multicast
        or address.is_reserved
        or address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_unspecified
    )


def _resolve(host: str, port: int) -> list[IpAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise TargetRefused("host does not resolve") from None
    addresses: list[IpAddress] = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise TargetRefused("host does not resolve")
    return addresses


def resolve_target(url: str) -> Target:
    """The checked connection target of a receiver URL; TargetRefused when it may not be called."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetRefused("malformed url") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in ("https", "http"):
        raise TargetRefused("https required", scheme=True)
    if not host or parts.username is not None or parts.password is not None:
        raise TargetRefused("malformed url")
    port = port or (443 if scheme == "https" else 80)
    allowed = _allowed_networks()
    if scheme == "http":
        # Plain http only to the test-only allow-list; anything else is İYS's "https required".
        try:
            addresses = _resolve(host, port) if allowed else []
        except TargetRefused:
            addresses = []
        if not addresses or not all(any(a in net for net in allowed) for a in addresses):
            raise TargetRefused("https required", scheme=True)
        return Target(url=url, host=host, port=port, address=addresses[0], scheme=scheme)
    addresses = _resolve(host, port)
    # Every address must pass: a name resolving to one public and one internal address is refused.
    for address in addresses:
        if not _public(address) and not any(address in net for net in allowed):
            raise TargetRefused("address not public")
    return Target(url=url, host=host, port=port, address=addresses[0], scheme=scheme)


def post_json(url: str, body: bytes, headers: dict[str, str], auth: tuple[str, str] | None) -> Outcome:
    """POST to a receiver after checking its address (again); no redirects, coarse errors only."""
    try:
        target = resolve_target(url)
    except TargetRefused:
        return Outcome(None, "refused target")
    extensions: dict[str, Any] = {}
    if target.scheme == "https":
        extensions["sni_hostname"] = target.host
    try:
        with httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False) as client:
            response = client.post(
                target.connect_url,
                content=body,
                headers={**headers, "Host": target.host_header},
                auth=auth,
                extensions=extensions,
            )
    except httpx.TimeoutException:
        return Outcome(None, "timeout")
    except httpx.HTTPError:
        return Outcome(None, "unreachable")
    ok = 200 <= response.status_code < 300
    return Outcome(response.status_code, "" if ok else f"HTTP {response.status_code}")
