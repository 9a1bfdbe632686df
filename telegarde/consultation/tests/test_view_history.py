"""The list of one's past consultations."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from telegarde.conftest import Personas
from telegarde.consultation.actions import do_end_consultation, do_open_room
from telegarde.consultation.models import Room

from .fixtures import make_appointment

URL = reverse("consultation:history")


def ended_room(personas: Personas, **people: Any) -> Room:
    room = do_open_room(make_appointment(personas, **people))
    return do_end_consultation(room, acting_user=room.appointment.practitioner)


def listed(page: Any) -> set[Room]:
    return set(page.context["rooms"])


def test_it_lists_only_ones_own_ended_consultations(personas: Personas, login: Any) -> None:
    mine = ended_room(personas)
    others = ended_room(personas, patient=personas.other_patient, minutes_from_now=30)
    do_open_room(make_appointment(personas, minutes_from_now=60))  # not ended yet

    page = login(personas.patient).get(URL)

    assert page.status_code == 200
    assert listed(page) == {mine}
    assert reverse("consultation:record", args=[mine.external_id]) in page.content.decode()
    assert str(others.external_id) not in page.content.decode()


def test_it_lists_the_practitioners_consultations(personas: Personas, login: Any) -> None:
    first = ended_room(personas)
    second = ended_room(personas, patient=personas.other_patient, minutes_from_now=30)
    ended_room(personas, practitioner=personas.other_practitioner)

    assert listed(login(personas.practitioner).get(URL)) == {first, second}


def test_it_lists_nothing_for_a_stranger(personas: Personas, login: Any) -> None:
    ended_room(personas)

    assert listed(login(personas.outsider).get(URL)) == set()


def test_it_sends_an_anonymous_visitor_to_sign_in(client: Client) -> None:
    assert client.get(URL).status_code == 302
