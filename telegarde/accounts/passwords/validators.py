"""Django password validator applying the whole policy (AUTH_PASSWORD_VALIDATORS)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .policy import BITS_PASSWORD_ONLY, BITS_WITH_SECOND_FACTOR, MIN_LENGTH, evaluate_password
from .subjects import needs_second_factor, personal_details


class PolicyValidator:
    """Length, size, common list, personal details and estimated entropy, in one verdict."""

    def validate(self, password: str, user: Any = None) -> None:
        verdict = evaluate_password(
            password, personal=personal_details(user), second_factor=needs_second_factor(user)
        )
        if verdict.problems:
            raise ValidationError(
                [ValidationError(p.message, code=p.code) for p in verdict.problems]
            )

    def get_help_text(self) -> str:
        return _(
            "Au moins %(min)d caractères, sans règle de composition : choisissez plutôt "
            "une phrase de plusieurs mots. Il doit être assez difficile à deviner "
            "(%(bits)d bits estimés, %(mfa_bits)d si un second facteur protège votre "
            "compte), absent des listes de mots de passe courants, et ne pas contenir "
            "votre nom ni votre adresse électronique."
        ) % {"min": MIN_LENGTH, "bits": BITS_PASSWORD_ONLY, "mfa_bits": BITS_WITH_SECOND_FACTOR}
