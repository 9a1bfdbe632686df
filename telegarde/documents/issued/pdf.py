"""The PDF of an issued document: A4, French layout, the verification code and its QR
code at the foot of every page.

Built with fpdf2's standard fonts (nothing to ship or load at run time), whose text is
Windows-1252: every French character, guillemets, the oe ligature, the euro sign, curly
apostrophes and dashes included. Text outside it is refused by the action before anything
is drawn (``unprintable``); identity traits, which must print whatever happens, lose their
accents instead (``printable``).
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

import segno
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos

ENCODING = "cp1252"
FONT = "Helvetica"
QR_MM = 30
FOOT_MM = 42


def unprintable(text: str) -> str | None:
    """The first character of ``text`` the PDF cannot print, or None."""
    for char in text:
        try:
            char.encode(ENCODING)
        except UnicodeEncodeError:
            return char
    return None


def printable(text: str) -> str:
    """``text`` with what cannot be printed reduced to its letter (ễ → e), else « ? »."""
    if unprintable(text) is None:
        return text
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return plain.encode(ENCODING, "replace").decode(ENCODING)


@dataclass(frozen=True)
class Sheet:
    """Everything printed on the document."""

    title: str
    organisation: str
    issuer_name: str
    issuer_profession: str
    rpps: str
    patient_birth_name: str
    patient_first_names: str
    patient_used_name: str
    patient_birth_date: date
    issued_at: datetime
    consultation_at: datetime | None
    paragraphs: list[str]
    numbered: bool
    code: str  # as printed, ABCD-EFGH-JKLM
    verify_url: str


def qr_png(url: str) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(out, kind="png", scale=8, border=4)
    return out.getvalue()


class _Page(FPDF):
    def __init__(self, sheet: Sheet) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.sheet = sheet
        self.qr = io.BytesIO(qr_png(sheet.verify_url))
        self.core_fonts_encoding = ENCODING
        self.set_auto_page_break(auto=True, margin=FOOT_MM + 5)
        self.set_margins(20, 18, 20)

    def footer(self) -> None:
        sheet = self.sheet
        top = self.h - FOOT_MM
        self.set_draw_color(120, 120, 120)
        self.line(self.l_margin, top - 2, self.w - self.r_margin, top - 2)
        self.image(self.qr, x=self.l_margin, y=top, w=QR_MM, h=QR_MM)
        left = self.l_margin + QR_MM + 5
        self.set_xy(left, top + 2)
        self.set_font(FONT, "B", 12)
        self.cell(text=_("Code de vérification : %(code)s") % {"code": sheet.code})
        self.set_xy(left, top + 9)
        self.set_font(FONT, "", 9)
        self.multi_cell(
            w=self.w - self.r_margin - left,
            h=4.5,
            text=_(
                "Pour vérifier que ce document est authentique et non modifié, flashez le "
                "QR code ou saisissez le code sur %(url)s"
            )
            % {"url": sheet.verify_url.rsplit("/", 1)[0] + "/"},
        )
        self.set_xy(left, top + QR_MM - 4)
        self.set_font(FONT, "", 8)
        self.cell(text=_("Page %(page)s / %(pages)s") % {"page": self.page_no(), "pages": "{nb}"})


def render_pdf(sheet: Sheet) -> bytes:
    pdf = _Page(sheet)
    pdf.set_title(sheet.title)
    pdf.set_author(sheet.organisation)
    pdf.set_creator("Telegarde")
    pdf.set_creation_date(sheet.issued_at)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def line(text: str, style: str = "", size: float = 10, height: float = 5.5) -> None:
        pdf.set_font(FONT, style, size)
        pdf.multi_cell(w=width, h=height, text=text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    line(sheet.organisation, "B", 14, 7)
    line(sheet.issuer_name, "B", 11)
    line(sheet.issuer_profession)
    line(_("N° RPPS : %(rpps)s") % {"rpps": sheet.rpps})
    pdf.ln(6)
    pdf.set_font(FONT, "B", 16)
    pdf.cell(
        w=width, h=10, text=sheet.title.upper(), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.ln(4)
    line(_("Patient"), "B", 11)
    line(_("Nom de naissance : %(name)s") % {"name": printable(sheet.patient_birth_name)})
    if sheet.patient_used_name:
        line(_("Nom utilisé : %(name)s") % {"name": printable(sheet.patient_used_name)})
    line(_("Prénoms : %(names)s") % {"names": printable(sheet.patient_first_names)})
    line(
        _("Date de naissance : %(date)s") % {"date": sheet.patient_birth_date.strftime("%d/%m/%Y")}
    )
    pdf.ln(3)
    issued = timezone.localtime(sheet.issued_at)
    line(_("Fait le %(date)s") % {"date": formats.date_format(issued, "j F Y")})
    if sheet.consultation_at is not None:
        when = timezone.localtime(sheet.consultation_at)
        line(
            _("À la suite de la téléconsultation du %(date)s")
            % {"date": formats.date_format(when, "j F Y")}
        )
    pdf.ln(5)
    for number, paragraph in enumerate(sheet.paragraphs, start=1):
        text = f"{number}. {paragraph}" if sheet.numbered else paragraph
        line(text, "", 11, 6)
        pdf.ln(2 if sheet.numbered else 1)
    pdf.ln(8)
    line(_("Signature du praticien"), "B", 10)
    line(sheet.issuer_name)
    pdf.ln(12)
    y = pdf.get_y()
    pdf.set_draw_color(0, 0, 0)
    pdf.line(pdf.l_margin, y, pdf.l_margin + 70, y)
    return bytes(pdf.output())
