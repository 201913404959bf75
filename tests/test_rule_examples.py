"""Every rule's own examples, run automatically: VALID must not report, each
Invalid must report exactly ``count`` times, and its fix must give ``fixed``
exactly, parse, and no longer report."""

from __future__ import annotations

import ast

import pytest

from nanlint.codes import CODES
from nanlint.engine import check_source
from nanlint.rules import all_rules

SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety")

VALID = [pytest.param(rule, source, id=f"{rule.code}-valid-{i}")
         for rule in all_rules() for i, source in enumerate(rule.VALID)]
INVALID = [pytest.param(rule, example, id=f"{rule.code}-invalid-{i}")
           for rule in all_rules() for i, example in enumerate(rule.INVALID)]


def _codes(source: str, code: str) -> list:
    return [f for f in check_source(source, "example.py").findings if f.code == code]


@pytest.mark.parametrize(("rule", "source"), VALID)
def test_valid_examples_do_not_report(rule, source):
    assert _codes(source, rule.code) == []


@pytest.mark.parametrize(("rule", "example"), INVALID)
def test_invalid_examples_report_and_fix(rule, example):
    found = _codes(example.code, rule.code)
    assert len(found) == example.count, [f.message for f in found]
    result = check_source(example.code, "example.py", fix="unsafe")
    assert result.errors == []
    if example.fixed is None:
        assert all(f.fix is None for f in found)
        assert result.fixed_source is None
        return
    assert result.fixed_source == example.fixed
    ast.parse(result.fixed_source)
    assert _codes(result.fixed_source, rule.code) == []


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_rule_matches_code_table_and_documents_itself(rule):
    row = CODES[rule.code]
    assert (rule.name, rule.severity, rule.fix) == (row.name, row.severity, row.fix)
    doc = rule.documentation()
    positions = [doc.find(section) for section in SECTIONS]
    assert -1 not in positions and positions == sorted(positions), doc[:200]


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_rule_has_enough_examples(rule):
    assert len(rule.VALID) >= 12
    assert len(rule.INVALID) >= 8
    fixes = [example for example in rule.INVALID if example.fixed is not None]
    assert (rule.fix == "none") == (not fixes)
