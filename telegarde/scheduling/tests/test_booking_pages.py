"""Search a practitioner, see their free slots, book one (patient, or desk for a patient)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from telegarde.accounts.models import Membership
from telegarde.conftest import Personas, last_event
from telegarde.scheduling.models import Appointment

from .conftest import next_free


def slots_url(membership: Membership) -> str:
    return f"/rendez-vous/praticiens/{membership.external_id}/"


def book_url(membership: Membership) -> str:
    return f"/rendez-vous/praticiens/{membership.external_id}/reserver/"


def test_the_search_finds_the_practitioner_by_profession_and_specialty(
    personas: Personas, practitioner: Membership, login: Any
) -> None:
    client = login(personas.patient)
    page = client.get("/rendez-vous/", {"specialty": "médecin"}).content.decode()
    assert "Paul Praticien" in page and str(practitioner.external_id) in page
    assert (
        "Paul Praticien"
        not in client.get("/rendez-vous/", {"specialty": "Pédiatrie"}).content.decode()
    )


def test_the_search_never_shows_another_organisations_practitioners(
    personas: Personas, practitioner: Membership, login: Any
) -> None:
    page = login(personas.other_patient).get("/rendez-vous/").content.decode()
    assert "Paul Praticien" not in page


def test_a_bad_organisation_in_the_search_is_a_form_error(
    personas: Personas, practitioner: Membership, login: Any
) -> None:
    response = login(personas.patient).get("/rendez-vous/", {"organisation": "nope"})
    assert response.status_code == 200
    assert "Organisation" in response.content.decode()


def test_the_slots_are_grouped_by_day_in_paris_time(
    personas: Personas, practitioner: Membership, login: Any
) -> None:
    response = login(personas.patient).get(slots_url(practitioner), {"kind": "audio"})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('<h2 id="day-') == 7
    assert 'name="kind" value="audio"' in page
    assert "Réserver le" in page


@pytest.mark.parametrize("who", ["other_patient", "other_practitioner", "outsider"])
def test_strangers_get_a_404_for_the_slots_and_the_booking(
    personas: Personas, practitioner: Membership, login: Any, who: str
) -> None:
    client = login(getattr(personas, who))
    assert client.get(slots_url(practitioner)).status_code == 404
    starts_at = next_free(practitioner)
    response = client.post(
        book_url(practitioner), {"starts_at": starts_at.isoformat(), "kind": "video"}
    )
    assert response.status_code == 404
    assert not Appointment.objects.exists()


def test_an_unknown_practitioner_is_the_same_404(personas: Personas, login: Any) -> None:
    assert (
        login(personas.patient)
        .get(f"/rendez-vous/praticiens/{personas.organisation.external_id}/")
        .status_code
        == 404
    )


def test_anonymous_visitors_are_sent_to_sign_in(
    personas: Personas, practitioner: Membership, client: Any
) -> None:
    for url in ("/rendez-vous/", slots_url(practitioner)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/comptes/connexion/")
    assert client.post(book_url(practitioner), {}).status_code == 302


def test_the_patient_books_a_slot_and_gets_the_confirmation(
    personas: Personas,
    practitioner: Membership,
    login: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    starts_at = next_free(practitioner)
    with django_capture_on_commit_callbacks(execute=True):
        response = login(personas.patient).post(
            book_url(practitioner), {"starts_at": starts_at.isoformat(), "kind": "video"}
        )
    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/rendez-vous/{appointment.external_id}/"
    assert appointment.patient == personas.patient and appointment.starts_at == starts_at
    assert last_event("booking.created").target_id == str(appointment.external_id)
    assert mail.outbox[0].to == [personas.patient.email]


def test_the_desk_books_for_a_patient_of_the_organisation(
    personas: Personas, practitioner: Membership, login: Any
) -> None:
    client = login(personas.staff)
    page = client.get(slots_url(practitioner)).content.decode()
    assert "PATIENTE" in page or "Test" in page  # the patient list
    assert personas.other_patient.email not in page
    starts_at = next_free(practitioner)
    response = client.post(
        book_url(practitioner),
        {
            "starts_at": starts_at.isoformat(),
            "kind": "video",
            "patient": str(personas.patient.external_id),
        },
    )
    assert response.status_code == 302
    assert Appointment.objects.get().booked_by == personas.staff


def test_the_desk_must_name_a_patient_of_its_organisation(
    personas: Personas, practitioner: Membership, login: Any
) -> None:
    client = login(personas.staff)
    starts_at = next_free(practitioner).isoformat()
    for patient in ("", str(personas.other_patient.external_id)):
        response = client.post(
            book_url(practitioner), {"starts_at": starts_at, "kind": "video", "patient": patient}
        )
        assert response.status_code == 400
        assert "patient" in response.content.decode().lower()
    assert not Appointment.objects.exists()


def test_a_taken_slot_gets_the_clear_error_naming_it(
    personas: Personas, practitioner: Membership, login: Any
) -> None:
    starts_at = next_free(practitioner)
    data = {"starts_at": starts_at.isoformat(), "kind": "video"}
    client = login(personas.patient)
    client.post(book_url(practitioner), data)
    response = client.post(book_url(practitioner), data)
    assert response.status_code == 400
    assert "Ce créneau vient d&#x27;être réservé" in response.content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"starts_at": "demain", "kind": "video"},
        {"starts_at": "2026-13-45T99:00", "kind": "video"},
        {"starts_at": "2020-01-01T10:00:00+00:00", "kind": "video"},
        {"starts_at": "2030-01-01T10:00:00+00:00", "kind": "téléportation"},
    ],
)
def test_bad_input_gets_a_form_error_not_a_500(
    personas: Personas, practitioner: Membership, login: Any, data: dict[str, str]
) -> None:
    response = login(personas.patient).post(book_url(practitioner), data)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not Appointment.objects.exists()
