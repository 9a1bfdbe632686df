"""YARA rules: the ones shipped in telegarde/documents/yara/ and the organisation's own
(``TELEGARDE_YARA_RULES_DIR``, every ``*.yar``/``*.yara`` file in it).

Rules are compiled once and again whenever a rule file changes, so ``telegarde documents
rescan`` after a rule update uses the new rules without a restart. A rule folder that
does not compile makes the scanner unavailable (documents stay pending), never "clean".
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yara
from django.conf import settings

from .clamd import ScannerUnavailable

BUILTIN_DIR = Path(__file__).resolve().parent / "yara"
MATCH_TIMEOUT_SECONDS = 60
DEFAULT_VERDICT = "suspicious"


@dataclass(frozen=True)
class YaraHit:
    rule: str
    namespace: str
    verdict: str


def rule_files() -> dict[str, Path]:
    """Namespace → rule file: ``telegarde.<name>`` for ours, ``local.<name>`` for the
    organisation's."""
    files = {f"telegarde.{p.stem}": p for p in sorted(BUILTIN_DIR.glob("*.yar"))}
    local_dir = getattr(settings, "YARA_RULES_DIR", None)
    if local_dir:
        for pattern in ("*.yar", "*.yara"):
            for path in sorted(Path(local_dir).glob(pattern)):
                files[f"local.{path.stem}"] = path
    return files


_lock = threading.Lock()
_compiled: tuple[tuple[Any, ...], Any] | None = None


def compiled_rules() -> Any:
    """The compiled rules, recompiled when a file was added, removed or changed."""
    global _compiled
    files = rule_files()
    try:
        stamp = tuple((ns, p.stat().st_mtime_ns, p.stat().st_size) for ns, p in files.items())
    except OSError as exc:
        raise ScannerUnavailable(f"YARA rule file unreadable: {exc}") from exc
    with _lock:
        if _compiled is None or _compiled[0] != stamp:
            try:
                rules = yara.compile(filepaths={ns: str(p) for ns, p in files.items()})
            except yara.Error as exc:
                raise ScannerUnavailable(f"YARA rules do not compile: {exc}") from exc
            _compiled = (stamp, rules)
        return _compiled[1]


def scan_bytes(data: bytes) -> list[YaraHit]:
    try:
        matches = compiled_rules().match(data=data, timeout=MATCH_TIMEOUT_SECONDS)
    except yara.Error as exc:
        raise ScannerUnavailable(f"YARA scan failed: {exc}") from exc
    return [
        YaraHit(m.rule, m.namespace, str(m.meta.get("verdict", DEFAULT_VERDICT))) for m in matches
    ]
