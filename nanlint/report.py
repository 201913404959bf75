"""Rendering results for people and for tools.

``FORMATS`` maps a ``--format`` name to a function ``(results, options) -> str``; a new
output format is one function and one row there.

A finding in a notebook has a ``cell``: its line counts within that cell, and the text
formats write its place as ``nb.ipynb:cell 3:2:5:``.
"""

from __future__ import annotations

import difflib
import json
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import click

from nanlint import notebook, sarif
from nanlint.finding import ERROR, INFO, SAFE, WARNING, FileResult, Finding
from nanlint.source import SourceError, decode


@dataclass(frozen=True)
class ReportOptions:
    color: bool = False  # ANSI colours: only for a terminal
    quiet: bool = False  # findings only, no summary
    unsafe_fixes: bool = False  # unsafe fixes count as applicable
    # Contents that are not (or no longer) on disk, by path: stdin, or the fixed text.
    sources: Mapping[str, bytes] = field(default_factory=dict)


Formatter = Callable[[Sequence[FileResult], ReportOptions], str]


def _findings(results: Sequence[FileResult]) -> list[Finding]:
    return sorted((f for result in results for f in result.findings), key=lambda f: f.sort_key)


def _plural(count: int, noun: str, nouns: str | None = None) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {nouns or noun + 's'}"


def is_fixable(finding: Finding, options: ReportOptions) -> bool:
    """Whether ``--fix`` (with ``--unsafe-fixes`` if given) would fix the finding."""
    return finding.fix is not None and (finding.fix.applicability == SAFE or options.unsafe_fixes)


def _read_text(path: str, options: ReportOptions) -> str | None:
    """The text the findings of ``path`` refer to; None if unreadable (the findings
    are then shown without their source line)."""
    try:
        data = options.sources.get(path)
        if data is None:
            with open(path, "rb") as handle:
                data = handle.read()
        return decode(data).text
    except (OSError, SourceError):
        return None


def _split_lines(text: str) -> list[str]:
    return re.split(r"\r\n|\r|\n", text)  # Python's line ends only


def _read_lines(path: str, options: ReportOptions) -> dict[int | None, list[str]]:
    """The lines findings of ``path`` point into, by cell (None: the file's own lines)."""
    text = _read_text(path, options)
    if text is None:
        return {}
    lines: dict[int | None, list[str]] = {None: _split_lines(text)}
    if notebook.is_notebook(path):
        lines.update((cell, _split_lines(source)) for cell, source in notebook.cell_sources(text).items())
    return lines


def _snippet(finding: Finding, lines: list[str], options: ReportOptions) -> list[str]:
    """The finding's first source line with carets under its span. The caret line
    copies the line's tabs, so that the carets align however tabs are displayed."""
    if not 1 <= finding.line <= len(lines):
        return []
    line = lines[finding.line - 1]
    start = min(finding.column - 1, len(line))
    end = finding.end_column - 1 if finding.end_line == finding.line else len(line)
    padding = "".join(ch if ch == "\t" else " " for ch in line[:start])
    carets = "^" * max(end - start, 1)
    return [f"    {line}", f"    {padding}{_style(carets, options, fg='red', bold=True)}"]


def _style(text: str, options: ReportOptions, **styles) -> str:
    return click.style(text, **styles) if options.color else text


def _location(finding: Finding) -> str:
    cell = "" if finding.cell is None else f"cell {finding.cell}:"
    return f"{finding.path}:{cell}{finding.line}:{finding.column}"


def _text_finding(finding: Finding, options: ReportOptions) -> str:
    where = _style(f"{_location(finding)}:", options, bold=True)
    code = _style(finding.code, options, fg="red", bold=True)
    marker = " " + _style("[*]", options, fg="cyan") if is_fixable(finding, options) else ""
    return f"{where} {code}{marker} {finding.message}"


def _summary(results: Sequence[FileResult], options: ReportOptions) -> list[str]:
    findings = _findings(results)
    fixed = sum(result.fixed_count for result in results)
    lines = [f"Fixed {_plural(fixed, 'problem')}"] if fixed else []
    if not findings:
        return lines or ["All checks passed!"]
    fixable = sum(is_fixable(f, options) for f in findings)
    hidden = sum(f.fix is not None for f in findings) - fixable
    notes = [f"{fixable} fixable with --fix"] if fixable else []
    if hidden:
        hidden_fixes = _plural(hidden, "hidden fix", "hidden fixes")
        notes.append(f"{hidden_fixes} can be enabled with the `--unsafe-fixes` option")
    found = f"Found {_plural(len(findings), 'problem')}"
    lines.append(f"{found} ({'; '.join(notes)})" if notes else found)
    return lines


def render_text(results: Sequence[FileResult], options: ReportOptions) -> str:
    """One block per finding (location, code, message, source line and carets), then a
    summary, in the layout of ruff and flake8 that editors and terminals link."""
    out: list[str] = []
    for result in results:
        lines = _read_lines(result.path, options) if result.findings else {}
        for finding in sorted(result.findings, key=lambda f: f.sort_key):
            out += [_text_finding(finding, options), *_snippet(finding, lines.get(finding.cell, []), options), ""]
    if not options.quiet and results:  # no file checked (all excluded): print nothing
        out += _summary(results, options)
    return "\n".join(out)


def render_concise(results: Sequence[FileResult], options: ReportOptions) -> str:
    """One line per finding (``path:line:col: CODE message``), then the summary."""
    out = [_text_finding(finding, options) for finding in _findings(results)]
    if not options.quiet and results:
        out += _summary(results, options)
    return "\n".join(out)


def render_json(results: Sequence[FileResult], options: ReportOptions) -> str:
    """A JSON array of findings (the ``Finding.to_json`` keys), for CI and editors."""
    return json.dumps([f.to_json() for f in _findings(results)], indent=2)


_GITHUB_LEVELS = {ERROR: "error", WARNING: "warning", INFO: "notice"}


def _github_escape(text: str, properties: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if properties else text


def render_github(results: Sequence[FileResult], options: ReportOptions) -> str:
    """GitHub Actions workflow commands: each finding becomes an annotation on its line
    of the pull request (``::error file=a.py,line=4,col=5,title=NAN101::message``)."""
    out = []
    for result in results:
        file_lines = _notebook_file_lines(result, options)
        for finding in sorted(result.findings, key=lambda f: f.sort_key):
            fields = {"file": finding.path}
            if finding.cell is None:
                fields.update(line=finding.line, col=finding.column, endLine=finding.end_line,
                              endColumn=finding.end_column)
                message = finding.message
            else:  # the annotation goes on the file's line; the message says where in the cell
                line = notebook.file_line(file_lines, finding.cell, finding.line)
                if line is not None:
                    fields["line"] = line
                message = f"{_location(finding)}: {finding.message}"
            fields["title"] = finding.code
            properties = ",".join(f"{key}={_github_escape(str(value), True)}" for key, value in fields.items())
            out.append(f"::{_GITHUB_LEVELS.get(finding.severity, 'warning')} {properties}::{_github_escape(message)}")
    return "\n".join(out)


def _notebook_file_lines(result: FileResult, options: ReportOptions) -> dict[int, list[int]]:
    if not (result.findings and notebook.is_notebook(result.path)):
        return {}
    text = _read_text(result.path, options)
    return {} if text is None else notebook.file_lines(text)


def render_sarif(results: Sequence[FileResult], options: ReportOptions) -> str:
    """A SARIF 2.1.0 log (GitHub code scanning, GitLab, Azure DevOps): every rule's
    description, each finding with its region and its fix."""
    lines = {result.path: _notebook_file_lines(result, options) for result in results}
    return json.dumps(sarif.log(_findings(results), lines), indent=2)


FORMATS: dict[str, Formatter] = {
    "text": render_text,
    "json": render_json,
    "concise": render_concise,
    "github": render_github,
    "sarif": render_sarif,
}


def render_statistics(results: Sequence[FileResult], options: ReportOptions, as_json: bool = False) -> str:
    """How often each code occurs, most frequent first: where to start in a large
    codebase, and which codes to ignore for now."""
    findings = _findings(results)
    counts = Counter(f.code for f in findings)
    names = {f.code: f.name for f in findings}
    fixable = Counter(f.code for f in findings if is_fixable(f, options))
    rows = [
        {"code": code, "name": names[code], "count": count, "fixable": fixable[code]}
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]
    if as_json:
        return json.dumps(rows, indent=2)
    width = len(str(rows[0]["count"])) if rows else 1
    return "\n".join(
        f"{row['count']:>{width}}\t{row['code']}\t{'[*] ' if row['fixable'] else ''}{row['name']}" for row in rows
    )


def render_diff(results: Sequence[FileResult], options: ReportOptions) -> str:
    """A unified diff of what ``--fix`` would change, for review before writing."""
    out = []
    for result in results:
        before = None if result.fixed_source is None else _read_text(result.path, options)
        if before is None:
            continue
        diff = difflib.unified_diff(
            before.splitlines(keepends=True), result.fixed_source.splitlines(keepends=True),
            fromfile=f"a/{result.path}", tofile=f"b/{result.path}",
        )
        out += (line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in diff)
    return "".join(out)


def diff_summary(results: Sequence[FileResult]) -> str:
    count = sum(result.fixed_count for result in results)
    return f"Would fix {_plural(count, 'problem')}" if count else "No fixes to apply"
