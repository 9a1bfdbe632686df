"""do_post_chat_message: chat sealed at rest."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from telegarde.conftest import Personas
from telegarde.consultation.actions import MAX_CHAT_CHARS, do_post_chat_message
from telegarde.consultation.models import ChatMessage, Room
from telegarde.core.vault import open_text

from .fixtures import appointment_fixture, participant, room_fixture  # noqa: F401


def stored_column(table: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT sealed_body FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return str(cursor.fetchone()[0])


def test_it_stores_the_message_sealed(personas: Personas, room: Room) -> None:
    secret = "J'ai des douleurs thoraciques depuis hier"

    message = do_post_chat_message(room, participant(room, personas.patient), f"  {secret} ")

    stored = stored_column(ChatMessage._meta.db_table, message.pk)
    assert secret not in stored
    assert "douleurs" not in stored
    assert open_text(f"chat:{message.external_id}", stored) == secret


def test_it_does_not_open_under_another_message(personas: Personas, room: Room) -> None:
    author = participant(room, personas.patient)
    first = do_post_chat_message(room, author, "un")
    second = do_post_chat_message(room, author, "deux")

    with pytest.raises(Exception):  # noqa: B017 - the envelope refuses, whatever its error
        open_text(f"chat:{second.external_id}", first.sealed_body)


@pytest.mark.parametrize("text", ["", "   ", "x" * (MAX_CHAT_CHARS + 1)])
def test_it_refuses_an_empty_or_long_message(personas: Personas, room: Room, text: str) -> None:
    with pytest.raises(ValidationError) as refused:
        do_post_chat_message(room, participant(room, personas.patient), text)

    assert "text" in refused.value.message_dict
    assert not ChatMessage.objects.exists()
