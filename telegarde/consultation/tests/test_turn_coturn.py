"""Our ephemeral credentials against a real coturn: allocations, refusals, and relaying.

aioice's TURN client speaks to the coturn of the ``coturn`` fixture over UDP on loopback.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aioice import stun
from aioice.turn import TurnTransport, create_turn_endpoint

from telegarde.consultation.tests.conftest import Address, Inbox, TurnServer
from telegarde.consultation.turn import IceSettings, ice_configuration, turn_credentials


@asynccontextmanager
async def allocation(
    server: TurnServer, username: str, password: str
) -> AsyncIterator[tuple[TurnTransport, Inbox]]:
    transport, inbox = await create_turn_endpoint(
        Inbox, (server.host, server.port), username, password
    )
    try:
        yield transport, inbox
    finally:
        transport.close()


@asynccontextmanager
async def udp_peer(host: str) -> AsyncIterator[tuple[asyncio.DatagramTransport, Inbox]]:
    loop = asyncio.get_running_loop()
    transport, inbox = await loop.create_datagram_endpoint(Inbox, local_addr=(host, 0))
    try:
        yield transport, inbox
    finally:
        transport.close()


async def refusal_code(server: TurnServer, username: str, password: str) -> int | None:
    with pytest.raises(stun.TransactionFailed) as caught:
        async with allocation(server, username, password):
            pass
    return caught.value.response.error_code


@pytest.mark.asyncio
async def test_it_allocates_a_relay_with_the_browser_configuration(coturn: TurnServer) -> None:
    ice = IceSettings(turn_urls=(coturn.url,), turn_secret=coturn.secret, turn_ttl=300)
    turn = ice_configuration("5e1f0a", ice)["iceServers"][0]

    async with allocation(coturn, turn["username"], turn["credential"]) as (transport, _):
        relayed_host, relayed_port = transport.get_extra_info("sockname")

    assert relayed_host == "127.0.0.1" and relayed_port > 0


@pytest.mark.asyncio
async def test_it_is_refused_with_expired_credentials(coturn: TurnServer) -> None:
    username, password = turn_credentials(coturn.secret, "5e1f0a", ttl=60, now=time.time() - 3600)

    assert await refusal_code(coturn, username, password) in (401, 438)


@pytest.mark.asyncio
async def test_it_is_refused_with_credentials_from_another_secret(coturn: TurnServer) -> None:
    username, password = turn_credentials("not-" + coturn.secret, "5e1f0a", ttl=300)

    assert await refusal_code(coturn, username, password) in (401, 438)


@pytest.mark.asyncio
async def test_it_is_refused_with_a_user_name_changed_after_signing(coturn: TurnServer) -> None:
    username, password = turn_credentials(coturn.secret, "5e1f0a", ttl=300)
    expiry, user_ref = username.split(":")

    # A browser may not extend its own credentials: the expiry is under the HMAC.
    assert await refusal_code(coturn, f"{int(expiry) + 86400}:{user_ref}", password) == 401


@pytest.mark.asyncio
async def test_it_keeps_a_relay_allocated_in_time_past_the_expiry(coturn: TurnServer) -> None:
    username, password = turn_credentials(coturn.secret, "5e1f0a", ttl=2)
    async with (
        allocation(coturn, username, password) as (client, client_inbox),
        udp_peer("127.0.0.1") as (peer, peer_inbox),
    ):
        await asyncio.sleep(3)  # the credentials have expired: coturn checked them at Allocate

        # The first send binds a channel: an authenticated request, accepted all the same.
        client.sendto(b"toujours la", peer.get_extra_info("sockname"))
        _, relayed = await peer_inbox.next()
        peer.sendto(b"oui", relayed)
        assert (await client_inbox.next())[0] == b"oui"


@pytest.mark.asyncio
async def test_it_relays_data_both_ways_to_a_permitted_peer_only(coturn: TurnServer) -> None:
    username, password = turn_credentials(coturn.secret, "5e1f0a", ttl=300)
    async with (
        allocation(coturn, username, password) as (client, client_inbox),
        udp_peer("127.0.0.1") as (peer, peer_inbox),
        udp_peer("127.0.0.2") as (stranger, _),
    ):
        relayed: Address = client.get_extra_info("sockname")
        peer_address: Address = peer.get_extra_info("sockname")

        # The first send binds a channel, which installs the permission for the peer.
        client.sendto(b"bonjour", peer_address)
        data, source = await peer_inbox.next()
        assert (data, source) == (b"bonjour", relayed)  # from the relay, not the client

        peer.sendto(b"au revoir", relayed)
        assert await client_inbox.next() == (b"au revoir", peer_address)

        # Permissions are per IP address: 127.0.0.2 has none, and its data never arrives
        # (coturn drops it; aioice would also discard a Data indication from it).
        stranger.sendto(b"intrus", relayed)
        with pytest.raises(TimeoutError):
            await client_inbox.next(timeout=0.5)
