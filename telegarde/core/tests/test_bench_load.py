"""The benchmarks' HTTP load client (bench/load.py), against small loopback servers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bench.load import ProtocolError, build_request, fetch, open_connection, read_response, run_load

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


@contextlib.asynccontextmanager
async def serving(handler: Handler) -> AsyncIterator[int]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


def answering(response: bytes, peers: set[str] | None = None) -> Handler:
    """A keep-alive handler that sends ``response`` to every request it reads."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if peers is not None:
            peers.add(writer.get_extra_info("peername")[0])
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(response)
                await writer.drain()
        writer.close()

    return handle


def scripted(*responses: bytes) -> Handler:
    """A handler that sends ``responses`` one per request, then closes."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for response in responses:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(response)
            await writer.drain()
        writer.close()

    return handle


@pytest.mark.asyncio
async def test_it_reads_length_chunked_and_empty_bodies_on_one_connection() -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nSet-Cookie: a=1\r\n"
        b"Set-Cookie: b=2\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n"
    )
    no_content = b"HTTP/1.1 204 No Content\r\n\r\n"
    async with serving(scripted(OK, chunked, no_content)) as port:
        reader, writer = await open_connection("127.0.0.1", port)
        bodies = []
        for _ in range(3):
            writer.write(build_request("GET", "/", host="127.0.0.1"))
            response = await read_response(reader)
            assert response.keep_alive
            bodies.append((response.status, response.body))
        writer.close()
    assert bodies == [(200, b"ok"), (200, b"hello, world"), (204, b"")]
    assert response.header("content-length") is None


@pytest.mark.asyncio
async def test_it_keeps_every_set_cookie_header() -> None:
    answer = (
        b"HTTP/1.1 302 Found\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nContent-Length: 0\r\n\r\n"
    )
    async with serving(scripted(answer)) as port:
        response = await fetch("127.0.0.1", port, "GET", "/")
    assert response.header_values("Set-Cookie") == ["a=1", "b=2"]


@pytest.mark.asyncio
async def test_it_reads_a_body_that_ends_when_the_server_closes() -> None:
    async with serving(scripted(b"HTTP/1.0 200 OK\r\n\r\nuntil the end")) as port:
        response = await fetch("127.0.0.1", port, "GET", "/")
    assert (response.body, response.keep_alive) == (b"until the end", False)


@pytest.mark.asyncio
async def test_it_skips_an_informational_response() -> None:
    answer = b"HTTP/1.1 100 Continue\r\n\r\n" + OK
    async with serving(scripted(answer)) as port:
        response = await fetch("127.0.0.1", port, "POST", "/", body=b"x=1")
    assert (response.status, response.body) == (200, b"ok")


@pytest.mark.asyncio
async def test_it_refuses_a_malformed_response() -> None:
    async with serving(scripted(b"SSH-2.0-OpenSSH\r\n\r\n")) as port:
        with pytest.raises(ProtocolError, match="status line"):
            await fetch("127.0.0.1", port, "GET", "/")


def test_it_builds_a_request_with_its_body_length() -> None:
    request = build_request(
        "POST", "/comptes/connexion/", host="127.0.0.1:8000", headers=[("X-A", "1")], body=b"a=b"
    )
    assert request == (
        b"POST /comptes/connexion/ HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nX-A: 1\r\n"
        b"Content-Length: 3\r\n\r\na=b"
    )


@pytest.mark.asyncio
async def test_it_counts_responses_on_keep_alive_connections() -> None:
    peers: set[str] = set()
    async with serving(answering(OK, peers)) as port:
        request = build_request("GET", "/", host="127.0.0.1")
        result = await run_load("127.0.0.1", port, request, connections=4, duration_s=0.5)
    assert result.count > 4
    assert result.errors == 0
    assert result.statuses == {200: result.count}
    assert result.rps == result.count / 0.5
    assert result.p50_ms is not None and result.p95_ms is not None and result.p99_ms is not None
    assert 0 < result.p50_ms <= result.p95_ms <= result.p99_ms
    assert peers == {"127.0.0.1"}


@pytest.mark.asyncio
async def test_it_binds_connections_to_their_source_addresses() -> None:
    peers: set[str] = set()
    sources = ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
    async with serving(answering(OK, peers)) as port:
        request = build_request("GET", "/", host="127.0.0.1")
        result = await run_load(
            "127.0.0.1", port, request, connections=6, duration_s=0.3, sources=sources
        )
    assert result.errors == 0
    assert peers == set(sources)


@pytest.mark.asyncio
async def test_it_reopens_a_connection_the_server_closes() -> None:
    closing = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
    async with serving(answering(closing)) as port:
        request = build_request("GET", "/", host="127.0.0.1")
        result = await run_load("127.0.0.1", port, request, connections=2, duration_s=0.3)
    assert result.count > 2
    assert result.errors == 0


@pytest.mark.asyncio
async def test_it_counts_refused_connections_as_errors() -> None:
    async with serving(answering(OK)) as port:
        pass  # closed again: nothing listens on this port any more
    request = build_request("GET", "/", host="127.0.0.1")
    result = await run_load("127.0.0.1", port, request, connections=2, duration_s=0.2)
    assert result.count == 0
    assert result.errors > 0
    assert result.p95_ms is None
    assert result.as_dict()["rps"] == 0.0
