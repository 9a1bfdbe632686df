"""Who may see what among organisations, members and patients (registered rules)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from telegarde.core.permissions import has_perm, rule

from .models import Membership, Organisation, PatientProfile, User, UserSession

Role = Membership.Role


def roles_in(user: User, organisation: Organisation) -> set[str]:
    return set(
        Membership.objects.filter(user=user, organisation=organisation).values_list(
            "role", flat=True
        )
    )


def organisations_for(user: User, *roles: str) -> QuerySet[Organisation]:
    """Organisations where ``user`` holds one of ``roles`` (any role when none is given)."""
    memberships = Membership.objects.filter(user=user)
    if roles:
        memberships = memberships.filter(role__in=roles)
    return Organisation.objects.filter(pk__in=memberships.values("organisation")).order_by("name")


def patients_for(user: User) -> QuerySet[PatientProfile]:
    """Patients a practitioner or staff member may look up: those of their organisations.

    The scheduling issue narrows this to patients with an appointment; until then the
    organisation is the boundary, and every read is audited.
    """
    care_orgs = organisations_for(user, Role.PRACTITIONER, Role.STAFF)
    patient_users = Membership.objects.filter(organisation__in=care_orgs, role=Role.PATIENT)
    return (
        PatientProfile.objects.filter(user__in=patient_users.values("user"))
        .select_related("user")
        .order_by("birth_last_name", "first_names")
    )


def sessions_for(user: User) -> QuerySet[UserSession]:
    return UserSession.objects.filter(user=user).order_by("-last_seen")


def access_patient(user: User, external_id: uuid.UUID) -> PatientProfile:
    """The patient profile, or the same 404 whether it is missing or forbidden."""
    patient = (
        PatientProfile.objects.select_related("user").filter(user__external_id=external_id).first()
    )
    if patient is None or not has_perm(user, "patient.view_record", patient):
        raise Http404("patient")
    return patient


def access_organisation(user: User, external_id: uuid.UUID, perm: str) -> Organisation:
    organisation = Organisation.objects.filter(external_id=external_id).first()
    if organisation is None or not has_perm(user, perm, organisation):
        raise Http404("organisation")
    return organisation


@rule("patient.view_record")
def _view_patient(user: User, patient: Any) -> bool:
    if not isinstance(patient, PatientProfile):
        return False
    if patient.user_id == user.pk:
        return True
    return patients_for(user).filter(pk=patient.pk).exists()


@rule("organisation.view_members")
def _view_members(user: User, organisation: Any) -> bool:
    return isinstance(organisation, Organisation) and bool(
        roles_in(user, organisation) & {Role.ORG_ADMIN, Role.SECURITY_OFFICER}
    )


@rule("organisation.manage_members")
def _manage_members(user: User, organisation: Any) -> bool:
    return isinstance(organisation, Organisation) and Role.ORG_ADMIN in roles_in(user, organisation)


@rule("security.view_events")
def _view_events(user: User, organisation: Any) -> bool:
    return isinstance(organisation, Organisation) and bool(
        roles_in(user, organisation) & {Role.SECURITY_OFFICER, Role.ORG_ADMIN}
    )
