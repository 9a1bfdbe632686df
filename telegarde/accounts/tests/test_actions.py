"""Every account action records its security event, in the same transaction."""

from __future__ import annotations

from datetime import date

from telegarde.accounts.actions import (
    do_create_organisation,
    do_create_user,
    do_grant_role,
    do_revoke_role,
    do_set_back_office_access,
    do_set_patient_profile,
)
from telegarde.accounts.models import Membership
from telegarde.conftest import Personas, last_event
from telegarde.core.models import SecurityEvent


def test_creating_an_organisation_records_it(personas: Personas) -> None:
    org = do_create_organisation(
        "Cabinet du Port", "gp_practice", acting_user=personas.security_officer
    )
    event = last_event("account.organisation.created")
    assert event.target_id == str(org.external_id)
    assert event.actor_id == str(personas.security_officer.external_id)
    assert event.data == {"kind": "gp_practice"}


def test_creating_a_user_records_it_without_the_password(db: None) -> None:
    user = do_create_user("nouveau@test.fr", "un-mot-de-passe-solide", acting_user=None)
    event = last_event("account.user.created")
    assert event.target_id == str(user.external_id)
    assert "un-mot-de-passe-solide" not in str(SecurityEvent.objects.values_list())


def test_granting_and_revoking_a_role_records_both(personas: Personas) -> None:
    membership = do_grant_role(
        personas.outsider,
        personas.organisation,
        "practitioner",
        acting_user=personas.security_officer,
    )
    granted = last_event("account.role.granted")
    assert granted.data == {"role": "practitioner"}
    assert granted.organisation_id == str(personas.organisation.external_id)
    do_revoke_role(membership, acting_user=personas.security_officer)
    assert last_event("account.role.revoked").target_id == str(personas.outsider.external_id)
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_granting_a_role_twice_records_it_once(personas: Personas) -> None:
    before = SecurityEvent.objects.filter(action="account.role.granted").count()
    do_grant_role(personas.patient, personas.organisation, "patient", acting_user=None)
    assert SecurityEvent.objects.filter(action="account.role.granted").count() == before


def test_back_office_access_is_recorded(personas: Personas) -> None:
    do_set_back_office_access(personas.staff, enabled=True, acting_user=personas.security_officer)
    assert last_event("account.back_office.granted").target_id == str(personas.staff.external_id)
    personas.staff.refresh_from_db()
    assert personas.staff.is_staff and personas.staff.is_superuser


def test_saving_identity_traits_records_field_names_not_values(personas: Personas) -> None:
    do_set_patient_profile(
        personas.patient,
        birth_last_name="Nouveau-Nom",
        first_names="Test",
        birth_date=date(1980, 1, 2),
        sex="F",
        birthplace_code="75056",
        acting_user=personas.patient,
    )
    event = last_event("account.patient_profile.saved")
    assert "NOUVEAU-NOM" not in str(event.data)
    assert "birth_last_name" in event.data["fields"]
