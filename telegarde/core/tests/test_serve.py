"""The real serving path: ``telegarde serve`` (granian, ASGI, WSGI bridge) on a fresh database."""

from __future__ import annotations

import http.cookiejar
import re
import socket
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from telegarde.accounts.management.commands.demo import DEMO_PASSWORD
from telegarde.conftest import served_env


def test_it_serves_the_french_home_page(platform_server: str) -> None:
    with urllib.request.urlopen(f"{platform_server}/") as response:
        body = response.read().decode()
        headers = response.headers
    assert '<html lang="fr">' in body
    assert "Téléconsultation sécurisée" in body
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"


def test_it_serves_hashed_static_files(platform_server: str) -> None:
    body = urllib.request.urlopen(f"{platform_server}/").read().decode()
    css = re.search(r'href="(/static/telegarde/main\.[0-9a-f]+\.css)"', body)
    assert css is not None
    with urllib.request.urlopen(platform_server + css.group(1)) as response:
        assert response.headers["Content-Type"].startswith("text/css")


def test_a_demo_patient_signs_in_over_the_real_server(platform_server: str) -> None:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{platform_server}/comptes/connexion/").read()
    token = next(c.value for c in jar if c.name == "csrftoken")
    form = urllib.parse.urlencode(
        {
            "username": "LOUISE.Dubois@demo.telegarde.fr",
            "password": DEMO_PASSWORD,
            "csrfmiddlewaretoken": token,
        }
    ).encode()
    request = urllib.request.Request(
        f"{platform_server}/comptes/connexion/", data=form, headers={"Referer": platform_server}
    )
    with opener.open(request) as response:
        body = response.read().decode()
        assert response.url.endswith("/accueil/")
    assert "Bonjour Louise Dubois" in body
    assert "Connexion réussie" in body  # the patient sees their own login history


def test_it_answers_a_body_over_the_cap_with_413_without_reaching_django(
    platform_server: str,
) -> None:
    request = urllib.request.Request(
        f"{platform_server}/comptes/connexion/", data=b"x" * (2 * 1024 * 1024)
    )
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request)
    assert error.value.code == 413


def test_it_refuses_to_start_on_a_port_another_server_listens_on(tmp_path: Path) -> None:
    with socket.socket() as other:
        # As granian does: with SO_REUSEPORT a second listener would be accepted silently.
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "telegarde", "serve", "--port", str(port)],
            env=served_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 3
    assert f"127.0.0.1:{port}" in done.stderr and "another server listens there" in done.stderr


def test_it_refuses_several_workers_without_redis(tmp_path: Path) -> None:
    env = {k: v for k, v in served_env(tmp_path).items() if k != "TELEGARDE_REDIS_URL"}
    done = subprocess.run(
        [sys.executable, "-m", "telegarde", "serve", "--workers", "2", "--port", "8"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--workers" in done.stderr and "TELEGARDE_REDIS_URL" in done.stderr
