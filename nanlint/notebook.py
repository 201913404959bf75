"""Jupyter notebooks (``.ipynb``): the code cells linted as one module.

Jupyter runs a notebook's cells in one namespace, so nanlint joins the code cells (an
import in cell 1 resolves names in cell 5) and runs the same ``engine.check_source`` as
for a ``.py`` file. Findings are mapped back to the cell and the line within it; fixes
are written back into their cells, and every other byte of the file stays as it was
(outputs, metadata, indentation, key order, escaping, the final line end). A file whose
layout ``json.dumps`` cannot reproduce is not rewritten: the fix is reported as not applied.

- "cell N" is the N-th code cell, counted from 1 (the numbering of a "Run all").
- IPython syntax is masked line by line, so every line keeps its number: line magics
  (``%time``), shell escapes (``!ls``, ``files = !ls``), help (``obj?``). A cell run by
  a cell magic that is not Python (``%%bash``, ``%%html``...) is not checked.
- A cell that does not compile on its own is a NAN001 finding in that cell; the other
  cells are still checked (Jupyter runs each cell on its own too).
- A file whose JSON is broken is a NAN001 finding at the JSON error.
"""

from __future__ import annotations

import ast
import itertools
import json
import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from json.decoder import scanstring

from nanlint import engine
from nanlint.codes import SYNTAX_ERROR
from nanlint.config import Config
from nanlint.finding import Edit, FileResult, Finding
from nanlint.source import SourceError, decode

SUFFIX = ".ipynb"

# Cells joined into one module are separated by this comment line: it finds the cells
# again in the fixed text, however many lines a fix added or removed.
BOUNDARY = "# nanlint: notebook cell boundary"

# Cell magics whose body is Python that runs in the notebook's namespace.
PYTHON_CELL_MAGICS = frozenset({"capture", "debug", "prun", "time", "timeit"})

_LINE_ESCAPE = re.compile(r"(?P<keep>[ \t]*(?:(?:[\w.]+[ \t]*,[ \t]*)*[\w.]+[ \t]*=[ \t]*)?)[%!].*")
_HELP = re.compile(r"(?P<keep>[ \t]*)(?:\?{1,2}[\w.]+|[\w.]+\?{1,2})[ \t]*")
_CELL_MAGIC = re.compile(r"[ \t]*%%(?P<name>\w+)")
# Holds every line _LINE_ESCAPE or _HELP can match: a cell without one needs no lexing.
_MAY_ESCAPE = re.compile(r"^[ \t]*[%!?]|[\w.]\?\??[ \t]*$|=[ \t]*[%!]", re.M)
_LEXEME = re.compile(r"'''|\"\"\"|'|\"|[#()\[\]{}]|\\$")
_CLOSING = {q: re.compile(r"(?:\\.|[^\\])*?" + re.escape(q), re.S) for q in ("'''", '"""', "'", '"')}
_EOL = re.compile(r"\r\n|\r|\n")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def lines_of(text: str) -> list[str]:
    """The lines of ``text`` with their ends, split where Python splits them (only at
    ``\\n``, ``\\r\\n`` and ``\\r``, unlike ``str.splitlines``)."""
    return _LINE.findall(text)


class NotebookError(Exception):
    """The file is not a notebook nanlint can read: one line, and where in the file."""

    def __init__(self, message: str, line: int = 1, column: int = 1):
        super().__init__(message)
        self.line, self.column = line, column


@dataclass
class Cell:
    number: int  # 1-based among the code cells
    index: int  # position in the notebook's "cells" list
    source: str
    code: str | None = None  # what the linter reads (IPython syntax masked); None: not checked
    masked: dict[str, str] = field(default_factory=dict)  # masked line -> original line


@dataclass
class Notebook:
    data: dict
    cells: list[Cell]  # the code cells
    python: bool  # False for another kernel's language (R, Julia...): nothing to check

    @property
    def checked(self) -> list[Cell]:
        return [cell for cell in self.cells if cell.code is not None]


def is_notebook(path: str) -> bool:
    return path.endswith(SUFFIX)


def read(text: str) -> Notebook:
    """Parse a notebook's JSON (nbformat 4). Raises ``NotebookError``."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(f"cannot parse notebook: invalid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    except RecursionError:
        raise NotebookError("cannot parse notebook: JSON nested too deeply") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        version = data.get("nbformat") if isinstance(data, dict) else None
        found = f"nbformat {version}" if version is not None else "no list of cells"
        raise NotebookError(f"not a Jupyter notebook in nbformat 4 ({found})")
    cells = []
    for index, cell in enumerate(data["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise NotebookError(f"cell {len(cells) + 1}: `source` is not text")
        cells.append(Cell(len(cells) + 1, index, source))
    return Notebook(data, cells, _is_python(data.get("metadata")))


def _is_python(metadata: object) -> bool:
    if not isinstance(metadata, dict):
        return True
    for key, name in (("language_info", "name"), ("kernelspec", "language")):
        value = metadata.get(key)
        if isinstance(value, dict) and isinstance(value.get(name), str):
            return value[name].lower() == "python"
    return True


# -- masking IPython syntax -------------------------------------------------------------


@dataclass
class _Lexer:
    """Just enough of Python's lexer to tell whether a line starts a statement: open
    brackets, an open triple-quoted string, a backslash continuation."""

    depth: int = 0
    string: str | None = None
    continued: bool = False

    @property
    def at_statement_start(self) -> bool:
        return self.depth == 0 and self.string is None and not self.continued

    def feed(self, line: str) -> None:
        self.continued = False
        i = 0
        while i < len(line):
            if self.string is not None:
                closing = _CLOSING[self.string].match(line, i)
                if closing is None:
                    return
                self.string, i = None, closing.end()
                continue
            lexeme = _LEXEME.search(line, i)
            if lexeme is None:
                return
            token, i = lexeme.group(), lexeme.end()
            if token == "#":
                return
            if token == "\\":
                self.continued = True
            elif token in "([{":
                self.depth += 1
            elif token in ")]}":
                self.depth = max(0, self.depth - 1)
            else:  # a quote
                self.string = token
                if len(token) == 1 and _CLOSING[token].match(line, i) is None:
                    self.string = None  # an unterminated one-line string ends with the line
                    return


def mask(cell: Cell, counter: Iterator[int]) -> None:
    """Set ``cell.code``: the cell with IPython syntax replaced by placeholder names, line
    for line (None for a cell magic that is not Python)."""
    lines = lines_of(cell.source)
    first = _CELL_MAGIC.match(lines[0]) if lines else None
    if first is not None and first.group("name") not in PYTHON_CELL_MAGICS:
        return
    if not _MAY_ESCAPE.search(cell.source):
        cell.code = cell.source
        return
    lexer, out, escape_indent = _Lexer(), [], None
    for number, line in enumerate(lines):
        body = _EOL.sub("", line)
        eol = line[len(body):]
        if escape_indent is not None:  # continues an escape that ended with a backslash
            keep = escape_indent
        elif number == 0 and first is not None:
            keep = ""
        elif lexer.at_statement_start and (match := _LINE_ESCAPE.fullmatch(body) or _HELP.fullmatch(body)):
            keep = match.group("keep")
        else:
            lexer.feed(body)
            out.append(line)
            continue
        masked = f"{keep}__nanlint_ipython_{next(counter)}__"
        cell.masked[masked] = body
        out.append(masked + eol)
        if body.endswith("\\"):
            escape_indent = escape_indent if escape_indent is not None else re.match(r"[ \t]*", body).group()
        else:
            escape_indent = None
    cell.code = "".join(out)


def _restore(cell: Cell, code: str) -> str | None:
    """The cell's new source: ``code`` with the IPython lines put back; None if a masked
    line did not come through unchanged."""
    out, restored = [], 0
    for line in lines_of(code):
        body = _EOL.sub("", line)
        if body in cell.masked:
            line = cell.masked[body] + line[len(body):]
            restored += 1
        out.append(line)
    return "".join(out) if restored == len(cell.masked) else None


def _syntax_error(code: str) -> tuple[int, int, str] | None:
    """Where a cell fails to compile on its own (top-level ``await`` is allowed, as in IPython)."""
    try:
        compile(code, "<cell>", "exec", dont_inherit=True,
                flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    except SyntaxError as exc:
        return exc.lineno or 1, exc.offset or 1, exc.msg
    except (ValueError, RecursionError, MemoryError) as exc:
        return 1, 1, str(exc) or type(exc).__name__
    return None


# -- joining cells and mapping positions back --------------------------------------------


def join(cells: list[Cell]) -> str:
    parts = []
    for i, cell in enumerate(cells):
        if i:
            parts.append(BOUNDARY + "\n")
        code = cell.code
        parts.append(code + "\n" if code and not code.endswith(("\n", "\r")) else code)
    return "".join(parts)


def split(text: str, count: int) -> list[str] | None:
    """The cells' code in a joined text; None unless it holds exactly ``count`` cells."""
    segments: list[list[str]] = [[]]
    for line in lines_of(text):
        if _EOL.sub("", line) == BOUNDARY:
            segments.append([])
        else:
            segments[-1].append(line)
    return ["".join(lines) for lines in segments] if len(segments) == count else None


class _Positions:
    """Maps a line of the joined text to (cell, line within the cell)."""

    def __init__(self, segments: list[str], cells: list[Cell]):
        self.cells = cells
        self.starts, line = [], 1
        for segment in segments:
            self.starts.append(line)
            line += len(lines_of(segment)) + 1  # the boundary line

    def cell_at(self, line: int) -> int:
        # A boundary line belongs to the cell above it: an edit there appends to that cell.
        return max(bisect_right(self.starts, line) - 1, 0)

    def finding(self, finding: Finding) -> Finding:
        at = self.cell_at(finding.line)
        fix = finding.fix
        if fix is not None:
            fix = replace(fix, edits=tuple(self.edit(edit) for edit in fix.edits))
        offset = self.starts[at] - 1
        return replace(finding, line=finding.line - offset, end_line=finding.end_line - offset,
                       cell=self.cells[at].number, fix=fix)

    def edit(self, edit: Edit) -> Edit:
        at = self.cell_at(edit.line)
        offset = self.starts[at] - 1
        return replace(edit, line=edit.line - offset, end_line=edit.end_line - offset, cell=self.cells[at].number)


# -- checking a notebook -------------------------------------------------------------------


def check_notebook(source: str | bytes, path: str, config: Config | None = None,
                   fix: str | None = None) -> FileResult:
    """``engine.check_source`` for a notebook: findings carry their cell, and
    ``fixed_source`` is the whole notebook file with the fixed cells."""
    config = config or Config()
    result = FileResult(path=path)
    try:
        text = decode(source).text if isinstance(source, bytes) else source
        notebook = read(text)
    except (SourceError, NotebookError) as exc:
        where = (exc.line, exc.column) if isinstance(exc, NotebookError) else (1, 1)
        result.findings = _syntax_findings(path, config, [(None, *where, str(exc))])
        return result
    if not notebook.python:
        return result
    counter = itertools.count()
    for cell in notebook.cells:
        mask(cell, counter)
    cells = notebook.checked
    joined = join(cells)
    inner = engine.check_source(joined, path, config, fix)
    broken = _broken_cells(cells) if _may_not_parse(inner, path, config) else []
    if broken:  # check the other cells without them
        cells = notebook.checked
        joined = join(cells)
        inner = engine.check_source(joined, path, config, fix)
    segments = [cell.code for cell in cells]
    if inner.fixed_source is not None:
        fixed = _write_back(text, notebook, inner.fixed_source)
        if fixed is None:
            inner = engine.check_source(joined, path, config)
            inner.errors.append(f"{path}: cannot write the fix back into the notebook's cells; file left unchanged")
        else:
            segments = split(inner.fixed_source, len(cells))
            result.fixed_source, result.fixed_count = fixed, inner.fixed_count
    result.errors = inner.errors
    positions = _Positions(segments, cells)
    result.findings = sorted(
        [positions.finding(f) for f in inner.findings] + _syntax_findings(path, config, broken),
        key=lambda f: f.sort_key,
    )
    return result


def _may_not_parse(result: FileResult, path: str, config: Config) -> bool:
    """Whether the joined cells may have failed to parse: the engine said so with a
    NAN001, or could not say because NAN001 is not enabled."""
    return (not config.enabled(SYNTAX_ERROR.code, path)
            or any(finding.code == SYNTAX_ERROR.code for finding in result.findings))


def _broken_cells(cells: list[Cell]) -> list[tuple[int, int, int, str]]:
    """(cell, line, column, message) of each cell that does not compile on its own; such
    a cell is no longer checked (``code`` None)."""
    broken = []
    for cell in cells:
        error = _syntax_error(cell.code)
        if error is not None:
            line, column, message = error
            broken.append((cell.number, line, column, f"cannot parse: {message}"))
            cell.code = None
    return broken


def _syntax_findings(path: str, config: Config, errors: list[tuple[int | None, int, int, str]]) -> list[Finding]:
    if not config.enabled(SYNTAX_ERROR.code, path):
        return []
    return [Finding(path, line, column, line, column + 1, SYNTAX_ERROR.code, SYNTAX_ERROR.name,
                    SYNTAX_ERROR.severity, message, cell=cell) for cell, line, column, message in errors]


def _write_back(text: str, notebook: Notebook, fixed_code: str) -> str | None:
    """The notebook file with the fixed cells, formatted as it was; None when the fixed
    text cannot be split into the cells again or the file's JSON layout is not one that
    ``json.dumps`` writes (then nothing is written rather than reformatting the file)."""
    cells = notebook.checked
    segments = split(fixed_code, len(cells))
    dump = _dumper(text, notebook.data)
    if segments is None or dump is None:
        return None
    sources = notebook.data["cells"]
    for cell, segment in zip(cells, segments, strict=True):
        restored = _restore(cell, segment)
        if restored is None:
            return None
        if not cell.source.endswith(("\n", "\r")) and restored.endswith("\n"):
            restored = restored[:-1]  # the line end join() added
        if restored != cell.source:
            old = sources[cell.index]["source"]
            sources[cell.index]["source"] = restored if isinstance(old, str) else lines_of(restored)
    return dump(notebook.data)


def _dumper(text: str, data: dict) -> Callable[[dict], str] | None:
    """The ``json.dumps`` settings (indent, separators, ``ensure_ascii``, line ends, the
    text after the closing brace) that reproduce ``text`` exactly from ``data``."""
    indented = re.match(r"\{(\r?\n)([ \t]*)\S", text)
    tail = text[len(text.rstrip()):]
    candidates = []
    for ensure_ascii in (False, True):
        if indented:
            newline, indent = indented.groups()
            candidates.append((indent, (",", ": "), ensure_ascii, newline))
        else:
            candidates += [(None, separators, ensure_ascii, "\n") for separators in ((", ", ": "), (",", ":"))]

    for indent, separators, ensure_ascii, newline in candidates:
        def dump(value: dict, indent=indent, separators=separators, ensure_ascii=ensure_ascii,
                 newline=newline) -> str:
            out = json.dumps(value, indent=indent, separators=separators, ensure_ascii=ensure_ascii)
            return out.replace("\n", newline) + tail  # JSON strings hold no raw line ends
        if dump(data) == text:
            return dump
    return None


# -- where a cell's line is in the file (SARIF and GitHub annotations need file lines) ----


def file_lines(text: str) -> dict[int, list[int]]:
    """For each code cell number, the 1-based line of the file where each of its source
    lines is written (nbformat writes one JSON string per source line). Empty for a file
    that is not a readable notebook."""
    newlines = [i for i, ch in enumerate(text) if ch == "\n"]

    def line_of(offset: int) -> int:
        return bisect_right(newlines, offset - 1) + 1

    try:
        found: dict[int, list[int]] = {}
        start = _skip(text, 0)
        cells = next((s for key, s, _ in _members(text, start) if key == "cells"), None)
        if cells is None or text[cells] != "[":
            return {}
        for cell_start, _ in _items(text, cells):
            if text[cell_start] != "{":
                continue
            members = {key: (s, e) for key, s, e in _members(text, cell_start)}
            kind = members.get("cell_type")
            if kind is None or json.loads(text[slice(*kind)]) != "code":
                continue
            source = members.get("source", (0, 0))
            strings = list(_items(text, source[0])) if text[source[0]] == "[" else [source] if source[1] else []
            found[len(found) + 1] = [
                line_of(start) for start, end in strings for _ in lines_of(json.loads(text[start:end])) or [""]
            ]
        return found
    except (ValueError, IndexError, StopIteration):
        return {}


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def _value_end(text: str, i: int) -> int:
    return json.JSONDecoder().raw_decode(text, i)[1]


def _members(text: str, i: int) -> Iterator[tuple[str, int, int]]:
    """(key, value start, value end) of the JSON object at ``i``."""
    if text[i] != "{":
        raise ValueError("not an object")
    i = _skip(text, i + 1)
    while text[i] != "}":
        key, i = scanstring(text, i + 1)
        i = _skip(text, _skip(text, i) + 1)  # past the colon
        end = _value_end(text, i)
        yield key, i, end
        i = _skip(text, end)
        i = _skip(text, i + 1) if text[i] == "," else i


def _items(text: str, i: int) -> Iterator[tuple[int, int]]:
    """(start, end) of each value of the JSON array at ``i``."""
    i = _skip(text, i + 1)
    while text[i] != "]":
        end = _value_end(text, i)
        yield i, end
        i = _skip(text, end)
        i = _skip(text, i + 1) if text[i] == "," else i


def cell_sources(text: str) -> dict[int, str]:
    """Each code cell's source by cell number (for showing a finding's line); empty when
    the text is not a readable notebook."""
    try:
        return {cell.number: cell.source for cell in read(text).cells}
    except NotebookError:
        return {}


def file_line(lines: dict[int, list[int]], cell: int, line: int) -> int | None:
    """The file line of ``line`` in ``cell``, from ``file_lines``; None if unknown."""
    cell_lines = lines.get(cell, [])
    return cell_lines[line - 1] if 1 <= line <= len(cell_lines) else None
