"""TOTP authenticators (seed sealed at rest) and single-use recovery codes (hashed)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from telegarde.accounts.models import User


class TotpDevice(models.Model):
    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    sealed_secret = models.CharField(max_length=200)
    created = models.DateTimeField(default=timezone.now, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last 30-second step accepted: a code is usable once, and never an older one.
    last_used_step = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"TOTP of {self.user}"


class RecoveryCode(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(default=timezone.now, editable=False)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"recovery code of {self.user}"
