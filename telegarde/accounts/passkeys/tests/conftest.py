from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from telegarde.conftest import Personas, free_port, served_platform

from .authenticator import SoftAuthenticator
from .helpers import ORIGIN, RP_ID


@pytest.fixture(autouse=True)
def relying_party(settings: Any) -> None:
    """Tests run as if served at a domain name: browsers refuse an IP address as RP ID."""
    settings.PUBLIC_URL = ORIGIN


@pytest.fixture
def authenticator() -> SoftAuthenticator:
    return SoftAuthenticator(rp_id=RP_ID, origin=ORIGIN)


@pytest.fixture
def patient_client(login: Any, personas: Personas) -> Client:
    client: Client = login(personas.patient)
    return client


REAL_HOST = "telegarde.localhost"
LOOKALIKE_HOST = "telegarde-securite.localhost"


@dataclass(frozen=True)
class PasskeyServer:
    """The platform served at a real host name and, by the same process, at a lookalike."""

    real: str
    lookalike: str
    database: Path


@pytest.fixture(scope="session")
def passkey_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PasskeyServer]:
    """``telegarde serve`` (embedded profile, demo data) whose PUBLIC_URL — so RP ID and
    origin — is http://telegarde.localhost:PORT, and which also answers for a lookalike
    host name. Chromium resolves *.localhost to loopback and treats it as a secure context.
    """
    var = tmp_path_factory.mktemp("passkey-var")
    port = free_port()
    with served_platform(
        var,
        port,
        TELEGARDE_PUBLIC_URL=f"http://{REAL_HOST}:{port}",
        TELEGARDE_ALLOWED_HOSTS=f"{REAL_HOST},{LOOKALIKE_HOST},127.0.0.1",
    ):
        yield PasskeyServer(
            real=f"http://{REAL_HOST}:{port}",
            lookalike=f"http://{LOOKALIKE_HOST}:{port}",
            database=var / "telegarde.sqlite3",
        )
