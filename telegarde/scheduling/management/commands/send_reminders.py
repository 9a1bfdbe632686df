"""``telegarde send_reminders``: mail each patient whose appointment starts within
TELEGARDE_REMINDER_HOURS, once. A timer runs it every few minutes (docs/scheduling.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from telegarde.scheduling import mails
from telegarde.scheduling.models import Appointment


def due_appointments() -> list[int]:
    now = timezone.now()
    return list(
        Appointment.objects.filter(
            status=Appointment.Status.BOOKED,
            reminder_sent_at__isnull=True,
            starts_at__gt=now,
            starts_at__lte=now + timedelta(hours=settings.REMINDER_HOURS),
        )
        .order_by("starts_at")
        .values_list("pk", flat=True)[:500]
    )


def send_due_reminders() -> int:
    """Claim each due appointment with a conditional update, then mail it: two workers
    running at once never send the same reminder twice."""
    sent = 0
    for pk in due_appointments():
        with transaction.atomic():
            claimed = Appointment.objects.filter(
                pk=pk, reminder_sent_at__isnull=True, status=Appointment.Status.BOOKED
            ).update(reminder_sent_at=timezone.now())
            if not claimed:
                continue  # another worker took it, or it was cancelled meanwhile
            appointment = Appointment.objects.select_related(
                "patient", "practitioner", "organisation"
            ).get(pk=pk)
            mails.send_appointment_mail(appointment, mails.REMINDER)
        sent += 1
    return sent


class Command(BaseCommand):
    help = "Send the reminders of upcoming appointments (once each), then exit."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = send_due_reminders()
        if options["verbosity"] > 0:
            self.stdout.write(f"{sent} rappel(s) envoyé(s)")
