"""``--format sarif``: a SARIF 2.1.0 log that validates against the OASIS schema
(shipped next to this file, validated with ``jsonschema``), describes every rule, and
says what ``--format json`` says: the same findings, regions and fixes."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from test_cli import nanlint, write

from nanlint.codes import CODES
from nanlint.engine import check_source
from nanlint.rules import all_rules

SCHEMA = json.loads((Path(__file__).parent / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
Validator = jsonschema.validators.validator_for(SCHEMA)

BUG = "import torch\n\nx = torch.randn(2, 3)\ny = torch.log(torch.softmax(x, dim=1))\n"
NEEDS_IMPORT = "from torch import log, softmax\n\ny = log(softmax(x, dim=1))\n"
WARNINGS = ("import torch\nimport torch.nn as nn\nx = torch.relu(a)\nz = torch.log(x)\n"
            "lstm = nn.LSTM(3, 4)\nopt = torch.optim.Adam(lstm.parameters(), lr=0.5)\nloss.backward()\nopt.step()\n")
NOTEBOOK = json.dumps({
    "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
               "source": ["import torch\n", "y = torch.log(torch.softmax(x, dim=1))"]}],
    "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
}, indent=1) + "\n"


def validate(log: dict) -> None:
    Validator(SCHEMA, format_checker=Validator.FORMAT_CHECKER).validate(log)


@pytest.fixture
def project(tmp_path):
    write(tmp_path, "bug.py", BUG)
    write(tmp_path, "imports.py", NEEDS_IMPORT)
    write(tmp_path, "warnings.py", WARNINGS)
    write(tmp_path, "broken.py", "import torch\n\ndef f(:\n")
    write(tmp_path, "sub dir/nb.ipynb", NOTEBOOK)
    return tmp_path


def sarif(*args, cwd):
    result = nanlint("--format", "sarif", *args, cwd=cwd)
    return result, json.loads(result.stdout)


def test_the_log_validates_against_the_sarif_2_1_0_schema(project):
    result, log = sarif(cwd=project)
    assert result.returncode == 1
    validate(log)
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1 and len(log["runs"][0]["results"]) == 7


def test_the_validator_rejects_what_sarif_does_not_allow(project):
    """The schema check above can fail: a level SARIF does not know is rejected."""
    _, log = sarif(cwd=project)
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        validate(log)


def test_a_clean_run_is_a_valid_log_without_results(tmp_path):
    write(tmp_path, "clean.py", "x = 1\n")
    result, log = sarif(cwd=tmp_path)
    assert result.returncode == 0
    validate(log)
    assert log["runs"][0]["results"] == []


def test_the_driver_describes_every_rule(tmp_path):
    write(tmp_path, "clean.py", "x = 1\n")
    _, log = sarif(cwd=tmp_path)
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "nanlint" and driver["version"]
    rules = {rule["id"]: rule for rule in driver["rules"]}
    assert set(rules) == {rule.code for rule in all_rules()} | {"NAN001"}
    levels = {"error": "error", "warning": "warning", "info": "note"}
    for code, rule in rules.items():
        assert rule["name"] == CODES[code].name
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["helpUri"].startswith("https://")
        assert rule["help"]["markdown"]
        assert rule["defaultConfiguration"]["level"] == levels[CODES[code].severity]
    assert rules["NAN101"]["fullDescription"]["text"].startswith("Flags the logarithm of a softmax")
    assert "## Why is this bad?" in rules["NAN101"]["help"]["markdown"]


def test_results_match_the_json_report(project):
    """Every finding of ``--format json`` is a result with the same rule, level and region."""
    _, log = sarif(cwd=project)
    findings = json.loads(nanlint("--format", "json", cwd=project).stdout)
    run = log["runs"][0]
    levels = {"error": "error", "warning": "warning", "info": "note"}
    python_findings = [f for f in findings if "cell" not in f]
    python_results = [r for r in run["results"] if "cell" not in r.get("properties", {})]
    assert len(python_results) == len(python_findings) == 6
    for finding, result in zip(python_findings, python_results, strict=True):
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"] == finding["code"]
        assert result["level"] == levels[finding["severity"]]
        assert result["message"]["text"] == finding["message"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"] == {"uri": finding["path"], "uriBaseId": "%SRCROOT%"}
        assert location["region"] == {"startLine": finding["line"], "startColumn": finding["column"],
                                      "endLine": finding["end_line"], "endColumn": finding["end_column"]}
    assert {r["level"] for r in python_results} == {"error", "warning", "note"}
    assert run["columnKind"] == "unicodeCodePoints"


def test_a_notebook_result_points_at_the_line_of_the_ipynb_file(project):
    _, log = sarif(cwd=project)
    (result,) = [r for r in log["runs"][0]["results"] if "cell" in r.get("properties", {})]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "sub%20dir/nb.ipynb"
    line = NOTEBOOK.splitlines()[location["region"]["startLine"] - 1]
    assert line.strip() == '"y = torch.log(torch.softmax(x, dim=1))"'
    assert result["message"]["text"].startswith("cell 1:2:5: ")
    assert result["properties"] == {"cell": 1, "line": 2, "column": 5}


def apply(text: str, replacements: list[dict]) -> str:
    """Apply SARIF replacements (1-based lines and code-point columns) to ``text``."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(line: int, column: int) -> int:
        return starts[line - 1] + column - 1

    for change in sorted(replacements, key=lambda r: (r["deletedRegion"]["startLine"],
                                                       r["deletedRegion"]["startColumn"]), reverse=True):
        region = change["deletedRegion"]
        start = offset(region["startLine"], region["startColumn"])
        end = offset(region["endLine"], region["endColumn"])
        text = text[:start] + change["insertedContent"]["text"] + text[end:]
    return text


@pytest.mark.parametrize(("name", "source"), [("bug.py", BUG), ("imports.py", NEEDS_IMPORT)])
def test_a_fix_applied_from_sarif_gives_what_fix_writes(project, name, source):
    _, log = sarif(name, cwd=project)
    (result,) = log["runs"][0]["results"]
    (fix,) = result["fixes"]
    assert "safe fix" in fix["description"]["text"]
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"]["uri"] == name
    assert apply(source, change["replacements"]) == check_source(source, name, fix="safe").fixed_source


def test_findings_without_a_fix_and_notebook_findings_have_no_sarif_fix(project):
    _, log = sarif(cwd=project)
    without = [r for r in log["runs"][0]["results"] if "fixes" not in r]
    assert {r["ruleId"] for r in without} >= {"NAN001", "NAN301", "NAN303"}
    assert any("cell" in r.get("properties", {}) for r in without)
