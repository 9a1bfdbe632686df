"""Documents: the interface other apps use, and every state change of a document.

For other apps (messaging attachments, issued documents):

- ``do_upload_document(uploaded_file, *, patient, organisation, acting_user, request=None)``
  files an upload into ``patient``'s record and returns the ``Document``. It never raises
  for a bad file: a refused upload comes back with ``status == "rejected"`` and its
  ``verdict`` (and its event is recorded); an accepted one is ``pending`` (« en cours de
  vérification ») until the background scan gives its verdict.
- ``open_document(document) -> bytes``: the stored (sanitised) bytes of a clean
  document; raises ``DocumentUnavailable`` for anything else.
- ``access.documents_for(user)`` / ``access.access_document(user, id)``: who may see what.

Each action records its security event in the same transaction; files are written
encrypted (storage.py) and the scan is queued after commit.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from telegarde.accounts.models import Organisation, User
from telegarde.core.events import record_event

from . import filetypes, storage
from .access import may_upload
from .findings import Finding
from .models import Document
from .pipeline import Inspection, inspect, quarantines
from .sanitise import Unacceptable, sanitised

logger = logging.getLogger(__name__)
Status = Document.Status
Verdict = Document.Verdict
MIN_REASON_CHARS = 10


class DocumentUnavailable(Exception):
    """The document is not clean (pending, quarantined, refused or deleted)."""


def _event(action: str, document: Document, **kwargs: object) -> None:
    record_event(
        action,
        organisation=document.organisation,
        target=document,
        **kwargs,  # type: ignore[arg-type]
    )


def _shown_name(name: str) -> str:
    """A refused name as it can be shown: invisible and control characters made visible."""
    return "".join("�" if filetypes.name_problem(c) else c for c in name)[:200] or "?"


def do_upload_document(
    uploaded_file: UploadedFile[bytes],
    *,
    patient: User,
    organisation: Organisation,
    acting_user: User,
    request: HttpRequest | None = None,
) -> Document:
    """File ``uploaded_file`` into ``patient``'s record (see the module docstring)."""
    if not may_upload(acting_user, patient, organisation):
        raise PermissionDenied("document.upload")
    name = filetypes.clean_name(uploaded_file.name or "")
    declared = (uploaded_file.content_type or "")[:100]
    size = uploaded_file.size or 0
    problem = filetypes.name_problem(name)
    if problem is not None:
        return do_reject_upload(
            _shown_name(name), Verdict.BAD_NAME, problem, size=size, declared_type=declared,
            patient=patient, organisation=organisation, acting_user=acting_user, request=request,
        )  # fmt: skip
    data = b"".join(uploaded_file.chunks())
    refusal = (
        (Verdict.TOO_LARGE, f"{len(data)} > {settings.UPLOAD_MAX_BYTES}")
        if len(data) > settings.UPLOAD_MAX_BYTES
        else (Verdict.EMPTY, "0 bytes")
        if not data
        else None
    )
    if refusal is not None:
        return do_reject_upload(
            name, refusal[0], refusal[1], size=len(data), declared_type=declared,
            patient=patient, organisation=organisation, acting_user=acting_user, request=request,
        )  # fmt: skip
    document = Document(
        external_id=uuid.uuid4(),
        organisation=organisation,
        patient=patient,
        uploaded_by=acting_user,
        name=name,
        declared_type=declared,
        original_size=len(data),
        original_sha256=hashlib.sha256(data).hexdigest(),
        next_attempt_at=timezone.now(),
    )
    data_key, document.data_key = storage.new_data_key(document.external_id)
    document.original_key = storage.write_file(
        document.external_id, storage.ORIGINAL, data_key, data
    )
    try:
        with transaction.atomic():
            document.save()
            _event(
                "document.upload.received",
                document,
                actor=acting_user,
                request=request,
                data={"size": len(data), "sha256": document.original_sha256, "declared": declared},
            )
            transaction.on_commit(lambda: _queue_scan(document.pk))
    except BaseException:
        storage.delete_file(document.original_key)
        raise
    return document


def _queue_scan(pk: int) -> None:
    from .worker import queue_scan

    queue_scan(pk)


@transaction.atomic
def do_reject_upload(
    name: str,
    verdict: str,
    reason: str,
    *,
    size: int,
    declared_type: str,
    patient: User,
    organisation: Organisation,
    acting_user: User,
    request: HttpRequest | None = None,
) -> Document:
    """Record an upload refused before it was stored (too large, empty, bad name): the
    row says why, no file is kept."""
    document = Document.objects.create(
        organisation=organisation,
        patient=patient,
        uploaded_by=acting_user,
        name=name[:255],
        declared_type=declared_type[:100],
        original_size=size,
        status=Status.REJECTED,
        verdict=verdict,
        verdict_details={"findings": [Finding("upload", reason, verdict).as_dict()]},
        scanned_at=timezone.now(),
    )
    _event(
        "document.upload.rejected",
        document,
        outcome="failure",
        actor=acting_user,
        request=request,
        data={"verdict": verdict, "stage": "upload", "reason": reason, "size": size},
    )
    return document


def _locked(document: Document) -> Document:
    return (
        Document.objects.select_related("organisation", "uploaded_by")
        .select_for_update(of=("self",))
        .get(pk=document.pk)
    )


def _retry_delay(attempts: int) -> timedelta:
    seconds = settings.DOCUMENTS_RETRY_SECONDS * 2 ** max(0, min(attempts - 1, 16))
    return timedelta(seconds=min(seconds, settings.DOCUMENTS_RETRY_MAX_SECONDS))


def _rule_names(findings: Iterable[Finding]) -> list[str]:
    return sorted({f"{f.scanner}:{f.rule}" for f in findings})


def do_scan_document(document: Document) -> Document:
    """Scan a pending document's original bytes and apply the verdict (the worker claimed
    it first). Scanning runs outside any transaction; the verdict is applied in one."""
    data_key = storage.open_data_key(document.external_id, document.data_key)
    original = storage.read_file(document.external_id, document.original_key, data_key)
    result = inspect(original, name=document.name, declared_type=document.declared_type)
    with transaction.atomic():
        document = _locked(document)
        if document.status != Status.PENDING:
            return document  # deleted meanwhile, or another worker finished it
        _apply_verdict(document, result, data_key)
    return document


def _apply_verdict(document: Document, result: Inspection, data_key: bytes) -> None:
    now = timezone.now()
    document.verdict_details = result.details()
    fields = ["status", "verdict", "verdict_details", "scanned_at", "next_attempt_at"]
    data = {
        "verdict": result.verdict,
        "rules": _rule_names(result.findings),
        "scanners": result.scanners,
        "sha256": document.original_sha256,
    }
    actor = document.uploaded_by
    if result.pending:
        document.verdict = Verdict.SCANNER_UNAVAILABLE
        document.next_attempt_at = now + _retry_delay(document.scan_attempts)
        document.save(update_fields=["verdict", "verdict_details", "next_attempt_at"])
        _event(
            "document.scan.unavailable",
            document,
            outcome="failure",
            data={
                "attempts": document.scan_attempts,
                "retry_at": document.next_attempt_at.isoformat(),
                "unavailable": result.unavailable,
            },
        )
        return
    document.verdict = result.verdict
    document.scanned_at = now
    document.next_attempt_at = None
    original_key = document.original_key
    if result.content is not None and result.kind is not None:
        document.status = Status.CLEAN
        document.storage_key = storage.write_file(
            document.external_id, storage.CONTENT, data_key, result.content
        )
        document.sha256 = hashlib.sha256(result.content).hexdigest()
        document.size = len(result.content)
        document.content_type = result.kind.mime
        document.name = result.name
        document.original_key = ""
        fields += ["storage_key", "sha256", "size", "content_type", "name", "original_key"]
        document.save(update_fields=fields)
        _event("document.scan.clean", document, actor=actor, data=data)
        transaction.on_commit(lambda: storage.delete_file(original_key))
        return
    document.content_type = result.kind.mime if result.kind is not None else ""
    fields.append("content_type")
    rejected = dict(data, stage="scan")
    if quarantines(result.verdict):
        document.status = Status.QUARANTINED
        document.save(update_fields=fields)
        _event("document.upload.rejected", document, outcome="failure", actor=actor, data=rejected)
        _event("document.quarantined", document, actor=actor, data=data)
        return
    # Not a threat, merely not acceptable: nothing of it is kept.
    document.status = Status.REJECTED
    document.original_key = ""
    document.save(update_fields=[*fields, "original_key"])
    _event("document.upload.rejected", document, outcome="failure", actor=actor, data=rejected)
    transaction.on_commit(lambda: storage.delete_file(original_key))


def do_rescan_document(document: Document) -> str:
    """Scan a clean document's stored bytes again (after a signature or rule update).
    Returns "clean", "quarantined" or "unavailable" (left as it was)."""
    data_key = storage.open_data_key(document.external_id, document.data_key)
    content = storage.read_file(document.external_id, document.storage_key, data_key)
    result = inspect(content, name=document.name, declared_type=document.content_type)
    if result.pending:
        return "unavailable"
    released = set(document.verdict_details.get("released_rules", []))
    rules = _rule_names(result.findings)
    # A released document goes back to quarantine only for something new.
    if result.verdict == Verdict.CLEAN or (document.released_at and set(rules) <= released):
        return "clean"
    with transaction.atomic():
        document = _locked(document)
        if document.status != Status.CLEAN:
            return "clean"
        document.status = Status.QUARANTINED
        document.verdict = result.verdict
        document.verdict_details = {**result.details(), "rescan": True}
        document.scanned_at = timezone.now()
        document.save(update_fields=["status", "verdict", "verdict_details", "scanned_at"])
        data = {"verdict": result.verdict, "rules": rules, "stage": "rescan"}
        _event("document.upload.rejected", document, outcome="failure", data=data)
        _event("document.quarantined", document, data=data)
    return "quarantined"


@transaction.atomic
def do_release_document(
    document: Document, *, reason: str, acting_user: User, request: HttpRequest | None = None
) -> Document:
    """The security officer judged a quarantined file harmless: it becomes available.
    Images and DICOM are still served sanitised; other files as they were received."""
    reason = reason.strip()
    if len(reason) < MIN_REASON_CHARS:
        raise ValidationError(
            {"reason": _("Indiquez pourquoi ce fichier peut être libéré (10 caractères au moins).")}
        )
    document = _locked(document)
    if document.status != Status.QUARANTINED:
        raise ValidationError(_("Seul un document en quarantaine peut être libéré."))
    now = timezone.now()
    data_key = storage.open_data_key(document.external_id, document.data_key)
    fields = ["status", "released_by", "release_reason", "released_at", "verdict_details"]
    if not document.storage_key:
        original = storage.read_file(document.external_id, document.original_key, data_key)
        content, mime = _releasable(original)
        document.storage_key = storage.write_file(
            document.external_id, storage.CONTENT, data_key, content
        )
        document.sha256 = hashlib.sha256(content).hexdigest()
        document.size = len(content)
        document.content_type = mime
        fields += ["storage_key", "sha256", "size", "content_type"]
    findings = document.verdict_details.get("findings", [])
    document.verdict_details = {
        **document.verdict_details,
        "released_rules": sorted({f"{f.get('scanner')}:{f.get('rule')}" for f in findings}),
    }
    document.status = Status.CLEAN
    document.released_by = acting_user
    document.release_reason = reason
    document.released_at = now
    document.save(update_fields=fields)
    _event(
        "document.released",
        document,
        actor=acting_user,
        request=request,
        data={"verdict": document.verdict, "reason": reason},
    )
    return document


def _releasable(original: bytes) -> tuple[bytes, str]:
    kind, _label = filetypes.detect(original)
    if kind is None:
        return original, "application/octet-stream"
    try:
        content, stored = sanitised(original, kind)
    except Unacceptable:
        return original, "application/octet-stream"
    return content, stored.mime


@transaction.atomic
def do_delete_document(
    document: Document, *, acting_user: User, request: HttpRequest | None = None
) -> Document:
    """Delete the document's files for good; the row stays, as the record of what was."""
    document = _locked(document)
    if document.status == Status.DELETED:
        return document
    keys = [document.original_key, document.storage_key]
    previous = document.status
    document.status = Status.DELETED
    document.original_key = document.storage_key = ""
    document.deleted_by = acting_user
    document.deleted_at = timezone.now()
    document.next_attempt_at = None
    document.save(
        update_fields=[
            "status", "original_key", "storage_key", "deleted_by", "deleted_at", "next_attempt_at"
        ]
    )  # fmt: skip
    _event(
        "document.deleted",
        document,
        actor=acting_user,
        request=request,
        data={"previous_status": previous, "verdict": document.verdict},
    )
    transaction.on_commit(lambda: _delete_files(keys))
    return document


def _delete_files(keys: Iterable[str]) -> None:
    for key in keys:
        storage.delete_file(key)


def open_document(document: Document) -> bytes:
    """The bytes of a clean document (decrypted); ``DocumentUnavailable`` otherwise."""
    if not document.available:
        raise DocumentUnavailable(document.status)
    data_key = storage.open_data_key(document.external_id, document.data_key)
    return storage.read_file(document.external_id, document.storage_key, data_key)


@transaction.atomic
def do_record_document_download(document: Document, *, request: HttpRequest) -> None:
    """Access audit: who downloaded which document; a read of the patient's record when
    it is someone other than the patient (DESIGN §4 rule 2)."""
    _event("document.downloaded", document, request=request, data={"sha256": document.sha256})
    if request.user.pk != document.patient_id:
        do_record_documents_read(document.patient, document.organisation, request=request)


def do_record_documents_read(
    patient: User,
    organisation: Organisation | None,
    *,
    request: HttpRequest,
    record: str = "documents",
) -> None:
    """Access audit: someone other than the patient read the patient's documents (or,
    with ``record``, another part of them: an issued document, their identity)."""
    if request.user.pk == patient.pk:
        return
    record_event(
        "patient.record.viewed",
        request=request,
        organisation=organisation,
        target=patient,
        data={"reason": "care_organisation", "record": record},
    )
