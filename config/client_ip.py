"""The client's address: REMOTE_ADDR, or an X-Forwarded-For entry vouched for by a proxy we trust.

Rate limits (OTP, API), audit rows and logs all ask `client_ip(request)`. X-Forwarded-For is a list the client
starts and every proxy appends to, so only the entries appended by our own proxies are believed: walking from
the right (REMOTE_ADDR, then the header's last entry, ...), each hop that is a trusted proxy passes the question
on to the address it reported; the first hop that is not trusted is the client.

A hop is trusted when it is one of the nearest `TRUSTED_PROXY_COUNT` hops or its address is inside
`TRUSTED_PROXIES` (CIDRs). With neither set (the default) the header is ignored: a client cannot pick its own
rate-limit bucket by sending one.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_ATTR = "_ileti_client_ip"


@lru_cache(maxsize=8)
def _networks(cidrs: tuple[str, ...]) -> tuple[IpNetwork, ...]:
    return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs if cidr.strip())


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None
    # An IPv4 client seen through an IPv6 socket (::ffff:1.2.3.4) is the IPv4 client.
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def client_ip_from(remote_addr: str | None, forwarded_for: str | None) -> str | None:
    """The client address given the socket peer and the X-Forwarded-For header (None if unknown)."""
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    networks = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    peer = _parse(remote_addr or "")
    if peer is None:
        return None
    if not count and not networks:
        return str(peer)
    hops = [hop for hop in (forwarded_for or "").split(",") if hop.strip()]
    client, trusted = peer, 0
    while hops and (trusted < count or any(client in net for net in networks)):
        reported = _parse(hops.pop())
        if reported is None:
            # A trusted proxy never writes garbage: the entry came from the client; stop at the proxy.
            break
        client, trusted = reported, trusted + 1
    return str(client)


def client_ip(request: HttpRequest) -> str | None:
    """The client address of this request (computed once per request)."""
    cached = getattr(request, _ATTR, False)
    if cached is not False:
        return cached
    address = client_ip_from(request.META.get("REMOTE_ADDR"), request.META.get("HTTP_X_FORWARDED_FOR"))
    setattr(request, _ATTR, address)
    return address


class ClientIpLogFilter:
    """Adds `client_ip` to every log record ("-" when the record carries no request), for the formatter."""

    def filter(self, record: object) -> bool:
        request = getattr(record, "request", None)
        address = client_ip(request) if isinstance(request, HttpRequest) else None
        record.client_ip = address or "-"  # type: ignore[attr-defined]
        return True
