"""Enrol and use second factors: TOTP authenticators and recovery codes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from telegarde.accounts.factors import has_second_factor
from telegarde.accounts.http import AuthenticatedRequest
from telegarde.accounts.login_flow import challenge_user, finish_challenge, note_failed_challenge
from telegarde.accounts.stepup import require_step_up

from . import actions, totp
from .forms import CodeForm, RecoveryCodeForm
from .models import RecoveryCode, TotpDevice


@login_required
def manage(request: AuthenticatedRequest) -> HttpResponse:
    context = {
        "device": TotpDevice.objects.filter(user=request.user, confirmed_at__isnull=False).first(),
        "codes_left": RecoveryCode.objects.filter(user=request.user, used_at__isnull=True).count(),
    }
    return render(request, "mfa/manage.html", context)


@login_required
def totp_enrol(request: AuthenticatedRequest) -> HttpResponse:
    if has_second_factor(request.user):
        return _totp_enrol_stepped_up(request)
    return _totp_enrol(request)


@require_step_up
def _totp_enrol_stepped_up(request: AuthenticatedRequest) -> HttpResponse:
    return _totp_enrol(request)


def _totp_enrol(request: AuthenticatedRequest) -> HttpResponse:
    device = actions.do_start_totp_enrolment(request.user, request=request)
    if device.confirmed_at is not None:
        messages.info(request, _("Une application d'authentification est déjà enregistrée."))
        return redirect("mfa:manage")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = actions.do_confirm_totp(device, form.cleaned_data["code"], request=request)
        except ValidationError as error:
            form.add_error("code", error.message_dict["code"])
        else:
            return render(request, "mfa/recovery_codes.html", {"codes": codes, "enrolled": True})
    secret = actions.totp_secret(device)
    uri = totp.provisioning_uri(secret, request.user.email)
    context = {"form": form, "qr": totp.qr_svg_data_uri(uri), "secret": secret}
    return render(request, "mfa/totp_enrol.html", context)


@require_POST
@require_step_up
def totp_remove(request: AuthenticatedRequest) -> HttpResponse:
    try:
        actions.do_remove_totp(request.user, request=request)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("L'application d'authentification a été retirée."))
    return redirect("mfa:manage")


@require_POST
@require_step_up
def recovery_regenerate(request: AuthenticatedRequest) -> HttpResponse:
    codes = actions.do_generate_recovery_codes(request.user, request=request)
    return render(request, "mfa/recovery_codes.html", {"codes": codes, "enrolled": False})


def totp_challenge(request: HttpRequest) -> HttpResponse:
    return _challenge(request, "totp", CodeForm, actions.verify_totp)


def recovery_challenge(request: HttpRequest) -> HttpResponse:
    return _challenge(request, "recovery_code", RecoveryCodeForm, actions.use_recovery_code)


def _challenge(request: HttpRequest, method: str, form_class: type, check: object) -> HttpResponse:
    purpose = "step_up" if request.GET.get("purpose") == "step_up" else "login"
    user = challenge_user(request, purpose)
    if user is None:
        messages.error(request, _("Votre connexion a expiré : recommencez."))
        return redirect("accounts:login")
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if check(user, form.cleaned_data["code"], request=request, purpose=purpose):  # type: ignore[operator]
            return finish_challenge(request, user, method=method, purpose=purpose)
        if note_failed_challenge(request, purpose):
            messages.error(request, _("Trop de codes incorrects : recommencez la connexion."))
            return redirect("accounts:login")
        form.add_error("code", _("Code incorrect ou déjà utilisé."))
    template = "mfa/totp_challenge.html" if method == "totp" else "mfa/recovery_challenge.html"
    return render(request, template, {"form": form, "purpose": purpose})
