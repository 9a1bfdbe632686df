"""The shipped catalogues are complete and in step with the code (DESIGN §4 rule 7).

Source strings are French; the English catalogue must translate every one of them. The
strings are extracted here without GNU gettext, which CI machines may lack: templates go
through Django's own ``templatize`` (what ``makemessages`` feeds to xgettext), Python
modules through ``ast``. A call the extractor cannot read fails the test rather than
being skipped, so a gap in extraction never passes silently.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import polib
from django.utils.translation.template import templatize

import telegarde

PACKAGE = Path(telegarde.__file__).resolve().parent
ENGLISH = PACKAGE / "locale" / "en" / "LC_MESSAGES" / "django.po"
TEMPLATE_SUFFIXES = {".html", ".txt"}  # what makemessages reads by default, with .py

# Function name -> positions of (context, message, plural) among its arguments, as
# makemessages passes them to xgettext with --keyword.
KEYWORDS: dict[str, tuple[int | None, int, int | None]] = {
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}
# Placeholders by the format flag xgettext puts on an entry; "%%" is a literal percent.
PLACEHOLDERS = {
    "python-format": re.compile(r"%(?:\([^)]*\))?[#0\- +]*(?:\d+|\*)?(?:\.\d+)?[a-zA-Z%]"),
    "python-brace-format": re.compile(r"\{[^{}]*\}"),
}


@dataclass(frozen=True)
class Message:
    context: str | None
    msgid: str
    plural: str | None
    where: str


@dataclass
class Extraction:
    messages: list[Message]
    problems: list[str]


def source_files() -> Iterator[Path]:
    """Every file makemessages would read when run from the package directory."""
    for path in sorted(PACKAGE.rglob("*")):
        parts = path.relative_to(PACKAGE).parts
        if any(part.startswith(".") or part == "__pycache__" for part in parts):
            continue
        if path.is_file() and (path.suffix == ".py" or path.suffix in TEMPLATE_SUFFIXES):
            yield path


def _message(name: str, args: list[str | None], where: str, problems: list[str]) -> Message | None:
    """The message of a ``name(*args)`` call, where ``None`` stands for a non-literal."""
    context_at, msgid_at, plural_at = KEYWORDS[name]
    wanted = [i for i in (context_at, msgid_at, plural_at) if i is not None]
    if len(args) <= max(wanted) or any(args[i] is None for i in wanted):
        problems.append(
            f"{where}: {name}() is not called with literal strings, so its message "
            "cannot be extracted (mark the literal itself with gettext_lazy or gettext_noop)"
        )
        return None
    msgid = args[msgid_at]
    assert msgid is not None
    return Message(
        context=args[context_at] if context_at is not None else None,
        msgid=msgid,
        plural=args[plural_at] if plural_at is not None else None,
        where=where,
    )


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def extract_python(path: Path, extraction: Extraction) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = (
            func.id
            if isinstance(func, ast.Name)
            else func.attr
            if isinstance(func, ast.Attribute)
            else None
        )
        if name not in KEYWORDS:
            continue
        where = f"{path.relative_to(PACKAGE)}:{node.lineno}"
        message = _message(name, [_literal(a) for a in node.args], where, extraction.problems)
        if message is not None:
            extraction.messages.append(message)


def extract_template(path: Path, extraction: Extraction) -> None:
    """Django's templatize turns translation tags into gettext calls; read those calls."""
    relative = path.relative_to(PACKAGE)
    try:
        code = templatize(path.read_text(encoding="utf-8"), origin=str(relative))
    except SyntaxError as error:
        extraction.problems.append(f"{relative}: {error}")
        return
    # Text outside the tags is blanked out; indentation means nothing to this code.
    code = "\n".join(line.lstrip() for line in code.splitlines()) + "\n"
    tokens = [
        token
        for token in tokenize.generate_tokens(io.StringIO(code).readline)
        if token.type not in {tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT}
    ]
    for index, token in enumerate(tokens[:-1]):
        if token.type != tokenize.NAME or token.string not in KEYWORDS:
            continue
        if tokens[index + 1].string != "(":
            continue
        args: list[str | None] = []
        depth, current = 0, ""
        literal: Any = None
        for inner in tokens[index + 2 :]:
            if inner.string == "(":
                depth += 1
            elif inner.string == ")" and depth > 0:
                depth -= 1
            elif depth == 0 and inner.string in {",", ")"}:
                args.append(literal if isinstance(literal, str) and current == "S" else None)
                current, literal = "", None
                if inner.string == ")":
                    break
                continue
            if inner.type == tokenize.STRING and current in {"", "S"}:
                # Adjacent literals concatenate, as in Python.
                part = ast.literal_eval(inner.string)
                literal = part if current == "" else f"{literal}{part}"
                current = "S"
            else:
                current = "X"
        where = f"{relative}:{token.start[0]} (templatized)"
        message = _message(token.string, args, where, extraction.problems)
        if message is not None:
            extraction.messages.append(message)


@cache
def extract_all() -> Extraction:
    """Every message marked for translation in the package, and what could not be read."""
    extraction = Extraction(messages=[], problems=[])
    for path in source_files():
        if path.suffix == ".py":
            extract_python(path, extraction)
        else:
            extract_template(path, extraction)
    return extraction


def entries(path: Path) -> list[Any]:
    return [entry for entry in polib.pofile(str(path)) if not entry.obsolete]


def describe(entry: Any) -> str:
    context = f"[{entry.msgctxt}] " if entry.msgctxt else ""
    return f"{context}{entry.msgid!r}"


def test_the_english_catalogue_is_shipped() -> None:
    assert ENGLISH.is_file(), f"{ENGLISH} is missing: run makemessages -l en"
    metadata = polib.pofile(str(ENGLISH)).metadata
    assert metadata.get("Language") == "en"
    assert metadata.get("Plural-Forms") == "nplurals=2; plural=(n != 1);"


def test_every_shipped_catalogue_is_fully_translated_and_not_fuzzy() -> None:
    catalogues = sorted(PACKAGE.rglob("LC_MESSAGES/*.po"))
    assert ENGLISH in catalogues
    problems: list[str] = []
    for path in catalogues:
        relative = path.relative_to(PACKAGE)
        po = polib.pofile(str(path))
        if po.metadata_is_fuzzy:
            problems.append(f"{relative}: the header is marked fuzzy")
        for entry in entries(path):
            if entry.fuzzy:
                problems.append(f"{relative}: fuzzy: {describe(entry)}")
            elif entry.msgid_plural:
                if not entry.msgstr_plural or not all(entry.msgstr_plural.values()):
                    problems.append(f"{relative}: untranslated plural: {describe(entry)}")
            elif not entry.msgstr:
                problems.append(f"{relative}: untranslated: {describe(entry)}")
    assert not problems, "\n".join(problems)


def _placeholders(entry: Any, text: str) -> list[str]:
    found: list[str] = []
    for flag, pattern in PLACEHOLDERS.items():
        if flag in entry.flags:
            found.extend(p for p in pattern.findall(text) if p != "%%")
    return sorted(found)


def test_translations_keep_the_placeholders_of_their_source() -> None:
    problems: list[str] = []
    for path in sorted(PACKAGE.rglob("LC_MESSAGES/*.po")):
        for entry in entries(path):
            if entry.msgid_plural:
                # A singular form may leave the count out ("One event"); nothing may be added.
                allowed = set(
                    _placeholders(entry, entry.msgid) + _placeholders(entry, entry.msgid_plural)
                )
                for form, text in sorted(entry.msgstr_plural.items()):
                    if text and not set(_placeholders(entry, text)) <= allowed:
                        problems.append(f"{describe(entry)} form {form}: {text!r}")
            elif entry.msgstr and (
                _placeholders(entry, entry.msgstr) != _placeholders(entry, entry.msgid)
            ):
                problems.append(f"{describe(entry)} -> {entry.msgstr!r}")
    assert not problems, "placeholders differ from the source:\n" + "\n".join(problems)


def test_the_extractor_reads_templates_and_python() -> None:
    found = {m.msgid: m.where for m in extract_all().messages}
    # One string from a template tag, one from a blocktranslate with a variable, one
    # from a model: if any goes missing the extractor is broken, not the catalogue.
    assert found.get("Téléconsultation sécurisée", "").startswith("core/templates/")
    assert found.get("Bonjour %(name)s", "").startswith("core/templates/")
    assert found.get("Pharmacie", "").startswith("accounts/models.py")


def test_every_translatable_string_is_in_the_english_catalogue() -> None:
    extraction = extract_all()
    assert not extraction.problems, "\n".join(extraction.problems)
    catalogue = {(e.msgctxt, e.msgid): e for e in entries(ENGLISH)}
    missing: list[str] = []
    for message in extraction.messages:
        entry = catalogue.get((message.context, message.msgid))
        if entry is None:
            missing.append(f"{message.where}: {message.msgid!r}")
        elif message.plural is not None and entry.msgid_plural != message.plural:
            missing.append(f"{message.where}: plural {message.plural!r}")
    assert not missing, (
        "not in locale/en/LC_MESSAGES/django.po (from telegarde/, run `TELEGARDE_VAR_DIR=../var "
        "../.venv/bin/telegarde makemessages -l en --no-location`, then translate):\n"
        + "\n".join(sorted(missing))
    )


def test_the_english_catalogue_holds_no_string_the_code_no_longer_uses() -> None:
    used = {(m.context, m.msgid) for m in extract_all().messages}
    stale = [describe(e) for e in entries(ENGLISH) if (e.msgctxt, e.msgid) not in used]
    assert not stale, "unused entries (regenerate with makemessages):\n" + "\n".join(stale)


def test_one_french_word_reads_as_two_english_ones_by_context() -> None:
    from django.utils import translation

    from telegarde.consultation.models import Participant
    from telegarde.documents.models import Document

    with translation.override("en"):
        assert str(Document.Status.REJECTED.label) == "Rejected"
        assert str(Participant.State.REFUSED.label) == "Declined"
