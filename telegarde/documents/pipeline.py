"""The checks every upload goes through, on the bytes as received, and their verdict.

In order: type from content (allowlist), name and declared type against it, ClamAV
(when configured) and YARA on the original bytes, PDF active content (and YARA again on
the PDF's decoded streams), then the sanitised copy (images re-encoded, DICOM preamble
cleared). A scanner that gives no answer makes the result ``unavailable`` unless
another finding already condemns the file: fail closed, never clean by default.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from . import clamd, filetypes, yara_scan
from .clamd import ScannerUnavailable
from .filetypes import FileType
from .findings import QUARANTINE, Finding, verdict_of
from .pdf_check import inspect_pdf
from .sanitise import Unacceptable, sanitised


@dataclass
class Inspection:
    verdict: str
    findings: list[Finding]
    kind: FileType | None = None
    detected: str = ""
    content: bytes | None = None  # the sanitised bytes, when the verdict is clean
    name: str = ""
    unavailable: list[str] = field(default_factory=list)
    scanners: list[str] = field(default_factory=list)

    @property
    def pending(self) -> bool:
        """No verdict yet: a scanner did not answer and nothing else condemned the file."""
        return bool(self.unavailable) and self.verdict == "clean"

    def details(self) -> dict[str, object]:
        return {
            "detected": self.detected,
            "scanners": self.scanners,
            "findings": [f.as_dict() for f in self.findings],
            "unavailable": self.unavailable,
        }


def inspect(data: bytes, *, name: str, declared_type: str) -> Inspection:
    findings: list[Finding] = []
    unavailable: list[str] = []
    scanners: list[str] = []
    kind, detected = filetypes.detect(data)
    if kind is None:
        findings.append(Finding("type", detected, "type_not_allowed"))
    elif filetypes.mismatch(kind, name, declared_type):
        findings.append(Finding("type", f"{detected}≠{name}|{declared_type}", "type_mismatch"))

    address = getattr(settings, "CLAMD_ADDRESS", None)
    if address is not None:
        scanners.append("clamd")
        try:
            signature = clamd.scan_bytes(address, data, timeout=settings.CLAMD_TIMEOUT)
            if signature:
                findings.append(Finding("clamd", signature, "malware"))
        except ScannerUnavailable as exc:
            unavailable.append(f"clamd: {exc}")

    scanners.append("yara")
    streams: list[bytes] = []
    if kind is filetypes.PDF:
        scanners.append("pdf")
        pdf = inspect_pdf(data)
        findings.extend(pdf.findings)
        streams = pdf.streams
    try:
        hits = {
            (h.rule, h.verdict) for blob in (data, *streams) for h in yara_scan.scan_bytes(blob)
        }
        findings.extend(Finding("yara", rule, verdict) for rule, verdict in sorted(hits))
    except ScannerUnavailable as exc:
        unavailable.append(f"yara: {exc}")

    result = Inspection(
        verdict_of(findings), findings, kind, detected, None, name, unavailable, scanners
    )
    if result.verdict != "clean" or kind is None or result.pending:
        return result
    try:
        content, stored_kind = sanitised(data, kind)
    except Unacceptable as refused:
        findings.append(refused.finding)
        result.verdict = verdict_of(findings)
        return result
    result.content = content
    result.kind = stored_kind
    result.name = filetypes.stored_name(name, stored_kind)
    return result


def quarantines(verdict: str) -> bool:
    return verdict in QUARANTINE
