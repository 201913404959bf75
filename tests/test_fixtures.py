"""nanlint over ``fixtures/`` reports exactly what the inline ``# expect:`` markers say.

Markers of rules that are not implemented yet are listed in PENDING, in this one
place: they are checked to be exactly the unimplemented codes, so a rule that
lands without its fixtures being checked, or a pending code that was silently
dropped, fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nanlint.config import Config
from nanlint.notebook import cell_sources
from nanlint.rules import all_rules
from nanlint.runner import check

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
MARKER = re.compile(r"#\s*expect:\s*(?P<codes>NAN\d{3}(?:\s*,\s*NAN\d{3})*)")

# Codes that fixtures expect but no rule implements yet.
PENDING: set[str] = set()

IMPLEMENTED = {rule.code for rule in all_rules()} | {"NAN001"}


def expected(path: Path) -> set[tuple[int | None, int, str]]:
    """(cell, line, code) of each marker; in a notebook the markers are in the cells'
    source and lines count within the cell, in a .py file the cell is None."""
    text = path.read_text(encoding="utf-8")
    sources = cell_sources(text).items() if path.suffix == ".ipynb" else [(None, text)]
    marks = set()
    for cell, source in sources:
        for number, line in enumerate(source.splitlines(), start=1):
            match = MARKER.search(line)
            if match:
                marks.update((cell, number, code.strip()) for code in match.group("codes").split(","))
    return marks


def fixture_files() -> list[Path]:
    return sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".py", ".ipynb"))


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: p.name)
def test_fixture_findings_match_markers(path):
    want = {(cell, line, code) for cell, line, code in expected(path) if code in IMPLEMENTED}
    result = check(path.read_bytes(), str(path), Config())
    assert result.errors == []
    got = {(f.cell, f.line, f.code) for f in result.findings}
    assert sorted(got - want) == [], "reported but not marked"
    assert sorted(want - got) == [], "marked but not reported"


def test_pending_lists_exactly_the_unimplemented_marker_codes():
    marked = {code for path in fixture_files() for *_, code in expected(path)}
    assert marked - IMPLEMENTED == PENDING
    assert not (PENDING & IMPLEMENTED)


def test_every_framework_has_a_clean_fixture():
    clean = [p for p in fixture_files() if p.name.startswith("clean_")]
    assert {p.stem.removeprefix("clean_") for p in clean} >= {"torch", "tf", "keras", "jax", "numpy_scipy", "theano"}
    for path in clean:
        assert expected(path) == set(), path
