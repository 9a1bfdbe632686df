"""Rebuild the bundled common-password table from a text list, one password a line.

    python -m telegarde.accounts.passwords.build_blocklist SOURCE.txt [OUT.bin]

docs/passwords.md names the source list and its licence.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .blocklist import DATA_FILE, build_table


def main(argv: list[str]) -> int:
    if not 1 <= len(argv) <= 2:
        print(__doc__, file=sys.stderr)
        return 2
    source = Path(argv[0])
    out = Path(argv[1]) if len(argv) == 2 else DATA_FILE
    lines = source.read_text(encoding="utf-8", errors="replace").splitlines()
    table = build_table(line.rstrip("\r") for line in lines)
    out.write_bytes(table)
    print(f"{len(lines)} lines -> {out} ({len(table)} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
