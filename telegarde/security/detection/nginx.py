"""nginx access-log lines (the default ``combined`` format) as engine events.

Each request becomes a ``web.request`` event with ECS names (``source.ip``,
``url.path``, ``http.request.method``, ``http.response.status_code``,
``user_agent.original``), so the scanning and flood rules see what the reverse proxy
saw, including requests that never reached the application. ``follow`` tails a log
that nginx is writing, as ``tail -F`` does.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from .rules import Event

COMBINED = re.compile(
    r"^(?P<ip>\S+) \S+ (?P<user>\S+) \[(?P<time>[^\]]+)\] "
    r'"(?P<method>[A-Z]+) (?P<path>\S+)(?: (?P<proto>[^"]*))?" '
    r'(?P<status>\d{3}) (?P<bytes>\d+|-)(?: "(?P<referer>[^"]*)" "(?P<agent>[^"]*)")?'
)


def parse_line(line: str, number: int | str = 0) -> Event | None:
    """One event, or None when the line is not in the combined format. ``number`` places
    the line in its file and makes the event's id."""
    found = COMBINED.match(line)
    if found is None:
        return None
    try:
        when = datetime.strptime(found["time"], "%d/%b/%Y:%H:%M:%S %z")
    except ValueError:
        return None
    path = found["path"].split("?", 1)[0]
    return {
        "event.action": "web.request",
        "event.id": f"nginx:{number}:{when.timestamp():.0f}",
        "event.outcome": "failure" if found["status"][0] in "45" else "success",
        "@timestamp": when.isoformat(),
        "ts": when.timestamp(),
        "source.ip": found["ip"],
        "http.request.method": found["method"],
        "url.path": path,
        "http.response.status_code": int(found["status"]),
        "user_agent.original": found["agent"] or "",
    }


def parse(lines: Iterable[str]) -> Iterator[tuple[int, Event | None]]:
    for number, line in enumerate(lines, 1):
        if line.strip():
            yield number, parse_line(line.rstrip("\n"), number)


def follow(path: Path, stop: threading.Event, *, poll_s: float = 0.25) -> Iterator[tuple[str, str]]:
    """(place, line) for each line appended to ``path`` from now on, until ``stop`` is set.

    A rotated log (the file renamed or deleted, a new one created) is read to its end,
    then the new file from its start; a truncated one (``copytruncate``) from its start
    again. ``place`` (inode and byte offset) identifies the line across rotations, so the
    same line read twice is the same event. The file is opened (and its end found) before
    this returns, so nothing appended after the call is missed.
    """
    return _tail(path, _open_log(path, at_end=True), stop, poll_s)


def _tail(
    path: Path, handle: BinaryIO | None, stop: threading.Event, poll_s: float
) -> Iterator[tuple[str, str]]:
    pending, line_start = b"", 0
    try:
        while not stop.is_set():
            if handle is None:
                stop.wait(poll_s)
                handle = _open_log(path, at_end=False)  # created since: all of it is new
                continue
            if not pending:
                line_start = handle.tell()
            chunk = handle.readline()
            if chunk.endswith(b"\n"):
                line, pending = pending + chunk, b""
                inode = os.fstat(handle.fileno()).st_ino
                yield f"{inode}:{line_start}", line.decode("utf-8", errors="replace")
                continue
            pending += chunk  # nginx may not have finished writing the line
            moved = _moved(path, handle)
            if moved == "replaced":
                handle.close()
                handle, pending = _open_log(path, at_end=False), b""
            elif moved == "truncated":
                handle.seek(0)
                pending = b""
            else:
                stop.wait(poll_s)
    finally:
        if handle is not None:
            handle.close()


def _open_log(path: Path, *, at_end: bool) -> BinaryIO | None:
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return None
    if at_end:
        handle.seek(0, os.SEEK_END)
    return handle


def _moved(path: Path, handle: BinaryIO) -> str:
    try:
        now = os.stat(path)
    except FileNotFoundError:
        return ""  # between the rename and the new file: keep reading the old one
    if now.st_ino != os.fstat(handle.fileno()).st_ino:
        return "replaced"
    return "truncated" if now.st_size < handle.tell() else ""
