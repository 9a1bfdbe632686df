"""Registration and password reset pages: the answer never says whether an address
has an account (the mail does, to its owner only)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm as BaseSetPasswordForm
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from telegarde.accounts.models import User
from telegarde.accounts.passwords.forms import SetPasswordForm
from telegarde.accounts.passwords.views import PENDING_USER_SESSION_KEY

from .actions import (
    do_complete_password_reset,
    do_complete_registration,
    do_record_password_reset_failure,
    do_record_registration_failure,
    do_request_password_reset,
    do_request_registration,
)
from .forms import EmailForm, RegistrationForm
from .tokens import registration_email, reset_tokens, user_for


@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    form = EmailForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        do_request_password_reset(form.cleaned_data["email"], request=request)
        return redirect("accounts:password_reset_sent")
    return render(request, "recovery/reset_request.html", {"form": form})


def password_reset_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "recovery/reset_sent.html")


@method_decorator(sensitive_post_parameters(), name="dispatch")
class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's flow (the token moves from the URL into the session before the form is
    shown), with our token generator, form, events and notification mail."""

    template_name = "recovery/reset_confirm.html"
    form_class = SetPasswordForm
    token_generator = reset_tokens
    success_url = reverse_lazy("accounts:password_reset_done")

    def get_user(self, uidb64: str) -> User | None:
        return user_for(uidb64)

    def _reset_user(self) -> User:
        # Only reached with a valid link, which names an existing user.
        if self.user is None:
            raise Http404("user")
        return self.user

    def dispatch(self, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = super().dispatch(*args, **kwargs)
        if self.validlink:
            self.request.session[PENDING_USER_SESSION_KEY] = str(self._reset_user().external_id)
        elif self.request.method == "GET":
            token = kwargs["token"]
            if token == self.reset_url_token:
                token = self.request.session.get(auth_views.INTERNAL_RESET_SESSION_TOKEN, "")
            reason = reset_tokens.problem(self.user, token)
            do_record_password_reset_failure(reason or "invalid_or_used", request=self.request)
        return response

    def form_valid(self, form: BaseSetPasswordForm[User]) -> HttpResponse:
        do_complete_password_reset(
            self._reset_user(), form.cleaned_data["new_password1"], request=self.request
        )
        self.request.session.pop(auth_views.INTERNAL_RESET_SESSION_TOKEN, None)
        self.request.session.pop(PENDING_USER_SESSION_KEY, None)
        return redirect(self.success_url)

    def form_invalid(self, form: BaseSetPasswordForm[User]) -> HttpResponse:
        codes = sorted(
            {e.code or "invalid" for errors in form.errors.as_data().values() for e in errors}
        )
        do_record_password_reset_failure(
            "password_refused", request=self.request, user=self.user, codes=codes
        )
        return super().form_invalid(form)


def password_reset_done(request: HttpRequest) -> HttpResponse:
    return render(request, "recovery/reset_done.html")


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    form = EmailForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        do_request_registration(form.cleaned_data["email"], request=request)
        return redirect("accounts:register_sent")
    return render(request, "recovery/register.html", {"form": form})


def register_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "recovery/register_sent.html")


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def register_complete(request: HttpRequest, token: str) -> HttpResponse:
    try:
        email = registration_email(token)
    except signing.SignatureExpired:
        do_record_registration_failure("expired", request=request)
        return render(request, "recovery/register_invalid.html", status=400)
    except signing.BadSignature:
        do_record_registration_failure("invalid", request=request)
        return render(request, "recovery/register_invalid.html", status=400)
    form = RegistrationForm(request.POST if request.method == "POST" else None, email=email)
    if form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k not in ("password1", "password2")}
        try:
            do_complete_registration(
                email, password=form.cleaned_data["password1"], request=request, **fields
            )
        except ValidationError as error:
            for field, problems in error.update_error_dict({}).items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, _("Votre compte est créé. Vous pouvez vous connecter."))
            return redirect("accounts:login")
    return render(request, "recovery/register_complete.html", {"form": form, "email": email})
