"""Registration and password reset; each step records its event in the same transaction.

The request path does the same work whether or not the address has an account (one
lookup, one budget check, one event); mails leave through ``mail.send_after_commit``.
Events name the typed address, never a token or a password.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from telegarde.accounts.actions import do_create_user, do_grant_role, do_set_patient_profile
from telegarde.accounts.models import Membership, Organisation, User
from telegarde.core.context_processors import platform
from telegarde.core.events import record_event

from .mail import Mail, send_after_commit
from .tokens import registration_token, reset_tokens, uid_for

MAX_EMAIL = 254


def _within_mail_budget(email: str) -> bool:
    """At most ``RECOVERY_MAILS_PER_HOUR`` mails per address, counted for every address
    (known or not) so that the check costs the same either way."""
    key = "recovery-mail:" + hashlib.sha256(email.casefold().encode()).hexdigest()
    cache.add(key, 0, timeout=3600)
    try:
        sent = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=3600)
        sent = 1
    return sent <= int(settings.RECOVERY_MAILS_PER_HOUR)


def _mail(request: HttpRequest, to: str, subject: Any, template: str, **context: Any) -> Mail:
    context.update(platform(request), public_url=settings.PUBLIC_URL)
    return Mail(to, subject, f"recovery/mail/{template}.txt", context, translation.get_language())


@transaction.atomic
def do_request_password_reset(email: str, *, request: HttpRequest) -> None:
    typed = email.strip()[:MAX_EMAIL]
    user = User.objects.filter(email__iexact=typed, is_active=True).first()
    budget = _within_mail_budget(typed)
    record_event(
        "auth.password.reset.requested",
        request=request,
        target=user,
        data={"email": typed, "account_found": user is not None, "mailed": bool(user and budget)},
    )
    if user is None or not budget:
        return
    path = reverse(
        "accounts:password_reset_confirm",
        kwargs={"uidb64": uid_for(user), "token": reset_tokens.make_token(user)},
    )
    minutes = int(settings.PASSWORD_RESET_TIMEOUT) // 60
    send_after_commit(
        _mail(
            request,
            user.email,
            gettext_lazy("Réinitialisation de votre mot de passe"),
            "reset_link",
            link=settings.PUBLIC_URL + path,
            minutes=minutes,
        )
    )


@transaction.atomic
def do_complete_password_reset(user: User, password: str, *, request: HttpRequest) -> None:
    """Set the new password (which voids the link and every open session) and tell the
    owner by mail, in case it was not them."""
    user.set_password(password)
    user.save(update_fields=["password"])
    record_event("auth.password.reset.completed", actor=user, request=request, target=user)
    send_after_commit(
        _mail(
            request,
            user.email,
            gettext_lazy("Votre mot de passe a été changé"),
            "reset_notice",
            reset_link=settings.PUBLIC_URL + reverse("accounts:password_reset"),
        )
    )


def do_record_password_reset_failure(
    reason: str, *, request: HttpRequest, user: User | None = None, codes: list[str] | None = None
) -> None:
    record_event(
        "auth.password.reset.failed",
        outcome="failure",
        request=request,
        target=user,
        data={"reason": reason, **({"codes": codes} if codes else {})},
    )


@transaction.atomic
def do_request_registration(email: str, *, request: HttpRequest) -> None:
    """Mail either a link to finish creating the account, or, when the address already
    has one, a note saying so; the visitor sees the same answer in both cases."""
    typed = email.strip()[:MAX_EMAIL]
    existing = User.objects.filter(email__iexact=typed).first()
    budget = _within_mail_budget(typed)
    record_event(
        "account.registration.requested",
        request=request,
        target=existing,
        data={"email": typed, "account_exists": existing is not None, "mailed": budget},
    )
    if not budget:
        return
    if existing is not None:
        mail = _mail(
            request,
            existing.email,
            gettext_lazy("Vous avez déjà un compte"),
            "register_exists",
            reset_link=settings.PUBLIC_URL + reverse("accounts:password_reset"),
        )
    else:
        path = reverse("accounts:register_complete", kwargs={"token": registration_token(typed)})
        mail = _mail(
            request,
            typed,
            gettext_lazy("Terminez la création de votre compte"),
            "register_link",
            link=settings.PUBLIC_URL + path,
            minutes=int(settings.REGISTRATION_LINK_MAX_AGE) // 60,
        )
    send_after_commit(mail)


def do_complete_registration(
    email: str,
    *,
    password: str,
    birth_last_name: str,
    first_names: str,
    used_last_name: str,
    birth_date: date,
    sex: str,
    birthplace_code: str,
    organisation: Organisation | None,
    request: HttpRequest,
) -> User:
    """Create the patient's account and identity in one transaction; a second use of the
    same link finds the account made and is refused."""
    try:
        with transaction.atomic():
            if User.objects.filter(email__iexact=email).exists():
                raise ValidationError(_("Ce lien a déjà servi : votre compte existe."))
            user = do_create_user(
                email,
                password,
                first_name=first_names.split()[0] if first_names.split() else "",
                last_name=used_last_name or birth_last_name,
                acting_user=None,
                request=request,
            )
            if organisation is not None:
                do_grant_role(
                    user, organisation, Membership.Role.PATIENT, acting_user=user, request=request
                )
            do_set_patient_profile(
                user,
                birth_last_name=birth_last_name,
                first_names=first_names,
                used_last_name=used_last_name,
                birth_date=birth_date,
                sex=sex,
                birthplace_code=birthplace_code,
                acting_user=user,
                request=request,
            )
            record_event(
                "account.registration.completed",
                actor=user,
                request=request,
                organisation=organisation,
                target=user,
                data={"organisation_chosen": organisation is not None},
            )
    except IntegrityError as exc:  # the same link used twice at the same instant
        raise ValidationError(_("Ce lien a déjà servi : votre compte existe.")) from exc
    return user


def do_record_registration_failure(reason: str, *, request: HttpRequest) -> None:
    record_event(
        "account.registration.failed", outcome="failure", request=request, data={"reason": reason}
    )
