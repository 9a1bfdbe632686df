"""A minimal WebSocket client (RFC 6455) on asyncio raw connections, for the benchmarks.

No third-party client, like bench/load.py: the opening handshake is an HTTP/1.1
``Upgrade`` with a random ``Sec-WebSocket-Key`` whose ``Sec-WebSocket-Accept`` is
checked; client frames are masked (section 5.3); server frames are read whole, fragmented
messages reassembled, pings answered with pongs and a close frame answered, then reported
as ``Closed`` with its code. Text messages only are sent; binary ones are returned as
bytes. A connection may be bound to its own source address (127.0.0.x).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import struct
from collections.abc import Iterable

from bench.load import ProtocolError, Response, build_request, open_connection, read_response

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
MAX_MESSAGE = 1024 * 1024
NORMAL_CLOSURE = 1000
NO_STATUS = 1005


class Refused(Exception):
    """The server answered the handshake with something other than 101."""

    def __init__(self, response: Response) -> None:
        super().__init__(f"WebSocket handshake answered {response.status}")
        self.response = response


class Closed(Exception):
    """The server closed the connection (close frame, or end of stream: code 1006)."""

    def __init__(self, code: int) -> None:
        super().__init__(f"WebSocket closed with code {code}")
        self.code = code


def accept_for(key: str) -> str:
    """The ``Sec-WebSocket-Accept`` a server must answer to ``key`` (section 4.2.2)."""
    return base64.b64encode(hashlib.sha1(key.encode("ascii") + GUID).digest()).decode("ascii")  # noqa: S324 - the protocol's hash


def mask(payload: bytes, key: bytes) -> bytes:
    """``payload`` XOR the repeated 4-byte ``key`` (masking and unmasking alike)."""
    if not payload:
        return payload
    repeated = (key * (len(payload) // 4 + 1))[: len(payload)]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(
        len(payload), "big"
    )


def encode_frame(opcode: int, payload: bytes, *, key: bytes | None = None) -> bytes:
    """One final client frame: FIN set, masked with ``key`` (random when None)."""
    key = os.urandom(4) if key is None else key
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    return head + key + mask(payload, key)


async def read_frame(reader: asyncio.StreamReader) -> tuple[bool, int, bytes]:
    """(fin, opcode, payload) of the next frame, unmasked if the peer masked it."""
    first, second = await reader.readexactly(2)
    size = second & 0x7F
    if size == 126:
        (size,) = struct.unpack("!H", await reader.readexactly(2))
    elif size == 127:
        (size,) = struct.unpack("!Q", await reader.readexactly(8))
    if size > MAX_MESSAGE:
        raise ProtocolError(f"frame of {size} bytes")
    key = await reader.readexactly(4) if second & 0x80 else None
    payload = await reader.readexactly(size)
    return bool(first & 0x80), first & 0x0F, mask(payload, key) if key else payload


class WebSocket:
    """One client connection; ``receive`` must be awaited by a single task."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.closing = False

    @classmethod
    async def connect(
        cls,
        host: str,
        port: int,
        path: str,
        *,
        headers: Iterable[tuple[str, str]] = (),
        source: str | None = None,
    ) -> WebSocket:
        """Open ``ws://host:port/path``; ``Refused`` when the server does not switch."""
        key = base64.b64encode(os.urandom(16)).decode("ascii")
        request = build_request(
            "GET",
            path,
            host=f"{host}:{port}",
            headers=[
                ("Upgrade", "websocket"),
                ("Connection", "Upgrade"),
                ("Sec-WebSocket-Key", key),
                ("Sec-WebSocket-Version", "13"),
                *headers,
            ],
        )
        reader, writer = await open_connection(host, port, source=source)
        try:
            writer.write(request)
            await writer.drain()
            response = await read_response(reader)
            if response.status != 101:
                raise Refused(response)
            if response.header("sec-websocket-accept") != accept_for(key):
                raise ProtocolError("wrong Sec-WebSocket-Accept")
        except BaseException:
            writer.close()
            raise
        return cls(reader, writer)

    def send_text(self, text: str) -> None:
        """Queue one text message (frames are written whole, so tasks may share this)."""
        self.writer.write(encode_frame(TEXT, text.encode("utf-8")))

    async def receive(self) -> str | bytes:
        """The next data message; control frames are handled on the way."""
        parts: list[bytes] = []
        kind: int | None = None
        while True:
            try:
                fin, opcode, payload = await read_frame(self.reader)
            except asyncio.IncompleteReadError:
                raise Closed(1006) from None
            if opcode == PING:
                self.writer.write(encode_frame(PONG, payload))
                continue
            if opcode == PONG:
                continue
            if opcode == CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else NO_STATUS
                if not self.closing:
                    self.closing = True
                    self.writer.write(encode_frame(CLOSE, payload[:2]))
                raise Closed(code)
            if opcode in (TEXT, BINARY):
                if kind is not None:
                    raise ProtocolError("new message inside a fragmented one")
                kind = opcode
            elif opcode != CONTINUATION or kind is None:
                raise ProtocolError(f"unexpected opcode {opcode}")
            parts.append(payload)
            if fin:
                data = b"".join(parts)
                return data.decode("utf-8") if kind == TEXT else data

    async def close(self, code: int = NORMAL_CLOSURE, *, timeout: float = 2.0) -> None:
        """Send a close frame, wait briefly for the server's, then drop the connection."""
        try:
            if not self.closing:
                self.closing = True
                self.writer.write(encode_frame(CLOSE, struct.pack("!H", code)))
                await self.writer.drain()
                async with asyncio.timeout(timeout):
                    while True:
                        _fin, opcode, _payload = await read_frame(self.reader)
                        if opcode == CLOSE:
                            break
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ProtocolError):
            pass
        finally:
            self.writer.close()
