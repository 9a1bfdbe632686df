"""Route classes: only the booking flow itself is "booking" (budget and queue); people's
own appointments, a practitioner's agenda and availability are pages."""

from __future__ import annotations

import pytest

from telegarde.security.shield.classify import classify

PRACTITIONER = "/rendez-vous/praticiens/0b5f7e0e-57d6-4a57-9a8e-7f1b1f0c2d11/"
APPOINTMENT = "/rendez-vous/6f0c8d39-2b7e-4d4f-8a43-0c9e5f3b9a21/"


@pytest.mark.parametrize(
    ("path", "route_class"),
    [
        ("/rendez-vous/", "booking"),
        (PRACTITIONER, "booking"),
        (PRACTITIONER + "reserver/", "booking"),
        ("/prendre-rendez-vous/", "booking"),
        ("/api/rendez-vous/creneaux", "booking"),
        ("/rendez-vous/mes-rendez-vous/", "page"),
        ("/rendez-vous/agenda/", "page"),
        ("/rendez-vous/disponibilites/", "page"),
        (PRACTITIONER + "disponibilites/", "page"),
        (PRACTITIONER + "absences/", "page"),
        (APPOINTMENT, "page"),
        (APPOINTMENT + "annuler/", "page"),
        (APPOINTMENT + "deplacer/", "page"),
        ("/rendez-vous/praticiens/", "page"),
        ("/rendez-vous/praticiens", "page"),
        ("/rendez-vous", "page"),
        ("/consultation/rendez-vous/6f0c8d39-2b7e-4d4f-8a43-0c9e5f3b9a21/", "page"),
    ],
)
def test_it_classifies_scheduling_paths(path: str, route_class: str) -> None:
    assert classify("http", path) == route_class


def test_a_websocket_is_signalling_whatever_its_path() -> None:
    assert classify("websocket", "/rendez-vous/") == "signalling"
