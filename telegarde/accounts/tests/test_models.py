from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from telegarde.accounts.actions import (
    do_create_user,
    do_set_patient_profile,
    do_set_practitioner_profile,
)
from telegarde.accounts.models import PatientProfile, PractitionerProfile, User
from telegarde.conftest import Personas, rpps
from telegarde.lib.identifiers import luhn_valid, rpps_problem


def test_an_email_in_another_case_is_refused_naming_the_field(personas: Personas) -> None:
    before = User.objects.count()
    with pytest.raises(ValidationError) as error:
        do_create_user("PATIENTE@Test.FR", "x" * 20, acting_user=None)
    assert "email" in error.value.message_dict
    assert "existe déjà" in error.value.message_dict["email"][0]
    assert User.objects.count() == before


def test_the_database_refuses_a_case_variant_that_bypasses_validation(personas: Personas) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="Patiente@test.fr")])


def test_sign_in_lookup_ignores_case(personas: Personas) -> None:
    assert User.objects.get_by_natural_key("PRATICIEN@TEST.FR") == personas.practitioner


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("1234567890", "exactement 11 chiffres"),
        ("123456789012", "exactement 11 chiffres"),
        ("1000000001A", "exactement 11 chiffres"),
        ("10000000010", "clé de contrôle"),
    ],
)
def test_a_bad_rpps_number_is_refused_with_the_reason(
    personas: Personas, value: str, problem: str
) -> None:
    assert rpps_problem(rpps("1000000001")) is None
    with pytest.raises(ValidationError) as error:
        do_set_practitioner_profile(
            personas.other_practitioner, rpps=value, profession="physician", acting_user=None
        )
    assert problem in error.value.message_dict["rpps"][0]
    assert not PractitionerProfile.objects.filter(user=personas.other_practitioner).exists()


def test_an_rpps_number_belongs_to_one_account(personas: Personas) -> None:
    taken = personas.practitioner.practitioner.rpps
    with pytest.raises(ValidationError) as error:
        do_set_practitioner_profile(
            personas.other_practitioner, rpps=taken, profession="physician", acting_user=None
        )
    assert "rpps" in error.value.message_dict


def test_luhn_check_digit_catches_a_single_digit_typo() -> None:
    good = rpps("8100012345")
    assert luhn_valid(good)
    for position in range(11):
        typo = good[:position] + str((int(good[position]) + 1) % 10) + good[position + 1 :]
        assert not luhn_valid(typo)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"birthplace_code": "7505"}, "birthplace_code"),
        ({"birthplace_code": "PARIS"}, "birthplace_code"),
        ({"birth_date": date.today() + timedelta(days=1)}, "birth_date"),  # noqa: DTZ011
        ({"sex": "X"}, "sex"),
        ({"birth_last_name": ""}, "birth_last_name"),
    ],
)
def test_bad_identity_traits_are_refused_naming_the_field(
    personas: Personas, change: dict[str, object], field: str
) -> None:
    traits: dict[str, object] = {
        "birth_last_name": "Durand",
        "first_names": "Jeanne",
        "birth_date": date(1990, 5, 17),
        "sex": "F",
        "birthplace_code": "2A004",
    }
    traits.update(change)
    with pytest.raises(ValidationError) as error:
        do_set_patient_profile(personas.outsider, acting_user=None, **traits)  # type: ignore[arg-type]
    assert field in error.value.message_dict
    assert not PatientProfile.objects.filter(user=personas.outsider).exists()
