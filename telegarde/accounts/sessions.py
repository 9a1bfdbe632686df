"""Signed-in sessions: opened at login, listed to their owner, expired, revoked."""

from __future__ import annotations

import time
from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from telegarde.core.events import client_ip, record_event
from telegarde.core.outbound import send_verified_mail

from .models import User, UserSession

KNOWN_IP_DAYS = 90


def do_open_session(
    request: HttpRequest, user: User, *, method: str, new_device: bool
) -> UserSession:
    """Called right after login: list the session, and tell the owner when it comes from
    a browser or an address not seen before (with the message's verification code)."""
    ip = client_ip(request)
    agent = str(request.META.get("HTTP_USER_AGENT", ""))[:300]
    known_ip = UserSession.objects.filter(
        user=user, ip=ip, created__gte=timezone.now() - timedelta(days=KNOWN_IP_DAYS)
    ).exists()
    first_ever = not UserSession.objects.filter(user=user).exists()
    assert request.session.session_key is not None  # noqa: S101 - login() saved it
    session = UserSession.objects.create(
        user=user, session_key=request.session.session_key, ip=ip, user_agent=agent, method=method
    )
    if (new_device or not known_ip) and not first_ever:
        record_event(
            "auth.login.new_device",
            request=request,
            target=user,
            data={"new_browser": new_device, "new_address": not known_ip},
        )
        send_verified_mail(
            recipient_email=user.email,
            recipient_id=str(user.external_id),
            subject=_("Nouvelle connexion à votre compte Telegarde"),
            template="accounts/mail/new_login.txt",
            context={"user": user, "ip": ip or "?", "agent": agent, "when": session.created},
            purpose="login.new_device",
        )
    return session


def touch(request: HttpRequest, user: User) -> bool:
    """False when this session was revoked (signed out elsewhere); updates last_seen."""
    key = request.session.session_key
    if key is None:
        return False
    stale = timezone.now() - timedelta(seconds=60)
    updated = UserSession.objects.filter(session_key=key, user=user, last_seen__lt=stale).update(
        last_seen=timezone.now()
    )
    return bool(updated) or UserSession.objects.filter(session_key=key, user=user).exists()


@transaction.atomic
def do_revoke_sessions(
    user: User,
    *,
    reason: str,
    acting_user: User | None,
    request: HttpRequest | None = None,
    keep_key: str | None = None,
    only: UserSession | None = None,
) -> int:
    """End sessions of ``user`` (all but ``keep_key``, or just ``only``); they are
    signed out at their next request. Records ``auth.session.revoked``."""
    sessions = UserSession.objects.filter(user=user)
    if only is not None:
        sessions = sessions.filter(pk=only.pk)
    if keep_key:
        sessions = sessions.exclude(session_key=keep_key)
    keys = list(sessions.values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    sessions.delete()
    if keys:
        record_event(
            "auth.session.revoked",
            actor=acting_user,
            request=request,
            target=user,
            data={"reason": reason, "count": len(keys)},
        )
    return len(keys)


def do_close_session(request: HttpRequest) -> None:
    if request.session.session_key:
        UserSession.objects.filter(session_key=request.session.session_key).delete()


def realtime_session_usable(user: User, session: SessionBase) -> bool:
    """For WebSocket consumers, which the HTTP middlewares do not see: the session is
    listed (not revoked), within its absolute lifetime, and a professional's sign-in met
    the second-factor rule."""
    from .factors import has_second_factor, second_factor_required
    from .login_flow import AUTH_AT_KEY, METHOD_KEY, PROFESSIONAL_KEY
    from .middleware import STRONG_METHODS

    kind = "professional" if session.get(PROFESSIONAL_KEY) else "patient"
    auth_at = session.get(AUTH_AT_KEY)
    if not isinstance(auth_at, int | float):
        return False
    if time.time() - auth_at > settings.SESSION_TIMEOUTS[f"{kind}_absolute"]:
        return False
    key = session.session_key
    if key is None or not UserSession.objects.filter(session_key=key, user=user).exists():
        return False
    if session.get(METHOD_KEY) in STRONG_METHODS or not second_factor_required(user):
        return True
    return has_second_factor(user)
