"""The benchmarks' WebSocket client (bench/websocket.py), against RFC 6455's examples and
a small loopback server that speaks the protocol's server side."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import struct
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bench.websocket import (
    CLOSE,
    PING,
    PONG,
    TEXT,
    Closed,
    Refused,
    WebSocket,
    accept_for,
    encode_frame,
    mask,
    read_frame,
)

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def test_it_computes_the_rfc_accept_value() -> None:
    # RFC 6455, section 1.3.
    assert accept_for("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_it_masks_like_the_rfc_example() -> None:
    # RFC 6455, section 5.7: a masked "Hello".
    frame = encode_frame(TEXT, b"Hello", key=bytes.fromhex("37fa213d"))
    assert frame == bytes.fromhex("818537fa213d7f9f4d5158")
    assert mask(mask(b"Hello", b"abcd"), b"abcd") == b"Hello"


@pytest.mark.asyncio
@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536])
async def test_it_encodes_every_length_form(size: int) -> None:
    payload = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    reader = asyncio.StreamReader()
    reader.feed_data(encode_frame(TEXT, payload))
    reader.feed_eof()
    fin, opcode, data = await read_frame(reader)
    assert (fin, opcode, data) == (True, TEXT, payload)


def server_frame(opcode: int, payload: bytes, *, fin: bool = True) -> bytes:
    """An unmasked frame, as a server sends it."""
    size = len(payload)
    first = (0x80 if fin else 0) | opcode
    if size < 126:
        return struct.pack("!BB", first, size) + payload
    return struct.pack("!BBH", first, 126, size) + payload


async def handshake(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> dict[str, str]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in head.split("\r\n")[1:] if line)
    }
    digest = hashlib.sha1(  # noqa: S324 - the protocol's hash
        headers["sec-websocket-key"].encode() + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    ).digest()
    writer.write(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + base64.b64encode(digest) + b"\r\n\r\n"
    )
    return headers


async def client_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """A client frame, checked to be masked, unmasked."""
    first, second = await reader.readexactly(2)
    assert second & 0x80, "client frames must be masked"
    size = second & 0x7F
    if size == 126:
        (size,) = struct.unpack("!H", await reader.readexactly(2))
    key = await reader.readexactly(4)
    data = await reader.readexactly(size)
    return first & 0x0F, bytes(b ^ key[i % 4] for i, b in enumerate(data))


@contextlib.asynccontextmanager
async def serving(handler: Handler) -> AsyncIterator[int]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


@pytest.mark.asyncio
async def test_it_talks_answers_pings_reassembles_and_closes() -> None:
    seen: dict[str, object] = {}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen["headers"] = await handshake(reader, writer)
        seen["text"] = await client_frame(reader)
        writer.write(server_frame(PING, b"are you there"))
        seen["pong"] = await client_frame(reader)
        writer.write(server_frame(TEXT, b'{"type":', fin=False))
        writer.write(server_frame(0x0, b'"pong"}'))
        writer.write(server_frame(CLOSE, struct.pack("!H", 4403)))
        seen["close"] = await client_frame(reader)
        writer.close()

    async with serving(handle) as port:
        socket = await WebSocket.connect(
            "127.0.0.1", port, "/ws/room/", headers=[("Origin", "http://127.0.0.1")]
        )
        socket.send_text('{"type":"ping"}')
        assert await socket.receive() == '{"type":"pong"}'
        with pytest.raises(Closed) as closed:
            await socket.receive()
        assert closed.value.code == 4403
        await socket.close()
    headers = seen["headers"]
    assert isinstance(headers, dict)
    assert headers["upgrade"] == "websocket" and headers["origin"] == "http://127.0.0.1"
    assert seen["text"] == (TEXT, b'{"type":"ping"}')
    assert seen["pong"] == (PONG, b"are you there")
    assert seen["close"] == (CLOSE, struct.pack("!H", 4403))


@pytest.mark.asyncio
async def test_it_reports_a_refused_handshake_and_a_wrong_accept() -> None:
    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
        writer.close()

    async def wrong(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 101 Switching\r\nSec-WebSocket-Accept: nope\r\n\r\n")
        writer.close()

    async with serving(refuse) as port:
        with pytest.raises(Refused) as refused:
            await WebSocket.connect("127.0.0.1", port, "/ws/")
        assert refused.value.response.status == 403
    async with serving(wrong) as port:
        with pytest.raises(Exception, match="Sec-WebSocket-Accept"):
            await WebSocket.connect("127.0.0.1", port, "/ws/")
