"""Booking mails: a verification code, a calendar invitation that parses, nothing medical
and no link asking to sign in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail

from telegarde.accounts.models import Membership
from telegarde.conftest import Personas
from telegarde.core.models import OutboundMessage
from telegarde.scheduling.actions import (
    do_book_appointment,
    do_cancel_appointment,
    do_reschedule_appointment,
)
from telegarde.scheduling.ics import CalendarEvent, calendar, escape_text, fold
from telegarde.scheduling.models import Appointment

from .conftest import next_free


def parse_ics(raw: bytes) -> dict[str, str]:
    """A strict little reader: CRLF endings, 75-octet lines, unfolded properties."""
    assert raw.endswith(b"\r\n")
    physical = raw.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in physical)
    assert all(len(line) <= 75 for line in physical), "folded at 75 octets"
    text = raw.decode("utf-8").replace("\r\n ", "")
    properties: dict[str, str] = {}
    for line in text.split("\r\n")[:-1]:
        name, _, value = line.partition(":")
        key = name.split(";")[0]
        properties.setdefault(key, value)
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    return properties


def ics_of(message: Any) -> tuple[dict[str, str], str]:
    (attachment,) = message.attachments
    name, content, mimetype = attachment
    assert name == "rendez-vous.ics"
    raw = content if isinstance(content, bytes) else content.encode("utf-8")
    return parse_ics(raw), mimetype


@pytest.fixture
def booked(
    personas: Personas, practitioner: Membership, django_capture_on_commit_callbacks: Any
) -> Appointment:
    with django_capture_on_commit_callbacks(execute=True):
        return do_book_appointment(
            practitioner,
            personas.patient,
            starts_at=next_free(practitioner) + timedelta(days=2),
            kind="video",
            acting_user=personas.patient,
        )


def test_the_confirmation_carries_a_verification_code_and_an_invitation(
    personas: Personas, booked: Appointment
) -> None:
    (message,) = mail.outbox
    assert message.to == [personas.patient.email]
    code = OutboundMessage.objects.get(purpose="booking.confirmation").code
    assert code in message.body
    assert "heure de Paris" in message.body and "Paul Praticien" in message.body
    ics, mimetype = ics_of(message)
    assert mimetype.startswith("text/calendar")
    assert ics["METHOD"] == "REQUEST" and ics["STATUS"] == "CONFIRMED"
    assert ics["UID"] == f"{booked.external_id}@telegarde"
    assert ics["DTSTART"] == booked.starts_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert ics["DTEND"] == booked.ends_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert ics["SUMMARY"].startswith("Téléconsultation (Vidéo) avec Paul Praticien")


def test_no_mail_asks_to_sign_in_through_a_link(booked: Appointment) -> None:
    (message,) = mail.outbox
    links = [word for word in message.body.split() if "://" in word]
    assert all(link.endswith("/verification/") for link in links), links
    assert "mot de passe" not in message.body.split("--")[0]


def test_the_cancellation_withdraws_the_same_event(
    personas: Personas, booked: Appointment, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        do_cancel_appointment(booked, acting_user=personas.patient)
    message = mail.outbox[-1]
    assert "annulé" in message.subject
    ics, mimetype = ics_of(message)
    assert ics["METHOD"] == "CANCEL" and ics["STATUS"] == "CANCELLED"
    assert ics["UID"] == f"{booked.external_id}@telegarde" and ics["SEQUENCE"] == "1"
    assert "method=CANCEL" in mimetype
    assert OutboundMessage.objects.get(purpose="booking.cancellation").code in message.body


def test_a_move_sends_an_updated_invitation(
    personas: Personas, booked: Appointment, django_capture_on_commit_callbacks: Any
) -> None:
    later = booked.starts_at + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        do_reschedule_appointment(booked, starts_at=later, acting_user=personas.patient)
    ics, _ = ics_of(mail.outbox[-1])
    assert ics["SEQUENCE"] == "1" and ics["METHOD"] == "REQUEST"
    assert ics["DTSTART"] == later.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def test_the_sent_message_carries_the_calendar_part(booked: Appointment) -> None:
    raw = mail.outbox[0].message().as_bytes()
    assert b"Content-Type: text/calendar" in raw
    assert b'filename="rendez-vous.ics"' in raw


def test_text_is_escaped_and_long_lines_folded_without_splitting_characters() -> None:
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    line = "SUMMARY:" + "é" * 80
    folded = fold(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line
    event = CalendarEvent(
        uid="x@telegarde", sequence=0,
        starts_at=datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        ends_at=datetime(2026, 3, 29, 2, 0, tzinfo=UTC),
        summary="Dr Martin, Dupont; suite", description="ligne 1\nligne 2",
        organizer_email="ne-pas-repondre@example.org", organizer_name='Tele"garde',
        attendee_email="p@example.org", attendee_name="Éloïse, D.",
    )  # fmt: skip
    props = parse_ics(calendar(event, method="REQUEST", now=event.starts_at))
    assert props["SUMMARY"] == "Dr Martin\\, Dupont\\; suite"
    assert props["DESCRIPTION"] == "ligne 1\\nligne 2"
    assert props["DTSTART"] == "20260329T013000Z"
    with pytest.raises(ValueError):
        calendar(event, method="PUBLISH", now=event.starts_at)
