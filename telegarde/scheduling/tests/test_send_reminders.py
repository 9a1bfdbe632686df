"""``telegarde send_reminders``: due reminders sent once, even by two workers at once."""

from __future__ import annotations

import threading
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from telegarde.accounts.models import Membership
from telegarde.conftest import Personas
from telegarde.core.models import OutboundMessage
from telegarde.scheduling.actions import do_book_appointment, do_cancel_appointment
from telegarde.scheduling.management.commands.send_reminders import send_due_reminders
from telegarde.scheduling.models import Appointment

from .conftest import membership_of, open_every_day


def book_in(personas: Personas, membership: Membership, hours: float) -> Appointment:
    appointment = do_book_appointment(
        membership, personas.patient, starts_at=_slot_after(membership, hours), kind="audio",
        acting_user=personas.patient,
    )  # fmt: skip
    return appointment


def _slot_after(membership: Membership, hours: float) -> Any:
    from telegarde.scheduling.slots import free_slots

    start = timezone.now() + timedelta(hours=hours)
    day = timezone.localdate(start)
    slots = free_slots(membership.user, day, day + timedelta(days=1))
    return next(s.starts_at for s in slots if s.starts_at >= start)


def test_it_reminds_the_due_appointment_once(
    personas: Personas, practitioner: Membership, settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    settings.REMINDER_HOURS = 24
    due = book_in(personas, practitioner, 5)
    not_yet = book_in(personas, practitioner, 30)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", stdout=out)
    assert "1 rappel(s) envoyé(s)" in out.getvalue()
    (message,) = mail.outbox
    assert message.subject.startswith("Rappel")
    assert OutboundMessage.objects.get(purpose="booking.reminder").code in message.body
    assert message.attachments[0][0] == "rendez-vous.ics"
    assert Appointment.objects.get(pk=due.pk).reminder_sent_at is not None
    assert Appointment.objects.get(pk=not_yet.pk).reminder_sent_at is None
    assert send_due_reminders() == 0, "idempotent"


def test_cancelled_and_moved_appointments(
    personas: Personas, practitioner: Membership, settings: Any
) -> None:
    settings.REMINDER_HOURS = 24
    cancelled = book_in(personas, practitioner, 5)
    do_cancel_appointment(cancelled, acting_user=personas.practitioner)
    assert send_due_reminders() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has a single writer: the race cannot happen there (CI's 2nd run: PG)",
)
def test_two_workers_at_once_send_each_reminder_once(
    no_live_detection: None, personas: Personas, settings: Any
) -> None:
    settings.REMINDER_HOURS = 48
    membership = membership_of(personas)
    open_every_day(membership)
    for hours in (3, 6, 9, 12, 15):
        book_in(personas, membership, hours)
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def worker() -> None:
        try:
            barrier.wait()
            counts.append(send_due_reminders())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 5
    assert OutboundMessage.objects.filter(purpose="booking.reminder").count() == 5
