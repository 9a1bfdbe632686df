"""Free slots of a practitioner, computed from weekly availability in local wall-clock time.

A rule says "Tuesdays 09:00-12:00 in Paris"; a slot is an instant. On the spring-forward
day a local time that does not exist (02:30) gives no slot; on the autumn day a local time
that happens twice (02:30) gives one slot, at its first occurrence, so no instant is
offered twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from telegarde.accounts.models import Organisation, User

from .models import Appointment, AvailabilityException, WeeklyAvailability


@dataclass(frozen=True, order=True)
class Slot:
    starts_at: datetime
    ends_at: datetime
    kinds: tuple[str, ...] = field(compare=False, default=())
    organisation_id: int | None = field(compare=False, default=None)

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(local_zone())


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def wall_clock_instant(day: date, at: time, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of local time ``at`` on ``day``; None when the clocks skip it, its
    first occurrence when they go through it twice."""
    local = datetime.combine(day, at, tzinfo=zone)  # fold=0: the first occurrence
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None  # a local time inside the spring-forward gap
    return instant


def rule_slots(rule: WeeklyAvailability, day: date, zone: ZoneInfo) -> Iterator[Slot]:
    """The slots ``rule`` opens on ``day`` (none when it does not apply that day)."""
    if day.weekday() != rule.weekday or day < rule.valid_from:
        return
    if rule.valid_until is not None and day > rule.valid_until:
        return
    step = timedelta(minutes=rule.slot_minutes)
    cursor = datetime.combine(day, rule.start_time)  # naive: wall-clock time on purpose
    end = datetime.combine(day, rule.end_time)
    previous_end: datetime | None = None
    while cursor + step <= end:
        instant = wall_clock_instant(day, cursor.time(), zone)
        # A consultation lasts its real duration, whatever the clocks do meanwhile; when
        # the clocks jump forward during one, the next wall-clock slot would start before
        # it ends: that slot is not offered.
        if instant is not None and (previous_end is None or instant >= previous_end):
            previous_end = instant + step
            yield Slot(instant, previous_end, tuple(rule.kinds), rule.organisation_id)
        cursor += step


def days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def candidate_slots(
    rules: Iterable[WeeklyAvailability], first: date, last: date, zone: ZoneInfo | None = None
) -> list[Slot]:
    """Every slot the rules open from ``first`` to ``last`` (local dates), one per instant."""
    zone = zone or local_zone()
    rules = list(rules)
    by_start: dict[datetime, Slot] = {}
    for day in days(first, last):
        for rule in rules:
            for slot in rule_slots(rule, day, zone):
                by_start.setdefault(slot.starts_at, slot)
    return sorted(by_start.values())


def without_busy(slots: Iterable[Slot], busy: Iterable[tuple[datetime, datetime]]) -> list[Slot]:
    """``slots`` minus those overlapping any busy interval (absence or booking)."""
    intervals = sorted(busy)
    free = []
    for slot in slots:
        if not any(start < slot.ends_at and slot.starts_at < end for start, end in intervals):
            free.append(slot)
    return free


def bookable_window(now: datetime) -> tuple[datetime, datetime]:
    """The first and last instants a slot may start at: after the notice, before the horizon."""
    return (
        now + timedelta(minutes=settings.BOOKING_MIN_NOTICE_MINUTES),
        now + timedelta(days=settings.BOOKING_HORIZON_DAYS),
    )


def free_slots(
    practitioner: User,
    first: date,
    last: date,
    *,
    organisation: Organisation | None = None,
    kind: str | None = None,
    now: datetime | None = None,
    ignore: Appointment | None = None,
) -> list[Slot]:
    """The practitioner's bookable slots from ``first`` to ``last`` (local dates), in three
    queries. Absences and bookings count in every organisation; ``ignore`` is an
    appointment being moved, whose own time is free for it."""
    earliest, latest = bookable_window(now or timezone.now())
    rules = WeeklyAvailability.objects.filter(practitioner=practitioner).order_by("pk")
    if organisation is not None:
        rules = rules.filter(organisation=organisation)
    candidates = [
        slot
        for slot in candidate_slots(rules, first, last)
        if earliest <= slot.starts_at <= latest and (kind is None or kind in slot.kinds)
    ]
    if not candidates:
        return []
    lo, hi = candidates[0].starts_at, max(slot.ends_at for slot in candidates)
    absences = AvailabilityException.objects.filter(
        practitioner=practitioner, starts_at__lt=hi, ends_at__gt=lo
    ).values_list("starts_at", "ends_at")
    booked = Appointment.objects.filter(
        practitioner=practitioner,
        status=Appointment.Status.BOOKED,
        starts_at__lt=hi,
        ends_at__gt=lo,
    )
    if ignore is not None:
        booked = booked.exclude(pk=ignore.pk)
    return without_busy(candidates, [*absences, *booked.values_list("starts_at", "ends_at")])


def slots_by_day(slots: Iterable[Slot]) -> list[tuple[date, list[Slot]]]:
    """Slots grouped by their local date, in order."""
    ordered = sorted(slots)
    return [
        (day, list(group)) for day, group in groupby(ordered, key=lambda s: s.local_start.date())
    ]
