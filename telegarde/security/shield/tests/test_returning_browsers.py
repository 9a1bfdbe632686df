"""During a flood, a sign-in from a browser that signed in before is not "anonymous
traffic": its signed device cookie lifts it out of the lowest priority lane."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory

from telegarde.accounts.device import remember_device
from telegarde.security.shield.middleware import _level
from telegarde.security.shield.priority import LOW, NORMAL


def device_cookie() -> str:
    response = HttpResponse()
    remember_device(response, RequestFactory().get("/"), "patiente@test.fr")
    return response.cookies[settings.DEVICE_COOKIE_NAME].value


def headers(cookie: str) -> list[tuple[bytes, bytes]]:
    return [(b"cookie", f"{settings.DEVICE_COOKIE_NAME}={cookie}".encode())]


def test_a_returning_browser_signs_in_in_the_normal_lane() -> None:
    assert _level("login", None, headers(device_cookie())) == NORMAL


def test_a_stranger_or_a_forged_cookie_stays_in_the_lowest_lane() -> None:
    assert _level("login", None, []) == LOW
    forged = device_cookie()[:-4] + "AAAA"
    assert _level("login", None, headers(forged)) == LOW
    assert _level("login", None, headers("x" * 5000)) == LOW


def test_the_cookie_lifts_sign_in_only_not_other_anonymous_pages() -> None:
    assert _level("page", None, headers(device_cookie())) == LOW
