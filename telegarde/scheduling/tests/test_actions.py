"""Booking, cancelling, moving and completing appointments; availability changes. Each
records its event, without medical content."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.test import RequestFactory

from telegarde.accounts.models import Membership
from telegarde.conftest import Personas, last_event, make_patient
from telegarde.core.claims import HIGH, read_claim
from telegarde.scheduling.actions import (
    do_add_absence,
    do_book_appointment,
    do_cancel_appointment,
    do_complete_appointment,
    do_delete_absence,
    do_delete_weekly_availability,
    do_reschedule_appointment,
    do_set_weekly_availability,
)
from telegarde.scheduling.models import Appointment, WeeklyAvailability

from .conftest import MONDAY

PARIS = ZoneInfo("Europe/Paris")
AT_TEN = datetime(2026, 6, 2, 10, 0, tzinfo=PARIS)  # the Tuesday after MONDAY


def book(
    personas: Personas, membership: Membership, starts_at: datetime = AT_TEN, **kw: Any
) -> Appointment:
    kw.setdefault("acting_user", personas.patient)
    kw.setdefault("now", MONDAY)
    return do_book_appointment(
        membership, personas.patient, starts_at=starts_at, kind=kw.pop("kind", "video"), **kw
    )


def test_it_books_a_free_slot_and_records_it(
    personas: Personas, practitioner: Membership, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(personas, practitioner)
    assert appointment.ends_at - appointment.starts_at == timedelta(minutes=15)
    assert appointment.organisation == personas.organisation
    event = last_event("booking.created")
    assert event.target_id == str(appointment.external_id)
    assert event.organisation_id == str(personas.organisation.external_id)
    assert event.data["on_behalf"] is False
    assert event.data["kind"] == "video"
    assert set(event.data) == {"practitioner", "patient", "kind", "starts_at", "on_behalf"}
    assert len(mail.outbox) == 1


def test_the_desk_books_on_behalf_of_a_patient_of_the_organisation(
    personas: Personas, practitioner: Membership
) -> None:
    appointment = book(personas, practitioner, acting_user=personas.staff)
    assert appointment.booked_by == personas.staff
    assert last_event("booking.created").data["on_behalf"] is True


def test_nobody_books_for_a_patient_of_another_organisation(
    personas: Personas, practitioner: Membership
) -> None:
    with pytest.raises(ValidationError) as error:
        do_book_appointment(
            practitioner, personas.other_patient, starts_at=AT_TEN, kind="video",
            acting_user=personas.staff, now=MONDAY,
        )  # fmt: skip
    assert "patient" in error.value.message_dict


def test_a_patient_cannot_book_for_another_patient(
    personas: Personas, practitioner: Membership
) -> None:
    neighbour = make_patient("voisin@test.fr", personas.organisation, "VOISIN")
    with pytest.raises(ValidationError):
        do_book_appointment(
            practitioner, neighbour, starts_at=AT_TEN, kind="video",
            acting_user=personas.patient, now=MONDAY,
        )  # fmt: skip


def test_an_outsider_cannot_book_with_the_practitioner(
    personas: Personas, practitioner: Membership
) -> None:
    with pytest.raises(PermissionDenied):
        book(personas, practitioner, acting_user=personas.other_patient)


@pytest.mark.parametrize(
    ("starts_at", "message"),
    [
        (AT_TEN + timedelta(minutes=5), "n'est pas proposé"),
        (MONDAY + timedelta(minutes=15), "n'est pas proposé"),  # inside the notice
        (AT_TEN + timedelta(days=90), "n'est pas proposé"),  # beyond the horizon
    ],
)
def test_it_refuses_a_time_that_is_not_a_free_slot(
    personas: Personas, practitioner: Membership, starts_at: datetime, message: str
) -> None:
    with pytest.raises(ValidationError) as error:
        book(personas, practitioner, starts_at=starts_at)
    assert message in error.value.message_dict["starts_at"][0]
    assert not Appointment.objects.exists()


def test_it_refuses_a_kind_the_slot_does_not_offer(
    personas: Personas, practitioner: Membership
) -> None:
    WeeklyAvailability.objects.update(kinds=["audio"])
    with pytest.raises(ValidationError) as error:
        book(personas, practitioner, kind="video")
    assert "starts_at" in error.value.message_dict


def test_the_second_booking_of_a_slot_gets_the_clear_error(
    personas: Personas, practitioner: Membership
) -> None:
    book(personas, practitioner)
    with pytest.raises(ValidationError) as error:
        book(personas, practitioner, acting_user=personas.staff)
    assert error.value.message_dict["starts_at"][0].startswith("Ce créneau vient d'être réservé")
    assert "2 juin 2026 10:00" in error.value.message_dict["starts_at"][0]


def test_an_overlapping_slot_of_another_length_is_taken_too(
    personas: Personas, practitioner: Membership
) -> None:
    book(personas, practitioner)  # 10:00-10:15
    WeeklyAvailability.objects.all().delete()
    do_set_weekly_availability(
        practitioner, weekday=1, start_time=time(9, 50), end_time=time(11), slot_minutes=10,
        kinds=["video"], valid_from=MONDAY.date(), acting_user=None,
    )  # fmt: skip
    with pytest.raises(ValidationError) as error:
        book(personas, practitioner, starts_at=AT_TEN + timedelta(minutes=10))
    assert error.value.message_dict["starts_at"][0].startswith("Ce créneau vient d'être réservé")


def test_the_database_refuses_two_booked_appointments_at_one_instant(
    personas: Personas, practitioner: Membership
) -> None:
    first = book(personas, practitioner)
    with pytest.raises(IntegrityError):
        Appointment.objects.create(
            organisation=first.organisation, practitioner=first.practitioner,
            patient=personas.patient, starts_at=first.starts_at, ends_at=first.ends_at,
            kind="audio",
        )  # fmt: skip


def test_a_patient_booking_for_today_gets_priority_at_the_edge(
    personas: Personas, practitioner: Membership
) -> None:
    request = RequestFactory().post("/")
    later_today = MONDAY + timedelta(hours=3)
    book(personas, practitioner, starts_at=later_today, request=request)
    # The middleware writes this claim on the response.
    claim = read_claim(getattr(request, "_telegarde_priority_claim", ""))
    assert claim is not None and claim.level == HIGH
    assert claim.user_id == personas.patient.external_id.hex


def test_a_booking_for_another_day_changes_no_priority(
    personas: Personas, practitioner: Membership
) -> None:
    request = RequestFactory().post("/")
    book(personas, practitioner, request=request)
    assert not hasattr(request, "_telegarde_priority_claim")


def test_the_patient_cancels_before_the_deadline(
    personas: Personas, practitioner: Membership
) -> None:
    appointment = book(personas, practitioner)
    do_cancel_appointment(appointment, acting_user=personas.patient, now=MONDAY)
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert appointment.cancelled_by == personas.patient
    assert appointment.sequence == 1
    assert last_event("booking.cancelled").target_id == str(appointment.external_id)


def test_the_patient_cannot_cancel_after_the_deadline_but_the_practitioner_can(
    personas: Personas, practitioner: Membership, settings: Any
) -> None:
    settings.CANCEL_DEADLINE_HOURS = 24
    appointment = book(personas, practitioner)
    late = AT_TEN - timedelta(hours=23)
    with pytest.raises(ValidationError) as error:
        do_cancel_appointment(appointment, acting_user=personas.patient, now=late)
    assert "24 heures" in error.value.messages[0]
    do_cancel_appointment(appointment, acting_user=personas.practitioner, now=late)
    assert Appointment.objects.get(pk=appointment.pk).status == "cancelled"


def test_a_cancelled_slot_is_free_again(personas: Personas, practitioner: Membership) -> None:
    appointment = book(personas, practitioner)
    do_cancel_appointment(appointment, acting_user=personas.staff, now=MONDAY)
    assert book(personas, practitioner).starts_at == AT_TEN


def test_cancelling_twice_is_refused(personas: Personas, practitioner: Membership) -> None:
    appointment = book(personas, practitioner)
    do_cancel_appointment(appointment, acting_user=personas.patient, now=MONDAY)
    with pytest.raises(ValidationError):
        do_cancel_appointment(appointment, acting_user=personas.patient, now=MONDAY)


@pytest.mark.parametrize("who", ["other_patient", "other_practitioner", "outsider"])
def test_strangers_cannot_cancel(personas: Personas, practitioner: Membership, who: str) -> None:
    appointment = book(personas, practitioner)
    with pytest.raises(PermissionDenied):
        do_cancel_appointment(appointment, acting_user=getattr(personas, who), now=MONDAY)


def test_moving_keeps_the_appointment_and_frees_the_old_slot(
    personas: Personas, practitioner: Membership
) -> None:
    appointment = book(personas, practitioner)
    appointment.reminder_sent_at = MONDAY
    appointment.save(update_fields=["reminder_sent_at"])
    later = AT_TEN + timedelta(hours=2)
    moved = do_reschedule_appointment(
        appointment, starts_at=later, acting_user=personas.patient, now=MONDAY
    )
    assert moved.pk == appointment.pk and moved.starts_at == later
    assert moved.reminder_sent_at is None and moved.sequence == 1
    event = last_event("booking.rescheduled")
    assert event.data["previous_starts_at"] == AT_TEN.astimezone(UTC).isoformat()
    assert book(personas, practitioner, acting_user=personas.staff).starts_at == AT_TEN


def test_moving_by_a_quarter_inside_its_own_time_is_allowed(
    personas: Personas, practitioner: Membership
) -> None:
    WeeklyAvailability.objects.update(slot_minutes=30)
    appointment = book(personas, practitioner)
    WeeklyAvailability.objects.update(slot_minutes=15)
    moved = do_reschedule_appointment(
        appointment, starts_at=AT_TEN + timedelta(minutes=15), acting_user=personas.staff,
        now=MONDAY,
    )  # fmt: skip
    assert moved.starts_at == AT_TEN + timedelta(minutes=15)


def test_moving_onto_a_booked_slot_is_refused(personas: Personas, practitioner: Membership) -> None:
    first = book(personas, practitioner)
    second = book(personas, practitioner, starts_at=AT_TEN + timedelta(hours=1))
    with pytest.raises(ValidationError) as error:
        do_reschedule_appointment(
            second, starts_at=first.starts_at, acting_user=personas.patient, now=MONDAY
        )
    assert error.value.message_dict["starts_at"][0].startswith("Ce créneau vient d'être réservé")


def test_the_patient_cannot_move_after_the_deadline(
    personas: Personas, practitioner: Membership
) -> None:
    appointment = book(personas, practitioner)
    with pytest.raises(ValidationError):
        do_reschedule_appointment(
            appointment, starts_at=AT_TEN + timedelta(days=1), acting_user=personas.patient,
            now=AT_TEN - timedelta(hours=2),
        )  # fmt: skip


def test_completing_records_it_once(personas: Personas, practitioner: Membership) -> None:
    appointment = book(personas, practitioner)
    do_complete_appointment(appointment, acting_user=personas.practitioner)
    do_complete_appointment(appointment, acting_user=personas.practitioner)
    assert Appointment.objects.get(pk=appointment.pk).status == "completed"
    assert last_event("booking.completed").target_id == str(appointment.external_id)
    from telegarde.core.models import SecurityEvent

    assert SecurityEvent.objects.filter(action="booking.completed").count() == 1


def test_a_cancelled_appointment_cannot_be_completed(
    personas: Personas, practitioner: Membership
) -> None:
    appointment = book(personas, practitioner)
    do_cancel_appointment(appointment, acting_user=personas.patient, now=MONDAY)
    with pytest.raises(ValidationError):
        do_complete_appointment(appointment, acting_user=None)


def test_weekly_availability_changes_are_recorded(personas: Personas) -> None:
    from .conftest import membership_of

    membership = membership_of(personas)
    rule = do_set_weekly_availability(
        membership, weekday=2, start_time=time(9), end_time=time(12), slot_minutes=20,
        kinds=["video", "audio"], acting_user=personas.staff,
    )  # fmt: skip
    event = last_event("availability.changed")
    assert event.data["change"] == "created"
    assert event.organisation_id == str(personas.organisation.external_id)
    do_set_weekly_availability(
        membership, weekday=2, start_time=time(9), end_time=time(11), slot_minutes=20,
        kinds=["video"], availability=rule, acting_user=personas.practitioner,
    )  # fmt: skip
    assert last_event("availability.changed").data["change"] == "updated"
    do_delete_weekly_availability(rule, acting_user=personas.practitioner)
    assert last_event("availability.changed").data["change"] == "deleted"
    assert not WeeklyAvailability.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kinds": []}, "kinds"),
        ({"end_time": time(8)}, "end_time"),
        ({"slot_minutes": 2}, "slot_minutes"),
        ({"start_time": time(11), "end_time": time(13)}, "start_time"),  # overlaps 9-12
    ],
)
def test_a_bad_weekly_availability_names_the_field(
    personas: Personas, changes: dict[str, Any], field: str
) -> None:
    from .conftest import membership_of

    membership = membership_of(personas)
    values: dict[str, Any] = {
        "weekday": 2, "start_time": time(9), "end_time": time(12), "slot_minutes": 20,
        "kinds": ["video"],
    }  # fmt: skip
    do_set_weekly_availability(membership, **values, acting_user=None)
    with pytest.raises(ValidationError) as error:
        do_set_weekly_availability(membership, **{**values, **changes}, acting_user=None)
    assert field in error.value.message_dict


@pytest.mark.parametrize("who", ["patient", "other_practitioner", "outsider", "security_officer"])
def test_only_the_practitioner_and_the_desk_change_availability(
    personas: Personas, who: str
) -> None:
    from .conftest import membership_of

    with pytest.raises(PermissionDenied):
        do_set_weekly_availability(
            membership_of(personas), weekday=2, start_time=time(9), end_time=time(12),
            slot_minutes=20, kinds=["video"], acting_user=getattr(personas, who),
        )  # fmt: skip


def test_absences_are_recorded_without_their_reason(personas: Personas) -> None:
    from .conftest import membership_of

    absence = do_add_absence(
        membership_of(personas), starts_at=AT_TEN, ends_at=AT_TEN + timedelta(days=2),
        reason="Congé maladie", acting_user=personas.staff,
    )  # fmt: skip
    event = last_event("availability.absence.added")
    assert "maladie" not in str(event.data)
    do_delete_absence(absence, acting_user=personas.practitioner)
    assert last_event("availability.absence.removed").target_id == str(absence.external_id)


def test_an_absence_that_ends_before_it_starts_names_the_field(personas: Personas) -> None:
    from .conftest import membership_of

    with pytest.raises(ValidationError) as error:
        do_add_absence(membership_of(personas), starts_at=AT_TEN, ends_at=AT_TEN, acting_user=None)
    assert "ends_at" in error.value.message_dict
