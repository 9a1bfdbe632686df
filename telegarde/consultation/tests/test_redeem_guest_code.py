"""do_redeem_guest_code: one use, before it expires, at most five wrong attempts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.http import HttpRequest
from django.test import RequestFactory
from django.utils import timezone

from telegarde.conftest import Personas, last_event
from telegarde.consultation.actions import GUEST_CODE_ATTEMPTS, do_open_room, do_redeem_guest_code
from telegarde.consultation.models import Participant, Room
from telegarde.core.models import SecurityEvent

from .fixtures import (  # noqa: F401
    appointment_fixture,
    invited_fixture,
    make_appointment,
    room_fixture,
)

Invited = tuple[Participant, str]


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**8:08d}"


@pytest.fixture(name="request_")
def request_fixture() -> HttpRequest:
    return RequestFactory().post("/", REMOTE_ADDR="198.51.100.4")


def redeem(room: Room, guest: Participant, code: str, request: HttpRequest) -> Participant | None:
    return do_redeem_guest_code(room, str(guest.external_id), code, request=request)


def test_it_lets_the_guest_in_with_the_right_code(
    room: Room, invited: Invited, request_: HttpRequest
) -> None:
    guest, code = invited

    found = redeem(room, guest, code, request_)

    assert found == guest
    assert found is not None
    assert found.code_used_at is not None
    event = last_event("consultation.guest.code_used")
    assert event.data == {"participant": str(guest.external_id)}
    assert event.source_ip == "198.51.100.4"


def test_it_lets_a_code_in_only_once(room: Room, invited: Invited, request_: HttpRequest) -> None:
    guest, code = invited
    redeem(room, guest, code, request_)

    assert redeem(room, guest, code, request_) is None
    assert last_event("consultation.guest.code_refused").outcome == "failure"


def test_it_refuses_a_wrong_code(room: Room, invited: Invited, request_: HttpRequest) -> None:
    guest, code = invited

    assert redeem(room, guest, wrong(code), request_) is None

    guest.refresh_from_db()
    assert guest.code_failures == 1
    assert guest.code_used_at is None
    event = last_event("consultation.guest.code_refused")
    assert event.data == {"participant": str(guest.external_id), "failures": 1}


def test_it_locks_the_code_after_five_wrong_attempts(
    room: Room, invited: Invited, request_: HttpRequest
) -> None:
    guest, code = invited
    for _ in range(GUEST_CODE_ATTEMPTS):
        redeem(room, guest, wrong(code), request_)

    assert redeem(room, guest, code, request_) is None
    guest.refresh_from_db()
    assert guest.code_used_at is None
    assert guest.code_failures == GUEST_CODE_ATTEMPTS


def test_it_refuses_an_expired_code(room: Room, invited: Invited, request_: HttpRequest) -> None:
    guest, code = invited
    Participant.objects.filter(pk=guest.pk).update(code_expires=timezone.now() - timedelta(1))

    assert redeem(room, guest, code, request_) is None


def test_it_refuses_a_code_of_another_room(
    personas: Personas, room: Room, invited: Invited, request_: HttpRequest
) -> None:
    guest, code = invited
    elsewhere = do_open_room(make_appointment(personas, minutes_from_now=30))

    assert redeem(elsewhere, guest, code, request_) is None
    assert redeem(room, guest, code, request_) == guest


def test_it_refuses_an_unknown_guest(room: Room, request_: HttpRequest) -> None:
    assert do_redeem_guest_code(room, str(room.external_id), "12345678", request=request_) is None
    assert SecurityEvent.objects.filter(action="consultation.guest.code_refused").count() == 1
