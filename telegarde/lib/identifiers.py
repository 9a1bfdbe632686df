"""Validators for French health identifiers (no models)."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

RPPS_LENGTH = 11
_BIRTHPLACE = re.compile(r"^(\d{5}|2[AB]\d{3})$")


def luhn_valid(digits: str) -> bool:
    """True when the last digit is the Luhn check digit of the others."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def rpps_problem(value: str) -> str | None:
    """Why ``value`` is not an RPPS number (11 digits, Luhn key), or None when it is."""
    if len(value) != RPPS_LENGTH or not value.isdigit():
        return _("le numéro RPPS compte exactement 11 chiffres")
    if not luhn_valid(value):
        return _("la clé de contrôle du numéro RPPS est fausse (vérifiez chaque chiffre)")
    return None


def birthplace_problem(value: str) -> str | None:
    """Why ``value`` is not an INSEE place code (commune, 2A/2B Corsica, or 99xxx abroad)."""
    if not _BIRTHPLACE.match(value):
        return _(
            "le code du lieu de naissance est un code INSEE à 5 caractères "
            "(ex. 75056, 2A004, 99109)"
        )
    return None


def luhn_check_digit(prefix: str) -> str:
    """The digit that makes ``prefix + digit`` pass ``luhn_valid``."""
    for digit in "0123456789":
        if luhn_valid(prefix + digit):
            return digit
    raise ValueError(prefix)  # unreachable: one digit always fits
