"""The shield in the real server (`telegarde serve`): floods from one address are cut
early, other clients keep being served. Sources are 127.0.3.x and 127.0.4.x so that the
shared server's budgets for 127.0.0.1 (other tests) are untouched."""

from __future__ import annotations

import asyncio
from collections import Counter
from urllib.parse import urlsplit

from bench.load import fetch


def test_it_refuses_a_flood_from_one_address_and_serves_others(platform_server: str) -> None:
    parts = urlsplit(platform_server)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80

    async def scenario() -> tuple[Counter[int], list[int], str | None]:
        answers = await asyncio.gather(
            *(fetch(host, port, "GET", "/", source="127.0.3.7") for _ in range(80))
        )
        statuses = Counter(a.status for a in answers)
        retry = next((a.header("retry-after") for a in answers if a.status == 429), None)
        others = [
            (await fetch(host, port, "GET", "/", source=f"127.0.4.{i}")).status for i in range(1, 6)
        ]
        return statuses, others, retry

    statuses, others, retry = asyncio.run(scenario())
    assert statuses[429] >= 40 and statuses[200] <= 40
    assert retry is not None and int(retry) >= 1
    assert others == [200] * 5


def test_it_ignores_a_forged_forwarded_for(platform_server: str) -> None:
    parts = urlsplit(platform_server)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80

    async def scenario() -> list[int]:
        # One attacker rotating forged X-Forwarded-For values is still one client: it
        # meets its budget (burst 30) within 45 requests. (Refusals are held: stop there.)
        statuses: list[int] = []
        for i in range(45):
            response = await fetch(
                host,
                port,
                "GET",
                "/",
                source="127.0.3.8",
                headers=[("X-Forwarded-For", f"10.9.{i}.1")],
            )
            statuses.append(response.status)
            if response.status == 429:
                break
        return statuses

    statuses = asyncio.run(scenario())
    assert 429 in statuses
