"""Benchmark: credential stuffing against the sign-in form, login throttling off against on.

``python -m bench.credential_stuffing [--quick]`` builds one throw-away installation
(temporary TELEGARDE_VAR_DIR, SQLite) with ``bench/_stuffing_setup.py``: ≥100 accounts,
a few with passwords that pass the policy but appear in the attacker's list at known
ranks (reused passwords from another site's breach), some of those with TOTP enrolled.
The attacker's list (10,000 passwords) is generated here, deterministically. The
installation is copied twice, so both servers share keys (device cookies stay valid)
but not state, and two ``telegarde serve`` (one worker each, shield on as in
production) start on CPU 0: ``off`` with TELEGARDE_LOGIN_THROTTLE=0, ``on`` with the
defaults. The generators run on CPU 1.

Phases, in one run: ``warm-up`` (each legitimate user signs in once on the off server,
to get its device cookie, as a returning user has one), ``idle`` (legitimate sign-ins
only, on the on server), ``off`` (attack + legitimate, off server), ``on`` (attack +
legitimate, on server), then ``concurrent``: 100 attempts on one fresh account, from 100
addresses, released at the same instant, on the on server.

The attacker sprays its list over every account from 256 addresses in 127.1.0.0/16 (64
networks), a new connection per attempt, retrying a throttled guess later (so each
account goes through the list in order and nothing is lost to throttling). When a
password opens the second-factor page, it tries 3 random TOTP codes. Legitimate users
sign in from their own address (127.2.i.1) with their device cookie; one sign-in in
five comes from a new browser (no cookie). The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import shutil
import signal
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
from urllib.parse import urlencode

import pyotp

from bench.http import (
    HOST,
    LOAD_CPU,
    SERVER_CPU,
    BenchError,
    Cookies,
    Server,
    can_pin,
    free_port,
    our_server,
    server_environment,
)
from bench.load import Response, fetch, percentile

LOGIN_PATH = "/comptes/connexion/"
TOTP_PATH = "/comptes/mfa/totp/verifier/?purpose=login"
SIGNED_IN_PATH = "/comptes/sessions/"  # login_required: 200 only with a signed-in session
REPO_ROOT = Path(__file__).resolve().parent.parent
DOMAIN = "stuffing.bench.telegarde.fr"
WRONG = b"mot de passe incorrect"
THROTTLED = b"Trop de tentatives"
BUSY = "très sollicité".encode()
STRONG_PASSWORD = "Grimoire-lanterne-velours-1789-octobre"  # noqa: S105 - never in the list
KEPT_COOKIES = ("telegarde_device", "csrftoken")
LEGIT_PAUSE_S = 0.5  # think time of each legitimate user between two sign-ins
NEW_BROWSER_EVERY = 5  # one legitimate sign-in in five from a browser never used before
ATTACK_TASKS = 8
TOTP_GUESSES = 3
REQUEST_TIMEOUT_S = 30.0
# The throttle settings the on server runs with (telegarde/settings.py defaults).
FREE_FAILURES = 5
BACKOFF_BASE_S = 90
BACKOFF_CAP_S = 3600
PER_ACCOUNT_DAY = 25
# Ranks (0 = first guess) of the reused passwords in the attacker's list.
WEAK_RANKS = (0, 1, 2, 3, 5, 8, 13, 40, 400, 4000)
MFA_RANKS = (0, 1, 2, 3, 4, 6, 10, 50, 500, 5000)


@dataclass(frozen=True)
class Plan:
    strong_accounts: int
    list_size: int
    idle_s: float
    attack_s: float
    legit_users: int
    legit_workers: int
    shield: bool = False


FULL = Plan(
    strong_accounts=100, list_size=10_000, idle_s=20, attack_s=120, legit_users=24, legit_workers=4
)
# --quick keeps the accounts (120) and the list (10,000), shortens every phase.
QUICK = Plan(
    strong_accounts=100, list_size=10_000, idle_s=4, attack_s=8, legit_users=16, legit_workers=3
)


@dataclass(frozen=True)
class Account:
    email: str
    password: str
    totp: str | None
    kind: str  # "weak" (password in the list), "mfa" (in the list, TOTP), "strong"


# --- Accounts and the attacker's list -----------------------------------------------------


def _word(rng: random.Random, syllables: int) -> str:
    parts = ("ka", "lo", "mi", "ru", "te", "vo", "zi", "pa", "ne", "so", "du", "fe", "gi", "bo")
    return "".join(rng.choice(parts) for _ in range(syllables))


def reused_password(rng: random.Random) -> str:
    """A password the policy accepts (≈90 bits estimated) but that leaked elsewhere."""
    words = [_word(rng, 3) for _ in range(4)]
    return f"{words[0].capitalize()}-{'-'.join(words[1:])}-{rng.randint(100, 999)}"


def build_accounts(plan: Plan) -> tuple[list[Account], Account, list[str]]:
    """The attacked accounts, the account of the concurrency test, the attacker's list."""
    rng = random.Random(2026)
    weak = [
        Account(f"faible{i:02d}@{DOMAIN}", reused_password(rng), None, "weak")
        for i in range(len(WEAK_RANKS))
    ]
    mfa = [
        Account(f"mfa{i:02d}@{DOMAIN}", reused_password(rng), pyotp.random_base32(), "mfa")
        for i in range(len(MFA_RANKS))
    ]
    strong = [
        Account(f"patient{i:03d}@{DOMAIN}", STRONG_PASSWORD, None, "strong")
        for i in range(plan.strong_accounts)
    ]
    target = Account(f"cible@{DOMAIN}", STRONG_PASSWORD, None, "target")
    words = ("soleil", "marseille", "doudou", "chouchou", "azerty", "motdepasse", "bonjour")
    filler = [f"{rng.choice(words)}{n}" for n in range(plan.list_size)]
    ranked = sorted(
        [(rank, a.password) for rank, a in zip(WEAK_RANKS, weak, strict=True)]
        + [(rank, a.password) for rank, a in zip(MFA_RANKS, mfa, strict=True)]
    )
    for rank, password in ranked:
        filler.insert(rank, password)
    return weak + mfa + strong, target, filler[: plan.list_size]


def prepare(var_dir: Path, env: dict[str, str], accounts: list[Account]) -> float:
    """Build the installation; returns the CPU seconds one password check costs."""
    spec = var_dir.parent / "spec.json"
    out = var_dir.parent / "setup.json"
    spec.write_text(
        json.dumps([{"email": a.email, "password": a.password, "totp": a.totp} for a in accounts])
    )
    _helper(env, "setup", str(spec), str(out))
    return float(json.loads(out.read_text())["hash_cpu_s"])


def _helper(env: dict[str, str], *args: str) -> None:
    prefix = ["taskset", "-c", str(SERVER_CPU)] if can_pin() else []
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "bench._stuffing_setup", *args],
        cwd=REPO_ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "telegarde.settings"},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"bench/_stuffing_setup.py {args[0]} failed:\n{done.stdout}{done.stderr}")


def count_events(env: dict[str, str], scratch: Path) -> dict[str, Any]:
    out = scratch / "count.json"
    _helper(env, "count", str(out))
    counted: dict[str, Any] = json.loads(out.read_text())
    return counted


# --- HTTP helpers -------------------------------------------------------------------------


def _form_headers(cookies: Cookies, port: int, referer_path: str) -> list[tuple[str, str]]:
    origin = f"http://{HOST}:{port}"
    return [
        ("User-Agent", "telegarde-bench/1"),
        ("Accept", "text/html"),
        ("Accept-Language", "fr"),
        ("Cookie", cookies.header()),
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Origin", origin),
        ("Referer", origin + referer_path),
    ]


async def get_form(port: int, cookies: Cookies, source: str) -> str:
    """GET the login form; returns its CSRF token (the cookie is kept in ``cookies``)."""
    form = await fetch(
        HOST,
        port,
        "GET",
        LOGIN_PATH,
        headers=[("User-Agent", "telegarde-bench/1"), ("Cookie", cookies.header())],
        source=source,
        timeout=REQUEST_TIMEOUT_S,
    )
    cookies.update(form)
    found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form.body)
    if form.status != 200 or found is None:
        raise BenchError(f"GET {LOGIN_PATH} from {source} answered {form.status} without a form")
    return found.group(1).decode("ascii")


async def post_password(
    port: int, cookies: Cookies, token: str, email: str, password: str, source: str
) -> Response:
    body = urlencode({"csrfmiddlewaretoken": token, "username": email, "password": password})
    answer = await fetch(
        HOST,
        port,
        "POST",
        LOGIN_PATH,
        headers=_form_headers(cookies, port, LOGIN_PATH),
        body=body.encode(),
        source=source,
        timeout=REQUEST_TIMEOUT_S,
    )
    cookies.update(answer)
    return answer


async def post_totp(port: int, cookies: Cookies, token: str, code: str, source: str) -> Response:
    body = urlencode({"csrfmiddlewaretoken": token, "code": code})
    answer = await fetch(
        HOST,
        port,
        "POST",
        TOTP_PATH,
        headers=_form_headers(cookies, port, TOTP_PATH),
        body=body.encode(),
        source=source,
        timeout=REQUEST_TIMEOUT_S,
    )
    cookies.update(answer)
    return answer


def signed_in_redirect(answer: Response) -> bool:
    location = answer.header("location") or ""
    return answer.status == 302 and "connexion" not in location and "second-facteur" not in location


async def has_session(port: int, cookies: Cookies, source: str) -> bool:
    page = await fetch(
        HOST,
        port,
        "GET",
        SIGNED_IN_PATH,
        headers=[("Cookie", cookies.header())],
        source=source,
        timeout=REQUEST_TIMEOUT_S,
    )
    return page.status == 200


def classify(answer: Response) -> str:
    """What the server did with one password attempt."""
    if answer.status == 302:
        return "mfa" if "second-facteur" in (answer.header("location") or "") else "success"
    if answer.status == 200:
        for marker, name in ((WRONG, "wrong"), (THROTTLED, "throttled"), (BUSY, "busy")):
            if marker in answer.body:
                return name
        return "other"
    return f"http_{answer.status}"


# --- Legitimate users ---------------------------------------------------------------------


@dataclass
class LegitTally:
    latencies: list[float] = field(default_factory=list)
    known: Counter[bool] = field(default_factory=Counter)  # success -> count, known device
    new: Counter[bool] = field(default_factory=Counter)  # success -> count, new browser
    outcomes: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.known.values()) + sum(self.new.values())

    def rate(self, which: Counter[bool] | None = None) -> float | None:
        counts = which if which is not None else self.known + self.new
        total = sum(counts.values())
        return round(counts[True] / total, 4) if total else None

    def p95(self) -> float | None:
        value = percentile(sorted(self.latencies), 0.95)
        return None if value is None else round(value, 1)

    def p50(self) -> float | None:
        value = percentile(sorted(self.latencies), 0.50)
        return None if value is None else round(value, 1)


class LegitUsers:
    """Returning users signing in again and again, each from its own address."""

    def __init__(self, accounts: list[Account]) -> None:
        self.accounts = accounts
        self.sources = {a.email: f"127.2.{i}.1" for i, a in enumerate(accounts)}
        self.devices: dict[str, Cookies] = {}
        self.totp_step: dict[tuple[int, str], int] = {}  # (port, email) -> last step used
        self.turn = 0
        self.busy: set[str] = set()

    def _next(self, port: int) -> Account | None:
        step = int(time.time() // 30)
        for _ in range(len(self.accounts)):
            account = self.accounts[self.turn % len(self.accounts)]
            self.turn += 1
            if account.email in self.busy:
                continue
            # A TOTP code is good once: an MFA user waits for the next 30-s step.
            if account.totp and self.totp_step.get((port, account.email), -1) >= step:
                continue
            return account
        return None

    async def sign_in(self, port: int, account: Account, *, new_browser: bool) -> tuple[bool, str]:
        source = self.sources[account.email]
        cookies = Cookies()
        if not new_browser and account.email in self.devices:
            cookies.values.update(self.devices[account.email].values)
        token = await get_form(port, cookies, source)
        answer = await post_password(port, cookies, token, account.email, account.password, source)
        kind = classify(answer)
        if kind == "mfa" and account.totp:
            step = int(time.time() // 30)
            self.totp_step[(port, account.email)] = step
            code = pyotp.TOTP(account.totp).at(step * 30)
            answer = await post_totp(port, cookies, token, code, source)
            kind = "success" if signed_in_redirect(answer) else f"totp_{answer.status}"
        ok = kind == "success" and signed_in_redirect(answer)
        if ok and not new_browser:
            # What the browser keeps for next time: its device and CSRF cookies (the
            # session cookie is dropped, as if the user had signed out).
            kept = Cookies()
            kept.values = {k: v for k, v in cookies.values.items() if k in KEPT_COOKIES}
            self.devices[account.email] = kept
        return ok, kind

    async def warm_up(self, port: int, *, limit: int | None = None) -> None:
        """Each user signs in once, so that its browser holds a device cookie (``limit``
        password-only users only: to warm a server up without using TOTP codes)."""
        chosen = self.accounts if limit is None else [a for a in self.accounts if not a.totp]
        for account in chosen[:limit]:
            ok, kind = await self.sign_in(port, account, new_browser=False)
            if not ok:
                raise BenchError(f"warm-up sign-in of {account.email} failed: {kind}")

    async def run(self, port: int, duration_s: float, workers: int) -> LegitTally:
        tally = LegitTally()
        deadline = time.perf_counter() + duration_s
        counter = 0

        async def worker() -> None:
            nonlocal counter
            while time.perf_counter() < deadline:
                account = self._next(port)
                if account is None:
                    await asyncio.sleep(0.2)
                    continue
                self.busy.add(account.email)
                counter += 1
                new_browser = counter % NEW_BROWSER_EVERY == 0
                started = time.perf_counter()
                try:
                    ok, kind = await self.sign_in(port, account, new_browser=new_browser)
                except (OSError, TimeoutError) as error:
                    ok, kind = False, type(error).__name__
                except BenchError as error:
                    ok, kind = False, str(error)[:60]
                finally:
                    self.busy.discard(account.email)
                elapsed = (time.perf_counter() - started) * 1000.0
                if time.perf_counter() > deadline:
                    return
                tally.latencies.append(elapsed)
                (tally.new if new_browser else tally.known)[ok] += 1
                tally.outcomes[kind] += 1
                await asyncio.sleep(LEGIT_PAUSE_S)

        await asyncio.gather(*(worker() for _ in range(workers)))
        return tally


# --- The attacker -------------------------------------------------------------------------


def attacker_sources() -> list[str]:
    """256 addresses over 64 networks (/24) of 127.1.0.0/16."""
    return [f"127.1.{net}.{host}" for host in range(1, 5) for net in range(64)]


@dataclass
class AttackTally:
    outcomes: Counter[str] = field(default_factory=Counter)
    evaluated: Counter[str] = field(default_factory=Counter)  # per account
    compromised: set[str] = field(default_factory=set)
    password_found: set[str] = field(default_factory=set)  # right password (MFA included)
    totp_guesses: int = 0


class Attacker:
    def __init__(self, accounts: list[Account], wordlist: list[str]) -> None:
        self.accounts = accounts
        self.wordlist = wordlist
        self.sources = attacker_sources()
        self.next_rank = {a.email: 0 for a in accounts}
        self.not_before = {a.email: 0.0 for a in accounts}
        self.in_flight: set[str] = set()
        self.turn = 0
        self.source_turn = 0

    def _pick(self) -> Account | None:
        now = time.monotonic()
        for _ in range(len(self.accounts)):
            account = self.accounts[self.turn % len(self.accounts)]
            self.turn += 1
            email = account.email
            if (
                email not in self.in_flight
                and self.not_before[email] <= now
                and self.next_rank[email] < len(self.wordlist)
            ):
                return account
        return None

    def _source(self) -> str:
        self.source_turn += 1
        return self.sources[self.source_turn % len(self.sources)]

    async def run(self, port: int, duration_s: float) -> AttackTally:
        tally = AttackTally()
        cookies = Cookies()
        token = await get_form(port, cookies, self.sources[0])
        deadline = time.perf_counter() + duration_s

        async def task() -> None:
            while time.perf_counter() < deadline:
                account = self._pick()
                if account is None:
                    await asyncio.sleep(0.05)
                    continue
                self.in_flight.add(account.email)
                try:
                    await self._attempt(port, cookies, token, account, tally)
                except (OSError, TimeoutError) as error:
                    tally.outcomes[type(error).__name__] += 1
                finally:
                    self.in_flight.discard(account.email)

        await asyncio.gather(*(task() for _ in range(ATTACK_TASKS)))
        return tally

    async def _attempt(
        self, port: int, shared: Cookies, token: str, account: Account, tally: AttackTally
    ) -> None:
        email = account.email
        guess = self.wordlist[self.next_rank[email]]
        source = self._source()
        cookies = Cookies()
        cookies.values.update(shared.values)
        answer = await post_password(port, cookies, token, email, guess, source)
        kind = classify(answer)
        tally.outcomes[kind] += 1
        if kind in {"wrong", "success", "mfa"}:
            tally.evaluated[email] += 1
            self.next_rank[email] += 1
        elif kind == "throttled":
            self.not_before[email] = time.monotonic() + 1.0  # keep probing, every second
        elif kind.startswith("http_5") and kind != "http_503":
            raise BenchError(f"the server answered {answer.status} to a password attempt")
        if kind == "success":
            tally.password_found.add(email)
            if await has_session(port, cookies, source):
                tally.compromised.add(email)
            self.next_rank[email] = len(self.wordlist)  # done with this account
        elif kind == "mfa":
            tally.password_found.add(email)
            self.next_rank[email] = len(self.wordlist)
            rng = random.Random()
            for _ in range(TOTP_GUESSES):
                tally.totp_guesses += 1
                code = f"{rng.randrange(1_000_000):06d}"
                reply = await post_totp(port, cookies, token, code, source)
                if signed_in_redirect(reply) and await has_session(port, cookies, source):
                    tally.compromised.add(email)
                    break


# --- 100 attempts at the same instant -----------------------------------------------------


async def concurrent_attempts(port: int, email: str, n: int = 100) -> Counter[str]:
    """Open ``n`` connections from ``n`` addresses, then send every attempt at once."""
    cookies = Cookies()
    token = await get_form(port, cookies, "127.3.0.1")
    body = urlencode(
        {"csrfmiddlewaretoken": token, "username": email, "password": "pas-le-bon-1"}
    ).encode()
    from bench.load import build_request, open_connection, read_response

    request = build_request(
        "POST",
        LOGIN_PATH,
        host=f"{HOST}:{port}",
        headers=[*_form_headers(cookies, port, LOGIN_PATH), ("Connection", "close")],
        body=body,
    )
    streams = await asyncio.gather(
        *(open_connection(HOST, port, source=f"127.3.{i}.1") for i in range(1, n + 1))
    )
    barrier = asyncio.Barrier(n)

    async def one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> str:
        try:
            await barrier.wait()
            writer.write(request)
            await writer.drain()
            async with asyncio.timeout(60):
                return classify(await read_response(reader, method="POST"))
        except (OSError, TimeoutError) as error:
            return type(error).__name__
        finally:
            writer.close()

    results = await asyncio.gather(*(one(reader, writer) for reader, writer in streams))
    return Counter(results)


# --- Figures ------------------------------------------------------------------------------


def schedule_allowance(seconds: float) -> int:
    """Attempts one account admits in ``seconds`` when tried as fast as allowed, by the
    on server's budget (5 free failures, then 90 s doubling up to 1 h, 25 per day)."""
    attempts, at, consecutive = 0, 0.0, 0
    while attempts < PER_ACCOUNT_DAY:
        if consecutive >= FREE_FAILURES:
            steps = consecutive - FREE_FAILURES
            at += min(BACKOFF_BASE_S * (1 << steps), BACKOFF_CAP_S)
        if at > seconds:
            break
        attempts += 1
        consecutive += 1
    return attempts


@dataclass
class PhaseResult:
    name: str
    duration_s: float
    legit: LegitTally
    attack: AttackTally | None = None
    server_cpu_s: float | None = None
    events: dict[str, Any] = field(default_factory=dict)

    def hashes(self) -> int:
        """Password hashes the server computed: failures and sign-ins from the event log,
        plus right passwords of MFA accounts that stopped at the second factor."""
        failed: int = sum(self.events.get("failed", {}).values())
        logins: int = sum(
            n for m, n in self.events.get("logins_by_method", {}).items() if m != "passkey"
        )
        stopped = len(self.attack.password_found - self.attack.compromised) if self.attack else 0
        return failed + logins + stopped


async def run_phase(
    name: str,
    server: Server,
    legit: LegitUsers,
    plan: Plan,
    duration_s: float,
    attacker: Attacker | None,
) -> PhaseResult:
    cpu_before = server.cpu_seconds()
    legit_run = legit.run(server.port, duration_s, plan.legit_workers)
    if attacker is None:
        tally = await legit_run
        attack = None
    else:
        tally, attack = await asyncio.gather(legit_run, attacker.run(server.port, duration_s))
    cpu_after = server.cpu_seconds()
    cpu = None if cpu_before is None or cpu_after is None else round(cpu_after - cpu_before, 2)
    result = PhaseResult(name, duration_s, tally, attack, cpu)
    print(_phase_line(result), flush=True)
    return result


def _phase_line(result: PhaseResult) -> str:
    legit = result.legit
    line = (
        f"{result.name:>6}: legit {legit.total} sign-ins, success {legit.rate()}"
        f" (known browser {legit.rate(legit.known)}, new browser {legit.rate(legit.new)}),"
        f" p50 {legit.p50()} ms, p95 {legit.p95()} ms, outcomes {dict(legit.outcomes)};"
        f" server CPU {result.server_cpu_s} s"
    )
    if result.attack is not None:
        attack = result.attack
        line += (
            f"\n        attack: {dict(attack.outcomes)}, evaluated"
            f" {sum(attack.evaluated.values())}, right passwords {len(attack.password_found)},"
            f" compromised {len(attack.compromised)}"
        )
    return line


def summarise(
    phases: dict[str, PhaseResult],
    accounts: list[Account],
    concurrent: Counter[str],
    concurrent_failed_events: int,
    hash_cpu: float,
    plan: Plan,
    pinned: bool,
) -> dict[str, Any]:
    kinds = {a.email: a.kind for a in accounts}
    figures: dict[str, Any] = {"benchmark": "credential_stuffing"}
    for name in ("off", "on"):
        phase = phases[name]
        attack = phase.attack
        assert attack is not None
        evaluated = sum(attack.evaluated.values())
        per_account = evaluated / len(accounts)
        figures[f"evaluated_{name}"] = evaluated
        figures[f"evaluated_per_account_max_{name}"] = max(attack.evaluated.values(), default=0)
        figures[f"guesses_per_account_per_hour_{name}_linear"] = round(
            per_account * 3600 / phase.duration_s, 1
        )
        figures[f"password_only_accounts_compromised_{name}"] = sum(
            1 for e in attack.compromised if kinds[e] != "mfa"
        )
        figures[f"mfa_accounts_compromised_{name}"] = sum(
            1 for e in attack.compromised if kinds[e] == "mfa"
        )
        figures[f"mfa_right_passwords_{name}"] = sum(
            1 for e in attack.password_found if kinds[e] == "mfa"
        )
        figures[f"legit_success_rate_{name}"] = phase.legit.rate()
        figures[f"legit_known_browser_success_rate_{name}"] = phase.legit.rate(phase.legit.known)
        figures[f"legit_new_browser_success_rate_{name}"] = phase.legit.rate(phase.legit.new)
        figures[f"legit_p95_ms_{name}"] = phase.legit.p95()
        figures[f"legit_signins_{name}"] = phase.legit.total
        hashes = phase.hashes()
        figures[f"hashes_{name}"] = hashes
        figures[f"hash_cpu_s_{name}"] = round(hashes * hash_cpu, 2)
        figures[f"server_cpu_s_{name}"] = phase.server_cpu_s
        figures[f"attack_requests_{name}"] = sum(attack.outcomes.values())
        figures[f"attack_outcomes_{name}"] = dict(attack.outcomes)
        figures[f"throttled_events_{name}"] = phase.events.get("throttled", 0)
    # Off: the attack is CPU-bound (one Argon2 hash per attempt), so its rate is steady
    # and extrapolates linearly. On: the budget is not linear in time (5 free failures,
    # then waits doubling from 90 s), so the hourly figure is the schedule's allowance,
    # checked against what was observed (never more than the schedule in the window).
    figures["guesses_per_account_per_hour_off"] = figures["guesses_per_account_per_hour_off_linear"]
    allowed_in_window = schedule_allowance(phases["on"].duration_s)
    figures["on_allowed_per_account_in_window"] = allowed_in_window
    figures["on_budget_exceeded"] = figures["evaluated_per_account_max_on"] > allowed_in_window
    figures["guesses_per_account_per_hour_on"] = max(
        schedule_allowance(3600), figures["evaluated_per_account_max_on"]
    )
    figures["guesses_per_account_per_day_on"] = schedule_allowance(86400)
    figures["mfa_accounts_compromised"] = figures["mfa_accounts_compromised_on"]
    figures["password_only_accounts_compromised"] = figures["password_only_accounts_compromised_on"]
    figures["legit_p95_ms_idle"] = phases["idle"].legit.p95()
    figures["legit_success_rate_idle"] = phases["idle"].legit.rate()
    idle_p95, on_p95 = figures["legit_p95_ms_idle"], figures["legit_p95_ms_on"]
    figures["legit_p95_ratio_on_idle"] = (
        round(on_p95 / idle_p95, 2) if idle_p95 and on_p95 else None
    )
    # Projection over one day, from the measured rate (off) or the budget (on): the
    # accounts whose reused password sits within the guesses one day admits.
    per_day_off = figures["guesses_per_account_per_hour_off"] * 24
    ranks = dict(zip(WEAK_RANKS, ("weak",) * len(WEAK_RANKS), strict=True))
    figures["projected_weak_compromised_per_day_off"] = sum(1 for r in ranks if r < per_day_off)
    figures["projected_weak_compromised_per_day_on"] = sum(
        1 for r in ranks if r < figures["guesses_per_account_per_day_on"]
    )
    figures["hash_cpu_ms_per_hash"] = round(hash_cpu * 1000, 1)
    figures["concurrent_100_evaluated"] = concurrent["wrong"] + concurrent["success"]
    figures["concurrent_100_failed_events"] = concurrent_failed_events
    figures["concurrent_100_outcomes"] = dict(concurrent)
    figures.update(
        accounts=len(accounts),
        list_size=plan.list_size,
        idle_s=plan.idle_s,
        attack_s=plan.attack_s,
        legit_users=plan.legit_users,
        attacker_addresses=len(attacker_sources()),
        shield=plan.shield,
        pinned=pinned,
    )
    return figures


# --- Running ------------------------------------------------------------------------------


async def run_all(
    env_off: dict[str, str],
    env_on: dict[str, str],
    dirs: tuple[Path, Path],
    accounts: list[Account],
    target: Account,
    wordlist: list[str],
    plan: Plan,
    hash_cpu: float,
    pinned: bool,
    servers: contextlib.ExitStack,
) -> dict[str, Any]:
    started = time.monotonic()
    off = our_server(free_port(), dirs[0])
    on = our_server(free_port(), dirs[1])
    for server, env in ((off, env_off), (on, env_on)):
        servers.callback(server.stop)
        server.start(env, pin=pinned)
    for server in (off, on):
        await server.wait_ready()
    print(f"servers ready: {time.monotonic() - started:.1f} s", flush=True)
    # Legitimate users: password-only accounts of every kind but the weak ones, and two
    # MFA accounts (their code changes every 30 s, so each signs in at most once a step).
    legit_accounts = [a for a in accounts if a.kind == "strong"][: plan.legit_users - 2]
    legit_accounts += [a for a in accounts if a.kind == "mfa"][-2:]
    legit = LegitUsers(legit_accounts)
    await legit.warm_up(off.port)
    await legit.warm_up(on.port, limit=4)  # the first requests of a worker are slow
    print(f"warm-up: {len(legit_accounts)} legitimate users hold a device cookie", flush=True)
    phases: dict[str, PhaseResult] = {}
    phases["idle"] = await run_phase("idle", on, legit, plan, plan.idle_s, None)
    phases["idle"].events = count_events(env_on, dirs[1].parent)
    warm_up_events = count_events(env_off, dirs[0].parent)
    phases["off"] = await run_phase(
        "off", off, legit, plan, plan.attack_s, Attacker(accounts, wordlist)
    )
    phases["off"].events = _minus(count_events(env_off, dirs[0].parent), warm_up_events)
    idle_events = phases["idle"].events
    phases["on"] = await run_phase(
        "on", on, legit, plan, plan.attack_s, Attacker(accounts, wordlist)
    )
    on_events = count_events(env_on, dirs[1].parent)
    phases["on"].events = _minus(on_events, idle_events)
    concurrent = await concurrent_attempts(on.port, target.email)
    after = count_events(env_on, dirs[1].parent)
    failed_target = after["failed"].get(target.email, 0)
    print(f"concurrent: 100 attempts on {target.email}: {dict(concurrent)}", flush=True)
    return summarise(phases, accounts, concurrent, failed_target, hash_cpu, plan, pinned)


def _minus(later: dict[str, Any], earlier: dict[str, Any]) -> dict[str, Any]:
    """Events of a phase: the counts after it minus those before it."""
    result: dict[str, Any] = {}
    for key, value in later.items():
        before = earlier.get(key, {} if isinstance(value, dict) else 0)
        if isinstance(value, dict):
            result[key] = {k: v - before.get(k, 0) for k, v in value.items()}
        else:
            result[key] = value - before
    return result


def parse_plan(argv: Sequence[str] | None) -> Plan:
    parser = argparse.ArgumentParser(
        prog="python -m bench.credential_stuffing", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--quick", action="store_true", help="phases of 4 s (idle) and 8 s (attacks)"
    )
    parser.add_argument("--attack", type=float, help="seconds of each attack phase")
    parser.add_argument(
        "--shield",
        action="store_true",
        help="keep the HTTP shield on (default off: it sheds anonymous sign-ins with 503"
        " under load, which hides the login throttle this benchmark measures)",
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.attack:
        plan = Plan(**{**plan.__dict__, "attack_s": args.attack})
    return Plan(**{**plan.__dict__, "shield": args.shield})


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks that stop servers


def main(argv: Sequence[str] | None = None) -> int:
    plan = parse_plan(argv)
    signal.signal(signal.SIGTERM, _terminate)
    pinned = can_pin()
    if pinned:
        os.sched_setaffinity(0, {LOAD_CPU})
    accounts, target, wordlist = build_accounts(plan)
    print(
        f"bench.credential_stuffing: {len(accounts)} accounts, list of {len(wordlist)},"
        f" idle {plan.idle_s:g} s, attacks {plan.attack_s:g} s each; "
        + (
            f"servers on CPU {SERVER_CPU}, generators on CPU {LOAD_CPU}" if pinned else "not pinned"
        ),
        flush=True,
    )
    started = time.monotonic()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="telegarde-stuffing-") as tmp,
            contextlib.ExitStack() as servers,
        ):
            base = Path(tmp, "base", "var")
            base.mkdir(parents=True)
            hash_cpu = prepare(base, server_environment(base), [*accounts, target])
            print(
                f"setup: {time.monotonic() - started:.1f} s, one Argon2 check"
                f" {hash_cpu * 1000:.1f} ms CPU",
                flush=True,
            )
            dirs = (Path(tmp, "off", "var"), Path(tmp, "on", "var"))
            for copy in dirs:
                shutil.copytree(base, copy)
            shield = {"TELEGARDE_SHIELD": "1" if plan.shield else "0"}
            env_off = {**server_environment(dirs[0]), **shield, "TELEGARDE_LOGIN_THROTTLE": "0"}
            env_on = {**server_environment(dirs[1]), **shield}
            figures = asyncio.run(
                run_all(
                    env_off, env_on, dirs, accounts, target, wordlist, plan, hash_cpu, pinned,
                    servers,
                )
            )  # fmt: skip
    except BenchError as error:
        print(f"bench.credential_stuffing: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench.credential_stuffing: interrupted; servers stopped", file=sys.stderr)
        return 130
    figures["wall_s"] = round(time.monotonic() - started, 1)
    print_summary(figures)
    return 0


def print_summary(figures: dict[str, Any]) -> None:
    print()
    rows = (
        ("guesses/account/hour", "guesses_per_account_per_hour"),
        ("evaluated in the window", "evaluated"),
        ("password-only compromised", "password_only_accounts_compromised"),
        ("MFA compromised", "mfa_accounts_compromised"),
        ("legit success rate", "legit_success_rate"),
        ("legit p95 ms", "legit_p95_ms"),
        ("hash CPU s", "hash_cpu_s"),
        ("server CPU s", "server_cpu_s"),
    )
    for label, key in rows:
        print(f"{label:<28} off {figures[key + '_off']!s:>10}   on {figures[key + '_on']!s:>10}")
    print(
        f"idle legit p95 {figures['legit_p95_ms_idle']} ms;"
        f" on/idle {figures['legit_p95_ratio_on_idle']} (target <= 2);"
        f" concurrent_100_evaluated {figures['concurrent_100_evaluated']}"
    )
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    sys.exit(main())
