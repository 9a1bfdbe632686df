"""Signing a practitioner in from a verified OpenID Connect identity, and the failures.

Events carry the reason, the issuer, the provider's subject and the RPPS number (a public
professional identifier), never a code, a token or a nonce.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.http import HttpRequest

from telegarde.accounts import login_flow
from telegarde.accounts.models import PractitionerProfile, User
from telegarde.core.events import record_event

from .flow import Identity
from .provider import OidcFailure

logger = logging.getLogger(__name__)


def practitioner_for(identity: Identity) -> User:
    """The one account whose practitioner profile holds the RPPS; never created here."""
    profile = PractitionerProfile.objects.select_related("user").filter(rpps=identity.rpps).first()
    if profile is None:
        raise OidcFailure("unknown_rpps", "no practitioner profile has this RPPS number")
    if not profile.user.is_active:
        raise OidcFailure("inactive_user", "the account is deactivated")
    return profile.user


@transaction.atomic
def do_sign_in_with_oidc(identity: Identity, *, request: HttpRequest) -> User:
    """Sign the practitioner in: the provider's login counts as strong authentication
    (Pro Santé Connect asks for the CPS card or the e-CPS app), so no second factor."""
    user = practitioner_for(identity)
    login_flow.complete_login(request, user, method="oidc")
    record_event(
        "auth.oidc.login.succeeded",
        actor=user,
        request=request,
        target=user,
        data={"issuer": identity.issuer, "subject": identity.subject[:255]},
    )
    return user


def do_record_oidc_failure(
    failure: OidcFailure,
    *,
    issuer: str,
    request: HttpRequest,
    identity: Identity | None = None,
) -> None:
    data: dict[str, str] = {"reason": failure.reason, "issuer": issuer}
    if failure.provider_error:
        data["provider_error"] = failure.provider_error
    target = None
    if identity is not None:
        data["rpps"] = identity.rpps
        data["subject"] = identity.subject[:255]
        profile = PractitionerProfile.objects.filter(rpps=identity.rpps).first()
        target = profile.user if profile is not None else None
    logger.warning("OpenID Connect sign-in refused: %s (%s)", failure.reason, failure.detail)
    record_event(
        "auth.oidc.login.failed", outcome="failure", request=request, target=target, data=data
    )
