"""What each participant is shown of a room: who is there, their place in the queue, and
whether the practitioner is here, busy elsewhere, or not yet connected."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from .models import Participant, Room

State = Participant.State


def queue_position(participant: Participant) -> int | None:
    """1 for the next patient the practitioner will see, counting every room of theirs
    today where someone waits, by appointment time."""
    if participant.state != State.WAITING:
        return None
    appointment = participant.room.appointment
    today = timezone.localdate()
    ahead = (
        Participant.objects.filter(
            state=State.WAITING,
            role=Participant.Role.PATIENT,
            connections__gt=0,
            room__appointment__practitioner_id=appointment.practitioner_id,
            room__appointment__starts_at__date=today,
            room__appointment__starts_at__lt=appointment.starts_at,
        )
        .exclude(room=participant.room)
        .count()
    )
    return ahead + 1


def practitioner_status(room: Room) -> str:
    """ "here", "busy" (in another consultation), or "away"."""
    practitioner_id = room.appointment.practitioner_id
    lead = room.participants.filter(user_id=practitioner_id).first()
    if lead is not None and lead.online:
        return "here"
    busy = Participant.objects.filter(
        user_id=practitioner_id,
        connections__gt=0,
        room__status=Room.Status.IN_PROGRESS,
    ).exists()
    return "busy" if busy else "away"


def state_for(room_id: int, participant_id: int) -> dict[str, Any]:
    room = Room.objects.select_related("appointment").get(pk=room_id)
    you = Participant.objects.select_related("room__appointment").get(pk=participant_id)
    lead = you.role == Participant.Role.PRACTITIONER
    people = room.participants.exclude(state=State.REFUSED).order_by("role", "pk")
    visible = [
        p
        for p in people
        if lead
        or p.pk == you.pk
        or p.state == State.ADMITTED
        or p.role == Participant.Role.PRACTITIONER
    ]
    return {
        "type": "state",
        "room": {"status": room.status, "mode": room.mode, "sas": room.sas},
        "you": {"id": str(you.external_id), "role": you.role, "state": you.state},
        "participants": [
            {
                "id": str(p.external_id),
                "name": p.display_name,
                "role": p.role,
                "state": p.state,
                "online": p.online,
            }
            for p in visible
        ],
        "position": queue_position(you),
        "practitioner": practitioner_status(room),
    }
