"""What a scanner or check found in a file, and how findings become one verdict."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .models import Document

Verdict = Document.Verdict
# Most severe first: the document's verdict is the first of these among its findings.
PRECEDENCE = (
    Verdict.MALWARE,
    Verdict.PDF_JAVASCRIPT,
    Verdict.PDF_LAUNCH,
    Verdict.PDF_OPEN_ACTION,
    Verdict.PDF_EMBEDDED_FILES,
    Verdict.PDF_XFA,
    Verdict.PDF_RICH_MEDIA,
    Verdict.SUSPICIOUS,
    Verdict.PDF_ENCRYPTED,
    Verdict.TYPE_NOT_ALLOWED,
    Verdict.TYPE_MISMATCH,
    Verdict.PDF_MALFORMED,
    Verdict.IMAGE_UNDECODABLE,
    Verdict.DICOM_MALFORMED,
    Verdict.TOO_LARGE,
    Verdict.EMPTY,
    Verdict.BAD_NAME,
)
# Verdicts that put a file in quarantine (a threat, for the security officer to review):
# those that come first in the precedence, down to the encrypted PDF. The others refuse
# a file that is merely not acceptable.
QUARANTINE = frozenset(PRECEDENCE[: PRECEDENCE.index(Verdict.PDF_ENCRYPTED) + 1])


@dataclass(frozen=True)
class Finding:
    scanner: str  # "clamd", "yara", "pdf", "type", "image", "text", "dicom"
    rule: str  # signature, rule or check name
    verdict: str
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v}


def verdict_of(findings: list[Finding]) -> str:
    """The most severe verdict among ``findings``; ``clean`` when there are none."""
    found = {f.verdict for f in findings}
    for verdict in PRECEDENCE:
        if verdict in found:
            return str(verdict)
    # A verdict a local YARA rule named but Telegarde does not know: a threat.
    return str(Verdict.SUSPICIOUS) if found else str(Verdict.CLEAN)
