from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .filetypes import ALLOWED

ACCEPT = ",".join(sorted({ext for kind in ALLOWED for ext in kind.extensions}))


class SizeLimitedFileInput(forms.ClearableFileInput):
    """A file input that tells the browser the most one submission may carry: with
    documents/upload-limit.js, files over it are refused before the form leaves, with the
    rest of the form kept (the server would answer 413 and the typed text be lost)."""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        limit = settings.UPLOAD_MAX_BYTES
        attrs = {
            **(attrs or {}),
            "data-max-bytes": str(limit),
            "data-too-large": gettext(
                "Les fichiers choisis dépassent %(max)s en tout : retirez-en, ou "
                "envoyez-les en plusieurs fois."
            )
            % {"max": filesizeformat(limit)},
        }
        return super().get_context(name, value, attrs)


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier (PDF, photo JPEG, PNG ou HEIC, texte, DICOM)"),
        allow_empty_file=True,  # the pipeline refuses it, with an event and a clear reason
        widget=SizeLimitedFileInput(attrs={"accept": ACCEPT}),
    )


class ReleaseForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif de la libération"),
        min_length=10,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Par exemple : faux positif confirmé avec l'expéditeur."),
    )
