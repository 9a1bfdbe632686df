"""State changes on availability and appointments; each records its security event in
the same transaction, and mails the patient after commit.

Double-booking: every booking or move first locks the practitioner's user row, so two of
them for one practitioner run one after the other and the second sees the first's
appointment in its overlap check (slots of different lengths included); the partial
unique constraint on (practitioner, starts_at) is the last guard.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from telegarde.accounts.models import Membership, User
from telegarde.core.claims import HIGH, issue_priority_claim
from telegarde.core.events import record_event
from telegarde.core.permissions import has_perm

from . import mails
from .models import Appointment, AvailabilityException, ConsultationKind, WeeklyAvailability
from .slots import Slot, free_slots, local_zone

Role = Membership.Role


def _require(user: User, perm: str, obj: Any) -> None:
    if not has_perm(user, perm, obj):
        raise PermissionDenied(perm)


def _practitioner_data(practitioner: User) -> dict[str, str]:
    return {"practitioner": str(practitioner.external_id)}


def _record_availability(
    action: str,
    obj: WeeklyAvailability | AvailabilityException,
    *,
    acting_user: User | None,
    request: HttpRequest | None,
    **data: Any,
) -> None:
    """The event of a change to an opening or an absence (never an absence's reason)."""
    record_event(
        action,
        actor=acting_user,
        request=request,
        organisation=obj.organisation,
        target=obj,
        data={**_practitioner_data(obj.practitioner), **data},
    )


# --- Weekly availability and absences --------------------------------------------------


@transaction.atomic
def do_set_weekly_availability(
    practitioner: Membership,
    *,
    weekday: int,
    start_time: time,
    end_time: time,
    slot_minutes: int,
    kinds: list[str],
    valid_from: date | None = None,
    valid_until: date | None = None,
    availability: WeeklyAvailability | None = None,
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> WeeklyAvailability:
    """Create a weekly opening for ``practitioner`` (in their organisation), or change
    ``availability``. Openings of one practitioner may not overlap on the same day."""
    if acting_user is not None:
        _require(acting_user, "availability.manage", practitioner)
    rule = availability or WeeklyAvailability(
        practitioner=practitioner.user, organisation=practitioner.organisation
    )
    created = rule.pk is None
    rule.weekday, rule.start_time, rule.end_time = weekday, start_time, end_time
    rule.slot_minutes = slot_minutes
    rule.kinds = sorted(set(kinds))
    rule.valid_from = valid_from or rule.valid_from or timezone.localdate()
    rule.valid_until = valid_until
    _check_rule(rule)
    rule.save()
    _record_availability(
        "availability.changed", rule, acting_user=acting_user, request=request,
        change="created" if created else "updated", weekday=weekday,
    )  # fmt: skip
    return rule


def _check_rule(rule: WeeklyAvailability) -> None:
    if not rule.kinds or not set(rule.kinds) <= set(ConsultationKind.values):
        raise ValidationError({"kinds": _("Choisissez au moins un type de consultation.")})
    if rule.end_time <= rule.start_time:
        raise ValidationError({"end_time": _("La fin doit être après le début.")})
    if not 5 <= rule.slot_minutes <= 240:
        raise ValidationError({"slot_minutes": _("Un créneau dure entre 5 et 240 minutes.")})
    if rule.valid_until is not None and rule.valid_until < rule.valid_from:
        raise ValidationError(
            {"valid_until": _("La date de fin doit être après la date de début.")}
        )
    rule.full_clean()
    same_day = WeeklyAvailability.objects.filter(
        practitioner=rule.practitioner,
        weekday=rule.weekday,
        start_time__lt=rule.end_time,
        end_time__gt=rule.start_time,
    ).exclude(pk=rule.pk)
    for other in same_day:
        if (other.valid_until is None or other.valid_until >= rule.valid_from) and (
            rule.valid_until is None or rule.valid_until >= other.valid_from
        ):
            raise ValidationError(
                {
                    "start_time": _(
                        "Cette plage chevauche une autre disponibilité du même jour "
                        "(%(start)s à %(end)s)."
                    )
                    % {"start": f"{other.start_time:%H:%M}", "end": f"{other.end_time:%H:%M}"}
                }
            )


@transaction.atomic
def do_delete_weekly_availability(
    availability: WeeklyAvailability,
    *,
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> None:
    """Stop offering the opening; appointments already booked in it stay booked."""
    if acting_user is not None:
        _require(acting_user, "availability.manage", availability)
    _record_availability(
        "availability.changed", availability, acting_user=acting_user, request=request,
        change="deleted", weekday=availability.weekday,
    )  # fmt: skip
    availability.delete()


@transaction.atomic
def do_add_absence(
    practitioner: Membership,
    *,
    starts_at: datetime,
    ends_at: datetime,
    reason: str = "",
    acting_user: User | None,
    request: HttpRequest | None = None,
) -> AvailabilityException:
    """No slot is offered during the absence, in any organisation. Appointments already
    booked in it stay booked: the agenda lists them for the desk to move or cancel."""
    if acting_user is not None:
        _require(acting_user, "availability.manage", practitioner)
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("La fin de l'absence doit être après son début.")})
    absence = AvailabilityException(
        practitioner=practitioner.user,
        organisation=practitioner.organisation,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason.strip(),
    )
    absence.full_clean()
    absence.save()
    _record_availability(
        "availability.absence.added", absence, acting_user=acting_user, request=request
    )
    return absence


@transaction.atomic
def do_delete_absence(
    absence: AvailabilityException, *, acting_user: User | None, request: HttpRequest | None = None
) -> None:
    if acting_user is not None:
        _require(acting_user, "availability.manage", absence)
    _record_availability(
        "availability.absence.removed", absence, acting_user=acting_user, request=request
    )
    absence.delete()


# --- Appointments -----------------------------------------------------------------------


def slot_taken_error(starts_at: datetime) -> ValidationError:
    when = mails.describe_start(starts_at)
    return ValidationError(
        {
            "starts_at": _(
                "Ce créneau vient d'être réservé par quelqu'un d'autre (%(when)s) : "
                "choisissez-en un autre."
            )
            % {"when": when}
        },
        code="slot_taken",
    )


def _lock_practitioner(practitioner: User) -> None:
    # Serialises every booking and move of one practitioner (see the module docstring).
    User.objects.select_for_update().filter(pk=practitioner.pk).values_list("pk").get()


def _free_slot(
    appointment: Appointment, *, now: datetime | None, ignore: Appointment | None = None
) -> Slot:
    """The free slot at ``appointment.starts_at`` for its kind, or a form error naming it."""
    day = appointment.starts_at.astimezone(local_zone()).date()
    slots = free_slots(
        appointment.practitioner,
        day,
        day,
        organisation=appointment.organisation,
        kind=appointment.kind,
        now=now,
        ignore=ignore,
    )
    for slot in slots:
        if slot.starts_at == appointment.starts_at:
            return slot
    taken = Appointment.objects.filter(
        practitioner=appointment.practitioner,
        status=Appointment.Status.BOOKED,
        starts_at__lte=appointment.starts_at,
        ends_at__gt=appointment.starts_at,
    )
    if ignore is not None:
        taken = taken.exclude(pk=ignore.pk)
    if taken.exists():
        raise slot_taken_error(appointment.starts_at)
    raise ValidationError(
        {"starts_at": _("Ce créneau n'est pas proposé pour ce type de consultation.")},
        code="slot_unavailable",
    )


def _save_in_slot(appointment: Appointment, update_fields: list[str] | None = None) -> None:
    try:
        with transaction.atomic():
            appointment.save(update_fields=update_fields)
    except IntegrityError:
        # Another booking of this instant committed first (the unique constraint).
        raise slot_taken_error(appointment.starts_at) from None


def _on_behalf(acting_user: User | None, appointment: Appointment) -> bool:
    return acting_user is None or acting_user.pk != appointment.patient_id


@transaction.atomic
def do_book_appointment(
    practitioner: Membership,
    patient: User,
    *,
    starts_at: datetime,
    kind: str,
    acting_user: User,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Book a free slot of ``practitioner`` for ``patient``: the patient for themself, or
    the organisation's desk for one of its patients."""
    _require(acting_user, "practitioner.book", practitioner)
    organisation = practitioner.organisation
    patient_membership = Membership.objects.filter(
        user=patient, organisation=organisation, role=Role.PATIENT
    ).first()
    if patient_membership is None or not has_perm(
        acting_user, "patient.book_for", patient_membership
    ):
        raise ValidationError({"patient": _("Ce patient n'est pas suivi par cette organisation.")})
    if kind not in ConsultationKind.values:
        raise ValidationError({"kind": _("Type de consultation inconnu.")})
    _lock_practitioner(practitioner.user)
    appointment = Appointment(
        organisation=organisation,
        practitioner=practitioner.user,
        patient=patient,
        booked_by=acting_user,
        starts_at=starts_at,
        ends_at=starts_at,
        kind=kind,
    )
    appointment.ends_at = _free_slot(appointment, now=now).ends_at
    _save_in_slot(appointment)
    record_event(
        "booking.created",
        actor=acting_user,
        request=request,
        organisation=organisation,
        target=appointment,
        data=_booking_data(appointment, acting_user),
    )
    mails.send_appointment_mail(appointment, mails.CONFIRMATION)
    if not _on_behalf(acting_user, appointment) and _is_today(appointment, now):
        # A patient seen today keeps their place at the edge if the platform is flooded.
        issue_priority_claim(request, patient, HIGH)
    return appointment


def _booking_data(appointment: Appointment, acting_user: User | None) -> dict[str, Any]:
    # Who, when and how — never why: no medical content in the log.
    return {
        **_practitioner_data(appointment.practitioner),
        "patient": str(appointment.patient.external_id),
        "kind": appointment.kind,
        "starts_at": appointment.starts_at.isoformat(),
        "on_behalf": _on_behalf(acting_user, appointment),
    }


def _is_today(appointment: Appointment, now: datetime | None) -> bool:
    zone = local_zone()
    today = (now or timezone.now()).astimezone(zone).date()
    return appointment.starts_at.astimezone(zone).date() == today


def _check_may_change(
    appointment: Appointment, acting_user: User | None, now: datetime | None
) -> None:
    """Raise unless ``acting_user`` may cancel or move ``appointment`` now."""
    if acting_user is not None:
        _require(acting_user, "appointment.cancel", appointment)
    if appointment.status != Appointment.Status.BOOKED:
        raise ValidationError(_("Ce rendez-vous n'est plus à venir : il ne peut plus être changé."))
    if acting_user is None or has_perm(
        acting_user, "appointment.manage_for_practitioner", appointment
    ):
        return
    deadline = appointment.starts_at - timedelta(hours=settings.CANCEL_DEADLINE_HOURS)
    if (now or timezone.now()) > deadline:
        raise ValidationError(
            _(
                "Ce rendez-vous commence dans moins de %(hours)d heures : il ne peut plus être "
                "annulé ni déplacé en ligne. Contactez votre établissement."
            )
            % {"hours": settings.CANCEL_DEADLINE_HOURS}
        )


def _locked(appointment: Appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update()
        .select_related("organisation", "practitioner", "patient")
        .get(pk=appointment.pk)
    )


@transaction.atomic
def do_cancel_appointment(
    appointment: Appointment,
    *,
    acting_user: User | None,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Cancel: the patient until the deadline, the practitioner and the desk at any time."""
    appointment = _locked(appointment)
    _check_may_change(appointment, acting_user, now)
    appointment.status = Appointment.Status.CANCELLED
    appointment.cancelled_at = timezone.now()
    appointment.cancelled_by = acting_user
    appointment.sequence += 1
    appointment.save(update_fields=["status", "cancelled_at", "cancelled_by", "sequence"])
    record_event(
        "booking.cancelled",
        actor=acting_user,
        request=request,
        organisation=appointment.organisation,
        target=appointment,
        data=_booking_data(appointment, acting_user),
    )
    mails.send_appointment_mail(appointment, mails.CANCELLATION)
    return appointment


@transaction.atomic
def do_reschedule_appointment(
    appointment: Appointment,
    *,
    starts_at: datetime,
    acting_user: User | None,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Move the appointment to another free slot of the same practitioner and kind. It
    keeps its identity (and its calendar UID); the reminder is due again."""
    _lock_practitioner(appointment.practitioner)
    appointment = _locked(appointment)
    _check_may_change(appointment, acting_user, now)
    previous = appointment.starts_at
    moved = Appointment(
        organisation=appointment.organisation,
        practitioner=appointment.practitioner,
        kind=appointment.kind,
        starts_at=starts_at,
    )
    slot = _free_slot(moved, now=now, ignore=appointment)
    appointment.starts_at, appointment.ends_at = slot.starts_at, slot.ends_at
    appointment.reminder_sent_at = None
    appointment.sequence += 1
    _save_in_slot(appointment, ["starts_at", "ends_at", "reminder_sent_at", "sequence"])
    record_event(
        "booking.rescheduled",
        actor=acting_user,
        request=request,
        organisation=appointment.organisation,
        target=appointment,
        data={
            **_booking_data(appointment, acting_user),
            "previous_starts_at": previous.isoformat(),
        },
    )
    mails.send_appointment_mail(appointment, mails.CONFIRMATION)
    return appointment


@transaction.atomic
def do_complete_appointment(
    appointment: Appointment, *, acting_user: User | None, request: HttpRequest | None = None
) -> Appointment:
    """Mark the appointment done (the consultation app calls it when the call ends).
    Completing it twice is harmless; a cancelled appointment cannot be completed."""
    appointment = _locked(appointment)
    if appointment.status == Appointment.Status.COMPLETED:
        return appointment
    if appointment.status != Appointment.Status.BOOKED:
        raise ValidationError(_("Un rendez-vous annulé ne peut pas être marqué comme terminé."))
    appointment.status = Appointment.Status.COMPLETED
    appointment.save(update_fields=["status"])
    record_event(
        "booking.completed",
        actor=acting_user,
        request=request,
        organisation=appointment.organisation,
        target=appointment,
        data=_practitioner_data(appointment.practitioner),
    )
    return appointment


def do_record_appointment_read(appointment: Appointment, *, request: HttpRequest) -> None:
    """Access audit (DESIGN §4 rule 2): a professional opened a patient's appointment."""
    if request.user.pk == appointment.patient_id:
        return
    record_event(
        "patient.record.viewed",
        request=request,
        organisation=appointment.organisation,
        target=appointment.patient,
        data={"reason": "appointment", "record": "appointment"},
    )
