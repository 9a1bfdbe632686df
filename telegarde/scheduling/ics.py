"""Calendar invitations (RFC 5545 iCalendar, one VEVENT) attached to booking mails.

Times are written in UTC so that no time-zone definition is needed; lines end in CRLF and
are folded at 75 octets without splitting a UTF-8 character.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

REQUEST = "REQUEST"
CANCEL = "CANCEL"
MAX_OCTETS = 75


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    sequence: int
    starts_at: datetime
    ends_at: datetime
    summary: str
    description: str
    organizer_email: str
    organizer_name: str
    attendee_email: str
    attendee_name: str


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and newlines escaped."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def param_value(value: str) -> str:
    """A parameter value (e.g. CN=…), quoted; double quotes and controls cannot appear."""
    cleaned = "".join(ch for ch in value if ch != '"' and ch.isprintable())
    return f'"{cleaned}"'


def fold(line: str) -> str:
    """Fold one content line into chunks of at most 75 octets joined by CRLF + space."""
    chunks: list[str] = []
    current, size = "", 0
    limit = MAX_OCTETS
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit:
            chunks.append(current)
            # Continuation lines start with a space, which counts in their 75 octets.
            current, size, limit = "", 0, MAX_OCTETS - 1
        current += ch
        size += width
    chunks.append(current)
    return "\r\n ".join(chunks)


def utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar(event: CalendarEvent, *, method: str, now: datetime) -> bytes:
    """The .ics file inviting to ``event`` (``REQUEST``) or withdrawing it (``CANCEL``)."""
    if method not in (REQUEST, CANCEL):
        raise ValueError(f"unsupported iTIP method {method!r}")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Telegarde//Rendez-vous//FR",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"SEQUENCE:{event.sequence}",
        f"DTSTAMP:{utc_stamp(now)}",
        f"DTSTART:{utc_stamp(event.starts_at)}",
        f"DTEND:{utc_stamp(event.ends_at)}",
        f"SUMMARY:{escape_text(event.summary)}",
        f"DESCRIPTION:{escape_text(event.description)}",
        f"ORGANIZER;CN={param_value(event.organizer_name)}:mailto:{event.organizer_email}",
        f"ATTENDEE;CN={param_value(event.attendee_name)};ROLE=REQ-PARTICIPANT:"
        f"mailto:{event.attendee_email}",
        f"STATUS:{'CANCELLED' if method == CANCEL else 'CONFIRMED'}",
        "TRANSP:OPAQUE",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(fold(line) + "\r\n" for line in lines).encode("utf-8")
