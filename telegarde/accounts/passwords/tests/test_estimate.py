from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.contrib.sessions.backends.cache import SessionStore
from django.core.cache import cache
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from telegarde.accounts.passwords import views
from telegarde.conftest import Personas

URL = "/comptes/mot-de-passe/estimer/"
SECRET = "Tilleuls-orage-2026"


@pytest.fixture(autouse=True)
def fresh_budget() -> None:
    cache.clear()


def test_it_is_routed() -> None:
    assert reverse("accounts:password_estimate") == URL


def test_it_needs_a_csrf_token(db: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.post(URL, {"password": SECRET}).status_code == 403
    assert client.get(URL).status_code == 405


def as_user(user: Any, data: dict[str, str]) -> dict[str, Any]:
    """The view alone: the session middlewares (login flow, MFA enrolment) are not its
    concern here."""
    request = RequestFactory().post(URL, data)
    request.user = user
    request.session = SessionStore()
    answer: dict[str, Any] = json.loads(views.estimate(request).content)
    return answer


def test_it_gives_the_verdict_the_form_gives_for_the_signed_in_user(personas: Personas) -> None:
    patient = as_user(personas.patient, {"password": SECRET})
    assert patient["required"] == 80
    assert not patient["acceptable"]
    assert patient["problems"][0]["code"] == "too_guessable"
    assert f"{patient['bits']:.0f}" in patient["problems"][0]["message"]

    practitioner = as_user(personas.practitioner, {"password": SECRET})
    assert practitioner["required"] == 50
    assert practitioner["acceptable"]


def test_it_uses_the_details_typed_before_an_account_exists(client: Client, db: Any) -> None:
    answer = client.post(
        URL, {"password": "durand tilleul orage carnet valise", "birth_last_name": "Durand"}
    ).json()
    assert [p["code"] for p in answer["problems"]] == ["personal"]


def test_it_refuses_an_oversized_password_with_a_clear_message(client: Client, db: Any) -> None:
    answer = client.post(URL, {"password": "x" * 5000}).json()
    assert [p["code"] for p in answer["problems"]] == ["too_long"]
    assert "1024" in answer["problems"][0]["message"]


@override_settings(PASSWORD_METER_PER_MINUTE=3)
def test_it_limits_each_client_per_minute(client: Client, db: Any) -> None:
    statuses = [client.post(URL, {"password": "abc"}).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]


def test_it_never_logs_the_password(
    client: Client, db: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        client.post(URL, {"password": SECRET})
        with override_settings(PASSWORD_METER_PER_MINUTE=0):
            client.post(URL, {"password": SECRET})
    assert SECRET not in caplog.text
