from __future__ import annotations

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from . import codes
from .actions import MAX_LINE_CHARS, MAX_LINES, MAX_REPORT_CHARS, MIN_REASON_CHARS

# An issued PDF weighs a few tens of kilobytes: a copy above this is not one of ours.
COPY_MAX_BYTES = 1024 * 1024


class ReportForm(forms.Form):
    text = forms.CharField(
        label=_("Compte rendu"),
        max_length=MAX_REPORT_CHARS,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=_("Repris de vos notes de consultation ; modifiez-le avant de le délivrer."),
    )


class PrescriptionForm(forms.Form):
    lines = forms.CharField(
        label=_("Prescription"),
        # Each line plus its line break.
        max_length=MAX_LINES * (MAX_LINE_CHARS + 2),
        strip=True,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "Une ligne par médicament ou soin : nom, dosage, posologie, durée "
            "(%(lines)d lignes de %(chars)d caractères au plus)."
        )
        % {"lines": MAX_LINES, "chars": MAX_LINE_CHARS},
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif de la révocation"),
        min_length=MIN_REASON_CHARS,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Visible du patient et de l'équipe de soins, jamais sur la page de vérification."
        ),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code de vérification"),
        max_length=40,
        help_text=_("Les 12 caractères imprimés sous le QR code, par exemple ABCD-EFGH-JKLM."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )

    def clean_code(self) -> str:
        normal = codes.normalise(self.cleaned_data["code"])
        if normal is None:
            raise forms.ValidationError(
                _("Un code compte 12 lettres et chiffres (sans 0, O, 1 ni I).")
            )
        return normal


class CopyForm(forms.Form):
    file = forms.FileField(
        label=_("Le document que vous avez reçu (PDF)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,application/pdf"}),
    )

    def clean_file(self) -> bytes:
        upload: UploadedFile[bytes] = self.cleaned_data["file"]
        if (upload.size or 0) > COPY_MAX_BYTES:
            raise forms.ValidationError(
                _("Ce fichier dépasse 1 Mo : ce n'est pas un document délivré par Telegarde.")
            )
        return b"".join(upload.chunks())
