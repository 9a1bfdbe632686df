"""The board the workers of one machine share: another worker's signed-in work keeps
anonymous requests from starting here."""

from __future__ import annotations

import multiprocessing
from multiprocessing.synchronize import Event
from pathlib import Path

from telegarde.security.shield.board import SLOTS, Board
from telegarde.security.shield.priority import LOW, NORMAL, Scheduler, Ticket


def _other_worker(path: str, ready: Event, done: Event) -> None:
    board = Board.open(Path(path))
    assert board is not None
    scheduler = Scheduler(16, {}, 4)
    scheduler.publish = board.publish
    scheduler.offer(Ticket("page", NORMAL))  # a patient's page, running
    ready.set()
    done.wait(10)


def test_it_holds_anonymous_requests_back_while_another_worker_serves_signed_in_people(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shield-board"
    here = Board.open(path)
    assert here is not None
    scheduler = Scheduler(16, {}, 4)
    scheduler.others_busy = here.others_busy
    context = multiprocessing.get_context("spawn")
    ready, done = context.Event(), context.Event()
    other = context.Process(target=_other_worker, args=(str(path), ready, done))
    other.start()
    try:
        assert ready.wait(30)
        here._read_at = -1.0  # read now, not from the last look
        anonymous = Ticket("page", LOW)
        assert scheduler.offer(anonymous) == "wait"
        assert scheduler.offer(Ticket("page", NORMAL)) == "run"  # signed-in people go on
    finally:
        done.set()
        other.join(30)
    # The other worker is gone (its slot is stale): anonymous requests start again.
    here._read_at = -1.0
    assert not here.others_busy()


def test_it_goes_on_alone_when_the_board_is_full(tmp_path: Path) -> None:
    import struct

    from telegarde.security.shield.board import SIZE, SLOT

    path = tmp_path / "shield-board"
    # Every slot held by a live process that is not this one (pid 1).
    path.write_bytes(b"".join(SLOT.pack(1, 0, 0.0) for _ in range(SLOTS)))
    assert path.stat().st_size == SIZE
    assert Board.open(path) is None
    assert struct.unpack_from("<i", path.read_bytes())[0] == 1


def test_it_goes_on_alone_without_a_board_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert Board.open(blocker / "shield-board") is None
