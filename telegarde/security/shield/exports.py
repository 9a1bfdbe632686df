"""Active bans in the formats edge operators load: an nginx ``deny`` include and an
nftables set file (docs/shield.md shows where each goes)."""

from __future__ import annotations

import ipaddress
import os
import tempfile
from datetime import datetime
from pathlib import Path

from django.utils import timezone

from .models import Ban


def active_bans() -> list[Ban]:
    return list(
        Ban.objects.filter(lifted__isnull=True, expires__gt=timezone.now()).order_by("network")
    )


def _clean(text: str) -> str:
    return "".join(ch if ch.isprintable() and ch not in "\n\r" else " " for ch in text)[:120]


def nginx_deny(bans: list[Ban], now: datetime | None = None) -> str:
    now = now or timezone.now()
    lines = [
        "# Telegarde shield bans, generated " + now.isoformat(timespec="seconds"),
        "# include inside the server or http block; reload nginx after each export.",
    ]
    for ban in bans:
        lines.append(
            f"deny {ipaddress.ip_network(ban.network)};  "
            f"# until {ban.expires.isoformat(timespec='seconds')} — {_clean(ban.reason)}"
        )
    return "\n".join(lines) + "\n"


def nftables_sets(bans: list[Ban], now: datetime | None = None) -> str:
    """``table inet telegarde`` with two interval sets whose elements expire by themselves."""
    now = now or timezone.now()
    v4: list[str] = []
    v6: list[str] = []
    for ban in bans:
        network = ipaddress.ip_network(ban.network)
        seconds = max(1, int((ban.expires - now).total_seconds()))
        element = f"{network} timeout {seconds}s"
        (v4 if network.version == 4 else v6).append(element)

    def block(name: str, family: str, elements: list[str]) -> str:
        body = f"    set {name} {{\n        type {family}\n        flags interval, timeout\n"
        if elements:
            body += "        elements = { " + ",\n                     ".join(elements) + " }\n"
        return body + "    }\n"

    return (
        "# Telegarde shield bans, generated " + now.isoformat(timespec="seconds") + "\n"
        "# nft -f this file; drop with: ip saddr @banned_v4 drop / ip6 saddr @banned_v6 drop\n"
        "table inet telegarde\n"
        "delete table inet telegarde\n"
        "table inet telegarde {\n"
        + block("banned_v4", "ipv4_addr;", v4)
        + block("banned_v6", "ipv6_addr;", v6)
        + "    chain input {\n"
        "        type filter hook input priority -10; policy accept;\n"
        "        ip saddr @banned_v4 drop\n"
        "        ip6 saddr @banned_v6 drop\n"
        "    }\n"
        "}\n"
    )


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` in one rename, so nginx or nft never reads half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
