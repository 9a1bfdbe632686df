"""Session hygiene: listed, revocable, timed out, and new-device sign-ins announced."""

from __future__ import annotations

import re
import time
from typing import Any

from django.core import mail
from django.test import Client

from telegarde.accounts.models import UserSession
from telegarde.conftest import PASSWORD, Personas, last_event


def sign_in_for_real(client: Client, email: str, ip: str) -> Any:
    return client.post(
        "/comptes/connexion/",
        {"username": email, "password": PASSWORD},
        REMOTE_ADDR=ip,
        HTTP_USER_AGENT=f"Navigateur {ip}",
    )


def test_sign_in_rotates_the_session_key(personas: Personas, client: Client) -> None:
    client.get("/comptes/connexion/")
    client.session.save()
    before = client.session.session_key
    sign_in_for_real(client, "patiente@test.fr", "192.0.2.1")
    assert client.session.session_key != before


def test_the_owner_lists_and_closes_another_session(personas: Personas) -> None:
    laptop, phone = Client(), Client()
    sign_in_for_real(laptop, "patiente@test.fr", "192.0.2.1")
    sign_in_for_real(phone, "patiente@test.fr", "192.0.2.2")
    page = laptop.get("/comptes/sessions/").content.decode()
    assert "192.0.2.1" in page and "192.0.2.2" in page and "Cette session" in page
    phone_session = UserSession.objects.get(ip="192.0.2.2")
    laptop.post("/comptes/sessions/", {"session": str(phone_session.external_id)})
    assert phone.get("/accueil/")["Location"].startswith("/comptes/connexion/")
    assert laptop.get("/accueil/").status_code == 200
    assert last_event("auth.session.revoked").data == {"reason": "owner_closed_session", "count": 1}


def test_sign_out_everywhere_keeps_only_this_session(personas: Personas) -> None:
    clients = [Client() for _ in range(3)]
    for n, c in enumerate(clients):
        sign_in_for_real(c, "patiente@test.fr", f"192.0.2.{n + 1}")
    clients[0].post("/comptes/sessions/", {"all": "1"})
    assert clients[0].get("/accueil/").status_code == 200
    for other in clients[1:]:
        assert other.get("/accueil/").status_code == 302
    assert last_event("auth.session.revoked").data["count"] == 2


def test_nobody_closes_a_session_of_someone_else(personas: Personas, login: Any) -> None:
    victim = Client()
    sign_in_for_real(victim, "patiente@test.fr", "192.0.2.1")
    target = UserSession.objects.get(user=personas.patient)
    attacker = login(personas.other_patient)
    assert (
        attacker.post("/comptes/sessions/", {"session": str(target.external_id)}).status_code == 404
    )
    assert victim.get("/accueil/").status_code == 200
    assert "192.0.2.1" not in attacker.get("/comptes/sessions/").content.decode()


def test_a_professional_session_ends_after_30_idle_minutes(personas: Personas, login: Any) -> None:
    client = login(personas.practitioner)
    session = client.session
    session["telegarde.seen_at"] = time.time() - 31 * 60
    session.save()
    response = client.get("/accueil/")
    assert response["Location"].startswith("/comptes/connexion/")
    assert last_event("auth.session.ended").data == {"reason": "idle_timeout"}


def test_a_patient_session_survives_30_idle_minutes(personas: Personas, login: Any) -> None:
    client = login(personas.patient)
    session = client.session
    session["telegarde.seen_at"] = time.time() - 31 * 60
    session.save()
    assert client.get("/accueil/").status_code == 200


def test_every_session_ends_at_its_absolute_limit(personas: Personas, login: Any) -> None:
    client = login(personas.practitioner)
    session = client.session
    session["telegarde.auth_at"] = time.time() - 4 * 3600 - 1
    session.save()
    assert client.get("/accueil/").status_code == 302
    assert last_event("auth.session.ended").data == {"reason": "absolute_timeout"}


def test_a_new_browser_is_announced_with_a_checkable_code(
    personas: Personas, django_capture_on_commit_callbacks: Any
) -> None:
    usual = Client()
    sign_in_for_real(usual, "patiente@test.fr", "192.0.2.1")
    with django_capture_on_commit_callbacks(execute=True):
        sign_in_for_real(usual, "patiente@test.fr", "192.0.2.1")
    assert mail.outbox == [], "a known browser from a known address is not announced"
    with django_capture_on_commit_callbacks(execute=True):
        sign_in_for_real(Client(), "patiente@test.fr", "198.51.100.3")
    assert len(mail.outbox) == 1
    body = str(mail.outbox[0].body)
    assert "198.51.100.3" in body
    code = re.search(r"Code de vérification de ce message : ([A-Z2-9]{5}-[A-Z2-9]{5})", body)
    assert code is not None
    checker = Client()
    genuine = checker.post("/verification/", {"code": code.group(1).lower()})
    assert "a bien été envoyé par Telegarde" in genuine.content.decode()
    forged = checker.post("/verification/", {"code": "ABCDE-FGHJK"})
    assert "probablement d'une tentative d'hameçonnage" in forged.content.decode()
    assert last_event("message.verification.checked").outcome == "failure"
