"""Client-side steps shared by the passkey tests: ask for options, answer, post."""

from __future__ import annotations

import json
import time
from typing import Any

from django.test import Client
from django.urls import reverse

from telegarde.accounts.login_flow import STEPPED_UP_KEY
from telegarde.accounts.passkeys.models import Passkey

from .authenticator import SoftAuthenticator

RP_ID = "telegarde.localhost"
ORIGIN = "http://telegarde.localhost:8000"
LOOKALIKE = "http://telegarde-securite.localhost:8000"


def options(client: Client, url_name: str, query: str = "") -> dict[str, Any]:
    response = client.post(reverse(f"passkeys:{url_name}") + query)
    assert response.status_code == 200, response.content
    body: dict[str, Any] = json.loads(response.content)
    return body


def mark_stepped_up(client: Client) -> None:
    session = client.session
    session[STEPPED_UP_KEY] = time.time()
    session.save()


def register(client: Client, authenticator: SoftAuthenticator, name: str = "Téléphone") -> Passkey:
    answer = authenticator.create(options(client, "add_options"))
    response = client.post(reverse("passkeys:add"), {"name": name, "credential": answer})
    assert response.status_code == 302, response.content.decode()
    return Passkey.objects.latest("pk")
