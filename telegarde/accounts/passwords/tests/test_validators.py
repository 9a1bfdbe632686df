from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import (
    password_validators_help_texts,
    validate_password,
)
from django.core.exceptions import ValidationError

from telegarde.conftest import Personas

MEDIUM = "Tilleuls-orage-2026"  # about 61 bits: enough only with a second factor


def test_it_accepts_a_medium_password_where_a_second_factor_is_enforced(
    personas: Personas,
) -> None:
    validate_password(MEDIUM, personas.practitioner)


def test_it_refuses_the_same_password_for_a_password_only_patient(personas: Personas) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_password(MEDIUM, personas.patient)
    assert [e.code for e in refused.value.error_list] == ["too_guessable"]


def test_it_refuses_the_patients_birth_name(personas: Personas) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_password("patiente orage carnet valise prune marmotte", personas.patient)
    assert "personal" in [e.code for e in refused.value.error_list]


def test_it_applies_the_strict_threshold_without_a_user() -> None:
    with pytest.raises(ValidationError):
        validate_password(MEDIUM)


def test_it_explains_the_policy_without_composition_rules() -> None:
    (text,) = password_validators_help_texts()
    assert "12" in text and "80" in text and "50" in text
