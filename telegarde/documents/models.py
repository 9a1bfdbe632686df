"""Documents of a patient's record: uploaded files, kept encrypted, delivered only when clean.

A document is stored twice at most: the upload as received (``original_key``, kept while
it is pending or quarantined, for the scanners and the security officer) and the
sanitised bytes that are served (``storage_key``). Both are encrypted with the document's
own data key (``data_key``, wrapped under settings.DATA_KEY).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from telegarde.accounts.models import Organisation, User


class Document(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("En cours de vérification")
        CLEAN = "clean", _("Disponible")
        QUARANTINED = "quarantined", _("En quarantaine")
        REJECTED = "rejected", pgettext_lazy("document status", "Refusé")
        DELETED = "deleted", _("Supprimé")

    class Verdict(models.TextChoices):
        CLEAN = "clean", _("Aucun problème détecté")
        MALWARE = "malware", _("Logiciel malveillant détecté")
        SUSPICIOUS = "suspicious", _("Contenu suspect")
        PDF_JAVASCRIPT = "pdf_javascript", _("PDF contenant du JavaScript")
        PDF_OPEN_ACTION = "pdf_open_action", _("PDF déclenchant une action à l'ouverture")
        PDF_LAUNCH = "pdf_launch", _("PDF lançant un programme")
        PDF_EMBEDDED_FILES = "pdf_embedded_files", _("PDF contenant des fichiers joints")
        PDF_XFA = "pdf_xfa", _("PDF contenant un formulaire XFA")
        PDF_RICH_MEDIA = "pdf_rich_media", _("PDF contenant des médias actifs")
        PDF_ENCRYPTED = "pdf_encrypted", _("PDF chiffré, impossible à vérifier")
        PDF_MALFORMED = "pdf_malformed", _("PDF illisible ou tronqué")
        TYPE_NOT_ALLOWED = "type_not_allowed", _("Type de fichier non autorisé")
        TYPE_MISMATCH = "type_mismatch", _("Le nom ou le type déclaré ne correspond pas au contenu")
        TOO_LARGE = "too_large", _("Fichier trop volumineux")
        EMPTY = "empty", _("Fichier vide")
        BAD_NAME = "bad_name", _("Nom de fichier non accepté")
        IMAGE_UNDECODABLE = "image_undecodable", _("Image illisible ou tronquée")
        DICOM_MALFORMED = "dicom_malformed", _("Fichier DICOM illisible")
        SCANNER_UNAVAILABLE = "scanner_unavailable", _("Analyseur indisponible")

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    # Whose record the document belongs to.
    patient = models.ForeignKey(User, on_delete=models.PROTECT, related_name="documents")
    uploaded_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    name = models.CharField(_("nom"), max_length=255)
    declared_type = models.CharField(max_length=100, blank=True)
    content_type = models.CharField(_("type"), max_length=100, blank=True)
    original_size = models.PositiveBigIntegerField(default=0)
    original_sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(_("taille"), default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        _("statut"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    verdict = models.CharField(_("verdict"), max_length=32, choices=Verdict.choices, blank=True)
    # {"findings": [{"scanner": "clamd", "rule": "Eicar-Signature", "verdict": "malware"}], …}
    verdict_details = models.JSONField(default=dict, blank=True)
    scan_attempts = models.PositiveIntegerField(default=0)
    # Workers claim a pending document by moving this forward (a lease); None = not due.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    scanned_at = models.DateTimeField(null=True, blank=True)
    data_key = models.TextField(editable=False)
    original_key = models.CharField(max_length=200, blank=True, editable=False)
    storage_key = models.CharField(max_length=200, blank=True, editable=False)
    created = models.DateTimeField(default=timezone.now, editable=False)
    released_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    release_reason = models.TextField(blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("document")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["patient", "created"]),
            models.Index(fields=["organisation", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display()})"

    @property
    def available(self) -> bool:
        return self.status == self.Status.CLEAN and bool(self.storage_key)
