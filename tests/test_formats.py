"""``--format github`` (GitHub Actions workflow commands) and ``--format concise`` (one
line per finding), through the real command line; the escaping of workflow commands
in-process, where any message can be staged."""

from __future__ import annotations

import json

import pytest
from test_cli import BUG, CLEAN, nanlint, write

from nanlint.finding import FileResult, Finding
from nanlint.report import FORMATS, ReportOptions, render_github

INFO_AND_WARNING = ("import torch\nimport torch.nn as nn\nlstm = nn.LSTM(3, 4)\n"
                    "opt = torch.optim.Adam(lstm.parameters(), lr=0.5)\nloss.backward()\nopt.step()\n")
NOTEBOOK = json.dumps({
    "cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# notes"]},
              {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
               "source": ["import torch\n", "y = torch.log(torch.softmax(x, dim=1))"]}],
    "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
}, indent=1) + "\n"


@pytest.fixture
def project(tmp_path):
    write(tmp_path, "bug.py", BUG)
    write(tmp_path, "lstm.py", INFO_AND_WARNING)
    return tmp_path


def test_github_writes_one_workflow_command_per_finding(project):
    result = nanlint("--format", "github", cwd=project)
    assert result.returncode == 1
    findings = json.loads(nanlint("--format", "json", cwd=project).stdout)
    lines = result.stdout.splitlines()
    assert len(lines) == len(findings) == 3
    levels = {"error": "error", "warning": "warning", "info": "notice"}
    for line, f in zip(lines, findings, strict=True):
        assert line == (f"::{levels[f['severity']]} file={f['path']},line={f['line']},col={f['column']},"
                        f"endLine={f['end_line']},endColumn={f['end_column']},title={f['code']}::{f['message']}")
    assert lines[0].startswith("::error file=bug.py,line=4,col=5,endLine=4,endColumn=39,title=NAN101::log(softmax")
    assert {line.split(" ", 1)[0] for line in lines} == {"::error", "::warning", "::notice"}


def test_github_annotates_a_notebook_on_the_line_of_the_file(tmp_path):
    write(tmp_path, "nb.ipynb", NOTEBOOK)
    result = nanlint("--format", "github", "nb.ipynb", cwd=tmp_path)
    (line,) = result.stdout.splitlines()
    head, message = line.split("::")[1:]
    file_line = NOTEBOOK.splitlines().index('    "y = torch.log(torch.softmax(x, dim=1))"') + 1
    assert head == f"error file=nb.ipynb,line={file_line},title=NAN101"
    assert message.startswith("nb.ipynb:cell 1:2:5: log(softmax(x))")


def test_github_escapes_workflow_command_syntax():
    finding = Finding("a,b:c%.py", 2, 3, 2, 9, "NAN201", "unguarded-division", "warning",
                      "100% of a\nsecond line: here, too")
    out = render_github([FileResult(path=finding.path, findings=[finding])], ReportOptions())
    assert out == ("::warning file=a%2Cb%3Ac%25.py,line=2,col=3,endLine=2,endColumn=9,title=NAN201"
                   "::100%25 of a%0Asecond line: here, too")


def test_concise_is_one_line_per_finding_then_the_summary(project):
    result = nanlint("--format", "concise", cwd=project)
    text = nanlint(cwd=project).stdout.splitlines()
    lines = result.stdout.splitlines()
    assert result.returncode == 1
    assert lines[:-1] == [line for line in text if line.startswith(("bug.py:", "lstm.py:"))]
    assert len(lines[:-1]) == 3
    assert lines[-1] == text[-1] == "Found 3 problems (1 fixable with --fix)"
    quiet = nanlint("--format", "concise", "-q", cwd=project).stdout.splitlines()
    assert quiet == lines[:-1]


def test_concise_names_the_cell_of_a_notebook_finding(tmp_path):
    write(tmp_path, "nb.ipynb", NOTEBOOK)
    result = nanlint("--format", "concise", "-q", "nb.ipynb", cwd=tmp_path)
    assert result.stdout.startswith("nb.ipynb:cell 1:2:5: NAN101 [*] log(softmax(x))")


@pytest.mark.parametrize("output_format", ["text", "concise", "github"])
def test_a_clean_run_prints_no_finding(tmp_path, output_format):
    write(tmp_path, "clean.py", CLEAN)
    result = nanlint("--format", output_format, cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == ("" if output_format == "github" else "All checks passed!")


@pytest.mark.parametrize("output_format", sorted(FORMATS))
def test_no_file_to_check_prints_nothing_but_data_formats_stay_valid(tmp_path, output_format):
    """pre-commit passes files the configuration excludes: exit 0 and no noise."""
    write(tmp_path, "legacy/old.py", BUG)
    write(tmp_path, "pyproject.toml", '[tool.nanlint]\nexclude = ["legacy/*"]\n')
    result = nanlint("--force-exclude", "--format", output_format, "legacy/old.py", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    if output_format == "json":
        assert json.loads(result.stdout) == []
    elif output_format == "sarif":
        assert json.loads(result.stdout)["runs"][0]["results"] == []
    else:
        assert result.stdout == ""
