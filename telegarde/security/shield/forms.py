from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .bans import parse_network

DURATIONS = [
    (600, _("10 minutes")),
    (3600, _("1 heure")),
    (86400, _("24 heures")),
    (7 * 86400, _("7 jours")),
]


class BanForm(forms.Form):
    target = forms.CharField(
        label=_("Adresse IP ou réseau"),
        max_length=64,
        help_text=_("Par exemple 203.0.113.7 ou 198.51.100.0/24."),
    )
    seconds = forms.TypedChoiceField(label=_("Durée"), choices=DURATIONS, coerce=int)
    reason = forms.CharField(label=_("Motif"), max_length=200)

    def clean_target(self) -> str:
        value: str = self.cleaned_data["target"]
        try:
            return str(parse_network(value))
        except ValueError:
            raise forms.ValidationError(
                _("Saisissez une adresse IP ou un réseau (au plus un /16 en IPv4, un /32 en IPv6).")
            ) from None
