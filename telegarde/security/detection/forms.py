"""The rule tuning form: what an organisation may change in a rule, checked here."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import RuleSetting, Severity
from .rules import Rule, seconds

DURATION = re.compile(r"^[1-9][0-9]*[smhd]$")
MIN_WINDOW_S, MAX_WINDOW_S = 10, 86_400
MAX_THRESHOLD = 10_000


def duration_text(value: int) -> str:
    """600 → "10m" (the rule files' notation)."""
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60)):
        if value % size == 0:
            return f"{value // size}{unit}"
    return f"{value}s"


class RuleTuningForm(forms.Form):
    enabled = forms.BooleanField(label=_("Règle active pour l'organisation"), required=False)
    threshold = forms.IntegerField(
        label=_("Seuil"), required=False, min_value=1, max_value=MAX_THRESHOLD
    )
    window = forms.CharField(label=_("Fenêtre"), required=False, max_length=8)
    severity = forms.ChoiceField(label=_("Gravité"), required=False)
    automatic_responses = forms.BooleanField(
        label=_("Réponses automatiques (blocage, fin des sessions…)"), required=False
    )

    def __init__(self, rule: Rule, setting: RuleSetting | None, *args: Any, **kwargs: Any) -> None:
        if setting is not None and "data" not in kwargs and not args:
            kwargs["initial"] = {
                "enabled": setting.enabled,
                "threshold": setting.threshold,
                "window": duration_text(setting.window_s) if setting.window_s else "",
                "severity": setting.severity,
                "automatic_responses": setting.automatic_responses,
            }
        else:
            kwargs.setdefault("initial", {"enabled": True})
        super().__init__(*args, **kwargs)
        self.rule = rule
        default = dict(Severity.choices)[rule.severity]
        self.fields["severity"].choices = [  # type: ignore[attr-defined]
            ("", _("Celle de la règle (%(s)s)") % {"s": default}),
            *Severity.choices,
        ]
        if rule.correlation is None:
            del self.fields["threshold"], self.fields["window"]
        else:
            self.fields["threshold"].help_text = _("Par défaut : %(n)d") % {
                "n": rule.correlation.gte
            }
            self.fields["window"].help_text = _(
                "Par défaut : %(d)s. Exemples : 90s, 10m, 2h (de 10 s à 1 jour)."
            ) % {"d": duration_text(rule.correlation.timespan)}
        if not rule.responses:
            del self.fields["automatic_responses"]

    def clean_window(self) -> int | None:
        text = (self.cleaned_data.get("window") or "").strip()
        if not text:
            return None
        if not DURATION.match(text):
            raise ValidationError(_("Une durée comme 90s, 10m ou 2h."), code="format")
        value = seconds(text)
        if not MIN_WINDOW_S <= value <= MAX_WINDOW_S:
            raise ValidationError(_("Entre 10 secondes et 1 jour."), code="range")
        return value
