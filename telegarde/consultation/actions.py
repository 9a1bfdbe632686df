"""State changes of consultations; each records its security event in the same transaction.

Consumers call these through ``database_sync_to_async``; what they return is what the
consumer broadcasts, after commit.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from telegarde.accounts.models import User
from telegarde.core.events import record_event
from telegarde.core.outbound import send_verified_mail
from telegarde.core.vault import seal_text
from telegarde.scheduling.actions import do_complete_appointment
from telegarde.scheduling.models import Appointment

from .models import CallLeg, ChatMessage, ConsultationNote, Participant, Room
from .sas import fingerprints_in_sdp

State = Participant.State
GUEST_CODE_DIGITS = 8
GUEST_CODE_ATTEMPTS = 5
MAX_CHAT_CHARS = 2000
MAX_NOTE_CHARS = 20000


def _event(action: str, room: Room, **kwargs: object) -> None:
    record_event(
        action,
        organisation=room.appointment.organisation,
        target=room,
        target_type="room",
        **kwargs,  # type: ignore[arg-type]
    )


@transaction.atomic
def do_open_room(appointment: Appointment) -> Room:
    """The appointment's room with its two participants (idempotent)."""
    room, created = Room.objects.get_or_create(appointment=appointment)
    if created:
        for user, role in (
            (appointment.patient, Participant.Role.PATIENT),
            (appointment.practitioner, Participant.Role.PRACTITIONER),
        ):
            Participant.objects.create(room=room, user=user, role=role, display_name=str(user))
        _event("consultation.room.opened", room, data={"appointment": str(appointment.external_id)})
    return room


@transaction.atomic
def do_join_room(participant: Participant, *, source_ip: str | None = None) -> Participant:
    """A connection of ``participant`` opened: patients and guests wait to be admitted;
    the practitioner is in their own room."""
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    participant.connections = F("connections") + 1
    now = timezone.now()
    if participant.role == Participant.Role.PRACTITIONER:
        participant.state = State.ADMITTED
        participant.admitted_at = participant.admitted_at or now
    elif participant.state in (State.AWAY, State.INVITED, State.LEFT):
        participant.state = State.WAITING
        participant.waiting_since = now
    participant.save(update_fields=["connections", "state", "waiting_since", "admitted_at"])
    participant.refresh_from_db()
    _event(
        "consultation.room.joined",
        participant.room,
        actor=participant.user,
        source_ip=source_ip,
        data={"participant": str(participant.external_id), "role": participant.role},
    )
    return participant


@transaction.atomic
def do_leave_room(participant: Participant, *, source_ip: str | None = None) -> Participant:
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    participant.connections = max(0, participant.connections - 1)
    if participant.connections == 0 and participant.state == State.WAITING:
        participant.state = State.AWAY
    participant.save(update_fields=["connections", "state"])
    _event(
        "consultation.room.left",
        participant.room,
        actor=participant.user,
        source_ip=source_ip,
        data={"participant": str(participant.external_id), "role": participant.role},
    )
    return participant


def _locked(room: Room) -> Room:
    """``room`` as committed, locked until the end of the transaction: a consumer holds
    its copy for the whole connection, and another connection may have ended the room."""
    return (
        Room.objects.select_related("appointment").select_for_update(of=("self",)).get(pk=room.pk)
    )


def _practitioner_of(room: Room, acting_user: User) -> None:
    if room.appointment.practitioner_id != acting_user.pk:
        raise ValidationError(_("Seul le professionnel de la consultation peut faire cela."))


@transaction.atomic
def do_admit_participant(room: Room, participant: Participant, *, acting_user: User) -> Room:
    _practitioner_of(room, acting_user)
    room = _locked(room)
    if room.status == Room.Status.ENDED:
        raise ValidationError(_("Cette consultation est terminée."))
    if participant.room_id != room.pk or participant.state != State.WAITING:
        raise ValidationError(_("Cette personne n'est pas en salle d'attente."))
    now = timezone.now()
    participant.state = State.ADMITTED
    participant.admitted_at = now
    participant.save(update_fields=["state", "admitted_at"])
    if room.status == Room.Status.OPEN:
        room.status = Room.Status.IN_PROGRESS
        room.started_at = now
        room.save(update_fields=["status", "started_at"])
    _event(
        "consultation.room.admitted",
        room,
        actor=acting_user,
        data={"participant": str(participant.external_id), "role": participant.role},
    )
    return room


@transaction.atomic
def do_refuse_participant(room: Room, participant: Participant, *, acting_user: User) -> None:
    _practitioner_of(room, acting_user)
    if participant.room_id != room.pk or participant.role == Participant.Role.PRACTITIONER:
        raise ValidationError(_("Cette personne ne peut pas être refusée."))
    participant.state = State.REFUSED
    participant.save(update_fields=["state"])
    _event(
        "consultation.room.refused",
        room,
        actor=acting_user,
        outcome="failure",
        data={"participant": str(participant.external_id), "role": participant.role},
    )


def _code_digest(participant_id: str, code: str) -> str:
    key = hashlib.sha256(b"telegarde.consultation.guest" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, f"{participant_id}:{code}".encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def do_invite_guest(
    room: Room,
    *,
    email: str,
    display_name: str,
    relation: str,
    acting_user: User,
    request: HttpRequest | None = None,
) -> Participant:
    """Invite a third participant; they get a one-time code by mail (never the link alone)."""
    _practitioner_of(room, acting_user)
    room = _locked(room)
    if room.status == Room.Status.ENDED:
        raise ValidationError(_("Cette consultation est terminée."))
    code = "".join(secrets.choice("0123456789") for _ in range(GUEST_CODE_DIGITS))
    guest = Participant(
        room=room,
        role=Participant.Role.GUEST,
        display_name=display_name.strip(),
        guest_email=email.strip(),
        guest_relation=relation,
        state=State.INVITED,
        code_expires=max(room.appointment.ends_at, timezone.now()) + timedelta(hours=2),
    )
    guest.code_hash = _code_digest(str(guest.external_id), code)
    guest.save()
    _event(
        "consultation.guest.invited",
        room,
        actor=acting_user,
        request=request,
        data={"participant": str(guest.external_id), "relation": relation},
    )
    send_verified_mail(
        recipient_email=guest.guest_email,
        recipient_id=str(guest.external_id),
        subject=_("Invitation à une téléconsultation"),
        template="consultation/mail/guest_invitation.txt",
        context={"guest": guest, "room": room, "code": code, "inviter": acting_user},
        purpose="consultation.guest.invited",
    )
    return guest


@transaction.atomic
def do_redeem_guest_code(
    room: Room, participant_id: str, code: str, *, request: HttpRequest
) -> Participant | None:
    """The guest whose one-time ``code`` this is, now spent; None when refused."""
    guest = (
        Participant.objects.select_for_update()
        .filter(room=room, role=Participant.Role.GUEST, external_id=participant_id)
        .first()
    )
    usable = (
        guest is not None
        and guest.code_used_at is None
        and guest.code_failures < GUEST_CODE_ATTEMPTS
        and guest.code_expires is not None
        and guest.code_expires > timezone.now()
        and guest.state != State.REFUSED
    )
    if guest is None or not usable:
        _event("consultation.guest.code_refused", room, request=request, outcome="failure")
        return None
    if not hmac.compare_digest(guest.code_hash, _code_digest(str(guest.external_id), code)):
        guest.code_failures += 1
        guest.save(update_fields=["code_failures"])
        _event(
            "consultation.guest.code_refused",
            room,
            request=request,
            outcome="failure",
            data={"participant": str(guest.external_id), "failures": guest.code_failures},
        )
        return None
    guest.code_used_at = timezone.now()
    guest.save(update_fields=["code_used_at"])
    _event(
        "consultation.guest.code_used",
        room,
        request=request,
        data={"participant": str(guest.external_id)},
    )
    return guest


@transaction.atomic
def do_relay_description(room: Room, sender: Participant, receiver: Participant, sdp: str) -> None:
    """Remember the DTLS fingerprints the server relayed from ``sender`` to ``receiver``."""
    leg, _created = CallLeg.objects.get_or_create(room=room, sender=sender, receiver=receiver)
    leg.relayed_fingerprints = sorted(fingerprints_in_sdp(sdp))
    leg.updated = timezone.now()
    leg.save(update_fields=["relayed_fingerprints", "updated"])


@transaction.atomic
def do_report_fingerprints(
    room: Room, reporter: Participant, peer: Participant, *, local: str, remote: str
) -> bool:
    """Compare what ``reporter`` says its connection to ``peer`` uses with what the server
    relayed between them. Returns False, and records the mismatch, when they differ: a
    party in the signalling path replaced a fingerprint."""
    sent, _created = CallLeg.objects.get_or_create(room=room, sender=reporter, receiver=peer)
    received = CallLeg.objects.filter(room=room, sender=peer, receiver=reporter).first()
    sent.reported_local, sent.reported_remote = local[:200], remote[:200]
    problems = []
    if local not in sent.relayed_fingerprints:
        problems.append("local")
    if received is None or remote not in received.relayed_fingerprints:
        problems.append("remote")
    sent.mismatch = bool(problems)
    sent.updated = timezone.now()
    sent.save(update_fields=["reported_local", "reported_remote", "mismatch", "updated"])
    if problems:
        Room.objects.filter(pk=room.pk).update(fingerprint_mismatch=True)
        _event(
            "consultation.signalling.fingerprint_mismatch",
            room,
            actor=reporter.user,
            outcome="failure",
            data={
                "reporter": str(reporter.external_id),
                "peer": str(peer.external_id),
                "sides": problems,
            },
        )
    else:
        _event(
            "consultation.signalling.fingerprint_verified",
            room,
            actor=reporter.user,
            data={"reporter": str(reporter.external_id), "peer": str(peer.external_id)},
        )
    return not problems


@transaction.atomic
def do_record_sas_result(room: Room, *, matched: bool, acting_user: User) -> Room:
    """The practitioner compared the words aloud: "different" ends the call."""
    _practitioner_of(room, acting_user)
    room = _locked(room)
    if matched:
        room.sas = Room.Sas.CONFIRMED
        room.save(update_fields=["sas"])
        _event("consultation.sas.confirmed", room, actor=acting_user)
        return room
    room.sas = Room.Sas.MISMATCH
    room.save(update_fields=["sas"])
    _event("consultation.sas.mismatch", room, actor=acting_user, outcome="failure")
    return do_end_consultation(room, acting_user=acting_user, reason="sas_mismatch")


@transaction.atomic
def do_post_chat_message(room: Room, author: Participant, text: str) -> ChatMessage:
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Le message est vide.")})
    if len(text) > MAX_CHAT_CHARS:
        raise ValidationError(
            {"text": _("Le message dépasse %(n)d caractères.") % {"n": MAX_CHAT_CHARS}}
        )
    message = ChatMessage(room=room, author=author)
    message.sealed_body = seal_text(f"chat:{message.external_id}", text)
    message.save()
    return message


@transaction.atomic
def do_save_note(room: Room, text: str, *, acting_user: User) -> ConsultationNote:
    _practitioner_of(room, acting_user)
    if len(text) > MAX_NOTE_CHARS:
        raise ValidationError(
            {"text": _("La note dépasse %(n)d caractères.") % {"n": MAX_NOTE_CHARS}}
        )
    note = ConsultationNote.objects.filter(room=room).first() or ConsultationNote(
        room=room, author=acting_user
    )
    note.author = acting_user
    note.sealed_body = seal_text(f"note:{note.external_id}", text)
    note.updated = timezone.now()
    note.save()
    _event("consultation.note.saved", room, actor=acting_user, data={"length": len(text)})
    return note


FALLBACK_STEPS = {"audio": Room.Mode.AUDIO, "phone": Room.Mode.PHONE}


@transaction.atomic
def do_use_fallback(room: Room, step: str, *, actor: User | None, reason: str) -> Room:
    """Video failed: audio only; audio failed: the practitioner phones the patient."""
    if step not in FALLBACK_STEPS:
        raise ValidationError({"step": _("Mode de repli inconnu.")})
    if step == "phone" and room.appointment.practitioner_id != getattr(actor, "pk", None):
        raise ValidationError(_("Seul le professionnel peut passer au téléphone."))
    room.mode = FALLBACK_STEPS[step]
    room.save(update_fields=["mode"])
    _event(
        "consultation.fallback.used",
        room,
        actor=actor,
        outcome="failure" if reason == "timeout" else "success",
        data={"step": step, "reason": reason[:64]},
    )
    return room


@transaction.atomic
def do_end_consultation(room: Room, *, acting_user: User, reason: str = "hangup") -> Room:
    _practitioner_of(room, acting_user)
    room = _locked(room)
    if room.status == Room.Status.ENDED:
        return room
    room.status = Room.Status.ENDED
    room.ended_at = timezone.now()
    room.save(update_fields=["status", "ended_at"])
    Participant.objects.filter(room=room).exclude(state=State.REFUSED).update(state=State.LEFT)
    if room.appointment.status == Appointment.Status.BOOKED:
        do_complete_appointment(room.appointment, acting_user=acting_user)
    _event("consultation.ended", room, actor=acting_user, data={"reason": reason})
    return room


def do_record_consultation_read(room: Room, *, request: HttpRequest) -> None:
    """Access audit: someone other than the patient read the consultation record."""
    patient = room.appointment.patient
    if request.user.pk == patient.pk:
        return
    record_event(
        "patient.record.viewed",
        request=request,
        organisation=room.appointment.organisation,
        target=patient,
        data={"reason": "appointment", "record": "consultation", "room": str(room.external_id)},
    )


def do_record_early_entry(room: Room, participant: Participant, *, source_ip: str | None) -> None:
    """A patient or guest tried to enter before the waiting room opens."""
    _event(
        "consultation.room.too_early",
        room,
        actor=participant.user,
        source_ip=source_ip,
        outcome="failure",
        data={"participant": str(participant.external_id), "role": participant.role},
    )


def do_record_refused_message(
    room: Room, participant: Participant, *, field: str, source_ip: str | None
) -> None:
    """A signalling message was refused (malformed, oversized, not allowed yet)."""
    _event(
        "consultation.signalling.refused",
        room,
        actor=participant.user,
        source_ip=source_ip,
        outcome="failure",
        data={"participant": str(participant.external_id), "field": field[:64]},
    )
