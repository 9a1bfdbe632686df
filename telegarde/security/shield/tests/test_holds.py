"""The count of held refusals: per address, in all, and given back."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from telegarde.security.shield.holds import Holds


def test_it_holds_nothing_when_switched_off() -> None:
    assert not Holds(0, 4, 10).take("192.0.2.1")


@given(st.lists(st.tuples(st.booleans(), st.sampled_from(["a", "b", "c"])), max_size=80))
def test_it_stays_within_its_limits_and_returns_to_zero(script: list[tuple[bool, str]]) -> None:
    holds = Holds(1.0, 2, 4)
    taken: list[str] = []
    for take, ip in script:
        if take:
            expected = taken.count(ip) < 2 and len(taken) < 4
            assert holds.take(ip) is expected
            if expected:
                taken.append(ip)
        elif ip in taken:
            taken.remove(ip)
            holds.give(ip)
        assert holds.held == len(taken)
        assert all(holds.by_address[ip] == taken.count(ip) for ip in set(taken))
    for ip in taken:
        holds.give(ip)
    assert holds.held == 0 and holds.by_address == {}


def test_it_spreads_hold_lengths_around_its_setting() -> None:
    lengths = [Holds(2.0, 4, 10).duration() for _ in range(200)]
    assert all(1.0 <= length <= 3.0 for length in lengths)
    assert max(lengths) - min(lengths) > 1.0  # a flood's connections come back apart


def test_it_penalises_an_address_until_it_stays_away() -> None:
    holds = Holds(2.0, 4, 10, penalty_seconds=10)
    holds.penalise("192.0.2.1", now=100.0)
    assert holds.penalty_left("192.0.2.1", 105.0) == 5.0
    assert holds.penalty_left("192.0.2.2", 105.0) == 0.0
    holds.penalise("192.0.2.1", now=108.0)  # came back: the penalty starts again
    assert holds.penalty_left("192.0.2.1", 117.0) == 1.0
    assert holds.penalty_left("192.0.2.1", 118.0) == 0.0
    assert holds.penalised == {}


def test_it_keeps_its_penalties_bounded_under_a_flood_of_addresses() -> None:
    from telegarde.security.shield import holds as module

    holds = Holds(2.0, 4, 10, penalty_seconds=10)
    for index in range(module.MAX_PENALISED + 5):
        holds.penalise(f"2001:db8::{index:x}", now=100.0)
    assert len(holds.penalised) <= module.MAX_PENALISED
