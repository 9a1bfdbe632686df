"""State changes on accounts; each records its security event in the same transaction."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from telegarde.core.events import record_event
from telegarde.core.outbound import send_verified_mail

from .models import Membership, Organisation, PatientProfile, PractitionerProfile, User


@transaction.atomic
def do_create_organisation(
    name: str,
    kind: str,
    *,
    city: str = "",
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> Organisation:
    organisation = Organisation(name=name.strip(), kind=kind, city=city.strip())
    if Organisation.objects.filter(name__iexact=organisation.name).exists():
        raise ValidationError({"name": _("Une organisation porte déjà ce nom.")})
    organisation.full_clean()
    organisation.save()
    record_event(
        "account.organisation.created",
        actor=acting_user,
        request=request,
        organisation=organisation,
        target=organisation,
        data={"kind": kind},
    )
    return organisation


@transaction.atomic
def do_create_user(
    email: str,
    password: str | None,
    *,
    first_name: str = "",
    last_name: str = "",
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> User:
    user = User(email=email.strip(), first_name=first_name.strip(), last_name=last_name.strip())
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    record_event("account.user.created", actor=acting_user, request=request, target=user)
    return user


@transaction.atomic
def do_set_back_office_access(
    user: User, *, enabled: bool, acting_user: User | None, request: HttpRequest | None = None
) -> None:
    """Give or take the Django admin (back-office) with every permission in it."""
    user.is_staff = user.is_superuser = enabled
    user.save(update_fields=["is_staff", "is_superuser"])
    record_event(
        "account.back_office.granted" if enabled else "account.back_office.revoked",
        actor=acting_user,
        request=request,
        target=user,
    )


@transaction.atomic
def do_grant_role(
    user: User,
    organisation: Organisation,
    role: str,
    *,
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> Membership:
    if role not in Membership.Role.values:
        raise ValidationError({"role": _("Rôle inconnu : %(role)s.") % {"role": role}})
    membership, created = Membership.objects.get_or_create(
        user=user, organisation=organisation, role=role
    )
    if created:
        record_event(
            "account.role.granted",
            actor=acting_user,
            request=request,
            organisation=organisation,
            target=user,
            data={"role": role},
        )
    return membership


@transaction.atomic
def do_revoke_role(
    membership: Membership, *, acting_user: User | None, request: HttpRequest | None = None
) -> None:
    record_event(
        "account.role.revoked",
        actor=acting_user,
        request=request,
        organisation=membership.organisation,
        target=membership.user,
        data={"role": membership.role},
    )
    membership.delete()


@transaction.atomic
def do_set_practitioner_profile(
    user: User,
    *,
    rpps: str,
    profession: str,
    specialty: str = "",
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> PractitionerProfile:
    profile = PractitionerProfile.objects.filter(user=user).first() or PractitionerProfile(
        user=user
    )
    profile.rpps = rpps.strip().replace(" ", "")
    profile.profession = profession
    profile.specialty = specialty.strip()
    profile.full_clean()
    profile.save()
    record_event(
        "account.practitioner_profile.saved",
        actor=acting_user,
        request=request,
        target=user,
        data={"profession": profession},
    )
    return profile


@transaction.atomic
def do_set_patient_profile(
    user: User,
    *,
    birth_last_name: str,
    first_names: str,
    birth_date: date,
    sex: str,
    birthplace_code: str,
    used_last_name: str = "",
    phone: str = "",
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> PatientProfile:
    profile = PatientProfile.objects.filter(user=user).first() or PatientProfile(user=user)
    fields: dict[str, Any] = {
        "birth_last_name": birth_last_name.strip().upper(),
        "first_names": first_names.strip(),
        "used_last_name": used_last_name.strip().upper(),
        "birth_date": birth_date,
        "sex": sex,
        "birthplace_code": birthplace_code.strip().upper(),
        "phone": "".join(phone.split()),
    }
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.full_clean()
    profile.save()
    # Identity traits are patient data: the event names the fields, never their values.
    record_event(
        "account.patient_profile.saved",
        actor=acting_user,
        request=request,
        target=user,
        data={"fields": sorted(fields)},
    )
    return profile


def do_record_password_change(request: HttpRequest, user: User) -> None:
    """The signed-in user changed their own password (Django saved it and kept this
    session): close their other sessions and tell them, with a verification code."""
    from .sessions import do_revoke_sessions

    record_event("auth.password.changed", request=request, target=user)
    do_revoke_sessions(
        user,
        reason="password_changed",
        acting_user=user,
        request=request,
        keep_key=request.session.session_key,
    )
    send_verified_mail(
        recipient_email=user.email,
        recipient_id=str(user.external_id),
        subject=_("Votre mot de passe Telegarde a été changé"),
        template="accounts/mail/password_changed.txt",
        context={"user": user},
        purpose="password.changed",
    )


def do_record_patient_view(patient: PatientProfile, *, reason: str, request: HttpRequest) -> None:
    """Access audit (DESIGN §4 rule 2): a professional read a patient's data."""
    if request.user.pk == patient.user_id:
        return
    record_event(
        "patient.record.viewed",
        request=request,
        target=patient.user,
        data={"reason": reason},
    )
