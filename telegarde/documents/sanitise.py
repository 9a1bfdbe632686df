"""The bytes that are stored and served, rebuilt from what was uploaded.

Images are decoded and re-encoded (so anything after or around the pixels — a ZIP, a
script, EXIF with GPS coordinates — is left behind); HEIC/HEIF photos become JPEG, which
every browser opens. DICOM files lose their 128-byte preamble (where DICOM/PE polyglots
hide an executable). PDFs and text are stored as received once every check passed.
"""

from __future__ import annotations

import io
import warnings

import pydicom
from PIL import Image, ImageOps
from pydicom.errors import InvalidDicomError

from . import filetypes
from .filetypes import FileType
from .findings import Finding

JPEG_QUALITY = 90
MAX_IMAGE_PIXELS = 100_000_000


class Unacceptable(Exception):
    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.rule)
        self.finding = finding


def sanitised(data: bytes, kind: FileType) -> tuple[bytes, FileType]:
    """The bytes to store for ``data`` of type ``kind`` and the type they have."""
    if kind in (filetypes.JPEG, filetypes.PNG, filetypes.HEIF):
        return _reencoded(data, kind)
    if kind is filetypes.DICOM:
        return _dicom(data), kind
    return data, kind


def _reencoded(data: bytes, kind: FileType) -> tuple[bytes, FileType]:
    formats = {"jpeg": ["JPEG"], "png": ["PNG"], "heif": ["HEIF"]}[kind.code]
    if kind is filetypes.HEIF:
        from pillow_heif import register_heif_opener

        register_heif_opener()
    out = io.BytesIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
            with Image.open(io.BytesIO(data), formats=formats) as image:
                image.load()
                icc = image.info.get("icc_profile")
                # Apply the EXIF orientation before EXIF is dropped, or photos turn; then
                # keep the pixels only (no EXIF, XMP, comments or text chunks follow).
                upright = ImageOps.exif_transpose(image)
                upright = Image.frombytes(upright.mode, upright.size, upright.tobytes())
                if kind is filetypes.PNG:
                    upright.save(out, format="PNG", icc_profile=icc)
                    return out.getvalue(), kind
                if upright.mode not in ("RGB", "L", "CMYK"):
                    upright = upright.convert("RGB")
                upright.save(out, format="JPEG", quality=JPEG_QUALITY, icc_profile=icc)
                return out.getvalue(), filetypes.JPEG
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Warning) as exc:
        raise Unacceptable(
            Finding("image", "undecodable", "image_undecodable", str(exc)[:200])
        ) from exc


def _dicom(data: bytes) -> bytes:
    try:
        dataset = pydicom.dcmread(io.BytesIO(data))
        dataset.file_meta.get("TransferSyntaxUID")
    except (InvalidDicomError, ValueError, EOFError, OSError, AttributeError) as exc:
        raise Unacceptable(
            Finding("dicom", "unreadable", "dicom_malformed", str(exc)[:200])
        ) from exc
    return b"\0" * 128 + data[128:]
