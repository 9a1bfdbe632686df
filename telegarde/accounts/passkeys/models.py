"""A passkey is one WebAuthn credential of one account; an account may hold several."""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Credential ids are at most 1023 bytes (WebAuthn L3), so at most 1364 base64url characters.
MAX_CREDENTIAL_ID_CHARS = 1364
MAX_NAME = 64


class Passkey(models.Model):
    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="passkeys"
    )
    name = models.CharField(_("nom"), max_length=MAX_NAME)
    # base64url without padding, as the browser reports it: the lookup key at sign-in.
    credential_id = models.CharField(max_length=MAX_CREDENTIAL_ID_CHARS, unique=True)
    public_key = models.BinaryField()  # COSE_Key, as registered
    sign_count = models.PositiveBigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    aaguid = models.CharField(max_length=36, blank=True)
    backed_up = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now, editable=False)
    last_used = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("clé d'accès")
        verbose_name_plural = _("clés d'accès")

    def __str__(self) -> str:
        return self.name

    @property
    def id_hash(self) -> str:
        return credential_id_hash(self.credential_id)


def credential_id_hash(credential_id: str) -> str:
    """What the event log keeps of a credential id: a short hash, never the id itself."""
    return hashlib.sha256(credential_id.encode()).hexdigest()[:16]
