"""``telegarde serve``: check that the platform can start, then hand over to granian."""

from __future__ import annotations

import os
import socket
import sys
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from telegarde.core.preflight import check_all
from telegarde.lib.env import ConfigError, ServiceUnavailable


def _check_port_free(host: str, port: int) -> None:
    """granian listens with SO_REUSEPORT, so a second server on a busy port would start
    silently and share its connections with the first (an old version, another
    installation). A plain bind fails while anything listens there: refuse to start."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            # Exit code 3: the port may be freed (an old server still stopping); retry.
            raise ServiceUnavailable(
                "--port",
                f"{host}:{port} cannot be used ({exc.strerror}): another server listens there",
                "stop the other server, or choose another --port",
            ) from None


class Command(BaseCommand):
    help = "Serve Telegarde (HTTP and WebSocket) with granian."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1)
        # Connections: a flood's refusals are held (docs/shield.md), each holding its
        # connection; granian's default (1024 in all, split between workers) would let a
        # flood with many connections fill the workers and leave patients in the
        # kernel's queue.
        parser.add_argument(
            "--backlog", type=int, default=4096, help="connections waiting to be accepted"
        )
        parser.add_argument(
            "--backpressure",
            type=int,
            default=4096,
            help="connections each worker serves at once (beyond, they wait to be accepted)",
        )
        parser.add_argument(
            "--log-level", default="info", choices=["debug", "info", "warning", "error"]
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] > 1 and settings.REDIS_URL is None:
            # Each worker would keep its own channel layer, budgets and bans: the two
            # sockets of one consultation could land on different workers and never meet.
            raise ConfigError(
                "--workers",
                f"{options['workers']} workers without TELEGARDE_REDIS_URL would each keep "
                "their own consultation rooms, shield budgets and bans",
                "set TELEGARDE_REDIS_URL (docs/deployment.md), or serve with --workers 1",
            )
        _check_port_free(options["host"], options["port"])
        check_all()  # raises ConfigError, reported by the CLI with exit code 2
        command = [
            sys.executable, "-m", "granian",
            "--interface", "asgi",
            "--host", options["host"],
            "--port", str(options["port"]),
            "--workers", str(options["workers"]),
            "--backlog", str(options["backlog"]),
            "--backpressure", str(options["backpressure"]),
            "--log-level", options["log_level"],
            "--no-access-log" if options["log_level"] != "debug" else "--access-log",
            "telegarde.asgi:application",
        ]  # fmt: skip
        self.stdout.write(f"Telegarde: http://{options['host']}:{options['port']}/")
        self.stdout.flush()
        os.execv(sys.executable, command)  # noqa: S606 - replaces this process with the server
