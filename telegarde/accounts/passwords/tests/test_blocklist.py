from __future__ import annotations

import pytest

from telegarde.accounts.passwords.blocklist import (
    CommonPasswords,
    build_table,
    common_passwords,
    is_common,
)


def test_it_ships_at_least_a_hundred_thousand_entries() -> None:
    assert common_passwords().count >= 100_000


@pytest.mark.parametrize("password", ["123456", "password", "azerty", "PassWord", "iloveyou"])
def test_it_finds_common_passwords_whatever_their_case(password: str) -> None:
    assert is_common(password)


def test_it_does_not_find_a_passphrase() -> None:
    assert not is_common("tilleul-orage-carnet-valise-prune")


def test_it_builds_a_table_that_finds_every_entry_and_little_else() -> None:
    entries = [f"mot{i}" for i in range(5000)]
    table = CommonPasswords.from_bytes(build_table(entries))
    assert table.count == 5000
    assert all(entry in table for entry in entries)
    assert sum(f"autre{i}" in table for i in range(5000)) <= 1


def test_it_refuses_a_truncated_table() -> None:
    with pytest.raises(ValueError, match="truncated"):
        CommonPasswords.from_bytes(build_table(["abc", "def"])[:-1])
