"""Detection rules: YAML files, one rule a file, validated against ``RULE_SCHEMA``.

A rule names the event actions it looks at, field conditions (``field|modifier: value``,
as in Sigma), an optional correlation (count or distinct count over a sliding window,
grouped by fields), a suppress window and the responses it may trigger. A file that
does not validate is reported with its path, line and field; the other rules still load.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from .schema import RULE_SCHEMA

BUILTIN_DIR = Path(__file__).resolve().parent / "rules"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
DEFAULT_SUPPRESS = "15m"

Event = dict[str, Any]
Test = Callable[[Event], bool]
_validator = Draft202012Validator(RULE_SCHEMA)


class RuleError(Exception):
    """A rule file is invalid; ``str()`` names the file, the line and the field."""

    def __init__(self, path: str, line: int, where: str, problem: str) -> None:
        self.path, self.line, self.where, self.problem = path, line, where, problem
        super().__init__(f"{path}:{line}: {where}: {problem}")


def seconds(duration: str) -> int:
    """``"10m"`` → 600."""
    return int(duration[:-1]) * _UNITS[duration[-1]]


def getter(fields: str | Sequence[str]) -> Callable[[Event], Any]:
    """Read a field, or the first present of several (``[telegarde.data.email, user.email]``)."""
    if isinstance(fields, str):
        name = fields
        return lambda event: event.get(name)
    names = tuple(fields)

    def first(event: Event) -> Any:
        for name in names:
            value = event.get(name)
            if value is not None and value != "":
                return value
        return None

    return first


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def condition(key: str, expected: Any) -> Test:
    """Compile ``field|modifier: expected`` into a test on a flat event."""
    name, _, modifier = key.partition("|")
    get = getter(name)
    if modifier == "":
        if isinstance(expected, list):
            choices = frozenset(str(v) for v in expected)
            return lambda e: (v := get(e)) is not None and str(v) in choices
        want = str(expected)
        return lambda e: (v := get(e)) is not None and str(v) == want
    if modifier == "not":
        want = str(expected)
        return lambda e: str(get(e)) != want
    if modifier == "in":
        if not isinstance(expected, list):
            raise ValueError("'in' needs a list")
        choices = frozenset(str(v) for v in expected)
        return lambda e: (v := get(e)) is not None and str(v) in choices
    if modifier == "prefix":
        prefixes = tuple(str(v) for v in (expected if isinstance(expected, list) else [expected]))
        return lambda e: (v := get(e)) is not None and str(v).startswith(prefixes)
    if modifier == "regex":
        pattern = re.compile(str(expected))
        return lambda e: (v := get(e)) is not None and pattern.search(str(v)) is not None
    if modifier == "cidr":
        networks = [
            ipaddress.ip_network(str(v), strict=False)
            for v in (expected if isinstance(expected, list) else [expected])
        ]
        return lambda e: _in_networks(get(e), networks)
    if modifier == "exists":
        return lambda e: (get(e) not in (None, "")) is bool(expected)
    limit = _number(expected)
    if limit is None:
        raise ValueError(f"{modifier!r} needs a number")
    compare: dict[str, Callable[[float], bool]] = {
        "gt": lambda v: v > limit,
        "gte": lambda v: v >= limit,
        "lt": lambda v: v < limit,
        "lte": lambda v: v <= limit,
    }
    check = compare[modifier]
    return lambda e: (v := _number(get(e))) is not None and check(v)


def _in_networks(value: Any, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    if value is None:
        return False
    try:
        address = ipaddress.ip_address(str(value))
    except ValueError:
        return False
    return any(address in network for network in networks)


@dataclass(frozen=True)
class Threshold:
    field: Callable[[Event], Any]
    gte: int


@dataclass(frozen=True)
class Correlation:
    kind: str  # event_count | value_count
    value: Callable[[Event], Any] | None
    timespan: int
    gte: int
    also: tuple[Threshold, ...] = ()
    ratio_where: tuple[Test, ...] = ()
    ratio_gte: float = 0.0


@dataclass(frozen=True)
class ResponseSpec:
    kind: str
    field: str = ""
    duration: int = 3600


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    description: str
    threat: str
    attack: tuple[str, ...]
    severity: str
    actions: frozenset[str]
    tests: tuple[Test, ...]
    group_by: tuple[str, ...]
    correlation: Correlation | None
    suppress: int
    responses: tuple[ResponseSpec, ...]
    automatic: bool
    enabled: bool
    source: str
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)
    # An organisation's variant of the rule (another threshold or window) has its own
    # correlation windows and alerts: "organisation/threshold/window"; "" for the rule.
    scope: str = ""

    def matches(self, event: Event) -> bool:
        return all(test(event) for test in self.tests)


def _line_of(node: yaml.Node | None, path: Iterable[Any]) -> int:
    """The 1-based line of the YAML node at ``path`` (the deepest one that exists)."""
    line = node.start_mark.line + 1 if node is not None else 1
    for step in path:
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == step), None)
            key = next((k for k, v in node.value if k.value == step), None)
            if child is None:
                break
            line = (key or child).start_mark.line + 1
            node = child
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            if step >= len(node.value):
                break
            node = node.value[step]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _where(path: Iterable[Any]) -> str:
    return ".".join(str(p) for p in path) or "(rule)"


def parse_rule(text: str, source: str) -> Rule:
    """Validate and compile one rule file's text; raises ``RuleError``."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise RuleError(source, line, "(yaml)", str(getattr(exc, "problem", exc))) from exc
    if not isinstance(data, dict):
        raise RuleError(source, 1, "(rule)", "a rule file holds one mapping")
    errors = sorted(_validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        error = errors[0]
        path = list(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = set(error.schema.get("properties", {}))  # type: ignore[union-attr,unused-ignore]
            path += sorted(set(error.instance) - known)[:1]
        raise RuleError(source, _line_of(node, path), _where(path), error.message)
    try:
        return _compile(data, source)
    except (ValueError, re.error) as exc:
        raise RuleError(source, _line_of(node, ["match"]), "match", str(exc)) from exc


def _conditions(mapping: dict[str, Any] | None, negate: bool = False) -> list[Test]:
    tests = [condition(key, value) for key, value in (mapping or {}).items()]
    if negate and tests:
        both = tuple(tests)

        def none_of(event: Event) -> bool:
            return not all(test(event) for test in both)

        return [none_of]
    return tests


def _compile(data: dict[str, Any], source: str) -> Rule:
    match = data["match"]
    actions = match["action"]
    tests = _conditions(match.get("where")) + _conditions(match.get("not"), negate=True)
    correlation = None
    if "correlation" in data:
        spec = data["correlation"]
        if spec["type"] == "value_count" and "field" not in spec:
            raise ValueError("correlation.field is required for value_count")
        ratio = spec.get("ratio") or {}
        correlation = Correlation(
            kind=spec["type"],
            value=getter(spec["field"]) if "field" in spec else None,
            timespan=seconds(spec["timespan"]),
            gte=spec["gte"],
            also=tuple(Threshold(getter(a["field"]), a["gte"]) for a in spec.get("also", [])),
            ratio_where=tuple(_conditions(ratio.get("where"))),
            ratio_gte=float(ratio.get("gte", 0.0)),
        )
    return Rule(
        id=data["id"],
        title=data["title"],
        description=data.get("description", ""),
        threat=data["threat"],
        attack=tuple(data.get("attack", [])),
        severity=data["severity"],
        actions=frozenset([actions] if isinstance(actions, str) else actions),
        tests=tuple(tests),
        group_by=tuple(data.get("group_by", [])),
        correlation=correlation,
        suppress=seconds(data.get("suppress", DEFAULT_SUPPRESS)),
        responses=tuple(
            ResponseSpec(r["type"], r.get("field", ""), seconds(r.get("duration", "1h")))
            for r in data.get("responses", [])
        ),
        automatic=bool(data.get("automatic", False)),
        enabled=bool(data.get("enabled", True)),
        source=source,
        raw=data,
    )


@dataclass
class RuleSet:
    """The rules in force and the files that were refused (shown on the health panel)."""

    rules: list[Rule]
    errors: list[RuleError]

    def by_id(self) -> dict[str, Rule]:
        return {rule.id: rule for rule in self.rules}


def load_rules(*folders: Path | str | None) -> RuleSet:
    """Built-in rules, then each folder's: a later rule with the same id replaces the
    earlier one (tuning), ``enabled: false`` turns it off."""
    found: dict[str, Rule] = {}
    errors: list[RuleError] = []
    for folder in (BUILTIN_DIR, *folders):
        if folder is None:
            continue
        for path in sorted(Path(folder).glob("*.y*ml")):
            try:
                rule = parse_rule(path.read_text(encoding="utf-8"), str(path))
            except RuleError as error:
                errors.append(error)
                continue
            except OSError as exc:
                errors.append(RuleError(str(path), 0, "(file)", str(exc)))
                continue
            found[rule.id] = rule
    return RuleSet([r for r in found.values() if r.enabled], errors)
