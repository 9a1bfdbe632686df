"""Forms of the messaging pages; errors name their field."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from telegarde.accounts.models import Membership, User
from telegarde.documents.forms import SizeLimitedFileInput

from .access import colleagues_to_write_to, patients_to_write_to, practitioners_to_write_to
from .actions import MAX_ATTACHMENTS, MAX_MESSAGE_CHARS
from .models import Thread


def body_field() -> forms.CharField:
    return forms.CharField(
        label=_("Message"),
        max_length=MAX_MESSAGE_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={
            "required": _("Le message est vide."),
            "max_length": _("Le message dépasse %(limit_value)d caractères."),
        },
    )


class MultipleFileInput(SizeLimitedFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Zero to MAX_ATTACHMENTS files; the documents pipeline judges each one."""

    def __init__(self) -> None:
        super().__init__(
            label=_("Pièces jointes (PDF, images, texte ; vérifiées avant d'être disponibles)"),
            required=False,
            widget=MultipleFileInput(),
        )

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile[bytes]]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if len(files) > MAX_ATTACHMENTS:
            raise ValidationError(
                _("Joignez au plus %(n)d fichiers à un message.") % {"n": MAX_ATTACHMENTS}
            )
        return [super(AttachmentsField, self).clean(f, initial) for f in files]


class ReplyForm(forms.Form):
    body = body_field()
    attachments = AttachmentsField()


def _label(membership: Membership) -> str:
    return f"{membership.user.display_name} — {membership.organisation.name}"


def _start(recipient: Membership, patient: User, kind: str = Thread.Kind.PATIENT) -> dict[str, Any]:
    """What ``do_start_thread`` needs: a thread at the recipient's organisation."""
    return {
        "organisation": recipient.organisation,
        "patient": patient,
        "kind": kind,
        "recipient": recipient.user,
    }


class NewThreadForm(forms.Form):
    """To one of my practitioners (as a patient), to one of my patients, or to a colleague
    about one of my patients (as a practitioner): only what the access helpers offer."""

    recipient = forms.ChoiceField(label=_("Destinataire"))
    about = forms.ChoiceField(
        label=_("Au sujet du patient (avis entre professionnels)"), required=False
    )
    body = body_field()
    attachments = AttachmentsField()

    def __init__(self, data: Any, files: Any = None, *, user: User) -> None:
        super().__init__(data, files)
        self.user = user
        self.start: dict[str, Any] = {}
        self.practitioners = {str(m.external_id): m for m in practitioners_to_write_to(user)}
        self.patients = {str(m.external_id): m for m in patients_to_write_to(user)}
        self.colleagues = {str(m.external_id): m for m in colleagues_to_write_to(user)}
        groups = [
            (_("Mes professionnels de santé"), self.practitioners),
            (_("Mes patients"), self.patients),
            (_("Mes confrères"), self.colleagues),
        ]
        cast(forms.ChoiceField, self.fields["recipient"]).choices = [
            ("", _("— choisir —")),
            *[
                (group, [(k, _label(m)) for k, m in found.items()])
                for group, found in groups
                if found
            ],
        ]
        if self.colleagues:
            cast(forms.ChoiceField, self.fields["about"]).choices = [
                ("", _("— choisir —")),
                *[(k, _label(m)) for k, m in self.patients.items()],
            ]
        else:
            del self.fields["about"]

    @property
    def has_recipients(self) -> bool:
        return bool(self.practitioners or self.patients or self.colleagues)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        key = cleaned.get("recipient", "")
        if key in self.colleagues:
            colleague = self.colleagues[key]
            about = self.patients.get(cleaned.get("about") or "")
            if about is None:
                raise ValidationError({"about": _("Choisissez le patient dont il s'agit.")})
            if about.organisation_id != colleague.organisation_id:
                raise ValidationError(
                    {"about": _("Ce patient n'est pas suivi dans l'organisation de ce confrère.")}
                )
            self.start = _start(colleague, about.user, Thread.Kind.COLLEAGUES)
        elif key in self.patients:
            # To a patient of mine: the thread is with them and about them.
            self.start = _start(self.patients[key], self.patients[key].user)
        elif key in self.practitioners:
            # To one of my practitioners: the thread is about me.
            self.start = _start(self.practitioners[key], self.user)
        return cleaned
