"""Passkeys in a real browser: Debian's Chromium with its virtual authenticator (DevTools
WebAuthn domain) against ``telegarde serve``.

Proves registration and sign-in without a password, and the phishing-resistance claim: a
passkey made on the real origin cannot be exercised from a lookalike host served by the
same server — the browser refuses, and so does the server when an attacker relays an
assertion whose clientDataJSON names the lookalike origin.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, CDPSession, Page, expect, sync_playwright

from telegarde.accounts.management.commands.demo import DEMO_PASSWORD
from telegarde.conftest import CHROMIUM
from telegarde.tests.test_browser_login import CHROMIUM_ARGS

from .authenticator import SoftAuthenticator
from .conftest import REAL_HOST, PasskeyServer

LOUISE = "louise.dubois@demo.telegarde.fr"
MARC = "marc.petit@demo.telegarde.fr"
AMINA = "amina.diallo@demo.telegarde.fr"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Tab:
    page: Page
    cdp: CDPSession
    authenticator_id: str
    console_errors: list[str]

    def credentials(self) -> list[dict[str, Any]]:
        answer = self.cdp.send(
            "WebAuthn.getCredentials", {"authenticatorId": self.authenticator_id}
        )
        found: list[dict[str, Any]] = answer["credentials"]
        return found


@pytest.fixture
def tab(browser: Browser) -> Iterator[Tab]:
    context: BrowserContext = browser.new_context(locale="fr-FR")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    yield Tab(page, cdp, added["authenticatorId"], errors)
    context.close()


def _sign_in_with_password(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/comptes/connexion/")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page).to_have_url(f"{base}/accueil/")


def _register(tab: Tab, base: str, email: str, name: str) -> None:
    """A patient without a second factor adds a first passkey right after signing in."""
    page = tab.page
    _sign_in_with_password(page, base, email)
    page.get_by_role("link", name="Mes clés d'accès").click()
    page.get_by_role("link", name="Ajouter une clé d'accès").click()
    page.get_by_label("Nom de la clé d'accès").fill(name)
    page.get_by_role("button", name="Créer la clé d'accès").click()
    expect(page).to_have_url(f"{base}/comptes/cles/")
    expect(page.get_by_role("cell", name=name, exact=True)).to_be_visible()
    page.get_by_role("button", name="Se déconnecter").click()


def _events(server: PasskeyServer, action: str) -> list[dict[str, Any]]:
    with sqlite3.connect(server.database) as db:
        rows = db.execute(
            "SELECT data FROM core_securityevent WHERE action = ? ORDER BY seq", (action,)
        ).fetchall()
    return [json.loads(row[0]) for row in rows]


def test_a_passkey_registers_and_signs_in_without_a_password(
    tab: Tab, passkey_server: PasskeyServer
) -> None:
    base = passkey_server.real
    _register(tab, base, LOUISE, "Ordinateur de Louise")
    [credential] = tab.credentials()
    assert credential["rpId"] == REAL_HOST
    assert credential["isResidentCredential"] is True

    page = tab.page
    page.goto(f"{base}/comptes/connexion/")
    page.get_by_role("button", name="Se connecter avec une clé d'accès").click()
    expect(page).to_have_url(f"{base}/accueil/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Louise")
    assert tab.credentials()[0]["signCount"] >= 1
    assert any(
        e.get("purpose") == "login" for e in _events(passkey_server, "auth.passkey.login.succeeded")
    )
    assert tab.console_errors == [], f"console errors (CSP violations?): {tab.console_errors}"


def test_the_email_field_offers_the_passkey(tab: Tab, passkey_server: PasskeyServer) -> None:
    """Conditional UI: focusing the e-mail field starts a conditional request, which
    Chromium's virtual authenticator answers as a person picking the suggestion would."""
    base = passkey_server.real
    _register(tab, base, AMINA, "Tablette d'Amina")
    page = tab.page
    page.goto(f"{base}/comptes/connexion/")
    page.get_by_label("Adresse électronique").focus()
    expect(page).to_have_url(f"{base}/accueil/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Amina")


def test_a_lookalike_origin_cannot_use_the_passkey(tab: Tab, passkey_server: PasskeyServer) -> None:
    _register(tab, passkey_server.real, MARC, "Téléphone de Marc")
    count_after_registration = tab.credentials()[0]["signCount"]
    page = tab.page

    # 1. The lookalike page is the same application, serving the same options (RP ID =
    #    the real host): the browser refuses to run the ceremony for another site.
    page.goto(f"{passkey_server.lookalike}/comptes/connexion/")
    page.get_by_role("button", name="Se connecter avec une clé d'accès").click()
    alert = page.locator("[data-passkey-error]")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("aucune clé d'accès de cet appareil ne convient à cette adresse")
    expect(page).to_have_url(f"{passkey_server.lookalike}/comptes/connexion/")

    # 2. A phishing page claiming its own host as RP ID finds no credential at all.
    outcome = page.evaluate(
        """async () => {
            try {
                await navigator.credentials.get({publicKey: {
                    challenge: new Uint8Array(32), rpId: location.hostname,
                    userVerification: "required", timeout: 3000}});
                return "signed";
            } catch (error) { return error.name; }
        }"""
    )
    assert outcome == "NotAllowedError"
    # The key never signed anything for the lookalike.
    assert tab.credentials()[0]["signCount"] == count_after_registration

    # 3. An attacker relaying the real challenge to the victim gets an assertion whose
    #    clientDataJSON names the lookalike origin: the server refuses it. (We sign with the
    #    virtual authenticator's own key, the strongest such attacker.)
    [credential] = tab.credentials()
    relayed_key = SoftAuthenticator.from_private_key(
        rp_id=REAL_HOST,
        origin=passkey_server.lookalike,
        credential_id=base64.b64decode(credential["credentialId"]),
        pkcs8=base64.b64decode(credential["privateKey"]),
    )
    relayed_key.user_handle = base64.b64decode(credential["userHandle"])
    page.goto(f"{passkey_server.real}/comptes/cles/connexion/")
    options = page.evaluate(
        """async () => (await fetch("/comptes/cles/connexion/options/", {method: "POST",
            headers: {"X-CSRFToken": document.querySelector("[name=csrfmiddlewaretoken]").value}}
        )).json()"""
    )
    answer = relayed_key.get(options, count=credential["signCount"] + 1)
    page.evaluate(
        """(answer) => {
            const form = document.querySelector("form[data-passkey]");
            form.querySelector("[name=credential]").value = answer;
            form.submit();
        }""",
        answer,
    )
    expect(page.get_by_role("alert")).to_contain_text("adresse officielle")
    expect(page.get_by_role("button", name="Se déconnecter")).to_have_count(0)
    reasons = [e["reason"] for e in _events(passkey_server, "auth.passkey.login.failed")]
    assert "origin" in reasons

    # Control: the same key, answering for the real origin, is accepted — the refusal
    # above was the origin and nothing else.
    relayed_key.origin = passkey_server.real
    options = page.evaluate(
        """async () => (await fetch("/comptes/cles/connexion/options/", {method: "POST",
            headers: {"X-CSRFToken": document.querySelector("[name=csrfmiddlewaretoken]").value}}
        )).json()"""
    )
    answer = relayed_key.get(options, count=credential["signCount"] + 2)
    page.evaluate(
        """(answer) => {
            const form = document.querySelector("form[data-passkey]");
            form.querySelector("[name=credential]").value = answer;
            form.submit();
        }""",
        answer,
    )
    expect(page).to_have_url(f"{passkey_server.real}/accueil/")
