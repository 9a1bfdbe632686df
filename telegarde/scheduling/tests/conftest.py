"""Scheduling fixtures: the personas' practitioner, open every day of the week."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from telegarde.accounts.models import Membership
from telegarde.conftest import Personas
from telegarde.scheduling.actions import do_set_weekly_availability
from telegarde.scheduling.models import ConsultationKind
from telegarde.scheduling.slots import free_slots

ALL_KINDS = list(ConsultationKind.values)
# A fixed Monday, far from any daylight-saving change, for tests that choose "now".
MONDAY = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)  # 08:00 in Paris


def membership_of(personas: Personas) -> Membership:
    return Membership.objects.get(
        user=personas.practitioner, organisation=personas.organisation, role="practitioner"
    )


def open_every_day(
    membership: Membership,
    start: time = time(0, 0),
    end: time = time(23, 45),
    slot_minutes: int = 15,
    kinds: list[str] | None = None,
) -> None:
    for weekday in range(7):
        do_set_weekly_availability(
            membership,
            weekday=weekday,
            start_time=start,
            end_time=end,
            slot_minutes=slot_minutes,
            kinds=kinds or ALL_KINDS,
            valid_from=date(2025, 1, 1),
            acting_user=None,
        )


@pytest.fixture
def no_live_detection(settings: Any) -> None:
    """For transactional tests: the live detection worker would keep its own connection
    open after their events, which stops the test database from being dropped. Ask for
    it before ``personas``."""
    settings.DETECTION_MODE = "off"


@pytest.fixture
def practitioner(personas: Personas) -> Membership:
    """The personas' practitioner, open every day from midnight to 23:45, slots of 15'."""
    membership = membership_of(personas)
    open_every_day(membership)
    return membership


def next_free(membership: Membership, now: datetime | None = None, **kwargs: Any) -> datetime:
    """The start of a free slot, a day after ``now`` (real time when not given)."""
    moment = now or datetime.now(UTC)
    first = (moment + timedelta(days=1)).date()
    slots = free_slots(membership.user, first, first + timedelta(days=1), now=moment, **kwargs)
    return slots[0].starts_at
