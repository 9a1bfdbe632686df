"""Reset: same answer for every address, single-use 15-minute links, events, notice."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse

from telegarde.accounts.models import User
from telegarde.accounts.recovery.tokens import ResetTokens, reset_tokens, uid_for
from telegarde.conftest import Personas, last_event
from telegarde.core.models import SecurityEvent

from .conftest import Post, link_in

NEW_PASSWORD = "tilleul orage carnet valise prune marmotte"
REQUEST_URL = "/comptes/mot-de-passe-oublie/"


def fresh_link(user: User) -> str:
    return reverse(
        "accounts:password_reset_confirm",
        kwargs={"uidb64": uid_for(user), "token": reset_tokens.make_token(user)},
    )


def set_password(client: Client, link: str, password: str = NEW_PASSWORD) -> Any:
    form_page = client.get(link)
    assert form_page.status_code == 302  # the token leaves the address bar
    return client.post(
        form_page["Location"], {"new_password1": password, "new_password2": password}
    )


def test_it_answers_the_same_for_known_and_unknown_addresses(
    personas: Personas, post: Post
) -> None:
    known = post(REQUEST_URL, {"email": personas.patient.email})
    unknown = post(REQUEST_URL, {"email": "personne@test.fr"})
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url == reverse("accounts:password_reset_sent")
    assert [m.to for m in mail.outbox] == [[personas.patient.email]]


def test_it_records_the_request_without_the_token(personas: Personas, post: Post) -> None:
    post(REQUEST_URL, {"email": personas.patient.email.upper()})
    event = last_event("auth.password.reset.requested")
    assert event.target_id == str(personas.patient.external_id)
    assert event.data["account_found"] is True
    token = link_in(mail.outbox[0]).rstrip("/").rsplit("/", 1)[-1]
    assert token not in str(event.data)


def test_it_mails_a_single_use_link_in_french_with_the_anti_phishing_note(
    personas: Personas, post: Post, client: Client
) -> None:
    post(REQUEST_URL, {"email": personas.patient.email})
    (message,) = mail.outbox
    assert "15 minutes" in message.body
    assert "ne vous demandera jamais votre mot de passe" in message.body

    link = link_in(message)
    assert set_password(client, link).url == reverse("accounts:password_reset_done")
    assert authenticate(None, username=personas.patient.email, password=NEW_PASSWORD)
    completed = last_event("auth.password.reset.completed")
    assert completed.target_id == str(personas.patient.external_id)

    again = client.get(link)
    assert "n'est plus valable" in again.content.decode()
    assert last_event("auth.password.reset.failed").data["reason"] == "invalid_or_used"
    assert not SecurityEvent.objects.filter(data__icontains=NEW_PASSWORD).exists()


def test_it_tells_the_owner_after_the_change(
    personas: Personas, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    from telegarde.accounts.recovery.mail import outbox

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        set_password(client, fresh_link(personas.patient))
    assert outbox().wait_idle()
    (notice,) = mail.outbox
    assert notice.to == [personas.patient.email]
    assert "vient d'être changé" in notice.body
    assert "ne vous demandera jamais" in notice.body


def test_it_voids_a_link_when_the_password_changes_any_other_way(
    personas: Personas, client: Client
) -> None:
    link = fresh_link(personas.patient)
    personas.patient.set_password("un autre mot de passe très long et nouveau")
    personas.patient.save(update_fields=["password"])
    assert "n'est plus valable" in client.get(link).content.decode()


def test_it_lasts_fifteen_minutes_by_default() -> None:
    assert settings.PASSWORD_RESET_TIMEOUT == 15 * 60


def test_it_refuses_a_link_older_than_the_timeout(
    personas: Personas, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = fresh_link(personas.patient)
    later = datetime.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)  # noqa: DTZ005
    monkeypatch.setattr(ResetTokens, "_now", lambda self: later)
    assert "n'est plus valable" in client.get(link).content.decode()
    assert last_event("auth.password.reset.failed").data["reason"] == "expired"


def test_it_refuses_a_forged_link(personas: Personas, client: Client) -> None:
    link = fresh_link(personas.patient)
    forged = link[:-3] + ("a" if link[-3] != "a" else "b") + link[-2:]
    assert "n'est plus valable" in client.get(forged).content.decode()
    assert client.get("/comptes/mot-de-passe-oublie/pas-un-uuid/1-2/").status_code == 200
    assert last_event("auth.password.reset.failed").data["reason"] == "unknown_user"


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("é" * 600, "too_long"),
        ("Tilleuls-orage-2026", "too_guessable"),
        ("qwertyuiop123", "common"),
    ],
)
def test_it_refuses_a_bad_password_with_the_reason(
    personas: Personas, client: Client, password: str, code: str
) -> None:
    response = set_password(client, fresh_link(personas.patient), password)
    assert response.status_code == 200
    assert "field-error" in response.content.decode()
    failed = last_event("auth.password.reset.failed")
    assert failed.data["reason"] == "password_refused"
    assert code in failed.data["codes"]
    personas.patient.refresh_from_db()
    assert not personas.patient.check_password(password)


@override_settings(RECOVERY_MAILS_PER_HOUR=2)
def test_it_stops_mailing_an_address_past_its_budget_with_the_same_answer(
    personas: Personas, post: Post
) -> None:
    answers = [post(REQUEST_URL, {"email": personas.patient.email}).url for _ in range(4)]
    assert len(set(answers)) == 1
    assert len(mail.outbox) == 2


def test_it_shows_a_clear_error_for_a_malformed_address(db: Any, client: Client) -> None:
    response = client.post(REQUEST_URL, {"email": "pas une adresse"})
    assert response.status_code == 200
    assert "field-error" in response.content.decode()
