"""Browser helpers for the call tests: Debian's Chromium with a fake camera and
microphone, the demo accounts' real sign-in (password, then TOTP for professionals),
and a served platform where the test can run the CLI."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pyotp
from playwright.async_api import Browser, Page, expect

from telegarde.accounts.management.commands.demo import DEMO_PASSWORD, demo_totp_secret

CALL_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # A synthetic camera and microphone, granted without a prompt.
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    # Real host addresses in ICE candidates rather than mDNS names, so that a relay in
    # the test (the man-in-the-middle) can reach the browser.
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]
PATIENT = "louise.dubois@demo.telegarde.fr"
PRACTITIONER = "dr.benali@demo.telegarde.fr"
OTHER_PRACTITIONER = "dr.martin@demo.telegarde.fr"


@dataclass(frozen=True)
class Served:
    base: str
    var: Path

    def cli(self, *args: str) -> str:
        """Run ``telegarde <args>`` on the served installation; its standard output."""
        from telegarde.conftest import served_env

        for attempt in range(3):
            done = subprocess.run(
                [sys.executable, "-m", "telegarde", *args],
                env=served_env(self.var),
                capture_output=True,
                text=True,
                timeout=60,
            )
            # The served process writes to the same SQLite file: on a loaded machine a
            # command can meet "database is locked" at start; try again, then report it.
            if done.returncode == 0 or "database is locked" not in done.stderr or attempt == 2:
                break
            time.sleep(1)
        if done.returncode != 0:
            raise AssertionError(f"telegarde {args[0]} failed: {done.stderr[-2000:]}")
        return done.stdout

    def appointment_now(self, patient: str, practitioner: str) -> str:
        """An appointment starting in a few minutes (set up directly: what is under test
        here is the call, not the booking)."""
        code = (
            "from datetime import timedelta; from django.utils import timezone; "
            "from telegarde.accounts.models import User; "
            "from telegarde.scheduling.models import Appointment; "
            f"p = User.objects.get(email='{patient}'); "
            f"d = User.objects.get(email='{practitioner}'); "
            "start = timezone.now().replace(microsecond=0) + timedelta(minutes=5); "
            "a = Appointment.objects.create(organisation=d.memberships.first().organisation, "
            "practitioner=d, patient=p, starts_at=start, ends_at=start + timedelta(minutes=15), "
            "kind='video'); print('APPOINTMENT', a.external_id)"
        )
        out = self.cli("shell", "-c", code)
        return out.split("APPOINTMENT", 1)[1].split()[0]


async def sign_in(browser: Browser, base: str, email: str) -> Page:
    """A fresh browser context signed in as the demo account ``email``."""
    context = await browser.new_context(locale="fr-FR", base_url=base)
    page = await context.new_page()
    await page.goto("/comptes/connexion/")
    await page.get_by_label("Adresse électronique").fill(email)
    await page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="Se connecter", exact=True).click()
    if email.startswith("dr."):
        await page.get_by_role("link", name="application d'authentification").click()
        totp = pyotp.TOTP(demo_totp_secret(email))
        for _attempt in range(2):
            await page.get_by_label("Code à 6 chiffres").fill(totp.now())
            await page.get_by_role("button", name="Valider").click()
            await page.wait_for_load_state()
            if page.url.endswith("/accueil/"):
                break
            # This period's code was used by an earlier test (replays are refused).
            await asyncio.sleep(totp.interval - time.time() % totp.interval + 0.5)
    await expect(page).to_have_url(f"{base}/accueil/")
    return page


async def enter_room(page: Page, appointment: str, button: str) -> None:
    await page.goto(f"/consultation/rendez-vous/{appointment}/")
    await page.get_by_role("button", name=button).click()
    await expect(page).to_have_url(re.compile(r"/consultation/[0-9a-f-]{36}/$"))


async def inbound_bytes(page: Page) -> int:
    return int(await page.evaluate("() => window.telegardeCall.inboundBytes()"))


async def media_grows(page: Page, *, timeout: float = 40.0) -> tuple[int, int]:
    """Inbound RTP bytes at two moments 1.5 s apart, once media arrives."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        first = await inbound_bytes(page)
        if first > 0:
            await asyncio.sleep(1.5)
            return first, await inbound_bytes(page)
        await asyncio.sleep(0.25)
    raise AssertionError("no media was received")


async def sas_words(page: Page) -> str:
    locator = page.locator(".sas-words").first
    await expect(locator).to_be_visible(timeout=40_000)
    return await locator.inner_text()
