"""Client identification: trusted proxies only, forged and absurd headers harmless."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telegarde.lib.env import ConfigError
from telegarde.security.shield.clients import client_address, client_for
from telegarde.security.shield.config import parse_trusted_proxies

PROXIES = (ipaddress.ip_network("10.0.0.0/24"),)


def xff(value: str) -> list[tuple[bytes, bytes]]:
    return [(b"x-forwarded-for", value.encode())]


def test_it_ignores_forwarded_for_from_an_untrusted_peer() -> None:
    assert client_address("203.0.113.9", xff("1.1.1.1"), PROXIES) == "203.0.113.9"
    assert client_address("203.0.113.9", xff("1.1.1.1"), ()) == "203.0.113.9"


def test_it_reads_the_first_untrusted_hop_from_the_right() -> None:
    # The attacker wrote "6.6.6.6"; our proxy appended the real peer 198.51.100.7.
    chain = xff("6.6.6.6, 198.51.100.7, 10.0.0.3")
    assert client_address("10.0.0.2", chain, PROXIES) == "198.51.100.7"


def test_it_reads_the_forwarded_header() -> None:
    headers = [(b"forwarded", b'for="[2001:db8::1]:4711";proto=https, for=10.0.0.4')]
    assert client_address("10.0.0.2", headers, PROXIES, "forwarded") == "2001:db8::1"


def test_it_falls_back_to_the_proxy_when_its_own_hop_is_garbage() -> None:
    assert client_address("10.0.0.2", xff("1.1.1.1, not-an-ip"), PROXIES) == "10.0.0.2"


def test_it_unwraps_ipv4_mapped_addresses_and_groups_networks() -> None:
    client = client_for("::ffff:192.0.2.44")
    assert client.ip == "192.0.2.44" and client.prefix == "192.0.2.0/24"
    assert client_for("2001:db8:1:2:3:4:5:6").prefix == "2001:db8:1:2::/64"


@given(st.binary(max_size=5000))
def test_it_never_crashes_on_absurd_forwarded_headers(raw: bytes) -> None:
    for header in ("x-forwarded-for", "forwarded"):
        address = client_address("10.0.0.2", [(header.encode(), raw)], PROXIES, header)
        ipaddress.ip_address(address)


@pytest.mark.parametrize(
    "value", ["0.0.0.0/0", "::/0", "10.0.0.1/8", "proxy.example.fr", "10.0.0.0/7"]
)
def test_it_refuses_a_trusted_proxy_list_that_trusts_too_much_or_is_malformed(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_trusted_proxies("TELEGARDE_SHIELD_TRUSTED_PROXIES", value)
    assert caught.value.name == "TELEGARDE_SHIELD_TRUSTED_PROXIES"


def test_it_accepts_a_sensible_trusted_proxy_list() -> None:
    networks = parse_trusted_proxies("X", "10.0.0.5, 10.0.1.0/24, fd00::/64")
    assert [str(n) for n in networks] == ["10.0.0.5/32", "10.0.1.0/24", "fd00::/64"]
