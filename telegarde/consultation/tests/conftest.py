"""A real coturn on loopback for the consultation tests (TURN credentials, relayed calls).

``make pytest`` installs Debian's coturn (the ``coturn`` target of the Makefile).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import pytest

TURNSERVER = "/usr/bin/turnserver"
REALM = "telegarde.test"
STARTUP_TIMEOUT = 15.0


Address = tuple[str, int]


class Inbox(asyncio.DatagramProtocol):
    """Collects the datagrams an endpoint receives (a TURN client's, or a plain peer's)."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[tuple[bytes, Address]] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: Address) -> None:
        self.received.put_nowait((data, addr))

    async def next(self, timeout: float = 3.0) -> tuple[bytes, Address]:
        return await asyncio.wait_for(self.received.get(), timeout)


class TurnServer(NamedTuple):
    """A running coturn: where it listens, and the TURN REST secret it shares with us."""

    host: str
    port: int
    secret: str

    @property
    def url(self) -> str:
        return f"turn:{self.host}:{self.port}?transport=udp"


def free_udp_and_tcp_port() -> int:
    """A port free on 127.0.0.1 for both UDP and TCP (coturn listens on both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = int(udp.getsockname()[1])
            with socket.socket() as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port for coturn")


def stun_binding_answers(host: str, port: int, timeout: float = 0.2) -> bool:
    """Whether a STUN Binding request (RFC 8489) to host:port gets its success response."""
    transaction_id = secrets.token_bytes(12)
    request = b"\x00\x01\x00\x00\x21\x12\xa4\x42" + transaction_id
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(request, (host, port))
        try:
            answer = sock.recv(2048)
        except OSError:  # timeout, or ICMP port unreachable while coturn is starting
            return False
    return answer[:2] == b"\x01\x01" and answer[8:20] == transaction_id


def turnserver_command(port: int, secret: str, work: Path) -> list[str]:
    return [
        TURNSERVER,
        "-n",  # no configuration file: /etc/turnserver.conf must not change the test server
        f"--listening-port={port}",
        "--listening-ip=127.0.0.1",
        "--relay-ip=127.0.0.1",
        "--use-auth-secret",
        f"--static-auth-secret={secret}",
        f"--realm={REALM}",
        "--no-tls",
        "--no-dtls",
        # The test peers are on loopback, which coturn refuses to relay to by default.
        "--allow-loopback-peers",
        "--no-cli",
        "--no-software-attribute",
        "--fingerprint",
        f"--pidfile={work / 'turnserver.pid'}",
        f"--userdb={work / 'turndb'}",
        "--log-file=stdout",
        "--simple-log",
    ]


@contextmanager
def running_turnserver(command: list[str], port: int, work: Path) -> Iterator[float]:
    """Run ``command`` (a turnserver) in ``work`` until it answers STUN on 127.0.0.1:port;
    yields the seconds it took to start, and stops it on exit."""
    log_path = work / "turnserver.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=work,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        )
    try:
        started = time.monotonic()
        while not stun_binding_answers("127.0.0.1", port):
            if process.poll() is not None or time.monotonic() - started > STARTUP_TIMEOUT:
                pytest.fail(f"coturn did not start:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.05)
        yield time.monotonic() - started
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def require_turnserver() -> None:
    if shutil.which(TURNSERVER) is None:
        pytest.fail(f"{TURNSERVER} is missing: run `make coturn` (as root) or install coturn")


@pytest.fixture(scope="session")
def coturn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TurnServer]:
    """coturn on 127.0.0.1 with a random TURN REST secret, for the whole session: yields
    ``TurnServer(host, port, secret)``; its log is in the fixture's temporary folder."""
    require_turnserver()
    work = tmp_path_factory.mktemp("coturn")
    port = free_udp_and_tcp_port()
    secret = secrets.token_urlsafe(32)
    with running_turnserver(turnserver_command(port, secret, work), port, work):
        yield TurnServer("127.0.0.1", port, secret)
