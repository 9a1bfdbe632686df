"""Slots from weekly rules in Paris wall-clock time, across both 2026 clock changes."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from telegarde.accounts.models import Membership
from telegarde.conftest import Personas
from telegarde.scheduling.actions import do_add_absence, do_book_appointment
from telegarde.scheduling.models import WeeklyAvailability
from telegarde.scheduling.slots import (
    Slot,
    candidate_slots,
    free_slots,
    slots_by_day,
    wall_clock_instant,
    without_busy,
)

from .conftest import MONDAY

PARIS = ZoneInfo("Europe/Paris")
SPRING_FORWARD = date(2026, 3, 29)  # 02:00 CET -> 03:00 CEST
FALL_BACK = date(2026, 10, 25)  # 03:00 CEST -> 02:00 CET
SUNDAY = 6


def rule(weekday: int, start: time, end: time, minutes: int, **extra: Any) -> WeeklyAvailability:
    return WeeklyAvailability(
        weekday=weekday,
        start_time=start,
        end_time=end,
        slot_minutes=minutes,
        kinds=["video"],
        valid_from=date(2026, 1, 1),
        organisation_id=1,
        **extra,
    )


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_it_skips_the_local_times_that_do_not_exist_on_the_spring_forward_day() -> None:
    slots = candidate_slots([rule(SUNDAY, time(1), time(4), 30)], SPRING_FORWARD, SPRING_FORWARD)
    assert [s.local_start.strftime("%H:%M") for s in slots] == ["01:00", "01:30", "03:00", "03:30"]
    assert [s.starts_at for s in slots] == [
        utc(2026, 3, 29, 0, 0),
        utc(2026, 3, 29, 0, 30),
        utc(2026, 3, 29, 1, 0),
        utc(2026, 3, 29, 1, 30),
    ]


def test_it_offers_the_repeated_local_times_once_on_the_fall_back_day() -> None:
    slots = candidate_slots([rule(SUNDAY, time(1), time(4), 30)], FALL_BACK, FALL_BACK)
    wall = [s.local_start.strftime("%H:%M") for s in slots]
    assert wall == ["01:00", "01:30", "02:00", "02:30", "03:00", "03:30"]
    instants = [s.starts_at for s in slots]
    assert len(set(instants)) == len(instants)
    # 02:00 and 02:30 are their first occurrence (summer time, UTC+2).
    assert instants[2:4] == [utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 0, 30)]
    assert instants[4] == utc(2026, 10, 25, 2, 0)
    assert all(a.ends_at <= b.starts_at for a, b in itertools.pairwise(slots))


def test_a_slot_lasts_its_real_duration_across_the_change() -> None:
    (slot,) = candidate_slots([rule(SUNDAY, time(1, 30), time(3, 30), 120)], FALL_BACK, FALL_BACK)
    assert slot.ends_at - slot.starts_at == timedelta(hours=2)


def test_wall_clock_instant_is_none_only_inside_the_gap() -> None:
    assert wall_clock_instant(SPRING_FORWARD, time(2, 30), PARIS) is None
    assert wall_clock_instant(SPRING_FORWARD, time(3, 0), PARIS) == utc(2026, 3, 29, 1, 0)
    assert wall_clock_instant(FALL_BACK, time(2, 30), PARIS) == utc(2026, 10, 25, 0, 30)


def test_an_ordinary_day_has_one_slot_per_step_and_other_days_none() -> None:
    monday = date(2026, 6, 1)
    rules = [rule(0, time(9), time(12), 20)]
    assert len(candidate_slots(rules, monday, monday)) == 9
    assert candidate_slots(rules, monday + timedelta(days=1), monday + timedelta(days=6)) == []


def test_validity_dates_bound_the_rule() -> None:
    monday = date(2026, 6, 1)
    bounded = rule(0, time(9), time(10), 30)
    bounded.valid_from, bounded.valid_until = monday + timedelta(days=7), monday + timedelta(days=7)
    slots = candidate_slots([bounded], monday, monday + timedelta(days=21))
    assert {s.local_start.date() for s in slots} == {monday + timedelta(days=7)}


def test_two_rules_giving_the_same_instant_give_one_slot() -> None:
    monday = date(2026, 6, 1)
    rules = [rule(0, time(9), time(10), 30), rule(0, time(9), time(10), 30)]
    assert len(candidate_slots(rules, monday, monday)) == 2


def test_slots_are_grouped_by_their_paris_date() -> None:
    late = Slot(utc(2026, 6, 1, 21, 45), utc(2026, 6, 1, 22, 0))  # 23:45 in Paris
    after_midnight = Slot(utc(2026, 6, 1, 22, 0), utc(2026, 6, 1, 22, 15))  # 00:00, June 2
    grouped = slots_by_day([after_midnight, late])
    assert [day for day, _ in grouped] == [date(2026, 6, 1), date(2026, 6, 2)]


times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))


@settings(max_examples=150, deadline=None)
@given(
    weekday=st.integers(0, 6),
    start=times,
    length=st.integers(1, 24 * 4),
    minutes=st.sampled_from([5, 10, 15, 20, 30, 45, 60, 90]),
    first=st.sampled_from([SPRING_FORWARD, FALL_BACK, date(2026, 1, 5), date(2026, 7, 1)]),
)
# Found in CI: a 45-minute slot at 01:30 runs past the jump to 03:00, where the next
# wall-clock slot would have started before it ended.
@example(weekday=6, start=time(0, 0), length=15, minutes=45, first=SPRING_FORWARD)
def test_property_slots_are_unique_ordered_real_instants_inside_the_rule(
    weekday: int, start: time, length: int, minutes: int, first: date
) -> None:
    start_dt = datetime.combine(first, start)
    end_dt = min(start_dt + timedelta(minutes=15 * length), datetime.combine(first, time(23, 59)))
    if end_dt <= start_dt:
        return
    the_rule = rule(weekday, start, end_dt.time(), minutes)
    slots = candidate_slots([the_rule], first - timedelta(days=3), first + timedelta(days=3))
    instants = [s.starts_at for s in slots]
    assert instants == sorted(set(instants)), "no instant twice, in order"
    for a, b in itertools.pairwise(slots):
        assert a.ends_at <= b.starts_at, "slots of one rule never overlap"
    for slot in slots:
        local = slot.local_start
        assert local.weekday() == weekday
        assert start <= local.time() < end_dt.time()
        assert slot.ends_at - slot.starts_at == timedelta(minutes=minutes)
        # A real local time: it converts back to the same instant.
        assert local.replace(tzinfo=None).replace(tzinfo=PARIS).astimezone(UTC) == slot.starts_at


intervals = st.tuples(st.integers(0, 200), st.integers(1, 60)).map(
    lambda p: (
        utc(2026, 6, 1) + timedelta(minutes=p[0]),
        utc(2026, 6, 1) + timedelta(minutes=p[0] + p[1]),
    )
)


@settings(max_examples=200, deadline=None)
@given(slots=st.lists(intervals, max_size=15), busy=st.lists(intervals, max_size=6))
def test_property_free_slots_never_overlap_busy_time_and_lose_no_free_slot(
    slots: list[tuple[datetime, datetime]], busy: list[tuple[datetime, datetime]]
) -> None:
    candidates = [Slot(a, b) for a, b in slots]
    free = without_busy(candidates, busy)

    def overlaps(slot: Slot) -> bool:
        return any(a < slot.ends_at and slot.starts_at < b for a, b in busy)

    assert all(not overlaps(s) for s in free)
    assert [s for s in candidates if not overlaps(s)] == free


def test_it_removes_absences_bookings_and_slots_inside_the_notice(
    personas: Personas, practitioner: Membership, settings: Any
) -> None:
    settings.BOOKING_MIN_NOTICE_MINUTES = 60
    day = MONDAY.date()  # 08:00 in Paris
    slots = free_slots(practitioner.user, day, day, now=MONDAY)
    assert slots[0].local_start.strftime("%H:%M") == "09:00", "an hour's notice"
    do_add_absence(
        practitioner,
        starts_at=datetime(2026, 6, 1, 10, 0, tzinfo=PARIS),
        ends_at=datetime(2026, 6, 1, 11, 0, tzinfo=PARIS),
        acting_user=None,
    )
    do_book_appointment(
        practitioner,
        personas.patient,
        starts_at=datetime(2026, 6, 1, 12, 0, tzinfo=PARIS),
        kind="video",
        acting_user=personas.patient,
        now=MONDAY,
    )
    starts = {
        s.local_start.strftime("%H:%M") for s in free_slots(practitioner.user, day, day, now=MONDAY)
    }
    assert "09:45" in starts and "11:00" in starts and "12:15" in starts
    assert not starts & {"10:00", "10:15", "10:45", "12:00"}


def test_it_offers_nothing_beyond_the_horizon(practitioner: Membership, settings: Any) -> None:
    settings.BOOKING_HORIZON_DAYS = 2
    slots = free_slots(
        practitioner.user, MONDAY.date(), MONDAY.date() + timedelta(days=10), now=MONDAY
    )
    assert max(s.starts_at for s in slots) <= MONDAY + timedelta(days=2)


def test_it_offers_only_the_kinds_of_the_rule(personas: Personas, practitioner: Membership) -> None:
    WeeklyAvailability.objects.filter(practitioner=practitioner.user).update(kinds=["audio"])
    day = MONDAY.date() + timedelta(days=1)
    assert free_slots(practitioner.user, day, day, kind="video", now=MONDAY) == []
    assert free_slots(practitioner.user, day, day, kind="audio", now=MONDAY)


def test_it_costs_three_queries_for_two_weeks(
    practitioner: Membership, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(3):
        slots = free_slots(
            practitioner.user, MONDAY.date(), MONDAY.date() + timedelta(days=13), now=MONDAY
        )
    assert len(slots) > 1000


@pytest.mark.parametrize("day", [SPRING_FORWARD, FALL_BACK])
def test_free_slots_on_the_clock_change_days_have_no_duplicate_instant(
    practitioner: Membership, day: date
) -> None:
    now = datetime.combine(day - timedelta(days=1), time(0), tzinfo=UTC)
    slots = free_slots(practitioner.user, day, day, now=now)
    instants = [s.starts_at for s in slots]
    assert len(instants) == len(set(instants))
    expected = 95 - 4 if day == SPRING_FORWARD else 95  # 00:00..23:30 minus the lost hour
    assert len(slots) == expected
