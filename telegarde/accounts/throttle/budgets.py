"""Login budgets, checked and reserved atomically BEFORE any password hash is computed.

Each attempt reserves one unit in every budget that applies to it: the source address,
its network (/24 for IPv4, /64 for IPv6), and the account — or, for a browser that
signed in to that account before (device cookie), that device's own budget, so that a
stranger exhausting the account's budget never locks its owner out. Account budgets
also impose an exponential delay after consecutive failures (health-sector rules:
after 5 failures a delay of more than a minute, at most 25 failures in 24 hours).
A success refunds its unit and resets the consecutive count.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings


@dataclass(frozen=True)
class Budget:
    key: str
    scope: str  # "ip", "network", "account", "device": named in events and messages
    limit: int
    window: int  # seconds
    free_failures: int = 0  # 0: no back-off
    backoff_base: int = 60  # seconds, doubled at each further failure
    backoff_cap: int = 3600


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0
    scope: str = ""
    # Consecutive attempts without success on the account (or device) budget, this one
    # included: the last budget of an attempt is always the account's or the device's.
    streak: int = 0


class Backend(Protocol):
    def reserve(self, budgets: list[Budget], now: float) -> Decision: ...
    def settle_success(self, budgets: list[Budget]) -> None: ...
    def refund(self, budgets: list[Budget]) -> None: ...
    def reset(self) -> None: ...


def backoff_wait(budget: Budget, consecutive: int, last_at: float, now: float) -> float:
    """Seconds still to wait before another attempt on this budget (0: may try now)."""
    if not budget.free_failures or consecutive < budget.free_failures:
        return 0.0
    steps = consecutive - budget.free_failures
    delay: float = min(budget.backoff_base * (1 << min(steps, 30)), budget.backoff_cap)
    return max(0.0, last_at + delay - now)


def network_of(ip: str) -> str:
    address = ipaddress.ip_address(ip)
    prefix = 24 if address.version == 4 else 64
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def email_key(email: str) -> str:
    # Hashed so the store holds no addresses; unknown addresses get budgets too, so
    # being throttled reveals nothing about whether an account exists.
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def budgets_for(email: str, ip: str | None, device: str | None) -> list[Budget]:
    conf = settings.LOGIN_THROTTLE
    budgets: list[Budget] = []
    if ip:
        budgets.append(Budget(f"ip:{ip}", "ip", conf["per_ip"], conf["ip_window"]))
        budgets.append(
            Budget(f"net:{network_of(ip)}", "network", conf["per_network"], conf["ip_window"])
        )
    account = email_key(email)
    rules = {
        "limit": conf["per_account_day"],
        "window": 86400,
        "free_failures": conf["free_failures"],
        "backoff_base": conf["backoff_base"],
    }
    if device:
        budgets.append(Budget(f"dev:{account}:{device}", "device", **rules))
    else:
        budgets.append(Budget(f"acct:{account}", "account", **rules))
    return budgets


def now() -> float:
    return time.time()
