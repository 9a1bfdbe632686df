"""Benchmark: a signed-in patient's home page, per worker, served our way against plain WSGI.

``python -m bench.http [--quick]`` builds a throw-away installation (SQLite under a
temporary TELEGARDE_VAR_DIR, migrated, demo data loaded), then starts two one-worker
servers on free loopback ports, one after the other:

- ours: ``telegarde serve`` (granian, ASGI interface, HTTP handed to Django's WSGI
  handler through ``telegarde.lib.wsgi_bridge``);
- wsgi: ``granian --interface wsgi telegarde.wsgi:application``, the same app served
  plainly, as the reference.

It signs in the demo patient through the login form, checks that GET /accueil/ shows
her page, and loads that page on both servers in alternating order (ours first in odd
rounds, second in even ones) for several rounds, since the machine is shared and noisy.
Servers run on CPU 0 and the load generator on CPU 1 when the machine allows it. The
figures are medians over the rounds; the last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlencode

from bench.load import LoadResult, Response, build_request, fetch, run_load

HOST = "127.0.0.1"
LOGIN_PATH = "/comptes/connexion/"
HOME_PATH = "/accueil/"
HEALTH_PATH = "/healthz"
# The published demo login, as created by telegarde/accounts/management/commands/demo.py.
DEMO_PATIENT = "louise.dubois@demo.telegarde.fr"
DEMO_PASSWORD = "Tilleuls-demo-garde-2026"  # noqa: S105 - published demo credential
HOME_MARKER = b"Bonjour"
SERVER_CPU = 0
LOAD_CPU = 1
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
USER_AGENT = "telegarde-bench/1"
SATURATION_BUDGETS = {
    "TELEGARDE_SHIELD_BUDGETS": "page=100000/100000,static=100000/100000",
    "TELEGARDE_SHIELD_USER_BUDGET": "100000/100000",
}


class BenchError(Exception):
    """The benchmark cannot measure what it means to; the message says why."""


@dataclass(frozen=True)
class Plan:
    rounds: int
    duration_s: float
    warmup_s: float
    concurrency: int


QUICK = Plan(rounds=2, duration_s=3.0, warmup_s=1.0, concurrency=8)
FULL = Plan(rounds=5, duration_s=10.0, warmup_s=2.0, concurrency=8)


# --- The installation under test ---------------------------------------------------------


def server_environment(var_dir: Path) -> dict[str, str]:
    """This process's environment without any Telegarde or granian setting, so both
    servers run the embedded profile with defaults, on SQLite under ``var_dir``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGARDE_", "GRANIAN_", "DJANGO_"))
    }
    env["TELEGARDE_VAR_DIR"] = str(var_dir)
    return env


def prepare_installation(env: dict[str, str]) -> None:
    """Migrate, collect static files (the pages link them through the manifest) and
    load the demo data, as ``make run`` does."""
    for step in (
        ["migrate", "--noinput", "-v0"],
        ["collectstatic", "--noinput", "-v0"],
        ["demo"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "telegarde", *step],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise BenchError(
                f"`telegarde {' '.join(step)}` failed (exit {done.returncode}):\n"
                + _tail(done.stdout + done.stderr)
            )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def can_pin() -> bool:
    """True when the server and the load generator can each have a CPU of their own."""
    if not hasattr(os, "sched_setaffinity") or shutil.which("taskset") is None:
        return False
    return {SERVER_CPU, LOAD_CPU} <= os.sched_getaffinity(0)


class Server:
    """One server process (and its granian worker), in a process group of its own."""

    def __init__(self, name: str, command: list[str], port: int, log_path: Path) -> None:
        self.name = name
        self.command = command
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, env: dict[str, str], *, pin: bool) -> None:
        prefix = ["taskset", "-c", str(SERVER_CPU)] if pin else []
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [*prefix, *self.command],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    async def wait_ready(self) -> None:
        """Wait until the server answers its health check."""
        assert self.process is not None
        give_up = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < give_up:
            if self.process.poll() is not None:
                raise BenchError(
                    f"the {self.name} server exited with code {self.process.returncode}:\n"
                    + self.log_tail()
                )
            with contextlib.suppress(OSError, TimeoutError):
                response = await fetch(HOST, self.port, "GET", HEALTH_PATH, timeout=2.0)
                if response.status == 200:
                    return
            await asyncio.sleep(0.1)
        raise BenchError(
            f"the {self.name} server did not answer {HEALTH_PATH} within "
            f"{START_TIMEOUT_S:.0f} s:\n" + self.log_tail()
        )

    def stop(self) -> None:
        """Stop the server and its worker: SIGTERM to its group, SIGKILL if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def cpu_seconds(self) -> float | None:
        """CPU time (user + system) spent so far by the server's process group, from
        /proc; None where there is no /proc."""
        assert self.process is not None
        ticks = 0
        try:
            entries = os.listdir("/proc")
        except OSError:
            return None
        for entry in entries:
            if not entry.isdigit():
                continue
            try:
                stat = Path("/proc", entry, "stat").read_text(encoding="ascii", errors="replace")
            except OSError:
                continue  # exited meanwhile
            fields = stat[stat.rindex(")") + 2 :].split()
            # After "pid (comm) ": state, ppid, pgrp, ..., utime and stime at 11 and 12.
            if int(fields[2]) == self.process.pid:
                ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def log_tail(self) -> str:
        try:
            return _tail(self.log_path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            return "(no log)"


def our_server(port: int, log_dir: Path) -> Server:
    # `telegarde serve` is the production path: preflight checks, then exec granian ASGI.
    command = [
        sys.executable, "-m", "telegarde", "serve",
        "--host", HOST, "--port", str(port), "--workers", "1", "--log-level", "warning",
    ]  # fmt: skip
    return Server("ours", command, port, log_dir / "ours.log")


def wsgi_server(port: int, log_dir: Path) -> Server:
    command = [
        sys.executable, "-m", "granian", "--interface", "wsgi",
        "--host", HOST, "--port", str(port), "--workers", "1",
        "--log-level", "warning", "--no-access-log",
        "telegarde.wsgi:application",
    ]  # fmt: skip
    return Server("wsgi", command, port, log_dir / "wsgi.log")


# --- Signing in ----------------------------------------------------------------------------


class Cookies:
    """The few cookies a browser would keep for one site, from Set-Cookie headers."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def update(self, response: Response) -> None:
        for header in response.header_values("set-cookie"):
            pair, _, attributes = header.partition(";")
            name, _, value = pair.strip().partition("=")
            expired = re.search(r"max-age=0\b", attributes, re.IGNORECASE) is not None
            if expired or not value.strip('"'):
                self.values.pop(name, None)
            else:
                self.values[name] = value

    def header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.values.items())


def browser_headers(cookies: Cookies) -> list[tuple[str, str]]:
    return [
        ("User-Agent", USER_AGENT),
        ("Accept", "text/html"),
        ("Accept-Language", "fr"),
        ("Cookie", cookies.header()),
    ]


async def sign_in(server: Server) -> Cookies:
    """Sign the demo patient in through the login form; returns the browser's cookies."""
    try:
        return await sign_in_as(server.port, DEMO_PATIENT)
    except BenchError as error:
        raise BenchError(f"{error}\n{server.log_tail()}") from None


async def sign_in_as(port: int, email: str, *, source: str | None = None) -> Cookies:
    """Sign ``email`` (demo password) in through the login form, optionally from the
    loopback address ``source``; returns the browser's cookies."""
    cookies = Cookies()
    form = await fetch(
        HOST, port, "GET", LOGIN_PATH, headers=browser_headers(cookies), source=source
    )
    cookies.update(form)
    found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form.body)
    if form.status != 200 or found is None:
        raise BenchError(f"GET {LOGIN_PATH} answered {form.status} without a CSRF token")
    origin = f"http://{HOST}:{port}"
    body = urlencode(
        {"csrfmiddlewaretoken": found.group(1).decode("ascii"), "username": email,
         "password": DEMO_PASSWORD}
    ).encode("ascii")  # fmt: skip
    answer = await fetch(
        HOST,
        port,
        "POST",
        LOGIN_PATH,
        headers=[
            *browser_headers(cookies),
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Origin", origin),
            ("Referer", origin + LOGIN_PATH),
        ],
        body=body,
        source=source,
    )
    cookies.update(answer)
    if answer.status != 302:
        why = {
            200: "the form came back (wrong password? compare DEMO_PASSWORD with demo.py)",
            403: "CSRF check refused the form",
        }.get(answer.status, "unexpected answer")
        raise BenchError(f"signing in {email} failed: {answer.status}, {why}")
    return cookies


async def check_home(server: Server, cookies: Cookies) -> None:
    """The measured page must be the patient's own home page, not a redirect or error."""
    page = await fetch(HOST, server.port, "GET", HOME_PATH, headers=browser_headers(cookies))
    if page.status != 200 or HOME_MARKER not in page.body:
        found = "a page without " + HOME_MARKER.decode() if page.status == 200 else page.status
        raise BenchError(
            f"GET {HOME_PATH} on the {server.name} server answered {found}"
            f" (Location: {page.header('location')}), not the signed-in patient's page\n"
            + server.log_tail()
        )


# --- Measuring -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Measurement:
    """One load run on one server, with the CPU time its processes spent meanwhile."""

    load: LoadResult
    cpu_s: float | None
    # CPU time the server's core spent on anything else (other processes, the
    # hypervisor's steal); None when the server is not pinned to a core of its own.
    others_cpu_s: float | None

    @property
    def cpu_ms_per_request(self) -> float | None:
        if self.cpu_s is None or self.load.count == 0:
            return None
        return self.cpu_s * 1000.0 / self.load.count

    @property
    def busy(self) -> float | None:
        """The share of its CPU the server used: well under 1 means it was starved by
        other work on the machine (or idle waiting), which makes req/s unreliable."""
        return None if self.cpu_s is None else self.cpu_s / self.load.duration_s

    @property
    def others(self) -> float | None:
        """The share of the server's core taken by other work during the run."""
        if self.others_cpu_s is None:
            return None
        return max(0.0, self.others_cpu_s / self.load.duration_s)


async def measure(
    server: Server, cookies: Cookies, plan: Plan, *, server_core: int | None
) -> Measurement:
    request = build_request(
        "GET", HOME_PATH, host=f"{HOST}:{server.port}", headers=browser_headers(cookies)
    )
    if plan.warmup_s > 0:
        await run_load(
            HOST, server.port, request, connections=plan.concurrency, duration_s=plan.warmup_s
        )
    cpu_before = server.cpu_seconds()
    core_before = None if server_core is None else core_busy_seconds(server_core)
    result = await run_load(
        HOST, server.port, request, connections=plan.concurrency, duration_s=plan.duration_s
    )
    cpu_after = server.cpu_seconds()
    core_after = None if server_core is None else core_busy_seconds(server_core)
    unexpected = {status: n for status, n in result.statuses.items() if status != 200}
    if unexpected or result.count == 0:
        raise BenchError(
            f"the {server.name} server answered {HOME_PATH} with {unexpected or 'nothing'}"
            f" under load ({result.errors} connection errors)\n" + server.log_tail()
        )
    cpu_s = _delta(cpu_before, cpu_after)
    core_s = _delta(core_before, core_after)
    others_s = None if core_s is None or cpu_s is None else core_s - cpu_s
    return Measurement(result, cpu_s, others_s)


def _delta(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before


def core_busy_seconds(core: int) -> float | None:
    """Time CPU ``core`` has spent not idle (stolen time included), from /proc/stat."""
    try:
        lines = Path("/proc/stat").read_text(encoding="ascii").splitlines()
    except OSError:
        return None
    for line in lines:
        name, *ticks = line.split()
        if name == f"cpu{core}":
            # user nice system idle iowait irq softirq steal ...: idle and iowait are free.
            values = [int(tick) for tick in ticks[:8]]
            return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")
    return None


async def run_rounds(
    ours: Server, wsgi: Server, plan: Plan, *, server_core: int | None
) -> dict[str, list[Measurement]]:
    """Sign in, then measure both (ready) servers alternately, in ABBA order."""
    cookies = await sign_in(ours)
    for server in (ours, wsgi):
        await check_home(server, cookies)
    results: dict[str, list[Measurement]] = {ours.name: [], wsgi.name: []}
    print(HEADER, flush=True)
    for round_index in range(plan.rounds):
        order = (ours, wsgi) if round_index % 2 == 0 else (wsgi, ours)
        for server in order:
            measurement = await measure(server, cookies, plan, server_core=server_core)
            results[server.name].append(measurement)
            print(_row(str(round_index + 1), server.name, measurement), flush=True)
    return results


# --- Reporting -----------------------------------------------------------------------------

COLUMNS = ("req/s", "p50 ms", "p95 ms", "p99 ms", "cpu ms/req", "busy", "others", "errors")
HEADER = f"{'round':>6} {'server':<6}" + "".join(f" {column:>10}" for column in COLUMNS)


def _row(label: str, name: str, measurement: Measurement) -> str:
    load = measurement.load
    cells = (
        load.rps,
        load.p50_ms,
        load.p95_ms,
        load.p99_ms,
        measurement.cpu_ms_per_request,
        measurement.busy,
        measurement.others,
        load.errors,
    )
    return _line(label, name, cells)


def _line(label: str, name: str, cells: Sequence[float | int | None]) -> str:
    def cell(value: float | int | None) -> str:
        if value is None:
            return f" {'-':>10}"
        if isinstance(value, int):
            return f" {value:>10}"
        return f" {value:>10.2f}"

    return f"{label:>6} {name:<6}" + "".join(cell(value) for value in cells)


def _median(values: Sequence[float | None], digits: int) -> float | None:
    present = [value for value in values if value is not None]
    return round(statistics.median(present), digits) if present else None


def summary(results: dict[str, list[Measurement]], plan: Plan, *, pinned: bool) -> dict[str, Any]:
    """Medians over the rounds. Keys for our server are unprefixed where the issue named
    them (p95_ms), ``wsgi_`` marks the reference."""
    figures: dict[str, Any] = {"benchmark": "http"}
    for name in ("ours", "wsgi"):
        runs = results[name]
        loads = [run.load for run in runs]
        prefix = "" if name == "ours" else "wsgi_"
        figures[f"{name}_rps"] = _median([load.rps for load in loads], 1)
        figures[f"{prefix}p50_ms"] = _median([load.p50_ms for load in loads], 2)
        figures[f"{prefix}p95_ms"] = _median([load.p95_ms for load in loads], 2)
        figures[f"{prefix}p99_ms"] = _median([load.p99_ms for load in loads], 2)
        figures[f"{name}_cpu_ms_per_req"] = _median([run.cpu_ms_per_request for run in runs], 3)
        figures[f"{name}_busy"] = _median([run.busy for run in runs], 2)
        figures[f"{name}_others"] = _median([run.others for run in runs], 2)
        figures[f"{name}_errors"] = sum(load.errors for load in loads)
        figures[f"{name}_rps_rounds"] = [round(load.rps, 1) for load in loads]
    figures["ratio"] = _ratio(figures["ours_rps"], figures["wsgi_rps"])
    # CPU per request barely moves when other work shares the machine, unlike req/s:
    # above 1 means ours spends less CPU per request than plain WSGI.
    figures["cpu_ratio"] = _ratio(figures["wsgi_cpu_ms_per_req"], figures["ours_cpu_ms_per_req"])
    figures.update(
        rounds=plan.rounds,
        duration_s=plan.duration_s,
        warmup_s=plan.warmup_s,
        concurrency=plan.concurrency,
        pinned=pinned,
        path=HOME_PATH,
    )
    return figures


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 3)


def print_summary(figures: dict[str, Any]) -> None:
    print()
    for name in ("ours", "wsgi"):
        prefix = "" if name == "ours" else "wsgi_"
        cells = [
            figures[f"{name}_rps"],
            figures[f"{prefix}p50_ms"],
            figures[f"{prefix}p95_ms"],
            figures[f"{prefix}p99_ms"],
            figures[f"{name}_cpu_ms_per_req"],
            figures[f"{name}_busy"],
            figures[f"{name}_others"],
            figures[f"{name}_errors"],
        ]
        print(_line("median", name, cells))
    print(
        f"ratio ours/wsgi, median req/s: {figures['ratio']} (target >= 0.8, not gated);"
        f" CPU per request, wsgi/ours: {figures['cpu_ratio']}"
    )
    print(json.dumps(figures), flush=True)


def _tail(text: str, lines: int = 20) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


# --- Command line --------------------------------------------------------------------------


def parse_plan(argv: Sequence[str] | None) -> Plan:
    parser = argparse.ArgumentParser(
        prog="python -m bench.http", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="2 rounds of 3 s (smoke run)")
    parser.add_argument("--rounds", type=int, help="rounds of (ours, wsgi) measurements")
    parser.add_argument("--duration", type=float, help="seconds measured per server per round")
    parser.add_argument("--warmup", type=float, help="seconds of load discarded before each")
    parser.add_argument("--concurrency", type=int, help="keep-alive connections")
    args = parser.parse_args(argv)
    base = QUICK if args.quick else FULL
    plan = Plan(
        rounds=args.rounds or base.rounds,
        duration_s=args.duration or base.duration_s,
        warmup_s=base.warmup_s if args.warmup is None else args.warmup,
        concurrency=args.concurrency or base.concurrency,
    )
    if plan.rounds < 1 or plan.duration_s <= 0 or plan.warmup_s < 0 or plan.concurrency < 1:
        parser.error("rounds, duration and concurrency must be positive, warmup not negative")
    return plan


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks that stop servers


def main(argv: Sequence[str] | None = None) -> int:
    plan = parse_plan(argv)
    signal.signal(signal.SIGTERM, _terminate)
    pinned = can_pin()
    if pinned:
        os.sched_setaffinity(0, {LOAD_CPU})
    print(
        f"bench.http: GET {HOME_PATH} as a signed-in patient, one worker per server, "
        f"{plan.concurrency} connections, {plan.rounds} rounds x {plan.duration_s:g} s"
        f" (+{plan.warmup_s:g} s warm-up); "
        + (f"servers on CPU {SERVER_CPU}, load on CPU {LOAD_CPU}" if pinned else "not pinned"),
        flush=True,
    )
    try:
        with (
            tempfile.TemporaryDirectory(prefix="telegarde-bench-") as tmp,
            contextlib.ExitStack() as servers,
        ):
            var_dir = Path(tmp)
            env = server_environment(var_dir)
            # One patient at saturation asks far more than a person's budget: lift the
            # shield's budgets (it still decides every request, at the same cost).
            env.update(SATURATION_BUDGETS)
            prepare_installation(env)
            ours = our_server(free_port(), var_dir)
            wsgi = wsgi_server(free_port(), var_dir)
            for server in (ours, wsgi):
                servers.callback(server.stop)
            results = asyncio.run(_start_and_run(ours, wsgi, env, plan, pinned=pinned))
    except BenchError as error:
        print(f"bench.http: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench.http: interrupted; servers stopped", file=sys.stderr)
        return 130
    print_summary(summary(results, plan, pinned=pinned))
    return 0


async def _start_and_run(
    ours: Server, wsgi: Server, env: dict[str, str], plan: Plan, *, pinned: bool
) -> dict[str, list[Measurement]]:
    # One after the other: the second starts once the first answers, so neither starts
    # while the other is busy; both then stay up, idle while the other is measured.
    for server in (ours, wsgi):
        server.start(env, pin=pinned)
        await server.wait_ready()
    return await run_rounds(ours, wsgi, plan, server_core=SERVER_CPU if pinned else None)


if __name__ == "__main__":
    sys.exit(main())
