"""The ``telegarde`` command: Django's management commands, with configuration errors
reported as one clear message (exit code 2) instead of a traceback."""

from __future__ import annotations

import os
import sys

ALIASES = {"verify-log": "verify_log"}
CONFIG_ERROR_EXIT = 2


def report_config_error(error: Exception) -> int:
    from telegarde.lib.env import ConfigError

    if isinstance(error, ConfigError):
        print(f"telegarde: configuration error: {error.name} {error.problem}", file=sys.stderr)
        if error.fix:
            print(f"  how to fix: {error.fix}", file=sys.stderr)
    else:
        print(f"telegarde: {error}", file=sys.stderr)
    return CONFIG_ERROR_EXIT


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv if argv is None else argv)
    args[0] = "telegarde"
    if len(args) > 1:
        args[1] = ALIASES.get(args[1], args[1])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "telegarde.settings")

    from django.core.management import execute_from_command_line

    from telegarde.lib.env import ConfigError

    try:
        import django

        django.setup()
        execute_from_command_line(args)
    except ConfigError as error:
        return report_config_error(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
