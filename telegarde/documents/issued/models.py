"""Documents a practitioner issues (prescriptions, consultation reports): the PDF lives in
the patient's record as a ``documents.Document``; this row is what /verify checks it
against (its code, the SHA-256 of the exact bytes, the facts shown, a revocation)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from telegarde.accounts.models import Organisation, User
from telegarde.consultation.models import Room
from telegarde.documents.models import Document


class IssuedDocument(models.Model):
    class Kind(models.TextChoices):
        REPORT = "report", _("Compte rendu de consultation")
        PRESCRIPTION = "prescription", _("Ordonnance")

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices)
    # 12 characters of codes.ALPHABET, printed and typed as XXXX-XXXX-XXXX.
    code = models.CharField(max_length=12, unique=True)
    document = models.OneToOneField(Document, on_delete=models.PROTECT, related_name="issued")
    issuer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    room = models.ForeignKey(Room, on_delete=models.SET_NULL, null=True, related_name="+")
    sha256 = models.CharField(max_length=64)
    issued_at = models.DateTimeField(default=timezone.now)
    # The facts /verify shows, as printed on the PDF (a later change of name stays apart).
    issuer_name = models.CharField(max_length=200)
    issuer_profession = models.CharField(max_length=200)
    organisation_name = models.CharField(max_length=200)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    revocation_reason = models.TextField(blank=True)

    class Meta:
        verbose_name = _("document délivré")
        indexes = [models.Index(fields=["patient", "issued_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.code}"

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None
