"""Secure messaging and documents in a real browser (Debian's Chromium) on the real
server: a patient writes with an attachment that is checked before anyone can open it,
the practitioner reads and answers, and a malicious file is blocked."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from fpdf import FPDF
from playwright.sync_api import Browser, Page, expect, sync_playwright

from telegarde.accounts.management.commands.demo import DEMO_PASSWORD, demo_totp_secret
from telegarde.conftest import CHROMIUM

PATIENT = "louise.dubois@demo.telegarde.fr"
PRACTITIONER = "dr.martin@demo.telegarde.fr"
# The antivirus test string, built here so that no file of the project carries it whole.
EICAR = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


def sign_in(browser: Browser, base: str, email: str) -> Page:
    page = browser.new_context(locale="fr-FR", base_url=base).new_page()
    page.goto("/comptes/connexion/")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    if email.startswith("dr."):
        page.get_by_role("link", name="application d'authentification").click()
        totp = pyotp.TOTP(demo_totp_secret(email))
        for _attempt in range(2):
            page.get_by_label("Code à 6 chiffres").fill(totp.now())
            page.get_by_role("button", name="Valider").click()
            page.wait_for_load_state()
            if page.url.endswith("/accueil/"):
                break
            # This period's code was used by another test (replays are refused).
            time.sleep(totp.interval - time.time() % totp.interval + 0.5)
    expect(page).to_have_url(f"{base}/accueil/")
    return page


def lab_results_pdf(folder: Path) -> Path:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text="Resultats d'analyse : glycemie 0,95 g/L")
    path = folder / "analyses.pdf"
    pdf.output(str(path))
    return path


def until_checked(page: Page, row: str, *, timeout: float = 30.0) -> str:
    """Reload until the background scan gave its verdict; the status shown."""
    deadline = time.monotonic() + timeout
    while True:
        status = page.locator(row).first.get_attribute("data-status") or ""
        if status != "pending" or time.monotonic() > deadline:
            return status
        time.sleep(0.5)
        page.reload()


def test_a_patient_writes_with_an_attachment_and_the_practitioner_answers(
    browser: Browser, platform_server: str, tmp_path: Path
) -> None:
    patient = sign_in(browser, platform_server, PATIENT)
    patient.get_by_role("link", name="Mes messages").click()
    patient.get_by_role("link", name="Nouveau message").click()
    recipient = "Claire Martin — Maison de santé des Tilleuls"
    patient.get_by_label("Destinataire").select_option(label=recipient)
    patient.get_by_label("Message").fill("Bonjour, voici mes résultats d'analyse.")
    patient.get_by_label("Pièces jointes").set_input_files(lab_results_pdf(tmp_path))
    patient.get_by_role("button", name="Envoyer").click()

    attachment = "ul.attachments li"
    expect(patient.locator(attachment)).to_contain_text("analyses.pdf")
    assert until_checked(patient, attachment) == "clean"
    expect(patient.locator(attachment).get_by_role("link", name="analyses.pdf")).to_be_visible()
    expect(patient.get_by_text("Pas encore lu")).to_be_visible()

    practitioner = sign_in(browser, platform_server, PRACTITIONER)
    practitioner.get_by_role("link", name="Mes messages").click()
    practitioner.get_by_role("link", name=re.compile("Louise Dubois")).first.click()
    expect(practitioner.locator(".messages-thread")).to_contain_text("mes résultats")
    with practitioner.expect_download() as download:
        practitioner.get_by_role("link", name="analyses.pdf").click()
    assert download.value.suggested_filename == "analyses.pdf"
    practitioner.get_by_label("Message").fill("Merci, les résultats sont normaux.")
    practitioner.get_by_role("button", name="Envoyer").click()

    patient.reload()
    expect(patient.locator(".messages-thread")).to_contain_text("résultats sont normaux")
    expect(patient.locator(".receipt").first).to_contain_text("Claire Martin")


def test_a_malicious_file_is_blocked_and_never_offered_for_download(
    browser: Browser, platform_server: str, tmp_path: Path
) -> None:
    infected = tmp_path / "compte-rendu.txt"
    infected.write_text(EICAR)
    patient = sign_in(browser, platform_server, PATIENT)
    patient.get_by_role("link", name="Mes documents").click()
    patient.get_by_label(re.compile("^Fichier")).set_input_files(infected)
    patient.get_by_role("button", name="Déposer").click()

    row = "table.documents tr[data-status]"
    expect(patient.locator(row).first).to_contain_text("compte-rendu.txt")
    assert until_checked(patient, row) == "quarantined"
    expect(patient.locator(row).first).to_contain_text("Bloqué")
    expect(patient.locator(row).first.get_by_role("link")).to_have_count(0)


def test_attachments_over_the_limit_are_refused_before_sending_and_the_text_is_kept(
    browser: Browser, platform_server: str, tmp_path: Path
) -> None:
    # Two photos of 11 MB each: over the 20 MB a message may carry in all (the server
    # would answer 413 and the text typed would be lost).
    photos = []
    for name in ("photo-1.jpg", "photo-2.jpg"):
        path = tmp_path / name
        path.write_bytes(b"\xff\xd8\xff" + bytes(11 * 1024 * 1024))
        photos.append(path)
    patient = sign_in(browser, platform_server, PATIENT)
    patient.get_by_role("link", name="Mes messages").click()
    patient.get_by_role("link", name="Nouveau message").click()
    patient.get_by_label("Destinataire").select_option(
        label="Claire Martin — Maison de santé des Tilleuls"
    )
    text = "Bonjour, voici les photos de l'éruption."
    patient.get_by_label("Message").fill(text)
    patient.get_by_label("Pièces jointes").set_input_files(photos)
    alert = patient.get_by_role("alert")
    expect(alert).to_contain_text("dépassent 20,0 Mio en tout")
    address = patient.url
    patient.get_by_role("button", name="Envoyer").click()
    expect(alert).to_be_visible()
    assert patient.url == address
    expect(patient.get_by_label("Message")).to_have_value(text)

    patient.get_by_label("Pièces jointes").set_input_files(lab_results_pdf(tmp_path))
    expect(patient.get_by_role("alert")).to_have_count(0)
    patient.get_by_role("button", name="Envoyer").click()
    expect(patient.locator(".messages-thread")).to_contain_text("photos de l'éruption")
