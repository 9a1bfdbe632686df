"""Who may enter a consultation room and read its record (registered rules).

A room link alone never grants entry: the person is the appointment's patient or
practitioner (signed in), or a guest who redeemed their one-time code in this session.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from telegarde.accounts.models import User
from telegarde.core.permissions import has_perm, rule

from .models import Participant, Room

GUEST_SESSION_KEY = "telegarde.consultation.guests"


def rooms_for(user: User) -> QuerySet[Room]:
    """Rooms of the user's own appointments, as patient or practitioner."""
    return (
        Room.objects.filter(Q(appointment__patient=user) | Q(appointment__practitioner=user))
        .select_related("appointment", "appointment__practitioner", "appointment__patient")
        .order_by("-appointment__starts_at")
    )


def participant_in(room: Room, user: Any, session: SessionBase) -> Participant | None:
    """The participant this visitor is in ``room``, or None (outsiders, used codes)."""
    if user is not None and user.is_authenticated and user.is_active:
        found = room.participants.filter(user=user).first()
        if found is not None:
            return found
    guests = session.get(GUEST_SESSION_KEY, {})
    guest_id = guests.get(str(room.external_id)) if isinstance(guests, dict) else None
    if guest_id:
        return room.participants.filter(
            external_id=guest_id, role=Participant.Role.GUEST, code_used_at__isnull=False
        ).first()
    return None


def remember_guest(session: SessionBase, room: Room, guest: Participant) -> None:
    guests = dict(session.get(GUEST_SESSION_KEY, {}))
    guests[str(room.external_id)] = str(guest.external_id)
    session[GUEST_SESSION_KEY] = guests


def access_room(
    user: Any, session: SessionBase, external_id: uuid.UUID
) -> tuple[Room, Participant]:
    """The room and who the visitor is in it, or the same 404 for missing and forbidden."""
    room = (
        Room.objects.select_related(
            "appointment",
            "appointment__practitioner",
            "appointment__patient",
            "appointment__organisation",
        )
        .filter(external_id=external_id)
        .first()
    )
    participant = participant_in(room, user, session) if room is not None else None
    if room is None or participant is None or participant.state == Participant.State.REFUSED:
        raise Http404("room")
    return room, participant


def opens_at(room: Room) -> datetime:
    """When patients and guests may enter the waiting room."""
    minutes = settings.ROOM_OPENS_MINUTES_BEFORE
    return room.appointment.starts_at - timedelta(minutes=minutes)


def too_early(room: Room, participant: Participant) -> bool:
    """True for a patient or guest before the waiting room opens (never the practitioner)."""
    if participant.role == Participant.Role.PRACTITIONER:
        return False
    return timezone.now() < opens_at(room)


def access_record(user: User, external_id: uuid.UUID) -> Room:
    """A consultation record: its patient, or its practitioner."""
    room = rooms_for(user).filter(external_id=external_id).first()
    if room is None or not has_perm(user, "consultation.view_record", room):
        raise Http404("consultation")
    return room


@rule("consultation.view_record")
def _view_record(user: User, room: Any) -> bool:
    if not isinstance(room, Room):
        return False
    return user.pk in (room.appointment.patient_id, room.appointment.practitioner_id)


@rule("consultation.lead")
def _lead(user: User, room: Any) -> bool:
    return isinstance(room, Room) and room.appointment.practitioner_id == user.pk
