"""The real serving path: ``telegarde serve`` (granian, ASGI, WSGI bridge) on a fresh database."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest

from telegarde.accounts.management.commands.demo import DEMO_PASSWORD


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    var = tmp_path_factory.mktemp("var")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("TELEGARDE_", "PYTEST", "DJANGO_"))
    }
    env["TELEGARDE_VAR_DIR"] = str(var)
    env["TELEGARDE_MAX_BODY_BYTES"] = str(1024 * 1024)
    cli = [sys.executable, "-m", "telegarde"]
    for step in (["migrate", "-v0"], ["collectstatic", "--noinput", "-v0"], ["demo"]):
        subprocess.run([*cli, *step], env=env, check=True, capture_output=True, timeout=120)
    port = free_port()
    process = subprocess.Popen(
        [*cli, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail(f"server did not start: {process.communicate()[0]!r}")
    yield base
    process.terminate()
    process.wait(timeout=10)


def test_it_serves_the_french_home_page(server: str) -> None:
    with urllib.request.urlopen(f"{server}/") as response:
        body = response.read().decode()
        headers = response.headers
    assert '<html lang="fr">' in body
    assert "Téléconsultation sécurisée" in body
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"


def test_it_serves_hashed_static_files(server: str) -> None:
    body = urllib.request.urlopen(f"{server}/").read().decode()
    css = re.search(r'href="(/static/telegarde/main\.[0-9a-f]+\.css)"', body)
    assert css is not None
    with urllib.request.urlopen(server + css.group(1)) as response:
        assert response.headers["Content-Type"].startswith("text/css")


def test_a_demo_patient_signs_in_over_the_real_server(server: str) -> None:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{server}/comptes/connexion/").read()
    token = next(c.value for c in jar if c.name == "csrftoken")
    form = urllib.parse.urlencode(
        {
            "username": "LOUISE.Dubois@demo.telegarde.fr",
            "password": DEMO_PASSWORD,
            "csrfmiddlewaretoken": token,
        }
    ).encode()
    request = urllib.request.Request(
        f"{server}/comptes/connexion/", data=form, headers={"Referer": server}
    )
    with opener.open(request) as response:
        body = response.read().decode()
        assert response.url.endswith("/accueil/")
    assert "Bonjour Louise Dubois" in body
    assert "auth.login.succeeded" in body  # the patient sees their own login history


def test_it_answers_a_body_over_the_cap_with_413_without_reaching_django(server: str) -> None:
    request = urllib.request.Request(f"{server}/comptes/connexion/", data=b"x" * (2 * 1024 * 1024))
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request)
    assert error.value.code == 413
