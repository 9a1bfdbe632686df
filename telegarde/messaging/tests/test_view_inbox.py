"""The inbox: my threads with their unread counts, nobody else's."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from telegarde.accounts.models import User
from telegarde.conftest import Personas
from telegarde.messaging.models import Thread

from .fixtures import colleague_fixture, colleague_thread_fixture, patient_thread_fixture  # noqa: F401

URL = reverse("messaging:inbox")


def test_it_lists_the_practitioners_threads_with_unread_counts(
    personas: Personas, login: Any, patient_thread: Thread, colleague_thread: Thread
) -> None:
    response = login(personas.practitioner).get(URL)

    page = response.content.decode()
    assert response.status_code == 200
    assert str(patient_thread.external_id) in page
    assert str(colleague_thread.external_id) in page
    assert 'data-unread="1"' in page  # the patient's message; his own to the colleague is read


def test_it_never_lists_a_colleagues_thread_to_the_patient(
    personas: Personas, login: Any, patient_thread: Thread, colleague_thread: Thread
) -> None:
    page = login(personas.patient).get(URL).content.decode()

    assert str(patient_thread.external_id) in page
    assert str(colleague_thread.external_id) not in page


@pytest.mark.parametrize(
    "who", ["other_patient", "other_practitioner", "staff", "security_officer", "outsider"]
)
def test_it_lists_nothing_to_anyone_else(
    personas: Personas, login: Any, patient_thread: Thread, who: str
) -> None:
    response = login(getattr(personas, who)).get(URL)

    assert response.status_code == 200
    assert str(patient_thread.external_id) not in response.content.decode()


def test_it_sends_an_anonymous_visitor_to_sign_in(client: Client) -> None:
    response = client.get(URL)

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_it_shows_the_colleague_the_thread_about_the_patient(
    personas: Personas, login: Any, colleague: User, colleague_thread: Thread
) -> None:
    page = login(colleague).get(URL).content.decode()

    assert str(colleague_thread.external_id) in page
    assert personas.patient.display_name in page
