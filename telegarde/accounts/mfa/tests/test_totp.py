"""TOTP: enrolment, second step of sign-in, single use, recovery codes, enforcement."""

from __future__ import annotations

import re
import time
from typing import Any

import pyotp
import pytest
from django.test import Client

from telegarde.accounts.mfa.models import RecoveryCode, TotpDevice
from telegarde.conftest import PASSWORD, Personas, enrol_totp, last_event, make_user


def password_step(client: Client, email: str) -> Any:
    return client.post("/comptes/connexion/", {"username": email, "password": PASSWORD})


def test_a_professional_signs_in_with_password_then_a_current_code(
    personas: Personas, client: Client
) -> None:
    secret = TotpDevice.objects.get(user=personas.practitioner)
    response = password_step(client, "praticien@test.fr")
    assert response["Location"] == "/comptes/second-facteur/"
    assert client.get("/accueil/").status_code == 302, "nothing is reachable between the steps"
    page = client.get("/comptes/second-facteur/").content.decode()
    assert "/comptes/mfa/totp/verifier/?purpose=login" in page
    from telegarde.accounts.mfa.actions import totp_secret

    code = pyotp.TOTP(totp_secret(secret)).now()
    done = client.post("/comptes/mfa/totp/verifier/?purpose=login", {"code": code})
    assert done.status_code == 302 and done["Location"] == "/accueil/"
    assert client.get("/accueil/").status_code == 200
    assert last_event("auth.login.succeeded").data == {"method": "totp"}
    assert last_event("auth.mfa.succeeded").data == {"factor": "totp", "purpose": "login"}


def test_a_code_is_accepted_once_and_its_replay_is_recorded(personas: Personas) -> None:
    from telegarde.accounts.mfa.actions import totp_secret

    code = pyotp.TOTP(totp_secret(TotpDevice.objects.get(user=personas.staff))).now()
    first, second = Client(), Client()
    for c in (first, second):
        password_step(c, "secretariat@test.fr")
    assert (
        first.post("/comptes/mfa/totp/verifier/?purpose=login", {"code": code}).status_code == 302
    )
    replay = second.post("/comptes/mfa/totp/verifier/?purpose=login", {"code": code})
    assert replay.status_code == 200
    assert "Code incorrect ou déjà utilisé" in replay.content.decode()
    assert last_event("auth.mfa.failed").data["reason"] == "replayed_code"


def test_codes_one_step_either_side_are_accepted_and_older_ones_refused(db: None) -> None:
    from telegarde.accounts.mfa.totp import matching_step

    secret = pyotp.random_base32()
    now = time.time()
    totp = pyotp.TOTP(secret)
    for offset in (-30, 0, 30):
        assert matching_step(secret, totp.at(now + offset), now) is not None
    assert matching_step(secret, totp.at(now - 90), now) is None
    assert matching_step(secret, "12345", now) is None
    assert matching_step(secret, "abcdef", now) is None


def test_five_wrong_codes_abandon_the_sign_in(personas: Personas, client: Client) -> None:
    password_step(client, "praticien@test.fr")
    for _ in range(4):
        client.post("/comptes/mfa/totp/verifier/?purpose=login", {"code": "000000"})
    last = client.post("/comptes/mfa/totp/verifier/?purpose=login", {"code": "000000"})
    assert last["Location"] == "/comptes/connexion/"
    assert client.get("/comptes/second-facteur/")["Location"] == "/comptes/connexion/"


def test_a_patient_enrols_an_authenticator_and_gets_recovery_codes(
    personas: Personas, login: Any
) -> None:
    client = login(personas.patient)
    page = client.get("/comptes/mfa/totp/ajouter/").content.decode()
    assert 'src="data:image/svg+xml' in page
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page)
    assert secret is not None
    wrong = client.post("/comptes/mfa/totp/ajouter/", {"code": "000000"})
    assert "Code incorrect" in wrong.content.decode()
    assert last_event("auth.mfa.totp.enrolment_failed").outcome == "failure"
    done = client.post("/comptes/mfa/totp/ajouter/", {"code": pyotp.TOTP(secret.group(1)).now()})
    codes = re.findall(r"<code>([A-Z2-9]{5}-[A-Z2-9]{5})</code>", done.content.decode())
    assert len(codes) == 10
    assert last_event("auth.mfa.totp.enrolled").target_id == str(personas.patient.external_id)
    stored = set(
        RecoveryCode.objects.filter(user=personas.patient).values_list("code_hash", flat=True)
    )
    assert not stored & set(codes), "recovery codes are stored hashed"
    assert "JBSW" not in TotpDevice.objects.get(user=personas.patient).sealed_secret


def test_a_recovery_code_finishes_a_sign_in_once(personas: Personas) -> None:
    from telegarde.accounts.mfa.actions import do_generate_recovery_codes

    codes = do_generate_recovery_codes(personas.practitioner, request=None)
    first = Client()
    password_step(first, "praticien@test.fr")
    ok = first.post("/comptes/mfa/secours/verifier/?purpose=login", {"code": codes[0].lower()})
    assert ok["Location"] == "/accueil/"
    assert last_event("auth.mfa.succeeded").data["codes_left"] == 9
    second = Client()
    password_step(second, "praticien@test.fr")
    again = second.post("/comptes/mfa/secours/verifier/?purpose=login", {"code": codes[0]})
    assert again.status_code == 200


def test_a_professional_without_a_second_factor_reaches_only_enrolment(
    personas: Personas, login: Any
) -> None:
    newcomer = make_user("nouvelle.praticienne@test.fr")
    from telegarde.accounts.actions import do_grant_role

    do_grant_role(newcomer, personas.organisation, "practitioner", acting_user=None)
    client = login(newcomer)
    for path in ("/accueil/", f"/comptes/patients/{personas.patient.external_id}/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == "/comptes/mfa/?obligatoire=1"
    assert client.get("/comptes/mfa/?obligatoire=1").status_code == 200
    enrol_totp(newcomer)
    assert client.get("/accueil/").status_code == 200


def test_removing_the_authenticator_needs_a_fresh_second_factor(
    personas: Personas, login: Any
) -> None:
    client = login(personas.patient)
    secret = enrol_totp(personas.patient)
    response = client.post("/comptes/mfa/totp/retirer/")
    assert response.status_code == 302 and response["Location"].startswith("/comptes/confirmer/")
    client.post(
        "/comptes/mfa/totp/verifier/?purpose=step_up&next=/comptes/mfa/",
        {"code": pyotp.TOTP(secret).now()},
    )
    assert client.post("/comptes/mfa/totp/retirer/")["Location"] == "/comptes/mfa/"
    assert not TotpDevice.objects.filter(user=personas.patient).exists()
    assert last_event("auth.mfa.totp.removed").target_id == str(personas.patient.external_id)


def test_a_professional_cannot_remove_their_only_factor(personas: Personas, login: Any) -> None:
    client = login(personas.practitioner)
    session = client.session
    session["telegarde.stepped_up_at"] = time.time()
    session.save()
    client.post("/comptes/mfa/totp/retirer/")
    assert TotpDevice.objects.filter(user=personas.practitioner).exists()


@pytest.mark.parametrize("purpose", ["login", "step_up"])
def test_a_challenge_without_a_sign_in_in_progress_goes_back_to_sign_in(
    db: None, client: Client, purpose: str
) -> None:
    response = client.post(f"/comptes/mfa/totp/verifier/?purpose={purpose}", {"code": "123456"})
    assert response["Location"] == "/comptes/connexion/"
