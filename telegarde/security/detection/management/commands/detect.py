"""``telegarde detect run|replay|ingest|validate|schema``.

- ``run``: a stream worker (production profile), until SIGTERM/SIGINT;
- ``replay FILE``: the rules over a JSON-lines file (the ECS export), alerts printed as
  JSON lines, nothing written;
- ``ingest --nginx access.log [--follow]``: reverse-proxy lines into the engine (alerts
  recorded, or only printed with ``--print``); ``--follow`` tails the log as nginx writes
  it, through rotations, until SIGTERM/SIGINT or ``--max-seconds``;
- ``validate [FOLDER]``: check rule files, naming file, line and field; exit 1 on error;
- ``schema``: print the rule JSON Schema.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from argparse import ArgumentParser
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from telegarde.security.detection.engine import Engine, MemoryAlerts, iter_jsonl
from telegarde.security.detection.rules import Event, RuleSet, load_rules
from telegarde.security.detection.schema import RULE_SCHEMA


class Command(BaseCommand):
    help = "Detection engine: workers, replay of event files, external logs, rule checks."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        run = sub.add_parser("run", help="consume the Redis event stream (production)")
        run.add_argument("--consumer", help="this worker's name in the group")
        run.add_argument("--stream", help="stream key (default: from the settings)")
        run.add_argument("--claim-idle-ms", type=int, default=30_000)
        run.add_argument("--batch", type=int, default=100)
        replay = sub.add_parser("replay", help="run the rules over a JSON-lines event file")
        replay.add_argument("file", help="ECS JSON lines (telegarde events export), - for stdin")
        replay.add_argument("--rules", help="extra rules folder")
        ingest = sub.add_parser("ingest", help="feed an external log into the engine")
        ingest.add_argument("--nginx", required=True, help="nginx access log (combined format)")
        ingest.add_argument("--print", action="store_true", help="print alerts, record nothing")
        ingest.add_argument(
            "--follow", action="store_true", help="tail the log (new lines, through rotations)"
        )
        ingest.add_argument("--max-seconds", type=float, help="with --follow: stop after this long")
        validate = sub.add_parser("validate", help="check rule files")
        validate.add_argument("folder", nargs="?", help="folder of rules (default: configured)")
        sub.add_parser("schema", help="print the rule file JSON Schema")

    def handle(self, *args: Any, **options: Any) -> None:
        verb = options["verb"]
        if verb == "schema":
            self.stdout.write(json.dumps(RULE_SCHEMA, indent=2))
        elif verb == "validate":
            self._validate(options.get("folder") or settings.DETECTION_RULES_DIR)
        elif verb == "replay":
            ruleset = self._rules(options.get("rules") or settings.DETECTION_RULES_DIR)
            with _open(options["file"]) as lines:
                self._replay(ruleset, _events(iter_jsonl(lines), self))
        elif verb == "ingest":
            self._ingest(options)
        else:
            self._run(options)

    def _ingest(self, options: dict[str, Any]) -> None:
        from telegarde.security.detection.nginx import follow, parse, parse_line

        ruleset = self._rules(settings.DETECTION_RULES_DIR)
        if not options["follow"]:
            with _open(options["nginx"]) as lines:
                events = _events(parse(lines), self)
                if options["print"]:
                    self._replay(ruleset, events)
                else:
                    self._record(ruleset, events)
            return
        path = Path(options["nginx"])
        stop = _stop_on_signals()
        if options.get("max_seconds"):
            timer = threading.Timer(options["max_seconds"], stop.set)
            timer.daemon = True
            timer.start()
        tail = follow(path, stop)
        followed = ((place, parse_line(line.rstrip("\n"), place)) for place, line in tail)
        self.stderr.write(f"following {path}")
        self.stderr.flush()
        events = _events(followed, self)
        if options["print"]:
            self._print_as_raised(ruleset, events)
        else:
            self._record(ruleset, events, following=True)

    def _print_as_raised(self, ruleset: RuleSet, events: Iterable[Event]) -> None:
        engine = Engine(ruleset.rules)
        alerts = MemoryAlerts()
        for event in events:
            for hit in engine.process(event):
                alert = alerts.add(hit)
                if alert is not None:
                    self.stdout.write(json.dumps(alert.as_dict(), ensure_ascii=False))
                    self.stdout.flush()
        self.stderr.write(f"{engine.events} line(s), {alerts.raised} alert(s)")

    def _rules(self, folder: str | None) -> RuleSet:
        ruleset = load_rules(folder)
        for error in ruleset.errors:
            self.stderr.write(f"rule refused: {error}")
        return ruleset

    def _validate(self, folder: str | None) -> None:
        ruleset = load_rules(folder)
        for error in ruleset.errors:
            self.stderr.write(str(error))
        self.stdout.write(f"{len(ruleset.rules)} rule(s) valid, {len(ruleset.errors)} refused")
        if ruleset.errors:
            raise CommandError("some rule files are invalid", returncode=1)

    def _replay(self, ruleset: RuleSet, events: Iterable[Event]) -> None:
        engine = Engine(ruleset.rules)
        alerts = MemoryAlerts()
        for event in events:
            for hit in engine.process(event):
                alerts.add(hit)
        for alert in alerts.alerts:
            self.stdout.write(json.dumps(alert.as_dict(), ensure_ascii=False, sort_keys=True))
        self.stderr.write(f"{engine.events} event(s), {alerts.raised} alert(s)")

    def _record(
        self, ruleset: RuleSet, events: Iterable[Event], *, following: bool = False
    ) -> None:
        from telegarde.security.detection.actions import do_record_hit
        from telegarde.security.detection.tuning import OrganisationTunings

        engine = Engine(ruleset.rules, tune=OrganisationTunings())
        raised = 0
        for event in events:
            for hit in engine.process(event):
                if following:
                    close_old_connections()  # days may pass between two hits
                result = do_record_hit(hit)
                raised += bool(result and result[1])
        self.stderr.write(f"{engine.events} line(s), {raised} new alert(s)")

    def _run(self, options: dict[str, Any]) -> None:
        from telegarde.security.detection.live import rule_set
        from telegarde.security.detection.stream import Worker

        if not settings.REDIS_URL:
            raise CommandError("detect run needs TELEGARDE_REDIS_URL (the event stream)")
        worker = Worker(
            rule_set().rules,
            stream=options.get("stream") or settings.DETECTION_STREAM,
            consumer=options.get("consumer"),
            batch=options["batch"],
            claim_idle_ms=options["claim_idle_ms"],
        )

        worker.stop = _stop_on_signals()
        self.stderr.write(f"detection worker {worker.consumer} on {worker.stream}")
        worker.run()
        self.stderr.write(f"detection worker {worker.consumer} stopped: {worker.handled} event(s)")


def _stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT (when running in the main thread)."""
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)
    return stop


class _open:
    """A text file, or standard input for ``-``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> Iterable[str]:
        if self.name == "-":
            return sys.stdin
        path = Path(self.name)
        if not path.is_file():
            raise CommandError(f"{self.name}: no such file")
        self.handle = path.open(encoding="utf-8", errors="replace")
        return self.handle

    def __exit__(self, *exc: object) -> None:
        if self.name != "-":
            self.handle.close()


def _events(
    numbered: Iterable[tuple[int | str, Event | None]], command: BaseCommand
) -> Iterator[Event]:
    bad = 0
    for number, event in numbered:
        if event is None:
            bad += 1
            if bad <= 10:
                command.stderr.write(f"line {number}: not an event, skipped")
            continue
        yield event
    if bad > 10:
        command.stderr.write(f"{bad} line(s) skipped in all")
