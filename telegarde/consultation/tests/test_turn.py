"""Ephemeral TURN credentials, the browsers' ICE configuration, and the ICE settings."""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

import pytest

from telegarde.consultation.turn import (
    IceSettings,
    ice_configuration,
    load_ice_settings,
    turn_credentials,
)
from telegarde.core.tests.test_configuration import PRODUCTION_OK, run_cli
from telegarde.lib.env import ConfigError

SECRET = "north-shore-" + "0123456789abcdefghijklmnopqrstuv"
ICE_VARIABLES = (
    "TELEGARDE_STUN_URLS",
    "TELEGARDE_TURN_URLS",
    "TELEGARDE_TURN_SECRET",
    "TELEGARDE_TURN_SECRET_FILE",
    "TELEGARDE_TURN_TTL",
    "TELEGARDE_ICE_TRANSPORT_POLICY",
)


@pytest.fixture
def ice_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ICE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_it_builds_the_coturn_rest_credentials() -> None:
    username, credential = turn_credentials("s3cret", "a1b2c3", ttl=600, now=1_700_000_000.7)

    assert username == "1700000600:a1b2c3"
    expected = hmac.new(b"s3cret", b"1700000600:a1b2c3", hashlib.sha1).digest()
    assert base64.b64decode(credential) == expected


def test_it_gives_a_credential_that_depends_on_the_secret_and_the_expiry() -> None:
    first = turn_credentials("s3cret", "a1b2c3", ttl=600, now=1_700_000_000)
    assert turn_credentials("other", "a1b2c3", ttl=600, now=1_700_000_000)[1] != first[1]
    assert turn_credentials("s3cret", "a1b2c3", ttl=601, now=1_700_000_000)[1] != first[1]


@pytest.mark.parametrize("user_ref", ["", "patient@example.fr", "a:b", "x" * 65, "é", "a b"])
def test_it_refuses_a_user_reference_that_is_not_opaque(user_ref: str) -> None:
    with pytest.raises(ValueError, match="opaque"):
        turn_credentials("s3cret", user_ref, ttl=600)


def test_it_gives_stun_without_credentials_and_turn_with_fresh_ones() -> None:
    ice = IceSettings(
        stun_urls=("stun:stun.example.fr:3478",),
        turn_urls=("turn:turn.example.fr:3478?transport=udp", "turns:turn.example.fr:5349"),
        turn_secret=SECRET,
        turn_ttl=900,
        transport_policy="relay",
    )

    config = ice_configuration("0f3c9a", ice)

    stun, turn = config["iceServers"]
    assert stun == {"urls": ["stun:stun.example.fr:3478"]}
    assert turn["urls"] == list(ice.turn_urls)
    expiry, user_ref = turn["username"].split(":")
    assert user_ref == "0f3c9a"
    assert turn_credentials(SECRET, "0f3c9a", ttl=900, now=int(expiry) - 900) == (
        turn["username"],
        turn["credential"],
    )
    assert config["iceTransportPolicy"] == "relay"


def test_it_gives_no_ice_server_by_default() -> None:
    assert ice_configuration("0f3c9a") == {"iceServers": [], "iceTransportPolicy": "all"}


def test_it_never_shows_the_secret_in_the_settings_repr() -> None:
    assert SECRET not in repr(IceSettings(turn_urls=("turn:t.example.fr",), turn_secret=SECRET))


def test_it_reads_the_ice_variables(ice_env: pytest.MonkeyPatch) -> None:
    ice_env.setenv("TELEGARDE_STUN_URLS", "stun:stun.example.fr, stuns:[2001:db8::1]:5349")
    ice_env.setenv("TELEGARDE_TURN_URLS", "turns:turn.example.fr:5349?transport=tcp")
    ice_env.setenv("TELEGARDE_TURN_SECRET", SECRET)
    ice_env.setenv("TELEGARDE_TURN_TTL", "120")
    ice_env.setenv("TELEGARDE_ICE_TRANSPORT_POLICY", "Relay")

    ice = load_ice_settings(production=True)

    assert ice == IceSettings(
        stun_urls=("stun:stun.example.fr", "stuns:[2001:db8::1]:5349"),
        turn_urls=("turns:turn.example.fr:5349?transport=tcp",),
        turn_secret=SECRET,
        turn_ttl=120,
        transport_policy="relay",
    )


def test_it_reads_the_turn_secret_from_a_file(ice_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "turn_secret").write_text(SECRET + "\n")
    ice_env.setenv("TELEGARDE_TURN_URLS", "turn:turn.example.fr")
    ice_env.setenv("TELEGARDE_TURN_SECRET_FILE", str(tmp_path / "turn_secret"))

    assert load_ice_settings(production=True).turn_secret == SECRET


def test_it_defaults_to_no_server_and_all_candidates(ice_env: pytest.MonkeyPatch) -> None:
    assert load_ice_settings(production=True) == IceSettings()


@pytest.mark.parametrize(
    ("env", "named", "said"),
    [
        ({"TELEGARDE_STUN_URLS": "turn:turn.example.fr"}, "TELEGARDE_STUN_URLS", "stun:/stuns:"),
        ({"TELEGARDE_STUN_URLS": "stun:"}, "TELEGARDE_STUN_URLS", "stun:/stuns:"),
        (
            {"TELEGARDE_STUN_URLS": "stun:s.example.fr?transport=udp"},
            "TELEGARDE_STUN_URLS",
            "only TURN",
        ),
        (
            {"TELEGARDE_TURN_URLS": "https://turn.example.fr", "TELEGARDE_TURN_SECRET": SECRET},
            "TELEGARDE_TURN_URLS",
            "turn:/turns:",
        ),
        (
            {"TELEGARDE_TURN_URLS": "turn:t.example.fr:99999", "TELEGARDE_TURN_SECRET": SECRET},
            "TELEGARDE_TURN_URLS",
            "port",
        ),
        (
            {"TELEGARDE_TURN_URLS": "turn:t.example.fr?transport=sctp"},
            "TELEGARDE_TURN_URLS",
            "turn:/turns:",
        ),
        ({"TELEGARDE_TURN_URLS": "turn:turn.example.fr"}, "TELEGARDE_TURN_SECRET", "must be set"),
        ({"TELEGARDE_TURN_TTL": "59"}, "TELEGARDE_TURN_TTL", "minimum of 60"),
        ({"TELEGARDE_TURN_TTL": "1h"}, "TELEGARDE_TURN_TTL", "not a whole number"),
        ({"TELEGARDE_ICE_TRANSPORT_POLICY": "tcp"}, "TELEGARDE_ICE_TRANSPORT_POLICY", "allowed"),
        ({"TELEGARDE_ICE_TRANSPORT_POLICY": "relay"}, "TELEGARDE_ICE_TRANSPORT_POLICY", "empty"),
    ],
)
def test_it_refuses_a_bad_ice_setting(
    ice_env: pytest.MonkeyPatch, env: dict[str, str], named: str, said: str
) -> None:
    for name, value in env.items():
        ice_env.setenv(name, value)

    with pytest.raises(ConfigError) as caught:
        load_ice_settings(production=False)

    assert caught.value.name == named
    assert said in str(caught.value)


def test_it_refuses_a_weak_turn_secret_in_production_only(ice_env: pytest.MonkeyPatch) -> None:
    ice_env.setenv("TELEGARDE_TURN_URLS", "turn:turn.example.fr")
    ice_env.setenv("TELEGARDE_TURN_SECRET", "w3ak")

    assert load_ice_settings(production=False).turn_secret == "w3ak"
    with pytest.raises(ConfigError) as caught:
        load_ice_settings(production=True)
    assert caught.value.name == "TELEGARDE_TURN_SECRET"
    assert "w3ak" not in str(caught.value)  # the message never repeats the secret


def test_it_stops_the_cli_on_a_turn_server_without_its_secret(tmp_path: Path) -> None:
    env = {**PRODUCTION_OK, "TELEGARDE_TURN_URLS": "turns:turn.example.fr:5349"}

    result = run_cli(tmp_path, "check", **env)

    assert result.returncode == 2
    assert "TELEGARDE_TURN_SECRET" in result.stderr and "must be set" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
