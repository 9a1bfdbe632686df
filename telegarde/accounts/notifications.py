"""Messages to account owners about their account's security."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _

from telegarde.core.events import record_event
from telegarde.core.outbound import send_verified_mail

from .models import User


def do_warn_account_owner(email: str, *, request: HttpRequest) -> None:
    """The account's back-off just started: tell its owner (nothing when no account)."""
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is None:
        return
    record_event("auth.account.under_attack", request=request, target=user)
    send_verified_mail(
        recipient_email=user.email,
        recipient_id=str(user.external_id),
        subject=_("Tentatives de connexion sur votre compte Telegarde"),
        template="accounts/mail/account_attacked.txt",
        context={"user": user},
        purpose="login.under_attack",
    )
