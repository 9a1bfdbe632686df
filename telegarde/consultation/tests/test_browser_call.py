"""Consultations in a real browser (Debian's Chromium, fake camera and microphone, two
browser contexts) against `telegarde serve`: the whole visit, a man in the middle made
evident, and a call relayed by coturn only."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, WebSocketRoute, async_playwright, expect

from telegarde.conftest import CHROMIUM, free_port, served_platform

from .attacker import SignallingInterceptor
from .browser import (
    CALL_ARGS,
    OTHER_PRACTITIONER,
    PATIENT,
    PRACTITIONER,
    Served,
    enter_room,
    media_grows,
    sas_words,
    sign_in,
)
from .conftest import TurnServer

PATIENT_ENTERS = "Entrer en salle d'attente"
PRACTITIONER_ENTERS = "Ouvrir la salle de consultation"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    var = tmp_path_factory.mktemp("var")
    port = free_port()
    # The visit books the first free slot, which may be tomorrow morning: the waiting
    # room opens early enough for it here (30 minutes before by default).
    with served_platform(var, port, TELEGARDE_ROOM_OPENS_MINUTES_BEFORE=str(2 * 24 * 60)):
        yield Served(f"http://127.0.0.1:{port}", var)


def actions(served: Served) -> dict[str, list[dict[str, Any]]]:
    """The served platform's security events (its ECS export), by action."""
    by_action: dict[str, list[dict[str, Any]]] = {}
    for line in served.cli("events", "export").splitlines():
        event = json.loads(line)
        by_action.setdefault(event["event"]["action"], []).append(event)
    return by_action


def alert_rules(served: Served, expected: set[str], *, wait: float = 10.0) -> set[str]:
    """Rule ids of the served platform's alerts, once ``expected`` are among them or
    ``wait`` seconds have passed (detection runs in the background)."""
    code = (
        "from telegarde.security.detection.models import Alert; "
        "print('RULES', *sorted(set(Alert.objects.values_list('rule_id', flat=True))))"
    )
    deadline = time.monotonic() + wait
    while True:
        rules = set(served.cli("shell", "-c", code).split("RULES", 1)[1].split())
        if expected <= rules or time.monotonic() > deadline:
            return rules
        time.sleep(0.5)


async def admit_and_connect(patient: Page, practitioner: Page) -> None:
    await expect(patient.locator("#waiting-position")).to_contain_text("Votre place : 1")
    await practitioner.get_by_role("button", name="Admettre").click()


def test_it_runs_a_visit_from_booking_to_history(served: Served) -> None:
    async def visit() -> None:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CALL_ARGS)
            patient = await sign_in(browser, served.base, PATIENT)
            await patient.get_by_role("link", name="Prendre rendez-vous").click()
            await patient.get_by_role("button", name="Rechercher").click()
            await patient.get_by_role("link", name="Karim Benali").click()
            await patient.get_by_role("button", name=re.compile("^Réserver le")).first.click()
            await expect(patient.get_by_role("heading", level=1)).to_contain_text("Rendez-vous du")
            await patient.get_by_role("link", name="Rejoindre la téléconsultation").click()
            await patient.get_by_role("button", name=PATIENT_ENTERS).click()
            await expect(patient.locator("#waiting-practitioner")).to_contain_text(
                "pas encore connecté"
            )
            practitioner = await sign_in(browser, served.base, PRACTITIONER)
            await practitioner.get_by_role("link", name="Agenda").click()
            await (
                practitioner.get_by_role("row")
                .filter(has_text="Louise Dubois")
                .first.get_by_role("link")
                .click()
            )
            await practitioner.get_by_role("link", name="Rejoindre la téléconsultation").click()
            await practitioner.get_by_role("button", name=PRACTITIONER_ENTERS).click()
            await expect(patient.locator("#waiting-practitioner")).to_contain_text(
                "va vous admettre"
            )
            await admit_and_connect(patient, practitioner)

            for page in (patient, practitioner):
                before, after = await media_grows(page)
                assert after > before > 0, "inbound RTP bytes must grow on both sides"
            assert await sas_words(patient) == await sas_words(practitioner)
            await practitioner.get_by_role("button", name="Les mots sont identiques").click()

            await patient.get_by_label("Votre message").fill("J'ai de la fièvre depuis hier.")
            await patient.get_by_role("button", name="Envoyer").click()
            await expect(practitioner.locator("#chat-log")).to_contain_text("fièvre")
            await practitioner.get_by_label("Notes de consultation").fill("Syndrome grippal.")
            await practitioner.get_by_role("button", name="Enregistrer les notes").click()
            await expect(practitioner.locator("#note-status")).to_contain_text("enregistrées")
            await practitioner.get_by_role("button", name="Terminer la consultation").click()
            await expect(patient.locator("#ended")).to_be_visible()

            await patient.get_by_role("link", name="Mes consultations").click()
            row = patient.get_by_role("row").filter(has_text="Karim Benali")
            await expect(row).to_contain_text("Identique, confirmé")
            await row.get_by_role("link", name="Voir").click()
            await expect(patient.locator("#chat-record")).to_contain_text("fièvre")
            await expect(patient.locator("#note-record")).to_have_count(0)
            await browser.close()

    asyncio.run(visit())
    recorded = actions(served)
    assert recorded["consultation.sas.confirmed"]
    assert recorded["consultation.signalling.fingerprint_verified"]
    assert "consultation.signalling.fingerprint_mismatch" not in recorded


def test_a_man_in_the_middle_changes_the_words_and_is_flagged_without_anyone_acting(
    served: Served,
) -> None:
    appointment = served.appointment_now(PATIENT, OTHER_PRACTITIONER)
    seen: dict[str, str] = {}

    async def attacked_call() -> None:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CALL_ARGS)
            mallory = SignallingInterceptor()
            patient = await sign_in(browser, served.base, PATIENT)
            await patient.route_web_socket(re.compile(r"/ws/consultation/"), mallory.attach)
            await enter_room(patient, appointment, PATIENT_ENTERS)
            practitioner = await sign_in(browser, served.base, OTHER_PRACTITIONER)
            await enter_room(practitioner, appointment, PRACTITIONER_ENTERS)
            await admit_and_connect(patient, practitioner)

            # Both browsers connect (to the attacker) and show words…
            seen["patient"] = await sas_words(patient)
            seen["practitioner"] = await sas_words(practitioner)
            assert mallory.rewritten >= 2, "the attacker did not get in the path"
            # …and the server's own check warns the practitioner before anyone compares.
            await expect(practitioner.locator("#security-alert")).to_be_visible(timeout=15_000)
            await practitioner.get_by_role("button", name="Les mots sont différents").click()
            await expect(patient.locator("#ended-reason")).to_contain_text("différents")
            await mallory.close()
            await browser.close()

    asyncio.run(attacked_call())
    assert seen["patient"] != seen["practitioner"]
    recorded = actions(served)
    flagged = recorded["consultation.signalling.fingerprint_mismatch"]
    assert len(flagged) == 1 and flagged[0]["event"]["outcome"] == "failure"
    assert recorded["consultation.sas.mismatch"]
    # Both reach the security officers as alerts (the embedded profile's live detection).
    expected = {"signalling_fingerprint_mismatch", "sas_mismatch"}
    assert expected <= alert_rules(served, expected)


def test_a_call_connects_through_coturn_alone_with_ephemeral_credentials(
    coturn: TurnServer, tmp_path: Path
) -> None:
    port = free_port()
    turn = {
        "TELEGARDE_TURN_URLS": coturn.url,
        "TELEGARDE_TURN_SECRET": coturn.secret,
        "TELEGARDE_ICE_TRANSPORT_POLICY": "relay",
    }
    with served_platform(tmp_path, port, **turn):
        served = Served(f"http://127.0.0.1:{port}", tmp_path)
        appointment = served.appointment_now(PATIENT, PRACTITIONER)

        async def relayed_call() -> list[list[str]]:
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CALL_ARGS)
                patient = await sign_in(browser, served.base, PATIENT)
                await enter_room(patient, appointment, PATIENT_ENTERS)
                practitioner = await sign_in(browser, served.base, PRACTITIONER)
                await enter_room(practitioner, appointment, PRACTITIONER_ENTERS)
                await admit_and_connect(patient, practitioner)
                before, after = await media_grows(patient)
                assert after > before > 0
                types: list[list[str]] = await practitioner.evaluate(
                    "() => window.telegardeCall.selectedCandidateTypes()"
                )
                await browser.close()
                return types

        types = asyncio.run(relayed_call())
    assert types and all(pair == ["relay", "relay"] for pair in types), types


def test_when_no_media_path_exists_it_falls_back_to_audio_then_to_the_phone(
    tmp_path: Path,
) -> None:
    port = free_port()
    unreachable_turn = {
        # Relay only, through a TURN server that does not exist: nothing can connect.
        "TELEGARDE_TURN_URLS": f"turn:127.0.0.1:{free_port()}?transport=udp",
        "TELEGARDE_TURN_SECRET": "a-secret-for-a-turn-server-that-is-not-there",
        "TELEGARDE_ICE_TRANSPORT_POLICY": "relay",
        "TELEGARDE_CALL_CONNECT_TIMEOUT": "4",
    }
    with served_platform(tmp_path, port, **unreachable_turn):
        served = Served(f"http://127.0.0.1:{port}", tmp_path)
        appointment = served.appointment_now(PATIENT, PRACTITIONER)

        async def failing_call() -> None:
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CALL_ARGS)
                patient = await sign_in(browser, served.base, PATIENT)
                await enter_room(patient, appointment, PATIENT_ENTERS)
                practitioner = await sign_in(browser, served.base, PRACTITIONER)
                await enter_room(practitioner, appointment, PRACTITIONER_ENTERS)
                await admit_and_connect(patient, practitioner)

                reason = patient.locator("#fallback-reason")
                await expect(reason).to_contain_text("La vidéo ne parvient pas", timeout=15_000)
                await patient.get_by_role("button", name="Essayer en audio seul").click()
                await expect(practitioner.locator("#fallback-reason")).to_contain_text(
                    "audio ne parvient pas non plus", timeout=15_000
                )
                phone_step = practitioner.locator("#phone-step")
                await expect(phone_step).to_contain_text("+33612345678")
                await practitioner.get_by_role("button", name="Poursuivre par téléphone").click()
                await expect(patient.locator("#fallback-reason")).to_contain_text("par téléphone")
                await browser.close()

        asyncio.run(failing_call())
        fallbacks = actions(served)["consultation.fallback.used"]
    steps = [event["telegarde"]["data"]["step"] for event in fallbacks]
    assert steps == ["audio", "phone"]


def test_a_dropped_signalling_socket_reconnects_and_the_call_goes_on(served: Served) -> None:
    appointment = served.appointment_now(PATIENT, PRACTITIONER)
    sockets: list[WebSocketRoute] = []

    async def keep(route: WebSocketRoute) -> None:
        route.connect_to_server()  # forwarded both ways, untouched
        sockets.append(route)

    async def dropped_call() -> None:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CALL_ARGS)
            patient = await sign_in(browser, served.base, PATIENT)
            await patient.route_web_socket(re.compile(r"/ws/consultation/"), keep)
            await enter_room(patient, appointment, PATIENT_ENTERS)
            practitioner = await sign_in(browser, served.base, PRACTITIONER)
            await enter_room(practitioner, appointment, PRACTITIONER_ENTERS)
            await admit_and_connect(patient, practitioner)
            await media_grows(patient)

            await sockets[0].close(code=1011, reason="network lost")
            await expect(patient.locator("#connection")).to_have_text("", timeout=15_000)
            assert len(sockets) == 2, "the page opened a new signalling socket"
            before, after = await media_grows(patient)
            assert after > before, "media kept flowing through the signalling outage"
            await patient.get_by_label("Votre message").fill("Vous m'entendez toujours ?")
            await patient.get_by_role("button", name="Envoyer").click()
            await expect(practitioner.locator("#chat-log")).to_contain_text("toujours")
            await browser.close()

    asyncio.run(dropped_call())
