"""Eight people book the same slot at the same moment, each on its own connection:
exactly one booking commits, the others get the clear error (PostgreSQL only)."""

from __future__ import annotations

import itertools
import threading
from datetime import datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from telegarde.accounts.models import Membership, User
from telegarde.conftest import Personas, make_patient
from telegarde.scheduling.actions import do_book_appointment
from telegarde.scheduling.models import Appointment, WeeklyAvailability

from .conftest import MONDAY, membership_of, open_every_day

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("no_live_detection"),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite has a single writer: the race cannot happen there (CI's 2nd run: PG)",
    ),
]
THREADS = 8


AT_TEN = MONDAY + timedelta(days=1, hours=2)  # Tuesday 10:00 in Paris


def race(membership: Membership, patients: list[User], starts: list[datetime]) -> list[str]:
    """Each patient books at the matching start, all released by one barrier."""
    barrier = threading.Barrier(len(patients))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(patient: User, starts_at: datetime) -> None:
        try:
            barrier.wait()
            do_book_appointment(
                membership, patient, starts_at=starts_at, kind="video",
                acting_user=patient, now=MONDAY,
            )  # fmt: skip
            outcome = "booked"
        except ValidationError as error:
            outcome = error.message_dict["starts_at"][0]
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [
        threading.Thread(target=attempt, args=pair) for pair in zip(patients, starts, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def patients_of(personas: Personas) -> list[User]:
    return [
        make_patient(f"p{n}@test.fr", personas.organisation, f"COURSE{n}") for n in range(THREADS)
    ]


def test_it_lets_exactly_one_of_eight_simultaneous_bookings_of_a_slot_win(
    personas: Personas,
) -> None:
    membership = membership_of(personas)
    open_every_day(membership)
    outcomes = race(membership, patients_of(personas), [AT_TEN] * THREADS)
    assert outcomes.count("booked") == 1, outcomes
    losers = [o for o in outcomes if o != "booked"]
    assert len(losers) == THREADS - 1
    assert all(o.startswith("Ce créneau vient d'être réservé") for o in losers), losers
    assert Appointment.objects.filter(status="booked").count() == 1


def test_overlapping_slots_of_different_lengths_cannot_both_be_booked(
    personas: Personas,
) -> None:
    # Two openings of the same hour cut in 15- and 20-minute slots (as after a change of
    # rule): 10:15 overlaps 10:20, which overlaps 10:30, which overlaps 10:40.
    membership = membership_of(personas)
    for minutes in (15, 20):
        WeeklyAvailability.objects.create(
            practitioner=membership.user, organisation=membership.organisation, weekday=1,
            start_time=time(10), end_time=time(11), slot_minutes=minutes, kinds=["video"],
            valid_from=MONDAY.date(),
        )  # fmt: skip
    starts = [AT_TEN + timedelta(minutes=m) for m in (15, 20, 30, 40)] * 2
    outcomes = race(membership, patients_of(personas), starts)
    booked = list(Appointment.objects.filter(status="booked").order_by("starts_at"))
    for first, second in itertools.pairwise(booked):
        assert first.ends_at <= second.starts_at, "no two bookings overlap"
    assert outcomes.count("booked") == len(booked) >= 1
