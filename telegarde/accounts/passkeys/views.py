"""Passkey pages: manage one's passkeys, sign in without a password, prove a second factor.

The browser side is ``static/passkeys/passkeys.js``: it fetches the options (JSON), runs
the WebAuthn ceremony and posts the answer with the page's form, so every outcome is an
ordinary page with its message.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from telegarde.accounts import login_flow
from telegarde.accounts.factors import has_second_factor
from telegarde.accounts.http import AuthenticatedRequest
from telegarde.accounts.models import User
from telegarde.accounts.stepup import require_step_up

from . import ceremonies
from .access import access_passkey, passkeys_for
from .actions import (
    do_record_passkey_failure,
    do_register_passkey,
    do_remove_passkey,
    do_rename_passkey,
    do_use_passkey,
)
from .ceremonies import PasskeyRejected
from .forms import CredentialForm, PasskeyNameForm, RegistrationForm

CHALLENGE_PURPOSES = {"login": "second_factor", "step_up": "step_up"}

View = Callable[..., HttpResponse]


def step_up_once_enrolled(view: View) -> View:
    """Step-up before adding a factor, except the first one: there is nothing to step up
    with yet, and the signed-in session proved the password (the rule TOTP enrolment uses)."""
    stepped_up = require_step_up(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if isinstance(user, User) and not has_second_factor(user):
            return view(request, *args, **kwargs)
        return stepped_up(request, *args, **kwargs)

    return wrapper


def _options(build: ceremonies.OptionsBuilder) -> HttpResponse:
    try:
        body = build()
    except PasskeyRejected as rejected:
        return JsonResponse({"error": str(rejected.message)}, status=400)
    return HttpResponse(body, content_type="application/json")


@require_GET
@login_required
def passkey_list(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "passkeys/list.html", {"passkeys": passkeys_for(request.user)})


@never_cache
@require_POST
@step_up_once_enrolled
def add_options(request: AuthenticatedRequest) -> HttpResponse:
    return _options(lambda: ceremonies.registration_options(request, request.user))


@never_cache
@require_http_methods(["GET", "POST"])
@step_up_once_enrolled
def add(request: AuthenticatedRequest) -> HttpResponse:
    form = RegistrationForm(request.POST if request.method == "POST" else None)
    if request.method == "GET":
        return render(request, "passkeys/add.html", {"form": form})
    if not form.is_valid() and "name" in form.errors:
        return render(request, "passkeys/add.html", {"form": form}, status=400)
    try:
        if "credential" in form.errors:
            raise PasskeyRejected("malformed")
        registration = ceremonies.verify_registration(
            request, form.cleaned_data["credential"], request.user
        )
        do_register_passkey(
            request.user,
            registration,
            name=form.cleaned_data["name"],
            acting_user=request.user,
            request=request,
        )
    except PasskeyRejected as rejected:
        do_record_passkey_failure(
            rejected,
            ceremony="registration",
            purpose="register",
            user=request.user,
            request=request,
        )
        form.add_error(None, str(rejected.message))
        return render(request, "passkeys/add.html", {"form": form}, status=400)
    messages.success(request, _("Votre clé d'accès est enregistrée."))
    return redirect("passkeys:list")


@require_POST
@login_required
def rename(request: AuthenticatedRequest, passkey_id: uuid.UUID) -> HttpResponse:
    passkey = access_passkey(request.user, passkey_id)
    form = PasskeyNameForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "passkeys/list.html",
            {"passkeys": passkeys_for(request.user), "rename_form": form, "renamed": passkey},
            status=400,
        )
    do_rename_passkey(passkey, form.cleaned_data["name"], acting_user=request.user, request=request)
    messages.success(request, _("La clé d'accès a été renommée."))
    return redirect("passkeys:list")


@require_http_methods(["GET", "POST"])
@require_step_up
def remove(request: AuthenticatedRequest, passkey_id: uuid.UUID) -> HttpResponse:
    passkey = access_passkey(request.user, passkey_id)
    if request.method == "GET":
        return render(request, "passkeys/remove.html", {"passkey": passkey})
    do_remove_passkey(passkey, acting_user=request.user, request=request)
    messages.success(request, _("La clé d'accès a été supprimée."))
    return redirect("passkeys:list")


@never_cache
@require_POST
def login_options(request: HttpRequest) -> HttpResponse:
    return _options(lambda: ceremonies.authentication_options(request, "login", None))


@never_cache
@require_http_methods(["GET", "POST"])
def passwordless_login(request: HttpRequest) -> HttpResponse:
    """Sign in with a discoverable passkey alone: it proves possession and the user's PIN
    or biometric (user verification is required), so no password is asked."""
    form = CredentialForm(request.POST if request.method == "POST" else None)
    next_url = login_flow.safe_next(request, request.POST.get("next") or request.GET.get("next"))
    context = {"form": form, "next": next_url}
    if request.method == "GET":
        return render(request, "passkeys/login.html", context)
    try:
        if not form.is_valid():
            raise PasskeyRejected("malformed")
        assertion = ceremonies.verify_assertion(
            request, form.cleaned_data["credential"], purpose="login", user=None
        )
        passkey = do_use_passkey(assertion, purpose="login", request=request)
    except PasskeyRejected as rejected:
        do_record_passkey_failure(
            rejected, ceremony="login", purpose="login", user=None, request=request
        )
        context["error"] = rejected.message
        return render(request, "passkeys/login.html", context, status=400)
    login_flow.complete_login(request, passkey.user, method="passkey")
    return redirect(next_url)


def _challenge_user(request: HttpRequest, purpose: str) -> User | None:
    if purpose == "login":
        return login_flow.pending_user(request)
    return request.user if isinstance(request.user, User) else None


@never_cache
@require_POST
def challenge_options(request: HttpRequest) -> HttpResponse:
    purpose = request.GET.get("purpose", "")
    user = _challenge_user(request, purpose) if purpose in CHALLENGE_PURPOSES else None
    if user is None:
        return JsonResponse({"error": _("Votre connexion a expiré. Recommencez.")}, status=400)
    return _options(
        lambda: ceremonies.authentication_options(request, CHALLENGE_PURPOSES[purpose], user)
    )


@never_cache
@require_http_methods(["GET", "POST"])
def challenge(request: HttpRequest) -> HttpResponse:
    """The passkey as second factor (``purpose=login``) or for step-up (``purpose=step_up``)."""
    purpose = request.GET.get("purpose", "")
    user = _challenge_user(request, purpose) if purpose in CHALLENGE_PURPOSES else None
    if user is None:
        messages.error(request, _("Votre connexion a expiré. Recommencez."))
        return redirect("accounts:login")
    form = CredentialForm(request.POST if request.method == "POST" else None)
    context = {"form": form, "purpose": purpose, "next": request.GET.get("next", "")}
    if request.method == "GET":
        return render(request, "passkeys/challenge.html", context)
    slot = CHALLENGE_PURPOSES[purpose]
    try:
        if not form.is_valid():
            raise PasskeyRejected("malformed")
        assertion = ceremonies.verify_assertion(
            request, form.cleaned_data["credential"], purpose=slot, user=user
        )
        do_use_passkey(assertion, purpose=slot, request=request)
    except PasskeyRejected as rejected:
        do_record_passkey_failure(
            rejected, ceremony="login", purpose=slot, user=user, request=request
        )
        return render(
            request, "passkeys/challenge.html", {**context, "error": rejected.message}, status=400
        )
    return login_flow.finish_challenge(request, user, method="passkey", purpose=purpose)
