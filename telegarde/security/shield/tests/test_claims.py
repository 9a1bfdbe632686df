"""The priority claim: issued at sign-in, signed, read without the database."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from telegarde.conftest import PASSWORD, Personas
from telegarde.core.claims import COOKIE_NAME, read_claim, sign_claim


def test_it_rejects_forged_expired_and_malformed_claims() -> None:
    value = sign_claim("c" * 32, "normal", max_age=60, now=1000)
    assert read_claim(value, now=1000) is not None
    assert read_claim(value, now=2000) is None
    assert read_claim(value.replace("normal", "high"), now=1000) is None
    for junk in ["", "a.b.c", "x" * 500, "c.high.1.sig"]:
        assert read_claim(junk) is None


def test_it_gives_a_practitioner_a_high_claim_and_a_patient_a_normal_one(
    personas: Personas, client: Client, settings: Any
) -> None:
    levels = {}
    for user in (personas.patient, personas.practitioner):
        client.cookies.clear()
        client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
        cookie = client.cookies.get(COOKIE_NAME)
        if cookie is not None:
            claim = read_claim(cookie.value)
            assert claim is not None and claim.user_id == user.external_id.hex
            levels[user.email] = claim.level
            assert cookie["httponly"]
    assert levels.get(personas.patient.email) == "normal"
    if personas.practitioner.email in levels:  # unless sign-in stops at a second factor
        assert levels[personas.practitioner.email] == "high"
