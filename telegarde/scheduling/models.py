"""Practitioners' weekly availability, its exceptions, and the appointments booked in it.

Availability is kept in local wall-clock time (Europe/Paris) because that is how people
think of it ("Tuesdays 9:00-12:00"): the slots computed from it follow daylight saving.
Appointments are instants (aware datetimes stored in UTC).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from telegarde.accounts.models import Organisation, User


class ConsultationKind(models.TextChoices):
    VIDEO = "video", _("Vidéo")
    AUDIO = "audio", _("Audio")
    BOOTH = "booth", _("Cabine de téléconsultation")


class WeeklyAvailability(models.Model):
    """A recurring opening, e.g. Tuesdays 09:00-12:00 in slots of 15 minutes."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("lundi")
        TUESDAY = 1, _("mardi")
        WEDNESDAY = 2, _("mercredi")
        THURSDAY = 3, _("jeudi")
        FRIDAY = 4, _("vendredi")
        SATURDAY = 5, _("samedi")
        SUNDAY = 6, _("dimanche")

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practitioner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="availabilities")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    weekday = models.PositiveSmallIntegerField(_("jour"), choices=Weekday.choices)
    start_time = models.TimeField(_("début"))
    end_time = models.TimeField(_("fin"))
    slot_minutes = models.PositiveSmallIntegerField(_("durée d'un créneau (minutes)"), default=15)
    kinds = models.JSONField(_("types de consultation"), default=list)
    valid_from = models.DateField(_("à partir du"), default=timezone.localdate)
    valid_until = models.DateField(_("jusqu'au"), null=True, blank=True)
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("disponibilité hebdomadaire")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")), name="scheduling_weekly_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=5) & Q(slot_minutes__lte=240),
                name="scheduling_weekly_slot_length",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} {self.get_weekday_display()} {self.start_time}-{self.end_time}"

    def kind_labels(self) -> list[str]:
        return [str(ConsultationKind(kind).label) for kind in self.kinds]


class AvailabilityException(models.Model):
    """An absence (leave, training, a closed day): no slot is offered inside it."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practitioner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="absences")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    reason = models.CharField(_("motif"), max_length=200, blank=True)
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("absence")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="scheduling_absence_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} {self.starts_at:%Y-%m-%d %H:%M}-{self.ends_at:%H:%M}"


class Appointment(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", _("Réservé")
        CANCELLED = "cancelled", _("Annulé")
        COMPLETED = "completed", _("Terminé")

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    practitioner = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="appointments_given"
    )
    patient = models.ForeignKey(User, on_delete=models.PROTECT, related_name="appointments")
    booked_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    kind = models.CharField(_("type"), max_length=16, choices=ConsultationKind.choices)
    status = models.CharField(
        _("statut"), max_length=16, choices=Status.choices, default=Status.BOOKED
    )
    created = models.DateTimeField(default=timezone.now, editable=False)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    # Revision of the calendar invitation (.ics SEQUENCE): raised by each move or cancel.
    sequence = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("rendez-vous")
        constraints = [
            # The database, not the code, makes double-booking impossible: two concurrent
            # bookings of one slot cannot both commit.
            models.UniqueConstraint(
                fields=["practitioner", "starts_at"],
                condition=Q(status="booked"),
                name="scheduling_one_booking_per_slot",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="scheduling_appointment_end_after_start",
            ),
        ]
        indexes = [models.Index(fields=["practitioner", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.patient} ↔ {self.practitioner} {self.starts_at:%Y-%m-%d %H:%M}"
