"""Booking mails to the patient: confirmation, cancellation, reminder, each with a
verification code and a calendar invitation. No medical content, no link to sign in."""

from __future__ import annotations

from datetime import datetime
from email.utils import parseaddr

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from telegarde.core.outbound import send_verified_mail

from . import ics
from .models import Appointment
from .slots import local_zone

CONFIRMATION = "confirmation"
CANCELLATION = "cancellation"
REMINDER = "reminder"


def describe_start(starts_at: datetime) -> str:
    """'29 mars 2026 10:00', in Paris time and in French."""
    with translation.override(settings.LANGUAGE_CODE):
        local = starts_at.astimezone(local_zone())
        return str(formats.date_format(local, "DATETIME_FORMAT"))


def invitation(appointment: Appointment, method: str) -> bytes:
    """The .ics for ``appointment``: its UID stays the same across moves and cancellation."""
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    with translation.override(settings.LANGUAGE_CODE):
        event = ics.CalendarEvent(
            uid=f"{appointment.external_id}@telegarde",
            sequence=appointment.sequence,
            starts_at=appointment.starts_at,
            ends_at=appointment.ends_at,
            summary=_("Téléconsultation (%(kind)s) avec %(practitioner)s")
            % {
                "kind": appointment.get_kind_display(),
                "practitioner": appointment.practitioner.display_name,
            },
            description=_(
                "Pour rejoindre la consultation, ouvrez Telegarde comme d'habitude, "
                "sans passer par un lien reçu par message."
            ),
            organizer_email=address or "ne-pas-repondre@telegarde.invalid",
            organizer_name=name or "Telegarde",
            attendee_email=appointment.patient.email,
            attendee_name=appointment.patient.display_name,
        )
    return ics.calendar(event, method=method, now=timezone.now())


def send_appointment_mail(appointment: Appointment, purpose: str) -> None:
    """Mail the patient about ``appointment`` (after commit, like every outbound mail)."""
    subjects = {
        CONFIRMATION: _("Votre rendez-vous du %(when)s est confirmé"),
        CANCELLATION: _("Votre rendez-vous du %(when)s est annulé"),
        REMINDER: _("Rappel : votre rendez-vous du %(when)s"),
    }
    when = describe_start(appointment.starts_at)
    method = ics.CANCEL if purpose == CANCELLATION else ics.REQUEST
    with translation.override(settings.LANGUAGE_CODE):
        subject = subjects[purpose] % {"when": when}
    send_verified_mail(
        recipient_email=appointment.patient.email,
        recipient_id=str(appointment.patient.external_id),
        subject=subject,
        template=f"scheduling/mail/{purpose}.txt",
        context={"appointment": appointment, "when": when},
        purpose=f"booking.{purpose}",
        attachments=[
            (
                "rendez-vous.ics",
                invitation(appointment, method),
                f"text/calendar; method={method}",
            )
        ],
    )
