"""Each demo role signs in with a real browser (Debian's Chromium) on the real server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from telegarde.accounts.management.commands.demo import DEMO_PASSWORD, PEOPLE, demo_totp_secret
from telegarde.conftest import CHROMIUM

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

SECTION_FOR_ROLE = {
    "patient": "Mon identité de santé",
    "practitioner": "Patients de mes organisations",
    "staff": "Patients de mes organisations",
    "security_officer": "Centre de sécurité",
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.mark.parametrize("person", PEOPLE, ids=[p.email.split("@")[0] for p in PEOPLE])
def test_each_demo_role_signs_in_and_sees_its_home(
    browser: Browser, platform_server: str, person: Any
) -> None:
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.request.method} {r.url}") if r.status >= 400 else None
        ),
    )
    page.goto(f"{platform_server}/")
    page.get_by_role("link", name="Se connecter").first.click()
    page.get_by_label("Adresse électronique").fill(person.email)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    if person.professional:
        # Professionals prove a second factor: the demo's published TOTP seed.
        expect(page).to_have_url(f"{platform_server}/comptes/second-facteur/")
        page.get_by_role("link", name="application d'authentification").click()
        page.get_by_label("Code à 6 chiffres").fill(
            pyotp.TOTP(demo_totp_secret(person.email)).now()
        )
        page.get_by_role("button", name="Valider").click()
    expect(page).to_have_url(f"{platform_server}/accueil/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(person.first_name)
    expect(page.get_by_text(SECTION_FOR_ROLE[person.roles[0]]).first).to_be_visible()
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(f"{platform_server}/")
    assert errors == [], f"console errors (CSP violations?): {errors}"
    context.close()


def test_a_wrong_password_shows_the_error_in_the_page(
    browser: Browser, platform_server: str
) -> None:
    page = browser.new_page(locale="fr-FR")
    page.goto(f"{platform_server}/comptes/connexion/")
    page.get_by_label("Adresse électronique").fill(PEOPLE[0].email)
    page.get_by_label("Mot de passe").fill("pas-le-bon-mot-de-passe")
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Adresse électronique ou mot de passe incorrect"
    )
    page.close()


def test_the_language_switch_shows_english(browser: Browser, platform_server: str) -> None:
    page = browser.new_page(locale="fr-FR")
    page.goto(f"{platform_server}/")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.close()


def test_a_patient_enrols_an_authenticator_then_needs_it_to_sign_in(
    browser: Browser, platform_server: str
) -> None:
    page = browser.new_page(locale="fr-FR")
    sign_in = f"{platform_server}/comptes/connexion/"
    page.goto(sign_in)
    page.get_by_label("Adresse électronique").fill("marc.petit@demo.telegarde.fr")
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    page.goto(f"{platform_server}/comptes/mfa/totp/ajouter/")
    expect(page.get_by_role("img", name="Code QR à scanner avec votre application")).to_be_visible()
    secret = page.locator("code.secret").inner_text()
    page.get_by_label("Code à 6 chiffres").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Vérifier et activer").click()
    expect(page.get_by_role("heading", name="Vos codes de secours")).to_be_visible()
    assert page.locator("ul.codes li").count() == 10
    page.get_by_role("link", name="Continuer").click()
    page.get_by_role("button", name="Se déconnecter").click()
    page.goto(sign_in)
    page.get_by_label("Adresse électronique").fill("marc.petit@demo.telegarde.fr")
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page).to_have_url(f"{platform_server}/comptes/second-facteur/")
    page.get_by_role("link", name="application d'authentification").click()
    # The code used at enrolment cannot be replayed: wait for the next one if needed.
    code = pyotp.TOTP(secret).now()
    page.get_by_label("Code à 6 chiffres").fill(code)
    page.get_by_role("button", name="Valider").click()
    if "verifier" in page.url:
        page.wait_for_timeout(31_000)
        page.get_by_label("Code à 6 chiffres").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Valider").click()
    expect(page).to_have_url(f"{platform_server}/accueil/")
    page.close()
