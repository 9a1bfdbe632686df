"""My appointments, one appointment, cancel and move it; the agenda of the care team."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from telegarde.accounts.models import Membership
from telegarde.conftest import Personas, last_event
from telegarde.scheduling.actions import do_book_appointment
from telegarde.scheduling.models import Appointment

from .conftest import next_free


@pytest.fixture
def appointment(personas: Personas, practitioner: Membership) -> Appointment:
    return do_book_appointment(
        practitioner, personas.patient, starts_at=next_free(practitioner) + timedelta(days=2),
        kind="video", acting_user=personas.patient,
    )  # fmt: skip


def detail_url(appointment: Appointment, rest: str = "") -> str:
    return f"/rendez-vous/{appointment.external_id}/{rest}"


STRANGERS = ["other_patient", "other_practitioner", "outsider", "security_officer"]


def test_the_patient_sees_their_upcoming_appointment(
    personas: Personas, appointment: Appointment, login: Any
) -> None:
    page = login(personas.patient).get("/rendez-vous/mes-rendez-vous/").content.decode()
    assert detail_url(appointment) in page
    assert "Paul Praticien" in page


def test_another_patients_list_does_not_show_it(
    personas: Personas, appointment: Appointment, login: Any
) -> None:
    page = login(personas.other_patient).get("/rendez-vous/mes-rendez-vous/").content.decode()
    assert str(appointment.external_id) not in page


@pytest.mark.parametrize("who", ["patient", "practitioner", "staff"])
def test_the_patient_the_practitioner_and_the_desk_open_it(
    personas: Personas, appointment: Appointment, login: Any, who: str
) -> None:
    response = login(getattr(personas, who)).get(detail_url(appointment))
    assert response.status_code == 200
    assert "Test PATIENTE" in response.content.decode()


@pytest.mark.parametrize(
    ("who", "joins"), [("patient", True), ("practitioner", True), ("staff", False)]
)
def test_the_patient_and_the_practitioner_can_join_the_consultation_from_it(
    personas: Personas, appointment: Appointment, login: Any, who: str, joins: bool
) -> None:
    page = login(getattr(personas, who)).get(detail_url(appointment)).content.decode()
    assert (f"/consultation/rendez-vous/{appointment.external_id}/" in page) is joins


def test_a_professional_opening_it_is_recorded_but_not_the_patient(
    personas: Personas, appointment: Appointment, login: Any
) -> None:
    from telegarde.core.models import SecurityEvent

    login(personas.patient).get(detail_url(appointment))
    assert not SecurityEvent.objects.filter(action="patient.record.viewed").exists()
    login(personas.practitioner).get(detail_url(appointment))
    event = last_event("patient.record.viewed")
    assert event.actor_id == str(personas.practitioner.external_id)
    assert event.target_id == str(personas.patient.external_id)
    assert event.data == {"reason": "appointment", "record": "appointment"}


@pytest.mark.parametrize("who", STRANGERS)
@pytest.mark.parametrize("rest", ["", "deplacer/"])
def test_strangers_get_the_same_404(
    personas: Personas, appointment: Appointment, login: Any, who: str, rest: str
) -> None:
    assert login(getattr(personas, who)).get(detail_url(appointment, rest)).status_code == 404


@pytest.mark.parametrize("who", STRANGERS)
def test_strangers_cannot_cancel_or_move(
    personas: Personas, appointment: Appointment, login: Any, who: str
) -> None:
    client = login(getattr(personas, who))
    assert client.post(detail_url(appointment, "annuler/")).status_code == 404
    other = next_free(Membership.objects.get(role="practitioner", user=personas.practitioner))
    response = client.post(detail_url(appointment, "deplacer/"), {"starts_at": other.isoformat()})
    assert response.status_code == 404
    assert Appointment.objects.get(pk=appointment.pk).starts_at == appointment.starts_at


def test_a_missing_appointment_is_the_same_404(personas: Personas, login: Any) -> None:
    client = login(personas.patient)
    assert client.get(f"/rendez-vous/{personas.patient.external_id}/").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(
    personas: Personas, appointment: Appointment, client: Any
) -> None:
    for url in (
        "/rendez-vous/mes-rendez-vous/",
        "/rendez-vous/agenda/",
        detail_url(appointment),
        detail_url(appointment, "deplacer/"),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/comptes/connexion/")
    assert client.post(detail_url(appointment, "annuler/")).status_code == 302


def test_the_patient_cancels(personas: Personas, appointment: Appointment, login: Any) -> None:
    response = login(personas.patient).post(detail_url(appointment, "annuler/"))
    assert response.status_code == 302
    assert Appointment.objects.get(pk=appointment.pk).status == "cancelled"
    assert last_event("booking.cancelled").actor_id == str(personas.patient.external_id)


def test_past_the_deadline_the_patient_is_told_why(
    personas: Personas, appointment: Appointment, login: Any, settings: Any
) -> None:
    settings.CANCEL_DEADLINE_HOURS = 24 * 30
    client = login(personas.patient)
    response = client.post(detail_url(appointment, "annuler/"), follow=True)
    assert "ne peut plus être annulé" in response.content.decode()
    assert Appointment.objects.get(pk=appointment.pk).status == "booked"


def test_the_patient_moves_it_to_another_free_slot(
    personas: Personas, appointment: Appointment, login: Any
) -> None:
    client = login(personas.patient)
    page = client.get(detail_url(appointment, "deplacer/")).content.decode()
    assert "Déplacer au" in page
    later = appointment.starts_at + timedelta(hours=1)
    response = client.post(detail_url(appointment, "deplacer/"), {"starts_at": later.isoformat()})
    assert response.status_code == 302
    assert Appointment.objects.get(pk=appointment.pk).starts_at == later
    assert last_event("booking.rescheduled").target_id == str(appointment.external_id)


@pytest.mark.parametrize("value", ["", "hier", "2020-01-01T10:00:00+00:00"])
def test_moving_to_a_bad_time_is_a_form_error(
    personas: Personas, appointment: Appointment, login: Any, value: str
) -> None:
    response = login(personas.patient).post(
        detail_url(appointment, "deplacer/"), {"starts_at": value}
    )
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


def test_the_agenda_lists_the_days_appointments_with_patient_names(
    personas: Personas, appointment: Appointment, login: Any
) -> None:
    for who in ("practitioner", "staff"):
        page = login(getattr(personas, who)).get("/rendez-vous/agenda/").content.decode()
        assert "Test PATIENTE" in page, who
        assert detail_url(appointment) in page


@pytest.mark.parametrize("who", ["other_practitioner", "outsider"])
def test_another_organisations_agenda_does_not_show_it(
    personas: Personas, appointment: Appointment, login: Any, who: str
) -> None:
    response = login(getattr(personas, who)).get("/rendez-vous/agenda/")
    assert "PATIENTE" not in response.content.decode()


@pytest.mark.parametrize("who", ["patient", "other_patient", "security_officer"])
def test_people_without_an_agenda_get_a_404(
    personas: Personas, appointment: Appointment, login: Any, who: str
) -> None:
    assert login(getattr(personas, who)).get("/rendez-vous/agenda/").status_code == 404


def test_the_agenda_shows_only_the_upcoming(
    personas: Personas, appointment: Appointment, login: Any
) -> None:
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=timezone.now() - timedelta(days=3),
        ends_at=timezone.now() - timedelta(days=3, minutes=-15),
    )
    page = login(personas.practitioner).get("/rendez-vous/agenda/").content.decode()
    assert "PATIENTE" not in page
