"""The password policy, after the CNIL's recommendation (deliberation 2022-100).

No composition rule: strength is the estimated guessing entropy, log2 of the guesses a
zxcvbn estimate needs, with a floor of 80 bits for accounts that sign in with a password
alone and 50 bits where a second factor is enforced. A password is also refused when it
is shorter than 12 characters, longer than 1024 bytes (before any hashing), in the
bundled list of common and breached passwords, or contains the user's name or the local
part of their email address. The meter endpoint and the form validator both call
``evaluate_password``, so what the meter shows is the verdict the form gives.
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from zxcvbn import zxcvbn

from .blocklist import is_common

MIN_LENGTH = 12
MAX_BYTES = 1024
BITS_PASSWORD_ONLY = 80
BITS_WITH_SECOND_FACTOR = 50
# zxcvbn's matching is quadratic: estimate on a prefix. A longer password scores at
# least its prefix's estimate, so this only ever errs on the strict side.
ESTIMATE_PREFIX = 64
# Names and address parts shorter than this are too common inside words to refuse.
MIN_PERSONAL_TOKEN = 3

# zxcvbn keeps the user inputs of the current call in a module-level dictionary.
_estimator_lock = threading.Lock()


@dataclass(frozen=True)
class Problem:
    code: str
    message: str


@dataclass(frozen=True)
class Verdict:
    """What the policy says of one candidate password."""

    bits: float
    required_bits: int
    problems: list[Problem] = field(default_factory=list)

    @property
    def acceptable(self) -> bool:
        return not self.problems


def oversized_message() -> str:
    return _(
        "Ce mot de passe est trop long : %(max)d octets au plus (environ 250 caractères "
        "accentués ou 1000 caractères simples)."
    ) % {"max": MAX_BYTES}


def is_oversized(password: str) -> bool:
    """Checked before anything else touches the password (hashing, estimation)."""
    return len(password) > MAX_BYTES or len(password.encode("utf-8", "surrogatepass")) > MAX_BYTES


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def personal_tokens(values: Iterable[str]) -> list[str]:
    """Names and address parts a password must not contain, folded (accents, case)."""
    tokens: set[str] = set()
    for value in values:
        folded = _fold(value.strip())
        local = folded.split("@", 1)[0] if "@" in folded else folded
        for token in [local, *re.split(r"[\W_]+", local)]:
            if len(token) >= MIN_PERSONAL_TOKEN:
                tokens.add(token)
    return sorted(tokens, key=len, reverse=True)


def estimate_bits(password: str, user_inputs: Iterable[str] = ()) -> float:
    """log2 of zxcvbn's guess estimate."""
    sample = password[:ESTIMATE_PREFIX]
    if not sample:
        return 0.0
    with _estimator_lock:
        result = zxcvbn(sample, user_inputs=list(user_inputs), max_length=ESTIMATE_PREFIX)
    return round(math.log2(max(float(result["guesses"]), 1.0)), 1)


def evaluate_password(
    password: str, *, personal: Iterable[str] = (), second_factor: bool = False
) -> Verdict:
    """Apply the whole policy; ``personal`` holds the user's names and email address."""
    required = BITS_WITH_SECOND_FACTOR if second_factor else BITS_PASSWORD_ONLY
    if is_oversized(password):
        return Verdict(0.0, required, [Problem("too_long", oversized_message())])
    tokens = personal_tokens(personal)
    bits = estimate_bits(password, tokens)
    problems: list[Problem] = []
    if len(password) < MIN_LENGTH:
        problems.append(
            Problem(
                "too_short",
                _("Trop court : %(length)d caractères, il en faut au moins %(min)d.")
                % {"length": len(password), "min": MIN_LENGTH},
            )
        )
    if password and is_common(password):
        problems.append(
            Problem(
                "common",
                _(
                    "Ce mot de passe figure dans une liste de mots de passe courants ou "
                    "divulgués : les attaquants l'essaient en premier."
                ),
            )
        )
    folded = _fold(password)
    if any(token in folded for token in tokens):
        problems.append(
            Problem(
                "personal",
                _("Ce mot de passe contient votre nom ou votre adresse électronique."),
            )
        )
    if bits < required:
        problems.append(
            Problem(
                "too_guessable",
                _(
                    "Trop facile à deviner : environ %(bits)s bits estimés, il en faut "
                    "%(required)d. Allongez-le, par exemple avec plusieurs mots choisis "
                    "au hasard."
                )
                % {"bits": f"{bits:.0f}", "required": required},
            )
        )
    return Verdict(bits, required, problems)
