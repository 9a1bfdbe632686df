"""nginx access-log lines (the default ``combined`` format) as engine events.

Each request becomes a ``web.request`` event with ECS names (``source.ip``,
``url.path``, ``http.request.method``, ``http.response.status_code``,
``user_agent.original``), so the scanning and flood rules see what the reverse proxy
saw, including requests that never reached the application.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime

from .rules import Event

COMBINED = re.compile(
    r"^(?P<ip>\S+) \S+ (?P<user>\S+) \[(?P<time>[^\]]+)\] "
    r'"(?P<method>[A-Z]+) (?P<path>\S+)(?: (?P<proto>[^"]*))?" '
    r'(?P<status>\d{3}) (?P<bytes>\d+|-)(?: "(?P<referer>[^"]*)" "(?P<agent>[^"]*)")?'
)


def parse_line(line: str, number: int = 0) -> Event | None:
    """One event, or None when the line is not in the combined format."""
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
