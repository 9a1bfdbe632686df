"""A guest's code page: the code, not the link, lets them in."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from telegarde.conftest import Personas, last_event
from telegarde.consultation.access import GUEST_SESSION_KEY
from telegarde.consultation.actions import do_end_consultation
from telegarde.consultation.models import Participant, Room

from .fixtures import appointment_fixture, invited_fixture, room_fixture  # noqa: F401


def url(room: Room, guest: Participant) -> str:
    return reverse("consultation:guest", args=[room.external_id, guest.external_id])


def room_url(room: Room) -> str:
    return reverse("consultation:room", args=[room.external_id])


def test_it_asks_for_the_code(client: Client, room: Room, invited: tuple[Participant, str]) -> None:
    response = client.get(url(room, invited[0]))

    assert response.status_code == 200
    assert b'name="code"' in response.content


def test_it_lets_the_guest_in_with_the_right_code(
    client: Client, room: Room, invited: tuple[Participant, str]
) -> None:
    guest, code = invited
    before = client.cookies.get("telegarde_session")

    response = client.post(url(room, guest), {"code": f" {code} "})

    assert response.status_code == 302
    assert response["Location"] == room_url(room)
    assert client.session[GUEST_SESSION_KEY] == {str(room.external_id): str(guest.external_id)}
    assert client.cookies["telegarde_session"] != before
    page = client.get(room_url(room))
    assert page.status_code == 200
    assert f'"me": "{guest.external_id}"' in page.content.decode()
    assert last_event("consultation.guest.code_used").data["participant"] == str(guest.external_id)


@pytest.mark.parametrize("code", ["wrong", "1234", "123456789", ""])
def test_it_shows_a_form_error_for_a_malformed_code(
    client: Client, room: Room, invited: tuple[Participant, str], code: str
) -> None:
    response = client.post(url(room, invited[0]), {"code": code})

    assert response.status_code == 200
    assert response.context["form"].errors["code"]


def test_it_shows_a_form_error_for_a_wrong_code(
    client: Client, room: Room, invited: tuple[Participant, str]
) -> None:
    guest, code = invited
    wrong = f"{(int(code) + 1) % 10**8:08d}"

    response = client.post(url(room, guest), {"code": wrong})

    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert GUEST_SESSION_KEY not in client.session
    assert client.get(room_url(room)).status_code == 404


def test_it_refuses_a_code_already_used(
    client: Client, room: Room, invited: tuple[Participant, str]
) -> None:
    guest, code = invited
    client.post(url(room, guest), {"code": code})

    other_browser = Client()
    response = other_browser.post(url(room, guest), {"code": code})

    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert other_browser.get(room_url(room)).status_code == 404


def test_it_gives_no_access_with_the_link_alone(
    client: Client, room: Room, invited: tuple[Participant, str]
) -> None:
    client.get(url(room, invited[0]))

    assert client.get(room_url(room)).status_code == 404
    assert client.get(reverse("consultation:ice", args=[room.external_id])).status_code == 404


def test_it_refuses_an_unknown_guest_without_a_500(client: Client, room: Room) -> None:
    unknown = reverse("consultation:guest", args=[room.external_id, room.external_id])

    response = client.post(unknown, {"code": "12345678"})

    assert response.status_code == 200
    assert response.context["form"].errors["code"]


def test_it_closes_once_the_consultation_ended(
    personas: Personas, client: Client, room: Room, invited: tuple[Participant, str]
) -> None:
    guest, code = invited
    do_end_consultation(room, acting_user=personas.practitioner)

    assert client.post(url(room, guest), {"code": code}).status_code == 404


def test_it_keeps_out_a_guest_the_practitioner_refused(
    personas: Personas, client: Client, room: Room, invited: tuple[Participant, str]
) -> None:
    guest, code = invited
    client.post(url(room, guest), {"code": code})
    Participant.objects.filter(pk=guest.pk).update(state=Participant.State.REFUSED)

    assert client.get(room_url(room)).status_code == 404
