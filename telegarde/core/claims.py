"""Priority claims: a signed cookie that tells the edge (the shield) who a request is from
and how urgent it is, without a database hit.

A claim is not authentication: Django's session remains the only proof of identity. The
claim only decides the order in which the edge serves requests when the platform is
saturated, so a stolen or stale one buys at most its holder's budget. Care apps call
``issue_priority_claim`` when a person's priority changes (sign-in; later: appointment
today, consultation started); the middleware below writes the cookie on the response.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

COOKIE_NAME = "telegarde_priority"
HIGH = "high"  # practitioners and staff, consultation in progress, appointment today
NORMAL = "normal"  # any other signed-in person
LEVELS = (HIGH, NORMAL)
_PENDING = "_telegarde_priority_claim"
_DELETE = "-"


@dataclass(frozen=True)
class Claim:
    user_id: str
    level: str
    expires: int


@cache
def _key() -> bytes:
    return hmac.new(
        str(settings.SECRET_KEY).encode(), b"telegarde.core.claims.v1", hashlib.sha256
    ).digest()


def _signature(payload: str) -> str:
    digest = hmac.new(_key(), payload.encode("ascii"), hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(digest).decode("ascii")


def sign_claim(user_id: str, level: str, *, max_age: int, now: float | None = None) -> str:
    """The cookie value for ``user_id`` at ``level``, valid ``max_age`` seconds."""
    if level not in LEVELS:
        raise ValueError(f"priority level {level!r} is not one of {LEVELS}")
    if not user_id.isalnum():
        raise ValueError("user_id must be alphanumeric (a UUID's hex)")
    expires = int((time.time() if now is None else now) + max_age)
    payload = f"{user_id}.{level}.{expires}"
    return f"{payload}.{_signature(payload)}"


def read_claim(value: str, *, now: float | None = None) -> Claim | None:
    """The claim in a cookie value, or None when it is malformed, forged or expired."""
    if len(value) > 200:
        return None
    parts = value.split(".")
    if len(parts) != 4:
        return None
    user_id, level, expires_text, signature = parts
    if level not in LEVELS or not expires_text.isdigit():
        return None
    payload = f"{user_id}.{level}.{expires_text}"
    if not hmac.compare_digest(_signature(payload), signature):
        return None
    expires = int(expires_text)
    if expires < (time.time() if now is None else now):
        return None
    return Claim(user_id, level, expires)


def issue_priority_claim(request: HttpRequest | None, user: Any, level: str) -> None:
    """Give ``user`` a claim at ``level`` on the response to ``request`` (set by the
    middleware below), valid as long as a session."""
    if request is None:
        return
    pending = getattr(request, _PENDING, None)
    if level == NORMAL and pending not in (None, _DELETE) and f".{HIGH}." in pending:
        return  # several apps may speak on one request: the highest level wins
    value = sign_claim(user.external_id.hex, level, max_age=settings.SESSION_COOKIE_AGE)
    setattr(request, _PENDING, value)


def withdraw_priority_claim(request: HttpRequest | None) -> None:
    """Remove the claim cookie on the response to ``request`` (sign-out)."""
    if request is not None:
        setattr(request, _PENDING, _DELETE)


class PriorityClaimMiddleware:
    """Writes the claim that ``issue_priority_claim`` attached to the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        pending = getattr(request, _PENDING, None)
        if pending == _DELETE:
            response.delete_cookie(COOKIE_NAME, samesite="Lax")
        elif pending is not None:
            response.set_cookie(
                COOKIE_NAME,
                pending,
                max_age=settings.SESSION_COOKIE_AGE,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
