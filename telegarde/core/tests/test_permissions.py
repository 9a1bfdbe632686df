from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from telegarde.conftest import Personas
from telegarde.core.permissions import has_perm, registered, require


def test_it_refuses_anonymous_and_inactive_users(personas: Personas) -> None:
    assert not has_perm(AnonymousUser(), "security.view_events", personas.organisation)
    officer = personas.security_officer
    assert has_perm(officer, "security.view_events", personas.organisation)
    officer.is_active = False
    assert not has_perm(officer, "security.view_events", personas.organisation)


def test_it_scopes_rules_to_the_organisation(personas: Personas) -> None:
    assert has_perm(personas.security_officer, "security.view_events", personas.organisation)
    assert not has_perm(
        personas.security_officer, "security.view_events", personas.other_organisation
    )
    assert not has_perm(personas.outsider, "security.view_events", personas.organisation)
    assert not has_perm(personas.practitioner, "security.view_events", personas.organisation)


def test_it_answers_through_django_has_perm(personas: Personas) -> None:
    patient = personas.patient.patient
    assert personas.practitioner.has_perm("patient.view_record", patient)
    assert not personas.other_practitioner.has_perm("patient.view_record", patient)


def test_require_raises_permission_denied(personas: Personas) -> None:
    with pytest.raises(PermissionDenied):
        require(personas.outsider, "organisation.manage_members", personas.organisation)


def test_it_treats_an_unknown_permission_as_a_programming_error(personas: Personas) -> None:
    with pytest.raises(LookupError):
        has_perm(personas.practitioner, "patient.teleport")
    assert "patient.view_record" in registered()
