"""A client of clamd's INSTREAM command (ClamAV daemon), over a unix socket or TCP.

``TELEGARDE_CLAMD`` names the daemon as ``unix:/run/clamav/clamd.ctl`` or
``tcp:host:3310``. Any failure to get an answer is ``ScannerUnavailable``: the caller
keeps the document pending (fail closed), it never counts as clean.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

from telegarde.lib.env import ConfigError

CHUNK = 64 * 1024


class ScannerUnavailable(Exception):
    """The scanner gave no verdict (not running, timed out, refused the stream)."""


@dataclass(frozen=True)
class ClamdAddress:
    family: str  # "unix" or "tcp"
    path: str = ""
    host: str = ""
    port: int = 0

    def __str__(self) -> str:
        return f"unix:{self.path}" if self.family == "unix" else f"tcp:{self.host}:{self.port}"


def parse_address(name: str, value: str) -> ClamdAddress:
    """``unix:/path`` or ``tcp:host:port``; a ``ConfigError`` naming ``name`` otherwise."""
    scheme, _, rest = value.partition(":")
    if scheme == "unix" and rest.startswith("/"):
        return ClamdAddress("unix", path=rest)
    if scheme == "tcp":
        host, _, port = rest.rpartition(":")
        if host and port.isdigit() and 0 < int(port) < 65536:
            return ClamdAddress("tcp", host=host.strip("[]"), port=int(port))
    raise ConfigError(
        name, f"{value!r} is not a clamd address", "use unix:/run/clamav/clamd.ctl or tcp:host:3310"
    )


def _connect(address: ClamdAddress, timeout: float) -> socket.socket:
    try:
        if address.family == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(address.path)
            return sock
        return socket.create_connection((address.host, address.port), timeout=timeout)
    except OSError as exc:
        raise ScannerUnavailable(f"clamd at {address} cannot be reached: {exc}") from exc


def _reply(sock: socket.socket) -> str:
    answer = b""
    while not answer.endswith(b"\0"):
        part = sock.recv(4096)
        if not part:
            break
        answer += part
    return answer.rstrip(b"\0").decode("utf-8", "replace").strip()


def ping(address: ClamdAddress, *, timeout: float = 2.0) -> bool:
    try:
        with _connect(address, timeout) as sock:
            sock.sendall(b"zPING\0")
            return _reply(sock) == "PONG"
    except (OSError, ScannerUnavailable):
        return False


def scan_bytes(address: ClamdAddress, data: bytes, *, timeout: float = 30.0) -> str | None:
    """The signature name clamd found in ``data``, or None when it found nothing."""
    try:
        with _connect(address, timeout) as sock:
            sock.sendall(b"zINSTREAM\0")
            for start in range(0, len(data), CHUNK):
                chunk = data[start : start + CHUNK]
                sock.sendall(struct.pack("!L", len(chunk)) + chunk)
            sock.sendall(struct.pack("!L", 0))
            answer = _reply(sock)
    except OSError as exc:
        raise ScannerUnavailable(f"clamd at {address} failed during the scan: {exc}") from exc
    # "stream: OK", "stream: Eicar-Signature FOUND", "INSTREAM size limit exceeded. ERROR"
    if answer.endswith(" FOUND"):
        return answer.removeprefix("stream:").removesuffix(" FOUND").strip()
    if answer == "stream: OK":
        return None
    raise ScannerUnavailable(f"clamd at {address} gave no verdict: {answer or 'no answer'!r}")
