"""The fair virtual queue for surges on booking: a signed ticket instead of an error.

A visitor who arrives while the booking pages admit more than ``rate`` people a second
gets a numbered ticket (a cookie) and a page with their position, which reloads itself.
The admission line advances at ``rate``; a ticket at or behind the line is let through.
Tickets are numbered by the backend (shared through Redis), signed with a key derived
from the secret key, bound to the client's address and dated: a forged, altered,
expired or borrowed ticket counts as no ticket, and its holder queues at the end.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from functools import cache

from django.conf import settings

COOKIE_NAME = "telegarde_file"
MAX_TOKEN_LENGTH = 200


@cache
def _key() -> bytes:
    return hmac.new(
        str(settings.SECRET_KEY).encode(), b"telegarde.shield.queue.v1", hashlib.sha256
    ).digest()


def _sign(payload: str) -> str:
    digest = hmac.new(_key(), payload.encode("ascii"), hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(digest).decode("ascii")


def _bind(client_ip: str) -> str:
    return _sign(f"ip:{client_ip}")[:8]


def issue_token(ticket: int, client_ip: str, *, now: float | None = None) -> str:
    issued = int(time.time() if now is None else now)
    payload = f"{ticket}.{issued}.{_bind(client_ip)}"
    return f"{payload}.{_sign(payload)}"


@dataclass(frozen=True)
class QueueToken:
    ticket: int
    issued: int


def read_token(
    value: str, client_ip: str, *, ttl: int, now: float | None = None
) -> QueueToken | None:
    """The ticket in ``value`` when it is genuine, this client's and not expired."""
    if not value or len(value) > MAX_TOKEN_LENGTH:
        return None
    parts = value.split(".")
    if len(parts) != 4 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    ticket_text, issued_text, binding, signature = parts
    if len(ticket_text) > 12 or len(issued_text) > 12:
        return None
    if not hmac.compare_digest(_sign(f"{ticket_text}.{issued_text}.{binding}"), signature):
        return None
    if not hmac.compare_digest(binding, _bind(client_ip)):
        return None
    issued = int(issued_text)
    current = time.time() if now is None else now
    if not issued - 5 <= current <= issued + ttl:
        return None
    return QueueToken(int(ticket_text), issued)


def cookie_value(headers: list[tuple[bytes, bytes]], name: str) -> str | None:
    """One cookie's value from the request's Cookie headers, without parsing them all."""
    wanted = name.encode() + b"="
    for key, value in headers:
        if key != b"cookie" or wanted not in value:
            continue
        for part in value.split(b";"):
            part = part.strip()
            if part.startswith(wanted):
                return part[len(wanted) :].decode("latin-1").strip('"')
    return None
