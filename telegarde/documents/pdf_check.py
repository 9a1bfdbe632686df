"""Active content in PDFs, found in the parsed object graph (pikepdf/qpdf), not by a
byte grep: names are normalised (``/J#61vaScript`` is ``/JavaScript``) and objects hidden
in compressed object streams are read like any other.

Also decodes the PDF's streams, within limits, so that the YARA rules see what a reader
would (EICAR deflated inside a content stream, for instance).
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import pikepdf

from .findings import Finding

MAX_STREAM_DECODED = 64 * 1024 * 1024
MAX_TOTAL_DECODED = 256 * 1024 * 1024
MAX_DEPTH = 32
SMALL_RAW = 1024 * 1024
# Dictionary keys that carry active content, and the verdict each gives.
ACTIVE_KEYS = {
    "/JS": "pdf_javascript",
    "/JavaScript": "pdf_javascript",
    "/AA": "pdf_open_action",
    "/Launch": "pdf_launch",
    "/EmbeddedFiles": "pdf_embedded_files",
    "/EF": "pdf_embedded_files",
    "/XFA": "pdf_xfa",
    "/RichMediaContent": "pdf_rich_media",
    "/RichMediaSettings": "pdf_rich_media",
}
# Actions a document may run when opened without being active content: going to a page.
HARMLESS_ACTIONS = {"/GoTo"}
# Values of /S (action type), /Subtype and /Type that do the same.
ACTIVE_NAMES = {
    "/JavaScript": "pdf_javascript",
    "/Launch": "pdf_launch",
    "/RichMediaExecute": "pdf_rich_media",
    "/RichMedia": "pdf_rich_media",
    "/Movie": "pdf_rich_media",
    "/Sound": "pdf_rich_media",
    "/Screen": "pdf_rich_media",
    "/FileAttachment": "pdf_embedded_files",
    "/EmbeddedFile": "pdf_embedded_files",
}


@dataclass
class PdfInspection:
    findings: list[Finding] = field(default_factory=list)
    streams: list[bytes] = field(default_factory=list)


def inspect_pdf(data: bytes) -> PdfInspection:
    result = PdfInspection()
    if b"%%EOF" not in data[-1024:]:
        result.findings.append(Finding("pdf", "truncated", "pdf_malformed"))
        return result
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        result.findings.append(Finding("pdf", "/Encrypt", "pdf_encrypted"))
        return result
    except pikepdf.PdfError as exc:
        result.findings.append(Finding("pdf", "unreadable", "pdf_malformed", str(exc)[:200]))
        return result
    with pdf:
        if pdf.is_encrypted:
            result.findings.append(Finding("pdf", "/Encrypt", "pdf_encrypted"))
            return result
        seen: set[tuple[str, str]] = set()
        for obj in pdf.objects:
            for rule, verdict in _active(obj, 0):
                if (rule, verdict) not in seen:
                    seen.add((rule, verdict))
                    result.findings.append(Finding("pdf", rule, verdict))
        result.streams, bomb = _decoded_streams(pdf)
        if bomb:
            result.findings.append(Finding("pdf", "decompression_bomb", "suspicious"))
    return result


def _active(obj: pikepdf.Object, depth: int) -> Iterator[tuple[str, str]]:
    """(rule, verdict) for each active key or name in ``obj`` and its direct children;
    indirect children are visited on their own as members of ``pdf.objects``."""
    if depth > MAX_DEPTH:
        yield "nesting_too_deep", "pdf_malformed"
        return
    if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
        for key in obj.keys():  # noqa: SIM118 - pikepdf objects are not mappings
            if key in ACTIVE_KEYS:
                yield key, ACTIVE_KEYS[key]
            value = obj.get(key)
            if key == "/OpenAction" and not _harmless_open_action(value):
                yield key, "pdf_open_action"
            if key in ("/S", "/Subtype", "/Type") and isinstance(value, pikepdf.Name):
                name = str(value)
                if name in ACTIVE_NAMES:
                    yield name, ACTIVE_NAMES[name]
            if isinstance(value, pikepdf.Dictionary | pikepdf.Array) and not value.is_indirect:
                yield from _active(value, depth + 1)
    elif isinstance(obj, pikepdf.Array):
        for item in obj:
            if isinstance(item, pikepdf.Dictionary | pikepdf.Array) and not item.is_indirect:
                yield from _active(item, depth + 1)


def _harmless_open_action(value: pikepdf.Object | None) -> bool:
    """Opening at a page (a destination array, or a GoTo action) is what most PDF
    writers put in /OpenAction; anything else acts on the reader's machine."""
    if isinstance(value, pikepdf.Array):
        return True
    if isinstance(value, pikepdf.Dictionary):
        return str(value.get("/S", "")) in HARMLESS_ACTIONS and "/Next" not in value
    return False


def _decoded_streams(pdf: pikepdf.Pdf) -> tuple[list[bytes], bool]:
    """Every stream's content as a reader would decode it (Flate decoded by us with a cap,
    so that a decompression bomb cannot exhaust memory); True when a cap was hit."""
    streams: list[bytes] = []
    total = 0
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream):
            continue
        raw = obj.read_raw_bytes()
        filters = obj.get("/Filter")
        if filters == pikepdf.Name.FlateDecode:
            inflater = zlib.decompressobj()
            try:
                content = inflater.decompress(raw, MAX_STREAM_DECODED)
            except zlib.error:
                content = raw
            if inflater.unconsumed_tail:
                return streams, True
        elif filters is not None and len(raw) <= SMALL_RAW:
            try:
                content = obj.read_bytes()
            except pikepdf.PdfError:
                content = raw
        else:
            content = raw
        total += len(content)
        if total > MAX_TOTAL_DECODED:
            return streams, True
        streams.append(content)
    return streams, False
