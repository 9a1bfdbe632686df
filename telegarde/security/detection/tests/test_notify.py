"""Notifications: a signed webhook (retried, then dead), syslog with CEF or ECS."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.test import override_settings

from telegarde.conftest import free_port, last_event
from telegarde.security.detection.models import Delivery
from telegarde.security.detection.notify import cef_line, deliver

SECRET = "s3cret-for-the-webhook-tests"


class Receiver:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.bodies: list[tuple[bytes, str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.failures > 0:
                    receiver.failures -= 1
                    self.send_response(500)
                else:
                    receiver.bodies.append((body, self.headers["X-Telegarde-Signature"]))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver(request: pytest.FixtureRequest) -> Iterator[Receiver]:
    made = Receiver(getattr(request, "param", 0))
    yield made
    made.server.shutdown()


@pytest.mark.django_db
@pytest.mark.parametrize("receiver", [2], indirect=True)
def test_it_signs_the_webhook_and_retries_until_it_gets_through(
    receiver: Receiver, raise_alert: Any
) -> None:
    alert = raise_alert()
    with override_settings(
        DETECTION_WEBHOOK_URL=receiver.url,
        DETECTION_WEBHOOK_SECRET=SECRET,
        DETECTION_WEBHOOK_BACKOFF_MS=10,
    ):
        delivery = Delivery.objects.create(alert=alert, channel="webhook")
        deliver(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 3)
    [(body, signature)] = receiver.bodies
    assert signature == "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    doc = json.loads(body)
    assert doc["event"]["kind"] == "alert" and doc["rule"]["id"] == "sas_mismatch"


@pytest.mark.django_db
@pytest.mark.parametrize("receiver", [99], indirect=True)
def test_it_gives_up_after_the_attempts_and_says_so(receiver: Receiver, raise_alert: Any) -> None:
    alert = raise_alert()
    with override_settings(
        DETECTION_WEBHOOK_URL=receiver.url,
        DETECTION_WEBHOOK_SECRET=SECRET,
        DETECTION_WEBHOOK_BACKOFF_MS=1,
        DETECTION_WEBHOOK_ATTEMPTS=3,
    ):
        delivery = Delivery.objects.create(alert=alert, channel="webhook")
        deliver(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("dead", 3)
    assert "500" in delivery.last_error
    assert last_event("detection.notification.dead").data == {"channel": "webhook", "attempts": 3}


@pytest.mark.django_db
def test_it_survives_a_webhook_that_hangs(raise_alert: Any) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    alert = raise_alert()
    with override_settings(
        DETECTION_WEBHOOK_URL=f"http://127.0.0.1:{silent.getsockname()[1]}/",
        DETECTION_WEBHOOK_SECRET=SECRET,
        DETECTION_WEBHOOK_ATTEMPTS=1,
    ):
        import telegarde.security.detection.notify as notify

        notify.WEBHOOK_TIMEOUT_S, saved = 0.5, notify.WEBHOOK_TIMEOUT_S
        try:
            delivery = Delivery.objects.create(alert=alert, channel="webhook")
            deliver(delivery.pk)
        finally:
            notify.WEBHOOK_TIMEOUT_S = saved
            silent.close()
    delivery.refresh_from_db()
    assert delivery.status == "dead" and "timed out" in delivery.last_error


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["cef", "ecs"])
def test_it_sends_a_parseable_syslog_line(fmt: str, raise_alert: Any) -> None:
    alert = raise_alert(**{"source.ip": "203.0.113.9"})
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", port))
        udp.settimeout(5)
        with override_settings(
            DETECTION_SYSLOG=f"udp://127.0.0.1:{port}", DETECTION_SYSLOG_FORMAT=fmt
        ):
            delivery = Delivery.objects.create(alert=alert, channel="syslog")
            deliver(delivery.pk)
        line = udp.recv(65535).decode()
    # RFC 5424: <PRI>VERSION TIMESTAMP HOST APP PROCID MSGID SD MSG; authpriv.crit = 82.
    head, _stamp, _host, app, procid, msgid, sd, message = line.split(" ", 7)
    assert head == "<82>1"  # authpriv (10) * 8 + critical (2), version 1
    assert (app, procid, msgid, sd) == ("telegarde", "-", "detection.alert", "-")
    if fmt == "cef":
        fields = message.split("|")
        assert fields[:7] == [
            "CEF:0",
            "Telegarde",
            "Telegarde",
            "0.1.0",
            "sas_mismatch",
            "Short authentication strings differ in a consultation",
            "10",
        ]
        assert f"externalId={alert.external_id}" in message
    else:
        assert json.loads(message)["rule"]["id"] == "sas_mismatch"


@pytest.mark.django_db
def test_it_sends_syslog_over_tcp_with_octet_counting(raise_alert: Any) -> None:
    alert = raise_alert()
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(5)
        with override_settings(
            DETECTION_SYSLOG=f"tcp://127.0.0.1:{server.getsockname()[1]}",
            DETECTION_SYSLOG_FORMAT="ecs",
        ):
            delivery = Delivery.objects.create(alert=alert, channel="syslog")
            deliver(delivery.pk)
        conn, _ = server.accept()
        with conn:
            received = b""
            while chunk := conn.recv(65535):
                received += chunk
    # RFC 6587: "<length> <message>", so a SIEM reading the stream finds each message whole.
    length, _, message = received.partition(b" ")
    assert int(length) == len(message) and message.startswith(b"<82>1 ")
    assert json.loads(message.split(b" ", 7)[7])["rule"]["id"] == "sas_mismatch"


def test_cef_escapes_separators() -> None:
    from types import SimpleNamespace

    from django.utils import timezone

    now = timezone.now()
    alert = SimpleNamespace(
        group={"telegarde.data.email": "a=b|c@x.fr"},
        last_seen=now,
        first_seen=now,
        count=1,
        threat="other",
        external_id="x",
        organisation=None,
        rule_id="r",
        title="a|b",
        severity="low",
    )
    cef = cef_line(alert)  # type: ignore[arg-type]
    assert "|a\\|b|" in cef and "suser=a\\=b|c@x.fr" in cef
