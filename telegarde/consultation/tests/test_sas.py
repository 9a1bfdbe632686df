"""The short authentication string: symmetric, bound to the pair and the room, and the
same in the browser (static/consultation/sas.js) as on the server."""

from __future__ import annotations

import json
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from telegarde.consultation import sas
from telegarde.consultation.sas import fingerprints_in_sdp, sas_for_fingerprints, words

ROOM = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
ALICE = "sha-256 " + ":".join(f"{b:02X}" for b in range(32))
BOB = "sha-256 " + ":".join(f"{b:02X}" for b in range(100, 132))
MALLORY = "sha-256 " + ":".join(f"{b:02X}" for b in range(200, 232))
SAS_JS = Path(sas.__file__).parent / "static" / "consultation" / "sas.js"


def test_it_gives_the_same_sas_whatever_the_order() -> None:
    assert sas_for_fingerprints(ROOM, ALICE, BOB) == sas_for_fingerprints(ROOM, BOB, ALICE)


def test_it_gives_another_sas_when_a_fingerprint_is_replaced() -> None:
    genuine = sas_for_fingerprints(ROOM, ALICE, BOB)

    assert sas_for_fingerprints(ROOM, ALICE, MALLORY) != genuine
    assert sas_for_fingerprints(ROOM, MALLORY, BOB) != genuine
    assert sas_for_fingerprints(ROOM, ALICE, MALLORY).words != genuine.words


def test_it_is_bound_to_the_room() -> None:
    other_room = "6fa459ea-ee8a-3ca4-894e-db77e160355e"

    assert sas_for_fingerprints(other_room, ALICE, BOB) != sas_for_fingerprints(ROOM, ALICE, BOB)


def test_it_shows_four_words_and_six_digits() -> None:
    result = sas_for_fingerprints(ROOM, ALICE, BOB)

    assert len(result.words) == 4
    assert set(result.words) <= set(words())
    assert len(result.digits) == 6
    assert result.digits.isdigit()


def test_it_lists_256_distinct_words_even_without_accents() -> None:
    def plain(word: str) -> str:
        decomposed = unicodedata.normalize("NFKD", word.lower())
        return "".join(c for c in decomposed if not unicodedata.combining(c))

    listed = words()

    assert len(listed) == 256
    assert len(set(listed)) == 256
    assert len({plain(w) for w in listed}) == 256
    assert all(w and w == w.strip() for w in listed)


def test_it_reads_session_and_media_level_fingerprints() -> None:
    sdp = (
        "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
        "a=fingerprint:SHA-256 ab:cd:ef\r\n"
        "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
        "a=fingerprint:sha-256 AB:CD:EF\r\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
        "a=fingerprint:sha-384 01:02:03 \r\n"
        "a=setup:actpass\r\n"
    )

    assert fingerprints_in_sdp(sdp) == {"sha-256 AB:CD:EF", "sha-384 01:02:03"}


def test_it_ignores_lines_that_only_mention_a_fingerprint() -> None:
    sdp = "v=0\r\ns=a=fingerprint:sha-256 AB\r\nx=a=fingerprint:sha-1 CD\r\n"

    assert fingerprints_in_sdp(sdp) == set()


VECTORS = [
    (ROOM, ALICE, BOB),
    (ROOM, BOB, ALICE),
    (ROOM, ALICE, MALLORY),
    ("6fa459ea-ee8a-3ca4-894e-db77e160355e", ALICE, BOB),
    ("", "sha-1 00", "sha-1 FF"),
]

NODE_SCRIPT = """
import {{ sasForFingerprints, normaliseFingerprint }} from {module};
const {{ vectors, words }} = JSON.parse(process.argv[2]);
const results = [];
for (const [room, first, second] of vectors) {{
  results.push(await sasForFingerprints(room, first, second, words));
}}
results.push(normaliseFingerprint("  SHA-256 ", " ab:cd "));
console.log(JSON.stringify(results));
"""


def test_it_computes_the_same_sas_in_javascript(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the browser's SAS cannot be compared")
    script = tmp_path / "sas_vectors.mjs"
    script.write_text(NODE_SCRIPT.format(module=json.dumps(SAS_JS.as_uri())))
    argument = json.dumps({"vectors": VECTORS, "words": list(words())})

    run = subprocess.run(
        [node, str(script), argument], capture_output=True, text=True, timeout=30, check=True
    )
    *computed, normalised = json.loads(run.stdout)

    expected = [sas_for_fingerprints(*vector) for vector in VECTORS]
    assert computed == [{"words": list(e.words), "digits": e.digits} for e in expected]
    assert normalised == sas.normalise_fingerprint("  SHA-256 ", " ab:cd ")
