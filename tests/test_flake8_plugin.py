"""The flake8 plugin, through the real ``flake8`` (the installed entry point, as editors
run it): the same codes, lines and columns as ``nanlint --format json`` on the same
files, flake8's own selection and suppression on top, buffers from stdin, and nanlint's
rule options set through flake8."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import tomllib
from test_cli import BUG, REPO, nanlint, write

from nanlint.flake8_plugin import FLAKE8_OPTIONS

FIXTURES = sorted((REPO / "fixtures").glob("*.py"))
FLAKE8_LINE = re.compile(r"(?P<path>.+?):(?P<line>\d+):(?P<column>\d+): (?P<code>[A-Z]+\d+) (?P<message>.*)")

# Columns after a tab and after characters outside ASCII (flake8 and nanlint both count
# code points), a statement over several lines, and noqa comments on each of its lines.
TRICKY = (
    "import torch\n"
    "é = 'ü'; y = torch.log(torch.softmax(torch.randn(2, 3), dim=1))\n"
    "if True:\n"
    "\tz = torch.log(torch.sigmoid(torch.randn(2)))\n"
    "a = torch.log(\n"
    "    torch.softmax(x, dim=1)  # noqa: NAN101\n"
    ")\n"
    "b = torch.log(\n"
    "    torch.softmax(x, dim=1)\n"
    ")  # noqa: NAN101\n"
    "c = torch.log(  # noqa: NAN101\n"
    "    torch.softmax(x, dim=1)\n"
    ")\n"
    "for _ in torch.log(torch.softmax(x, dim=1)):\n"
    "    pass  # noqa: NAN101\n"
    "d = torch.log(torch.softmax(x, dim=1))  # noqa: NAN102\n"
)
LSTM = (REPO / "fixtures" / "torch_lstm_argparse.py").read_text(encoding="utf-8")


def flake8(*args, cwd, stdin=None, isolated=True):
    """Run flake8 as an editor does; only nanlint's codes, no configuration files unless
    ``isolated`` is False."""
    options = ["--isolated"] if isolated else []
    return subprocess.run(
        [sys.executable, "-m", "flake8", *options, "--select", "NAN", *map(str, args)], cwd=cwd, input=stdin,
        capture_output=True, text=True, timeout=300,
    )


def reported(output: str) -> list[tuple[str, int, int, str]]:
    rows = [FLAKE8_LINE.fullmatch(line) for line in output.splitlines()]
    assert all(rows), output
    return sorted((os.path.normpath(m["path"]), int(m["line"]), int(m["column"]), m["code"]) for m in rows)


def from_json(result) -> list[tuple[str, int, int, str]]:
    return sorted((os.path.normpath(f["path"]), f["line"], f["column"], f["code"]) for f in json.loads(result.stdout))


def test_flake8_loads_the_plugin_declared_in_pyproject(tmp_path):
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["entry-points"]["flake8.extension"]
    assert declared == {"NAN": "nanlint.flake8_plugin:NanlintChecker"}
    version = subprocess.run([sys.executable, "-m", "flake8", "--version"], cwd=tmp_path, capture_output=True,
                             text=True, timeout=120)
    assert re.search(r"\bnanlint: \d", version.stdout), f"the plugin is not installed ({version.stdout.strip()}): " \
        "run `pip install -e .`"


def test_flake8_reports_what_nanlint_reports_on_the_fixtures():
    names = [path.relative_to(REPO) for path in FIXTURES]
    result = flake8(*names, cwd=REPO)
    expected = from_json(nanlint("--format", "json", *names, cwd=REPO))
    assert len(expected) > 40
    assert reported(result.stdout) == expected


def test_columns_tabs_unicode_multiline_statements_and_noqa_agree(tmp_path):
    write(tmp_path, "tricky.py", TRICKY)
    expected = from_json(nanlint("--format", "json", "tricky.py", cwd=tmp_path))
    assert reported(flake8("tricky.py", cwd=tmp_path).stdout) == expected
    assert expected == [("tricky.py", 2, 14, "NAN101"), ("tricky.py", 4, 6, "NAN102"),
                        ("tricky.py", 5, 5, "NAN101"), ("tricky.py", 16, 5, "NAN101")]


def test_flake8_messages_are_nanlints(tmp_path):
    write(tmp_path, "bug.py", BUG)
    (line,) = flake8("bug.py", cwd=tmp_path).stdout.splitlines()
    (finding,) = json.loads(nanlint("--format", "json", "bug.py", cwd=tmp_path).stdout)
    assert line == f"bug.py:4:5: NAN101 {finding['message']}"


@pytest.mark.parametrize(("args", "codes"), [
    (["--select", "NAN101"], ["NAN101", "NAN101", "NAN101"]),
    (["--select", "NAN102"], ["NAN102"]),
    (["--extend-ignore", "NAN101"], ["NAN102"]),
    (["--per-file-ignores", "tricky.py:NAN101"], ["NAN102"]),
    (["--per-file-ignores", "other.py:NAN"], ["NAN101", "NAN102", "NAN101", "NAN101"]),
])
def test_flake8_selection_and_per_file_ignores(tmp_path, args, codes):
    write(tmp_path, "tricky.py", TRICKY)
    result = flake8(*args, "tricky.py", cwd=tmp_path)
    assert [row[3] for row in sorted(reported(result.stdout), key=lambda row: row[1])] == codes


def test_an_unsaved_buffer_on_stdin_is_checked_not_the_file_on_disk(tmp_path):
    write(tmp_path, "train.py", "x = 1\n")
    result = flake8("--stdin-display-name", "train.py", "-", cwd=tmp_path, stdin=BUG)
    assert reported(result.stdout) == [("train.py", 4, 5, "NAN101")]


def test_nanlint_configuration_applies_under_flake8(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.nanlint]\nignore = ["NAN102"]\nexclude = ["legacy/*"]\n')
    write(tmp_path, "tricky.py", TRICKY)
    write(tmp_path, "legacy/old.py", BUG)
    result = flake8("tricky.py", "legacy/old.py", cwd=tmp_path)
    assert reported(result.stdout) == from_json(nanlint("--format", "json", "--force-exclude", "tricky.py",
                                                        "legacy/old.py", cwd=tmp_path))
    assert {row[3] for row in reported(result.stdout)} == {"NAN101"}


def test_learning_rate_thresholds_from_the_command_line(tmp_path):
    write(tmp_path, "lstm.py", LSTM)
    default = reported(flake8("lstm.py", cwd=tmp_path).stdout)
    assert "NAN301" in {row[3] for row in default}
    raised = reported(flake8("--nanlint-max-lr", "adam=1,sgd=2", "lstm.py", cwd=tmp_path).stdout)
    assert raised == [row for row in default if row[3] != "NAN301"]


def test_options_from_flake8s_configuration_file(tmp_path):
    write(tmp_path, ".flake8", "[flake8]\nselect = NAN\nnanlint-max-lr =\n    adam=1\n    sgd=2\nnanlint-eps = 1e-6\n")
    write(tmp_path, "lstm.py", LSTM)
    write(tmp_path, "relu.py", "import torch\nx = torch.relu(a)\nz = torch.log(x)\n")
    result = flake8("lstm.py", "relu.py", cwd=tmp_path, isolated=False)
    assert "NAN301" not in result.stdout
    assert "torch.log(x + 1e-6)" in result.stdout


@pytest.mark.parametrize(("option", "value"), [
    ("--nanlint-max-lr", "adam"),
    ("--nanlint-max-lr", "adam=fast"),
    ("--nanlint-eps", "-1"),
    ("--nanlint-fix-style", "wrap"),
])
def test_an_invalid_option_is_a_one_line_error(tmp_path, option, value):
    write(tmp_path, "bug.py", BUG)
    result = flake8(option, value, "bug.py", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"flake8: error: {option}: ")


def test_the_plugin_is_silent_for_python_flake8_cannot_parse(tmp_path):
    """flake8 reports E999 itself and runs no plugin; nanlint adds nothing."""
    write(tmp_path, "broken.py", "def f(:\n")
    result = subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--select", "E9,NAN", "broken.py"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert [m["code"] for m in map(FLAKE8_LINE.fullmatch, result.stdout.splitlines())] == ["E999"]


def test_every_rule_option_is_a_flake8_option():
    help_text = subprocess.run([sys.executable, "-m", "flake8", "--help"], capture_output=True, text=True,
                               timeout=120).stdout
    for key in FLAKE8_OPTIONS:
        assert f"--nanlint-{key}" in help_text
    assert set(FLAKE8_OPTIONS) == {"eps", "half-eps", "max-lr", "fix-style"}
