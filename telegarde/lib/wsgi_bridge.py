"""Serve a WSGI application from an ASGI server with one thread hop per request.

Django's middleware is synchronous; under plain ASGI each sync middleware costs a
thread switch. Here the whole request (middleware, view, database) runs in one worker
thread, and the response goes back to the event loop in one piece — unless it streams,
in which case further chunks are pulled in batches.
"""

from __future__ import annotations

import asyncio
import io
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# Request bodies above this are spooled to a temporary file instead of memory.
SPOOL_LIMIT = 1024 * 1024
# A response is handed to the event loop once this much of it is buffered.
BATCH_BYTES = 256 * 1024


class BodyTooLarge(Exception):
    pass


class WSGIBridge:
    """An ASGI application (``http`` scope only) that runs ``wsgi_app`` in a thread pool."""

    def __init__(
        self, wsgi_app: WSGIApp, *, threads: int = 16, max_body: int = 64 * 1024 * 1024
    ) -> None:
        self.wsgi_app = wsgi_app
        self.max_body = max_body
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="wsgi")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"WSGIBridge serves http only, not {scope['type']!r}")
        try:
            body = await self._read_body(receive)
        except BodyTooLarge:
            await _plain(send, 413, b"Request body too large")
            return
        try:
            environ = build_environ(scope, body)
            loop = asyncio.get_running_loop()
            status, headers, chunks, rest = await loop.run_in_executor(
                self.executor, self._start, environ
            )
            await send({"type": "http.response.start", "status": status, "headers": headers})
            while rest is not None:
                more = {"type": "http.response.body", "body": b"".join(chunks), "more_body": True}
                await send(more)
                chunks, rest = await loop.run_in_executor(self.executor, _pull, rest)
            await send({"type": "http.response.body", "body": b"".join(chunks), "more_body": False})
        finally:
            body.close()  # Django never closes wsgi.input; a spooled file would linger

    async def _read_body(self, receive: Receive) -> io.IOBase:
        body: Any = tempfile.SpooledTemporaryFile(max_size=SPOOL_LIMIT)  # noqa: SIM115 - closed in __call__
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                body.close()
                raise BodyTooLarge
            body.write(chunk)
            if not message.get("more_body", False):
                break
        body.seek(0)
        return body  # type: ignore[no-any-return]

    def _start(
        self, environ: dict[str, Any]
    ) -> tuple[int, list[tuple[bytes, bytes]], list[bytes], _Rest | None]:
        started: dict[str, Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            started["status"] = int(status.split(" ", 1)[0])
            started["headers"] = [
                (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers
            ]
            return lambda data: None

        result = self.wsgi_app(environ, start_response)
        rest = _Rest(result)
        chunks, remaining = _pull(rest)
        return started["status"], started["headers"], chunks, remaining


class _Rest:
    """The unfinished part of a WSGI response; closed (firing Django's request_finished)."""

    def __init__(self, result: Iterable[bytes]) -> None:
        self.result = result
        self.iterator: Iterator[bytes] = iter(result)

    def close(self) -> None:
        close = getattr(self.result, "close", None)
        if close is not None:
            close()


def _pull(rest: _Rest) -> tuple[list[bytes], _Rest | None]:
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in rest.iterator:
            if chunk:
                chunks.append(chunk)
                size += len(chunk)
            if size >= BATCH_BYTES:
                return chunks, rest
    except BaseException:
        rest.close()
        raise
    rest.close()
    return chunks, None


def build_environ(scope: Scope, body: Any) -> dict[str, Any]:
    """The PEP 3333 environ for an ASGI http scope."""
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    root_path = scope.get("root_path", "")
    path = scope["path"]
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :]
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": root_path.encode("utf-8").decode("latin-1"),
        "PATH_INFO": path.encode("utf-8").decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": str(client[0]),
        "REMOTE_PORT": str(client[1]),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": body,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        if name == "CONTENT_TYPE" or name == "CONTENT_LENGTH":
            environ[name] = value
            continue
        key = f"HTTP_{name}"
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    # Extra keys the outer layers computed (the shield's client address, for instance).
    environ.update(scope.get("telegarde.environ", {}))
    return environ


async def _plain(send: Send, status: int, text: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": text})
