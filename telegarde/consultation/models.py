"""Consultation rooms, who may be in them, what is said in them (sealed), and the DTLS
fingerprints seen on each call leg (for the man-in-the-middle check)."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from telegarde.accounts.models import User
from telegarde.scheduling.models import Appointment


class Room(models.Model):
    """One per appointment: the waiting room, then the call."""

    class Status(models.TextChoices):
        OPEN = "open", _("Salle d'attente ouverte")
        IN_PROGRESS = "in_progress", _("Consultation en cours")
        ENDED = "ended", _("Terminée")

    class Mode(models.TextChoices):
        VIDEO = "video", _("Vidéo")
        AUDIO = "audio", _("Audio seul")
        PHONE = "phone", _("Téléphone")

    class Sas(models.TextChoices):
        PENDING = "pending", _("Non vérifié")
        CONFIRMED = "confirmed", _("Identique, confirmé")
        MISMATCH = "mismatch", _("Différent : appel interrompu")

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    appointment = models.OneToOneField(Appointment, on_delete=models.PROTECT, related_name="room")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.VIDEO)
    sas = models.CharField(max_length=16, choices=Sas.choices, default=Sas.PENDING)
    fingerprint_mismatch = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("salle de consultation")

    def __str__(self) -> str:
        return f"salle {self.external_id}"


class Participant(models.Model):
    """Someone who may enter a room. The patient and the practitioner are there by the
    appointment; a third person (interpreter, relative, second practitioner) by an
    invitation of the practitioner, proven with a one-time code."""

    class Role(models.TextChoices):
        PATIENT = "patient", _("Patient")
        PRACTITIONER = "practitioner", _("Professionnel de santé")
        GUEST = "guest", _("Invité")

    class State(models.TextChoices):
        INVITED = "invited", _("Invitation envoyée")
        AWAY = "away", _("Pas encore arrivé")
        WAITING = "waiting", _("En salle d'attente")
        ADMITTED = "admitted", _("Admis")
        REFUSED = "refused", pgettext_lazy("participant state", "Refusé")
        LEFT = "left", _("Parti")

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+")
    role = models.CharField(max_length=16, choices=Role.choices)
    display_name = models.CharField(max_length=150)
    guest_email = models.EmailField(blank=True)
    guest_relation = models.CharField(max_length=64, blank=True)
    code_hash = models.CharField(max_length=64, blank=True)
    code_expires = models.DateTimeField(null=True, blank=True)
    code_used_at = models.DateTimeField(null=True, blank=True)
    code_failures = models.PositiveSmallIntegerField(default=0)
    state = models.CharField(max_length=16, choices=State.choices, default=State.AWAY)
    connections = models.PositiveSmallIntegerField(default=0)
    waiting_since = models.DateTimeField(null=True, blank=True)
    admitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("participant")
        constraints = [
            models.UniqueConstraint(
                fields=["room", "user"],
                condition=Q(user__isnull=False),
                name="consultation_one_participant_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.role})"

    @property
    def online(self) -> bool:
        return self.connections > 0


class CallLeg(models.Model):
    """What the server relayed from one participant to another, and what each end later
    reported as used on the connection: the fingerprints must agree."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="legs")
    sender = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    receiver = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    relayed_fingerprints = models.JSONField(default=list)
    reported_local = models.CharField(max_length=200, blank=True)
    reported_remote = models.CharField(max_length=200, blank=True)
    mismatch = models.BooleanField(default=False)
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "receiver"], name="consultation_one_leg_per_direction"
            )
        ]

    def __str__(self) -> str:
        return f"{self.sender_id} → {self.receiver_id}"


class ChatMessage(models.Model):
    """In-call text chat, sealed at rest and kept in the consultation record."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="chat")
    author = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="+")
    sealed_body = models.TextField()
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ("created", "pk")

    def __str__(self) -> str:
        return f"message {self.external_id}"


class ConsultationNote(models.Model):
    """The practitioner's notes of a consultation, sealed at rest; one per room."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    room = models.OneToOneField(Room, on_delete=models.CASCADE, related_name="note")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    sealed_body = models.TextField()
    updated = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"note {self.external_id}"


class StatusNotice(models.Model):
    """A notice on the public status page (incident, degraded video, maintenance)."""

    class Level(models.TextChoices):
        DEGRADED = "degraded", _("Service dégradé")
        OUTAGE = "outage", _("Service interrompu")
        MAINTENANCE = "maintenance", _("Maintenance")

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    level = models.CharField(max_length=16, choices=Level.choices)
    message = models.CharField(max_length=500)
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        verbose_name = _("avis d'état du service")

    def __str__(self) -> str:
        return f"{self.level}: {self.message[:60]}"
