"""/verify/ has the sign-in budget at the edge: a burst, then one guess a second per
address; a copy of the largest size the page accepts still fits its body cap."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from telegarde.documents.issued.forms import COPY_MAX_BYTES
from telegarde.security.shield.classify import classify
from telegarde.security.shield.config import DEFAULT_BUDGETS
from telegarde.security.shield.protocol import request_problem
from telegarde.security.shield.tests.asgi import request, shield
from telegarde.security.shield.tests.asgi import settings as shield_settings


def test_verify_pages_are_in_the_sign_in_class() -> None:
    assert classify("http", reverse("issued:verify_form")) == "login"
    assert classify("http", reverse("issued:verify", args=["ABCD-EFGH-JKLM"])) == "login"
    assert classify("http", "/verification/") == "page"  # messages' codes: another page


def test_a_copy_of_the_largest_accepted_size_passes_the_body_cap() -> None:
    path = reverse("issued:verify", args=["ABCD-EFGH-JKLM"])
    body = COPY_MAX_BYTES + 64 * 1024  # the file and its multipart framing
    scope = {"type": "http", "path": path, "headers": [(b"content-length", str(body).encode())]}
    assert request_problem(scope, settings.SHIELD, "login") is None


@pytest.mark.asyncio
async def test_guessing_codes_from_one_address_is_cut_off() -> None:
    app, inner = shield(shield_settings())  # refusals neither held nor penalised
    burst = int(DEFAULT_BUDGETS["login"].burst)
    statuses = [
        (await request(app, f"/verify/AAAA-BBBB-{i:04d}", peer="203.0.113.9")).status
        for i in range(burst + 5)
    ]
    assert statuses[:burst] == [200] * burst
    # One more may pass if a second elapsed meanwhile (the budget refills one a second).
    assert statuses.count(429) >= 4 and statuses[-1] == 429
    assert len(inner.scopes) == statuses.count(200)
    assert (await request(app, "/verify/AAAA-BBBB-CCCC", peer="203.0.113.10")).status == 200
