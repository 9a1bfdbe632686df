"""Notifications of new alerts: email to the organisation's security contacts, a signed
JSON webhook, and syslog (RFC 5424) with a CEF or ECS-JSON payload for SIEMs.

Sending happens after commit on a background thread, never in the request or the
engine's loop. Each channel's attempt is a ``Delivery`` row: a webhook is retried with
exponential back-off and marked dead after the configured number of attempts; a dead
delivery is an event and shows on the health panel.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from telegarde.lib.env import ConfigError

if TYPE_CHECKING:
    from .models import Alert

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Telegarde-Signature"
SYSLOG_FACILITY_AUTHPRIV = 10
_SYSLOG_SEVERITY = {"critical": 2, "high": 3, "medium": 4, "low": 5}
_CEF_SEVERITY = {"critical": 10, "high": 8, "medium": 5, "low": 3}
_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}
WEBHOOK_TIMEOUT_S = 5.0


def syslog_target(url: str) -> tuple[str, str, int]:
    """``udp://host:514``, ``tcp://host:514`` or ``tls://host:6514`` → (transport, host, port)."""
    parts = urlsplit(url)
    if parts.scheme not in {"udp", "tcp", "tls"} or not parts.hostname:
        raise ConfigError(
            "TELEGARDE_DETECTION_SYSLOG",
            f"{url!r} is not a syslog address",
            "use udp://host:514, tcp://host:514 or tls://host:6514",
        )
    try:
        port = parts.port or (6514 if parts.scheme == "tls" else 514)
    except ValueError as exc:
        raise ConfigError("TELEGARDE_DETECTION_SYSLOG", "the port is not a number") from exc
    return parts.scheme, parts.hostname, port


def alert_document(alert: Alert) -> dict[str, Any]:
    """The alert as ECS (``event.kind: alert``), the body of webhooks and ECS syslog."""
    from django.conf import settings

    return {
        "@timestamp": alert.first_seen.astimezone(UTC).isoformat(timespec="milliseconds"),
        "ecs": {"version": "8.11.0"},
        "event": {
            "kind": "alert",
            "id": str(alert.external_id),
            "action": alert.rule_id,
            "severity": _CEF_SEVERITY[alert.severity],
            "provider": "telegarde",
            "start": alert.first_seen.astimezone(UTC).isoformat(),
            "end": alert.last_seen.astimezone(UTC).isoformat(),
        },
        "rule": {"id": alert.rule_id, "name": alert.title},
        "message": alert.title,
        "labels": {
            "severity": alert.severity,
            "threat": alert.threat,
            "status": alert.status,
            "count": alert.count,
        },
        "organization": {"id": str(alert.organisation.external_id) if alert.organisation else ""},
        "telegarde": {
            "group": alert.group,
            "url": f"{settings.PUBLIC_URL}/securite/alertes/{alert.external_id}/",
        },
    }


def _cef_escape(value: object, *, header: bool) -> str:
    text = str(value).replace("\\", "\\\\")
    if header:
        return text.replace("|", "\\|")
    return text.replace("=", "\\=").replace("\n", "\\n").replace("\r", "\\r")


def cef_line(alert: Alert) -> str:
    """ArcSight Common Event Format: header fields separated by ``|``, then key=value."""
    group = alert.group or {}
    extension = {
        "rt": int(alert.last_seen.timestamp() * 1000),
        "start": int(alert.first_seen.timestamp() * 1000),
        "cnt": alert.count,
        "cat": alert.threat,
        "externalId": alert.external_id,
        "src": group.get("source.ip", ""),
        "suser": group.get("telegarde.data.email", "") or group.get("user.email", ""),
        "cs1Label": "organisation",
        "cs1": alert.organisation.external_id if alert.organisation else "",
        "cs2Label": "group",
        "cs2": json.dumps(group, ensure_ascii=False, sort_keys=True),
    }
    head = "|".join(
        _cef_escape(v, header=True)
        for v in (
            "CEF:0",
            "Telegarde",
            "Telegarde",
            "0.1.0",
            alert.rule_id,
            alert.title,
            _CEF_SEVERITY[alert.severity],
        )
    )
    body = " ".join(f"{k}={_cef_escape(v, header=False)}" for k, v in extension.items() if v != "")
    return f"{head}|{body}"


def syslog_message(alert: Alert, fmt: str) -> bytes:
    pri = SYSLOG_FACILITY_AUTHPRIV * 8 + _SYSLOG_SEVERITY[alert.severity]
    stamp = (
        alert.last_seen.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )
    payload = (
        cef_line(alert)
        if fmt == "cef"
        else json.dumps(alert_document(alert), ensure_ascii=False, sort_keys=True)
    )
    host = socket.gethostname() or "-"
    return f"<{pri}>1 {stamp} {host} telegarde - detection.alert - {payload}".encode()


def send_syslog(url: str, message: bytes) -> None:
    transport, host, port = syslog_target(url)
    if transport == "udp":
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
        with socket.socket(family, kind, proto) as udp:
            udp.sendto(message, address)
        return
    with socket.create_connection((host, port), timeout=5) as raw:
        conn: socket.socket = raw
        if transport == "tls":
            conn = ssl.create_default_context().wrap_socket(raw, server_hostname=host)
        # RFC 6587 octet counting keeps messages whole over a stream.
        conn.sendall(f"{len(message)} ".encode() + message)


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_webhook(url: str, secret: str, body: bytes) -> None:
    request = urllib.request.Request(  # noqa: S310 - the operator's configured http(s) URL
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(body, secret),
            "User-Agent": "telegarde-detection/1",
        },
    )
    with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_S) as answer:  # noqa: S310
        if not 200 <= answer.status < 300:
            raise OSError(f"HTTP {answer.status}")


def _wanted(alert: Alert, minimum: str) -> bool:
    return _RANK[alert.severity] >= _RANK[minimum]


def channels_for(alert: Alert) -> list[str]:
    from django.conf import settings

    chosen = []
    if _wanted(alert, settings.DETECTION_EMAIL_MIN_SEVERITY):
        chosen.append("email")
    if settings.DETECTION_WEBHOOK_URL and _wanted(alert, settings.DETECTION_WEBHOOK_MIN_SEVERITY):
        chosen.append("webhook")
    if settings.DETECTION_SYSLOG and _wanted(alert, settings.DETECTION_SYSLOG_MIN_SEVERITY):
        chosen.append("syslog")
    return chosen


def notify_on_commit(alert: Alert) -> None:
    """After the alert's transaction commits, send it on its channels from a thread."""
    from django.db import transaction

    from .models import Delivery

    for channel in channels_for(alert):
        delivery = Delivery.objects.create(alert=alert, channel=channel)
        transaction.on_commit(partial(_start, delivery.pk))


def _start(delivery_id: int) -> None:
    threading.Thread(
        target=_deliver_in_thread, args=(delivery_id,), name="detection-notify", daemon=True
    ).start()


def _deliver_in_thread(delivery_id: int) -> None:
    from django.db import close_old_connections

    close_old_connections()
    try:
        deliver(delivery_id)
    finally:
        close_old_connections()


def _contacts(alert: Alert) -> list[str]:
    from telegarde.accounts.models import Membership, User

    if alert.organisation is None:
        users = User.objects.filter(is_superuser=True, is_active=True)
    else:
        users = User.objects.filter(
            is_active=True,
            memberships__organisation=alert.organisation,
            memberships__role__in=[Membership.Role.SECURITY_OFFICER, Membership.Role.ORG_ADMIN],
        )
    return sorted(set(users.values_list("email", flat=True)))


def _send_once(channel: str, alert: Alert) -> None:
    from django.conf import settings
    from django.core.mail import send_mail

    if channel == "webhook":
        body = json.dumps(alert_document(alert), ensure_ascii=False, sort_keys=True).encode()
        post_webhook(
            str(settings.DETECTION_WEBHOOK_URL), str(settings.DETECTION_WEBHOOK_SECRET), body
        )
    elif channel == "syslog":
        send_syslog(
            str(settings.DETECTION_SYSLOG), syslog_message(alert, settings.DETECTION_SYSLOG_FORMAT)
        )
    else:
        recipients = _contacts(alert)
        if recipients:
            doc = alert_document(alert)
            send_mail(
                f"[Telegarde] {alert.get_severity_display()} — {alert.title}",
                f"{alert.title}\n\n{json.dumps(alert.group, ensure_ascii=False)}\n"
                f"{doc['telegarde']['url']}\n",
                None,
                recipients,
            )


def deliver(delivery_id: int) -> None:
    """Send one delivery, retrying with back-off; mark it sent or dead. Runs on a thread."""
    from django.conf import settings
    from django.utils import timezone

    from telegarde.core.events import record_event

    from .models import Delivery

    delivery = Delivery.objects.select_related("alert__organisation").get(pk=delivery_id)
    alert = delivery.alert
    if alert is None:
        return
    attempts = settings.DETECTION_WEBHOOK_ATTEMPTS if delivery.channel == "webhook" else 3
    pause = settings.DETECTION_WEBHOOK_BACKOFF_MS / 1000
    while True:
        delivery.attempts += 1
        try:
            _send_once(delivery.channel, alert)
        except Exception as exc:  # every failure is counted and shown, never raised
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:500]
            if delivery.attempts >= attempts:
                delivery.status = Delivery.Status.DEAD
                delivery.save(update_fields=["attempts", "last_error", "status"])
                record_event(
                    "detection.notification.dead",
                    outcome="failure",
                    organisation=alert.organisation,
                    target=alert,
                    data={"channel": delivery.channel, "attempts": delivery.attempts},
                )
                logger.error("detection: %s notification dead: %s", delivery.channel, exc)
                return
            delay = pause * 2 ** (delivery.attempts - 1)
            delivery.next_attempt = timezone.now() + timedelta(seconds=delay)
            delivery.save(update_fields=["attempts", "last_error", "next_attempt"])
            time.sleep(delay)
            continue
        delivery.status = Delivery.Status.SENT
        delivery.save(update_fields=["attempts", "status", "last_error"])
        return


def send_test(organisation: Any) -> dict[str, str]:
    """Send a test notification on every configured channel, now; {channel: result}."""
    from django.utils import timezone

    from .models import Alert

    now = timezone.now()
    alert = Alert(
        organisation=organisation,
        rule_id="test_notification",
        title="Notification de test Telegarde",
        severity="low",
        threat="other",
        group={"test": "1"},
        first_seen=now,
        last_seen=now,
    )
    results: dict[str, str] = {}
    for channel in ["email", *[c for c in channels_for_all() if c != "email"]]:
        try:
            _send_once(channel, alert)
            results[channel] = "ok"
        except Exception as exc:
            results[channel] = f"{type(exc).__name__}: {exc}"[:200]
    return results


def channels_for_all() -> list[str]:
    from django.conf import settings

    return [
        name
        for name, on in (
            ("email", True),
            ("webhook", bool(settings.DETECTION_WEBHOOK_URL)),
            ("syslog", bool(settings.DETECTION_SYSLOG)),
        )
        if on
    ]
