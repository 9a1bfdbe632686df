"""The shield's configuration, read from the environment once at start (settings.py).

Every reader raises ``ConfigError`` naming the variable, so a typo in a budget or a
trusted-proxy list that would trust the whole Internet stops the process at start.
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass, field

from telegarde.lib.env import ConfigError, env_bool, env_int, env_optional, env_str

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Route classes, in the order the classifier tries them (see classify.py).
CLASSES = ("static", "health", "login", "booking", "upload", "api", "page", "signalling")


@dataclass(frozen=True)
class Budget:
    """A token bucket: ``rate`` tokens per second, at most ``burst`` saved up."""

    rate: float
    burst: float

    def scaled(self, factor: float) -> Budget:
        return Budget(self.rate * factor, self.burst * factor)

    @functools.cached_property
    def label(self) -> str:
        """``rate/burst``, as in the configuration (``5/30``)."""
        return f"{self.rate:g}/{self.burst:g}"


# Per client address and route class. A page view brings a few static files along; the
# login class also covers the form, and credential stuffing is throttled by accounts.
DEFAULT_BUDGETS: dict[str, Budget] = {
    "static": Budget(50, 200),
    "health": Budget(5, 20),
    "login": Budget(1, 20),
    "booking": Budget(2, 20),
    # Document uploads: a few files at once (a patient's photos), then one every 2 s.
    "upload": Budget(0.5, 20),
    "api": Budget(10, 50),
    "page": Budget(5, 30),
    "signalling": Budget(2, 10),
}
# Requests of one class in flight at once in one worker process.
DEFAULT_CONCURRENCY: dict[str, int] = {
    "static": 8,
    "health": 2,
    "login": 4,
    "booking": 6,
    "upload": 4,
    "api": 12,
    "page": 12,
}


@dataclass(frozen=True)
class ShieldSettings:
    enabled: bool = True
    trusted_proxies: tuple[Network, ...] = ()
    proxy_header: str = "x-forwarded-for"
    budgets: dict[str, Budget] = field(default_factory=lambda: dict(DEFAULT_BUDGETS))
    prefix_factor: float = 8.0
    signed_in_factor: float = 4.0
    user_budget: Budget = Budget(20, 100)
    concurrency: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_CONCURRENCY))
    max_inflight: int = 16
    anonymous_slots: int = 4
    queue_rate: float = 5.0
    queue_token_ttl: int = 1800
    ban_seconds: int = 600
    autoban_rejections: int = 600
    # Held refusals (holds.py): seconds, at most per address and per worker.
    hold_seconds: float = 5.0
    hold_per_address: int = 64
    hold_max: int = 1024
    hold_penalty_seconds: float = 10.0
    # Event-loop lateness (ms) at which anonymous requests stop starting (priority.py).
    lag_pressure_ms: float = 10.0
    # The file the workers of one machine share their load through (board.py).
    board_path: str | None = None
    max_header_bytes: int = 16 * 1024
    max_headers: int = 100
    max_url_bytes: int = 4096
    max_body_bytes: int = 2 * 1024 * 1024
    body_timeout: float = 30.0
    # Per route class overrides: uploads get the document cap and time for a slow uplink.
    body_caps: dict[str, int] = field(default_factory=dict)
    body_timeouts: dict[str, float] = field(default_factory=dict)
    header_timeout: int = 10
    ws_per_ip: int = 20
    ws_per_user: int = 6
    ws_messages: Budget = Budget(30, 100)
    ws_max_message_bytes: int = 64 * 1024
    metrics_token: str | None = None
    redis_url: str | None = None
    redis_prefix: str = "telegarde"
    events_interval: float = 60.0
    ban_sync_interval: float = 2.0

    def body_cap(self, route_class: str) -> int:
        """The largest request body accepted on ``route_class``."""
        return self.body_caps.get(route_class, self.max_body_bytes)

    def body_timeout_for(self, route_class: str) -> float:
        return self.body_timeouts.get(route_class, self.body_timeout)

    def largest_body(self) -> int:
        return max([self.max_body_bytes, *self.body_caps.values()])


def parse_budget(name: str, text: str) -> Budget:
    """``"rate/burst"`` (``"5/30"``): ``rate`` per second, ``burst`` at once."""
    rate_text, slash, burst_text = text.strip().partition("/")
    try:
        rate = float(rate_text)
        burst = float(burst_text) if slash else rate
    except ValueError as exc:
        raise ConfigError(name, f"{text!r} is not rate/burst", "example: 5/30") from exc
    if not (0 < rate < 1e6 and 1 <= burst < 1e7):
        raise ConfigError(name, f"{text!r}: rate must be > 0 and burst >= 1", "example: 5/30")
    return Budget(rate, burst)


def parse_class_map(name: str, text: str) -> dict[str, str]:
    """``"page=5/30,login=1/20"`` into ``{"page": "5/30", "login": "1/20"}``."""
    result: dict[str, str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        key, equals, value = item.partition("=")
        key = key.strip()
        if not equals or key not in CLASSES:
            raise ConfigError(
                name, f"{item.strip()!r} does not name a route class", f"classes: {CLASSES}"
            )
        result[key] = value.strip()
    return result


def parse_trusted_proxies(name: str, text: str) -> tuple[Network, ...]:
    """Networks whose ``X-Forwarded-For``/``Forwarded`` the shield believes.

    Refused: malformed entries, host bits set (``10.0.0.1/8`` is probably a typo), and
    ranges wider than a /8 (IPv4) or /32 (IPv6), which would let anyone forge their
    address."""
    networks: list[Network] = []
    for item in text.split(","):
        entry = item.strip()
        if not entry:
            continue
        try:
            network = ipaddress.ip_network(entry, strict=True)
        except ValueError as exc:
            raise ConfigError(
                name,
                f"{entry!r} is not an address or network ({exc})",
                "list the proxies' addresses or networks, e.g. 10.0.0.5,10.0.1.0/24",
            ) from exc
        widest = 8 if network.version == 4 else 32
        if network.prefixlen < widest:
            raise ConfigError(
                name,
                f"{entry!r} would trust forwarded addresses from far too many hosts",
                f"list only your reverse proxies (at most a /{widest} per entry)",
            )
        networks.append(network)
    return tuple(networks)


def _positive_float(name: str, default: float, *, zero: bool = False) -> float:
    raw = env_optional(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(name, f"{raw!r} is not a number") from exc
    if not (value >= 0 if zero else value > 0) or value >= 1e6:
        raise ConfigError(name, f"{raw!r} must be {'>= 0' if zero else '> 0'} and < 1000000")
    return value


def _header_timeout() -> int:
    seconds = env_int("TELEGARDE_SHIELD_HEADER_TIMEOUT", 10, minimum=1)
    if seconds > 60:
        raise ConfigError("TELEGARDE_SHIELD_HEADER_TIMEOUT", f"{seconds} is above 60 seconds")
    return seconds


def load(
    *,
    max_body_bytes: int,
    threads: int,
    redis_url: str | None,
    redis_prefix: str,
    board_path: str | None = None,
) -> ShieldSettings:
    """Read every ``TELEGARDE_SHIELD_*`` variable (docs/configuration.md)."""
    budgets = dict(DEFAULT_BUDGETS)
    for key, value in parse_class_map(
        "TELEGARDE_SHIELD_BUDGETS", env_str("TELEGARDE_SHIELD_BUDGETS", "")
    ).items():
        budgets[key] = parse_budget("TELEGARDE_SHIELD_BUDGETS", value)
    concurrency = dict(DEFAULT_CONCURRENCY)
    for key, value in parse_class_map(
        "TELEGARDE_SHIELD_CONCURRENCY", env_str("TELEGARDE_SHIELD_CONCURRENCY", "")
    ).items():
        if not value.isdigit() or int(value) < 1:
            raise ConfigError(
                "TELEGARDE_SHIELD_CONCURRENCY", f"{key}={value!r} is not a whole number >= 1"
            )
        concurrency[key] = int(value)
    header = env_str("TELEGARDE_SHIELD_PROXY_HEADER", "x-forwarded-for").strip().lower()
    if header not in {"x-forwarded-for", "forwarded"}:
        raise ConfigError(
            "TELEGARDE_SHIELD_PROXY_HEADER",
            f"{header!r} is not allowed",
            "x-forwarded-for or forwarded",
        )
    max_inflight = env_int("TELEGARDE_SHIELD_MAX_INFLIGHT", threads, minimum=1)
    token = env_optional("TELEGARDE_SHIELD_METRICS_TOKEN")
    if token is not None and len(token) < 24:
        raise ConfigError(
            "TELEGARDE_SHIELD_METRICS_TOKEN",
            "is shorter than 24 characters",
            "generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'",
        )
    return ShieldSettings(
        enabled=env_bool("TELEGARDE_SHIELD", True),
        trusted_proxies=parse_trusted_proxies(
            "TELEGARDE_SHIELD_TRUSTED_PROXIES", env_str("TELEGARDE_SHIELD_TRUSTED_PROXIES", "")
        ),
        proxy_header=header,
        budgets=budgets,
        prefix_factor=_positive_float("TELEGARDE_SHIELD_PREFIX_FACTOR", 8.0),
        signed_in_factor=_positive_float("TELEGARDE_SHIELD_SIGNED_IN_FACTOR", 4.0),
        user_budget=parse_budget(
            "TELEGARDE_SHIELD_USER_BUDGET", env_str("TELEGARDE_SHIELD_USER_BUDGET", "20/100")
        ),
        concurrency=concurrency,
        max_inflight=max_inflight,
        anonymous_slots=min(
            max_inflight,
            env_int("TELEGARDE_SHIELD_ANONYMOUS_SLOTS", 1, minimum=1),
        ),
        queue_rate=_positive_float("TELEGARDE_SHIELD_QUEUE_RATE", 5.0),
        queue_token_ttl=env_int("TELEGARDE_SHIELD_QUEUE_TOKEN_TTL", 1800, minimum=60),
        ban_seconds=env_int("TELEGARDE_SHIELD_BAN_SECONDS", 600, minimum=1),
        autoban_rejections=env_int("TELEGARDE_SHIELD_AUTOBAN_REJECTIONS", 600, minimum=0),
        hold_seconds=_positive_float("TELEGARDE_SHIELD_HOLD_SECONDS", 5.0, zero=True),
        hold_per_address=env_int("TELEGARDE_SHIELD_HOLD_PER_ADDRESS", 64, minimum=1),
        hold_max=env_int("TELEGARDE_SHIELD_HOLD_MAX", 1024, minimum=1),
        hold_penalty_seconds=_positive_float(
            "TELEGARDE_SHIELD_HOLD_PENALTY_SECONDS", 10.0, zero=True
        ),
        lag_pressure_ms=_positive_float("TELEGARDE_SHIELD_LAG_PRESSURE_MS", 10.0),
        max_header_bytes=env_int("TELEGARDE_SHIELD_MAX_HEADER_BYTES", 16 * 1024, minimum=1024),
        max_body_bytes=max_body_bytes,
        body_timeout=_positive_float("TELEGARDE_SHIELD_BODY_TIMEOUT", 30.0),
        body_timeouts={"upload": _positive_float("TELEGARDE_SHIELD_UPLOAD_BODY_TIMEOUT", 300.0)},
        header_timeout=_header_timeout(),
        ws_per_ip=env_int("TELEGARDE_SHIELD_WS_PER_IP", 20, minimum=1),
        ws_per_user=env_int("TELEGARDE_SHIELD_WS_PER_USER", 6, minimum=1),
        ws_messages=parse_budget(
            "TELEGARDE_SHIELD_WS_MESSAGES", env_str("TELEGARDE_SHIELD_WS_MESSAGES", "30/100")
        ),
        metrics_token=token,
        redis_url=redis_url,
        redis_prefix=f"{redis_prefix}:shield",
        board_path=board_path,
    )
