"""The role home page links to the booking pages each role uses."""

from __future__ import annotations

from typing import Any

import pytest

from telegarde.conftest import Personas


@pytest.mark.parametrize(
    ("who", "present", "absent"),
    [
        ("patient", ["/rendez-vous/mes-rendez-vous/", "/rendez-vous/"], ["/rendez-vous/agenda/"]),
        ("practitioner", ["/rendez-vous/agenda/", "Mes disponibilités"], ["mes-rendez-vous"]),
        ("staff", ["/rendez-vous/agenda/", "Prendre un rendez-vous pour un patient"], []),
        ("security_officer", [], ["/rendez-vous/"]),
    ],
)
def test_each_role_sees_its_links(
    personas: Personas, login: Any, who: str, present: list[str], absent: list[str]
) -> None:
    page = login(getattr(personas, who)).get("/accueil/").content.decode()
    for text in present:
        assert text in page, text
    for text in absent:
        assert text not in page, text
