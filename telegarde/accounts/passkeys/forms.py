"""The fields a person types or the browser fills: a passkey's name and its JSON answer."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .ceremonies import MAX_RESPONSE_CHARS
from .models import MAX_NAME


class PasskeyNameForm(forms.Form):
    name = forms.CharField(
        label=_("Nom de la clé d'accès"),
        max_length=MAX_NAME,
        help_text=_("Pour la reconnaître, par exemple « Téléphone de Louise »."),
        error_messages={
            "required": _("Donnez un nom à cette clé d'accès."),
            "max_length": _("Le nom fait au plus %(limit_value)d caractères."),
        },
    )


class CredentialForm(forms.Form):
    """The browser's answer; its content is checked by ``ceremonies``, not here."""

    credential = forms.CharField(
        max_length=MAX_RESPONSE_CHARS,
        strip=False,
        error_messages={
            "required": _("La réponse de la clé d'accès est illisible. Recommencez."),
            "max_length": _("La réponse de la clé d'accès est illisible. Recommencez."),
        },
    )


class RegistrationForm(PasskeyNameForm, CredentialForm):
    pass
