"""do_save_note: the practitioner's notes, sealed at rest."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from telegarde.conftest import Personas, last_event
from telegarde.consultation.actions import MAX_NOTE_CHARS, do_save_note
from telegarde.consultation.models import ConsultationNote, Room
from telegarde.core.vault import open_text

from .fixtures import appointment_fixture, room_fixture  # noqa: F401


def stored_body(note: ConsultationNote) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT sealed_body FROM {ConsultationNote._meta.db_table} WHERE id = %s",  # noqa: S608
            [note.pk],
        )
        return str(cursor.fetchone()[0])


def test_it_saves_the_note_sealed(personas: Personas, room: Room) -> None:
    text = "Suspicion d'angine, test rapide positif."

    note = do_save_note(room, text, acting_user=personas.practitioner)

    stored = stored_body(note)
    assert "angine" not in stored
    assert open_text(f"note:{note.external_id}", stored) == text
    event = last_event("consultation.note.saved")
    assert event.actor_id == str(personas.practitioner.external_id)
    assert event.data == {"length": len(text)}
    assert "angine" not in str(event.data)


def test_it_keeps_one_note_per_room(personas: Personas, room: Room) -> None:
    first = do_save_note(room, "premier jet", acting_user=personas.practitioner)
    second = do_save_note(room, "version finale", acting_user=personas.practitioner)

    assert first.pk == second.pk
    assert ConsultationNote.objects.count() == 1
    assert open_text(f"note:{second.external_id}", stored_body(second)) == "version finale"


@pytest.mark.parametrize("who", ["patient", "other_practitioner", "staff", "outsider"])
def test_it_lets_only_the_practitioner_write(personas: Personas, room: Room, who: str) -> None:
    with pytest.raises(ValidationError):
        do_save_note(room, "note", acting_user=getattr(personas, who))

    assert not ConsultationNote.objects.exists()


def test_it_refuses_a_note_too_long(personas: Personas, room: Room) -> None:
    with pytest.raises(ValidationError) as refused:
        do_save_note(room, "x" * (MAX_NOTE_CHARS + 1), acting_user=personas.practitioner)

    assert "text" in refused.value.message_dict
