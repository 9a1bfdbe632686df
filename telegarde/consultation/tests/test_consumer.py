"""The signalling WebSocket, over the real ASGI stack (origin check, sessions, routing)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers
from django.db import connections, transaction
from django.test import Client

from telegarde.accounts.models import User, UserSession
from telegarde.accounts.sessions import do_revoke_sessions
from telegarde.conftest import Personas, sign_in
from telegarde.consultation.actions import do_end_consultation, do_open_room
from telegarde.consultation.consumers import RATE_BURST
from telegarde.consultation.models import Participant, Room
from telegarde.core.models import SecurityEvent
from telegarde.scheduling.models import Appointment

from .fixtures import invite_guest, mailed_guest_code, make_appointment
from .websocket import Socket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

DOCTOR_FP = "sha-256 " + ":".join(["D0"] * 32)
PATIENT_FP = "sha-256 " + ":".join(["5A"] * 32)
ATTACKER_FP = "sha-256 " + ":".join(["BA"] * 32)


@pytest.fixture(autouse=True)
def no_live_detection(settings: Any) -> None:
    """The live detection worker writes from its own thread after each committed event:
    on SQLite's shared in-memory test database that locks the tables under the test."""
    settings.DETECTION_MODE = "off"


def sdp(fingerprint: str) -> str:
    algorithm, value = fingerprint.split(" ")
    return (
        "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
        f"a=fingerprint:{algorithm} {value}\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    )


def session_of(user: User) -> str:
    return str(sign_in(Client(), user).session.session_key)


@dataclass
class Call:
    personas: Personas
    room: Room
    patient_id: str
    doctor_id: str
    path: str


@pytest.fixture
def call(personas: Personas) -> Call:
    room = do_open_room(make_appointment(personas))
    people = {p.role: str(p.external_id) for p in room.participants.all()}
    return Call(
        personas,
        room,
        people["patient"],
        people["practitioner"],
        f"/ws/consultation/{room.external_id}/",
    )


Opener = Callable[..., Awaitable[Socket]]


@pytest_asyncio.fixture
async def open_socket(call: Call) -> AsyncIterator[Opener]:
    """Opens sockets to the call's room (as ``user``, or with a raw ``session_key``), and
    disconnects them all at the end, so a consumer that crashed fails the test."""
    # Each test runs its own event loop: the layer (Redis pools and locks) is per loop.
    channel_layers.backends.clear()
    opened: list[Socket] = []

    async def opener(
        user: User | None = None, *, session_key: str | None = None, accepted: bool = True
    ) -> Socket:
        if user is not None:
            session_key = await sync_to_async(session_of)(user)
        socket = Socket(call.path, session_key)
        opened.append(socket)
        refused = await socket.connect()
        if accepted:
            assert refused is None, f"refused with {refused}"
        else:
            socket.refused = refused
        return socket

    yield opener
    for socket in opened:
        await socket.disconnect()
    layer = channel_layers.backends.pop(DEFAULT_CHANNEL_LAYER, None)
    if layer is not None:
        await layer.flush()
    # The consumers' database thread keeps its connection; PostgreSQL would not drop the
    # test database at the end with it open.
    await sync_to_async(connections.close_all)()


async def admitted_call(call: Call, open_socket: Opener) -> tuple[Socket, Socket]:
    """The practitioner and the patient, both in the call."""
    doctor = await open_socket(call.personas.practitioner)
    patient = await open_socket(call.personas.patient)
    await doctor.until(lambda m: m["type"] == "state" and waiting(m, call.patient_id))
    await doctor.send_json({"type": "admit", "participant": call.patient_id})
    await patient.until(lambda m: m["type"] == "state" and m["you"]["state"] == "admitted")
    await doctor.until(lambda m: m["type"] == "state" and admitted(m, call.patient_id))
    return doctor, patient


def person(state: dict[str, Any], who: str) -> dict[str, Any] | None:
    return next((p for p in state["participants"] if p["id"] == who), None)


def waiting(state: dict[str, Any], who: str) -> bool:
    found = person(state, who)
    return found is not None and found["state"] == "waiting" and found["online"]


def admitted(state: dict[str, Any], who: str) -> bool:
    found = person(state, who)
    return found is not None and found["state"] == "admitted"


@sync_to_async
def fresh(room: Room) -> Room:
    return Room.objects.select_related("appointment").get(pk=room.pk)


# --- who may connect ------------------------------------------------------------------


@pytest.mark.parametrize("who", ["outsider", "other_patient", "other_practitioner", "staff"])
async def test_it_refuses_people_outside_the_appointment(
    call: Call, open_socket: Opener, who: str
) -> None:
    socket = await open_socket(getattr(call.personas, who), accepted=False)

    assert socket.refused == 4403


async def test_it_refuses_an_anonymous_visitor(open_socket: Opener) -> None:
    assert (await open_socket(accepted=False)).refused == 4403
    socket = await open_socket(session_key="not-a-session", accepted=False)
    assert socket.refused == 4403


async def test_it_refuses_a_revoked_session(call: Call, open_socket: Opener) -> None:
    patient = call.personas.patient
    key = await sync_to_async(session_of)(patient)
    await sync_to_async(do_revoke_sessions)(patient, reason="test", acting_user=None)

    assert (await open_socket(session_key=key, accepted=False)).refused == 4403


async def test_it_refuses_a_session_no_longer_listed(call: Call, open_socket: Opener) -> None:
    key = await sync_to_async(session_of)(call.personas.patient)
    await sync_to_async(lambda: UserSession.objects.filter(session_key=key).delete())()

    assert (await open_socket(session_key=key, accepted=False)).refused == 4403


async def test_it_refuses_a_foreign_origin(call: Call) -> None:
    key = await sync_to_async(session_of)(call.personas.patient)
    socket = Socket(call.path, key)
    socket.scope["headers"] = [
        (b"origin", b"https://evil.example") if name == b"origin" else (name, value)
        for name, value in socket.scope["headers"]
    ]

    assert await socket.connect() is not None
    joined = SecurityEvent.objects.filter(action="consultation.room.joined").exists
    assert not await sync_to_async(joined)()


async def test_it_closes_an_ended_room(call: Call, open_socket: Opener) -> None:
    await sync_to_async(do_end_consultation)(call.room, acting_user=call.personas.practitioner)

    assert (await open_socket(call.personas.patient, accepted=False)).refused == 4410


# --- waiting room ---------------------------------------------------------------------


async def test_it_puts_the_patient_first_in_the_queue(call: Call, open_socket: Opener) -> None:
    patient = await open_socket(call.personas.patient)

    state = await patient.next("state")

    assert state["you"] == {"id": call.patient_id, "role": "patient", "state": "waiting"}
    assert state["position"] == 1
    assert state["practitioner"] == "away"
    assert state["room"] == {"status": "open", "mode": "video", "sas": "pending"}


async def test_it_counts_patients_ahead_with_the_same_practitioner(
    call: Call, open_socket: Opener
) -> None:
    @sync_to_async
    def earlier_patient_waits() -> None:
        other = call.personas.other_patient
        earlier = do_open_room(make_appointment(call.personas, patient=other, minutes_from_now=-15))
        Participant.objects.filter(room=earlier, role="patient").update(
            state="waiting", connections=1
        )

    await earlier_patient_waits()
    patient = await open_socket(call.personas.patient)

    assert (await patient.next("state"))["position"] == 2


async def test_it_tells_the_patient_the_practitioner_arrived(
    call: Call, open_socket: Opener
) -> None:
    patient = await open_socket(call.personas.patient)
    await patient.next("state")

    await open_socket(call.personas.practitioner)

    state = await patient.until(lambda m: m["type"] == "state" and m["practitioner"] == "here")
    assert state["you"]["state"] == "waiting"
    assert [p["role"] for p in state["participants"]] == ["patient", "practitioner"]


async def test_it_shows_the_practitioner_who_waits_and_admits_them(
    call: Call, open_socket: Opener
) -> None:
    doctor = await open_socket(call.personas.practitioner)
    mine = await doctor.next("state")
    assert mine["you"]["state"] == "admitted"
    patient = await open_socket(call.personas.patient)

    await doctor.until(lambda m: m["type"] == "state" and waiting(m, call.patient_id))
    await doctor.send_json({"type": "admit", "participant": call.patient_id})

    state = await patient.until(lambda m: m["type"] == "state" and m["you"]["state"] != "waiting")
    assert state["you"]["state"] == "admitted"
    assert state["room"]["status"] == "in_progress"
    assert (await fresh(call.room)).status == Room.Status.IN_PROGRESS
    assert await sync_to_async(
        SecurityEvent.objects.filter(action="consultation.room.admitted").exists
    )()


async def test_it_lets_only_the_practitioner_admit(call: Call, open_socket: Opener) -> None:
    patient = await open_socket(call.personas.patient)
    await patient.next("state")

    await patient.send_json({"type": "admit", "participant": call.patient_id})

    error = await patient.next("error")
    assert error["field"] == "action"
    state = await sync_to_async(
        lambda: Participant.objects.get(external_id=call.patient_id).state
    )()
    assert state == "waiting"


async def test_it_closes_the_socket_of_a_refused_person(call: Call, open_socket: Opener) -> None:
    doctor = await open_socket(call.personas.practitioner)
    patient = await open_socket(call.personas.patient)
    await doctor.until(lambda m: m["type"] == "state" and waiting(m, call.patient_id))

    await doctor.send_json({"type": "refuse", "participant": call.patient_id})

    seen, code = await patient.closed()
    assert code == 4403
    assert {"type": "refused"} in seen


# --- the call ----------------------------------------------------------------------


async def test_it_relays_offers_answers_and_candidates_between_admitted_people(
    call: Call, open_socket: Opener
) -> None:
    doctor, patient = await admitted_call(call, open_socket)
    offer = {"type": "offer", "sdp": sdp(DOCTOR_FP)}
    answer = {"type": "answer", "sdp": sdp(PATIENT_FP)}
    candidate = {"candidate": "candidate:1 1 udp 1 192.0.2.1 9 typ host", "sdpMLineIndex": 0}

    await doctor.send_json({"type": "offer", "to": call.patient_id, "description": offer})
    assert await patient.next("offer") == {
        "type": "offer",
        "description": offer,
        "from": call.doctor_id,
    }
    await patient.send_json({"type": "answer", "to": call.doctor_id, "description": answer})
    assert (await doctor.next("answer"))["description"] == answer
    await patient.send_json({"type": "candidate", "to": call.doctor_id, "candidate": candidate})
    relayed = await doctor.next("candidate")
    assert relayed == {"type": "candidate", "candidate": candidate, "from": call.patient_id}


async def test_it_relays_nothing_from_a_waiting_patient(call: Call, open_socket: Opener) -> None:
    doctor = await open_socket(call.personas.practitioner)
    patient = await open_socket(call.personas.patient)
    await patient.next("state")
    offer = {"type": "offer", "sdp": sdp(ATTACKER_FP)}

    await patient.send_json({"type": "offer", "to": call.doctor_id, "description": offer})

    assert (await patient.next("error"))["field"] == "action"
    await doctor.send_json({"type": "offer", "to": call.patient_id, "description": offer})
    assert (await doctor.next("error"))["field"] == "to"
    await doctor.send_json({"type": "ping"})
    await patient.send_json({"type": "ping"})
    assert await patient.until(lambda m: m["type"] in ("pong", "offer")) == {"type": "pong"}


async def test_it_flags_a_fingerprint_other_than_the_one_relayed_to_the_call_only(
    call: Call, open_socket: Opener
) -> None:
    doctor, patient = await admitted_call(call, open_socket)
    guest_key = await sync_to_async(redeemed_guest_session)(call)
    guest = await open_socket(session_key=guest_key)
    assert (await guest.next("state"))["you"]["state"] == "waiting"
    for sender, to, kind, fingerprint in (
        (doctor, call.patient_id, "offer", DOCTOR_FP),
        (patient, call.doctor_id, "answer", PATIENT_FP),
    ):
        description = {"type": kind, "sdp": sdp(fingerprint)}
        await sender.send_json({"type": kind, "to": to, "description": description})
    await patient.next("offer")
    await doctor.next("answer")

    await doctor.send_json(
        {"type": "fingerprints", "peer": call.patient_id, "local": DOCTOR_FP, "remote": PATIENT_FP}
    )
    await doctor.send_json({"type": "ping"})
    assert (await doctor.until(lambda m: m["type"] != "state")) == {"type": "pong"}
    assert not (await fresh(call.room)).fingerprint_mismatch

    await patient.send_json(
        {"type": "fingerprints", "peer": call.doctor_id, "local": PATIENT_FP, "remote": ATTACKER_FP}
    )

    assert await doctor.next("fingerprint_mismatch") == {"type": "fingerprint_mismatch"}
    assert await patient.next("fingerprint_mismatch") == {"type": "fingerprint_mismatch"}
    assert (await fresh(call.room)).fingerprint_mismatch
    await guest.send_json({"type": "ping"})
    warned = await guest.until(lambda m: m["type"] in ("fingerprint_mismatch", "pong"))
    assert warned == {"type": "pong"}


async def test_it_broadcasts_chat_to_the_call(call: Call, open_socket: Opener) -> None:
    doctor, patient = await admitted_call(call, open_socket)

    await patient.send_json({"type": "chat", "text": "  J'entends mal  "})

    for socket in (doctor, patient):
        message = await socket.next("chat")
        assert message["text"] == "J'entends mal"
        assert message["from"] == call.patient_id
        assert message["author"] == call.personas.patient.display_name


async def test_it_keeps_the_chat_from_a_guest_still_waiting(
    call: Call, open_socket: Opener
) -> None:
    doctor, patient = await admitted_call(call, open_socket)
    guest_key = await sync_to_async(redeemed_guest_session)(call)
    guest = await open_socket(session_key=guest_key)
    assert (await guest.next("state"))["you"]["state"] == "waiting"

    await patient.send_json({"type": "chat", "text": "Mes résultats d'analyse"})
    await doctor.next("chat")
    await guest.send_json({"type": "ping"})

    assert await guest.until(lambda m: m["type"] in ("chat", "pong")) == {"type": "pong"}
    await guest.send_json({"type": "chat", "text": "Bonjour"})
    assert (await guest.next("error"))["field"] == "action"


def redeemed_guest_session(call: Call) -> str:
    """An interpreter invited by the practitioner, who entered their code in a browser."""
    with transaction.atomic():
        guest = invite_guest(call.room, call.personas.practitioner)
    code = mailed_guest_code()
    browser = Client()
    response = browser.post(
        f"/consultation/{call.room.external_id}/invite/{guest.external_id}/",
        {"code": code},
    )
    assert response.status_code == 302
    return str(browser.session.session_key)


# --- what is refused ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "field"),
    [
        ('{"type": "chat"}', "text"),
        ('{"type": "chat", "text": 3}', "text"),
        ('{"type": "teleport"}', "type"),
        ('{"type": "ping", "extra": 1}', "extra"),
        ("pas du json", "message"),
        ("[" * 30000 + "]" * 30000, "message"),
        ('{"type": "admit", "participant": "00000000-0000-0000-0000-000000000000"}', "participant"),
    ],
)
async def test_it_answers_an_invalid_message_with_the_field(
    call: Call, open_socket: Opener, sent: str, field: str
) -> None:
    doctor = await open_socket(call.personas.practitioner)

    await doctor.send_text(sent)

    assert (await doctor.next("error"))["field"] == field
    await doctor.send_json({"type": "ping"})
    assert (await doctor.until(lambda m: m["type"] != "state")) == {"type": "pong"}


async def test_it_records_a_refused_message_once_per_field(call: Call, open_socket: Opener) -> None:
    patient = await open_socket(call.personas.patient)

    for _ in range(3):
        await patient.send_text('{"type": "nonsense"}')
        await patient.next("error")

    refusals = await sync_to_async(
        lambda: list(SecurityEvent.objects.filter(action="consultation.signalling.refused"))
    )()
    assert len(refusals) == 1
    assert refusals[0].data["field"] == "type"
    assert refusals[0].outcome == "failure"


async def test_a_second_tab_takes_over_and_the_first_is_closed(
    call: Call, open_socket: Opener
) -> None:
    first = await open_socket(call.personas.patient)
    await first.next("state")
    second = await open_socket(call.personas.patient)

    seen, code = await first.closed()
    assert code == 4409
    assert {"type": "superseded"} in seen
    await second.send_json({"type": "ping"})
    assert (await second.until(lambda m: m["type"] != "state")) == {"type": "pong"}


async def test_it_keeps_a_patient_out_until_the_waiting_room_opens(
    call: Call, open_socket: Opener
) -> None:
    later = call.room.appointment.starts_at + timedelta(hours=3)
    await sync_to_async(Appointment.objects.filter(pk=call.room.appointment.pk).update)(
        starts_at=later, ends_at=later + timedelta(minutes=15)
    )

    assert (await open_socket(call.personas.patient, accepted=False)).refused == 4425
    event = await sync_to_async(
        SecurityEvent.objects.filter(action="consultation.room.too_early").get
    )()
    assert event.actor_id == str(call.personas.patient.external_id)
    # The practitioner may open their room at any time.
    await open_socket(call.personas.practitioner)


async def test_it_closes_a_connection_that_floods(call: Call, open_socket: Opener) -> None:
    patient = await open_socket(call.personas.patient)

    for _ in range(int(RATE_BURST) + 40):
        await patient.send_json({"type": "ping"})

    seen, code = await patient.closed()
    assert code == 4429
    assert any(m["type"] == "error" and m["field"] == "rate" for m in seen)


async def test_it_closes_a_message_too_big(call: Call, open_socket: Opener) -> None:
    patient = await open_socket(call.personas.patient)

    await patient.send_text("x" * (64 * 1024 + 1))

    assert (await patient.closed())[1] == 1009


# --- the end -----------------------------------------------------------------------


async def test_it_ends_the_call_for_everyone_when_the_practitioner_hangs_up(
    call: Call, open_socket: Opener
) -> None:
    doctor, patient = await admitted_call(call, open_socket)

    await doctor.send_json({"type": "hangup"})

    for socket in (doctor, patient):
        seen, code = await socket.closed()
        assert code == 4410
        assert {"type": "ended", "reason": "hangup"} in seen
    room = await fresh(call.room)
    assert room.status == Room.Status.ENDED
    assert room.appointment.status == Appointment.Status.COMPLETED


async def test_it_lets_only_the_practitioner_hang_up_for_everyone(
    call: Call, open_socket: Opener
) -> None:
    _doctor, patient = await admitted_call(call, open_socket)

    await patient.send_json({"type": "hangup"})

    assert (await patient.next("error"))["field"] == "action"
    assert (await fresh(call.room)).status == Room.Status.IN_PROGRESS


async def test_it_ends_the_call_when_the_words_differ(call: Call, open_socket: Opener) -> None:
    doctor, patient = await admitted_call(call, open_socket)

    await doctor.send_json({"type": "sas", "result": "different"})

    for socket in (doctor, patient):
        seen, code = await socket.closed()
        assert (code, seen[-1]) == (4410, {"type": "ended", "reason": "sas_mismatch"})
    room = await fresh(call.room)
    assert (room.sas, room.status) == (Room.Sas.MISMATCH, Room.Status.ENDED)


async def test_it_falls_back_to_audio_for_everyone(call: Call, open_socket: Opener) -> None:
    doctor, patient = await admitted_call(call, open_socket)

    await patient.send_json({"type": "fallback", "step": "audio", "reason": "timeout"})

    state = await doctor.until(lambda m: m["type"] == "state" and m["room"]["mode"] == "audio")
    assert state["room"]["mode"] == "audio"
    await patient.send_json({"type": "fallback", "step": "phone", "reason": "choice"})
    assert (await patient.next("error"))["field"] == "action"
