"""What a file is, from its first bytes (never from its name or declared type), and
which names are acceptable."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath

MAX_NAME_CHARS = 200


@dataclass(frozen=True)
class FileType:
    code: str
    mime: str
    extension: str  # the canonical one, added when a name has none of ``extensions``
    extensions: frozenset[str]
    declared: frozenset[str]  # the MIME types a browser may declare for it


def _type(code: str, extensions: str, declared: str) -> FileType:
    names = extensions.split()
    mimes = declared.split()
    return FileType(code, mimes[0], names[0], frozenset(names), frozenset(mimes))


PDF = _type("pdf", ".pdf", "application/pdf application/x-pdf")
JPEG = _type("jpeg", ".jpg .jpeg .jpe .jfif", "image/jpeg image/jpg image/pjpeg")
PNG = _type("png", ".png", "image/png")
HEIF = _type("heif", ".heic .heif .hif", "image/heif image/heic image/heif-sequence")
DICOM = _type("dicom", ".dcm .dicom", "application/dicom")
TEXT = _type("text", ".txt .text .csv .log .md", "text/plain text/csv text/markdown")
ALLOWED = (PDF, JPEG, PNG, HEIF, DICOM, TEXT)
BY_CODE = {kind.code: kind for kind in ALLOWED}
# Declared types browsers send when they do not know: they say nothing either way.
VAGUE_MIMES = {"", "application/octet-stream", "binary/octet-stream"}
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
# Leading bytes of common refused formats, to tell the security officer what it was.
_REFUSED_MAGIC = (
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"\x7fELF", "elf"),
    (b"MZ", "pe"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
    (b"Rar!", "rar"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"\x1f\x8b", "gzip"),
    (b"GIF8", "gif"),
    (b"#!", "script"),
)
_MARKUP_MARKERS = (
    b"<!doctype",
    b"<html",
    b"<head",
    b"<body",
    b"<script",
    b"<svg",
    b"<?xml",
    b"<?php",
    b"<iframe",
    b"<object",
    b"<embed",
    b"javascript:",
)


# Control characters (Unicode category Cc) other than tab, line feed, form feed and
# carriage return.
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def detect(data: bytes) -> tuple[FileType | None, str]:
    """The allowed type ``data`` is, or None and a short label of what it looks like."""
    if data.startswith(b"%PDF-"):
        return PDF, "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG, "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG, "png"
    if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return HEIF, "heif"
    if data[128:132] == b"DICM":
        return DICOM, "dicom"
    for magic, label in _REFUSED_MAGIC:
        if data.startswith(magic):
            return None, label
    problem = text_problem(data)
    if problem is None:
        return TEXT, "text"
    return None, problem


def text_problem(data: bytes) -> str | None:
    """None for plain UTF-8 text; else why it is not (binary, markup or script)."""
    if b"\x00" in data:
        return "binary"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "binary"
    if _CONTROL.search(text):
        return "binary"
    head = data[:4096].lower()
    if any(marker in head for marker in _MARKUP_MARKERS):
        return "markup"
    return None


def name_problem(name: str) -> str | None:
    """Why ``name`` is refused (path separators, control or direction characters), or None."""
    if not name.strip() or name.strip(".") == "":
        return "empty"
    if "/" in name or "\\" in name:
        return "path"
    # Cc: control characters; Cf: invisible formatting, including the right-to-left
    # override that shows "invoice\u202efdp.exe" as "invoiceexe.pdf".
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
        return "control"
    if len(name) > MAX_NAME_CHARS:
        return "long"
    return None


def clean_name(name: str) -> str:
    return unicodedata.normalize("NFC", name).strip()


def mismatch(kind: FileType, name: str, declared: str) -> bool:
    """True when the name's extension or the declared type names another allowed type."""
    suffix = PurePosixPath(name).suffix.lower()
    for other in ALLOWED:
        if other is kind:
            continue
        if suffix in other.extensions or declared.lower() in other.declared:
            return True
    return False


def stored_name(name: str, kind: FileType) -> str:
    """``name`` with the extension of what it really is: ``photo.heic`` re-encoded as
    JPEG becomes ``photo.jpg``; ``notes.exe`` holding text becomes ``notes.exe.txt``."""
    path = PurePosixPath(name)
    if path.suffix.lower() in kind.extensions:
        return name
    if any(path.suffix.lower() in other.extensions for other in ALLOWED):
        return path.stem + kind.extension
    return name + kind.extension
