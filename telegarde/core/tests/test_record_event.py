from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import RequestFactory

from telegarde.conftest import Personas
from telegarde.core.events import record_event
from telegarde.core.models import AppendOnlyError, SecurityEvent


def test_it_records_every_field_from_the_request(personas: Personas) -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="Firefox/140")
    request.user = personas.practitioner
    event = record_event(
        "patient.record.viewed",
        request=request,
        organisation=personas.organisation,
        target=personas.patient,
        data={"reason": "appointment"},
    )
    event.refresh_from_db()
    assert event.actor_id == str(personas.practitioner.external_id)
    assert event.actor_email == "praticien@test.fr"
    assert event.organisation_id == str(personas.organisation.external_id)
    assert event.source_ip == "203.0.113.7"
    assert event.user_agent == "Firefox/140"
    assert (event.target_type, event.target_id) == ("user", str(personas.patient.external_id))
    assert event.data == {"reason": "appointment"}
    assert event.outcome == "success"


def test_it_numbers_events_without_gaps_and_links_each_to_the_previous(db: None) -> None:
    first = record_event("test.first")
    second = record_event("test.second", outcome="failure")
    assert second.seq == first.seq + 1
    assert second.prev_hash == first.hash
    assert len(second.hash) == 64


def test_it_refuses_secrets_in_event_data(db: None) -> None:
    with pytest.raises(ValueError, match="secrets must never be recorded"):
        record_event("auth.login.failed", data={"email": "a@b.fr", "password": "hunter2"})
    with pytest.raises(ValueError, match=r"data\.form\.otp_code"):
        record_event("auth.mfa.failed", data={"form": {"otp_code": "123456"}})
    assert not SecurityEvent.objects.exists()


def test_it_refuses_malformed_action_names_and_outcomes(db: None) -> None:
    with pytest.raises(ValueError, match="dotted"):
        record_event("Login Failed")
    with pytest.raises(ValueError, match="outcome"):
        record_event("auth.login.failed", outcome="meh")


def test_it_rolls_back_with_the_action_that_failed(db: None) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        record_event("test.rolled_back")
        raise RuntimeError("the action failed after recording")
    assert not SecurityEvent.objects.filter(action="test.rolled_back").exists()
    assert record_event("test.after").seq == 1


def test_it_refuses_changes_through_the_orm(db: None) -> None:
    event = record_event("test.immutable")
    event.action = "test.forged"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        SecurityEvent.objects.filter(pk=event.pk).update(action="test.forged")
    with pytest.raises(AppendOnlyError):
        SecurityEvent.objects.all().delete()


def test_it_refuses_changes_through_raw_sql(db: None) -> None:
    event = record_event("test.immutable")
    for sql in (
        "UPDATE core_securityevent SET action = 'test.forged' WHERE id = %s",
        "DELETE FROM core_securityevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [event.pk])
    event.refresh_from_db()
    assert event.action == "test.immutable"


def test_no_model_change_is_missing_a_migration(db: None) -> None:
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
