"""The practitioner's availability page: weekly openings and absences, for the practitioner
and the desk of the organisation only."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest

from telegarde.accounts.models import Membership
from telegarde.conftest import Personas, last_event
from telegarde.scheduling.actions import do_add_absence, do_book_appointment
from telegarde.scheduling.models import AvailabilityException, WeeklyAvailability

from .conftest import membership_of, next_free

OPENING = {
    "weekday": "1", "start_time": "09:00", "end_time": "12:00", "slot_minutes": "20",
    "kinds": ["video", "audio"], "valid_from": "", "valid_until": "",
}  # fmt: skip


def page_url(membership: Membership, rest: str = "") -> str:
    return f"/rendez-vous/praticiens/{membership.external_id}/{rest}"


@pytest.fixture
def membership(personas: Personas) -> Membership:
    return membership_of(personas)


def test_the_practitioner_goes_straight_to_their_page(
    personas: Personas, membership: Membership, login: Any
) -> None:
    response = login(personas.practitioner).get("/rendez-vous/disponibilites/")
    assert response.status_code == 302
    assert response["Location"] == page_url(membership, "disponibilites/")


@pytest.mark.parametrize("who", ["practitioner", "staff"])
def test_the_practitioner_and_the_desk_add_an_opening(
    personas: Personas, membership: Membership, login: Any, who: str
) -> None:
    client = login(getattr(personas, who))
    response = client.post(page_url(membership, "disponibilites/"), OPENING)
    assert response.status_code == 302
    rule = WeeklyAvailability.objects.get()
    assert (rule.weekday, rule.start_time, rule.slot_minutes) == (1, time(9), 20)
    assert rule.kinds == ["audio", "video"]
    assert last_event("availability.changed").actor_id == str(getattr(personas, who).external_id)
    page = client.get(page_url(membership, "disponibilites/")).content.decode()
    assert "mardi" in page and "09:00" in page


@pytest.mark.parametrize(
    ("changes", "label"),
    [
        ({"end_time": "08:00"}, "Fin"),
        ({"start_time": "9h"}, "Début"),
        ({"slot_minutes": "1"}, "Durée d&#x27;un créneau (minutes)"),
        ({"kinds": []}, "Types de consultation"),
        ({"weekday": "9"}, "Jour"),
    ],
)
def test_a_bad_opening_gets_an_error_naming_the_field(
    personas: Personas, membership: Membership, login: Any, changes: dict[str, Any], label: str
) -> None:
    response = login(personas.practitioner).post(
        page_url(membership, "disponibilites/"), {**OPENING, **changes}
    )
    assert response.status_code == 400
    assert f"{label} :" in response.content.decode()
    assert not WeeklyAvailability.objects.exists()


def test_an_overlapping_opening_is_refused_with_the_other_named(
    personas: Personas, membership: Membership, login: Any
) -> None:
    client = login(personas.practitioner)
    client.post(page_url(membership, "disponibilites/"), OPENING)
    response = client.post(
        page_url(membership, "disponibilites/"),
        {**OPENING, "start_time": "11:00", "end_time": "13:00"},
    )
    assert response.status_code == 400
    assert "09:00 à 12:00" in response.content.decode()


def test_deleting_an_opening(personas: Personas, membership: Membership, login: Any) -> None:
    client = login(personas.practitioner)
    client.post(page_url(membership, "disponibilites/"), OPENING)
    rule = WeeklyAvailability.objects.get()
    response = client.post(f"/rendez-vous/disponibilites/{rule.external_id}/supprimer/")
    assert response.status_code == 302
    assert not WeeklyAvailability.objects.exists()


def test_adding_an_absence_warns_about_the_bookings_inside_it(
    personas: Personas, practitioner: Membership, login: Any
) -> None:
    starts_at = next_free(practitioner)
    do_book_appointment(
        practitioner, personas.patient, starts_at=starts_at, kind="video",
        acting_user=personas.patient,
    )  # fmt: skip
    local = starts_at.astimezone()
    response = login(personas.staff).post(
        page_url(practitioner, "absences/"),
        {
            "starts_at": (local - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (local + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "reason": "Formation",
        },
        follow=True,
    )
    assert "1 rendez-vous déjà réservés" in response.content.decode()
    assert AvailabilityException.objects.get().reason == "Formation"
    assert last_event("availability.absence.added").actor_id == str(personas.staff.external_id)


@pytest.mark.parametrize(
    ("data", "label"),
    [
        ({"starts_at": "2026-06-02T10:00", "ends_at": "2026-06-02T09:00"}, "Fin de l&#x27;absence"),
        ({"starts_at": "n'importe", "ends_at": "2026-06-02T09:00"}, "Début de l&#x27;absence"),
        # 02:30 does not exist in Paris on 29 March 2026.
        (
            {"starts_at": "2026-03-29T02:30", "ends_at": "2026-03-29T09:00"},
            "Début de l&#x27;absence",
        ),
    ],
)
def test_a_bad_absence_gets_an_error_naming_the_field(
    personas: Personas, membership: Membership, login: Any, data: dict[str, str], label: str
) -> None:
    response = login(personas.practitioner).post(page_url(membership, "absences/"), data)
    assert response.status_code == 400
    assert f"{label} :" in response.content.decode()


def test_deleting_an_absence(personas: Personas, membership: Membership, login: Any) -> None:
    start = next_free(membership) if WeeklyAvailability.objects.exists() else None
    from django.utils import timezone

    start = start or timezone.now() + timedelta(days=1)
    absence = do_add_absence(
        membership, starts_at=start, ends_at=start + timedelta(hours=2), acting_user=None
    )
    response = login(personas.practitioner).post(
        f"/rendez-vous/absences/{absence.external_id}/supprimer/"
    )
    assert response.status_code == 302
    assert not AvailabilityException.objects.exists()


@pytest.mark.parametrize(
    "who", ["patient", "other_patient", "other_practitioner", "outsider", "security_officer"]
)
def test_everyone_else_gets_the_same_404(
    personas: Personas, membership: Membership, login: Any, who: str
) -> None:
    from django.utils import timezone

    client = login(getattr(personas, who))
    assert client.get(page_url(membership, "disponibilites/")).status_code == 404
    assert client.post(page_url(membership, "disponibilites/"), OPENING).status_code == 404
    assert client.post(page_url(membership, "absences/"), {}).status_code == 404
    rule = WeeklyAvailability.objects.create(
        practitioner=membership.user, organisation=membership.organisation, weekday=0,
        start_time=time(9), end_time=time(10), kinds=["video"],
    )  # fmt: skip
    absence = do_add_absence(
        membership, starts_at=timezone.now(), ends_at=timezone.now() + timedelta(hours=1),
        acting_user=None,
    )  # fmt: skip
    assert (
        client.post(f"/rendez-vous/disponibilites/{rule.external_id}/supprimer/").status_code == 404
    )
    assert client.post(f"/rendez-vous/absences/{absence.external_id}/supprimer/").status_code == 404
    assert WeeklyAvailability.objects.exists() and AvailabilityException.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(
    personas: Personas, membership: Membership, client: Any
) -> None:
    for url in ("/rendez-vous/disponibilites/", page_url(membership, "disponibilites/")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/comptes/connexion/")
