from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from django.test import override_settings

from telegarde.core import events
from telegarde.core.events import record_event
from telegarde.core.sinks import sink_from_url
from telegarde.lib.env import ConfigError


@pytest.fixture(autouse=True)
def fresh_sink() -> None:
    events._sink.cache_clear()


def test_it_appends_ecs_lines_to_the_file_sink_after_commit(
    db: None, tmp_path: Path, django_capture_on_commit_callbacks: object
) -> None:
    path = tmp_path / "events.jsonl"
    with override_settings(EVENT_SINK=f"file:{path}"):
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            record_event("auth.login.succeeded", source_ip="192.0.2.1")
            assert not path.exists(), "the sink must wait for the commit"
        assert events._sink().flush()
    doc = json.loads(path.read_text().splitlines()[-1])
    assert doc["event"]["action"] == "auth.login.succeeded"
    assert doc["source"]["ip"] == "192.0.2.1"


def test_it_sends_rfc5424_lines_to_a_syslog_receiver(
    db: None, django_capture_on_commit_callbacks: object
) -> None:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    port = receiver.getsockname()[1]
    with override_settings(EVENT_SINK=f"syslog://127.0.0.1:{port}"):
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            record_event("auth.login.failed", outcome="failure")
    assert events._sink().flush()
    message = receiver.recv(65535).decode()
    receiver.close()
    header, _, body = message.partition(" - auth.login.failed - ")
    assert header.startswith("<84>1 ")  # authpriv (10) * 8 + warning (4)
    assert json.loads(body)["event"]["outcome"] == "failure"


def test_it_refuses_an_unknown_sink_naming_the_variable() -> None:
    with pytest.raises(ConfigError) as error:
        sink_from_url("kafka://broker:9092")
    assert error.value.name == "TELEGARDE_EVENT_SINK"


def test_a_hanging_syslog_receiver_does_not_slow_recording(
    db: None, django_capture_on_commit_callbacks: object
) -> None:
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)  # accepts nothing: the connection hangs until timeout
    port = listener.getsockname()[1]
    with override_settings(EVENT_SINK=f"syslog+tcp://127.0.0.1:{port}"):
        started = time.monotonic()
        for _ in range(20):
            with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
                record_event("auth.login.failed", outcome="failure")
        elapsed = time.monotonic() - started
    listener.close()
    # Each event would otherwise wait on the network; handing off is immediate.
    assert elapsed < 5
