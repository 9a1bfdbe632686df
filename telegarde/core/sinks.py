"""Live copies of the event stream for operators' log pipelines and SIEMs.

``TELEGARDE_EVENT_SINK`` selects one: ``file:/path/events.jsonl`` (ECS JSON lines,
appended) or ``syslog://host:514`` (UDP) / ``syslog+tcp://host:514`` (RFC 5424 framing,
ECS JSON as the message). Events are handed to a background thread through a bounded
queue, so a slow receiver never slows a request; a sink failure is logged and counted,
never raised: the database chain stays the record of truth.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from telegarde.lib.background import BackgroundQueue
from telegarde.lib.env import ConfigError

if TYPE_CHECKING:
    from .models import SecurityEvent

logger = logging.getLogger(__name__)

SYSLOG_FACILITY_AUTHPRIV = 10
_SEVERITY = {"success": 6, "failure": 4, "unknown": 5}  # informational, warning, notice


def _ecs_line(event: SecurityEvent) -> str:
    from .events import to_ecs

    return json.dumps(to_ecs(event), ensure_ascii=False, sort_keys=True)


class FileSink:
    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()

    def emit(self, event: SecurityEvent) -> None:
        line = (_ecs_line(event) + "\n").encode()
        try:
            with self._lock:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, line)
                finally:
                    os.close(fd)
        except OSError:
            logger.exception("event sink: cannot append to %s", self.path)


class SyslogSink:
    def __init__(self, host: str, port: int, *, tcp: bool) -> None:
        self.address = (host, port)
        self.tcp = tcp
        self.hostname = socket.gethostname()

    def format(self, event: SecurityEvent) -> bytes:
        pri = SYSLOG_FACILITY_AUTHPRIV * 8 + _SEVERITY.get(event.outcome, 5)
        timestamp = event.created.isoformat(timespec="microseconds")
        header = f"<{pri}>1 {timestamp} {self.hostname} telegarde - {event.action} -"
        return f"{header} {_ecs_line(event)}".encode()

    def emit(self, event: SecurityEvent) -> None:
        message = self.format(event)
        try:
            if self.tcp:
                self._send_tcp(message)
            else:
                family, kind, proto, _, address = socket.getaddrinfo(
                    *self.address, type=socket.SOCK_DGRAM
                )[0]
                with socket.socket(family, kind, proto) as udp:
                    udp.sendto(message, address)
        except OSError:
            self._conn = None
            logger.warning("event sink: syslog %s:%s unreachable", *self.address)

    _conn: socket.socket | None = None

    def _send_tcp(self, message: bytes) -> None:
        # One kept-open connection; RFC 6587 octet counting keeps multi-line messages whole.
        if self._conn is None:
            self._conn = socket.create_connection(self.address, timeout=5)
        try:
            self._conn.sendall(f"{len(message)} ".encode() + message)
        except OSError:
            self._conn.close()
            self._conn = None
            raise


class BackgroundSink:
    """Runs another sink's ``emit`` on a daemon thread; drops (and counts) when full."""

    def __init__(self, sink: FileSink | SyslogSink, capacity: int = 10_000) -> None:
        self.sink = sink
        self.worker: BackgroundQueue[SecurityEvent] = BackgroundQueue(
            self._emit_all, name="event-sink", capacity=capacity
        )

    def emit(self, event: SecurityEvent) -> None:
        self.worker.put(event)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued event was handed to the sink (for shutdown and tests)."""
        return self.worker.wait_idle(timeout)

    def _emit_all(self, events: list[SecurityEvent]) -> None:
        for event in events:
            self.sink.emit(event)


def sink_from_url(url: str) -> FileSink | SyslogSink:
    """The sink named by ``url``; raises ``ConfigError`` naming the variable otherwise."""
    parts = urlsplit(url)
    if parts.scheme == "file" and parts.path:
        return FileSink(parts.path)
    if parts.scheme in {"syslog", "syslog+udp", "syslog+tcp"} and parts.hostname:
        try:
            port = parts.port or 514
        except ValueError as exc:
            raise ConfigError("TELEGARDE_EVENT_SINK", "the syslog port is not a number") from exc
        return SyslogSink(parts.hostname, port, tcp=parts.scheme == "syslog+tcp")
    raise ConfigError(
        "TELEGARDE_EVENT_SINK",
        f"{url!r} is not a supported sink",
        "use file:/path/events.jsonl, syslog://host:514 or syslog+tcp://host:514",
    )
