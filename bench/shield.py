"""Benchmark: what one shield decision costs, memory backend against Redis.

``python -m bench.shield [--quick]`` calls the shield in this process, in front of an
ASGI app that answers at once, so that what is measured is the shield alone (no server,
no Django view): per request, this process's CPU time and the wall time, minus the same
requests sent straight to the app.

- ``allowed``: one signed-in client far under its budgets (budgets lifted), one request
  after another: every request is a budget decision that lets it through;
- ``flood``: 256 anonymous addresses (4 per /24), 64 requests in flight at once, each
  address sending ``--per-source`` landing-page requests back to back: most are over
  budget and refused with 429 (neither held nor penalised here: the decision's cost).

With ``TELEGARDE_REDIS_URL`` unset the backend is this process's memory; the Redis rows
use the local Redis (127.0.0.1:6379, or ``--redis URL``) under a prefix of their own,
deleted at the end. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

REDIS_URL = "redis://127.0.0.1:6379/0"
SOURCES = 256
IN_FLIGHT = 64


@dataclasses.dataclass(frozen=True)
class Plan:
    allowed: int
    per_source: int
    rounds: int


QUICK = Plan(allowed=2000, per_source=60, rounds=2)
FULL = Plan(allowed=10000, per_source=120, rounds=5)


async def _app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def _call(app: Any, peer: str, path: str, headers: list[tuple[bytes, bytes]]) -> int:
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": headers,
        "client": (peer, 40000),
        "server": ("127.0.0.1", 8000),
    }
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


@dataclasses.dataclass
class Measured:
    requests: int
    cpu_s: float
    wall_s: float
    statuses: Counter[int]


async def _timed(work: Any, requests: int) -> Measured:
    statuses: Counter[int] = Counter()
    cpu, wall = time.process_time(), time.perf_counter()
    for status in await work(statuses):
        statuses[status] += 1
    return Measured(requests, time.process_time() - cpu, time.perf_counter() - wall, statuses)


async def allowed(app: Any, plan: Plan, headers: list[tuple[bytes, bytes]]) -> Measured:
    async def work(_: Counter[int]) -> list[int]:
        return [await _call(app, "198.51.100.7", "/accueil/", headers) for _ in range(plan.allowed)]

    return await _timed(work, plan.allowed)


async def flood(app: Any, plan: Plan, round_index: int) -> Measured:
    # Fresh addresses each round: every round starts from full budgets.
    sources = [f"10.{round_index}.{i // 4}.{i % 4 + 1}" for i in range(SOURCES)]
    order = [source for _ in range(plan.per_source) for source in sources]
    slots = asyncio.Semaphore(IN_FLIGHT)

    async def one(source: str) -> int:
        async with slots:
            return await _call(app, source, "/", [])

    async def work(_: Counter[int]) -> list[int]:
        return list(await asyncio.gather(*(one(source) for source in order)))

    return await _timed(work, len(order))


def _shield(redis_url: str | None, prefix: str, lifted: bool) -> Any:
    from telegarde.security.shield.config import Budget, ShieldSettings
    from telegarde.security.shield.middleware import Shield

    # The decision alone: refusals are not held (a hold adds a timer per refusal, and five
    # seconds of waiting, which bench.flood measures on the real server) and addresses are
    # not penalised (a penalty would answer the flood without asking the backend).
    cfg = ShieldSettings(
        redis_url=redis_url,
        redis_prefix=prefix,
        autoban_rejections=0,
        hold_seconds=0,
        hold_penalty_seconds=0,
    )
    if lifted:
        big = Budget(1e6, 1e6)
        cfg = dataclasses.replace(cfg, budgets=dict.fromkeys(cfg.budgets, big), user_budget=big)
    return Shield(_app, cfg, housekeeping=False)


def _signed_in() -> list[tuple[bytes, bytes]]:
    from telegarde.core.claims import COOKIE_NAME, sign_claim

    claim = sign_claim("b" * 32, "normal", max_age=3600)
    return [(b"cookie", f"{COOKIE_NAME}={claim}".encode())]


async def measure(plan: Plan, redis_url: str | None) -> dict[str, Any]:
    prefix = f"bench-shield-{os.getpid()}"
    headers = _signed_in()
    rows: dict[str, list[Measured]] = {}
    setups = [("memory", None), ("redis", redis_url)] if redis_url else [("memory", None)]
    for round_index in range(plan.rounds):
        base = await allowed(_app, plan, headers)
        rows.setdefault("app alone", []).append(base)
        for name, url in setups:
            app = _shield(url, prefix, lifted=True)
            await allowed(app, Plan(200, 1, 1), headers)  # warm-up: connections, scripts
            rows.setdefault(f"{name}, allowed", []).append(await allowed(app, plan, headers))
            app = _shield(url, f"{prefix}:{round_index}", lifted=False)
            rows.setdefault(f"{name}, flood", []).append(await flood(app, plan, round_index))
            backend = app.backend
            decisions = getattr(backend, "decisions", None)
            if decisions is not None:
                print(f"  round {round_index + 1}, {name} flood: {dict(decisions)}", flush=True)
            await asyncio.sleep(0.2)  # strike counters flushed, pipelines done
    return _summary(rows)


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _summary(rows: dict[str, list[Measured]]) -> dict[str, Any]:
    base_cpu = _median([m.cpu_s / m.requests for m in rows["app alone"]])
    base_wall = _median([m.wall_s / m.requests for m in rows["app alone"]])
    print(f"{'':20} {'cpu us/req':>11} {'wall us/req':>12}  statuses (last round)")
    figures: dict[str, Any] = {"benchmark": "shield"}
    for label, measured in rows.items():
        cpu = _median([m.cpu_s / m.requests for m in measured])
        wall = _median([m.wall_s / m.requests for m in measured])
        if label != "app alone":
            cpu, wall = cpu - base_cpu, wall - base_wall
        statuses = dict(sorted(measured[-1].statuses.items()))
        print(f"{label:20} {cpu * 1e6:11.1f} {wall * 1e6:12.1f}  {statuses}")
        key = label.replace(", ", "_").replace(" ", "_")
        figures[f"{key}_cpu_us"] = round(cpu * 1e6, 1)
        figures[f"{key}_wall_us"] = round(wall * 1e6, 1)
        if label.endswith("flood"):
            last = measured[-1]
            figures[f"{key}_refused_share"] = round(last.statuses[429] / last.requests, 3)
    for kind in ("allowed", "flood"):
        memory, redis = figures.get(f"memory_{kind}_cpu_us"), figures.get(f"redis_{kind}_cpu_us")
        if memory and redis:
            figures[f"redis_memory_cpu_ratio_{kind}"] = round(redis / memory, 2)
    return figures


def _forget(url: str, prefix: str) -> None:
    import redis

    with contextlib.suppress(redis.RedisError):
        client = redis.Redis.from_url(url)
        for key in client.scan_iter(match=f"{prefix}*", count=1000):
            client.delete(key)


def parse_plan(argv: Sequence[str] | None) -> tuple[Plan, str | None]:
    parser = argparse.ArgumentParser(
        prog="python -m bench.shield", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="2 short rounds (smoke run)")
    parser.add_argument("--per-source", type=int, help="flood requests per address")
    parser.add_argument(
        "--redis", default=REDIS_URL, help="Redis URL for the Redis rows, or 'none'"
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.per_source:
        plan = dataclasses.replace(plan, per_source=args.per_source)
    return plan, None if args.redis == "none" else args.redis


def main(argv: Sequence[str] | None = None) -> int:
    plan, redis_url = parse_plan(argv)
    with tempfile.TemporaryDirectory(prefix="telegarde-bench-shield-") as tmp:
        for key in [k for k in os.environ if k.startswith("TELEGARDE_")]:
            del os.environ[key]
        os.environ["TELEGARDE_VAR_DIR"] = tmp
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "telegarde.settings")
        import django

        django.setup()
        if redis_url is not None and not _redis_answers(redis_url):
            print(f"note: no Redis at {redis_url}; memory backend only", flush=True)
            redis_url = None
        print(
            f"bench.shield: {plan.allowed} allowed requests, flood of {SOURCES} addresses x "
            f"{plan.per_source} ({IN_FLIGHT} in flight), {plan.rounds} rounds; "
            f"load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        try:
            figures = asyncio.run(measure(plan, redis_url))
        finally:
            if redis_url is not None:
                _forget(redis_url, f"bench-shield-{os.getpid()}")
    figures["rounds"] = plan.rounds
    figures["load_average"] = round(os.getloadavg()[0], 1)
    print(json.dumps(figures), flush=True)
    return 0


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


if __name__ == "__main__":
    sys.exit(main())
