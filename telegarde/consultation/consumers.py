"""The signalling WebSocket of a consultation room.

It authenticates from the session (a room link alone never grants entry), relays offers,
answers and ICE candidates between admitted participants only, remembers the DTLS
fingerprints it relayed (the man-in-the-middle check), and carries the waiting room's
live state. Every message is validated (protocol.py) and the rate is capped per
connection, in addition to the shield's caps.
"""

from __future__ import annotations

import json
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.exceptions import ValidationError
from django.http import Http404

from telegarde.accounts.sessions import realtime_session_usable

from . import actions
from .access import access_room, too_early
from .models import Participant, Room
from .protocol import MAX_MESSAGE_BYTES, Message, ProtocolError, parse
from .room_state import state_for

CLOSE_FORBIDDEN = 4403
CLOSE_SUPERSEDED = 4409
CLOSE_TOO_EARLY = 4425
CLOSE_ENDED = 4410
CLOSE_TOO_FAST = 4429
CLOSE_TOO_BIG = 1009
RATE_PER_SECOND = 20.0
RATE_BURST = 60.0
MAX_VIOLATIONS = 5
# Refused messages are recorded once per field and connection, a few fields at most, so a
# misbehaving client cannot flood the event log.
MAX_RECORDED_REFUSALS = 5


def _client_ip(scope: dict[str, Any]) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


class RoomConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]
    room: Room
    me: Participant

    async def connect(self) -> None:
        self.tokens, self.stamp, self.violations = RATE_BURST, time.monotonic(), 0
        try:
            self.room, self.me = await database_sync_to_async(self._authorise)()
        except Http404:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        if self.room.status == Room.Status.ENDED:
            await self.close(code=CLOSE_ENDED)
            return
        if too_early(self.room, self.me):
            await database_sync_to_async(actions.do_record_early_entry)(
                self.room, self.me, source_ip=_client_ip(self.scope)
            )
            await self.close(code=CLOSE_TOO_EARLY)
            return
        self.room_group = f"room.{self.room.external_id.hex}"
        self.own_group = f"participant.{self.me.external_id.hex}"
        self.refusals_recorded: set[str] = set()
        await self.accept()
        # One live connection per participant: a second tab takes over, the first closes.
        await self.channel_layer.group_send(self.own_group, {"type": "room.superseded"})
        await self.channel_layer.group_add(self.room_group, self.channel_name)
        await self.channel_layer.group_add(self.own_group, self.channel_name)
        self.me = await database_sync_to_async(actions.do_join_room)(
            self.me, source_ip=_client_ip(self.scope)
        )
        await self._broadcast_state()

    def _authorise(self) -> tuple[Room, Participant]:
        user, session = self.scope.get("user"), self.scope["session"]
        room_id = self.scope["url_route"]["kwargs"]["room_id"]
        if (
            user is not None
            and user.is_authenticated
            and not realtime_session_usable(user, session)
        ):
            raise Http404("session")
        return access_room(user, session, room_id)

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "own_group"):
            return
        await self.channel_layer.group_discard(self.room_group, self.channel_name)
        await self.channel_layer.group_discard(self.own_group, self.channel_name)
        await database_sync_to_async(actions.do_leave_room)(
            self.me, source_ip=_client_ip(self.scope)
        )
        await self._broadcast_state()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None or len(text_data) > MAX_MESSAGE_BYTES:
            await self._refused("message", f"larger than {MAX_MESSAGE_BYTES} bytes")
            await self.close(code=CLOSE_TOO_BIG)
            return
        if not self._spend_token():
            self.violations += 1
            await self._refused("rate", "trop de messages : ralentissez")
            if self.violations >= MAX_VIOLATIONS:
                await self.close(code=CLOSE_TOO_FAST)
            return
        try:
            message = parse(text_data)
            await getattr(self, f"on_{message.type}")(message)
        except ProtocolError as exc:
            await self._refused(exc.field, exc.problem)
        except ValidationError as exc:
            await self._refused("action", " ".join(exc.messages))

    async def _refused(self, field: str, problem: str) -> None:
        """Tell this client only, and record the refusal (once per field)."""
        await self._error(field, problem)
        if field in self.refusals_recorded or len(self.refusals_recorded) >= MAX_RECORDED_REFUSALS:
            return
        self.refusals_recorded.add(field)
        await database_sync_to_async(actions.do_record_refused_message)(
            self.room, self.me, field=field, source_ip=_client_ip(self.scope)
        )

    def _spend_token(self) -> bool:
        now = time.monotonic()
        self.tokens = min(RATE_BURST, self.tokens + (now - self.stamp) * RATE_PER_SECOND)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    # --- messages from the browser -------------------------------------------------

    async def on_ping(self, message: Message) -> None:
        await self._send({"type": "pong"})

    async def on_state(self, message: Message) -> None:
        await self._send(await database_sync_to_async(state_for)(self.room.pk, self.me.pk))

    async def on_offer(self, message: Message) -> None:
        await self._relay_description(message)

    async def on_answer(self, message: Message) -> None:
        await self._relay_description(message)

    async def _relay_description(self, message: Message) -> None:
        peer = await self._admitted_peer(message.fields["to"])
        description = message.fields["description"]
        await database_sync_to_async(actions.do_relay_description)(
            self.room, self.me, peer, description["sdp"]
        )
        await self._to(peer, {"type": message.type, "description": description})

    async def on_candidate(self, message: Message) -> None:
        peer = await self._admitted_peer(message.fields["to"])
        await self._to(peer, {"type": "candidate", "candidate": message.fields["candidate"]})

    async def on_fingerprints(self, message: Message) -> None:
        peer = await self._admitted_peer(message.fields["peer"])
        fields = message.fields
        agreed = await database_sync_to_async(actions.do_report_fingerprints)(
            self.room, self.me, peer, local=fields["local"], remote=fields["remote"]
        )
        if not agreed:
            # Told to those in the call only: a guest still waiting has no call to doubt.
            await self.channel_layer.group_send(
                self.room_group,
                {"type": "room.call_event", "payload": {"type": "fingerprint_mismatch"}},
            )

    async def on_admit(self, message: Message) -> None:
        other = await self._participant(message.fields["participant"])
        await database_sync_to_async(actions.do_admit_participant)(
            self.room, other, acting_user=self.scope["user"]
        )
        await self._broadcast_state()

    async def on_refuse(self, message: Message) -> None:
        other = await self._participant(message.fields["participant"])
        await database_sync_to_async(actions.do_refuse_participant)(
            self.room, other, acting_user=self.scope["user"]
        )
        await self.channel_layer.group_send(
            f"participant.{other.external_id.hex}", {"type": "room.refused"}
        )
        await self._broadcast_state()

    async def on_sas(self, message: Message) -> None:
        room = await database_sync_to_async(actions.do_record_sas_result)(
            self.room, matched=message.fields["result"] == "match", acting_user=self.scope["user"]
        )
        if room.status == Room.Status.ENDED:
            await self._broadcast_end("sas_mismatch")
        else:
            await self._broadcast_state()

    async def on_chat(self, message: Message) -> None:
        await database_sync_to_async(self._require_admitted)()
        chat = await database_sync_to_async(actions.do_post_chat_message)(
            self.room, self.me, message.fields["text"]
        )
        payload = {
            "type": "chat",
            "id": str(chat.external_id),
            "author": self.me.display_name,
            "from": str(self.me.external_id),
            "text": message.fields["text"].strip(),
            "at": chat.created.isoformat(),
        }
        await self.channel_layer.group_send(
            self.room_group, {"type": "room.call_event", "payload": payload}
        )

    async def on_fallback(self, message: Message) -> None:
        await database_sync_to_async(self._require_admitted)()
        user = self.scope["user"] if self.me.user_id else None
        await database_sync_to_async(actions.do_use_fallback)(
            self.room, message.fields["step"], actor=user, reason=message.fields["reason"]
        )
        await self._broadcast_state()

    async def on_hangup(self, message: Message) -> None:
        await database_sync_to_async(actions.do_end_consultation)(
            self.room, acting_user=self.scope["user"]
        )
        await self._broadcast_end("hangup")

    # --- helpers ---------------------------------------------------------------------

    def _in_call(self) -> bool:
        self.me.refresh_from_db(fields=["state"])
        return self.me.state == Participant.State.ADMITTED

    def _require_admitted(self) -> None:
        if not self._in_call():
            raise ValidationError("vous n'avez pas encore été admis")

    async def _participant(self, external_id: str) -> Participant:
        found: Participant | None = await database_sync_to_async(
            lambda: self.room.participants.filter(external_id=external_id).first()
        )()
        if found is None:
            raise ProtocolError("participant", "not in this room")
        return found

    async def _admitted_peer(self, external_id: str) -> Participant:
        await database_sync_to_async(self._require_admitted)()
        peer = await self._participant(external_id)
        if peer.state != Participant.State.ADMITTED or peer.pk == self.me.pk:
            raise ProtocolError("to", "not an admitted participant")
        return peer

    async def _to(self, peer: Participant, payload: dict[str, Any]) -> None:
        payload["from"] = str(self.me.external_id)
        await self.channel_layer.group_send(
            f"participant.{peer.external_id.hex}", {"type": "room.event", "payload": payload}
        )

    async def _broadcast_state(self) -> None:
        await self.channel_layer.group_send(self.room_group, {"type": "room.changed"})

    async def _broadcast_end(self, reason: str) -> None:
        await self.channel_layer.group_send(
            self.room_group, {"type": "room.ended", "reason": reason}
        )

    async def _error(self, field: str, problem: str) -> None:
        await self._send({"type": "error", "field": field, "message": problem})

    async def _send(self, payload: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(payload))

    # --- events from the channel layer -------------------------------------------------

    async def room_changed(self, event: dict[str, Any]) -> None:
        await self._send(await database_sync_to_async(state_for)(self.room.pk, self.me.pk))

    async def room_event(self, event: dict[str, Any]) -> None:
        await self._send(event["payload"])

    async def room_call_event(self, event: dict[str, Any]) -> None:
        # The room group also holds those still waiting (a guest the practitioner may yet
        # refuse): what is said in the call reaches admitted participants only.
        if await database_sync_to_async(self._in_call)():
            await self._send(event["payload"])

    async def room_superseded(self, event: dict[str, Any]) -> None:
        await self._send({"type": "superseded"})
        await self.close(code=CLOSE_SUPERSEDED)

    async def room_refused(self, event: dict[str, Any]) -> None:
        await self._send({"type": "refused"})
        await self.close(code=CLOSE_FORBIDDEN)

    async def room_ended(self, event: dict[str, Any]) -> None:
        await self._send({"type": "ended", "reason": event["reason"]})
        await self.close(code=CLOSE_ENDED)
