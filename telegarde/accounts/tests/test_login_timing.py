"""No account enumeration through the sign-in page's response time (issue 3, item 4).

A wrong password for an existing account and any password for an unknown address both
cost one Argon2 computation (Django hashes a dummy password for unknown addresses) and
record the same event: the two response-time samples must not differ significantly.
Budgets are raised so that throttling, which would answer both fast, hides nothing.
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

import pytest
from django.test import Client

from telegarde.accounts.recovery.tests.test_timing import Comparison, mann_whitney_p
from telegarde.conftest import make_user

ROUNDS = 40
WARM_UP = 4


def compare(client: Client, known: str, unknown: str) -> Comparison:
    samples: dict[str, list[float]] = {known: [], unknown: []}
    for round_number in range(WARM_UP + ROUNDS):
        pair = [known, unknown]
        random.shuffle(pair)
        for email in pair:
            started = time.perf_counter()
            response = client.post(
                "/comptes/connexion/", {"username": email, "password": "pas-le-bon-mot"}
            )
            elapsed = time.perf_counter() - started
            assert response.status_code == 200
            if round_number >= WARM_UP:
                samples[email].append(elapsed)
    a, b = samples[known], samples[unknown]
    quartiles = statistics.quantiles(a + b, n=4)
    return Comparison(
        p_value=mann_whitney_p(a, b),
        median_gap_s=statistics.median(a) - statistics.median(b),
        spread_s=quartiles[2] - quartiles[0],
    )


@pytest.fixture
def generous_budgets(settings: Any) -> None:
    settings.LOGIN_THROTTLE = {
        **settings.LOGIN_THROTTLE,
        "per_ip": 10_000,
        "per_network": 10_000,
        "per_account_day": 10_000,
        "free_failures": 10_000,
    }


def test_a_wrong_password_and_an_unknown_address_take_comparable_time(
    db: None, generous_budgets: None
) -> None:
    known = make_user("connue@test.fr").email
    # Real hash of a real password, so the known path runs a real Argon2 verification.
    from telegarde.accounts.models import User

    user = User.objects.get(email=known)
    user.set_password("une-phrase-de-passe-bien-longue")
    user.save(update_fields=["password"])
    client = Client()
    first = compare(client, known, "inconnue@test.fr")
    result = first if not first.leaks else compare(client, known, "inconnue@test.fr")
    assert not result.leaks, result
