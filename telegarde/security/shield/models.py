"""Bans: the one thing the shield keeps in the database, so that they survive restarts,
are shared by instances, can be listed and lifted by people, and exported to the edge.

The hot path never reads this table: each worker keeps the active bans in memory
(``bans.BanTable``), refreshed from here every few seconds off the event loop.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class Ban(models.Model):
    class Source(models.TextChoices):
        SHIELD = "shield", _("Bouclier (abus constaté)")
        DETECTION = "detection", _("Moteur de détection")
        OPERATOR = "operator", _("Opérateur")

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Canonical CIDR text: "203.0.113.7/32", "198.51.100.0/24", "2001:db8::/64".
    network = models.CharField(max_length=64, db_index=True)
    reason = models.CharField(max_length=200)
    source = models.CharField(max_length=16, choices=Source.choices)
    created = models.DateTimeField()
    expires = models.DateTimeField(db_index=True)
    created_by = models.CharField(max_length=64, blank=True)  # a user's external id
    lifted = models.DateTimeField(null=True, blank=True)
    lifted_by = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.network} ({self.source})"
