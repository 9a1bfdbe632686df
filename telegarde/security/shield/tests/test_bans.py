"""Bans: actions and their events, the narrow API, exports, the security centre page."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from telegarde.accounts.actions import do_set_back_office_access
from telegarde.conftest import Personas, last_event
from telegarde.security.shield import bans, exports
from telegarde.security.shield.actions import do_add_ban, do_lift_ban
from telegarde.security.shield.api import ban_source, lift_bans_covering
from telegarde.security.shield.clients import client_for
from telegarde.security.shield.models import Ban


@pytest.fixture(autouse=True)
def fresh_table() -> None:
    bans.TABLE = bans.BanTable()


def test_it_records_a_ban_and_applies_it_on_commit(
    db: None, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ban = do_add_ban(
            "203.0.113.7", seconds=60, reason="flood", source="operator", acting_user=None
        )
    assert ban.network == "203.0.113.7/32"
    event = last_event("shield.ban.added")
    assert event.data["network"] == "203.0.113.7/32" and event.source_ip == "203.0.113.7"
    assert bans.table().banned_until(client_for("203.0.113.7")) is not None
    assert bans.table().banned_until(client_for("203.0.113.8")) is None


def test_it_extends_an_active_ban_instead_of_duplicating_it(db: None) -> None:
    first = do_add_ban("198.51.100.0/24", seconds=60, reason="a", source="shield", acting_user=None)
    second = do_add_ban(
        "198.51.100.9/24", seconds=600, reason="b", source="shield", acting_user=None
    )
    assert first.pk == second.pk and Ban.objects.count() == 1
    assert (second.expires - first.expires).total_seconds() > 500


@pytest.mark.parametrize("target", ["", "not-an-ip", "10.0.0.0/8", "::/16", "1.2.3.4/33"])
def test_it_refuses_a_bad_or_too_wide_target(db: None, target: str) -> None:
    with pytest.raises(ValueError):
        ban_source(target, seconds=60, reason="x")
    assert not Ban.objects.exists()


def test_it_offers_detection_a_narrow_ban_and_lift(db: None) -> None:
    ban_id = ban_source("2001:db8::1", seconds=120, reason="rule 12")
    ban = Ban.objects.get(external_id=ban_id)
    assert ban.source == "detection" and ban.network == "2001:db8::1/128"
    assert lift_bans_covering("2001:db8::1") == 1
    assert last_event("shield.ban.lifted").data["network"] == "2001:db8::1/128"
    bans.refresh_from_database()
    assert bans.table().banned_until(client_for("2001:db8::1")) is None


def test_it_loads_active_bans_from_the_database_for_the_hot_path(db: None) -> None:
    do_add_ban("192.0.2.0/24", seconds=60, reason="x", source="operator", acting_user=None)
    do_add_ban("198.18.0.0/16", seconds=60, reason="x", source="operator", acting_user=None)
    lifted = do_add_ban("203.0.113.1", seconds=60, reason="x", source="operator", acting_user=None)
    do_lift_ban(lifted, acting_user=None)
    assert bans.refresh_from_database() == 2
    table = bans.table()
    assert table.banned_until(client_for("192.0.2.77")) is not None
    assert table.banned_until(client_for("198.18.200.1")) is not None
    assert table.banned_until(client_for("203.0.113.1")) is None
    assert table.banned_until(client_for("192.0.2.77"), now=time.time() + 120) is None


def test_it_exports_nginx_and_nftables_files(db: None, tmp_path: Path) -> None:
    do_add_ban(
        "203.0.113.7", seconds=60, reason="flood\nnewline", source="operator", acting_user=None
    )
    do_add_ban("2001:db8::/64", seconds=60, reason="x", source="operator", acting_user=None)
    active = exports.active_bans()
    nginx = exports.nginx_deny(active)
    assert "deny 203.0.113.7/32;" in nginx and "deny 2001:db8::/64;" in nginx
    assert "\nnewline" not in nginx
    nft = exports.nftables_sets(active)
    assert "203.0.113.7/32 timeout" in nft and "2001:db8::/64 timeout" in nft
    assert "type ipv4_addr;" in nft and "flags interval, timeout" in nft
    target = tmp_path / "bans.conf"
    exports.write_atomically(target, nginx)
    assert target.read_text() == nginx


def test_it_lists_adds_and_lifts_bans_for_a_platform_security_officer(
    personas: Personas, login: Any
) -> None:
    do_set_back_office_access(personas.security_officer, enabled=True, acting_user=None)
    client = login(personas.security_officer)
    url = reverse("shield:bans")
    answer = client.post(url, {"target": "203.0.113.50", "seconds": "600", "reason": "abus"})
    assert answer.status_code == 302
    ban = Ban.objects.get()
    assert ban.source == "operator" and ban.created_by == str(personas.security_officer.external_id)
    page = client.get(url)
    assert page.status_code == 200 and b"203.0.113.50/32" in page.content
    assert client.post(reverse("shield:lift_ban", args=[ban.external_id])).status_code == 302
    ban.refresh_from_db()
    assert ban.lifted is not None
    assert last_event("shield.ban.lifted").actor_id == str(personas.security_officer.external_id)


def test_it_names_the_field_of_a_bad_ban_form(personas: Personas, login: Any) -> None:
    do_set_back_office_access(personas.security_officer, enabled=True, acting_user=None)
    client = login(personas.security_officer)
    answer = client.post(
        reverse("shield:bans"), {"target": "0.0.0.0/0", "seconds": "600", "reason": "x"}
    )
    assert answer.status_code == 400 and not Ban.objects.exists()
    assert "target" in answer.context["form"].errors


@pytest.mark.parametrize("who", ["patient", "practitioner", "outsider", "security_officer"])
def test_it_hides_bans_from_everyone_else(personas: Personas, login: Any, who: str) -> None:
    ban = do_add_ban("203.0.113.7", seconds=60, reason="x", source="operator", acting_user=None)
    client = login(getattr(personas, who))  # the officer lacks back-office access here
    assert client.get(reverse("shield:bans")).status_code == 404
    assert client.post(reverse("shield:lift_ban", args=[ban.external_id])).status_code == 404
    ban.refresh_from_db()
    assert ban.lifted is None


NFT = shutil.which("nft") or "/usr/sbin/nft"


@pytest.mark.skipif(not Path(NFT).exists(), reason="Debian's nftables (nft) is not installed")
def test_the_nftables_export_loads_in_nft_and_holds_the_bans(db: None, tmp_path: Path) -> None:
    do_add_ban("203.0.113.0/24", seconds=600, reason="flood", source="operator", acting_user=None)
    do_add_ban("198.51.100.9", seconds=60, reason="scan", source="detection", acting_user=None)
    do_add_ban("2001:db8::/64", seconds=60, reason="x", source="operator", acting_user=None)
    target = tmp_path / "telegarde.nft"
    exports.write_atomically(target, exports.nftables_sets(exports.active_bans()))

    checked = subprocess.run([NFT, "-c", "-f", str(target)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    if os.geteuid() != 0:
        return  # loading needs CAP_NET_ADMIN; the syntax check above still ran
    # Loaded for real, in a network namespace of its own (never the machine's firewall),
    # twice: the file replaces its table, as an operator re-exporting it would.
    script = f"{NFT} -f {target} && {NFT} -f {target} && {NFT} list table inet telegarde"
    loaded = subprocess.run(
        ["unshare", "--net", "sh", "-c", script], capture_output=True, text=True
    )
    assert loaded.returncode == 0, loaded.stderr
    assert "203.0.113.0/24" in loaded.stdout and "198.51.100.9" in loaded.stdout
    assert "2001:db8::/64" in loaded.stdout
    assert "ip saddr @banned_v4 drop" in loaded.stdout
