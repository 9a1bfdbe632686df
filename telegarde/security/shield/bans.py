"""The active bans as each worker holds them: lookups in microseconds, no database.

An address is banned when it, its /24 (IPv4) or /64 (IPv6) network, or any other banned
network contains it. The table is replaced as a whole by ``refresh_from_database``
(every few seconds, in a thread) and updated at once when this process adds a ban.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass, field

from django.utils import timezone

from .clients import Client

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass
class BanTable:
    # Values are expiry times on the wall clock (time.time()), shared with the database.
    exact: dict[str, float] = field(default_factory=dict)
    prefixes: dict[str, float] = field(default_factory=dict)
    others: list[tuple[Network, float]] = field(default_factory=list)
    loaded_at: float = 0.0

    def add(self, network: Network, expires: float) -> None:
        full = 32 if network.version == 4 else 128
        standard = 24 if network.version == 4 else 64
        if network.prefixlen == full:
            key = str(network.network_address)
            self.exact[key] = max(expires, self.exact.get(key, 0.0))
        elif network.prefixlen == standard:
            key = str(network)
            self.prefixes[key] = max(expires, self.prefixes.get(key, 0.0))
        else:
            self.others.append((network, expires))

    def banned_until(self, client: Client, now: float | None = None) -> float | None:
        """The expiry of the longest ban covering ``client``, or None."""
        now = time.time() if now is None else now
        until = max(self.exact.get(client.ip, 0.0), self.prefixes.get(client.prefix, 0.0))
        if self.others:
            address = ipaddress.ip_address(client.ip)
            for network, expires in self.others:
                if expires > until and address.version == network.version and address in network:
                    until = expires
        return until if until > now else None

    def __len__(self) -> int:
        return len(self.exact) + len(self.prefixes) + len(self.others)


TABLE = BanTable()


def parse_network(text: str) -> Network:
    """An address or network as a ban target; host bits are cleared ("10.1.2.3/24" bans
    10.1.2.0/24). Raises ValueError with a readable message."""
    text = text.strip()
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not an IP address or network") from exc
    if isinstance(network, ipaddress.IPv6Network) and network.network_address.ipv4_mapped:
        mapped = network.network_address.ipv4_mapped
        network = ipaddress.ip_network(f"{mapped}/{max(0, network.prefixlen - 96)}", strict=False)
    widest = 16 if network.version == 4 else 32
    if network.prefixlen < widest:
        raise ValueError(f"{text!r} is wider than a /{widest}: ban smaller networks")
    return network


def load_active() -> BanTable:
    """The active bans from the database (called from a thread, never the event loop)."""
    from .models import Ban

    table = BanTable(loaded_at=time.time())
    rows = Ban.objects.filter(lifted__isnull=True, expires__gt=timezone.now()).values_list(
        "network", "expires"
    )
    for network, expires in rows:
        table.add(ipaddress.ip_network(network), expires.timestamp())
    return table


def refresh_from_database() -> int:
    """Replace this process's table with the database's active bans; their number."""
    global TABLE
    table = load_active()
    TABLE = table
    return len(table)


def table() -> BanTable:
    return TABLE
