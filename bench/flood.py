"""Benchmark: legitimate patients under an HTTP flood, shield off against shield on.

``python -m bench.flood [--quick]`` builds a throw-away installation (SQLite under a
temporary TELEGARDE_VAR_DIR, migrated, demo data), then starts two servers with
``telegarde serve --workers 2`` (the production path), identical but for
``TELEGARDE_SHIELD=0`` on one of them, pinned to CPU 0; the load generators run on CPU 1.

1. capacity: the shield-off server's throughput on the anonymous landing page, at
   saturation; the flood is sent at ``--flood-factor`` (10) times that rate;
2. overhead: signed-in patients loading their home page at saturation, on each server
   (ABBA rounds), legitimate load only: ``overhead_ratio`` = on / off;
3. phases, each with the same legitimate load: signed-in patients browsing (home page
   and stylesheet, their appointments, the booking search and a practitioner's free
   slots, paced, each from its own 127.0.0.x address) and booking one slot per phase
   (bench/booking.py); and two consultations in progress, practitioner and patient on
   the room's signalling WebSocket, pinging and chatting (bench/signalling.py):
   (a) ``idle``: legitimate load only (shield-off server);
   (b) ``off``: + the flood, shield off;
   (c) ``on``: + the flood, shield on.
   The flood comes from a separate process: ``--sources`` (256) addresses spread over
   127.1.0.0/16, one keep-alive connection each (``--connections`` more), requests
   pipelined at a fixed rate (open loop), alternating the landing page and the login
   form; a connection the server closes is opened again at once.

Legitimate success = a 200 within 10 s (page loads), a 302 to the new appointment
(bookings), a pong or a chat line delivered to the peer within 10 s (signalling). With
a Redis answering on 127.0.0.1:6379 (``--redis auto``, the default) the servers run with
it: several workers need a shared channel layer for a room's two sockets to talk, and
``telegarde serve`` refuses them without Redis, so ``--redis none`` runs one worker. The
last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from bench import signalling
from bench.booking import (
    MINE_PATH,
    SEARCH_PATH,
    SLOTS_LINK,
    BookingTally,
    Browser,
    book_from,
    copy_cookies,
)
from bench.http import (
    HOST,
    LOAD_CPU,
    SERVER_CPU,
    BenchError,
    Cookies,
    Server,
    browser_headers,
    can_pin,
    free_port,
    prepare_installation,
    server_environment,
    sign_in_as,
)
from bench.load import (
    ProtocolError,
    build_request,
    fetch,
    open_connection,
    percentile,
    read_response,
    run_load,
)

LOGIN_PATH = "/comptes/connexion/"
HOME_PATH = "/accueil/"
DEMO_PATIENTS = (
    "louise.dubois@demo.telegarde.fr",
    "marc.petit@demo.telegarde.fr",
    "amina.diallo@demo.telegarde.fr",
)
DEMO_PASSWORD = "Tilleuls-demo-garde-2026"  # noqa: S105 - published demo credential
ATTACK_PATHS = ("/", LOGIN_PATH)
LEGIT_TIMEOUT_S = 10.0
WORKERS = 2
# Patients loading their home page back to back in the overhead rounds: at the ~100
# signed-in pages per second of this 2-core machine, about 4 per second each, far below
# a person's budget (20/s), so that the rounds measure the shield's cost, not its refusals.
OVERHEAD_PATIENTS = 24
LEGIT_SHARE = 0.3
# Two consultations in progress: (patient, practitioner), each party on its own address.
CONSULTATIONS = (
    ("louise.dubois@demo.telegarde.fr", "dr.benali@demo.telegarde.fr"),
    ("marc.petit@demo.telegarde.fr", "dr.martin@demo.telegarde.fr"),
)
REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class Plan:
    phase_s: float
    capacity_s: float
    overhead_s: float
    overhead_rounds: int
    legit_clients: int
    think_s: float
    sources: int
    flood_factor: float
    depth: int
    redis: str = "auto"  # "auto", "none" or a redis:// URL
    connections: int = 1  # attacker connections per source address


QUICK = Plan(5.0, 2.0, 3.0, 1, 6, 0.3, 256, 10.0, 32)
FULL = Plan(20.0, 5.0, 8.0, 4, 6, 0.3, 256, 10.0, 32)


# --- Servers and sessions ------------------------------------------------------------------


def flood_server(name: str, port: int, log_dir: Path, *, workers: int = WORKERS) -> Server:
    command = [
        sys.executable, "-m", "telegarde", "serve", "--host", HOST, "--port", str(port),
        "--workers", str(workers), "--log-level", "warning",
    ]  # fmt: skip
    return Server(name, command, port, log_dir / f"{name}.log")


@dataclass
class Visitor:
    source: str
    cookies: Cookies
    paths: tuple[str, ...]
    slots_path: str


async def visitors(port: int, count: int) -> list[Visitor]:
    """``count`` signed-in patients, each on its own address, with the stylesheet the
    home page links and one practitioner's free slots (linked by the search page)."""
    result: list[Visitor] = []
    for index in range(count):
        source = f"127.0.0.{10 + index}"
        cookies = await sign_in_as(port, DEMO_PATIENTS[index % len(DEMO_PATIENTS)], source=source)
        pages = {}
        for path in (HOME_PATH, SEARCH_PATH):
            pages[path] = await fetch(
                HOST, port, "GET", path, headers=browser_headers(cookies), source=source
            )
            if pages[path].status != 200:
                raise BenchError(f"GET {path} as a signed-in patient answered {pages[path].status}")
        css = re.search(rb'href="(/static/[^"]+\.css)"', pages[HOME_PATH].body)
        links = sorted(set(SLOTS_LINK.findall(pages[SEARCH_PATH].body)))
        if not links:
            raise BenchError(f"GET {SEARCH_PATH} lists no practitioner to book with")
        slots = links[index % len(links)].decode()
        style = [css.group(1).decode()] if css else []
        paths = (HOME_PATH, *style, MINE_PATH, SEARCH_PATH, slots)
        result.append(Visitor(source, cookies, paths, slots))
    return result


# --- Legitimate load -----------------------------------------------------------------------


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    by_page: dict[str, list[float]] = field(default_factory=dict)
    ok: int = 0
    failed: int = 0
    statuses: Counter[int] = field(default_factory=Counter)

    def add(self, page: str, ms: float) -> None:
        self.latencies.append(ms)
        self.by_page.setdefault(page, []).append(ms)

    def as_dict(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)
        total = self.ok + self.failed
        return {
            "requests": total,
            "success": round(self.ok / total, 4) if total else None,
            "p50_ms": _ms(percentile(ordered, 0.50)),
            "p95_ms": _ms(percentile(ordered, 0.95)),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            # p50 / p95 per kind of page, to tell which one a slowdown comes from
            "by_page_ms": {
                page: [_ms(percentile(sorted(values), 0.50)), _ms(percentile(sorted(values), 0.95))]
                for page, values in sorted(self.by_page.items())
            },
        }


def _page_kind(path: str) -> str:
    if path.startswith("/static/"):
        return "static"
    if path in (HOME_PATH, MINE_PATH, SEARCH_PATH):
        return path
    return "free slots"


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


async def legit_client(
    port: int,
    visitor: Visitor,
    think_s: float,
    stop: float,
    tally: Tally,
    booking: BookingTally,
    first_step: int,
) -> None:
    """A patient clicking around: one request at a time, a pause between them, and one
    booking on the first free-slots page of the phase. A page that fails or takes longer
    than LEGIT_TIMEOUT_S counts as a failure. The browser starts each phase with the
    cookies of its sign-in and keeps what the server sets, as a browser does."""
    clock = time.perf_counter
    browser = Browser(port, visitor.source, copy_cookies(visitor.cookies), LEGIT_TIMEOUT_S)
    step = first_step
    booked = False
    while clock() < stop:
        path = visitor.paths[step % len(visitor.paths)]
        step += 1
        sent = clock()
        try:
            response = await browser.request("GET", path)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ProtocolError):
            tally.failed += 1
            tally.statuses[0] += 1
        else:
            tally.statuses[response.status] += 1
            if response.status == 200:
                tally.ok += 1
                tally.add(_page_kind(path), (clock() - sent) * 1000)
            else:
                tally.failed += 1
            if not booked and path == visitor.slots_path and response.status == 200:
                booked = True
                await asyncio.sleep(think_s)  # choosing a slot
                with contextlib.suppress(
                    OSError, TimeoutError, asyncio.IncompleteReadError, ProtocolError
                ):
                    await book_from(browser, response.body, booking, clock)
        await asyncio.sleep(think_s)
    browser.close()


async def legit_load(
    port: int, people: list[Visitor], plan: Plan, duration: float
) -> tuple[Tally, BookingTally]:
    tally, booking = Tally(), BookingTally()
    stop = time.perf_counter() + duration
    await asyncio.gather(
        *(
            legit_client(port, v, plan.think_s, stop, tally, booking, index)
            for index, v in enumerate(people)
        )
    )
    return tally, booking


# --- The flood (a process of its own) ------------------------------------------------------


def attack_sources(count: int) -> list[str]:
    """``count`` addresses spread over 127.1.0.0/16, four per /24."""
    return [f"127.1.{index // 4}.{index % 4 + 1}" for index in range(count)]


def flood_process(
    port: int, sources: list[str], rate: float, duration: float, depth: int, out: Any
) -> None:
    if hasattr(os, "sched_setaffinity") and LOAD_CPU in os.sched_getaffinity(0):
        os.sched_setaffinity(0, {LOAD_CPU})
    out.put(asyncio.run(_flood(port, sources, rate, duration, depth)))


async def _flood(
    port: int, sources: list[str], rate: float, duration: float, depth: int
) -> dict[str, Any]:
    counts: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    requests = [
        build_request("GET", path, host=f"{HOST}:{port}", headers=[("User-Agent", "flood/1")])
        for path in ATTACK_PATHS
    ]
    per_connection = rate / len(sources)
    tick = 0.05
    start = time.perf_counter()
    stop = start + duration

    async def connection(index: int, source: str) -> None:
        credit = (index % 20) / 20  # spread the first sends
        while time.perf_counter() < stop:
            try:
                reader, writer = await open_connection(HOST, port, source=source)
            except OSError:
                counts["connect_errors"] += 1
                await asyncio.sleep(0.1)
                continue
            outstanding = 0
            done = asyncio.Event()

            async def read_all(
                reader: asyncio.StreamReader = reader, done: asyncio.Event = done
            ) -> None:
                nonlocal outstanding
                try:
                    while True:
                        response = await read_response(reader)
                        outstanding -= 1
                        statuses[response.status] += 1
                        if not response.keep_alive:
                            break
                except (OSError, asyncio.IncompleteReadError, ProtocolError):
                    counts["read_errors"] += 1
                finally:
                    done.set()

            reading = asyncio.create_task(read_all())
            try:
                while time.perf_counter() < stop and not done.is_set():
                    credit += per_connection * tick
                    batch: list[bytes] = []
                    while credit >= 1:
                        credit -= 1
                        if outstanding >= depth:
                            counts["skipped"] += 1  # the server is not reading: backed up
                            continue
                        batch.append(requests[(counts["sent"] + len(batch)) % len(requests)])
                        outstanding += 1
                    if batch:
                        writer.write(b"".join(batch))
                        counts["sent"] += len(batch)
                    await asyncio.sleep(tick)
            finally:
                reading.cancel()
                with contextlib.suppress(BaseException):
                    await reading
                writer.close()

    await asyncio.gather(*(connection(i, s) for i, s in enumerate(sources)))
    elapsed = time.perf_counter() - start
    answered = sum(statuses.values())
    accepted = sum(n for status, n in statuses.items() if status < 400)
    return {
        "sent": counts["sent"],
        "sent_rps": round(counts["sent"] / elapsed, 1),
        "answered": answered,
        "accepted": accepted,
        "accepted_rps": round(accepted / elapsed, 1),
        "accepted_rate": round(accepted / counts["sent"], 4) if counts["sent"] else None,
        "skipped_backed_up": counts["skipped"],
        "connect_errors": counts["connect_errors"],
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


async def phase(
    name: str,
    server: Server,
    people: list[Visitor],
    parties: list[signalling.Party],
    plan: Plan,
    flood_rate: float | None,
) -> dict[str, Any]:
    process = None
    if flood_rate is not None:
        context = multiprocessing.get_context("spawn")
        out = context.Queue()
        process = context.Process(
            target=flood_process,
            args=(
                server.port,
                attack_sources(plan.sources) * plan.connections,
                flood_rate,
                plan.phase_s + 1,
                plan.depth,
                out,
            ),
        )
        process.start()
        await asyncio.sleep(1.0)  # the flood is on before the measurement starts
    (tally, booking), calls = await asyncio.gather(
        legit_load(server.port, people, plan, plan.phase_s),
        signalling.signalling_load(server.port, parties, plan.phase_s),
    )
    result: dict[str, Any] = {
        "phase": name,
        "server": server.name,
        "legit": tally.as_dict(),
        "booking": booking.as_dict(),
        "signalling": calls.as_dict(),
    }
    if process is not None:
        result["attack"] = await asyncio.to_thread(out.get, True, plan.phase_s + 60)
        await asyncio.to_thread(process.join, 30)
    await asyncio.sleep(1.0)  # let the server drain before the next phase
    return result


# --- Capacity and overhead -----------------------------------------------------------------


async def capacity(server: Server, plan: Plan) -> float:
    request = build_request(
        "GET", "/", host=f"{HOST}:{server.port}", headers=[("Accept", "text/html")]
    )
    result = await run_load(HOST, server.port, request, connections=8, duration_s=plan.capacity_s)
    if result.statuses.get(200, 0) == 0:
        raise BenchError(f"the landing page answered {result.statuses} on {server.name}")
    return result.statuses[200] / plan.capacity_s


async def overhead_people(port: int, emails: list[str]) -> list[tuple[str, Cookies]]:
    """The overhead rounds' patients, signed in, each on its own address."""
    people = []
    for index, email in enumerate(emails):
        source = f"127.0.1.{10 + index}"
        people.append((source, await sign_in_as(port, email, source=source)))
    return people


async def saturated_throughput(
    server: Server, people: list[tuple[str, Cookies]], seconds: float
) -> tuple[float, int]:
    """Signed-in home pages at saturation, one back-to-back connection per patient
    (``OVERHEAD_PATIENTS`` of them, so that none goes over a person's budget on this
    machine): 200s per second, and the other answers (the shield's budgets, when the
    server is fast enough for a patient to go over them all the same)."""
    results = await asyncio.gather(
        *(
            run_load(
                HOST,
                server.port,
                build_request(
                    "GET",
                    HOME_PATH,
                    host=f"{HOST}:{server.port}",
                    headers=browser_headers(cookies),
                ),
                connections=1,
                duration_s=seconds,
                sources=[source],
            )
            for source, cookies in people
        )
    )
    ok = sum(r.statuses.get(200, 0) for r in results)
    refused = sum(n for r in results for s, n in r.statuses.items() if s != 200)
    if refused:
        print(f"  note: {refused} non-200 answers at saturation on {server.name}", flush=True)
    return ok / seconds, refused


# --- Installation ----------------------------------------------------------------------------


def shared_redis(choice: str, env: dict[str, str]) -> str | None:
    """Point both servers at a Redis (``env`` is updated) unless ``choice`` is "none" or,
    with "auto", none answers locally. Without it each worker process has its own
    channel layer, and a room's two sockets on different workers do not hear each other."""
    url = REDIS_URL if choice == "auto" else None if choice == "none" else choice
    if url is None or (choice == "auto" and not _redis_answers()):
        print(
            "note: no shared Redis; the channel layer is per worker, so chat between "
            "two sockets on different workers is lost (channel_layer: memory)",
            flush=True,
        )
        return None
    env.update(
        TELEGARDE_REDIS_URL=url,
        TELEGARDE_REDIS_PREFIX=f"bench-flood-{os.getpid()}",
        TELEGARDE_DETECTION_MODE="inline",  # as the embedded profile: no stream reader here
    )
    return url


def _redis_answers() -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", 6379), 1) as conn:
        conn.settimeout(1)
        conn.sendall(b"PING\r\n")
        return conn.recv(16).startswith(b"+PONG")
    return False


def forget_redis_keys(url: str, prefix: str) -> None:
    """Delete this run's keys (budgets, channel layer, cache) from the shared Redis."""
    import redis

    with contextlib.suppress(redis.RedisError):
        client = redis.Redis.from_url(url)
        for key in client.scan_iter(match=f"{prefix}:*", count=1000):
            client.delete(key)


def consultation_setup(env: dict[str, str], var_dir: Path) -> dict[str, Any]:
    """The consultations' appointments and the practitioners' TOTP seeds (helper process
    with the installation's settings), plus which channel layer the servers use."""
    out = var_dir / "consultations.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench._flood_setup", str(out), str(OVERHEAD_PATIENTS)]
        + [f"{patient}:{practitioner}" for patient, practitioner in CONSULTATIONS],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"setting up the consultations failed:\n{done.stderr[-2000:]}")
    setup: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    setup["channel_layer"] = "redis" if "TELEGARDE_REDIS_URL" in env else "memory"
    return setup


# --- Main ----------------------------------------------------------------------------------


async def run(on: Server, off: Server, plan: Plan, setup: dict[str, Any]) -> dict[str, Any]:
    people = await visitors(off.port, plan.legit_clients)
    # Signed in on the off server: sessions live in the shared database, and a TOTP code
    # is accepted once, so each practitioner signs in once for both servers.
    parties = await signalling.consultations(
        off.port, list(CONSULTATIONS), setup["appointments"], setup["totp"]
    )
    cap = await capacity(off, plan)
    flood_rate = max(plan.flood_factor * cap, 500.0)
    print(
        f"capacity (shield off, anonymous landing page): {cap:.1f} req/s; "
        f"flood rate: {flood_rate:.0f} req/s from {plan.sources} addresses",
        flush=True,
    )
    loaders = {
        server.name: await overhead_people(server.port, setup["patients"]) for server in (on, off)
    }
    overhead: dict[str, list[float]] = {"on": [], "off": []}
    refused_at_saturation: Counter[str] = Counter()
    for index in range(plan.overhead_rounds):
        order = (off, on) if index % 2 == 0 else (on, off)
        for server in order:
            rps, refused = await saturated_throughput(server, loaders[server.name], plan.overhead_s)
            overhead[server.name].append(rps)
            refused_at_saturation[server.name] += refused
            print(f"  saturation, signed-in home page, {server.name}: {rps:.1f} req/s", flush=True)
        await asyncio.sleep(1.0)  # signed-in budgets refill between rounds
    # The legitimate load asks for about a third of what the server can do with it, so
    # that phase (a) measures an unhurried server.
    off_rps = sum(overhead["off"]) / len(overhead["off"])
    think_s = max(plan.think_s, len(people) / (LEGIT_SHARE * off_rps))
    plan = Plan(**{**plan.__dict__, "think_s": think_s})
    print(
        f"legitimate load: {len(people)} patients, one request every {think_s:.2f} s each, "
        f"one booking each per phase; {len(CONSULTATIONS)} consultations on their "
        f"signalling sockets (ping every {signalling.PING_EVERY_S:g} s, "
        f"chat every {signalling.CHAT_EVERY_S:g} s)",
        flush=True,
    )
    phases = [
        await phase("idle", off, people, parties, plan, None),
        await phase("off", off, people, parties, plan, flood_rate),
        await phase("on", on, people, parties, plan, flood_rate),
    ]
    for item in phases:
        print(json.dumps(item), flush=True)
    idle, flood_off, flood_on = (p["legit"] for p in phases)
    per_phase: dict[str, Any] = {}
    for item in phases:
        name, booking, calls = item["phase"], item["booking"], item["signalling"]
        per_phase |= {
            f"booking_success_{name}": booking["success"],
            f"booking_attempts_{name}": booking["attempts"],
            f"booking_p95_ms_{name}": booking["p95_ms"],
            f"signalling_success_{name}": calls["success"],
            f"signalling_p50_ms_{name}": calls["p50_ms"],
            f"signalling_p95_ms_{name}": calls["p95_ms"],
            f"chat_delivery_p95_ms_{name}": calls["chat_p95_ms"],
            f"signalling_drops_{name}": calls["drops"] + calls["connect_failures"],
        }
    on_rps = sum(overhead["on"]) / len(overhead["on"])

    def ratio(a: float | None, b: float | None) -> float | None:
        return round(a / b, 3) if a is not None and b else None

    return {
        "benchmark": "flood",
        "legit_success_idle": idle["success"],
        "legit_success_off": flood_off["success"],
        "legit_success_on": flood_on["success"],
        "legit_p50_ms_idle": idle["p50_ms"],
        "legit_p95_ms_idle": idle["p95_ms"],
        "legit_p95_ms_off": flood_off["p95_ms"],
        "legit_p95_ms_on": flood_on["p95_ms"],
        "legit_p95_ratio_on_idle": ratio(flood_on["p95_ms"], idle["p95_ms"]),
        "legit_requests_idle": idle["requests"],
        "legit_requests_off": flood_off["requests"],
        "legit_requests_on": flood_on["requests"],
        **per_phase,
        "attacker_accepted_rate_off": phases[1]["attack"]["accepted_rate"],
        "attacker_accepted_rate_on": phases[2]["attack"]["accepted_rate"],
        "attacker_accepted_rps_off": phases[1]["attack"]["accepted_rps"],
        "attacker_accepted_rps_on": phases[2]["attack"]["accepted_rps"],
        "attack_rps_target": round(flood_rate, 1),
        "attack_rps_achieved_off": phases[1]["attack"]["sent_rps"],
        "attack_rps_achieved_on": phases[2]["attack"]["sent_rps"],
        "attack_sources": plan.sources,
        "attack_connections": plan.sources * plan.connections,
        "capacity_rps": round(cap, 1),
        "overhead_ratio": ratio(on_rps, off_rps),
        "saturated_rps_on": round(on_rps, 1),
        "saturated_rps_off": round(off_rps, 1),
        # The shield's Redis fail-overs and recoveries, from the shield-on server's log.
        "shield_failovers_on": _log_count(on, "shield: Redis unreachable"),
        "shield_recoveries_on": _log_count(on, "shield: Redis answers again"),
        # Above 0, overhead_ratio counts budget refusals, not only the shield's cost.
        "saturation_refused_on": refused_at_saturation["on"],
        "legit_think_s": round(think_s, 2),
        "phase_s": plan.phase_s,
        "workers": WORKERS,
        "channel_layer": setup["channel_layer"],
    }


def _log_count(server: Server, text: str) -> int:
    try:
        return server.log_path.read_text(encoding="utf-8", errors="replace").count(text)
    except OSError:
        return 0


def parse_plan(argv: Sequence[str] | None) -> Plan:
    parser = argparse.ArgumentParser(
        prog="python -m bench.flood", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="5 s phases (smoke run, < 1 min)")
    parser.add_argument("--phase", type=float, help="seconds per phase")
    parser.add_argument("--sources", type=int, help="attacker source addresses (>= 200)")
    parser.add_argument("--flood-factor", type=float, help="flood rate / measured capacity")
    parser.add_argument(
        "--connections",
        type=int,
        default=1,
        help="attacker connections per source address (default 1: one keep-alive "
        "connection each); more tries a flood that opens many",
    )
    parser.add_argument(
        "--redis",
        default="auto",
        help="the servers' TELEGARDE_REDIS_URL: auto (the local Redis when it answers), "
        "none (each worker's memory), or a redis:// URL",
    )
    args = parser.parse_args(argv)
    base = QUICK if args.quick else FULL
    plan = Plan(
        **{
            **base.__dict__,
            "phase_s": args.phase or base.phase_s,
            "sources": args.sources or base.sources,
            "flood_factor": args.flood_factor or base.flood_factor,
            "redis": args.redis,
            "connections": args.connections,
        }
    )
    if plan.phase_s <= 0 or not 1 <= plan.sources <= 16384 or plan.flood_factor <= 0:
        parser.error("phase and flood factor must be positive, sources between 1 and 16384")
    if not 1 <= plan.connections <= 64 or plan.sources * plan.connections > 16384:
        parser.error("connections: 1 to 64 per source, 16384 in all")
    return plan


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    plan = parse_plan(argv)
    signal.signal(signal.SIGTERM, _terminate)
    pinned = can_pin()
    if pinned:
        os.sched_setaffinity(0, {LOAD_CPU})
    print(
        f"bench.flood: {plan.legit_clients} signed-in patients, flood x{plan.flood_factor:g} "
        f"capacity from {plan.sources} addresses ({plan.connections} connection(s) each), "
        f"{plan.phase_s:g} s phases; "
        + (
            f"servers on CPU {SERVER_CPU}, generators on CPU {LOAD_CPU}" if pinned else "not pinned"
        ),
        flush=True,
    )
    try:
        with (
            tempfile.TemporaryDirectory(prefix="telegarde-flood-") as tmp,
            contextlib.ExitStack() as stack,
        ):
            var_dir = Path(tmp)
            env = server_environment(var_dir)
            redis_url = shared_redis(plan.redis, env)
            if redis_url is not None:
                stack.callback(forget_redis_keys, redis_url, env["TELEGARDE_REDIS_PREFIX"])
            prepare_installation(env)
            setup = consultation_setup(env, var_dir)
            # Several workers need Redis (telegarde serve refuses them without it).
            workers = WORKERS if redis_url is not None else 1
            on = flood_server("on", free_port(), var_dir, workers=workers)
            off = flood_server("off", free_port(), var_dir, workers=workers)
            stack.callback(on.stop)
            stack.callback(off.stop)
            figures = asyncio.run(_start_and_run(on, off, env, plan, pinned, setup))
    except BenchError as error:
        print(f"bench.flood: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench.flood: interrupted; servers stopped", file=sys.stderr)
        return 130
    figures["pinned"] = pinned
    print(json.dumps(figures), flush=True)
    return 0


async def _start_and_run(
    on: Server, off: Server, env: dict[str, str], plan: Plan, pinned: bool, setup: dict[str, Any]
) -> dict[str, Any]:
    on.start(env, pin=pinned)
    off.start({**env, "TELEGARDE_SHIELD": "0"}, pin=pinned)
    await asyncio.gather(on.wait_ready(), off.wait_ready())
    return await run(on, off, plan, setup)


if __name__ == "__main__":
    sys.exit(main())
