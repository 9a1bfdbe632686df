"""A thread's page: the messages, read receipts, the access audit; refused to others."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from telegarde.accounts.models import User
from telegarde.conftest import Personas, last_event
from telegarde.core.models import SecurityEvent
from telegarde.messaging.actions import do_post_message
from telegarde.messaging.models import ReadReceipt, Thread

from .fixtures import colleague_fixture, colleague_thread_fixture, patient_thread_fixture  # noqa: F401


def url(thread: Thread) -> str:
    return reverse("messaging:thread", args=[thread.external_id])


def test_it_shows_the_practitioner_the_messages_and_records_the_read(
    personas: Personas, login: Any, patient_thread: Thread
) -> None:
    response = login(personas.practitioner).get(url(patient_thread))

    assert response.status_code == 200
    assert "Bonjour docteur" in response.content.decode()
    viewed = last_event("patient.record.viewed")
    assert viewed.actor_id == str(personas.practitioner.external_id)
    assert viewed.target_id == str(personas.patient.external_id)
    assert viewed.data["reason"] == "message"
    assert last_event("message.read").data == {"messages": 1}
    assert ReadReceipt.objects.filter(user=personas.practitioner).count() == 1


def test_the_patient_reads_without_an_audit_entry_and_sees_the_receipt(
    personas: Personas, login: Any, client: Client, patient_thread: Thread
) -> None:
    login(personas.practitioner).get(url(patient_thread))
    client.logout()

    response = login(personas.patient).get(url(patient_thread))

    page = response.content.decode()
    assert "Lu le " in page
    assert personas.practitioner.display_name in page
    readers = SecurityEvent.objects.filter(action="patient.record.viewed")
    assert list(readers.values_list("actor_id", flat=True)) == [
        str(personas.practitioner.external_id)
    ]


def test_a_message_not_yet_read_says_so(
    personas: Personas, login: Any, patient_thread: Thread
) -> None:
    page = login(personas.patient).get(url(patient_thread)).content.decode()

    assert "Pas encore lu" in page


def test_a_colleague_reading_a_second_opinion_is_audited(
    personas: Personas, login: Any, colleague: User, colleague_thread: Thread
) -> None:
    response = login(colleague).get(url(colleague_thread))

    assert response.status_code == 200
    assert last_event("patient.record.viewed").actor_id == str(colleague.external_id)


@pytest.mark.parametrize(
    "who", ["other_patient", "other_practitioner", "staff", "security_officer", "outsider"]
)
def test_it_refuses_anyone_else_with_the_same_404(
    personas: Personas, login: Any, patient_thread: Thread, who: str
) -> None:
    signed_in = login(getattr(personas, who))
    response = signed_in.get(url(patient_thread))
    missing = signed_in.get(
        reverse("messaging:thread", args=["00000000-0000-4000-8000-000000000000"])
    )

    assert response.status_code == missing.status_code == 404
    assert response.content == missing.content
    assert not SecurityEvent.objects.filter(action="patient.record.viewed").exists()
    assert not ReadReceipt.objects.exists()


def test_it_refuses_the_patient_a_colleagues_thread(
    personas: Personas, login: Any, colleague_thread: Thread
) -> None:
    assert login(personas.patient).get(url(colleague_thread)).status_code == 404


def test_it_refuses_a_practitioner_who_left_the_organisation(
    personas: Personas, login: Any, patient_thread: Thread
) -> None:
    personas.practitioner.memberships.filter(organisation=personas.organisation).delete()

    assert login(personas.practitioner).get(url(patient_thread)).status_code == 404


def test_it_sends_an_anonymous_visitor_to_sign_in(client: Client, patient_thread: Thread) -> None:
    response = client.get(url(patient_thread))

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_it_shows_a_long_thread_in_a_fixed_number_of_queries(
    personas: Personas,
    login: Any,
    patient_thread: Thread,
    django_assert_max_num_queries: Any,
) -> None:
    for n in range(20):
        do_post_message(patient_thread, f"message {n}", acting_user=personas.patient)
    signed_in = login(personas.practitioner)
    signed_in.get(url(patient_thread))

    with django_assert_max_num_queries(40):
        response = signed_in.get(url(patient_thread))

    assert response.status_code == 200
