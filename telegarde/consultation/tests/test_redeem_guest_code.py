"""do_redeem_guest_code: one use, before it expires, at most five wrong attempts."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.http import HttpRequest
from django.test import RequestFactory
from django.utils import timezone

from telegarde.conftest import Personas, last_event
from telegarde.consultation.actions import (
    GUEST_CODE_ATTEMPTS,
    do_invite_guest,
    do_open_room,
    do_redeem_guest_code,
)
from telegarde.consultation.models import Participant, Room
from telegarde.core.models import SecurityEvent

from .fixtures import appointment_fixture, make_appointment, room_fixture  # noqa: F401


def invite(personas: Personas, room: Room, capture: Any) -> tuple[Participant, str]:
    """A guest invited to ``room``, and the code mailed to them."""
    with capture(execute=True):
        guest = do_invite_guest(
            room,
            email="proche@example.org",
            display_name="Pierre Proche",
            relation="relative",
            acting_user=personas.practitioner,
        )
    found = re.search(r"code à usage unique : (\d{8})", str(mail.outbox[-1].body))
    assert found is not None
    return guest, found.group(1)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**8:08d}"


@pytest.fixture
def request_() -> HttpRequest:
    return RequestFactory().post("/", REMOTE_ADDR="198.51.100.4")


def test_it_lets_the_guest_in_with_the_right_code(
    personas: Personas,
    room: Room,
    request_: HttpRequest,
    django_capture_on_commit_callbacks: Any,
) -> None:
    guest, code = invite(personas, room, django_capture_on_commit_callbacks)

    found = do_redeem_guest_code(room, str(guest.external_id), code, request=request_)

    assert found == guest
    assert found is not None
    assert found.code_used_at is not None
    event = last_event("consultation.guest.code_used")
    assert event.data == {"participant": str(guest.external_id)}
    assert event.source_ip == "198.51.100.4"


def test_it_lets_a_code_in_only_once(
    personas: Personas,
    room: Room,
    request_: HttpRequest,
    django_capture_on_commit_callbacks: Any,
) -> None:
    guest, code = invite(personas, room, django_capture_on_commit_callbacks)
    do_redeem_guest_code(room, str(guest.external_id), code, request=request_)

    assert do_redeem_guest_code(room, str(guest.external_id), code, request=request_) is None
    assert last_event("consultation.guest.code_refused").outcome == "failure"


def test_it_refuses_a_wrong_code(
    personas: Personas,
    room: Room,
    request_: HttpRequest,
    django_capture_on_commit_callbacks: Any,
) -> None:
    guest, code = invite(personas, room, django_capture_on_commit_callbacks)

    assert do_redeem_guest_code(room, str(guest.external_id), wrong(code), request=request_) is None

    guest.refresh_from_db()
    assert guest.code_failures == 1
    assert guest.code_used_at is None
    event = last_event("consultation.guest.code_refused")
    assert event.data == {"participant": str(guest.external_id), "failures": 1}


def test_it_locks_the_code_after_five_wrong_attempts(
    personas: Personas,
    room: Room,
    request_: HttpRequest,
    django_capture_on_commit_callbacks: Any,
) -> None:
    guest, code = invite(personas, room, django_capture_on_commit_callbacks)
    for _ in range(GUEST_CODE_ATTEMPTS):
        do_redeem_guest_code(room, str(guest.external_id), wrong(code), request=request_)

    assert do_redeem_guest_code(room, str(guest.external_id), code, request=request_) is None
    guest.refresh_from_db()
    assert guest.code_used_at is None
    assert guest.code_failures == GUEST_CODE_ATTEMPTS


def test_it_refuses_an_expired_code(
    personas: Personas,
    room: Room,
    request_: HttpRequest,
    django_capture_on_commit_callbacks: Any,
) -> None:
    guest, code = invite(personas, room, django_capture_on_commit_callbacks)
    Participant.objects.filter(pk=guest.pk).update(code_expires=timezone.now() - timedelta(1))

    assert do_redeem_guest_code(room, str(guest.external_id), code, request=request_) is None


def test_it_refuses_a_code_of_another_room(
    personas: Personas,
    room: Room,
    request_: HttpRequest,
    django_capture_on_commit_callbacks: Any,
) -> None:
    guest, code = invite(personas, room, django_capture_on_commit_callbacks)
    elsewhere = do_open_room(make_appointment(personas, minutes_from_now=30))

    assert do_redeem_guest_code(elsewhere, str(guest.external_id), code, request=request_) is None
    assert do_redeem_guest_code(room, str(guest.external_id), code, request=request_) == guest


def test_it_refuses_an_unknown_guest(room: Room, request_: HttpRequest) -> None:
    assert do_redeem_guest_code(room, str(room.external_id), "12345678", request=request_) is None
    assert SecurityEvent.objects.filter(action="consultation.guest.code_refused").count() == 1
