"""The security event log: append-only, hash-chained rows (DESIGN §4 rule 1)."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar, NoReturn

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """Raised when code tries to change or remove a recorded security event."""


class SecurityEventQuerySet(models.QuerySet["SecurityEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("security events are append-only")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("security events are append-only")


class SecurityEvent(models.Model):
    """One security-relevant fact. Only ``core.events.record_event`` creates rows."""

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("Réussite")
        FAILURE = "failure", _("Échec")
        UNKNOWN = "unknown", _("Inconnu")

    # Position in the chain, 1-based and gap-free: a gap means a deleted row.
    seq = models.BigIntegerField(unique=True)
    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created = models.DateTimeField(db_index=True)
    action = models.CharField(max_length=100, db_index=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    # Identifiers, not foreign keys: events outlive the users and objects they name,
    # and the core layer must not depend on the apps above it.
    actor_id = models.CharField(max_length=64, blank=True, db_index=True)
    actor_email = models.CharField(max_length=254, blank=True)
    organisation_id = models.CharField(max_length=64, blank=True, db_index=True)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects: ClassVar[SecurityEventQuerySet] = SecurityEventQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["organisation_id", "created"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} ({self.outcome})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("security events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("security events are append-only")

    @property
    def label(self) -> str:
        """The action in words, for people; the dotted name when none is known."""
        from .labels import ACTION_LABELS

        return str(ACTION_LABELS.get(self.action, self.action))


class EventChainHead(models.Model):
    """The single row that holds the chain's last position and hash.

    Writers lock it (``SELECT … FOR UPDATE``) so that concurrent transactions append in
    commit order and never fork the chain; verification compares it with the last row,
    which detects rows deleted from the end.
    """

    SINGLETON_ID = 1

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"head #{self.seq}"


class OutboundMessage(models.Model):
    """Every message the platform sends carries a code its recipient can check on the
    platform (the anti-phishing verification code, DESIGN §1): a phisher's copy has a
    code we never issued."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(max_length=16, unique=True)
    recipient_id = models.CharField(max_length=64, blank=True)
    recipient_email = models.CharField(max_length=254)
    subject = models.CharField(max_length=200)
    purpose = models.CharField(max_length=64)
    sent_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.code} → {self.recipient_email}"
