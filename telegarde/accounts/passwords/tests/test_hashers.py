"""Argon2id for new hashes, transparent upgrade of older ones at sign-in (real hashing)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import (
    Argon2PasswordHasher,
    PBKDF2PasswordHasher,
    identify_hasher,
    make_password,
)
from django.test import RequestFactory

from telegarde.accounts.actions import do_create_user
from telegarde.accounts.passwords.hashers import Argon2idHasher

PASSWORD = "une-phrase-de-passe-assez-longue-pour-le-test"


def test_it_hashes_new_passwords_with_argon2id_above_owasp_minimum() -> None:
    encoded = make_password(PASSWORD)
    assert encoded.startswith("argon2$argon2id$")
    decoded = identify_hasher(encoded).decode(encoded)
    # OWASP Password Storage Cheat Sheet minimum: m=19 MiB, t=2, p=1.
    assert decoded["memory_cost"] >= 19 * 1024
    assert decoded["time_cost"] >= 2
    assert decoded["parallelism"] >= 1
    assert (decoded["memory_cost"], decoded["time_cost"], decoded["parallelism"]) == (
        Argon2idHasher.memory_cost,
        Argon2idHasher.time_cost,
        Argon2idHasher.parallelism,
    )


@pytest.mark.parametrize(
    "legacy",
    [
        pytest.param(
            lambda: Argon2PasswordHasher().encode(PASSWORD, "sel-ancien-123"), id="argon2"
        ),
        pytest.param(
            lambda: PBKDF2PasswordHasher().encode(PASSWORD, "sel-ancien-123"), id="pbkdf2"
        ),
    ],
)
def test_it_rewrites_an_older_hash_at_sign_in(db: Any, legacy: Any) -> None:
    user = do_create_user("ancien@test.fr", None, acting_user=None)
    user.password = legacy()
    user.save(update_fields=["password"])
    assert user.password.startswith("pbkdf2") or Argon2idHasher().must_update(user.password)

    request = RequestFactory().post("/comptes/connexion/")
    assert authenticate(request, username="ancien@test.fr", password=PASSWORD) is not None

    user.refresh_from_db()
    decoded = identify_hasher(user.password).decode(user.password)
    assert decoded["algorithm"] == "argon2"
    assert decoded["memory_cost"] == Argon2idHasher.memory_cost
    assert not Argon2idHasher().must_update(user.password)


def test_it_leaves_a_current_hash_alone_at_sign_in(db: Any) -> None:
    user = do_create_user("actuel@test.fr", PASSWORD, acting_user=None)
    before = user.password
    assert authenticate(None, username="actuel@test.fr", password=PASSWORD) is not None
    user.refresh_from_db()
    assert user.password == before
