"""The device cookie (OWASP's pattern): a browser that signed in to an account before
carries a signed token naming that account, and gets its own sign-in budget, so a
stranger exhausting the account's budget never locks its owner out."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse

SALT = "telegarde.device-cookie"
MAX_COOKIE = 2048


def _account_tag(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]


def remember_device(response: HttpResponse, request: HttpRequest, email: str) -> None:
    """Add this account to the browser's device cookie (several accounts may share one)."""
    known = _read(request)
    known[_account_tag(email)] = known.get(_account_tag(email)) or secrets.token_urlsafe(12)
    value = signing.dumps(dict(list(known.items())[-5:]), salt=SALT, compress=True)
    response.set_cookie(
        settings.DEVICE_COOKIE_NAME,
        value,
        max_age=settings.DEVICE_COOKIE_DAYS * 86400,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def device_for(request: HttpRequest, email: str) -> str | None:
    """This browser's device id for ``email``, when it signed in to it before."""
    return _read(request).get(_account_tag(email))


def is_known_browser(raw: str) -> bool:
    """True when ``raw`` is a valid device cookie (read by the shield, without a request)."""
    return bool(_decode(raw)) if len(raw) <= MAX_COOKIE else False


def _read(request: HttpRequest) -> dict[str, str]:
    raw = request.COOKIES.get(settings.DEVICE_COOKIE_NAME)
    return _decode(raw) if raw else {}


def _decode(raw: str) -> dict[str, str]:
    try:
        value = signing.loads(raw, salt=SALT, max_age=settings.DEVICE_COOKIE_DAYS * 86400)
    except signing.BadSignature:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}
