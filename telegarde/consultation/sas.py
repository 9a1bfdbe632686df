"""The short authentication string (SAS) that makes a man-in-the-middle evident.

Each side of a call reads the two DTLS certificate fingerprints actually used on its
connection (its own and its peer's), and derives the same few words from them. An
attacker who relays the call terminates DTLS on both legs with certificates of its own,
so the two sides see different fingerprint pairs and read out different words. The
browser computes the same function (static/consultation/sas.js); this module is the
reference that tests and the server use.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

VERSION = "telegarde-sas-v1"
WORD_COUNT = 4
_FINGERPRINT_LINE = re.compile(r"^a=fingerprint:(\S+)\s+([0-9A-Fa-f:]+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Sas:
    words: tuple[str, ...]
    digits: str


@cache
def words() -> tuple[str, ...]:
    """The 256 French words, one per byte value, distinct even without their accents."""
    path = Path(__file__).with_name("data") / "sas_words_fr.txt"
    listed = tuple(line.strip() for line in path.read_text("utf-8").splitlines() if line.strip())
    if len(listed) != 256:
        raise RuntimeError(f"{path} must list 256 words, not {len(listed)}")
    return listed


def normalise_fingerprint(algorithm: str, value: str) -> str:
    """``"sha-256 AB:CD:…"``: the algorithm in lower case, the hex in upper case."""
    return f"{algorithm.strip().lower()} {value.strip().upper()}"


def fingerprints_in_sdp(sdp: str) -> set[str]:
    """The DTLS fingerprints an SDP announces (session or media level), normalised."""
    return {normalise_fingerprint(alg, hexa) for alg, hexa in _FINGERPRINT_LINE.findall(sdp)}


def sas_for_fingerprints(room_id: str, first: str, second: str) -> Sas:
    """The SAS both ends of a call in ``room_id`` display, whatever the order of the pair."""
    low, high = sorted((first, second))
    digest = hashlib.sha256("\n".join((VERSION, room_id, low, high)).encode()).digest()
    table = words()
    number = int.from_bytes(digest[WORD_COUNT : WORD_COUNT + 4], "big") % 1_000_000
    return Sas(words=tuple(table[b] for b in digest[:WORD_COUNT]), digits=f"{number:06d}")
