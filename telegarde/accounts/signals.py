"""Authentication events from Django's signals, so the admin's login is covered too."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from telegarde.core.claims import HIGH, NORMAL, issue_priority_claim, withdraw_priority_claim
from telegarde.core.events import record_event

from .models import Membership, User

MAX_EMAIL = 254


@receiver(user_logged_in)
def _logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    method = getattr(request, "_telegarde_login_method", "password")
    record_event("auth.login.succeeded", actor=user, request=request, data={"method": method})
    # The edge serves practitioners and staff first when the platform is saturated.
    carers = (Membership.Role.PRACTITIONER, Membership.Role.STAFF)
    high = Membership.objects.filter(user=user, role__in=carers).exists()
    issue_priority_claim(request, user, HIGH if high else NORMAL)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        record_event("auth.logout", actor=user, request=request)
    withdraw_priority_claim(request)


@receiver(user_login_failed)
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Only the address typed is kept: Django already masks the password in ``credentials``.
    typed = str(credentials.get("username") or credentials.get("email") or "")[:MAX_EMAIL]
    # The account, when it exists, is the target: its owner sees the failure in their
    # login history (the answer to the visitor stays the same either way).
    account = User.objects.filter(email__iexact=typed).first() if typed else None
    record_event(
        "auth.login.failed",
        outcome="failure",
        request=request,
        target=account,
        data={"email": typed, "reason": "bad_credentials"},
    )
