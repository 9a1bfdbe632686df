"""The home page leads patients and practitioners to their messages."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from telegarde.conftest import Personas


@pytest.mark.parametrize(
    ("who", "linked"), [("patient", True), ("practitioner", True), ("security_officer", False)]
)
def test_home_links_to_the_inbox(personas: Personas, login: Any, who: str, linked: bool) -> None:
    page = login(getattr(personas, who)).get(reverse("home")).content.decode()

    assert (f'href="{reverse("messaging:inbox")}"' in page) is linked
