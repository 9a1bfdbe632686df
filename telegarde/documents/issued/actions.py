"""Issuing, revoking and verifying documents issued by practitioners.

``do_issue_document`` is the only way a document enters a record already clean: it
takes text, never bytes, draws the PDF itself (pdf.py) and still puts the result through
the pipeline's local checks (type, PDF active content, YARA) before filing it. An upload,
whatever it contains, goes through documents.actions.do_upload_document and its scan.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from telegarde.accounts.models import Organisation, PatientProfile, PractitionerProfile, User
from telegarde.consultation.models import Room
from telegarde.core.events import record_event
from telegarde.documents import filetypes, storage, yara_scan
from telegarde.documents.models import Document
from telegarde.documents.pdf_check import inspect_pdf

from . import codes
from .access import may_issue
from .models import IssuedDocument
from .pdf import Sheet, render_pdf, unprintable

Kind = IssuedDocument.Kind
MAX_REPORT_CHARS = 10_000
MAX_LINES = 30
MAX_LINE_CHARS = 300
MIN_REASON_CHARS = 10
# The field of the issuing forms each kind's content comes from (errors name it).
FIELD = {Kind.REPORT: "text", Kind.PRESCRIPTION: "lines"}
FILE_PREFIX = {Kind.REPORT: "compte-rendu", Kind.PRESCRIPTION: "ordonnance"}


class IssuedPdfRefused(Exception):
    """The generated PDF failed a check of the upload pipeline: never filed."""


def _paragraphs(kind: str, content: str) -> list[str]:
    """The content as printed, or a ValidationError naming the form's field."""
    field = FIELD[Kind(kind)]
    content = content.replace("\r\n", "\n").replace("\t", "    ").strip()
    problem = _content_problem(kind, content)
    if problem is None:
        bad = unprintable(content) or next(
            (c for c in content if c != "\n" and unicodedata.category(c) == "Cc"), None
        )
        if bad is not None:
            problem = _(
                "Le caractère « %(char)s » (U+%(code)04X) ne peut pas être imprimé sur le "
                "document : remplacez-le."
            ) % {"char": bad, "code": ord(bad)}
    if problem is not None:
        raise ValidationError({field: problem})
    if kind == Kind.REPORT:
        return [content]
    return [line.strip() for line in content.split("\n") if line.strip()]


def _content_problem(kind: str, content: str) -> str | None:
    if kind == Kind.REPORT:
        if not content:
            return _("Le compte rendu est vide.")
        if len(content) > MAX_REPORT_CHARS:
            return _("Le compte rendu dépasse %(n)d caractères.") % {"n": MAX_REPORT_CHARS}
        return None
    lines = [line.strip() for line in content.split("\n") if line.strip()]
    if not lines:
        return _("L'ordonnance ne contient aucune ligne.")
    if len(lines) > MAX_LINES:
        return _("L'ordonnance dépasse %(n)d lignes.") % {"n": MAX_LINES}
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_CHARS:
            return _("La ligne %(line)d dépasse %(n)d caractères.") % {
                "line": number,
                "n": MAX_LINE_CHARS,
            }
    return None


def _unused_code() -> str:
    for _attempt in range(5):
        code = codes.new_code()
        if not IssuedDocument.objects.filter(code=code).exists():
            return code
    raise RuntimeError("no unused verification code after 5 draws")  # 2^60 codes: never


def verify_url(code: str) -> str:
    return f"{settings.PUBLIC_URL}/verify/{codes.shown(code)}"


def _profession(profile: PractitionerProfile) -> str:
    shown = str(profile.get_profession_display())
    return f"{shown}, {profile.specialty}" if profile.specialty else shown


def _local_findings(pdf: bytes) -> list[str]:
    """What the upload pipeline's own checks say of ``pdf`` (clamd aside: these bytes
    were drawn here from text, and the rescan after a signature update covers them)."""
    kind, label = filetypes.detect(pdf)
    if kind is not filetypes.PDF:
        return [f"type:{label}"]
    checked = inspect_pdf(pdf)
    found = [f"{f.scanner}:{f.rule}" for f in checked.findings]
    hits = {h.rule for blob in (pdf, *checked.streams) for h in yara_scan.scan_bytes(blob)}
    return found + [f"yara:{rule}" for rule in sorted(hits)]


def do_issue_document(
    kind: str,
    content: str,
    *,
    patient: User,
    organisation: Organisation,
    acting_user: User,
    room: Room | None = None,
    request: HttpRequest | None = None,
) -> IssuedDocument:
    """Draw a prescription (``content``: one line per item) or a consultation report
    (``content``: its text) for ``patient``, file it clean in their record and return the
    issued row. Bad content raises a ValidationError naming the form field."""
    if kind not in Kind.values:
        raise ValueError(f"unknown kind {kind!r}")
    if not may_issue(acting_user, patient, organisation) or (
        room is not None
        and (
            room.appointment.practitioner_id != acting_user.pk
            or room.appointment.patient_id != patient.pk
        )
    ):
        raise PermissionDenied("document.issue")
    paragraphs = _paragraphs(kind, content)
    identity = PatientProfile.objects.filter(user=patient).first()
    if identity is None:
        raise ValidationError(_("L'identité du patient (traits INS) n'est pas renseignée."))
    profile = PractitionerProfile.objects.get(user=acting_user)
    code = _unused_code()
    now = timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        sheet = Sheet(
            title=str(Kind(kind).label),
            organisation=organisation.name,
            issuer_name=acting_user.display_name,
            issuer_profession=_profession(profile),
            rpps=profile.rpps,
            patient_birth_name=identity.birth_last_name,
            patient_first_names=identity.first_names,
            patient_used_name=identity.used_last_name,
            patient_birth_date=identity.birth_date,
            issued_at=now,
            consultation_at=room.appointment.starts_at if room is not None else None,
            paragraphs=paragraphs,
            numbered=kind == Kind.PRESCRIPTION,
            code=codes.shown(code),
            verify_url=verify_url(code),
        )
        pdf = render_pdf(sheet)
    findings = _local_findings(pdf)
    if findings:
        # Text only reaches the PDF as text, but a rule may still fire on a phrase.
        raise ValidationError(
            {
                FIELD[Kind(kind)]: _(
                    "Ce texte contient une séquence que l'analyse des documents refuse "
                    "(%(rules)s) : reformulez-le."
                )
                % {"rules": ", ".join(findings)}
            }
        )
    return _file(kind, pdf, sheet, code, now, patient, organisation, acting_user, room, request)


def _file(
    kind: str,
    pdf: bytes,
    sheet: Sheet,
    code: str,
    now: datetime,
    patient: User,
    organisation: Organisation,
    acting_user: User,
    room: Room | None,
    request: HttpRequest | None,
) -> IssuedDocument:
    sha256 = hashlib.sha256(pdf).hexdigest()
    document = Document(
        external_id=uuid.uuid4(),
        organisation=organisation,
        patient=patient,
        uploaded_by=acting_user,
        name=f"{FILE_PREFIX[Kind(kind)]}-{timezone.localdate(now).isoformat()}-{code}.pdf",
        declared_type=filetypes.PDF.mime,
        content_type=filetypes.PDF.mime,
        original_size=len(pdf),
        original_sha256=sha256,
        size=len(pdf),
        sha256=sha256,
        status=Document.Status.CLEAN,
        verdict=Document.Verdict.CLEAN,
        verdict_details={"issued": True, "scanners": ["pdf", "yara"], "findings": []},
        scanned_at=now,
        next_attempt_at=None,
    )
    data_key, document.data_key = storage.new_data_key(document.external_id)
    document.storage_key = storage.write_file(document.external_id, storage.CONTENT, data_key, pdf)
    try:
        with transaction.atomic():
            document.save()
            issued = IssuedDocument.objects.create(
                kind=kind,
                code=code,
                document=document,
                issuer=acting_user,
                patient=patient,
                organisation=organisation,
                room=room,
                sha256=sha256,
                issued_at=now,
                issuer_name=sheet.issuer_name,
                issuer_profession=sheet.issuer_profession,
                organisation_name=sheet.organisation,
            )
            record_event(
                "document.issued",
                actor=acting_user,
                request=request,
                organisation=organisation,
                target=issued,
                data={
                    "kind": kind,
                    "code": code,
                    "sha256": sha256,
                    "document": str(document.external_id),
                    "patient": str(patient.external_id),
                    "room": str(room.external_id) if room is not None else None,
                },
            )
    except BaseException:
        storage.delete_file(document.storage_key)
        raise
    return issued


@transaction.atomic
def do_revoke_issued_document(
    issued: IssuedDocument,
    *,
    reason: str,
    acting_user: User,
    request: HttpRequest | None = None,
) -> IssuedDocument:
    """The issuer withdraws a document: /verify says so from now on. The reason stays on
    the row (it may be medical); the event records who and when."""
    if issued.issuer_id != acting_user.pk:
        raise PermissionDenied("issued.revoke")
    reason = reason.strip()
    if len(reason) < MIN_REASON_CHARS:
        raise ValidationError(
            {"reason": _("Indiquez pourquoi ce document est révoqué (10 caractères au moins).")}
        )
    issued = IssuedDocument.objects.select_for_update().get(pk=issued.pk)
    if issued.revoked_at is not None:
        raise ValidationError(_("Ce document est déjà révoqué."))
    issued.revoked_at = timezone.now()
    issued.revoked_by = acting_user
    issued.revocation_reason = reason
    issued.save(update_fields=["revoked_at", "revoked_by", "revocation_reason"])
    record_event(
        "document.issued.revoked",
        actor=acting_user,
        request=request,
        organisation=issued.organisation,
        target=issued,
        data={"kind": issued.kind, "code": issued.code},
    )
    return issued


@dataclass(frozen=True)
class Verification:
    """What /verify found: the issued row (None: unknown code) and, when the visitor
    sent their copy, whether its bytes are the issued ones."""

    issued: IssuedDocument | None
    copy_matches: bool | None = None


def _shown_guess(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]", "?", value)[:32]


@transaction.atomic
def do_verify_issued_document(
    code: str, *, copy: bytes | None = None, request: HttpRequest | None = None
) -> Verification:
    """Look a code up (and compare a copy's SHA-256 when one is given), recording
    ``document.verified`` or ``document.verification.failed`` (unknown code, altered
    copy, revoked document)."""
    normal = codes.normalise(code)
    issued = (
        IssuedDocument.objects.select_related("organisation").filter(code=normal).first()
        if normal is not None
        else None
    )
    if issued is None:
        record_event(
            "document.verification.failed",
            outcome="failure",
            request=request,
            target_type="issueddocument",
            data={"reason": "unknown_code", "code": _shown_guess(code)},
        )
        return Verification(None)
    matches = None if copy is None else hashlib.sha256(copy).hexdigest() == issued.sha256
    data: dict[str, object] = {"kind": issued.kind, "check": "code" if copy is None else "copy"}
    reason = "revoked" if issued.revoked else "altered_copy" if matches is False else None
    if copy is not None:
        data["copy_sha256"] = hashlib.sha256(copy).hexdigest()
    record_event(
        "document.verification.failed" if reason else "document.verified",
        outcome="failure" if reason else "success",
        request=request,
        organisation=issued.organisation,
        target=issued,
        data={**data, "reason": reason} if reason else data,
    )
    return Verification(issued, matches)
