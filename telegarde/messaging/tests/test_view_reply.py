"""Replying in a thread: posted and sealed, errors naming the field, refused to others."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from telegarde.conftest import Personas, last_event
from telegarde.messaging.actions import MAX_MESSAGE_CHARS
from telegarde.messaging.models import Thread

from .fixtures import patient_thread_fixture  # noqa: F401


def url(thread: Thread) -> str:
    return reverse("messaging:reply", args=[thread.external_id])


def test_it_posts_the_reply(personas: Personas, login: Any, patient_thread: Thread) -> None:
    response = login(personas.practitioner).post(url(patient_thread), {"body": "Venez lundi."})

    assert response.status_code == 302
    assert response["Location"] == reverse("messaging:thread", args=[patient_thread.external_id])
    assert patient_thread.messages.count() == 2
    assert last_event("message.posted").actor_id == str(personas.practitioner.external_id)


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ("", "Le message est vide."),
        ("x" * (MAX_MESSAGE_CHARS + 1), "Le message dépasse 10000 caractères"),
    ],
)
def test_it_names_the_field_of_a_bad_body(
    personas: Personas, login: Any, patient_thread: Thread, body: str, said: str
) -> None:
    response = login(personas.patient).post(url(patient_thread), {"body": body})

    assert response.status_code == 400
    page = response.content.decode()
    assert f"Message : {said}" in page
    assert 'id="id_body-error"' in page
    assert patient_thread.messages.count() == 1


@pytest.mark.parametrize(
    "who", ["other_patient", "other_practitioner", "staff", "security_officer", "outsider"]
)
def test_it_refuses_anyone_else(
    personas: Personas, login: Any, patient_thread: Thread, who: str
) -> None:
    response = login(getattr(personas, who)).post(url(patient_thread), {"body": "intrus"})

    assert response.status_code == 404
    assert patient_thread.messages.count() == 1


def test_it_refuses_an_anonymous_visitor(client: Client, patient_thread: Thread) -> None:
    assert client.post(url(patient_thread), {"body": "anonyme"}).status_code == 302
    assert patient_thread.messages.count() == 1
