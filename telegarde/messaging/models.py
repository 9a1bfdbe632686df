"""Secure messaging: threads about one patient, their participants, messages sealed at
rest, read receipts, and the documents attached to a message."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from telegarde.accounts.models import Organisation, User
from telegarde.documents.models import Document


class Thread(models.Model):
    """A conversation about one patient, inside one organisation."""

    class Kind(models.TextChoices):
        # The patient and their practitioner(s).
        PATIENT = "patient", _("Avec le patient")
        # Practitioners among themselves (second opinion): the patient is not a participant.
        COLLEAGUES = "colleagues", _("Entre professionnels")

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(default=timezone.now, editable=False)
    last_message_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("fil de discussion")
        indexes = [models.Index(fields=["organisation", "patient"])]

    def __str__(self) -> str:
        return f"fil {self.external_id}"


class ThreadParticipant(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    joined = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["thread", "user"], name="messaging_one_seat_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.thread_id}"


class Message(models.Model):
    """A message; its body is envelope-sealed, bound to the message's ``external_id``."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    sealed_body = models.TextField()
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ("created", "pk")
        indexes = [models.Index(fields=["thread", "created"])]

    def __str__(self) -> str:
        return f"message {self.external_id}"

    @property
    def context(self) -> str:
        return f"message:{self.external_id}"


class ReadReceipt(models.Model):
    """When one participant first read one message."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="receipts")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="messaging_one_receipt")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.message_id}"


class Attachment(models.Model):
    """A document uploaded through the documents pipeline and attached to a message; it is
    served by the documents app, and only once clean."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"{self.document_id} on {self.message_id}"
