"""An HTTP/1.1 load generator on asyncio keep-alive connections, for the benchmarks.

No third-party client: requests are raw bytes, responses are parsed here (Content-Length,
chunked, or read until the server closes). Each connection sends its next request as soon
as the previous response is complete, for a fixed duration; a connection may be bound to
its own source address (127.0.0.x) so that one process can look like many clients.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

# Headers and chunk-size lines longer than this are a protocol error, not a slow read.
READ_LIMIT = 1024 * 1024
# A connection that could not be opened is retried after this pause (seconds), so a
# refusing server is not hammered by a busy loop.
RETRY_PAUSE = 0.01
NO_BODY_STATUSES = frozenset({204, 304})


class ProtocolError(Exception):
    """The server's bytes are not a valid HTTP/1.x response."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    keep_alive: bool

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        values = self.header_values(name)
        return values[0] if values else None

    def header_values(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]


def build_request(
    method: str,
    target: str,
    *,
    host: str,
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
) -> bytes:
    """The bytes of one HTTP/1.1 request; Content-Length is added when there is a body."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    lines.extend(f"{name}: {value}" for name, value in headers)
    if body or method in {"POST", "PUT", "PATCH"}:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def read_response(reader: asyncio.StreamReader, *, method: str = "GET") -> Response:
    """Read one complete response; informational (1xx) responses are skipped."""
    while True:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.LimitOverrunError as exc:
            raise ProtocolError("response head too long") from exc
        version, status, headers = _parse_head(head)
        if not 100 <= status < 200 or status == 101:
            break
    keep_alive = _keeps_alive(version, headers)
    if method == "HEAD" or status in NO_BODY_STATUSES or status < 200:
        return Response(status, headers, b"", keep_alive)
    encodings = _tokens(headers, "transfer-encoding")
    if encodings:
        if encodings[-1] != "chunked":
            return Response(status, headers, await reader.read(), keep_alive=False)
        return Response(status, headers, await _read_chunked(reader), keep_alive)
    lengths = {value.strip() for key, value in headers if key.lower() == "content-length"}
    if lengths:
        if len(lengths) != 1 or not next(iter(lengths)).isdigit():
            raise ProtocolError(f"bad Content-Length {sorted(lengths)}")
        return Response(status, headers, await reader.readexactly(int(lengths.pop())), keep_alive)
    return Response(status, headers, await reader.read(), keep_alive=False)


def _parse_head(head: bytes) -> tuple[str, int, list[tuple[str, str]]]:
    lines = head[:-4].decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise ProtocolError(f"bad status line {lines[0]!r}")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            raise ProtocolError(f"bad header line {line!r}")
        headers.append((name, value.strip()))
    return parts[0], int(parts[1]), headers


def _tokens(headers: list[tuple[str, str]], name: str) -> list[str]:
    return [
        token.strip().lower()
        for key, value in headers
        if key.lower() == name
        for token in value.split(",")
        if token.strip()
    ]


def _keeps_alive(version: str, headers: list[tuple[str, str]]) -> bool:
    connection = _tokens(headers, "connection")
    if version == "HTTP/1.0":
        return "keep-alive" in connection
    return "close" not in connection


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks: list[bytes] = []
    while True:
        try:
            line = await reader.readuntil(b"\r\n")
        except asyncio.LimitOverrunError as exc:
            raise ProtocolError("chunk size line too long") from exc
        size_text = line[:-2].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError as exc:
            raise ProtocolError(f"bad chunk size {size_text!r}") from exc
        if size == 0:
            break
        chunks.append(await reader.readexactly(size))
        if await reader.readexactly(2) != b"\r\n":
            raise ProtocolError("chunk not followed by CRLF")
    while await reader.readuntil(b"\r\n") != b"\r\n":  # trailer fields, ignored
        pass
    return b"".join(chunks)


async def open_connection(
    host: str, port: int, *, source: str | None = None
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A TCP connection to ``host:port``, from ``source`` when given."""
    local_addr = (source, 0) if source is not None else None
    return await asyncio.open_connection(host, port, local_addr=local_addr, limit=READ_LIMIT)


async def fetch(
    host: str,
    port: int,
    method: str,
    target: str,
    *,
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    source: str | None = None,
    timeout: float = 10.0,
) -> Response:
    """One request on a connection of its own, closed afterwards."""
    request = build_request(
        method,
        target,
        host=f"{host}:{port}",
        headers=[*headers, ("Connection", "close")],
        body=body,
    )
    async with asyncio.timeout(timeout):
        reader, writer = await open_connection(host, port, source=source)
        try:
            writer.write(request)
            await writer.drain()
            return await read_response(reader, method=method)
        finally:
            writer.close()


@dataclass(frozen=True)
class LoadResult:
    """What a load run measured; latencies are in milliseconds, None when nothing answered."""

    count: int
    duration_s: float
    errors: int
    statuses: dict[int, int]
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None

    @property
    def rps(self) -> float:
        return self.count / self.duration_s if self.duration_s > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "rps": round(self.rps, 1),
            "p50_ms": _round(self.p50_ms),
            "p95_ms": _round(self.p95_ms),
            "p99_ms": _round(self.p99_ms),
            "max_ms": _round(self.max_ms),
            "errors": self.errors,
            "statuses": {str(status): n for status, n in sorted(self.statuses.items())},
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def percentile(sorted_values: Sequence[float], fraction: float) -> float | None:
    """The nearest-rank percentile (``fraction`` in 0..1) of already sorted values."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass
class _Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0


async def run_load(
    host: str,
    port: int,
    request: bytes,
    *,
    connections: int,
    duration_s: float,
    sources: Sequence[str] = (),
    method: str = "GET",
    timeout: float = 10.0,
) -> LoadResult:
    """Send ``request`` over ``connections`` keep-alive connections for ``duration_s``.

    Only responses completed inside the window are counted; requests still in flight at
    its end are abandoned. Connection ``i`` binds to ``sources[i % len(sources)]`` when
    sources are given. A failed connection (refused, reset, timed out, malformed
    response) counts one error and is reopened.
    """
    if connections < 1 or duration_s <= 0:
        raise ValueError("connections must be >= 1 and duration_s > 0")
    tally = _Tally()
    start = time.perf_counter()
    deadline = start + duration_s
    tasks = [
        asyncio.create_task(
            _connection_loop(
                host,
                port,
                request,
                method=method,
                source=sources[i % len(sources)] if sources else None,
                deadline=deadline,
                timeout=timeout,
                tally=tally,
            )
        )
        for i in range(connections)
    ]
    try:
        await asyncio.sleep(duration_s)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    latencies = sorted(tally.latencies)
    return LoadResult(
        count=len(latencies),
        duration_s=duration_s,
        errors=tally.errors,
        statuses=dict(tally.statuses),
        p50_ms=percentile(latencies, 0.50),
        p95_ms=percentile(latencies, 0.95),
        p99_ms=percentile(latencies, 0.99),
        max_ms=latencies[-1] if latencies else None,
    )


async def _connection_loop(
    host: str,
    port: int,
    request: bytes,
    *,
    method: str,
    source: str | None,
    deadline: float,
    timeout: float,
    tally: _Tally,
) -> None:
    clock = time.perf_counter
    while clock() < deadline:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await open_connection(host, port, source=source)
        except (OSError, TimeoutError):
            tally.errors += 1
            await asyncio.sleep(RETRY_PAUSE)
            continue
        try:
            while True:
                sent = clock()
                async with asyncio.timeout(timeout):
                    writer.write(request)
                    await writer.drain()
                    response = await read_response(reader, method=method)
                done = clock()
                if done > deadline:
                    return
                tally.latencies.append((done - sent) * 1000.0)
                tally.statuses[response.status] += 1
                if not response.keep_alive:
                    break
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ProtocolError):
            if clock() < deadline:
                tally.errors += 1
        finally:
            writer.close()
