"""The test corpora, generated here and never downloaded: malicious samples (EICAR in
many wrappers, PDFs with active content, polyglots, renamed executables, archive bombs)
and benign documents of varied sizes."""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from collections.abc import Iterator

from PIL import Image

# Split so that no file of this repository is itself detected as EICAR.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def _pdf_body(objects: list[bytes]) -> tuple[io.BytesIO, list[int]]:
    """The header and numbered objects of a PDF, and where each object starts."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    return out, offsets


def pdf_from_objects(objects: list[bytes], *, root: int = 1) -> bytes:
    """A well-formed PDF (with a correct xref table) from numbered object bodies."""
    out, offsets = _pdf_body(objects)
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\n" % (len(objects) + 1, root))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def _stream(content: bytes, *, compress: bool) -> bytes:
    if compress:
        data = zlib.compress(content)
        return (
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + (b"\nendstream")
        )
    return b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"


def simple_pdf(
    catalog_extra: bytes = b"", page_content: bytes = b"BT ET", *, compress: bool = False
) -> bytes:
    return pdf_from_objects(
        [
            b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
            _stream(page_content, compress=compress),
        ]
    )


def pdf_with_object_stream_javascript() -> bytes:
    """JavaScript in an action dictionary that lives only inside a compressed object
    stream (PDF 1.5), with its name hex-escaped: invisible to a byte grep."""
    hidden = b"<< /Type /Action /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>"
    header = b"5 0 "
    objstm = zlib.compress(header + hidden)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
        b"<< /Type /ObjStm /N 1 /First %d /Length %d /Filter /FlateDecode >>\nstream\n"
        % (len(header), len(objstm))
        + objstm
        + b"\nendstream",
    ]
    # A cross-reference stream is required for objects in object streams.
    out, offsets = _pdf_body(objects)
    xref_offset = out.tell()
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    rows += [struct.pack(">BIH", 1, offset, 0) for offset in offsets]
    rows.append(struct.pack(">BIH", 2, 4, 0))  # object 5: index 0 of object stream 4
    rows.append(struct.pack(">BIH", 1, xref_offset, 0))  # object 6: the xref stream
    table = zlib.compress(b"".join(rows))
    out.write(
        b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode "
        b"/Length %d >>\nstream\n"
        % len(table)
        + table
        + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_offset
    )
    return out.getvalue()


def picture(width: int, height: int, *, seed: int, mode: str = "RGB") -> Image.Image:
    """Noise over a flat colour: photos' sizes, not a flat image's few hundred bytes."""
    rng = random.Random(seed)
    noise = Image.frombytes("L", (width, height), rng.randbytes(width * height))
    flat = Image.new("RGB", (width, height), (rng.randrange(256), 90, 160))
    return Image.merge("RGB", (noise, flat.getchannel(1), flat.getchannel(2))).convert(mode)


def jpeg(
    width: int = 64,
    height: int = 48,
    *,
    seed: int = 0,
    comment: bytes = b"",
    exif: bytes | None = None,
) -> bytes:
    image = picture(width, height, seed=seed)
    out = io.BytesIO()
    kwargs: dict[str, object] = {"quality": 85}
    if comment:
        kwargs["comment"] = comment
    if exif is not None:
        kwargs["exif"] = exif
    image.save(out, format="JPEG", **kwargs)
    return out.getvalue()


def png(width: int = 64, height: int = 48, *, seed: int = 0) -> bytes:
    out = io.BytesIO()
    picture(width, height, seed=seed, mode="RGBA").save(out, format="PNG")
    return out.getvalue()


def zip_of(files: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def zip_bomb() -> bytes:
    """Nested archives, each entry 64 MiB of zeros (a few KB on disk)."""
    inner = zip_of({f"part{i}.bin": b"\0" * (64 * 1024 * 1024) for i in range(4)})
    return zip_of({f"layer{i}.zip": inner for i in range(8)})


def elf_executable() -> bytes:
    header = b"\x7fELF\x02\x01\x01" + b"\0" * 9 + struct.pack("<HHI", 2, 62, 1)
    return header + b"\0" * 200


def docx_with_macro() -> bytes:
    return zip_of(
        {
            "[Content_Types].xml": b"<?xml version='1.0'?><Types/>",
            "word/document.xml": b"<w:document/>",
            "word/vbaProject.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"_VBA_PROJECT" * 8,
        }
    )


def malicious() -> Iterator[tuple[str, str, bytes]]:
    """(label, file name, bytes) of every malicious sample."""
    yield "eicar", "resultats.txt", EICAR
    yield "eicar_pdf_stream", "compte-rendu.pdf", simple_pdf(page_content=b"BT " + EICAR + b" ET")
    yield "eicar_pdf_deflated", "ordonnance.pdf", simple_pdf(page_content=EICAR, compress=True)
    yield "eicar_zip", "analyses.zip", zip_of({"eicar.com": EICAR})
    yield (
        "eicar_zip_stored",
        "scan.pdf",
        zip_of({"eicar.com": EICAR}, compression=zipfile.ZIP_STORED),
    )
    yield "eicar_jpeg_comment", "photo.jpg", jpeg(comment=EICAR)
    yield (
        "pdf_javascript",
        "facture.pdf",
        simple_pdf(
            b"/Names << /JavaScript << /Names [(x) << /S /JavaScript /JS (app.alert(1)) >>] >> >>"
        ),
    )
    yield (
        "pdf_open_action",
        "lettre.pdf",
        simple_pdf(b"/OpenAction << /S /JavaScript /JS (this.exportDataObject\\(\\)) >>"),
    )
    yield (
        "pdf_launch",
        "dossier.pdf",
        simple_pdf(b"/OpenAction << /S /Launch /F (cmd.exe) /Win << /F (cmd.exe) >> >>"),
    )
    yield "pdf_objstm_javascript", "bilan.pdf", pdf_with_object_stream_javascript()
    yield (
        "pdf_embedded_file",
        "annexe.pdf",
        simple_pdf(
            b"/Names << /EmbeddedFiles << /Names [(a.exe) << /Type /Filespec /F (a.exe) >>] >> >>"
        ),
    )
    yield "jpeg_zip_polyglot", "radio.jpg", jpeg(seed=3) + zip_of({"run.js": b"WScript.Echo(1)"})
    yield "html_as_pdf", "resultat.pdf", b"<!DOCTYPE html><html><body><script>fetch('//x')</script>"
    yield "elf_as_pdf", "compte-rendu.pdf", elf_executable()
    yield "docx_macro", "courrier.docx", docx_with_macro()
    yield "zip_bomb", "archive.zip", zip_bomb()
    yield (
        "svg_script",
        "schema.svg",
        (
            b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'>"
            b"<script>alert(document.cookie)</script></svg>"
        ),
    )
    yield "truncated_pdf", "examen.pdf", simple_pdf(page_content=b"BT (bonjour) Tj ET" * 50)[:400]
    yield "truncated_jpeg", "plaie.jpg", jpeg(320, 240, seed=5)[:900]
    yield (
        "pe_executable",
        "notice.pdf",
        b"MZ" + b"\0" * 58 + struct.pack("<I", 64) + b"PE\0\0" + b"\0" * 64,
    )


def benign_pdf(index: int) -> bytes:
    from fpdf import FPDF

    document = FPDF()
    rng = random.Random(index)
    for page in range(1 + index % 4):
        document.add_page()
        document.set_font("helvetica", size=11)
        for line in range(5 + rng.randrange(40)):
            document.cell(
                0,
                6,
                f"Compte rendu {index}, page {page}, ligne {line}: tension 12/8, RAS.",
                new_x="LMARGIN",
                new_y="NEXT",
            )
        if index % 3 == 0:
            document.image(Image.new("RGB", (80 + index, 60), (index * 5 % 256, 100, 50)), w=40)
    return bytes(document.output())


def benign() -> Iterator[tuple[str, str, bytes]]:
    """At least 50 generated documents: PDFs, JPEGs and PNGs of varied sizes."""
    for i in range(24):
        yield f"pdf{i}", f"compte-rendu-{i}.pdf", benign_pdf(i)
    for i in range(16):
        yield f"jpeg{i}", f"photo-{i}.jpg", jpeg(40 + 97 * i, 30 + 61 * i, seed=i)
    for i in range(12):
        yield f"png{i}", f"schema-{i}.png", png(16 + 83 * i, 16 + 41 * i, seed=i)
    yield "text", "notes.txt", "Tension 12/8. Température 37,2 °C.\n".encode() * 40
