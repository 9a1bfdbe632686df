from __future__ import annotations

import re

from django.test import Client

from telegarde.conftest import PASSWORD, Personas, last_event, sign_in


def test_it_signs_in_with_any_case_of_the_address_and_records_it(
    personas: Personas, client: Client
) -> None:
    response = client.post(
        "/comptes/connexion/",
        {"username": "Patiente@Test.fr", "password": PASSWORD},
        REMOTE_ADDR="192.0.2.10",
        HTTP_USER_AGENT="Mozilla/5.0",
    )
    assert response.status_code == 302 and response["Location"] == "/accueil/"
    event = last_event("auth.login.succeeded")
    assert event.actor_id == str(personas.patient.external_id)
    assert event.source_ip == "192.0.2.10"
    assert event.data == {"method": "password"}


def test_a_wrong_password_is_refused_without_saying_which_field_and_recorded(
    personas: Personas, client: Client
) -> None:
    response = client.post(
        "/comptes/connexion/", {"username": "praticien@test.fr", "password": "nope"}
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "Adresse électronique ou mot de passe incorrect" in text
    event = last_event("auth.login.failed")
    assert event.outcome == "failure"
    assert event.data == {"email": "praticien@test.fr", "reason": "bad_credentials"}
    assert "nope" not in str(event.data)


def test_an_unknown_address_gets_the_same_answer(personas: Personas, client: Client) -> None:
    known = client.post("/comptes/connexion/", {"username": "praticien@test.fr", "password": "x"})
    unknown = client.post("/comptes/connexion/", {"username": "personne@test.fr", "password": "x"})
    assert known.status_code == unknown.status_code == 200
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    known_page = token.sub("", known.content.decode())
    unknown_page = token.sub("", unknown.content.decode()).replace("personne@", "praticien@")
    assert known_page == unknown_page


def test_logout_is_a_post_and_is_recorded(personas: Personas, client: Client) -> None:
    sign_in(client, personas.patient)
    assert client.get("/comptes/deconnexion/").status_code == 405
    assert client.post("/comptes/deconnexion/").status_code == 302
    assert last_event("auth.logout").actor_id == str(personas.patient.external_id)


def test_a_failure_on_an_existing_account_shows_in_its_owner_history(
    personas: Personas, client: Client
) -> None:
    client.post("/comptes/connexion/", {"username": "PATIENTE@test.fr", "password": "devine"})
    assert last_event("auth.login.failed").target_id == str(personas.patient.external_id)
    sign_in(client, personas.patient)
    assert "Échec de connexion" in client.get("/accueil/").content.decode()


def test_changing_the_password_asks_for_the_current_one_and_is_recorded(
    personas: Personas, client: Client
) -> None:
    sign_in(client, personas.patient)
    wrong = client.post(
        "/comptes/mot-de-passe/",
        {"old_password": "faux", "new_password1": "x", "new_password2": "x"},
    )
    assert wrong.status_code == 200
    assert "old_password" in wrong.context["form"].errors
    response = client.post(
        "/comptes/mot-de-passe/",
        {
            "old_password": PASSWORD,
            "new_password1": "une-phrase-de-passe-toute-neuve",
            "new_password2": "une-phrase-de-passe-toute-neuve",
        },
    )
    assert response.status_code == 302
    assert last_event("auth.password.changed").target_id == str(personas.patient.external_id)
    personas.patient.refresh_from_db()
    assert personas.patient.check_password("une-phrase-de-passe-toute-neuve")
