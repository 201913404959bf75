"""Linting one file: a pure function of (source, path, config) -> findings.

The CLI, the flake8 plugin, notebooks, parallel runs and the cache all call
``check_source``. One parse per pass, one walk (``Index``), every enabled rule
over it; positions only when something is reported.
"""

from __future__ import annotations

import ast
import os
import sys
import traceback
from collections import Counter
from dataclasses import dataclass

import libcst as cst

from nanlint.analysis.inference import reads_other_files
from nanlint.codes import CODES, SYNTAX_ERROR
from nanlint.config import Config
from nanlint.context import Context, Report
from nanlint.finding import SAFE, UNSAFE, Edit, FileResult, Finding, Fix
from nanlint.fixes import FixSpec, apply, import_position, with_parens_of
from nanlint.nesting import TOO_DEEP, measure
from nanlint.prefilter import may_trigger
from nanlint.rules import Rule, all_rules
from nanlint.source import SourceError, decode
from nanlint.suppression import is_suppressed, skips_file

MAX_FIX_ROUNDS = 10
_PACKAGE = os.path.dirname(os.path.abspath(__file__))

# "One finding per cause": a finding of a key code speaks for lower-ranked
# findings on the same node (or on the nodes it says it covers).
OUTRANKS: dict[str, frozenset[str]] = {
    "NAN104": frozenset({"NAN101", "NAN102", "NAN103"}),
    "NAN101": frozenset({"NAN103"}),
    "NAN102": frozenset({"NAN103"}),
    "NAN105": frozenset({"NAN201", "NAN103"}),
    "NAN204": frozenset({"NAN103", "NAN201", "NAN202"}),
    "NAN402": frozenset({"NAN401"}),
    "NAN302": frozenset({"NAN103", "NAN201", "NAN202", "NAN305"}),
    "NAN305": frozenset({"NAN103", "NAN104"}),
}


@dataclass
class _Pass:
    """One analysis of one text."""

    ctx: Context | None
    reports: list[Report]
    findings: list[Finding]
    errors: list[str]


def enabled_rules(config: Config, path: str) -> list[type[Rule]]:
    return [rule for rule in all_rules() if config.enabled(rule.code, path)]


def check_source(source: str | bytes, path: str = "<stdin>", config: Config | None = None,
                 fix: str | None = None) -> FileResult:
    """Lint one file's source. ``fix`` is None, "safe" or "unsafe"; with a fix level,
    ``FileResult.fixed_source`` holds the fixed text when it differs, and ``findings``
    are those that remain after fixing. Never raises for bad input: unreadable or
    unparsable source gives a NAN001 finding; internal errors go to ``errors``."""
    config = config or Config()
    result = FileResult(path=path)
    if isinstance(source, bytes):
        try:
            decoded = decode(source)
        except SourceError as exc:
            result.findings = _syntax_error(path, exc.line, exc.column, str(exc), config)
            return result
        text = decoded.text
    else:
        text = source
    if skips_file(text) or (config.prefilter and not may_trigger(text)):
        return result  # no rule can report: not even parsed (see ``nanlint.prefilter``)
    if len(source) > config.max_file_kb * 1024:  # libcst needs about 1 KB of memory per byte
        result.findings = _syntax_error(path, 1, 1, f"file too large to analyse ({len(source) // 1024} KB; "
                                        f"`max-file-kb` is {config.max_file_kb})", config)
        return result
    first = _analyze(text, path, config)
    result.findings, result.errors = first.findings, first.errors
    result.reads_other_files = first.ctx is not None and reads_other_files(first.ctx)
    if fix is None or first.ctx is None:
        return result
    return _fix(text, path, config, fix, first, result)


def lint_source(source: str | bytes, path: str = "<stdin>", config: Config | None = None) -> list[Finding]:
    return check_source(source, path, config).findings


def _syntax_error(path: str, line: int, column: int, message: str, config: Config) -> list[Finding]:
    if not config.enabled(SYNTAX_ERROR.code, path):
        return []
    return [Finding(path, line, column, line, column + 1, SYNTAX_ERROR.code, SYNTAX_ERROR.name,
                    SYNTAX_ERROR.severity, message)]


def _parse(text: str, path: str, config: Config) -> tuple[cst.Module | None, list[Finding]]:
    """libcst's tree, unless the text nests too deeply for it (see ``nanlint.nesting``).
    A syntax error is reported as CPython words it: its positions are the ones users
    know. libcst also parses syntax newer than the running Python, so that is tried."""
    nesting = measure(text)
    python_error = nesting.syntax_error
    if nesting.too_deep is not None and python_error is None:
        return None, _syntax_error(path, *nesting.too_deep, config)
    if nesting.too_deep is not None:
        line, column, message = python_error
        return None, _syntax_error(path, line, column, f"cannot parse: {message}", config)
    try:
        return cst.parse_module(text), []
    except cst.ParserSyntaxError as exc:
        line, column, message = python_error or (exc.raw_line, exc.raw_column + 1, exc.message)
    except cst.CSTValidationError as exc:  # tokens libcst accepts but its nodes refuse
        line, column, message = python_error or (1, 1, str(exc))
    return None, _syntax_error(path, line, column, f"cannot parse: {message}", config)


def _analyze(text: str, path: str, config: Config) -> _Pass:
    module, findings = _parse(text, path, config)
    if module is None:
        return _Pass(None, [], findings, [])
    rules = enabled_rules(config, path)
    if not rules:
        return _Pass(None, [], [], [])
    errors: list[str] = []
    try:
        ctx = Context(module, path, config)
    except RecursionError:  # ``measure`` keeps such texts out; a safety net all the same
        return _Pass(None, [], _syntax_error(path, 1, 1, TOO_DEEP, config), [])
    for rule in rules:
        ctx.current_code = rule.code
        mark = len(ctx.reports)
        try:
            rule(ctx).check()
        except Exception as exc:  # one broken rule must not stop the others
            del ctx.reports[mark:]
            errors.append(_internal_error(path, rule, exc))
    try:
        reports, findings = _to_findings(ctx, _one_per_cause(ctx.reports), text, path)
    except RecursionError:  # positions are computed by libcst's recursive visitors
        return _Pass(None, [], _syntax_error(path, 1, 1, TOO_DEEP, config), errors)
    return _Pass(ctx, reports, findings, errors)


def _internal_error(path: str, rule: type[Rule], exc: BaseException) -> str:
    """One line for the user, pointing at nanlint's own code; the whole trace with
    ``NANLINT_SHOW_TRACEBACK=1`` (which ``--show-traceback`` sets)."""
    rule_file = getattr(sys.modules.get(rule.__module__), "__file__", None)
    ours = [frame for frame in traceback.extract_tb(exc.__traceback__)
            if frame.filename == rule_file or os.path.abspath(frame.filename).startswith(_PACKAGE + os.sep)]
    at = f" at {_shown_path(ours[-1].filename)}:{ours[-1].lineno}" if ours else ""
    message = str(exc).strip().split("\n", 1)[0][:200]
    line = f"{path}: internal error in rule {rule.code} ({rule.name}): {type(exc).__name__}: {message}{at}"
    if os.environ.get("NANLINT_SHOW_TRACEBACK"):
        return line + "\n" + "".join(traceback.format_exception(exc)).rstrip()
    return line + " (--show-traceback prints the trace for a bug report)"


def _shown_path(filename: str) -> str:
    """A file of nanlint as ``nanlint/rules/x.py``; any other by its name."""
    if os.path.abspath(filename).startswith(_PACKAGE + os.sep):
        return os.path.relpath(filename, os.path.dirname(_PACKAGE)).replace(os.sep, "/")
    return os.path.basename(filename)


def _one_per_cause(reports: list[Report]) -> list[Report]:
    # The codes outranked on each node (by id), in one pass: a generated file can hold
    # tens of thousands of reports, so no report is compared with every other.
    outranked: dict[int, set[str]] = {}
    for other in reports:
        codes = OUTRANKS.get(other.code)
        if codes:
            for node in (other.node, *other.covers):
                outranked.setdefault(id(node), set()).update(codes - {other.code})
    unique: dict[tuple, Report] = {}
    for report in reports:
        if report.code not in outranked.get(id(report.node), ()):
            unique.setdefault((report.code, id(report.node)), report)
    return list(unique.values())


def _to_findings(ctx: Context, reports: list[Report], text: str, path: str
                 ) -> tuple[list[Report], list[Finding]]:
    """Position the reports that no comment suppresses."""
    if not reports:
        return [], []
    lines = text.splitlines()
    kept, findings = [], []
    for report in reports:
        info = CODES[report.code]
        span = ctx.position(report.node)
        statement = ctx.position(ctx.index.statement_of(report.node))
        if is_suppressed(report.code, lines, {span.start.line, statement.start.line, statement.end.line}):
            continue
        kept.append(report)
        findings.append(Finding(
            path=path, line=span.start.line, column=span.start.column + 1,
            end_line=span.end.line, end_column=span.end.column + 1,
            code=report.code, name=info.name, severity=report.severity or info.severity, message=report.message,
            fix=_fix_json(ctx, report.fix),
        ))
    findings.sort(key=lambda f: f.sort_key)
    return kept, findings


def _fix_json(ctx: Context, spec: FixSpec | None) -> Fix | None:
    if spec is None:
        return None
    edits = []
    for old, new in spec.replacements:
        span = ctx.position(old)
        edits.append(Edit(span.start.line, span.start.column + 1, span.end.line, span.end.column + 1,
                          ctx.code_for(with_parens_of(old, new))))
    if spec.imports:
        line = _import_line(ctx)
        newline = ctx.module.default_newline
        content = "".join(imp.statement() + newline for imp in spec.imports)
        edits.append(Edit(line, 1, line, 1, content))
    return Fix(spec.applicability, spec.message, tuple(edits))


def _import_line(ctx: Context) -> int:
    """The 1-based line where added imports are inserted."""
    body = ctx.module.body
    at = import_position(ctx.module)
    if at < len(body):
        return ctx.position(body[at]).start.line - len(_leading_lines(body[at]))
    return len(ctx.module.code.splitlines()) + 1


def _leading_lines(statement: cst.CSTNode) -> tuple:
    return getattr(statement, "leading_lines", ())


def _applicable(report: Report, level: str) -> bool:
    if report.fix is None:
        return False
    return report.fix.applicability == SAFE or (level == UNSAFE and report.fix.applicability == UNSAFE)


def _fix(text: str, path: str, config: Config, level: str, first: _Pass, result: FileResult) -> FileResult:
    current, analysis, fixed = text, first, 0
    for _ in range(MAX_FIX_ROUNDS):
        chosen = _non_overlapping(analysis, [r for r in analysis.reports if _applicable(r, level)])
        if not chosen:
            break
        try:
            new_text = apply(analysis.ctx.module, [r.fix for r in chosen]).code
            compile(new_text, path, "exec", dont_inherit=True, flags=ast.PyCF_ONLY_AST)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            result.errors.append(f"{path}: fix produced code that does not parse ({exc}); file left unchanged")
            return result
        after = _analyze(new_text, path, config)
        if after.ctx is None:
            result.errors.append(f"{path}: fix produced code nanlint cannot parse; file left unchanged")
            return result
        result.reads_other_files |= reads_other_files(after.ctx)
        stuck = _stuck_codes(analysis, after, chosen, level)
        if stuck:
            result.errors.append(
                f"{path}: the fix for {', '.join(sorted(stuck))} did not remove the finding; file left unchanged")
            return result
        fixed += len(chosen)
        current, analysis = new_text, after
    else:
        result.errors.append(f"{path}: fixes did not settle after {MAX_FIX_ROUNDS} rounds; file left unchanged")
        return result
    if current != text:
        result.fixed_source = current
        result.fixed_count = fixed
        result.findings = analysis.findings
        result.errors = analysis.errors
    return result


def _non_overlapping(analysis: _Pass, reports: list[Report]) -> list[Report]:
    """The reports whose replaced nodes neither are, hold nor lie inside a node that an
    earlier chosen report replaces; in time linear in the reports (times the depth)."""
    index = analysis.ctx.index
    chosen: list[Report] = []
    taken: set[int] = set()  # ids of the replaced nodes
    around: set[int] = set()  # ids of their ancestors
    for report in reports:
        olds = [old for old, _ in report.fix.replacements]
        above = [[id(ancestor) for ancestor in index.ancestors(old)] for old in olds]
        if any(id(old) in taken or id(old) in around or not taken.isdisjoint(up)
               for old, up in zip(olds, above, strict=True)):
            continue
        chosen.append(report)
        taken.update(map(id, olds))
        around.update(ancestor for up in above for ancestor in up)
    return chosen


def _stuck_codes(before: _Pass, after: _Pass, chosen: list[Report], level: str) -> set[str]:
    """Codes whose fixable findings did not decrease although fixes for them ran."""
    def count(analysis: _Pass) -> Counter[str]:
        return Counter(r.code for r in analysis.reports if _applicable(r, level))
    was, now = count(before), count(after)
    return {r.code for r in chosen if now[r.code] >= was[r.code]}

