"""Compile the shipped translation catalogues (.po → .mo) without GNU gettext.

Run as ``python -m telegarde.lib.messages``; ``make`` does it before running or testing.
"""

from __future__ import annotations

from pathlib import Path

import polib


def compile_catalogues(root: Path) -> list[Path]:
    written = []
    for po_path in sorted(root.rglob("LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
        written.append(mo_path)
    return written


if __name__ == "__main__":
    for path in compile_catalogues(Path(__file__).resolve().parent.parent):
        print(f"compiled {path}")
