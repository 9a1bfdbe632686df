"""Scale-out on the real Redis: two workers, one killed mid-stream, give the same
alerts as one worker alone, without duplicates (PostgreSQL: workers share the test
database from their own processes)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import redis
from django.conf import settings
from django.db import connection

from telegarde.conftest import subprocess_env
from telegarde.security.detection.models import Alert, AlertEvent

REDIS = os.environ.get("TELEGARDE_REDIS_URL", "")
pytestmark = [
    pytest.mark.skipif(
        not REDIS or "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="needs TELEGARDE_REDIS_URL and PostgreSQL (CI's second run)",
    ),
    pytest.mark.django_db(transaction=True),
]
T0 = 1_800_000_000.0


def documents() -> list[dict[str, object]]:
    """Brute force on 20 accounts, spraying from 10 sources, and noise, all within the
    windows so that the alerts do not depend on the order workers take events in."""
    docs: list[dict[str, object]] = []

    def add(action: str, **fields: object) -> None:
        n = len(docs)
        stamp = datetime.fromtimestamp(T0 + n * 0.1, UTC).isoformat()
        doc: dict[str, object] = {"@timestamp": stamp, "event": {"action": action, "id": f"w-{n}"}}
        for key, value in fields.items():
            node = doc
            *parents, last = key.split(".")
            for part in parents:
                node = node.setdefault(part, {})  # type: ignore[assignment,unused-ignore]
            node[last] = value  # type: ignore[index,unused-ignore]
        docs.append(doc)

    for round_ in range(15):
        for account in range(20):
            add(
                "auth.login.failed",
                **{
                    "telegarde.data.email": f"a{account}@x.fr",
                    "source.ip": f"10.1.{account}.{round_}",
                },
            )
        for source in range(10):
            add(
                "auth.login.failed",
                **{
                    "telegarde.data.email": f"s{source}-{round_}@x.fr",
                    "source.ip": f"10.2.0.{source}",
                },
            )
        for _ in range(30):
            add("auth.login.succeeded", **{"user.email": "m@x.fr", "source.ip": "10.3.0.1"})
    return docs


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    made = redis.Redis.from_url(REDIS)
    yield made
    made.close()


def publish(client: redis.Redis, stream: str) -> None:
    pipe = client.pipeline()
    for doc in documents():
        pipe.xadd(stream, {"e": json.dumps(doc)})
    pipe.execute()


def worker(stream: str, name: str, database_url: str) -> subprocess.Popen[bytes]:
    env = subprocess_env(
        TELEGARDE_DATABASE_URL=database_url,
        TELEGARDE_REDIS_URL=REDIS,
        TELEGARDE_DETECTION_EMAIL_MIN_SEVERITY="critical",
    )
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "telegarde",
            "detect",
            "run",
            "--stream",
            stream,
            "--consumer",
            name,
            "--claim-idle-ms",
            "1000",
            "--batch",
            "20",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def drained(client: redis.Redis, stream: str, total: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        groups = client.xinfo_groups(stream)
        if groups and groups[0]["entries-read"] == total and groups[0]["pending"] == 0:
            return
        time.sleep(0.2)
    raise AssertionError(f"stream not drained: {client.xinfo_groups(stream)}")


def snapshot() -> list[tuple[str, str, int]]:
    return sorted(Alert.objects.values_list("rule_id", "group_key", "count"))


def reset() -> None:
    AlertEvent.objects.all().delete()
    Alert.objects.all().delete()
    from telegarde.security.detection.models import AlertGroup

    AlertGroup.objects.all().delete()


def test_it_gives_the_same_alerts_when_a_worker_dies_mid_stream(
    client: redis.Redis, database_url: str
) -> None:
    assert connection.vendor == "postgresql"
    total = len(documents())
    run = uuid.uuid4().hex[:8]

    single = f"test-detect-{run}-single"
    publish(client, single)
    alone = worker(single, "alone", database_url)
    try:
        drained(client, single, total)
    finally:
        alone.send_signal(signal.SIGTERM)
        alone.wait(20)
    expected = snapshot()
    assert len(expected) == 30  # 20 brute-force accounts, 10 spraying sources

    reset()
    pair = f"test-detect-{run}-pair"
    publish(client, pair)
    first, second = worker(pair, "first", database_url), worker(pair, "second", database_url)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # kill one once both are well into the stream
            groups = client.xinfo_groups(pair)
            if groups and groups[0]["entries-read"] and groups[0]["entries-read"] > total // 3:
                break
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        drained(client, pair, total)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(20)
        for key in client.scan_iter(f"test-detect-{run}-*"):
            client.delete(key)
    # Same alerts (rule and group), each event linked once. Counts may differ: with two
    # workers, events of one group are evaluated out of order across the kill, so which
    # of them land past the threshold can change (a known gap, issue 7's note).
    assert [(rule, group) for rule, group, _ in snapshot()] == [
        (rule, group) for rule, group, _ in expected
    ]
    linked = list(AlertEvent.objects.values_list("alert_id", "event_id"))
    assert len(linked) == len(set(linked))
    assert sum(count for _, _, count in snapshot()) == len(linked)
