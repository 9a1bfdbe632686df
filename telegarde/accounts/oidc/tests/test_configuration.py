"""OpenID Connect settings: off without an issuer, HTTPS in production, complete."""

from __future__ import annotations

from pathlib import Path

from telegarde.core.tests.test_configuration import PRODUCTION_OK, run_cli

CLIENT = {"TELEGARDE_OIDC_CLIENT_ID": "telegarde", "TELEGARDE_OIDC_CLIENT_SECRET": "s3cret"}


def test_it_refuses_a_plain_http_issuer_in_production(tmp_path: Path) -> None:
    env = {**PRODUCTION_OK, **CLIENT, "TELEGARDE_OIDC_ISSUER": "http://psc.example/realm"}
    result = run_cli(tmp_path, "check", **env)
    assert result.returncode == 2
    assert "TELEGARDE_OIDC_ISSUER" in result.stderr and "not HTTPS" in result.stderr


def test_it_needs_the_client_credentials(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "check", TELEGARDE_OIDC_ISSUER="https://psc.example/realm")
    assert result.returncode == 2
    assert "TELEGARDE_OIDC_CLIENT_ID" in result.stderr


def test_it_reads_the_secret_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "oidc_secret"
    secret.write_text("s3cret\n", encoding="utf-8")
    result = run_cli(
        tmp_path,
        "check",
        TELEGARDE_OIDC_ISSUER="https://psc.example/realm",
        TELEGARDE_OIDC_CLIENT_ID="telegarde",
        TELEGARDE_OIDC_CLIENT_SECRET_FILE=str(secret),
    )
    assert result.returncode == 0, result.stderr
