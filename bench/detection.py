"""Benchmark: the detection engine over synthetic events, against Debian's fail2ban-regex.

``python -m bench.detection [--quick]``

1. Engine: replays N synthetic events (1,000,000; 100,000 with --quick) through the
   whole built-in catalogue with in-memory state and deduplication, on one core (the
   process is pinned to CPU 0 when it can be). Events are generated in chunks of
   10,000 flat events, outside the timed part, so memory holds one chunk at a time;
   peak RSS is read after the run (``ru_maxrss``) and the number of correlation windows
   alive at the end is printed, to show that memory follows groups, not events. Events
   per CPU second and the share of the time the process was on a CPU are printed next
   to the events/s: on a shared machine a low share says the figure measured the load.
2. fail2ban: the same traffic's sign-in events as OpenSSH auth.log lines, fed to
   ``fail2ban-regex`` with Debian's ``sshd`` filter (installed with apt-get when missing
   and root). Its lines/s excludes its start-up, measured on a one-line file.
3. Live latency: an embedded installation (SQLite in a temporary folder) records
   brute-force sequences with ``record_event``; the time from the commit of the event
   that crosses the threshold to the alert row being visible, p95 over the sequences.

Figures are medians over rounds where there are rounds; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

CHUNK = 10_000
START = 1_800_000_000.0


@dataclass(frozen=True)
class Plan:
    events: int
    fail2ban_lines: int
    rounds: int
    live_sequences: int


QUICK = Plan(events=100_000, fail2ban_lines=20_000, rounds=1, live_sequences=10)
FULL = Plan(events=1_000_000, fail2ban_lines=200_000, rounds=3, live_sequences=40)


def synthetic(total: int, seed: int = 7) -> Iterator[list[dict[str, Any]]]:
    """Chunks of flat events: a busy platform's traffic with attacks mixed in, one
    event every 2 ms of simulated time (about 4 hours for a million)."""
    rng = random.Random(seed)
    users = [f"00000000-0000-4000-8000-{n:012d}" for n in range(2000)]
    emails = [f"soignant{n}@exemple.fr" for n in range(2000)]
    made = 0
    while made < total:
        chunk: list[dict[str, Any]] = []
        for _ in range(min(CHUNK, total - made)):
            ts = START + made * 0.002
            roll = rng.random()
            n = rng.randrange(2000)
            ip = f"10.{n % 7}.{n % 251}.{rng.randrange(1, 255)}"
            event: dict[str, Any] = {"event.id": f"s{made}", "ts": ts}
            if roll < 0.25:
                event.update(
                    {
                        "event.action": "auth.login.succeeded",
                        "event.outcome": "success",
                        "user.id": users[n],
                        "user.email": emails[n],
                        "source.ip": ip,
                    }
                )
            elif roll < 0.33:
                event.update(
                    {
                        "event.action": "auth.login.failed",
                        "event.outcome": "failure",
                        "telegarde.data.email": emails[n],
                        "source.ip": ip,
                    }
                )
            elif roll < 0.35:
                # An attacker: one source spraying, or stuffing from many.
                attacker = f"203.0.113.{rng.randrange(1, 20)}"
                event.update(
                    {
                        "event.action": "auth.login.failed",
                        "event.outcome": "failure",
                        "telegarde.data.email": f"victime{rng.randrange(10**6)}@exemple.fr",
                        "source.ip": attacker,
                    }
                )
            elif roll < 0.65:
                event.update(
                    {
                        "event.action": "patient.record.viewed",
                        "event.outcome": "success",
                        "user.id": users[n],
                        "telegarde.target.id": f"p{rng.randrange(50000)}",
                        "telegarde.data.reason": "organisation_care_team",
                    }
                )
            elif roll < 0.95:
                status = 404 if rng.random() < 0.05 else 200
                event.update(
                    {
                        "event.action": "web.request",
                        "event.outcome": "success",
                        "source.ip": ip,
                        "url.path": "/accueil/",
                        "http.response.status_code": status,
                    }
                )
            else:
                event.update(
                    {
                        "event.action": "auth.mfa.failed",
                        "event.outcome": "failure",
                        "telegarde.target.id": users[n],
                        "source.ip": ip,
                    }
                )
            chunk.append(event)
            made += 1
        yield chunk


def run_engine(total: int) -> dict[str, Any]:
    from telegarde.security.detection.engine import Engine, MemoryAlerts, MemoryState
    from telegarde.security.detection.rules import load_rules

    rules = load_rules().rules
    state = MemoryState()
    engine = Engine(rules, state)
    alerts = MemoryAlerts(keep=1000)
    busy = cpu = 0.0
    for chunk in synthetic(total):
        started, started_cpu = time.perf_counter(), time.process_time()
        process, add = engine.process, alerts.add
        for event in chunk:
            for hit in process(event):
                add(hit)
        busy += time.perf_counter() - started
        cpu += time.process_time() - started_cpu
        alerts.sweep(chunk[-1]["ts"])
    return {
        "events_per_s": total / busy,
        "events_per_cpu_s": total / cpu,
        "cpu_share": cpu / busy,
        "seconds": busy,
        "alerts": alerts.raised,
        "rules": len(rules),
        "windows": state.size(),
    }


def auth_log_lines(total: int) -> Iterator[str]:
    """The synthetic sign-in events as OpenSSH lines (what fail2ban's sshd filter reads)."""
    written = 0
    for chunk in synthetic(total * 4):
        for event in chunk:
            action = event["event.action"]
            if action not in {"auth.login.failed", "auth.login.succeeded"}:
                continue
            stamp = datetime.fromtimestamp(event["ts"], UTC).strftime("%b %d %H:%M:%S")
            if action == "auth.login.failed":
                user = event["telegarde.data.email"].split("@")[0]
                text = f"Failed password for invalid user {user} from {event['source.ip']}"
                text += " port 52314 ssh2"
            else:
                user = event["user.email"].split("@")[0]
                text = f"Accepted password for {user} from {event['source.ip']} port 52314 ssh2"
            yield f"{stamp} telegarde sshd[{1000 + written % 30000}]: {text}\n"
            written += 1
            if written >= total:
                return


def ensure_fail2ban() -> str | None:
    found = shutil.which("fail2ban-regex")
    if found or os.geteuid() != 0:
        return found
    print("installing Debian's fail2ban for the comparison…", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env, capture_output=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "fail2ban"], check=False, env=env, capture_output=True
    )
    return shutil.which("fail2ban-regex")


def run_fail2ban(binary: str, lines: int, workdir: Path, pin: list[str]) -> dict[str, Any]:
    log = workdir / "auth.log"
    with log.open("w") as out:
        out.writelines(auth_log_lines(lines))
    one = workdir / "one.log"
    one.write_text(next(auth_log_lines(1)))

    def timed(path: Path) -> tuple[float, float, str]:
        """Wall and CPU seconds of one fail2ban-regex run, and its output."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(
            [*pin, binary, str(path), "sshd"], capture_output=True, text=True, check=False
        )
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        return wall, cpu, done.stdout

    # The least of three start-ups: on a loaded machine one start-up alone has taken
    # longer than the whole file's run, which made the rate absurd.
    startups = [timed(one) for _ in range(3)]
    startup, startup_cpu = min(s[0] for s in startups), min(s[1] for s in startups)
    elapsed, cpu, output = timed(log)
    matched = None
    for line in output.splitlines():
        if line.startswith("Lines:"):
            # "Lines: 20000 lines, 0 ignored, 5000 matched, 15000 missed"
            matched = int(line.split(",")[2].split()[0])
    work, work_cpu = elapsed - startup, cpu - startup_cpu
    return {
        "lines": lines,
        "matched": matched,
        "seconds": elapsed,
        "startup_s": startup,
        "lines_per_s": lines / work if work > 0 else None,
        "lines_per_cpu_s": lines / work_cpu if work_cpu > 0 else None,
    }


def live_latency(sequences: int) -> float | None:
    """p95 ms from the commit of the threshold-crossing event to the alert row."""
    var = tempfile.mkdtemp(prefix="bench-detection-")
    for key in [k for k in os.environ if k.startswith(("TELEGARDE_", "DJANGO_"))]:
        del os.environ[key]
    os.environ.update(
        TELEGARDE_VAR_DIR=var,
        TELEGARDE_DETECTION_MODE="inline",
        TELEGARDE_DETECTION_EMAIL_MIN_SEVERITY="critical",
        TELEGARDE_LOG_LEVEL="error",
        DJANGO_SETTINGS_MODULE="telegarde.settings",
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from telegarde.core.events import record_event
    from telegarde.security.detection.models import Alert

    call_command("migrate", verbosity=0)
    latencies: list[float] = []
    try:
        for n in range(sequences):
            email = f"cible{n}@exemple.fr"
            for i in range(10):
                with transaction.atomic():
                    record_event(
                        "auth.login.failed",
                        outcome="failure",
                        source_ip=f"198.51.100.{n % 250 + 1}",
                        data={"email": email, "reason": "bad_credentials", "i": i},
                    )
            committed = time.perf_counter()
            deadline = committed + 10
            while time.perf_counter() < deadline:
                if Alert.objects.filter(rule_id="brute_force_account", group_key=email).exists():
                    latencies.append((time.perf_counter() - committed) * 1000)
                    break
                time.sleep(0.002)
    finally:
        shutil.rmtree(var, ignore_errors=True)
    if not latencies:
        return None
    latencies.sort()
    return latencies[max(0, int(len(latencies) * 0.95 + 0.5) - 1)]


def compare_fail2ban(plan: Plan, pin: list[str]) -> dict[str, Any] | None:
    binary = ensure_fail2ban()
    if binary is None:
        print("fail2ban-regex not found (not root: apt-get install fail2ban)", file=sys.stderr)
        return None
    with tempfile.TemporaryDirectory() as workdir:
        fail2ban = run_fail2ban(binary, plan.fail2ban_lines, Path(workdir), pin)
    print(
        f"fail2ban-regex sshd: {fail2ban['lines']} lines ({fail2ban['matched']} matched) in "
        f"{fail2ban['seconds']:.2f} s, start-up {fail2ban['startup_s']:.2f} s = "
        f"{_rate(fail2ban['lines_per_s'])} lines/s "
        f"({_rate(fail2ban['lines_per_cpu_s'])} per CPU second)"
    )
    return fail2ban


def _rate(value: float | None) -> str:
    return "(not measurable)" if value is None else f"{value:,.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100,000 events, under a minute")
    parser.add_argument("--events", type=int)
    parser.add_argument(
        "--engine-only", action="store_true", help="skip fail2ban and live latency (profiling)"
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    total = args.events or plan.events

    pin: list[str] = []
    if hasattr(os, "sched_setaffinity") and 0 in os.sched_getaffinity(0):
        os.sched_setaffinity(0, {0})
        if shutil.which("taskset"):
            pin = ["taskset", "-c", "0"]

    load_before = os.getloadavg()[0]
    rounds = [run_engine(total) for _ in range(plan.rounds)]
    median = statistics.median_low([r["events_per_s"] for r in rounds])
    engine = next(r for r in rounds if r["events_per_s"] == median)
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for n, r in enumerate(rounds, 1):
        print(
            f"engine round {n}: {total} events in {r['seconds']:.2f} s = "
            f"{r['events_per_s']:,.0f} events/s ({r['events_per_cpu_s']:,.0f} per CPU second, "
            f"on a CPU {r['cpu_share']:.0%} of the time), {r['alerts']} alerts, "
            f"{r['windows']} live windows, {r['rules']} rules"
        )
    print(f"peak RSS {peak_rss_mb:.1f} MB")

    fail2ban = None if args.engine_only else compare_fail2ban(plan, pin)
    latency = None
    if not args.engine_only:
        latency = live_latency(plan.live_sequences)
        print(f"live event-to-alert latency p95: {latency} ms over {plan.live_sequences} sequences")

    f2b_rate = fail2ban["lines_per_s"] if fail2ban else None
    f2b_cpu_rate = fail2ban["lines_per_cpu_s"] if fail2ban else None
    result = {
        "benchmark": "detection",
        "events": total,
        "events_per_s": round(engine["events_per_s"], 1),
        "events_per_s_rounds": [round(r["events_per_s"], 1) for r in rounds],
        "events_per_cpu_s": round(engine["events_per_cpu_s"], 1),
        "cpu_share": round(engine["cpu_share"], 3),
        "load_average": round(load_before, 2),
        "peak_rss_mb": round(peak_rss_mb, 1),
        "fail2ban_lines_per_s": round(f2b_rate, 1) if f2b_rate else None,
        "ratio_vs_fail2ban": round(engine["events_per_s"] / f2b_rate, 2) if f2b_rate else None,
        "fail2ban_lines_per_cpu_s": round(f2b_cpu_rate, 1) if f2b_cpu_rate else None,
        "ratio_vs_fail2ban_cpu": (
            round(engine["events_per_cpu_s"] / f2b_cpu_rate, 2) if f2b_cpu_rate else None
        ),
        "live_latency_p95_ms": round(latency, 1) if latency is not None else None,
        "fail2ban_lines": plan.fail2ban_lines,
        "alerts": engine["alerts"],
        "rules": engine["rules"],
        "live_windows": engine["windows"],
        "pinned": bool(pin),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
