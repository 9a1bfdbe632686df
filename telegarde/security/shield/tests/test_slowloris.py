"""Slowloris (the PyPI tool) against the real server: other clients are still served,
and a connection that trickles its headers is cut by the header timeout."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bench.load import fetch

SOCKETS = 300
DURATION_S = 13.0


def slowloris_command() -> list[str]:
    beside = Path(sys.executable).with_name("slowloris")
    found = str(beside) if beside.exists() else shutil.which("slowloris")
    if found is None:
        pytest.fail(
            "the slowloris tool is missing: it is a dev dependency (make lock; pip install)"
        )
    return [found]


def test_it_keeps_serving_others_under_slowloris(platform_server: str) -> None:
    import asyncio

    parts = urlsplit(platform_server)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    attack = subprocess.Popen(
        [*slowloris_command(), host, "-p", str(port), "-s", str(SOCKETS), "--sleeptime", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    trickler = socket.create_connection((host, port))
    trickler.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
    try:
        time.sleep(2.0)  # slowloris has opened its sockets
        assert attack.poll() is None, "slowloris stopped on its own"

        async def probe() -> list[tuple[int, float]]:
            results = []
            deadline = time.monotonic() + DURATION_S - 2
            index = 0
            while time.monotonic() < deadline:
                index += 1
                start = time.monotonic()
                answer = await fetch(
                    host, port, "GET", "/healthz", source=f"127.0.4.{20 + index % 50}", timeout=5
                )
                results.append((answer.status, time.monotonic() - start))
                await asyncio.sleep(0.5)
            return results

        results = asyncio.run(probe())
        # The trickling connection outlived the 10 s header timeout: it must be closed.
        trickler.settimeout(3)
        try:
            trickler.sendall(b"X-a: b\r\n")
            data = trickler.recv(1024)
            closed = data == b"" or data.startswith(b"HTTP/1.1 408")  # EOF or a timeout answer
        except TimeoutError:
            closed = False  # still waiting for more headers: not cut
        except OSError:
            closed = True
    finally:
        attack.terminate()
        attack.wait(10)
        trickler.close()
    assert len(results) >= 10
    assert all(status == 200 for status, _ in results), results
    assert max(seconds for _, seconds in results) < 2.0
    assert closed
