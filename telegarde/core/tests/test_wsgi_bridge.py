"""The ASGI→WSGI bridge: PEP 3333 environ, bodies, streaming, and the close() contract."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable, Iterator, MutableMapping
from typing import Any

from telegarde.lib.wsgi_bridge import BATCH_BYTES, WSGIBridge, build_environ


def scope(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": "http",
        "method": "POST",
        "path": "/chemin/é",
        "query_string": b"a=1&b=2",
        "headers": [
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", b"7"),
            (b"x-dup", b"one"),
            (b"x-dup", b"two"),
        ],
        "client": ("203.0.113.9", 5555),
        "server": ("127.0.0.1", 8000),
        "scheme": "http",
        "http_version": "1.1",
    }
    base.update(extra)
    return base


def run(
    app: WSGIBridge, asgi_scope: dict[str, Any], body_parts: list[bytes]
) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    messages = [
        {"type": "http.request", "body": part, "more_body": i < len(body_parts) - 1}
        for i, part in enumerate(body_parts)
    ]

    async def receive() -> MutableMapping[str, Any]:
        return messages.pop(0)

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    asyncio.run(app(asgi_scope, receive, send))
    return sent


def test_the_environ_follows_pep_3333() -> None:
    environ = build_environ(scope(), body=None)
    assert environ["PATH_INFO"] == "/chemin/é".encode().decode("latin-1")
    assert environ["QUERY_STRING"] == "a=1&b=2"
    assert environ["CONTENT_TYPE"] == "application/x-www-form-urlencoded"
    assert environ["CONTENT_LENGTH"] == "7"
    assert environ["HTTP_X_DUP"] == "one,two"
    assert environ["REMOTE_ADDR"] == "203.0.113.9"
    assert "HTTP_CONTENT_TYPE" not in environ


def test_it_runs_the_whole_request_in_one_worker_thread_and_closes_the_response() -> None:
    seen: dict[str, Any] = {}

    class Response:
        def __init__(self) -> None:
            self.closed_in: str | None = None

        def __iter__(self) -> Iterator[bytes]:
            yield b"bonjour "
            yield b"monde"

        def close(self) -> None:
            self.closed_in = threading.current_thread().name

    response = Response()

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        seen["thread"] = threading.current_thread().name
        seen["body"] = environ["wsgi.input"].read()
        start_response("201 Created", [("Content-Type", "text/plain"), ("X-A", "b")])
        return response

    sent = run(WSGIBridge(app), scope(), [b"abc", b"defg"])
    assert seen["body"] == b"abcdefg"
    assert seen["thread"].startswith("wsgi")
    assert response.closed_in is not None and response.closed_in.startswith("wsgi")
    assert sent[0] == {
        "type": "http.response.start",
        "status": 201,
        "headers": [(b"content-type", b"text/plain"), (b"x-a", b"b")],
    }
    assert sent[1] == {"type": "http.response.body", "body": b"bonjour monde", "more_body": False}


def test_a_large_streaming_response_is_sent_in_batches() -> None:
    chunk = b"x" * 65536

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("200 OK", [])
        return (chunk for _ in range(10))

    sent = run(WSGIBridge(app), scope(method="GET"), [b""])
    bodies = [m for m in sent if m["type"] == "http.response.body"]
    assert len(bodies) >= 10 * len(chunk) // BATCH_BYTES
    assert b"".join(m["body"] for m in bodies) == chunk * 10
    assert [m["more_body"] for m in bodies][-1] is False


def test_a_body_over_the_cap_gets_413_and_never_reaches_the_app() -> None:
    called = []

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        called.append(True)
        return []

    sent = run(WSGIBridge(app, max_body=10), scope(), [b"123456", b"789012"])
    assert sent[0]["status"] == 413
    assert called == []
