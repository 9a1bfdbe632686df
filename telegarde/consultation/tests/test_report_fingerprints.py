"""do_relay_description and do_report_fingerprints: the server's man-in-the-middle check."""

from __future__ import annotations

from telegarde.conftest import Personas, last_event
from telegarde.consultation.actions import do_relay_description, do_report_fingerprints
from telegarde.consultation.models import CallLeg, Participant, Room
from telegarde.core.models import SecurityEvent

from .fixtures import appointment_fixture, participant, room_fixture  # noqa: F401

PATIENT_FP = "sha-256 " + ":".join(["AA"] * 32)
DOCTOR_FP = "sha-256 " + ":".join(["BB"] * 32)
ATTACKER_FP = "sha-256 " + ":".join(["EE"] * 32)


def sdp(fingerprint: str) -> str:
    algorithm, value = fingerprint.split(" ")
    return (
        "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
        f"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=fingerprint:{algorithm} {value.lower()}\r\n"
    )


def relayed_call(personas: Personas, room: Room) -> tuple[Participant, Participant]:
    patient = participant(room, personas.patient)
    doctor = participant(room, personas.practitioner)
    do_relay_description(room, doctor, patient, sdp(DOCTOR_FP))
    do_relay_description(room, patient, doctor, sdp(PATIENT_FP))
    return patient, doctor


def test_it_remembers_the_fingerprints_it_relayed(personas: Personas, room: Room) -> None:
    patient, doctor = relayed_call(personas, room)

    leg = CallLeg.objects.get(sender=doctor, receiver=patient)
    assert leg.relayed_fingerprints == [DOCTOR_FP]


def test_it_replaces_them_on_a_new_offer(personas: Personas, room: Room) -> None:
    patient, doctor = relayed_call(personas, room)
    renewed = "sha-256 " + ":".join(["CC"] * 32)

    do_relay_description(room, doctor, patient, sdp(renewed))

    assert CallLeg.objects.get(sender=doctor, receiver=patient).relayed_fingerprints == [renewed]


def test_it_passes_a_consistent_report(personas: Personas, room: Room) -> None:
    patient, doctor = relayed_call(personas, room)

    assert do_report_fingerprints(room, patient, doctor, local=PATIENT_FP, remote=DOCTOR_FP)

    room.refresh_from_db()
    assert not room.fingerprint_mismatch
    event = last_event("consultation.signalling.fingerprint_verified")
    assert event.actor_id == str(personas.patient.external_id)
    assert event.data == {"reporter": str(patient.external_id), "peer": str(doctor.external_id)}
    assert not SecurityEvent.objects.filter(
        action="consultation.signalling.fingerprint_mismatch"
    ).exists()


def test_it_flags_a_local_fingerprint_other_than_the_one_relayed(
    personas: Personas, room: Room
) -> None:
    patient, doctor = relayed_call(personas, room)

    agreed = do_report_fingerprints(room, patient, doctor, local=ATTACKER_FP, remote=DOCTOR_FP)

    assert not agreed
    room.refresh_from_db()
    assert room.fingerprint_mismatch
    leg = CallLeg.objects.get(sender=patient, receiver=doctor)
    assert leg.mismatch
    assert leg.reported_local == ATTACKER_FP
    event = last_event("consultation.signalling.fingerprint_mismatch")
    assert event.outcome == "failure"
    assert event.data["sides"] == ["local"]


def test_it_flags_a_remote_fingerprint_other_than_the_one_relayed(
    personas: Personas, room: Room
) -> None:
    patient, doctor = relayed_call(personas, room)

    assert not do_report_fingerprints(room, doctor, patient, local=DOCTOR_FP, remote=ATTACKER_FP)

    room.refresh_from_db()
    assert room.fingerprint_mismatch
    assert last_event("consultation.signalling.fingerprint_mismatch").data["sides"] == ["remote"]


def test_it_flags_a_report_on_a_call_it_never_relayed(personas: Personas, room: Room) -> None:
    patient = participant(room, personas.patient)
    doctor = participant(room, personas.practitioner)

    assert not do_report_fingerprints(room, patient, doctor, local=PATIENT_FP, remote=DOCTOR_FP)
    assert last_event("consultation.signalling.fingerprint_mismatch").data["sides"] == [
        "local",
        "remote",
    ]
