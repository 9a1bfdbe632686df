from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from telegarde.core.events import record_event, verify_chain
from telegarde.core.models import SecurityEvent

from .tamper import raw


@pytest.fixture
def chain(db: None) -> list[SecurityEvent]:
    return [record_event(f"test.step_{n}", data={"n": n}) for n in range(1, 7)]


def test_it_passes_on_a_fresh_database(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("verify_log")
    assert "intact: 0 event(s)" in capsys.readouterr().out


def test_it_passes_on_an_untouched_chain(chain: list[SecurityEvent]) -> None:
    report = verify_chain()
    assert report.ok and report.checked == 6


def test_it_names_the_row_whose_content_was_edited(chain: list[SecurityEvent]) -> None:
    raw("UPDATE core_securityevent SET actor_email = 'someone@else.fr' WHERE seq = 3")
    report = verify_chain()
    assert not report.ok
    assert (report.broken_seq, report.broken_id) == (3, chain[2].pk)
    assert "altered" in report.problem
    with pytest.raises(CommandError, match="BROKEN at position 3") as error:
        call_command("verify_log")
    assert error.value.returncode == 1


def test_it_detects_an_edit_of_the_json_data(chain: list[SecurityEvent]) -> None:
    raw("UPDATE core_securityevent SET data = %s WHERE seq = 5", ['{"n": 50}'])
    assert verify_chain().broken_seq == 5


def test_it_detects_an_edit_that_recomputes_a_plain_hash(chain: list[SecurityEvent]) -> None:
    # Without the server key, a forger can only guess: an unkeyed SHA-256 will not do.
    import hashlib

    from telegarde.core.events import chain_fields
    from telegarde.lib.chain import canonical_json

    forged = chain[1]
    forged.action = "test.forged"
    digest = hashlib.sha256(
        forged.prev_hash.encode() + b"\n" + canonical_json(chain_fields(forged))
    ).hexdigest()
    raw("UPDATE core_securityevent SET action = 'test.forged', hash = %s WHERE seq = 2", [digest])
    assert verify_chain().broken_seq == 2


def test_it_names_the_gap_left_by_a_deleted_row(chain: list[SecurityEvent]) -> None:
    raw("DELETE FROM core_securityevent WHERE seq = 4")
    report = verify_chain()
    assert not report.ok
    assert report.broken_seq == 5
    assert "missing" in report.problem


def test_it_detects_a_deleted_and_renumbered_row(chain: list[SecurityEvent]) -> None:
    raw("DELETE FROM core_securityevent WHERE seq = 4")
    raw("UPDATE core_securityevent SET seq = seq - 1 WHERE seq > 4")
    report = verify_chain()
    assert report.broken_seq == 4
    assert "previous row" in report.problem


def test_it_detects_rows_removed_from_the_end(chain: list[SecurityEvent]) -> None:
    raw("DELETE FROM core_securityevent WHERE seq >= 5")
    report = verify_chain()
    assert not report.ok
    assert "removed from the end" in report.problem


def test_it_detects_two_swapped_rows(chain: list[SecurityEvent]) -> None:
    raw("UPDATE core_securityevent SET seq = -2 WHERE seq = 2")
    raw("UPDATE core_securityevent SET seq = 2 WHERE seq = 3")
    raw("UPDATE core_securityevent SET seq = 3 WHERE seq = -2")
    report = verify_chain()
    assert not report.ok
    assert report.broken_seq == 2


def test_it_keeps_recording_after_a_failed_verification(chain: list[SecurityEvent]) -> None:
    raw("UPDATE core_securityevent SET action = 'test.x' WHERE seq = 1")
    event = record_event("test.after_tamper")
    assert event.seq == 7
    assert verify_chain().broken_seq == 1


def test_a_deleted_head_is_repaired_and_the_repair_is_reported_for_ever(
    chain: list[SecurityEvent],
) -> None:
    from telegarde.core.models import EventChainHead

    raw("DELETE FROM core_securityevent WHERE seq >= 5")
    EventChainHead.objects.all().delete()
    assert verify_chain().problem == "the chain head row was deleted"
    event = record_event("test.after_head_loss")
    assert event.seq == 6
    report = verify_chain()
    assert report.broken_seq == 5
    assert "repaired here (the chain head row was missing)" in report.problem
    assert "cannot be ruled out" in report.problem


def test_a_rewound_head_is_repaired_instead_of_blocking_every_action(
    chain: list[SecurityEvent],
) -> None:
    from telegarde.core.models import EventChainHead

    EventChainHead.objects.update(seq=2, hash=chain[1].hash)
    event = record_event("test.after_rewind")
    assert event.seq == 8
    report = verify_chain()
    assert report.broken_seq == 7
    assert "rewound to position 2" in report.problem
