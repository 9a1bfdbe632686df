"""Sign-in throttling seen from the login page: before any hash, without lockout-DoS."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.backends import ModelBackend
from django.core import mail
from django.test import Client

from telegarde.conftest import PASSWORD, Personas, last_event

URL = "/comptes/connexion/"


@pytest.fixture
def hash_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts password checks (each one is an Argon2 computation, real or dummy)."""
    calls: list[str] = []
    original = ModelBackend.authenticate

    def counting(self: ModelBackend, request: Any, username: Any = None, **kwargs: Any) -> Any:
        calls.append(str(username))
        return original(self, request, username=username, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", counting)
    return calls


def attempt(client: Client, email: str, password: str = "mauvais", ip: str = "203.0.113.9") -> Any:
    return client.post(URL, {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_after_five_failures_no_hash_is_computed_and_the_answer_says_when(
    personas: Personas, client: Client, hash_calls: list[str]
) -> None:
    for _ in range(5):
        attempt(client, "patiente@test.fr")
    assert len(hash_calls) == 5
    response = attempt(client, "patiente@test.fr", PASSWORD)
    assert len(hash_calls) == 5, "a throttled attempt never reaches the hasher"
    text = response.content.decode()
    assert "Trop de tentatives de connexion. Réessayez dans 2 minutes" in text
    event = last_event("auth.throttled")
    assert event.data["scope"] == "account" and event.data["retry_after"] > 60


def test_an_unknown_address_is_throttled_exactly_like_a_real_one(
    personas: Personas, client: Client
) -> None:
    pages = []
    for email in ("patiente@test.fr", "personne@test.fr"):
        for _ in range(5):
            attempt(client, email)
        pages.append(attempt(client, email).content.decode().replace(email, "X"))
    errors = [re.search(r'<div class="errors" role="alert">(.*?)</div>', p, re.S) for p in pages]
    assert errors[0] is not None and errors[1] is not None
    assert "Trop de tentatives" in errors[0].group(1)
    assert errors[0].group(1) == errors[1].group(1)


def test_the_owner_is_warned_once_by_email_with_a_verification_code(
    personas: Personas, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(7):
            attempt(client, "patiente@test.fr")
    warnings = [m for m in mail.outbox if "Tentatives de connexion" in m.subject]
    assert len(warnings) == 1
    assert warnings[0].to == ["patiente@test.fr"]
    code = last_event("message.sent").target_id
    assert code
    assert "Code de vérification de ce message" in warnings[0].body
    assert last_event("auth.account.under_attack").target_id == str(personas.patient.external_id)


def test_the_owner_still_signs_in_from_a_browser_used_before(personas: Personas) -> None:
    owner = Client()
    assert attempt(owner, "patiente@test.fr", PASSWORD, ip="192.0.2.50")["Location"] == "/accueil/"
    owner.post("/comptes/deconnexion/")
    stranger = Client()
    for _ in range(8):
        attempt(stranger, "patiente@test.fr", ip="198.51.100.7")
    assert (
        "Trop de tentatives"
        in attempt(stranger, "patiente@test.fr", PASSWORD, "198.51.100.7").content.decode()
    )
    response = attempt(owner, "patiente@test.fr", PASSWORD, ip="192.0.2.50")
    assert response.status_code == 302 and response["Location"] == "/accueil/"


def test_one_source_spraying_many_accounts_hits_its_address_budget(
    personas: Personas, client: Client, settings: Any
) -> None:
    settings.LOGIN_THROTTLE = {**settings.LOGIN_THROTTLE, "per_ip": 10}
    for n in range(10):
        attempt(client, f"cible{n}@test.fr")
    response = attempt(client, "patiente@test.fr", PASSWORD)
    assert "Trop de tentatives" in response.content.decode()
    assert last_event("auth.throttled").data["scope"] == "ip"
    other = Client()
    assert attempt(other, "patiente@test.fr", PASSWORD, ip="192.0.2.99")["Location"] == "/accueil/"


def test_a_password_over_1024_bytes_is_refused_before_hashing(
    personas: Personas, client: Client, hash_calls: list[str]
) -> None:
    response = attempt(client, "patiente@test.fr", "é" * 600)
    assert "trop long" in response.content.decode()
    assert hash_calls == []
    assert last_event("auth.login.failed").data["reason"] == "password_too_long"
