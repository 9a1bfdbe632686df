"""The steps of signing in: password (or passkey), then a second factor when enrolled.

Between the two steps the session holds only a short-lived "pending" marker naming the
account; nothing is accessible until ``complete_login`` has run.
"""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme

from .device import device_for, remember_device
from .factors import second_factor_required
from .models import User
from .sessions import do_open_session

PENDING_KEY = "telegarde.pending_login"
AUTH_AT_KEY = "telegarde.auth_at"
METHOD_KEY = "telegarde.auth_method"
STEPPED_UP_KEY = "telegarde.stepped_up_at"
SEEN_AT_KEY = "telegarde.seen_at"
PROFESSIONAL_KEY = "telegarde.professional"
PENDING_SECONDS = 300
STEP_UP_SECONDS = 300


def safe_next(request: HttpRequest, candidate: str | None, default: str = "home") -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(default)


def begin_second_factor(request: HttpRequest, user: User, *, next_url: str) -> None:
    """The password was right; remember who is signing in until the second factor."""
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user": str(user.external_id),
        "at": time.time(),
        "next": next_url,
    }


def pending_user(request: HttpRequest) -> User | None:
    pending: Any = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        return None
    return User.objects.filter(external_id=str(pending.get("user")), is_active=True).first()


MAX_FAILED_CHALLENGES = 5


def challenge_user(request: HttpRequest, purpose: str) -> User | None:
    """Whose second factor a challenge view checks: the pending login, or the user."""
    if purpose == "step_up":
        user = request.user
        return user if isinstance(user, User) and user.is_authenticated else None
    return pending_user(request)


def note_failed_challenge(request: HttpRequest, purpose: str) -> bool:
    """Count a wrong code; True when too many: the pending login is then abandoned."""
    key = f"telegarde.failed_challenges.{purpose}"
    failures = int(request.session.get(key, 0)) + 1
    request.session[key] = failures
    if failures < MAX_FAILED_CHALLENGES:
        return False
    request.session.pop(key, None)
    if purpose == "login":
        request.session.pop(PENDING_KEY, None)
    else:
        logout(request)  # a stolen session cannot guess its way through step-up
    return True


def pending_next(request: HttpRequest) -> str:
    pending: Any = request.session.get(PENDING_KEY) or {}
    return safe_next(request, pending.get("next"))


def complete_login(request: HttpRequest, user: User, *, method: str) -> None:
    """Sign ``user`` in: a new session key, ``auth.login.succeeded`` with the method, the
    session listed for its owner (who is told about a new browser or address)."""
    request._telegarde_login_method = method  # type: ignore[attr-defined]  # read by signals
    new_device = device_for(request, user.email) is None
    request.session.pop(PENDING_KEY, None)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    now = time.time()
    request.session[AUTH_AT_KEY] = now
    request.session[SEEN_AT_KEY] = now
    request.session[METHOD_KEY] = method
    request.session[PROFESSIONAL_KEY] = second_factor_required(user)
    if method != "password":
        request.session[STEPPED_UP_KEY] = now
    request.session.save()
    do_open_session(request, user, method=method, new_device=new_device)
    request._telegarde_remember_device = user.email  # type: ignore[attr-defined]


def remember_device_on(response: HttpResponse, request: HttpRequest) -> HttpResponse:
    """Set the device cookie on the response that ends a login."""
    email = getattr(request, "_telegarde_remember_device", None)
    if email:
        remember_device(response, request, email)
    return response


def login_method(request: HttpRequest) -> str:
    return str(request.session.get(METHOD_KEY, "password"))


def recently_stepped_up(request: HttpRequest) -> bool:
    at = request.session.get(STEPPED_UP_KEY)
    return isinstance(at, int | float) and time.time() - at <= STEP_UP_SECONDS


def mark_stepped_up(request: HttpRequest) -> None:
    request.session[STEPPED_UP_KEY] = time.time()


def finish_challenge(
    request: HttpRequest, user: User, *, method: str, purpose: str
) -> HttpResponse:
    """What a factor's view does once the factor checked out."""
    if purpose == "step_up":
        mark_stepped_up(request)
        return redirect(safe_next(request, request.GET.get("next") or request.POST.get("next")))
    target = pending_next(request)
    complete_login(request, user, method=method)
    return remember_device_on(redirect(target), request)
