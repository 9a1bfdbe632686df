"""``telegarde shield``: list, add, lift and export bans from the command line."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from telegarde.security.shield import exports
from telegarde.security.shield.actions import do_add_ban
from telegarde.security.shield.api import lift_bans_covering


class Command(BaseCommand):
    help = "Shield bans: list, ban, lift, export (nginx deny include or nftables sets)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("bans", help="list active bans")
        ban = sub.add_parser("ban", help="ban an address or network")
        ban.add_argument("target")
        ban.add_argument("--seconds", type=int, default=3600)
        ban.add_argument("--reason", required=True)
        lift = sub.add_parser("lift", help="lift every ban covering an address")
        lift.add_argument("address")
        export = sub.add_parser("export", help="write active bans for nginx or nftables")
        export.add_argument("--format", choices=["nginx", "nftables"], required=True)
        export.add_argument(
            "--output", type=Path, help="file replaced atomically (default: stdout)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "bans":
            for item in exports.active_bans():
                self.stdout.write(
                    f"{item.network}\t{item.source}\t"
                    f"{item.expires.isoformat(timespec='seconds')}\t{item.reason}"
                )
        elif action == "ban":
            try:
                item = do_add_ban(
                    options["target"],
                    seconds=options["seconds"],
                    reason=options["reason"],
                    source="operator",
                    acting_user=None,
                )
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"banned {item.network} until {item.expires.isoformat()}")
        elif action == "lift":
            try:
                count = lift_bans_covering(options["address"])
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"lifted {count} ban(s)")
        else:
            bans = exports.active_bans()
            render = exports.nginx_deny if options["format"] == "nginx" else exports.nftables_sets
            text = render(bans)
            if options["output"]:
                exports.write_atomically(options["output"], text)
            else:
                self.stdout.write(text, ending="")
