from django import forms
from django.utils.translation import gettext_lazy as _


class GuestInvitationForm(forms.Form):
    RELATIONS = [
        ("interpreter", _("Interprète")),
        ("relative", _("Proche ou aidant")),
        ("practitioner", _("Second professionnel (deuxième avis)")),
    ]

    display_name = forms.CharField(label=_("Nom de la personne invitée"), max_length=150)
    email = forms.EmailField(label=_("Son adresse électronique"))
    relation = forms.ChoiceField(label=_("Qualité"), choices=RELATIONS)


class GuestCodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Code à usage unique reçu par courriel"),
        regex=r"^\s*\d{8}\s*$",
        error_messages={"invalid": _("Le code compte 8 chiffres.")},
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Notes de consultation"), max_length=20000, required=False, widget=forms.Textarea
    )
