"""The shield's own answers (429, 503, queue page, 403 for a ban), rendered with Django's
templates and translations but without a request object, a session or the database."""

from __future__ import annotations

import math
from functools import lru_cache

from django.template.loader import render_to_string
from django.utils import translation

from .queue import cookie_value

LANGUAGES = ("fr", "en")


def language_of(headers: list[tuple[bytes, bytes]]) -> str:
    """French unless the language cookie or Accept-Language says English first."""
    chosen = cookie_value(headers, "django_language")
    if chosen in LANGUAGES:
        return chosen
    for key, value in headers:
        if key == b"accept-language":
            first = value.split(b",", 1)[0].strip().lower()
            return "en" if first.startswith(b"en") else "fr"
    return "fr"


@lru_cache(maxsize=32)
def refusal_body(kind: str, language: str) -> bytes:
    """The page for ``kind`` ("limited", "saturated", "banned", "too_large", ...),
    cached: a flood is answered from memory."""
    with translation.override(language):
        return render_to_string("shield/refusal.html", {"kind": kind}).encode()


def queue_body(language: str, position: int, wait_s: float, refresh_s: int) -> bytes:
    with translation.override(language):
        return render_to_string(
            "shield/queue.html",
            {
                "position": position,
                "wait_minutes": max(1, math.ceil(wait_s / 60)),
                "refresh_s": refresh_s,
            },
        ).encode()
