"""The ``telegarde`` command: Django's management commands, with configuration errors
reported as one clear message (exit code 2) instead of a traceback."""

from __future__ import annotations

import os
import sys
from typing import Any

ALIASES = {"verify-log": "verify_log"}


def report_config_errors(errors: list[Any]) -> int:
    """Print each error on its own line with its fix; the exit code of the first."""
    for error in errors:
        kind = "service unavailable" if error.exit_code == 3 else "configuration error"
        print(f"telegarde: {kind}: {error.name} {error.problem}", file=sys.stderr)
        if error.fix:
            print(f"  how to fix: {error.fix}", file=sys.stderr)
    return int(errors[0].exit_code)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv if argv is None else argv)
    args[0] = "telegarde"
    if len(args) > 1:
        args[1] = ALIASES.get(args[1], args[1])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "telegarde.settings")

    from django.core.management import execute_from_command_line

    from telegarde.lib.env import ConfigError, ConfigErrors

    try:
        import django

        django.setup()
        execute_from_command_line(args)
    except ConfigError as error:
        return report_config_errors([error])
    except ConfigErrors as errors:
        return report_config_errors(errors.errors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
