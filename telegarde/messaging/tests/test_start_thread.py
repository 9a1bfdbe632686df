"""do_start_thread: who takes part, the first message, the event."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from telegarde.accounts.models import User
from telegarde.conftest import Personas, last_event
from telegarde.messaging.actions import MAX_MESSAGE_CHARS, do_start_thread
from telegarde.messaging.models import Message, Thread

from .fixtures import colleague_fixture, colleague_thread_fixture, start_patient_thread  # noqa: F401


def seats(thread: Thread) -> set[int]:
    return set(thread.participants.values_list("user_id", flat=True))


def test_it_seats_the_patient_and_the_practitioner(personas: Personas) -> None:
    thread = start_patient_thread(personas)

    assert seats(thread) == {personas.patient.pk, personas.practitioner.pk}
    assert thread.messages.count() == 1
    event = last_event("message.thread.created")
    assert event.actor_id == str(personas.patient.external_id)
    assert event.organisation_id == str(personas.organisation.external_id)
    assert event.data == {
        "kind": "patient",
        "patient": str(personas.patient.external_id),
        "participants": 2,
    }
    assert last_event("message.posted").target_id == str(thread.external_id)


def test_it_leaves_the_patient_out_of_a_colleagues_thread(
    personas: Personas, colleague: User, colleague_thread: Thread
) -> None:
    assert seats(colleague_thread) == {personas.practitioner.pk, colleague.pk}
    assert colleague_thread.patient == personas.patient


@pytest.mark.parametrize(
    ("body", "said"), [("   ", "vide"), ("x" * (MAX_MESSAGE_CHARS + 1), "dépasse")]
)
def test_it_refuses_a_bad_body_and_keeps_nothing(personas: Personas, body: str, said: str) -> None:
    with pytest.raises(ValidationError) as refused:
        start_patient_thread(personas, body=body)

    assert said in refused.value.message_dict["body"][0]
    assert not Thread.objects.exists()
    assert not Message.objects.exists()


def test_it_refuses_an_unknown_kind(personas: Personas) -> None:
    with pytest.raises(ValidationError):
        do_start_thread(
            organisation=personas.organisation,
            patient=personas.patient,
            kind="broadcast",
            recipient=personas.practitioner,
            body="x",
            acting_user=personas.patient,
        )
    assert not Thread.objects.exists()
