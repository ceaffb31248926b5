"""The address a request came from, believing proxy headers only from our own proxies.

uvicorn runs with `proxy_headers=False`, so the ASGI client is the TCP peer. When that peer is
one of TRUSTED_PROXIES, X-Forwarded-For is read from the right (each proxy appends the address
it saw): the first address that is not one of our proxies is the client. A header from anyone
else is ignored, so a sender cannot claim an address it does not have.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv6Address, ip_address

from teamtasks.config import IPNetwork


def client_ip(
    peer: str | None, forwarded_for: str | None, trusted: Sequence[IPNetwork]
) -> str | None:
    """The client's address: the peer, or what our trusted proxies say they saw."""
    if peer is None or not _trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in (forwarded_for or "").split(",") if hop.strip()]
    client = peer
    for hop in reversed(hops):
        if _parse(hop) is None:
            break
        client = hop
        if not _trusted(hop, trusted):
            break
    return client


def _trusted(address: str, trusted: Sequence[IPNetwork]) -> bool:
    parsed = _parse(address)
    return parsed is not None and any(parsed in network for network in trusted)


def _parse(address: str) -> IPv4Address | IPv6Address | None:
    try:
        parsed = ip_address(address)
    except ValueError:
        return None
    if isinstance(parsed, IPv6Address) and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped
    return parsed
