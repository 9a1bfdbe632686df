"""Who may see and change which appointments and availabilities (registered rules).

A practitioner is reached through their practitioner membership (its ``external_id`` is
in the URLs): the person and the organisation where they consult.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from telegarde.accounts.access import organisations_for, roles_in
from telegarde.accounts.models import Membership, Organisation, PractitionerProfile, User
from telegarde.core.permissions import has_perm, rule

from .models import Appointment, AvailabilityException, WeeklyAvailability

Role = Membership.Role
# Roles that run an organisation's agenda on behalf of its practitioners.
DESK_ROLES = (Role.STAFF, Role.ORG_ADMIN)


def appointments_for(user: User) -> QuerySet[Appointment]:
    """A patient's own, a practitioner's own, and an organisation's for its desk."""
    return (
        Appointment.objects.filter(
            Q(patient=user)
            | Q(practitioner=user)
            | Q(organisation__in=organisations_for(user, *DESK_ROLES))
        )
        .select_related("organisation", "practitioner", "patient")
        .order_by("starts_at")
    )


def access_appointment(
    user: User, external_id: uuid.UUID, perm: str = "appointment.view"
) -> Appointment:
    """The appointment, or the same 404 whether it is missing or forbidden."""
    appointment = (
        Appointment.objects.select_related("organisation", "practitioner", "patient")
        .filter(external_id=external_id)
        .first()
    )
    if appointment is None or not has_perm(user, perm, appointment):
        raise Http404("appointment")
    return appointment


def booking_organisations(user: User) -> QuerySet[Organisation]:
    """Where ``user`` may book: as a patient for themself, or at the desk for patients."""
    return organisations_for(user, Role.PATIENT, *DESK_ROLES)


def bookable_practitioners(
    user: User, *, specialty: str = "", organisation: Organisation | None = None
) -> QuerySet[Membership]:
    """Practitioner memberships ``user`` may book with, found by specialty or profession."""
    memberships = Membership.objects.filter(
        role=Role.PRACTITIONER,
        organisation__in=booking_organisations(user),
        user__is_active=True,
        user__practitioner__isnull=False,
    )
    if organisation is not None:
        memberships = memberships.filter(organisation=organisation)
    if specialty.strip():
        words = specialty.strip()
        professions = [
            value
            for value, label in PractitionerProfile.Profession.choices
            if words.lower() in str(label).lower()
        ]
        memberships = memberships.filter(
            Q(user__practitioner__specialty__icontains=words)
            | Q(user__practitioner__profession__in=professions)
        )
    return memberships.select_related("user__practitioner", "organisation").order_by(
        "user__last_name", "user__first_name", "organisation__name"
    )


def access_practitioner(user: User, membership_id: uuid.UUID, perm: str) -> Membership:
    """A practitioner in one organisation, or the same 404 whether missing or forbidden."""
    membership = (
        Membership.objects.select_related("user", "organisation")
        .filter(external_id=membership_id, role=Role.PRACTITIONER)
        .first()
    )
    if membership is None or not has_perm(user, perm, membership):
        raise Http404("practitioner")
    return membership


def managed_practitioners(user: User) -> QuerySet[Membership]:
    """Practitioner memberships whose availability ``user`` manages: their own, and the
    organisation's practitioners for its desk."""
    return (
        Membership.objects.filter(role=Role.PRACTITIONER)
        .filter(Q(user=user) | Q(organisation__in=organisations_for(user, *DESK_ROLES)))
        .select_related("user", "organisation")
        .order_by("organisation__name", "user__last_name")
    )


def patients_bookable_by(user: User, organisation: Organisation) -> QuerySet[User]:
    """The patients the organisation's desk may book for (none for anyone else)."""
    if not roles_in(user, organisation) & set(DESK_ROLES):
        return User.objects.none()
    return User.objects.filter(
        memberships__organisation=organisation, memberships__role=Role.PATIENT, is_active=True
    ).order_by("last_name", "first_name")


def access_availability(user: User, external_id: uuid.UUID) -> WeeklyAvailability:
    return _access_managed(WeeklyAvailability, user, external_id)


def access_absence(user: User, external_id: uuid.UUID) -> AvailabilityException:
    return _access_managed(AvailabilityException, user, external_id)


def _access_managed[M: (WeeklyAvailability, AvailabilityException)](
    model: type[M], user: User, external_id: uuid.UUID
) -> M:
    """An opening or an absence, or the same 404 whether it is missing or forbidden."""
    found = (
        model._default_manager.select_related("practitioner", "organisation")
        .filter(external_id=external_id)
        .first()
    )
    if found is None or not has_perm(user, "availability.manage", found):
        raise Http404(model.__name__)
    return found


def _at_desk(user: User, organisation: Organisation) -> bool:
    return bool(roles_in(user, organisation) & set(DESK_ROLES))


def _manages(user: User, practitioner_id: int, organisation: Organisation) -> bool:
    return practitioner_id == user.pk or _at_desk(user, organisation)


@rule("appointment.view")
def _view(user: User, appointment: Any) -> bool:
    if not isinstance(appointment, Appointment):
        return False
    return user.pk in (appointment.patient_id, appointment.practitioner_id) or _at_desk(
        user, appointment.organisation
    )


@rule("appointment.cancel")
def _cancel(user: User, appointment: Any) -> bool:
    """The patient (until the deadline, which the action checks), the practitioner, the desk."""
    return _view(user, appointment)


@rule("appointment.manage_for_practitioner")
def _manage(user: User, appointment: Any) -> bool:
    """Changes at any time, deadline or not: the practitioner and the desk."""
    return isinstance(appointment, Appointment) and (
        appointment.practitioner_id == user.pk or _at_desk(user, appointment.organisation)
    )


@rule("practitioner.book")
def _book_with(user: User, membership: Any) -> bool:
    return (
        isinstance(membership, Membership)
        and membership.role == Role.PRACTITIONER
        and booking_organisations(user).filter(pk=membership.organisation_id).exists()
    )


@rule("availability.manage")
def _manage_availability(user: User, obj: Any) -> bool:
    """A practitioner's own availability and absences, or the organisation's desk; ``obj``
    is a practitioner membership, a weekly availability or an absence."""
    if isinstance(obj, Membership):
        return obj.role == Role.PRACTITIONER and _manages(user, obj.user_id, obj.organisation)
    if isinstance(obj, WeeklyAvailability | AvailabilityException):
        return _manages(user, obj.practitioner_id, obj.organisation)
    return False


@rule("patient.book_for")
def _book_for(user: User, membership: Any) -> bool:
    """``membership`` is a patient's in an organisation: the patient, or its desk."""
    return (
        isinstance(membership, Membership)
        and membership.role == Role.PATIENT
        and (membership.user_id == user.pk or _at_desk(user, membership.organisation))
    )
