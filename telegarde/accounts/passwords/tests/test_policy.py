from __future__ import annotations

import pytest

from telegarde.accounts.passwords import policy
from telegarde.accounts.passwords.policy import evaluate_password

STRONG = "tilleul orage carnet valise prune marmotte"


def codes(password: str, **kwargs: object) -> set[str]:
    return {p.code for p in evaluate_password(password, **kwargs).problems}  # type: ignore[arg-type]


def test_it_accepts_a_long_passphrase() -> None:
    verdict = evaluate_password(STRONG)
    assert verdict.acceptable
    assert verdict.bits >= 80


def test_it_asks_80_bits_without_and_50_bits_with_a_second_factor() -> None:
    password = "Tilleuls-orage-2026"
    alone = evaluate_password(password)
    with_factor = evaluate_password(password, second_factor=True)
    assert 50 <= alone.bits < 80
    assert "too_guessable" in {p.code for p in alone.problems}
    assert alone.required_bits == 80
    assert with_factor.acceptable
    assert with_factor.required_bits == 50


def test_it_says_how_many_bits_were_estimated_and_needed() -> None:
    (problem,) = list(evaluate_password("Tilleuls-orage-2026").problems)
    assert "80" in problem.message
    assert f"{evaluate_password('Tilleuls-orage-2026').bits:.0f}" in problem.message


def test_it_refuses_fewer_than_twelve_characters_whatever_the_entropy() -> None:
    assert "too_short" in codes("Zq8!vT3#kL9", second_factor=True)


def test_it_refuses_a_common_password_even_when_long() -> None:
    assert "common" in codes("qwertyuiop123")


@pytest.mark.parametrize(
    "password",
    [
        "dupont tilleul orage carnet valise",
        "jean.dupont-orage-carnet-valise-prune",
        "DÜPONT…orage carnet valise prune",
    ],
)
def test_it_refuses_the_users_name_or_address(password: str) -> None:
    personal = ["jean.dupont@exemple.fr", "Jean", "Dupont"]
    assert "personal" in codes(password, personal=personal)


def test_it_takes_any_unicode_up_to_and_beyond_128_characters() -> None:
    words = ["éléphant", "naïveté", "Ωmega", "熊猫", "حديقة", "дерево", "ツバメ", "crème-brûlée"]
    password = " ".join([*words, "où", "Noël", "♥", "fjord", "Zürich", "ñandú", "łódź", "Ægir"] * 2)
    assert len(password) >= 128
    assert evaluate_password(password).acceptable


def test_it_refuses_more_than_1024_bytes_without_estimating(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fail(*args: object, **kwargs: object) -> float:
        raise AssertionError("estimated an oversized password")

    monkeypatch.setattr(policy, "estimate_bits", fail)
    assert codes("é" * 513) == {"too_long"}
    assert codes("a" * 1025) == {"too_long"}
