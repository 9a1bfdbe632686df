from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .filetypes import ALLOWED

ACCEPT = ",".join(sorted({ext for kind in ALLOWED for ext in kind.extensions}))


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier (PDF, photo JPEG, PNG ou HEIC, texte, DICOM)"),
        allow_empty_file=True,  # the pipeline refuses it, with an event and a clear reason
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )


class ReleaseForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif de la libération"),
        min_length=10,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Par exemple : faux positif confirmé avec l'expéditeur."),
    )
