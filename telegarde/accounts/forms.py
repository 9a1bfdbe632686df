from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from telegarde.core.events import record_event

from .device import device_for
from .models import User
from .throttle.guard import (
    Busy,
    hash_with_cap,
    refund,
    reserve_attempt,
    settle,
    starts_backoff,
)

MAX_PASSWORD_BYTES = 1024


class AdminUserCreationForm(auth_forms.AdminUserCreationForm):  # type: ignore[type-arg]
    class Meta:
        model = User
        fields = ("email",)


class AdminUserChangeForm(auth_forms.UserChangeForm):  # type: ignore[type-arg]
    class Meta:
        model = User
        fields = "__all__"


class LoginForm(auth_forms.AuthenticationForm):
    """Email and password. Budgets are reserved before any hash is computed; the error
    never says which field was wrong, nor whether the account exists."""

    error_messages = {
        "invalid_login": _(
            "Adresse électronique ou mot de passe incorrect. Vérifiez les deux champs "
            "(les majuscules comptent dans le mot de passe)."
        ),
    }

    def clean(self) -> dict[str, Any]:
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not email or not password:
            return self.cleaned_data
        if len(password.encode()) > MAX_PASSWORD_BYTES:
            record_event(
                "auth.login.failed",
                outcome="failure",
                request=self.request,
                data={"email": email[:254], "reason": "password_too_long"},
            )
            raise ValidationError(
                _("Ce mot de passe est trop long (1024 octets au plus)."), code="too_long"
            )
        assert self.request is not None  # noqa: S101 - the login view always passes it
        attempt = reserve_attempt(self.request, email, device_for(self.request, email))
        if not attempt.decision.allowed:
            minutes = max(1, -(-attempt.decision.retry_after // 60))
            raise ValidationError(
                ngettext(
                    "Trop de tentatives de connexion. Réessayez dans %(n)d minute, ou "
                    "connectez-vous depuis un navigateur déjà utilisé.",
                    "Trop de tentatives de connexion. Réessayez dans %(n)d minutes, ou "
                    "connectez-vous depuis un navigateur déjà utilisé.",
                    minutes,
                )
                % {"n": minutes},
                code="throttled",
            )
        try:
            user = hash_with_cap(
                lambda: authenticate(self.request, username=email, password=password)
            )
        except Busy:
            refund(attempt)  # not the visitor's fault: give the unit back, keep the streak
            raise ValidationError(
                _("Le service est très sollicité : réessayez dans quelques secondes."), code="busy"
            ) from None
        if user is None:
            if starts_backoff(attempt):
                from .notifications import do_warn_account_owner

                do_warn_account_owner(email, request=self.request)
            raise self.get_invalid_login_error()
        settle(attempt, success=True)
        self.user_cache = user
        self.confirm_login_allowed(user)
        return self.cleaned_data


class SessionRevokeForm(forms.Form):
    session = forms.UUIDField()
