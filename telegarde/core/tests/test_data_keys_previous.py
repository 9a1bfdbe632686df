"""TELEGARDE_DATA_KEYS_PREVIOUS: a list (or a file), checked like TELEGARDE_DATA_KEY."""

from __future__ import annotations

from pathlib import Path

from .test_configuration import PRODUCTION_OK, run_cli

OLD = "0ld-k3y-" + "abcdefghijklmnopqrstuvwxyz0123456789"
OLDER = "0ld3r-k3y-" + "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210"
SHOW = "from django.conf import settings; print(settings.DATA_KEYS_PREVIOUS)"


def test_it_reads_a_list_or_a_file_of_keys(tmp_path: Path) -> None:
    listed = run_cli(tmp_path, "shell", "-c", SHOW, TELEGARDE_DATA_KEYS_PREVIOUS=f"{OLD}, {OLDER}")
    key_file = tmp_path / "previous"
    key_file.write_text(f"{OLD}\n{OLDER}\n", encoding="utf-8")
    from_file = run_cli(
        tmp_path, "shell", "-c", SHOW, TELEGARDE_DATA_KEYS_PREVIOUS_FILE=str(key_file)
    )

    # The last line: the shell may first say how many objects it imported.
    assert listed.stdout.splitlines()[-1] == repr([OLD, OLDER])
    assert from_file.stdout.splitlines()[-1] == repr([OLD, OLDER])


def test_it_refuses_the_current_key(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "check", TELEGARDE_DATA_KEY=OLD, TELEGARDE_DATA_KEYS_PREVIOUS=OLD)

    assert result.returncode == 2
    assert "TELEGARDE_DATA_KEYS_PREVIOUS" in result.stderr
    assert "lists the current TELEGARDE_DATA_KEY" in result.stderr


def test_production_refuses_a_weak_previous_key(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "check", **PRODUCTION_OK, TELEGARDE_DATA_KEYS_PREVIOUS="short")

    assert result.returncode == 2
    assert "TELEGARDE_DATA_KEYS_PREVIOUS" in result.stderr and "too short" in result.stderr
