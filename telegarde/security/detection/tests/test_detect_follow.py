"""``telegarde detect ingest --nginx FILE --follow`` tails an access log while nginx
writes it: lines appended after the start are evaluated (not those already there), a
half-written line waits for its end, and the log survives rotation (renamed then
recreated) and truncation (copytruncate). Stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from telegarde.conftest import served_env

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
COMMAND = ["detect", "ingest", "--follow", "--print", "--max-seconds", "50", "--nginx"]


def lines(source: str, n: int, path: str = "/.env") -> str:
    """``n`` refused requests from ``source``, stamped now (the scanning rule: 30 in 1 min)."""
    now = datetime.now(UTC)
    stamp = f"{now:%d}/{MONTHS[now.month - 1]}/{now:%Y:%H:%M:%S} +0000"
    return "".join(
        f'{source} - - [{stamp}] "GET {path}.{i} HTTP/1.1" 404 153 "-" "scanner/1.0"\n'
        for i in range(n)
    )


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as log:
        log.write(text)


class Follower:
    def __init__(self, log: Path, var: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "telegarde", *COMMAND, str(log)],
            env=served_env(var),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.alerts: queue.Queue[dict[str, object]] = queue.Queue()
        self.stderr: list[str] = []
        self.ready = threading.Event()
        threading.Thread(target=self._out, daemon=True).start()
        threading.Thread(target=self._err, daemon=True).start()

    def _out(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.alerts.put(json.loads(line))

    def _err(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.append(line)
            if line.startswith("following "):
                self.ready.set()

    def next_source(self) -> object:
        alert = self.alerts.get(timeout=15)
        assert alert["rule"] == "scanning", alert
        return alert["group"]["source.ip"]  # type: ignore[index]


def test_it_follows_appends_rotation_and_truncation(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text(lines("203.0.113.1", 40))  # already there: history, not followed
    follower = Follower(log, tmp_path / "var")
    try:
        assert follower.ready.wait(30), follower.stderr
        text = lines("203.0.113.2", 35)
        append(log, text[:-20])  # the last line half written…
        time.sleep(0.6)
        append(log, text[-20:])  # …and finished
        assert follower.next_source() == "203.0.113.2"

        log.rename(tmp_path / "access.log.1")  # logrotate: rename, nginx still writes there
        append(tmp_path / "access.log.1", lines("203.0.113.3", 31))
        # nginx reopened: a new file (30 long lines: the alert comes with the last one, so
        # all of it was read before the truncation, which is seen as the file shrinking).
        log.write_text(lines("203.0.113.4", 30, "/" + "x" * 200))
        assert follower.next_source() == "203.0.113.3"
        assert follower.next_source() == "203.0.113.4"

        log.write_text("")  # copytruncate
        append(log, lines("203.0.113.5", 30))
        assert follower.next_source() == "203.0.113.5"

        follower.process.send_signal(signal.SIGTERM)
        assert follower.process.wait(10) == 0
    finally:
        if follower.process.poll() is None:
            follower.process.kill()
    time.sleep(0.2)  # the reader threads see the end of the pipes
    assert follower.alerts.empty()
    assert "126 line(s), 4 alert(s)" in "".join(follower.stderr)
