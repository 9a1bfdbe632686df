"""Invalid rule files are reported with file, line and field; the others still load."""

from __future__ import annotations

from pathlib import Path

import pytest

from telegarde.security.detection.rules import RuleError, load_rules, parse_rule

GOOD = """\
id: local_rule
title: Local rule
threat: other
severity: low
match:
  action: auth.logout
"""


def test_it_names_file_line_and_field_of_a_bad_value() -> None:
    text = GOOD.replace("severity: low", "severity: urgent")
    with pytest.raises(RuleError) as caught:
        parse_rule(text, "local.yaml")
    assert caught.value.path == "local.yaml"
    assert caught.value.line == 4
    assert caught.value.where == "severity"
    assert "urgent" in str(caught.value)


def test_it_names_a_nested_field() -> None:
    text = GOOD + "correlation:\n  type: event_count\n  timespan: ten minutes\n  gte: 3\n"
    with pytest.raises(RuleError) as caught:
        parse_rule(text, "x.yaml")
    assert (caught.value.line, caught.value.where) == (9, "correlation.timespan")


def test_it_reports_a_missing_field_and_unknown_keys() -> None:
    with pytest.raises(RuleError, match=r"x.yaml:1: \(rule\): 'threat' is a required"):
        parse_rule(GOOD.replace("threat: other\n", ""), "x.yaml")
    with pytest.raises(RuleError, match=r"x.yaml:7: colour: .*colour"):
        parse_rule(GOOD + "colour: red\n", "x.yaml")


def test_it_reports_yaml_syntax_and_bad_patterns() -> None:
    with pytest.raises(RuleError, match=r"x.yaml:3: \(yaml\)"):
        parse_rule("id: a\ntitle: [unclosed\nthreat: other\n", "x.yaml")
    bad_regex = GOOD + "  where:\n    url.path|regex: '(unclosed'\n"
    with pytest.raises(RuleError, match=r"x.yaml:5: match"):
        parse_rule(bad_regex, "x.yaml")


def test_it_keeps_the_other_rules_when_one_file_is_invalid(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "bad.yaml").write_text(GOOD.replace("local_rule", "Bad Id"))
    ruleset = load_rules(tmp_path)
    assert "local_rule" in ruleset.by_id()
    assert "brute_force_account" in ruleset.by_id()
    [error] = ruleset.errors
    assert error.path.endswith("bad.yaml") and error.where == "id" and error.line == 1


def test_it_lets_a_folder_tune_or_disable_a_built_in_rule(tmp_path: Path) -> None:
    from telegarde.security.detection.rules import BUILTIN_DIR

    text = (BUILTIN_DIR / "brute_force_account.yaml").read_text()
    (tmp_path / "tuned.yaml").write_text(text.replace("gte: 10", "gte: 3"))
    (tmp_path / "off.yaml").write_text(
        (BUILTIN_DIR / "shield_ban.yaml").read_text() + "enabled: false\n"
    )
    rules = load_rules(tmp_path).by_id()
    assert rules["brute_force_account"].correlation.gte == 3  # type: ignore[union-attr]
    assert "shield_ban" not in rules
