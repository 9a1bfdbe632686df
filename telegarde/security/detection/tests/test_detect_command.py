"""``telegarde detect replay`` prints exactly the expected alerts; ``ingest --nginx``
feeds reverse-proxy lines to the same engine; ``validate`` names bad files."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from telegarde.security.detection.models import Alert

T0 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


def ecs(n: int, action: str, seconds: float, **fields: object) -> str:
    doc: dict[str, object] = {
        "@timestamp": (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z"),
        "event": {"action": action, "id": f"id-{n}", "outcome": fields.pop("outcome", "failure")},
    }
    for key, value in fields.items():
        node = doc
        *parents, last = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})  # type: ignore[assignment,unused-ignore]
        node[last] = value  # type: ignore[index,unused-ignore]
    return json.dumps(doc)


def scenario() -> list[str]:
    lines = []
    n = 0
    # 12 failures on one account from one source: brute force (and nothing else).
    for i in range(12):
        n += 1
        lines.append(
            ecs(
                n,
                "auth.login.failed",
                i * 10,
                **{"telegarde.data.email": "cible@x.fr", "source.ip": "203.0.113.1"},
            )
        )
    # One source on 10 accounts: spraying.
    for i in range(10):
        n += 1
        lines.append(
            ecs(
                n,
                "auth.login.failed",
                200 + i,
                **{"telegarde.data.email": f"c{i}@x.fr", "source.ip": "198.51.100.7"},
            )
        )
    # Normal traffic and a malformed line.
    for i in range(30):
        n += 1
        lines.append(
            ecs(
                n,
                "auth.login.succeeded",
                300 + i,
                outcome="success",
                **{"user.email": "medecin@x.fr", "source.ip": "192.0.2.50"},
            )
        )
    lines.append("not json")
    n += 1
    lines.append(ecs(n, "consultation.sas.mismatch", 400, **{"telegarde.target.id": "room-9"}))
    return lines


def test_replay_prints_exactly_the_expected_alerts(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(scenario()) + "\n")
    out, err = StringIO(), StringIO()
    call_command("detect", "replay", str(path), stdout=out, stderr=err)
    alerts = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(a["rule"], a["group"], a["count"]) for a in alerts] == [
        ("brute_force_account", {"telegarde.data.email": "cible@x.fr"}, 3),
        ("password_spraying", {"source.ip": "198.51.100.7"}, 1),
        ("sas_mismatch", {"telegarde.target.id": "room-9"}, 1),
    ]
    assert alerts[0]["first_seen"] == "2026-11-30T07:01:30Z"
    assert "line 53: not an event" in err.getvalue()
    assert "53 event(s), 3 alert(s)" in err.getvalue()


NGINX = (
    '203.0.113.80 - - [30/Nov/2026:08:00:{s:02d} +0100] "GET /wp-admin/{i}.php HTTP/1.1" 404 153'
    ' "-" "Mozilla/5.0 (scanner)"\n'
)


@pytest.mark.django_db
def test_ingest_feeds_nginx_lines_into_the_engine(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text("".join(NGINX.format(s=i, i=i) for i in range(40)) + "garbage\n")
    out = StringIO()
    call_command("detect", "ingest", "--nginx", str(log), "--print", stdout=out, stderr=StringIO())
    [alert] = [json.loads(line) for line in out.getvalue().splitlines()]
    assert (alert["rule"], alert["group"], alert["count"]) == (
        "scanning",
        {"source.ip": "203.0.113.80"},
        11,
    )
    call_command("detect", "ingest", "--nginx", str(log), stdout=StringIO(), stderr=StringIO())
    stored = Alert.objects.get(rule_id="scanning")
    assert stored.count == 11 and stored.organisation is None
    assert stored.events.first().data["url.path"].startswith("/wp-admin/")  # type: ignore[union-attr]


def test_validate_names_the_bad_file(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(
        "id: x_rule\ntitle: X\nthreat: cyber\nseverity: low\nmatch: {action: a.b}\n"
    )
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("detect", "validate", str(tmp_path), stdout=StringIO(), stderr=err)
    assert "bad.yaml:3: threat:" in err.getvalue()
