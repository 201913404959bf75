"""SARIF 2.1.0 output: the format code-scanning services read (GitHub, GitLab, Azure DevOps).

One run: the tool's driver describes every rule (id, name, short and full description,
help text and URI, default level), and each finding is a result with its rule, level,
message, region and, for a ``.py`` file, its fix as artifact changes. Columns count
Unicode code points, as nanlint's do (``columnKind``). A finding in a notebook points at
the line of the ``.ipynb`` file that holds its cell's source line (where code scanning
shows it), and its message starts with the cell position (``cell 3:2:5``).
"""

from __future__ import annotations

import inspect
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePath
from urllib.parse import quote

import nanlint
from nanlint import notebook
from nanlint.codes import SYNTAX_ERROR
from nanlint.finding import ERROR, INFO, WARNING, Finding
from nanlint.rules import all_rules

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
HOMEPAGE = "https://github.com/nanlint/nanlint"
SOURCE_ROOT = "%SRCROOT%"
LEVELS = {ERROR: "error", WARNING: "warning", INFO: "note"}

_SYNTAX_ERROR_DOC = """\
## What it does
Reports a file that nanlint cannot read or parse: a syntax error, bytes that do not decode, a
notebook whose JSON is broken or a notebook cell that does not compile. The message is the
parser's, at the parser's position.

## Why is this bad?
Nothing else in the file (or the cell) can be checked until it parses; the other files still are.
"""


def help_uri(code: str) -> str:
    return f"{HOMEPAGE}/blob/main/README.md#{code.lower()}"


def _section(documentation: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", documentation, re.S | re.M)
    return " ".join(match.group(1).split()) if match else ""


def _rule(code: str, name: str, severity: str, documentation: str) -> dict:
    what = _section(documentation, "What it does") or name
    return {
        "id": code,
        "name": name,
        "shortDescription": {"text": name.replace("-", " ")},  # the alert's title: "log of softmax"
        "fullDescription": {"text": what},
        "help": {"text": documentation, "markdown": documentation},
        "helpUri": help_uri(code),
        "defaultConfiguration": {"level": LEVELS[severity]},
    }


def rules() -> list[dict]:
    """Every rule's descriptor: NAN001 and each implemented rule, sorted by code."""
    described = [_rule(SYNTAX_ERROR.code, SYNTAX_ERROR.name, SYNTAX_ERROR.severity,
                       inspect.cleandoc(_SYNTAX_ERROR_DOC))]
    described += [_rule(r.code, r.name, r.severity, r.documentation()) for r in all_rules()]
    return described


def _artifact(path: str) -> dict:
    pure = PurePath(path)
    if pure.is_absolute():
        return {"uri": Path(path).as_uri()}
    # The name's bytes, so that a name that is not UTF-8 is quoted instead of refused.
    return {"uri": quote(os.fsencode(pure.as_posix())), "uriBaseId": SOURCE_ROOT}


def _region(line: int, column: int, end_line: int, end_column: int) -> dict:
    return {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column}


def _fixes(finding: Finding) -> list[dict]:
    fix = finding.fix
    if fix is None or finding.cell is not None:  # cell edits have no region in the .ipynb file
        return []
    replacements = [
        {"deletedRegion": _region(e.line, e.column, e.end_line, e.end_column), "insertedContent": {"text": e.content}}
        for e in fix.edits
    ]
    return [{
        "description": {"text": f"{fix.message} ({fix.applicability} fix)"},
        "artifactChanges": [{"artifactLocation": _artifact(finding.path), "replacements": replacements}],
    }]


def _result(finding: Finding, rule_index: dict[str, int], file_lines: Mapping[int, list[int]]) -> dict:
    message = finding.message
    if finding.cell is None:
        region = _region(finding.line, finding.column, finding.end_line, finding.end_column)
    else:
        region = {"startLine": notebook.file_line(file_lines, finding.cell, finding.line) or 1}
        message = f"cell {finding.cell}:{finding.line}:{finding.column}: {message}"
    result = {
        "ruleId": finding.code,
        "ruleIndex": rule_index[finding.code],
        "level": LEVELS.get(finding.severity, "warning"),
        "message": {"text": message},
        "locations": [{"physicalLocation": {"artifactLocation": _artifact(finding.path), "region": region}}],
    }
    if finding.cell is not None:
        result["properties"] = {"cell": finding.cell, "line": finding.line, "column": finding.column}
    fixes = _fixes(finding)
    if fixes:
        result["fixes"] = fixes
    return result


def log(findings: Sequence[Finding], file_lines: Mapping[str, Mapping[int, list[int]]]) -> dict:
    """The SARIF log of ``findings``. ``file_lines`` maps a notebook's path to
    ``notebook.file_lines`` of its text (where each cell's lines are in the file)."""
    descriptors = rules()
    version = nanlint.__version__  # read when used: the package imports this module while it loads
    rule_index = {rule["id"]: i for i, rule in enumerate(descriptors)}
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "nanlint",
                "version": version,
                "semanticVersion": version,
                "informationUri": HOMEPAGE,
                "rules": descriptors,
            }},
            "originalUriBaseIds": {SOURCE_ROOT: {"uri": Path(os.getcwd()).as_uri() + "/"}},
            "columnKind": "unicodeCodePoints",
            "results": [_result(f, rule_index, file_lines.get(f.path, {})) for f in findings],
        }],
    }
