from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory
from django.utils import timezone

from telegarde.conftest import Personas
from telegarde.core.events import record_event
from telegarde.core.models import SecurityEvent


def test_it_writes_ecs_field_names(personas: Personas, tmp_path: Path) -> None:
    request = RequestFactory().post("/", REMOTE_ADDR="198.51.100.4", HTTP_USER_AGENT="curl/8")
    request.user = personas.security_officer
    record_event(
        "auth.login.failed", outcome="failure", request=request, organisation=personas.organisation
    )
    out = tmp_path / "events.jsonl"
    call_command("events", "export", "--format", "ecs-json", "--output", str(out))
    docs = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(docs) == SecurityEvent.objects.count()
    last = docs[-1]
    assert last["event"]["action"] == "auth.login.failed"
    assert last["event"]["outcome"] == "failure"
    assert last["event"]["category"] == ["authentication"]
    assert last["source"]["ip"] == "198.51.100.4"
    assert last["user"]["id"] == str(personas.security_officer.external_id)
    assert last["organization"]["id"] == str(personas.organisation.external_id)
    assert last["user_agent"]["original"] == "curl/8"
    assert last["@timestamp"].endswith("Z")
    assert [d["event"]["sequence"] for d in docs] == sorted(d["event"]["sequence"] for d in docs)


def test_it_exports_only_events_since_the_given_date(
    db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    record_event("test.old")
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    call_command("events", "export", "--since", tomorrow)
    assert capsys.readouterr().out == ""
    call_command("events", "export", "--since", timezone.localdate().isoformat())
    assert '"test.old"' in capsys.readouterr().out


def test_it_names_the_option_when_the_date_is_malformed(db: None) -> None:
    with pytest.raises(CommandError, match="--since: '30/11/2026' is not a date"):
        call_command("events", "export", "--since", "30/11/2026")
