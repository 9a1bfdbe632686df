"""Record and verify security events: the one API every app uses (DESIGN §4 rule 1).

``record_event`` appends a row to the hash chain inside the caller's transaction, so an
action and its event commit or roll back together. Live sinks (JSON lines file, syslog)
are fed after commit.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, partial
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from telegarde.lib.chain import GENESIS, link_hash

from .models import EventChainHead, SecurityEvent
from .sinks import BackgroundSink, sink_from_url

logger = logging.getLogger(__name__)

REPAIR_ACTION = "core.chain.repaired"
ACTION_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
# Keys that would put a secret into the log; recording one is a programming error.
FORBIDDEN_DATA_KEYS = re.compile(r"pass(word)?|secret|token|otp|private|credential", re.I)
MAX_USER_AGENT = 512


class HasExternalId(Protocol):
    external_id: Any


class Actor(Protocol):
    external_id: Any
    email: str

    @property
    def is_authenticated(self) -> bool: ...


@cache
def _chain_key() -> bytes:
    return str(settings.EVENT_LOG_KEY).encode()


def client_ip(request: HttpRequest) -> str | None:
    """The client address as the serving layer determined it (the shield sets it)."""
    raw = request.META.get("TELEGARDE_CLIENT_IP") or request.META.get("REMOTE_ADDR")
    return _normal_ip(raw)


def _normal_ip(raw: object) -> str | None:
    if not raw:
        return None
    try:
        return str(ipaddress.ip_address(str(raw)))
    except ValueError:
        return None


def _check_data(data: Mapping[str, Any], path: str = "data") -> None:
    for key, value in data.items():
        if FORBIDDEN_DATA_KEYS.search(str(key)):
            raise ValueError(f"{path}.{key}: secrets must never be recorded in security events")
        if isinstance(value, Mapping):
            _check_data(value, f"{path}.{key}")


def chain_fields(event: SecurityEvent) -> dict[str, Any]:
    """The fields a link's hash commits to, in a form that survives a database round trip."""
    return {
        "seq": event.seq,
        "id": str(event.external_id),
        "created": event.created.astimezone(UTC).isoformat(timespec="microseconds"),
        "action": event.action,
        "outcome": event.outcome,
        "actor_id": event.actor_id,
        "actor_email": event.actor_email,
        "organisation_id": event.organisation_id,
        "source_ip": event.source_ip or "",
        "user_agent": event.user_agent,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "data": event.data,
    }


def record_event(
    action: str,
    *,
    outcome: str = SecurityEvent.Outcome.SUCCESS,
    actor: Actor | None = None,
    request: HttpRequest | None = None,
    organisation: HasExternalId | None = None,
    target: HasExternalId | None = None,
    target_type: str = "",
    target_id: str = "",
    data: Mapping[str, Any] | None = None,
    source_ip: str | None = None,
    user_agent: str | None = None,
) -> SecurityEvent:
    """Append one security event to the chain, in the current transaction.

    ``actor`` defaults to the request's signed-in user; ``target`` may be any object with
    an ``external_id`` (its model name becomes the target type).
    """
    if not ACTION_PATTERN.match(action):
        raise ValueError(f"action {action!r} is not a dotted lower-case name")
    if outcome not in SecurityEvent.Outcome.values:
        raise ValueError(f"outcome {outcome!r} is not one of {SecurityEvent.Outcome.values}")
    payload: dict[str, Any] = json.loads(json.dumps(dict(data or {}), default=str))
    _check_data(payload)

    if request is not None:
        if actor is None and getattr(request, "user", None) is not None:
            user = request.user
            actor = user if user.is_authenticated else None
        source_ip = source_ip or client_ip(request)
        user_agent = user_agent or str(request.META.get("HTTP_USER_AGENT", ""))
    if target is not None:
        target_type = target_type or type(target).__name__.lower()
        target_id = target_id or str(target.external_id)

    event = SecurityEvent(
        action=action,
        outcome=outcome,
        actor_id=str(actor.external_id) if actor is not None else "",
        actor_email=actor.email if actor is not None else "",
        organisation_id=str(organisation.external_id) if organisation is not None else "",
        source_ip=_normal_ip(source_ip),
        user_agent=(user_agent or "")[:MAX_USER_AGENT],
        target_type=target_type[:64],
        target_id=target_id[:64],
        data=payload,
    )
    with transaction.atomic():
        _append(event)
    if settings.EVENT_SINK:
        transaction.on_commit(lambda: _sink().emit(event))
    for subscriber in _subscribers:
        transaction.on_commit(partial(subscriber, event))
    return event


# Code above the core layer (the detection engine) is told of each committed event
# without core importing it. Subscribers run in the committing thread: keep them quick.
_subscribers: list[Callable[[SecurityEvent], None]] = []


def subscribe_after_commit(subscriber: Callable[[SecurityEvent], None]) -> None:
    """Call ``subscriber(event)`` after each recorded event's transaction commits."""
    if subscriber not in _subscribers:
        _subscribers.append(subscriber)


def _append(event: SecurityEvent) -> None:
    """Link ``event`` after the chain head and insert it; the caller holds a transaction."""
    # The head row is the chain's lock: writers queue here, in commit order.
    head = EventChainHead.objects.select_for_update().filter(pk=EventChainHead.SINGLETON_ID).first()
    if head is None:
        head = _repair_head("the chain head row was missing")
    elif SecurityEvent.objects.filter(seq__gt=head.seq).exists():
        head = _repair_head(f"the chain head was rewound to position {head.seq}")
    _link(event, head)


def _link(event: SecurityEvent, head: EventChainHead) -> None:
    event.seq = head.seq + 1
    event.created = timezone.now()
    event.prev_hash = head.hash
    event.hash = link_hash(_chain_key(), head.hash, chain_fields(event))
    event.save(force_insert=True)
    EventChainHead.objects.filter(pk=EventChainHead.SINGLETON_ID).update(
        seq=event.seq, hash=event.hash
    )
    head.seq, head.hash = event.seq, event.hash


def _repair_head(reason: str) -> EventChainHead:
    """Someone deleted or rewound the head: rebuild it from the last row rather than
    refuse every action, and record the repair, which verification reports for ever
    after (rows removed before it can no longer be ruled out)."""
    logger.error("security event chain repaired: %s", reason)
    last = SecurityEvent.objects.order_by("-seq").first()
    head, _ = EventChainHead.objects.select_for_update().update_or_create(
        pk=EventChainHead.SINGLETON_ID,
        defaults={"seq": last.seq if last else 0, "hash": last.hash if last else GENESIS},
    )
    _link(SecurityEvent(action=REPAIR_ACTION, outcome="failure", data={"reason": reason}), head)
    return head


@dataclass(frozen=True)
class ChainReport:
    """The result of verifying the chain: ``ok``, rows checked, and the first problem."""

    ok: bool
    checked: int
    broken_seq: int | None = None
    broken_id: int | None = None
    problem: str = ""


def verify_chain() -> ChainReport:
    """Walk the whole chain and name the first row that was edited, removed or moved."""
    key = _chain_key()
    expected_prev = GENESIS
    checked = 0
    for event in SecurityEvent.objects.order_by("seq", "pk").iterator(chunk_size=2000):
        problem = _row_problem(key, event, checked + 1, expected_prev)
        if problem:
            return ChainReport(False, checked, event.seq, event.pk, problem)
        expected_prev = event.hash
        checked += 1
    head = EventChainHead.objects.filter(pk=EventChainHead.SINGLETON_ID).first()
    if head is None:
        return ChainReport(False, checked, None, None, "the chain head row was deleted")
    if head.seq != checked or head.hash != expected_prev:
        problem = (
            f"the chain head names position {head.seq} but the log ends at {checked}: "
            "rows were removed from the end"
        )
        return ChainReport(False, checked, head.seq, None, problem)
    return ChainReport(True, checked)


def _row_problem(key: bytes, event: SecurityEvent, expected_seq: int, expected_prev: str) -> str:
    if event.seq > expected_seq:
        return f"row(s) missing: expected position {expected_seq}, found {event.seq}"
    if event.seq < expected_seq:
        return f"position {event.seq} appears twice or out of order"
    if event.prev_hash != expected_prev:
        return "does not follow the previous row (moved or replaced)"
    if link_hash(key, event.prev_hash, chain_fields(event)) != event.hash:
        return "content altered after it was recorded"
    if event.action == REPAIR_ACTION:
        return (
            f"the chain was repaired here ({event.data.get('reason', '?')}): "
            "rows removed before this point cannot be ruled out"
        )
    return ""


# --- Elastic Common Schema ---------------------------------------------------------------

_CATEGORIES = {
    "auth": ["authentication"],
    "admin": ["configuration", "iam"],
    "account": ["iam"],
    "patient": ["database"],
    "shield": ["network"],
    "document": ["file"],
    "core": ["configuration"],
}
# ECS event.type from the last word of the action name.
_TYPES = {
    "created": ["creation"],
    "granted": ["change"],
    "revoked": ["deletion"],
    "changed": ["change"],
    "saved": ["change"],
    "deleted": ["deletion"],
    "viewed": ["access"],
    "succeeded": ["start"],
    "failed": ["info"],
    "logout": ["end"],
}


def to_ecs(event: SecurityEvent) -> dict[str, Any]:
    """The event with Elastic Common Schema field names, for SIEMs."""
    doc: dict[str, Any] = {
        "@timestamp": event.created.astimezone(UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "ecs": {"version": "8.11.0"},
        "event": {
            "id": str(event.external_id),
            "kind": "event",
            "action": event.action,
            "outcome": event.outcome,
            "sequence": event.seq,
            "category": _CATEGORIES.get(event.action.split(".", 1)[0], ["configuration"]),
            "type": _TYPES.get(event.action.rsplit(".", 1)[-1], ["info"]),
            "provider": "telegarde",
            "hash": event.hash,
        },
        "labels": {"telegarde_prev_hash": event.prev_hash},
    }
    if event.actor_id:
        doc["user"] = {"id": event.actor_id, "email": event.actor_email}
    if event.organisation_id:
        doc["organization"] = {"id": event.organisation_id}
    if event.source_ip:
        doc["source"] = {"ip": event.source_ip}
    if event.user_agent:
        doc["user_agent"] = {"original": event.user_agent}
    if event.target_type or event.data:
        doc["telegarde"] = {
            "target": {"type": event.target_type, "id": event.target_id},
            "data": event.data,
        }
    return doc


def iter_ecs(since: datetime | None = None) -> Iterator[str]:
    """JSON lines, one per event, oldest first."""
    events = SecurityEvent.objects.order_by("seq")
    if since is not None:
        events = events.filter(created__gte=since)
    for event in events.iterator(chunk_size=2000):
        yield json.dumps(to_ecs(event), ensure_ascii=False, sort_keys=True)


# --- Live sinks ----------------------------------------------------------------------------


@cache
def _sink() -> BackgroundSink:
    return BackgroundSink(sink_from_url(str(settings.EVENT_SINK)))
