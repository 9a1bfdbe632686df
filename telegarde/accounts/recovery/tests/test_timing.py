"""No account enumeration through response time (issue 3, item 4).

Requests for a known and an unknown address alternate in random order, with the
after-commit path real (``transactional_db``) and the mail thread drained between two
requests, so the response time covers everything the request itself does. The two
samples are compared with a Mann-Whitney U test; a leak is reported only when the
difference is both significant and larger than a share of the spread, and is measured
again once before failing, so a noisy machine does not fail the suite. A power check
injects a delay into the known-address path (8 ms, or the interquartile range of the
response time when the machine is noisier than that) and requires the same harness to
see it: a test that could not see a leak would prove nothing.
"""

from __future__ import annotations

import math
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client, override_settings

from telegarde.accounts.recovery import actions
from telegarde.accounts.recovery.mail import outbox
from telegarde.conftest import make_user

ROUNDS = 80
WARM_UP = 8
ALPHA = 1e-3
MIN_INJECTED_DELAY_S = 0.008


@dataclass(frozen=True)
class Comparison:
    p_value: float
    median_gap_s: float
    spread_s: float

    @property
    def leaks(self) -> bool:
        return self.p_value < ALPHA and abs(self.median_gap_s) > 0.25 * self.spread_s


def mann_whitney_p(a: list[float], b: list[float]) -> float:
    """Two-sided p-value of the Mann-Whitney U test (normal approximation, tie-corrected)."""
    pooled = sorted((value, group) for group, values in ((0, a), (1, b)) for value in values)
    ranks = [0.0] * len(pooled)
    ties = 0.0
    i = 0
    while i < len(pooled):
        j = i
        while j + 1 < len(pooled) and pooled[j + 1][0] == pooled[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        ties += (j - i + 1) ** 3 - (j - i + 1)
        i = j + 1
    n1, n2 = len(a), len(b)
    rank_sum = sum(r for r, (_, group) in zip(ranks, pooled, strict=True) if group == 0)
    u = rank_sum - n1 * (n1 + 1) / 2
    n = n1 + n2
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1))))
    z = (abs(u - n1 * n2 / 2) - 0.5) / sigma
    return math.erfc(max(z, 0.0) / math.sqrt(2))


def compare(client: Client, url: str, known: str, unknown: str) -> Comparison:
    samples: dict[str, list[float]] = {known: [], unknown: []}
    for round_number in range(WARM_UP + ROUNDS):
        pair = [known, unknown]
        random.shuffle(pair)
        for email in pair:
            started = time.perf_counter()
            response = client.post(url, {"email": email})
            elapsed = time.perf_counter() - started
            assert response.status_code == 302
            assert outbox().wait_idle()
            if round_number >= WARM_UP:
                samples[email].append(elapsed)
    a, b = samples[known], samples[unknown]
    quartiles = statistics.quantiles(a + b, n=4)
    return Comparison(
        p_value=mann_whitney_p(a, b),
        median_gap_s=statistics.median(a) - statistics.median(b),
        spread_s=quartiles[2] - quartiles[0],
    )


def measured_twice(measure: Callable[[], Comparison], *, expect_leak: bool) -> Comparison:
    first = measure()
    return first if first.leaks == expect_leak else measure()


@pytest.fixture
def known(transactional_db: Any) -> str:
    return make_user("connue@test.fr").email


@pytest.mark.parametrize("url", ["/comptes/mot-de-passe-oublie/", "/comptes/inscription/"])
@override_settings(RECOVERY_MAILS_PER_HOUR=100_000)
def test_it_answers_known_and_unknown_addresses_in_comparable_time(
    known: str, client: Client, url: str
) -> None:
    result = measured_twice(
        lambda: compare(client, url, known, "inconnue@test.fr"), expect_leak=False
    )
    assert not result.leaks, result


@override_settings(RECOVERY_MAILS_PER_HOUR=100_000)
def test_it_would_see_a_few_milliseconds_spent_only_on_known_addresses(
    known: str, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "/comptes/mot-de-passe-oublie/"
    pilot = compare(client, url, known, "inconnue@test.fr")
    delay = max(MIN_INJECTED_DELAY_S, pilot.spread_s)
    real_mail = actions._mail

    def slow_mail(*args: Any, **kwargs: Any) -> Any:
        time.sleep(delay)
        return real_mail(*args, **kwargs)

    # Only a known address gets a reset mail: delaying its preparation is a leak.
    monkeypatch.setattr(actions, "_mail", slow_mail)
    result = measured_twice(
        lambda: compare(client, url, known, "inconnue@test.fr"), expect_leak=True
    )
    assert result.leaks, result
