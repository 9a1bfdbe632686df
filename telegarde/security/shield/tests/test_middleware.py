"""The shield in front of an ASGI app: decisions, headers, and what reaches the app."""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from telegarde.core.claims import COOKIE_NAME, sign_claim
from telegarde.security.shield import bans
from telegarde.security.shield.config import Budget, ShieldSettings

from .asgi import request, settings, shield

pytestmark = pytest.mark.asyncio


def cfg(**changes: object) -> ShieldSettings:
    return settings(**changes)


async def test_it_passes_the_client_address_to_django_and_answers_the_app() -> None:
    app, inner = shield()
    answer = await request(app, "/accueil/", peer="198.51.100.4")
    assert answer.status == 200 and answer.body == b"ok"
    assert inner.scopes[0]["telegarde.environ"]["TELEGARDE_CLIENT_IP"] == "198.51.100.4"


async def test_it_uses_forwarded_for_only_from_trusted_proxies() -> None:
    proxies = (ipaddress.ip_network("10.0.0.0/24"),)
    app, inner = shield(cfg(trusted_proxies=proxies))
    forged = [(b"x-forwarded-for", b"6.6.6.6")]
    await request(app, peer="203.0.113.5", headers=forged)
    await request(app, peer="10.0.0.2", headers=[(b"x-forwarded-for", b"6.6.6.6, 203.0.113.8")])
    seen = [s["telegarde.environ"]["TELEGARDE_CLIENT_IP"] for s in inner.scopes]
    assert seen == ["203.0.113.5", "203.0.113.8"]


async def test_it_refuses_a_client_over_budget_with_retry_after_before_the_app() -> None:
    budgets = {**ShieldSettings().budgets, "page": Budget(0.01, 3)}
    app, inner = shield(cfg(budgets=budgets))
    statuses = [(await request(app)).status for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = await request(app)
    assert 1 <= int(refused.headers["retry-after"]) <= 100
    assert "Trop de requêtes".encode() in refused.body
    assert len(inner.scopes) == 3
    assert (await request(app, peer="192.0.2.99")).status == 200  # someone else is served


async def test_it_budgets_a_whole_network_against_distributed_floods() -> None:
    budgets = {**ShieldSettings().budgets, "page": Budget(0.01, 2)}
    app, _ = shield(cfg(budgets=budgets, prefix_factor=2.0))
    statuses = [(await request(app, peer=f"192.0.2.{i}")).status for i in range(1, 7)]
    assert statuses.count(200) == 4 and statuses.count(429) == 2


async def test_it_budgets_signed_in_people_per_person_across_addresses() -> None:
    claim = sign_claim("a" * 32, "normal", max_age=600)
    cookie = [(b"cookie", f"{COOKIE_NAME}={claim}".encode())]
    app, _ = shield(cfg(user_budget=Budget(0.01, 2)))
    statuses = [(await request(app, peer=f"198.51.{i}.1", headers=cookie)).status for i in range(3)]
    assert statuses == [200, 200, 429]


async def test_it_ignores_a_forged_claim() -> None:
    forged = sign_claim("a" * 32, "high", max_age=600)[:-4] + "AAAA"
    cookie = [(b"cookie", f"{COOKIE_NAME}={forged}".encode())]
    app, _ = shield(cfg(user_budget=Budget(1, 1)))
    # Treated as anonymous: the (tiny) user budget does not apply, the page budget does.
    assert [(await request(app, headers=cookie)).status for _ in range(3)] == [200] * 3


async def test_it_refuses_a_banned_address_and_network() -> None:
    app, inner = shield()
    until = time.time() + 60
    bans.table().add(ipaddress.ip_network("203.0.113.66/32"), until)
    bans.table().add(ipaddress.ip_network("198.18.7.0/24"), until)
    try:
        assert (await request(app, peer="203.0.113.66")).status == 403
        answer = await request(app, peer="198.18.7.200")
        assert answer.status == 403 and int(answer.headers["retry-after"]) <= 60
        assert (await request(app, peer="203.0.113.67")).status == 200
        assert len(inner.scopes) == 1
    finally:
        bans.TABLE = bans.BanTable()


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ([(b"x-h%d" % i, b"v") for i in range(200)], 431),
        ([(b"x-big", b"v" * 20000)], 431),
        ([(b"content-length", b"99999999999")], 413),
        ([(b"content-length", b"12abc")], 400),
        ([(b"content-length", b"5"), (b"content-length", b"6")], 400),
    ],
)
async def test_it_refuses_absurd_request_heads(
    headers: list[tuple[bytes, bytes]], status: int
) -> None:
    app, inner = shield(cfg(max_body_bytes=1024 * 1024))
    assert (await request(app, headers=headers)).status == status
    assert inner.scopes == []


async def test_it_refuses_an_overlong_url() -> None:
    app, inner = shield()
    assert (await request(app, "/" + "a" * 5000)).status == 414
    assert inner.scopes == []


async def test_it_cuts_a_body_that_trickles_in_with_408() -> None:
    app, _ = shield(cfg(body_timeout=0.2))
    chunks = [b"a"] * 10
    answer = await request(app, method="POST", chunks=chunks, chunk_delay=0.05)
    assert answer.status == 408


async def test_it_cuts_a_body_larger_than_announced_limits() -> None:
    app, _ = shield(cfg(max_body_bytes=2048))
    answer = await request(app, method="POST", chunks=[b"a" * 1500, b"a" * 1500])
    assert answer.status == 413


async def test_it_sheds_anonymous_requests_when_the_worker_is_saturated() -> None:
    release = asyncio.Event()

    async def slow(scope: object, receive: object, send: object) -> None:
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": b""})  # type: ignore[operator]

    from telegarde.security.shield.middleware import Shield

    app = Shield(slow, cfg(max_inflight=2, anonymous_slots=1), housekeeping=False)
    claim = sign_claim("b" * 32, "high", max_age=600)
    carer = [(b"cookie", f"{COOKIE_NAME}={claim}".encode())]
    first = asyncio.create_task(request(app, peer="192.0.2.1"))
    await asyncio.sleep(0.01)
    anonymous = await request(app, peer="192.0.2.2")  # waits 0.5 s, then 503
    assert anonymous.status == 503 and anonymous.headers["retry-after"] == "2"
    high = asyncio.create_task(request(app, peer="192.0.2.3", headers=carer))
    await asyncio.sleep(0.01)
    release.set()
    assert (await high).status == 200 and (await first).status == 200


async def test_it_serves_metrics_only_with_the_token() -> None:
    token = "t" * 32
    app, _ = shield(cfg(metrics_token=token))
    await request(app)
    assert (await request(app, "/bouclier/metriques")).status == 401
    wrong = [(b"authorization", b"Bearer " + b"x" * 32)]
    assert (await request(app, "/bouclier/metriques", headers=wrong)).status == 401
    good = [(b"authorization", f"Bearer {token}".encode())]
    answer = await request(app, "/bouclier/metriques", headers=good)
    assert answer.status == 200
    assert b'telegarde_shield_decisions_total{decision="allowed",class="page"' in answer.body
    assert b"telegarde_shield_inflight" in answer.body
    app, _ = shield(cfg(metrics_token=None))
    assert (await request(app, "/bouclier/metriques", headers=good)).status == 404


async def test_it_sheds_anonymous_requests_before_asking_their_budget_when_the_line_is_full() -> (
    None
):
    from telegarde.security.shield.backends import MemoryBackend
    from telegarde.security.shield.middleware import Shield
    from telegarde.security.shield.priority import LOW, MAX_WAITING, Ticket

    class Counting(MemoryBackend):
        asked = 0

        async def take(self, buckets: Any, strike_key: str | None) -> Any:
            self.asked += 1
            return await super().take(buckets, strike_key)

    backend = Counting()
    budgets = {**ShieldSettings().budgets, "page": Budget(0.01, 1)}
    app = Shield(_inner_ok, cfg(budgets=budgets), backend=backend, housekeeping=False)
    assert (await request(app, peer="192.0.2.1")).status == 200
    app.gate.scheduler.waiting[LOW].extend(Ticket("page", LOW) for _ in range(MAX_WAITING[LOW]))
    shed = await request(app, peer="192.0.2.2")
    assert shed.status == 503 and shed.headers["retry-after"] == "2"
    # Over its budget, it is refused for that, and the refusal counts toward a ban.
    over = await request(app, peer="192.0.2.1")
    assert over.status == 429
    assert backend.asked == 1
    assert backend.strikes["192.0.2.1"][0] == 1


async def test_it_holds_an_anonymous_refusal_then_closes_the_connection() -> None:
    budgets = {**ShieldSettings().budgets, "page": Budget(0.01, 1)}
    app, _ = shield(cfg(budgets=budgets, hold_seconds=0.3))
    served = await request(app)
    assert served.status == 200 and "connection" not in served.headers
    started = time.monotonic()
    refused = await request(app)
    assert refused.status == 429 and refused.headers["connection"] == "close"
    assert time.monotonic() - started >= 0.15  # held 0.3 s, give or take a half
    assert app.holds.held == 0


async def test_it_holds_every_refusal_of_a_banned_address() -> None:
    claim = sign_claim("c" * 32, "high", max_age=600)
    carer = [(b"cookie", f"{COOKIE_NAME}={claim}".encode())]
    app, _ = shield(cfg(hold_seconds=0.2))
    bans.table().add(ipaddress.ip_network("203.0.113.70/32"), time.time() + 60)
    try:
        started = time.monotonic()
        answer = await request(app, peer="203.0.113.70", headers=carer)
        assert answer.status == 403 and answer.headers["connection"] == "close"
        assert time.monotonic() - started >= 0.1
    finally:
        bans.TABLE = bans.BanTable()


async def test_it_keeps_refusing_an_address_over_budget_until_it_stays_away() -> None:
    budgets = {**ShieldSettings().budgets, "page": Budget(1000, 1)}  # refills in 1 ms
    app, inner = shield(cfg(budgets=budgets, hold_penalty_seconds=0.5))
    statuses = [(await request(app, peer="192.0.2.5")).status for _ in range(2)]
    assert statuses == [200, 429]
    await asyncio.sleep(0.05)  # the bucket is full again, the penalty still runs
    penalised = await request(app, peer="192.0.2.5")
    assert penalised.status == 429 and penalised.headers["retry-after"] == "1"
    claim = sign_claim("e" * 32, "normal", max_age=600)
    patient = [(b"cookie", f"{COOKIE_NAME}={claim}".encode())]
    assert (await request(app, peer="192.0.2.5", headers=patient)).status == 200
    assert (await request(app, peer="192.0.2.6")).status == 200  # the neighbour is served
    await asyncio.sleep(0.35)
    # Back within the penalty, which started again at the last refusal.
    assert (await request(app, peer="192.0.2.5")).status == 429
    await asyncio.sleep(0.6)
    assert (await request(app, peer="192.0.2.5")).status == 200
    assert len(inner.scopes) == 4


async def test_it_answers_a_signed_in_persons_refusal_at_once_and_keeps_the_connection() -> None:
    claim = sign_claim("a" * 32, "normal", max_age=600)
    cookie = [(b"cookie", f"{COOKIE_NAME}={claim}".encode())]
    app, _ = shield(cfg(user_budget=Budget(0.01, 1), hold_seconds=5))
    assert (await request(app, headers=cookie)).status == 200
    started = time.monotonic()
    refused = await request(app, headers=cookie)
    assert refused.status == 429 and "connection" not in refused.headers
    assert time.monotonic() - started < 1


async def test_it_holds_no_more_refusals_than_its_limits_and_answers_the_rest_at_once() -> None:
    budgets = {**ShieldSettings().budgets, "page": Budget(0.01, 1)}
    app, _ = shield(cfg(budgets=budgets, hold_seconds=0.5, hold_per_address=2, hold_max=3))
    for peer in ("192.0.2.1", "192.0.2.2"):
        assert (await request(app, peer=peer)).status == 200

    async def timed(peer: str) -> tuple[int, str, float]:
        started = time.monotonic()
        answer = await request(app, peer=peer)
        return answer.status, answer.headers["connection"], time.monotonic() - started

    answers = await asyncio.gather(
        *(timed("192.0.2.1") for _ in range(3)), *(timed("192.0.2.2") for _ in range(2))
    )
    assert all(status == 429 and connection == "close" for status, connection, _ in answers)
    held = [took >= 0.25 for _, _, took in answers]  # held 0.5 s, give or take a half
    assert held[:3].count(True) == 2  # two per address
    assert held.count(True) == 3  # three in all
    assert app.holds.held == 0 and app.holds.by_address == {}


async def _run_late(app: Any, times: int, *, busy: bool = True) -> None:
    """Take the event loop ``times`` times for a quarter of a second, letting the lag
    probe wake up late after each: by working (``busy``: this worker saturated, as by a
    flood or busy request threads) or by sleeping (another process holds the CPU)."""
    for _ in range(times):
        await asyncio.sleep(0.005)  # the probe is asleep
        until = time.perf_counter() + 0.25
        if busy:
            while time.perf_counter() < until:
                pass
        else:
            time.sleep(0.25)
        for _ in range(3):
            await asyncio.sleep(0)
        assert app.loop_lag >= 0.2


def _patient() -> list[tuple[bytes, bytes]]:
    claim = sign_claim("d" * 32, "normal", max_age=600)
    return [(b"cookie", f"{COOKIE_NAME}={claim}".encode())]


@pytest_asyncio.fixture
async def probed() -> AsyncIterator[Any]:
    """A shield whose lag probe runs (saturation at 80 ms late), stopped after the test."""
    from telegarde.security.shield.middleware import Shield

    app = Shield(_inner_ok, cfg(lag_pressure_ms=80), housekeeping=False)
    probe = asyncio.create_task(app.probe_lag())
    yield app
    probe.cancel()


async def test_anonymous_requests_wait_while_a_busy_worker_keeps_running_late(probed: Any) -> None:
    app = probed
    await _run_late(app, 1)  # one pause is not saturation
    assert app.gate.scheduler.clock() >= app.gate.scheduler.pressure_until
    assert (await request(app, peer="192.0.2.8", headers=_patient())).status == 200
    await _run_late(app, 3)
    assert app.gate.scheduler.clock() < app.gate.scheduler.pressure_until
    started = time.monotonic()
    assert (await request(app, peer="192.0.2.9", headers=_patient())).status == 200
    assert time.monotonic() - started < 0.3  # signed-in people go on at once
    started = time.monotonic()
    assert (await request(app, peer="192.0.2.9")).status == 200
    assert time.monotonic() - started >= 0.3  # anonymous waited out the pressure


async def test_it_sheds_nobody_for_a_late_event_loop_when_nobody_signed_in_is_served(
    probed: Any,
) -> None:
    app = probed
    await _run_late(app, 5)
    assert app.late_share >= 0.5 and app.cpu_share >= 0.3
    assert app.gate.scheduler.clock() >= app.gate.scheduler.pressure_until


async def test_it_sheds_nobody_when_other_processes_make_its_event_loop_late(probed: Any) -> None:
    app = probed
    assert (await request(app, peer="192.0.2.8", headers=_patient())).status == 200
    await _run_late(app, 4, busy=False)  # a machine busy with something else
    assert app.late_share >= 0.5 and app.cpu_share < 0.3
    assert app.gate.scheduler.clock() >= app.gate.scheduler.pressure_until


async def _inner_ok(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})
