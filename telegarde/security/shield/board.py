"""What the other workers on this machine are doing, for the priority scheduler.

Each worker's scheduler keeps anonymous requests from starting beside its own signed-in
work; but the workers of one machine share its CPU, and an anonymous page rendered by
one worker slows a patient's page rendered by the next one just as much. The board is a
small file mapped into every worker's memory (``TELEGARDE_VAR_DIR/shield-board``): one
slot per worker, holding its process id, how many signed-in requests it is running, and
until when it is under pressure. A worker writes only its own slot (a few bytes, no
lock) and reads the others' when an anonymous request could start.

A slot is claimed at start under an exclusive file lock; the slot of a process that no
longer exists is taken over. Without a free slot, or without the file, a worker goes on
alone (as with a single worker).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import mmap
import os
import struct
import time
from pathlib import Path

logger = logging.getLogger(__name__)

SLOTS = 64
SLOT = struct.Struct("<iid")  # pid, signed-in requests running, pressure until (monotonic)
SIZE = SLOTS * SLOT.size
READ_EVERY_S = 0.002  # the others' slots are read at most this often


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Board:
    def __init__(self, memory: mmap.mmap, slot: int) -> None:
        self.memory = memory
        self.slot = slot
        self.pid = os.getpid()
        self.running = 0
        self.pressure_until = 0.0
        self._read_at = -1.0
        self._busy = False

    @classmethod
    def open(cls, path: Path) -> Board | None:
        """This worker's place on the board at ``path``, or None (with a warning)."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            logger.warning("shield: no worker board at %s (%s); priority per worker", path, exc)
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                if os.fstat(fd).st_size < SIZE:
                    os.ftruncate(fd, SIZE)
                memory = mmap.mmap(fd, SIZE)
                slot = cls._claim(memory)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)  # the mapping stays valid
        if slot is None:
            logger.warning("shield: the worker board at %s is full; priority per worker", path)
            memory.close()
            return None
        return cls(memory, slot)

    @staticmethod
    def _claim(memory: mmap.mmap) -> int | None:
        pid = os.getpid()
        for index in range(SLOTS):
            other, _, _ = SLOT.unpack_from(memory, index * SLOT.size)
            if other in (0, pid) or not _alive(other):
                SLOT.pack_into(memory, index * SLOT.size, pid, 0, 0.0)
                return index
        return None

    def publish(self, running_signed_in: int, pressure_until: float) -> None:
        """This worker's state, as the others will read it."""
        if running_signed_in != self.running or pressure_until != self.pressure_until:
            self.running, self.pressure_until = running_signed_in, pressure_until
            SLOT.pack_into(
                self.memory, self.slot * SLOT.size, self.pid, running_signed_in, pressure_until
            )

    def others_busy(self) -> bool:
        """Whether another worker is running signed-in requests or is under pressure."""
        now = time.monotonic()
        if now - self._read_at < READ_EVERY_S:
            return self._busy
        self._read_at = now
        busy = False
        for index in range(SLOTS):
            if index == self.slot:
                continue
            pid, running, until = SLOT.unpack_from(self.memory, index * SLOT.size)
            if pid and (running > 0 or until > now) and _alive(pid):
                busy = True
                break
        self._busy = busy
        return busy

    def leave(self) -> None:
        with contextlib.suppress(ValueError):
            SLOT.pack_into(self.memory, self.slot * SLOT.size, 0, 0, 0.0)
