"""do_mark_thread_read: a receipt per unread message, once, and the event."""

from __future__ import annotations

from telegarde.conftest import Personas, last_event
from telegarde.core.models import SecurityEvent
from telegarde.messaging.access import threads_for
from telegarde.messaging.actions import do_mark_thread_read, do_post_message
from telegarde.messaging.models import ReadReceipt, Thread

from .fixtures import patient_thread_fixture  # noqa: F401


def unread(personas: Personas, thread: Thread) -> int:
    return int(threads_for(personas.practitioner).get(pk=thread.pk).unread)  # type: ignore[attr-defined]


def test_it_marks_the_unread_messages_read(personas: Personas, patient_thread: Thread) -> None:
    do_post_message(patient_thread, "encore une chose", acting_user=personas.patient)
    assert unread(personas, patient_thread) == 2

    marked = do_mark_thread_read(patient_thread, acting_user=personas.practitioner)

    assert marked == 2
    assert unread(personas, patient_thread) == 0
    assert ReadReceipt.objects.filter(user=personas.practitioner).count() == 2
    event = last_event("message.read")
    assert event.actor_id == str(personas.practitioner.external_id)
    assert event.data == {"messages": 2}


def test_it_does_nothing_the_second_time(personas: Personas, patient_thread: Thread) -> None:
    do_mark_thread_read(patient_thread, acting_user=personas.practitioner)

    assert do_mark_thread_read(patient_thread, acting_user=personas.practitioner) == 0
    assert SecurityEvent.objects.filter(action="message.read").count() == 1


def test_own_messages_are_not_unread(personas: Personas, patient_thread: Thread) -> None:
    assert do_mark_thread_read(patient_thread, acting_user=personas.patient) == 0
