"""Who is asking: the client address of a request, and the network it belongs to.

The socket peer is the client, unless the peer is one of the configured trusted proxies:
then the forwarded chain is read from the right (the part our proxies wrote) and the
first address that is not a trusted proxy is the client. An untrusted peer's
``X-Forwarded-For`` is ignored entirely, so forging it changes nothing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from .config import Network

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
UNKNOWN = ipaddress.IPv4Address("0.0.0.0")  # noqa: S104 - a placeholder, never bound
MAX_FORWARDED_BYTES = 4096
MAX_HOPS = 32


@dataclass(frozen=True)
class Client:
    ip: str
    prefix: str  # the /24 (IPv4) or /64 (IPv6) network, the unit of distributed floods


@lru_cache(maxsize=65536)
def client_for(ip_text: str) -> Client:
    address = parse_address(ip_text) or UNKNOWN
    return Client(str(address), prefix_of(address))


def prefix_of(address: Address) -> str:
    length = 24 if address.version == 4 else 64
    return str(ipaddress.ip_network(f"{address}/{length}", strict=False))


def parse_address(text: str) -> Address | None:
    """An IP address from a header value or socket tuple, IPv4-mapped IPv6 unwrapped;
    None when it is not one."""
    text = text.strip().strip('"')
    if text.startswith("["):  # "[2001:db8::1]:4711" in Forwarded
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:  # "192.0.2.1:8080"
        text = text.split(":", 1)[0]
    if not text or len(text) > 64:
        return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, proxies: Sequence[Network]) -> bool:
    return any(address in network for network in proxies)


def forwarded_chain(headers: Iterable[tuple[bytes, bytes]], header: str) -> list[str]:
    """The addresses a forwarding header lists, leftmost (farthest) first."""
    wanted = header.encode()
    raw = b",".join(value for name, value in headers if name.lower() == wanted)
    if not raw or len(raw) > MAX_FORWARDED_BYTES:
        return []
    text = raw.decode("latin-1")
    if header == "x-forwarded-for":
        return [item.strip() for item in text.split(",")][-MAX_HOPS:]
    chain: list[str] = []
    for element in text.split(","):
        for pair in element.split(";"):
            key, _, value = pair.strip().partition("=")
            if key.strip().lower() == "for":
                chain.append(value.strip())
    return chain[-MAX_HOPS:]


def client_address(
    peer: str | None,
    headers: Iterable[tuple[bytes, bytes]],
    proxies: Sequence[Network],
    header: str = "x-forwarded-for",
) -> str:
    """The real client address of a request as text (see the module docstring)."""
    address = parse_address(peer or "")
    if address is None:
        return str(UNKNOWN)
    if not proxies or not _trusted(address, proxies):
        return str(address)
    for hop in reversed(forwarded_chain(headers, header)):
        hop_address = parse_address(hop)
        if hop_address is None:
            # Our proxy writes well-formed addresses on the right; garbage here means
            # the chain cannot be believed beyond the last trusted hop.
            return str(address)
        address = hop_address
        if not _trusted(address, proxies):
            return str(address)
    return str(address)
