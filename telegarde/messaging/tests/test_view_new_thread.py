"""Starting a thread: only with the people the access helpers offer."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from telegarde.accounts.models import Membership, User
from telegarde.conftest import Personas, last_event
from telegarde.messaging.models import Thread

from .fixtures import colleague_fixture  # noqa: F401

URL = reverse("messaging:new_thread")
Role = Membership.Role


def membership(user: User, role: str) -> str:
    return str(Membership.objects.get(user=user, role=role).external_id)


def test_a_patient_writes_to_their_practitioner(personas: Personas, login: Any) -> None:
    client = login(personas.patient)
    assert personas.practitioner.display_name in client.get(URL).content.decode()

    response = client.post(
        URL, {"recipient": membership(personas.practitioner, Role.PRACTITIONER), "body": "Bonjour"}
    )

    thread = Thread.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("messaging:thread", args=[thread.external_id])
    assert (thread.kind, thread.patient, thread.organisation) == (
        "patient",
        personas.patient,
        personas.organisation,
    )
    assert last_event("message.thread.created").actor_id == str(personas.patient.external_id)


def test_a_practitioner_writes_to_their_patient(personas: Personas, login: Any) -> None:
    response = login(personas.practitioner).post(
        URL, {"recipient": membership(personas.patient, Role.PATIENT), "body": "Vos résultats"}
    )

    assert response.status_code == 302
    assert Thread.objects.get().patient == personas.patient


def test_a_practitioner_asks_a_colleague_about_a_patient(
    personas: Personas, login: Any, colleague: User
) -> None:
    response = login(personas.practitioner).post(
        URL,
        {
            "recipient": membership(colleague, Role.PRACTITIONER),
            "about": membership(personas.patient, Role.PATIENT),
            "body": "Ton avis ?",
        },
    )

    assert response.status_code == 302
    thread = Thread.objects.get()
    assert (thread.kind, thread.patient) == ("colleagues", personas.patient)


def test_a_colleague_thread_needs_its_patient(
    personas: Personas, login: Any, colleague: User
) -> None:
    response = login(personas.practitioner).post(
        URL, {"recipient": membership(colleague, Role.PRACTITIONER), "body": "Ton avis ?"}
    )

    assert response.status_code == 400
    assert "Choisissez le patient" in response.content.decode()
    assert not Thread.objects.exists()


@pytest.mark.parametrize(
    ("who", "target", "role"),
    [
        ("patient", "other_practitioner", Role.PRACTITIONER),  # another organisation
        ("patient", "other_patient", Role.PATIENT),
        ("other_patient", "practitioner", Role.PRACTITIONER),
        ("practitioner", "other_patient", Role.PATIENT),  # not a patient of his organisation
        ("other_practitioner", "patient", Role.PATIENT),
        ("outsider", "patient", Role.PATIENT),
        ("staff", "patient", Role.PATIENT),
    ],
)
def test_it_refuses_a_recipient_not_offered(
    personas: Personas, login: Any, who: str, target: str, role: str
) -> None:
    response = login(getattr(personas, who)).post(
        URL, {"recipient": membership(getattr(personas, target), role), "body": "Bonjour"}
    )

    assert response.status_code == 400
    assert "Destinataire :" in response.content.decode()
    assert not Thread.objects.exists()


def test_it_names_the_field_of_an_empty_body(personas: Personas, login: Any) -> None:
    response = login(personas.patient).post(
        URL, {"recipient": membership(personas.practitioner, Role.PRACTITIONER), "body": ""}
    )

    assert response.status_code == 400
    assert "Message : Le message est vide." in response.content.decode()


def test_it_sends_an_anonymous_visitor_to_sign_in(client: Client, db: None) -> None:
    assert client.get(URL).status_code == 302
    assert client.post(URL, {"body": "x"}).status_code == 302
    assert not Thread.objects.exists()
