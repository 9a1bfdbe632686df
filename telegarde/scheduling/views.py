"""Booking pages (search, slots, my appointments) and the practitioner's side (agenda,
availability). Thin: access, validate, call the action, respond."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from telegarde.accounts.access import roles_in
from telegarde.accounts.http import AuthenticatedRequest
from telegarde.accounts.models import Membership, User

from . import actions
from .access import (
    DESK_ROLES,
    access_absence,
    access_appointment,
    access_availability,
    access_practitioner,
    appointments_for,
    bookable_practitioners,
    booking_organisations,
    managed_practitioners,
    patients_bookable_by,
)
from .forms import (
    AbsenceForm,
    BookingForm,
    RescheduleForm,
    SearchForm,
    SlotFilterForm,
    WeeklyAvailabilityForm,
    apply_errors,
)
from .models import Appointment, AvailabilityException, ConsultationKind, WeeklyAvailability
from .slots import free_slots, slots_by_day

DAYS_SHOWN = 7
Role = Membership.Role


def _submit[T](
    request: AuthenticatedRequest, form: Form, action: Callable[[], T], success: str
) -> T | None:
    """Run ``action`` for a valid ``form``: its result with a success message, or None
    with the action's error on the form (on the field it names)."""
    if not form.is_valid():
        return None
    try:
        result = action()
    except ValidationError as error:
        apply_errors(form, error)
        return None
    messages.success(request, success)
    return result


@require_GET
@login_required
def search(request: AuthenticatedRequest) -> HttpResponse:
    """Find a practitioner to book with, by specialty and organisation."""
    form = SearchForm(request.GET or None, list(booking_organisations(request.user)))
    found = None
    if form.is_valid():
        found = bookable_practitioners(
            request.user,
            specialty=form.cleaned_data["specialty"],
            organisation=form.chosen_organisation(),
        )
    elif not form.is_bound:
        found = bookable_practitioners(request.user)
    return render(request, "scheduling/search.html", {"form": form, "found": found})


def _desk_patients(user: User, membership: Membership) -> list[User] | None:
    """The patients the desk may book for here; None when ``user`` books for themself."""
    if not roles_in(user, membership.organisation) & set(DESK_ROLES):
        return None
    return list(patients_bookable_by(user, membership.organisation))


def _week(start: date | None) -> tuple[date, date]:
    first = max(start or timezone.localdate(), timezone.localdate())
    return first, first + timedelta(days=DAYS_SHOWN - 1)


@require_GET
@login_required
def practitioner_slots(request: AuthenticatedRequest, membership_id: uuid.UUID) -> HttpResponse:
    membership = access_practitioner(request.user, membership_id, "practitioner.book")
    return _slots_page(request, membership, BookingForm(None, user=request.user, patients=None))


def _slots_page(
    request: AuthenticatedRequest, membership: Membership, booking: BookingForm, status: int = 200
) -> HttpResponse:
    patients = _desk_patients(request.user, membership)
    query = request.GET if request.method == "GET" else request.POST
    filters = SlotFilterForm(query, patients)
    cleaned = filters.cleaned_data if filters.is_valid() else {}
    kind = cleaned.get("kind") or ConsultationKind.VIDEO
    first, last = _week(cleaned.get("start"))
    slots = free_slots(
        membership.user, first, last, organisation=membership.organisation, kind=kind
    )
    context = {
        "membership": membership,
        "filters": filters,
        "kind": kind,
        "patient": cleaned.get("patient", ""),
        "days": slots_by_day(slots),
        "booking": booking if booking.is_bound and booking.errors else None,
        "next_start": last + timedelta(days=1),
    }
    return render(request, "scheduling/slots.html", context, status=status)


@require_POST
@login_required
def book(request: AuthenticatedRequest, membership_id: uuid.UUID) -> HttpResponse:
    membership = access_practitioner(request.user, membership_id, "practitioner.book")
    patients = _desk_patients(request.user, membership)
    form = BookingForm(request.POST, user=request.user, patients=patients)
    appointment = _submit(
        request, form,
        lambda: actions.do_book_appointment(
            membership, form.cleaned_data["patient"], starts_at=form.cleaned_data["starts_at"],
            kind=form.cleaned_data["kind"], acting_user=request.user, request=request,
        ),
        _("Rendez-vous réservé. Une confirmation est envoyée."),
    )  # fmt: skip
    if appointment is not None:
        return redirect("scheduling:detail", appointment.external_id)
    return _slots_page(request, membership, form, status=400)


@require_GET
@login_required
def mine(request: AuthenticatedRequest) -> HttpResponse:
    """The patient's own appointments: upcoming ones first, then the past and cancelled."""
    own = appointments_for(request.user).filter(patient=request.user)
    upcoming = own.filter(status=Appointment.Status.BOOKED, ends_at__gte=timezone.now())
    past = own.exclude(pk__in=upcoming.values("pk")).order_by("-starts_at")[:50]
    return render(request, "scheduling/mine.html", {"upcoming": upcoming, "past": past})


@require_GET
@login_required
def agenda(request: AuthenticatedRequest) -> HttpResponse:
    """A practitioner's appointments, and the desk's for its organisations, from today."""
    if not managed_practitioners(request.user).exists():
        raise Http404("agenda")
    today = timezone.localdate()
    booked = (
        appointments_for(request.user)
        .exclude(patient=request.user)
        .filter(status=Appointment.Status.BOOKED, ends_at__gte=timezone.now())
    )
    rows = list(booked[:500])
    context = {
        "today": [a for a in rows if timezone.localdate(a.starts_at) == today],
        "later": [a for a in rows if timezone.localdate(a.starts_at) > today],
    }
    return render(request, "scheduling/agenda.html", context)


@require_GET
@login_required
def appointment_detail(request: AuthenticatedRequest, appointment_id: uuid.UUID) -> HttpResponse:
    appointment = access_appointment(request.user, appointment_id)
    actions.do_record_appointment_read(appointment, request=request)
    return render(request, "scheduling/detail.html", {"appointment": appointment})


@require_POST
@login_required
def cancel(request: AuthenticatedRequest, appointment_id: uuid.UUID) -> HttpResponse:
    appointment = access_appointment(request.user, appointment_id, "appointment.cancel")
    try:
        actions.do_cancel_appointment(appointment, acting_user=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Rendez-vous annulé."))
    return redirect("scheduling:detail", appointment.external_id)


@require_http_methods(["GET", "POST"])
@login_required
def reschedule(request: AuthenticatedRequest, appointment_id: uuid.UUID) -> HttpResponse:
    """Choose another free slot of the same practitioner, for the same kind."""
    appointment = access_appointment(request.user, appointment_id, "appointment.cancel")
    form = RescheduleForm(request.POST if request.method == "POST" else None)
    moved = _submit(
        request, form,
        lambda: actions.do_reschedule_appointment(
            appointment, starts_at=form.cleaned_data["starts_at"], acting_user=request.user,
            request=request,
        ),
        _("Rendez-vous déplacé. Une confirmation est envoyée."),
    )  # fmt: skip
    if moved is not None:
        return redirect("scheduling:detail", appointment.external_id)
    first = timezone.localdate()
    slots = free_slots(
        appointment.practitioner, first, first + timedelta(days=2 * DAYS_SHOWN),
        organisation=appointment.organisation, kind=appointment.kind, ignore=appointment,
    )  # fmt: skip
    context = {"appointment": appointment, "form": form, "days": slots_by_day(slots)}
    return render(
        request, "scheduling/reschedule.html", context, status=400 if form.errors else 200
    )


@require_GET
@login_required
def availability_index(request: AuthenticatedRequest) -> HttpResponse:
    """The practitioners whose availability one manages; straight to it when only one."""
    managed = list(managed_practitioners(request.user))
    if not managed:
        raise Http404("availability")
    if len(managed) == 1:
        return redirect("scheduling:availability", managed[0].external_id)
    return render(request, "scheduling/availability_index.html", {"managed": managed})


@require_http_methods(["GET", "POST"])
@login_required
def availability(request: AuthenticatedRequest, membership_id: uuid.UUID) -> HttpResponse:
    """Weekly openings and absences of one practitioner in one organisation; adds an opening."""
    membership = access_practitioner(request.user, membership_id, "availability.manage")
    form = WeeklyAvailabilityForm(request.POST if request.method == "POST" else None)
    added = _submit(
        request, form,
        lambda: actions.do_set_weekly_availability(
            membership, **form.cleaned_data, acting_user=request.user, request=request
        ),
        _("Disponibilité ajoutée."),
    )  # fmt: skip
    if added is not None:
        return redirect("scheduling:availability", membership.external_id)
    return _availability_page(request, membership, form, AbsenceForm(None))


def _availability_page(
    request: AuthenticatedRequest,
    membership: Membership,
    weekly: WeeklyAvailabilityForm,
    absence: AbsenceForm,
) -> HttpResponse:
    context: dict[str, Any] = {
        "membership": membership,
        "rules": WeeklyAvailability.objects.filter(
            practitioner=membership.user, organisation=membership.organisation
        ).order_by("weekday", "start_time"),
        "absences": AvailabilityException.objects.filter(
            practitioner=membership.user,
            organisation=membership.organisation,
            ends_at__gte=timezone.now(),
        ).order_by("starts_at"),
        "weekly_form": weekly,
        "absence_form": absence,
    }
    status = 400 if weekly.errors or absence.errors else 200
    return render(request, "scheduling/availability.html", context, status=status)


@require_POST
@login_required
def add_absence(request: AuthenticatedRequest, membership_id: uuid.UUID) -> HttpResponse:
    membership = access_practitioner(request.user, membership_id, "availability.manage")
    form = AbsenceForm(request.POST)
    absence = _submit(
        request, form,
        lambda: actions.do_add_absence(
            membership, **form.cleaned_data, acting_user=request.user, request=request
        ),
        _("Absence ajoutée : aucun créneau n'y sera proposé."),
    )  # fmt: skip
    if absence is not None:
        _warn_about_bookings_in(request, absence)
        return redirect("scheduling:availability", membership.external_id)
    return _availability_page(request, membership, WeeklyAvailabilityForm(None), form)


def _warn_about_bookings_in(request: AuthenticatedRequest, absence: AvailabilityException) -> None:
    inside = Appointment.objects.filter(
        practitioner=absence.practitioner,
        status=Appointment.Status.BOOKED,
        starts_at__lt=absence.ends_at,
        ends_at__gt=absence.starts_at,
    ).count()
    if inside:
        messages.warning(
            request,
            _("%(n)d rendez-vous déjà réservés tombent pendant cette absence : voyez l'agenda.")
            % {"n": inside},
        )


@require_POST
@login_required
def delete_availability(request: AuthenticatedRequest, availability_id: uuid.UUID) -> HttpResponse:
    rule = access_availability(request.user, availability_id)
    membership = _membership_of(rule.practitioner, rule.organisation_id)
    actions.do_delete_weekly_availability(rule, acting_user=request.user, request=request)
    messages.success(request, _("Disponibilité supprimée."))
    return redirect("scheduling:availability", membership.external_id)


@require_POST
@login_required
def delete_absence(request: AuthenticatedRequest, absence_id: uuid.UUID) -> HttpResponse:
    absence = access_absence(request.user, absence_id)
    membership = _membership_of(absence.practitioner, absence.organisation_id)
    actions.do_delete_absence(absence, acting_user=request.user, request=request)
    messages.success(request, _("Absence supprimée."))
    return redirect("scheduling:availability", membership.external_id)


def _membership_of(practitioner: User, organisation_id: int) -> Membership:
    return Membership.objects.get(
        user=practitioner, organisation_id=organisation_id, role=Role.PRACTITIONER
    )
