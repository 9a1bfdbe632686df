"""Professionals reach nothing until they have enrolled a second factor (issue 3, DESIGN §1).

And a session that signed in with a password alone, while the account has a second
factor it could have used (it was enrolled in this very session), is upgraded only by
enrolling; nothing else is served in between.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from telegarde.core.events import record_event

from .factors import has_second_factor, second_factor_required
from .login_flow import (
    AUTH_AT_KEY,
    PROFESSIONAL_KEY,
    SEEN_AT_KEY,
    login_method,
    recently_stepped_up,
)
from .models import User
from .sessions import touch

BACK_OFFICE = "/gestion/"
BACK_OFFICE_LOGIN = "/gestion/login/"
SEEN_RESOLUTION = 60  # seconds: the idle clock is saved at most once a minute
ENDING_MESSAGES = {
    "absolute_timeout": _("Votre session a atteint sa durée maximale : reconnectez-vous."),
    "idle_timeout": _("Votre session a expiré après une période d'inactivité : reconnectez-vous."),
    "revoked": _("Cette session a été fermée depuis un autre appareil : reconnectez-vous."),
    "unknown": _("Veuillez vous reconnecter."),
}

# Paths a signed-in professional may reach before enrolling.
ALLOWED_PREFIXES = (
    "/comptes/mfa/",
    "/comptes/cles/",
    "/comptes/deconnexion/",
    "/comptes/confirmer/",
    "/i18n/",
    "/static/",
    "/healthz",
    "/verification/",
)
ENROLLED_KEY = "telegarde.mfa_enrolled"
# Sign-ins that are multi-factor by themselves (a passkey with user verification; Pro
# Santé Connect's CPS card or e-CPS app): the session needs no enrolled second factor.
STRONG_METHODS = frozenset({"passkey", "oidc"})


class RequireSecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            isinstance(user, User)
            and not request.path.startswith(ALLOWED_PREFIXES)
            and not request.session.get(ENROLLED_KEY)
            and login_method(request) not in STRONG_METHODS
            and second_factor_required(user)
        ):
            if not has_second_factor(user):
                return redirect(f"{reverse('mfa:manage')}?obligatoire=1")
            request.session[ENROLLED_KEY] = True  # checked once per session, not per request
        return self.get_response(request)


class SessionHygieneMiddleware:
    """Idle and absolute timeouts, and sessions revoked elsewhere, end here."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if isinstance(user, User):
            reason = self._ending(request, user)
            if reason:
                record_event(
                    "auth.session.ended", request=request, target=user, data={"reason": reason}
                )
                logout(request)
                messages.info(request, ENDING_MESSAGES[reason])
                return redirect(
                    f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}"
                )
        return self.get_response(request)

    def _ending(self, request: HttpRequest, user: User) -> str:
        now = time.time()
        timeouts = settings.SESSION_TIMEOUTS
        kind = "professional" if request.session.get(PROFESSIONAL_KEY) else "patient"
        auth_at = request.session.get(AUTH_AT_KEY)
        seen_at = request.session.get(SEEN_AT_KEY, auth_at)
        if not isinstance(auth_at, int | float) or not isinstance(seen_at, int | float):
            return "unknown"  # a session from before these rules: sign in again
        if now - auth_at > timeouts[f"{kind}_absolute"]:
            return "absolute_timeout"
        if now - seen_at > timeouts[f"{kind}_idle"]:
            return "idle_timeout"
        if not touch(request, user):
            return "revoked"
        if now - seen_at > SEEN_RESOLUTION:
            request.session[SEEN_AT_KEY] = now
        return ""


class BackOfficeGuardMiddleware:
    """The back-office signs in through the same door as everyone (second factor,
    budgets), and every change made there needs a recent second factor (step-up)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        if path.startswith(BACK_OFFICE_LOGIN):
            target = request.GET.get("next") or BACK_OFFICE
            return redirect(f"{reverse('accounts:login')}?{urlencode({'next': target})}")
        if (
            path.startswith(BACK_OFFICE)
            and request.method == "POST"
            and request.user.is_authenticated
            and not recently_stepped_up(request)
        ):
            # The form is lost, but nothing was changed: the officer confirms and redoes it.
            query = urlencode({"next": path})
            return redirect(f"{reverse('accounts:step_up')}?{query}")
        return self.get_response(request)
