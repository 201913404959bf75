"""Suppression comments: ``# noqa``, ``# noqa: NAN101,NAN102``,
``# nanlint: ignore[NAN101]``, and ``# nanlint: skip-file``."""

from __future__ import annotations

import re

_NOQA = re.compile(r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)
_IGNORE = re.compile(r"#\s*nanlint:\s*ignore(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)
_SKIP_FILE = re.compile(r"#\s*nanlint:\s*skip-file\b", re.IGNORECASE)
_CODE = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)

ALL = None  # a suppression that covers every code


def line_suppressions(line: str) -> set[str] | bool | None:
    """The codes a line's comment suppresses: a set, ALL (None), or False for none."""
    if "#" not in line:
        return False
    found: set[str] = set()
    for pattern in (_NOQA, _IGNORE):
        for match in pattern.finditer(line):
            codes = match.group("codes")
            if codes is None or not codes.strip():
                return ALL
            found.update(code.upper() for code in _CODE.findall(codes))
    return found or False


def is_suppressed(code: str, lines: list[str], line_numbers: set[int]) -> bool:
    """Whether a comment on any of ``line_numbers`` (1-based) suppresses ``code``."""
    for number in line_numbers:
        if 1 <= number <= len(lines):
            codes = line_suppressions(lines[number - 1])
            if codes is ALL or (codes and code in codes):
                return True
    return False


def skips_file(text: str) -> bool:
    """``# nanlint: skip-file`` anywhere in the file's first comment block."""
    for line in text.splitlines()[:200]:
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            return False
        if _SKIP_FILE.search(stripped):
            return True
    return False
