"""Concurrent writers must queue on the chain head and never fork the chain."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from django.db import connection, connections

from telegarde.conftest import subprocess_env
from telegarde.core.events import record_event, verify_chain
from telegarde.core.models import SecurityEvent

pytestmark = pytest.mark.skipif(
    "postgresql" not in sys.modules.get("telegarde.settings").DATABASES["default"]["ENGINE"],  # type: ignore[union-attr]
    reason="concurrent writers are proven on PostgreSQL (CI's second run); SQLite has one writer",
)

THREADS = 12
EVENTS_PER_THREAD = 25


@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_chain_when_many_threads_record_at_once() -> None:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            barrier.wait()
            for i in range(EVENTS_PER_THREAD):
                record_event("test.concurrent", data={"thread": number, "i": i})
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    seqs = list(SecurityEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, THREADS * EVENTS_PER_THREAD + 1))
    report = verify_chain()
    assert report.ok, report.problem


WRITER = """
import django, os, sys
django.setup()
from telegarde.core.events import record_event
for i in range(int(sys.argv[1])):
    record_event("test.process", data={"pid": os.getpid(), "i": i})
"""


@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_chain_when_many_processes_record_at_once(database_url: str) -> None:
    env = subprocess_env(
        TELEGARDE_DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="telegarde.settings"
    )
    processes = [subprocess.Popen([sys.executable, "-c", WRITER, "40"], env=env) for _ in range(6)]
    assert [p.wait(timeout=120) for p in processes] == [0] * 6
    assert SecurityEvent.objects.count() == 240
    assert len(set(SecurityEvent.objects.values_list("prev_hash", flat=True))) == 240
    report = verify_chain()
    assert report.ok, report.problem
    assert connection.vendor == "postgresql"
