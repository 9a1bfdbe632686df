"""Sign-in, sign-out and the patient file as professionals see it."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from .access import access_patient, sessions_for
from .actions import do_record_password_change, do_record_patient_view
from .factors import enrolled_factors
from .forms import LoginForm, SessionRevokeForm
from .http import AuthenticatedRequest
from .login_flow import (
    begin_second_factor,
    complete_login,
    pending_user,
    remember_device_on,
    safe_next,
)
from .models import User
from .passwords.forms import PasswordChangeForm as BoundedPasswordChangeForm
from .sessions import do_close_session, do_revoke_sessions


class LoginView(auth_views.LoginView):
    """The password step; a second factor follows when the account has one."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: LoginForm) -> HttpResponse:  # type: ignore[override]
        user = form.get_user()
        assert isinstance(user, User)  # noqa: S101 - ModelBackend returns our model
        next_url = safe_next(self.request, self.get_redirect_url() or None)
        if enrolled_factors(user):
            begin_second_factor(self.request, user, next_url=next_url)
            return redirect("accounts:second_factor")
        complete_login(self.request, user, method="password")
        return remember_device_on(redirect(next_url), self.request)


@require_GET
def second_factor(request: HttpRequest) -> HttpResponse:
    """Choose how to prove the second factor for the login in progress."""
    user = pending_user(request)
    if user is None:
        return redirect("accounts:login")
    return render(request, "accounts/second_factor.html", {"factors": _choices(user, "login", "")})


@require_GET
@login_required
def step_up(request: AuthenticatedRequest) -> HttpResponse:
    """Prove a second factor again before a sensitive action."""
    next_url = safe_next(request, request.GET.get("next"))
    factors = _choices(request.user, "step_up", next_url)
    if not factors:
        messages.info(request, _("Ajoutez d'abord un second facteur pour confirmer cette action."))
        return redirect("mfa:manage")
    return render(request, "accounts/step_up.html", {"factors": factors})


def _choices(user: User, purpose: str, next_url: str) -> list[tuple[str, str]]:
    query = urlencode({"purpose": purpose, "next": next_url})
    return [(str(f.label), f"{reverse(f.challenge_url)}?{query}") for f in enrolled_factors(user)]


class LogoutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        do_close_session(request)
        return super().post(request, *args, **kwargs)


@login_required
def sessions(request: AuthenticatedRequest) -> HttpResponse:
    """The owner's signed-in browsers; close one, or all the others."""
    if request.method == "POST":
        if request.POST.get("all") == "1":
            count = do_revoke_sessions(
                request.user, reason="owner_signed_out_everywhere", acting_user=request.user,
                request=request, keep_key=request.session.session_key,
            )  # fmt: skip
            closed = ngettext(
                "%(n)d autre session fermée.", "%(n)d autres sessions fermées.", count
            )
            messages.success(request, closed % {"n": count})
        else:
            form = SessionRevokeForm(request.POST)
            target = (
                sessions_for(request.user).filter(external_id=form.cleaned_data["session"]).first()
                if form.is_valid()
                else None
            )
            if target is None:
                raise Http404("session")
            do_revoke_sessions(
                request.user, reason="owner_closed_session", acting_user=request.user,
                request=request, only=target,
            )  # fmt: skip
            messages.success(request, _("Session fermée."))
        return redirect("accounts:sessions")
    context = {
        "sessions": sessions_for(request.user),
        "current": request.session.session_key,
    }
    return render(request, "accounts/sessions.html", context)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's password (the current one is asked); other sessions are signed out."""

    template_name = "accounts/password_change.html"
    form_class = BoundedPasswordChangeForm
    success_url = reverse_lazy("home")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        do_record_password_change(self.request, form.user)
        messages.success(self.request, _("Votre mot de passe a été changé."))
        return response


@require_GET
@login_required
def patient_detail(request: AuthenticatedRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = access_patient(request.user, patient_id)
    do_record_patient_view(patient, reason="organisation_care_team", request=request)
    return render(request, "accounts/patient_detail.html", {"patient": patient})
