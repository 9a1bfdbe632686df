"""Live: a credential-stuffing run against the real server (`telegarde serve`, detection
inline, configured as an operator would through its environment) raises the alert within
seconds of the threshold, bans the source through the shield, and reaches a SIEM over a
signed webhook and RFC 5424 syslog (CEF). The receivers are started here; the attack
goes through the sign-in form with its CSRF token, as bench/credential_stuffing.py's
attacker does, from many loopback addresses (127.1.x.x) on many accounts."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bench.credential_stuffing import get_form, post_password
from bench.http import HOST, Cookies
from bench.load import fetch
from telegarde.conftest import free_port, served_env, served_platform

SECRET = "live-siem-webhook-secret-2026"
ATTEMPTS = 24  # the rule fires at the 10th distinct source and account
ALERT_BOUND_S = 10.0  # the target is 2 s (measured and printed); generous on a loaded CI
RFC5424 = re.compile(
    r"^<(?P<pri>\d{1,3})>1 (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) (?P<procid>\S+) "
    r"(?P<msgid>\S+) (?P<sd>-|\[.*?\]) (?P<msg>.*)$",
    re.DOTALL,
)


@dataclass
class Siem:
    """What a SIEM received: webhook posts and syslog datagrams, with arrival times."""

    posts: list[tuple[float, dict[str, str], bytes]] = field(default_factory=list)
    datagrams: list[tuple[float, bytes]] = field(default_factory=list)

    def wait(self, what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.found(what):
                return
            time.sleep(0.05)
        raise AssertionError(f"no {what} notification within {timeout} s: {self}")

    def found(self, what: str) -> bool:
        if what == "webhook":
            return any(b'"credential_stuffing"' in body for _, _, body in self.posts)
        return any(b"|credential_stuffing|" in data for _, data in self.datagrams)


@pytest.fixture
def siem() -> Iterator[tuple[Siem, str, str]]:
    received = Siem()

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.posts.append((time.time(), dict(self.headers.items()), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    web = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(0.2)
    stop = threading.Event()

    def listen() -> None:
        while not stop.is_set():
            try:
                data = udp.recv(65535)
            except TimeoutError:
                continue
            received.datagrams.append((time.time(), data))

    threads = [
        threading.Thread(target=web.serve_forever, daemon=True),
        threading.Thread(target=listen, daemon=True),
    ]
    for thread in threads:
        thread.start()
    try:
        yield (
            received,
            f"http://127.0.0.1:{web.server_port}/siem/telegarde",
            f"udp://127.0.0.1:{udp.getsockname()[1]}",
        )
    finally:
        stop.set()
        web.shutdown()
        for thread in threads:
            thread.join(5)
        udp.close()


async def stuff(port: int, attempts: int, siem: Siem) -> list[tuple[str, int]]:
    """One leaked address and password pair per source, four in flight at a time, until
    the SIEM heard of it (or the list ends): (source, status of the password POST)."""
    queue = [(f"127.1.{i}.{7 + i % 3}", f"fuite.{i:03d}@exemple.fr") for i in range(attempts)]
    sent: list[tuple[str, int]] = []

    async def attacker() -> None:
        while queue and not siem.found("webhook"):
            source, email = queue.pop(0)
            cookies = Cookies()
            token = await get_form(port, cookies, source)
            answer = await post_password(port, cookies, token, email, "azerty123", source)
            sent.append((source, answer.status))

    await asyncio.gather(*(attacker() for _ in range(4)))
    return sent


def facts(var: Path) -> dict[str, Any]:
    """The alert, the event that crossed the threshold and the bans, read from the served
    installation's database by its own command line."""
    code = (
        "import json\n"
        "from telegarde.core.models import SecurityEvent\n"
        "from telegarde.security.detection.models import Alert\n"
        "from telegarde.security.shield.models import Ban\n"
        "a = Alert.objects.get(rule_id='credential_stuffing')\n"
        "first = a.events.order_by('id').first()\n"
        "e = SecurityEvent.objects.get(seq=first.seq)\n"
        "print(json.dumps({'alert': str(a.external_id), 'count': a.count,\n"
        " 'latency_s': (a.created - e.created).total_seconds(), 'crossing_ip': e.source_ip,\n"
        " 'crossing_at': e.created.timestamp(), 'alert_at': a.created.timestamp(),\n"
        " 'responses': list(a.responses.values_list('kind', 'target', 'status')),\n"
        " 'bans': list(Ban.objects.filter(source='detection').values_list('network', flat=True)),\n"
        " 'deliveries': dict(a.deliveries.values_list('channel', 'status'))}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "telegarde", "shell", "-c", code],
        env=served_env(var),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def test_it_alerts_bans_and_notifies_the_siem_during_credential_stuffing(
    tmp_path: Path, siem: tuple[Siem, str, str]
) -> None:
    received, webhook_url, syslog_url = siem
    var, port = tmp_path / "var", free_port()
    with served_platform(
        var,
        port,
        TELEGARDE_DETECTION_MODE="inline",
        TELEGARDE_DETECTION_WEBHOOK_URL=webhook_url,
        TELEGARDE_DETECTION_WEBHOOK_SECRET=SECRET,
        TELEGARDE_DETECTION_SYSLOG=syslog_url,
        TELEGARDE_DETECTION_SYSLOG_FORMAT="cef",
        TELEGARDE_DETECTION_AUTO_RESPONSES="credential_stuffing",
        TELEGARDE_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    ):
        started = time.monotonic()
        sent = asyncio.run(stuff(port, ATTEMPTS, received))
        attack_s = time.monotonic() - started
        received.wait("webhook", ALERT_BOUND_S)
        received.wait("syslog", ALERT_BOUND_S)
        found = facts(var)
        banned = found["crossing_ip"]
        after = asyncio.run(fetch(HOST, port, "GET", "/comptes/connexion/", source=banned))
        elsewhere = asyncio.run(
            fetch(HOST, port, "GET", "/comptes/connexion/", source="127.1.200.1")
        )

    print(
        f"\nlive credential stuffing: {len(sent)} attempts in {attack_s:.1f} s; "
        f"threshold event -> alert {found['latency_s'] * 1000:.0f} ms; "
        f"-> webhook {(received.posts[0][0] - found['crossing_at']) * 1000:.0f} ms; "
        f"-> syslog {(received.datagrams[0][0] - found['crossing_at']) * 1000:.0f} ms"
    )
    assert all(status == 200 for _, status in sent[:10])  # the form said "incorrect"
    assert 0 <= found["latency_s"] < ALERT_BOUND_S

    # The automatic ban went through the shield: the crossing source is refused there.
    assert ("ban_source", banned, "applied") in [tuple(r) for r in found["responses"]]
    assert banned in found["bans"] or f"{banned}/32" in found["bans"]
    assert after.status == 403 and elsewhere.status == 200

    # The webhook body is signed with the configured secret, as the SIEM checks it.
    [(_, headers, body)] = [p for p in received.posts if b'"credential_stuffing"' in p[2]]
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Telegarde-Signature"], expected)
    doc = json.loads(body)
    assert doc["rule"]["id"] == "credential_stuffing" and doc["event"]["kind"] == "alert"
    assert doc["event"]["id"] == found["alert"] and doc["labels"]["severity"] == "critical"

    # Syslog: one RFC 5424 line, authpriv.crit, whose message is CEF naming the rule.
    [(_, datagram)] = [d for d in received.datagrams if b"|credential_stuffing|" in d[1]]
    line = RFC5424.match(datagram.decode())
    assert line is not None, datagram
    assert (line["pri"], line["app"], line["msgid"]) == ("82", "telegarde", "detection.alert")
    header = line["msg"].split("|", 7)
    assert header[:5] == ["CEF:0", "Telegarde", "Telegarde", "0.1.0", "credential_stuffing"]
    assert header[6] == "10" and f"externalId={found['alert']}" in header[7]
    assert found["deliveries"] == {"webhook": "sent", "syslog": "sent", "email": "sent"}
