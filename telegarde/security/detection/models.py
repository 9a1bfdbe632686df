"""Alerts raised by the detection engine, with their events, comments, responses and
notification deliveries."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from telegarde.accounts.models import Organisation


class Severity(models.TextChoices):
    LOW = "low", _("Faible")
    MEDIUM = "medium", _("Moyenne")
    HIGH = "high", _("Élevée")
    CRITICAL = "critical", _("Critique")


SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}


class Threat(models.TextChoices):
    PHISHING = "phishing", _("Hameçonnage")
    MALWARE = "malware", _("Logiciel malveillant")
    DENIAL_OF_SERVICE = "denial_of_service", _("Déni de service")
    PASSWORD_THEFT = "password_theft", _("Vol de mot de passe")
    MAN_IN_THE_MIDDLE = "man_in_the_middle", _("Interception")
    DATA_LOSS = "data_loss", _("Perte de données")
    OTHER = "other", _("Autre")


class Alert(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("Nouvelle")
        ACKNOWLEDGED = "acknowledged", _("Prise en compte")
        RESOLVED = "resolved", _("Résolue")
        FALSE_POSITIVE = "false_positive", _("Faux positif")

    OPEN_STATUSES = (Status.NEW, Status.ACKNOWLEDGED)

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    rule_id = models.CharField(max_length=64, db_index=True)
    title = models.CharField(max_length=200)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    threat = models.CharField(max_length=32, choices=Threat.choices)
    group_key = models.CharField(max_length=500, blank=True)
    group = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    count = models.PositiveIntegerField(default=1)
    first_seen = models.DateTimeField(db_index=True)
    last_seen = models.DateTimeField()
    created = models.DateTimeField(default=timezone.now, editable=False)
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_seen"]
        indexes = [models.Index(fields=["organisation", "status", "first_seen"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class AlertGroup(models.Model):
    """One row per rule and group: the lock that serialises deduplication between
    workers, and the pointer to the group's latest alert."""

    rule_id = models.CharField(max_length=64)
    group_key = models.CharField(max_length=500)
    alert = models.ForeignKey(Alert, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule_id", "group_key"], name="detection_group_unique")
        ]

    def __str__(self) -> str:
        return str(f"{self.rule_id} {self.group_key}")


class AlertEvent(models.Model):
    """An event that made the alert fire (or fire again); ``seq`` links to the event
    log when the event came from it, ``data`` keeps external events (nginx)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    event_id = models.CharField(max_length=80, db_index=True)
    seq = models.BigIntegerField(null=True, blank=True)
    ts = models.DateTimeField()
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["ts"]
        constraints = [
            models.UniqueConstraint(fields=["alert", "event_id"], name="detection_event_once")
        ]

    def __str__(self) -> str:
        return str(self.event_id)


class AlertComment(models.Model):
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("commentaire"), max_length=4000)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created"]

    def __str__(self) -> str:
        return str(f"{self.author_id} {self.created}")


class ResponseAction(models.Model):
    """An automatic response taken for an alert: at most one per kind and target."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("Appliquée")
        FAILED = "failed", _("Échec")
        REVERTED = "reverted", _("Annulée")

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="responses")
    kind = models.CharField(max_length=32)
    target = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices)
    detail = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(default=timezone.now)
    reverted = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created"]
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "kind", "target"], name="detection_response_once"
            )
        ]

    def __str__(self) -> str:
        return str(f"{self.kind} {self.target} ({self.status})")


class Delivery(models.Model):
    """One notification to send on one channel, retried with back-off, then dead."""

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        SENT = "sent", _("Envoyée")
        DEAD = "dead", _("Abandonnée")

    alert = models.ForeignKey(Alert, null=True, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=16)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt = models.DateTimeField(default=timezone.now)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return str(f"{self.channel} {self.status}")


class RuleSetting(models.Model):
    """An organisation's tuning of one rule: off, its threshold, window or severity, and
    whether its automatic responses run. Empty fields keep the rule file's values."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    rule_id = models.CharField(max_length=64)
    enabled = models.BooleanField(_("règle active"), default=True)
    automatic_responses = models.BooleanField(_("réponses automatiques"), default=False)
    threshold = models.PositiveIntegerField(_("seuil"), null=True, blank=True)
    window_s = models.PositiveIntegerField(_("fenêtre (secondes)"), null=True, blank=True)
    severity = models.CharField(_("gravité"), max_length=10, choices=Severity.choices, blank=True)
    updated = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "rule_id"], name="detection_setting_unique"
            )
        ]

    def __str__(self) -> str:
        return str(f"{self.organisation_id} {self.rule_id}")


class EngineHealth(models.Model):
    """What each engine (inline thread or stream worker) last reported."""

    name = models.CharField(max_length=100, unique=True)
    events = models.BigIntegerField(default=0)
    errors = models.BigIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    updated = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return str(self.name)
