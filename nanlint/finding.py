"""What a lint run produces: findings, their fixes, and per-file results."""

from __future__ import annotations

from dataclasses import dataclass, field

SAFE = "safe"
UNSAFE = "unsafe"

ERROR = "error"
WARNING = "warning"
INFO = "info"


@dataclass(frozen=True)
class Edit:
    """Replace the text from (line, column) up to (end_line, end_column) by ``content``.

    Lines and columns are 1-based; the end is exclusive. An insertion has start == end.
    In a notebook, ``cell`` is the cell's 1-based number and lines count within the cell.
    """

    line: int
    column: int
    end_line: int
    end_column: int
    content: str
    cell: int | None = None

    def to_json(self) -> dict:
        return _with_cell({
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "content": self.content,
        }, self.cell)


@dataclass(frozen=True)
class Fix:
    applicability: str  # SAFE or UNSAFE
    message: str
    edits: tuple[Edit, ...]

    def to_json(self) -> dict:
        return {
            "applicability": self.applicability,
            "message": self.message,
            "edits": [edit.to_json() for edit in self.edits],
        }


@dataclass(frozen=True)
class Finding:
    """One problem at one place. Lines and columns are 1-based, the end exclusive.
    In a notebook, ``cell`` is the cell's 1-based number and lines count within the cell."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    code: str
    name: str
    severity: str
    message: str
    fix: Fix | None = None
    cell: int | None = None

    def to_json(self) -> dict:
        return _with_cell({
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "code": self.code,
            "name": self.name,
            "severity": self.severity,
            "message": self.message,
            "fix": None if self.fix is None else self.fix.to_json(),
        }, self.cell)

    @property
    def sort_key(self) -> tuple:
        return (self.path, self.cell or 0, self.line, self.column, self.code)


def _with_cell(data: dict, cell: int | None) -> dict:
    """Notebook positions add a ``cell`` key; a .py file's JSON keeps exactly its documented keys."""
    if cell is not None:
        data["cell"] = cell
    return data


@dataclass
class FileResult:
    """Everything a run learned about one file.

    ``errors`` are problems of nanlint itself or of reading the file (one line each);
    they make the run exit with 2. ``fixed_source`` is set when fixes changed the text.
    ``reads_other_files`` is set when the findings depend on other files too (NAN301
    inferred a value from another module of the project): a cache keyed on this file's
    text must not keep them.
    """

    path: str
    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    fixed_source: str | None = None
    fixed_count: int = 0
    reads_other_files: bool = False
