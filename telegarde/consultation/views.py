"""Consultation pages: enter from an appointment, the room (waiting room, then call),
a guest's code, notes, the record, the history, and the public status page."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from telegarde.accounts.http import AuthenticatedRequest
from telegarde.core.claims import HIGH, issue_priority_claim
from telegarde.core.events import client_ip
from telegarde.core.vault import open_text
from telegarde.scheduling.models import Appointment

from . import actions
from .access import access_record, access_room, opens_at, remember_guest, rooms_for, too_early
from .forms import GuestCodeForm, GuestInvitationForm, NoteForm
from .models import ChatMessage, Participant, Room, StatusNotice
from .sas import words
from .turn import ice_configuration


@login_required
@require_http_methods(["GET", "POST"])
def enter(request: AuthenticatedRequest, appointment_id: uuid.UUID) -> HttpResponse:
    """From an appointment to its room (created on first entry)."""
    user = request.user
    appointment = (
        Appointment.objects.filter(external_id=appointment_id, status=Appointment.Status.BOOKED)
        .filter(patient=user)
        .union(
            Appointment.objects.filter(
                external_id=appointment_id, status=Appointment.Status.BOOKED, practitioner=user
            )
        )
        .first()
    )
    if appointment is None:
        raise Http404("appointment")
    lead = appointment.practitioner_id == user.pk
    role = Participant.Role.PRACTITIONER if lead else Participant.Role.PATIENT
    context = {"appointment": appointment, "opens_at": opens_at(Room(appointment=appointment))}
    if request.method == "GET":
        early = too_early(Room(appointment=appointment), Participant(role=role))
        return render(request, "consultation/enter.html", {**context, "early": early})
    room = actions.do_open_room(appointment)
    me = room.participants.get(user=user)
    if too_early(room, me):
        actions.do_record_early_entry(room, me, source_ip=client_ip(request))
        return render(request, "consultation/enter.html", {**context, "early": True}, status=409)
    # A consultation in progress goes first at the edge when the platform is saturated.
    issue_priority_claim(request, user, HIGH)
    return redirect("consultation:room", room_id=room.external_id)


@never_cache
@require_GET
def room(request: HttpRequest, room_id: uuid.UUID) -> HttpResponse:
    the_room, me = access_room(request.user, request.session, room_id)
    if too_early(the_room, me):
        context = {"appointment": the_room.appointment, "opens_at": opens_at(the_room)}
        return render(request, "consultation/enter.html", {**context, "early": True})
    if the_room.status == Room.Status.ENDED:
        if request.user.is_authenticated:
            return redirect("consultation:record", room_id=room_id)
        raise Http404("room")
    lead = me.role == Participant.Role.PRACTITIONER
    config = {
        "room": str(the_room.external_id),
        "me": str(me.external_id),
        "role": me.role,
        "socket": f"/ws/consultation/{the_room.external_id}/",
        "ice": ice_configuration(me.external_id.hex),
        "words": list(words()),
        "videoTimeout": settings.CALL_CONNECT_TIMEOUT,
        # An audio appointment, or a call already fallen back to audio, starts without video.
        "audioOnly": the_room.mode != Room.Mode.VIDEO or the_room.appointment.kind == "audio",
    }
    context = {
        "room": the_room,
        "me": me,
        "lead": lead,
        "config": config,
        "patient_phone": _patient_phone(the_room) if lead else "",
        "note_form": NoteForm(initial={"text": _note_text(the_room)}) if lead else None,
        "invite_form": GuestInvitationForm() if lead else None,
    }
    return render(request, "consultation/room.html", context)


def _patient_phone(the_room: Room) -> str:
    profile = getattr(the_room.appointment.patient, "patient", None)
    return str(getattr(profile, "phone", "") or "")


def _note_text(the_room: Room) -> str:
    note = getattr(the_room, "note", None)
    return open_text(f"note:{note.external_id}", note.sealed_body) if note else ""


@never_cache
@require_GET
def ice(request: HttpRequest, room_id: uuid.UUID) -> JsonResponse:
    """Fresh ICE servers (TURN credentials expire) for a reconnecting browser."""
    _room, me = access_room(request.user, request.session, room_id)
    return JsonResponse(ice_configuration(me.external_id.hex))


@login_required
@require_POST
def save_note(request: AuthenticatedRequest, room_id: uuid.UUID) -> JsonResponse:
    the_room, _me = access_room(request.user, request.session, room_id)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors}, status=400)
    try:
        actions.do_save_note(the_room, form.cleaned_data["text"], acting_user=request.user)
    except ValidationError as exc:
        return JsonResponse({"errors": {"text": exc.messages}}, status=400)
    return JsonResponse({"saved": timezone.now().isoformat()})


@login_required
@require_POST
def invite(request: AuthenticatedRequest, room_id: uuid.UUID) -> JsonResponse:
    the_room, _me = access_room(request.user, request.session, room_id)
    form = GuestInvitationForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors}, status=400)
    try:
        guest = actions.do_invite_guest(
            the_room, **form.cleaned_data, acting_user=request.user, request=request
        )
    except ValidationError as exc:
        return JsonResponse({"errors": {"__all__": exc.messages}}, status=400)
    return JsonResponse({"invited": str(guest.external_id)})


@never_cache
@require_http_methods(["GET", "POST"])
def guest(request: HttpRequest, room_id: uuid.UUID, participant_id: uuid.UUID) -> HttpResponse:
    """A guest proves they hold the one-time code mailed to them; the link alone is not enough."""
    the_room = Room.objects.filter(external_id=room_id).exclude(status=Room.Status.ENDED).first()
    if the_room is None:
        raise Http404("room")
    form = GuestCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        found = actions.do_redeem_guest_code(
            the_room, str(participant_id), form.cleaned_data["code"].strip(), request=request
        )
        if found is not None:
            request.session.cycle_key()
            remember_guest(request.session, the_room, found)
            return redirect("consultation:room", room_id=the_room.external_id)
        form.add_error("code", GuestCodeForm.base_fields["code"].error_messages["invalid"])
    return render(request, "consultation/guest.html", {"form": form})


@login_required
@require_GET
def history(request: AuthenticatedRequest) -> HttpResponse:
    rooms = rooms_for(request.user).filter(status=Room.Status.ENDED)[:100]
    return render(request, "consultation/history.html", {"rooms": rooms})


@login_required
@require_GET
def record(request: AuthenticatedRequest, room_id: uuid.UUID) -> HttpResponse:
    the_room = access_record(request.user, room_id)
    actions.do_record_consultation_read(the_room, request=request)
    chat = [
        (message, open_text(f"chat:{message.external_id}", message.sealed_body))
        for message in ChatMessage.objects.filter(room=the_room).select_related("author")
    ]
    lead = the_room.appointment.practitioner_id == request.user.pk
    context = {
        "room": the_room,
        "chat": chat,
        "note": _note_text(the_room) if lead else "",
        "lead": lead,
        "participants": the_room.participants.exclude(role=Participant.Role.PATIENT),
    }
    return render(request, "consultation/record.html", context)


@require_GET
def status(request: HttpRequest) -> HttpResponse:
    """Public: tells patients whether the service is degraded, without details that help
    an attacker."""
    now = timezone.now()
    notices = StatusNotice.objects.filter(starts_at__lte=now).exclude(ends_at__lt=now)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database_ok = True
    except Exception:
        database_ok = False
    levels = {n.level for n in notices}
    overall = (
        "outage"
        if not database_ok or StatusNotice.Level.OUTAGE in levels
        else "degraded"
        if levels
        else "ok"
    )
    response = render(
        request,
        "consultation/status.html",
        {"notices": notices, "overall": overall, "database_ok": database_ok},
    )
    response["Refresh"] = "60"
    return response
