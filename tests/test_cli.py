"""The command line as users and CI run it: a real ``python -m nanlint`` process,
its output, the files it writes and its exit status (0 clean, 1 findings, 2 error).
The last parts test the runner and the report in-process, for cases a subprocess
cannot stage (a file edited during the run, findings with unsafe fixes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nanlint import engine
from nanlint.config import Config
from nanlint.finding import SAFE, UNSAFE, Edit, FileResult, Finding, Fix
from nanlint.report import ReportOptions, render_text
from nanlint.runner import lint_file, lint_paths

REPO = Path(__file__).resolve().parents[1]

BUG = "import torch\n\nx = torch.randn(2, 3)\ny = torch.log(torch.softmax(x, dim=1))\n"
FIXED = "import torch\n\nx = torch.randn(2, 3)\ny = torch.log_softmax(x, dim=1)\n"
CLEAN = "import torch\n\ny = torch.log_softmax(torch.randn(2, 3), dim=1)\n"
JSON_KEYS = {"path", "line", "column", "end_line", "end_column", "code", "name", "severity", "message", "fix"}


def nanlint(*args, cwd, stdin=None, preexec_fn=None):
    """Run nanlint as a user would, with the checkout importable (``preexec_fn`` runs in
    the child before nanlint starts)."""
    pythonpath = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "nanlint", *map(str, args)], cwd=cwd, input=stdin, capture_output=True,
        text=True, timeout=120, env={**os.environ, "PYTHONPATH": pythonpath}, preexec_fn=preexec_fn,
    )


def write(root, name, text):
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def reported(result):
    """(path, code) of each finding in a JSON report."""
    return [(f["path"].replace(os.sep, "/"), f["code"]) for f in json.loads(result.stdout)]


@pytest.fixture
def project(tmp_path):
    write(tmp_path, "bug.py", BUG)
    write(tmp_path, "clean.py", CLEAN)
    return tmp_path


# Exit status and text output


def test_clean_file_exits_0(tmp_path):
    write(tmp_path, "clean.py", CLEAN)
    result = nanlint("clean.py", cwd=tmp_path)
    assert (result.returncode, result.stdout.strip(), result.stderr) == (0, "All checks passed!", "")


def test_no_path_checks_the_current_folder(project):
    result = nanlint(cwd=project)
    assert result.returncode == 1
    assert "bug.py:4:5: NAN101 [*] " in result.stdout


def test_text_report_shows_location_code_source_carets_and_summary(project):
    result = nanlint("bug.py", cwd=project)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("bug.py:4:5: NAN101 [*] ")
    assert lines[1] == "    y = torch.log(torch.softmax(x, dim=1))"
    assert lines[2] == "        " + "^" * len("torch.log(torch.softmax(x, dim=1))")
    assert lines[-1] == "Found 1 problem (1 fixable with --fix)"
    assert "\x1b[" not in result.stdout  # no colour when not writing to a terminal


def test_quiet_prints_findings_only(project):
    result = nanlint("--quiet", cwd=project)
    assert result.returncode == 1
    assert "Found" not in result.stdout and "NAN101" in result.stdout
    assert nanlint("-q", "clean.py", cwd=project).stdout == ""


def test_exit_zero(project):
    result = nanlint("--exit-zero", cwd=project)
    assert result.returncode == 0 and "NAN101" in result.stdout


def test_json_report_has_exactly_the_documented_keys(project):
    result = nanlint("--format", "json", cwd=project)
    assert result.returncode == 1
    (finding,) = json.loads(result.stdout)
    assert set(finding) == JSON_KEYS
    assert (finding["path"], finding["line"], finding["column"], finding["code"]) == ("bug.py", 4, 5, "NAN101")
    assert (finding["name"], finding["severity"]) == ("log-of-softmax", "error")
    assert finding["fix"]["applicability"] == "safe"


def test_json_report_of_a_clean_run_is_an_empty_array(tmp_path):
    write(tmp_path, "clean.py", CLEAN)
    result = nanlint("--format", "json", cwd=tmp_path)
    assert (result.returncode, json.loads(result.stdout)) == (0, [])


def test_statistics(project):
    write(project, "more.py", BUG)
    result = nanlint("--statistics", cwd=project)
    assert result.returncode == 1
    assert result.stdout.split() == ["2", "NAN101", "[*]", "log-of-softmax"]
    stats = json.loads(nanlint("--statistics", "--format", "json", cwd=project).stdout)
    assert stats == [{"code": "NAN101", "name": "log-of-softmax", "count": 2, "fixable": 2}]


def test_unknown_format_is_a_usage_error(project):
    assert nanlint("--format", "xml", cwd=project).returncode == 2


def test_version(tmp_path):
    result = nanlint("--version", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("nanlint ")


def test_help_lists_options_and_the_rule_command(tmp_path):
    result = nanlint("--help", cwd=tmp_path)
    assert result.returncode == 0
    for text in ("--select", "--fix", "--unsafe-fixes", "--diff", "--stdin-filename", "rule"):
        assert text in result.stdout


# Selection


@pytest.mark.parametrize(("args", "status"), [
    (["--select", "NAN101"], 1),
    (["--select", "NAN1"], 1),
    (["--select", "nan1"], 1),
    (["--select", "NAN2"], 0),
    (["--select", "NAN2,NAN101"], 1),
    (["--select", "NAN2", "--select", "NAN101"], 1),
    (["--ignore", "NAN101"], 0),
    (["--ignore", "NAN1"], 0),
    (["--select", "NAN2", "--extend-select", "NAN101"], 1),
    (["--ignore", "NAN1", "--select", "NAN101"], 1),  # the more specific selector wins
])
def test_selection(project, args, status):
    assert nanlint(*args, cwd=project).returncode == status


@pytest.mark.parametrize("option", ["--select", "--ignore", "--extend-select"])
def test_unknown_code_on_the_command_line_is_a_one_line_error(project, option):
    result = nanlint(option, "NAN999", cwd=project)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"nanlint: error: unknown rule code or prefix 'NAN999' in {option}"]


def test_command_line_ignore_adds_to_the_configuration(project):
    write(project, "pyproject.toml", '[tool.nanlint]\nignore = ["NAN101"]\n')
    assert nanlint(cwd=project).returncode == 0
    assert nanlint("--ignore", "NAN102", cwd=project).returncode == 0


# Configuration


def test_configuration_is_read_from_pyproject(project):
    write(project, "pyproject.toml", '[tool.nanlint]\nexclude = ["bug.py"]\n')
    assert nanlint(cwd=project).returncode == 0


@pytest.mark.parametrize(("table", "name"), [
    ("colour = true", "colour"),
    ('ignore = ["NAN999"]', "NAN999"),
    ('select = ["XYZ"]', "XYZ"),
])
def test_invalid_configuration_is_a_one_line_error(project, table, name):
    write(project, "pyproject.toml", f"[tool.nanlint]\n{table}\n")
    result = nanlint(cwd=project)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("nanlint: error: ") and name in line and "pyproject.toml" in line


def test_config_option_uses_the_given_file(project):
    write(project, "conf/nanlint.toml", 'ignore = ["NAN101"]\n')
    assert nanlint("--config", "conf/nanlint.toml", cwd=project).returncode == 0
    result = nanlint("--config", "missing.toml", cwd=project)
    assert result.returncode == 2 and "missing.toml" in result.stderr


# Paths


def test_nonexistent_path_is_a_one_line_error(project):
    result = nanlint("bug.py", "nope.py", cwd=project)
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["nanlint: error: nope.py: no such file or directory"]
    assert result.stdout == ""


def test_skipped_folders_gitignore_and_exclude(project):
    for folder in (".venv", "build", "__pycache__", "node_modules", "ignored", "negated", "gen"):
        write(project, f"{folder}/m.py", BUG)
    write(project, "ignored_file.py", BUG)
    write(project, ".gitignore", "ignored/\nignored_*.py\nnegated/*\n!negated/m.py\n")
    write(project, "pyproject.toml", '[tool.nanlint]\nextend-exclude = ["gen"]\n')
    result = nanlint("--format", "json", cwd=project)
    assert reported(result) == [("bug.py", "NAN101"), ("negated/m.py", "NAN101")]


def test_a_file_named_rule_is_a_path(tmp_path):
    write(tmp_path, "rule.py", BUG)
    result = nanlint("rule.py", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("rule.py:4:5: NAN101")


def test_rule_after_an_option_is_a_path(tmp_path):
    result = nanlint("--quiet", "rule", cwd=tmp_path)
    assert result.returncode == 2 and "rule: no such file or directory" in result.stderr


# Stdin


def test_stdin_with_stdin_filename(tmp_path):
    result = nanlint("-", "--stdin-filename", "models/net.py", cwd=tmp_path, stdin=BUG)
    assert result.returncode == 1
    assert result.stdout.startswith(f"{os.path.join('models', 'net.py')}:4:5: NAN101 [*] ")
    assert "    y = torch.log(torch.softmax(x, dim=1))" in result.stdout


def test_stdin_filename_selects_per_file_ignores(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.nanlint.per-file-ignores]\n"legacy/*" = ["NAN101"]\n')
    assert nanlint("-", "--stdin-filename", "legacy/old.py", cwd=tmp_path, stdin=BUG).returncode == 0
    assert nanlint("-", "--stdin-filename", "new.py", cwd=tmp_path, stdin=BUG).returncode == 1


def test_stdin_fix_prints_the_fixed_source(tmp_path):
    result = nanlint("--fix", "-", cwd=tmp_path, stdin=BUG)
    assert (result.returncode, result.stdout) == (0, FIXED)
    assert "Fixed 1 problem" in result.stderr


def test_stdin_fix_prints_clean_source_unchanged(tmp_path):
    result = nanlint("--fix", "-", cwd=tmp_path, stdin=CLEAN)
    assert (result.returncode, result.stdout) == (0, CLEAN)


def test_stdin_cannot_be_mixed_with_paths(project):
    result = nanlint("-", "bug.py", cwd=project, stdin=BUG)
    assert result.returncode == 2 and result.stderr.startswith("nanlint: error: ")


# Fixes


def test_diff_shows_the_fix_and_writes_nothing(project):
    result = nanlint("--diff", cwd=project)
    assert result.returncode == 1
    assert "--- a/bug.py\n+++ b/bug.py\n" in result.stdout
    assert "-y = torch.log(torch.softmax(x, dim=1))\n+y = torch.log_softmax(x, dim=1)\n" in result.stdout
    assert (project / "bug.py").read_text() == BUG


def test_diff_without_fixes_exits_0(tmp_path):
    write(tmp_path, "clean.py", CLEAN)
    result = nanlint("--diff", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "")


def test_fix_rewrites_the_file_and_a_second_run_is_clean(project):
    result = nanlint("--fix", cwd=project)
    assert result.returncode == 0
    assert "Fixed 1 problem" in result.stdout
    assert (project / "bug.py").read_text() == FIXED
    assert (project / "clean.py").read_text() == CLEAN
    again = nanlint(cwd=project)
    assert (again.returncode, again.stdout.strip()) == (0, "All checks passed!")


def test_fix_keeps_the_file_encoding(tmp_path):
    path = tmp_path / "latin.py"
    path.write_bytes(("# -*- coding: latin-1 -*-\n# café\n" + BUG).encode("latin-1"))
    assert nanlint("--fix", "latin.py", cwd=tmp_path).returncode == 0
    assert path.read_bytes() == ("# -*- coding: latin-1 -*-\n# café\n" + FIXED).encode("latin-1")


def test_fix_of_excluded_file_leaves_it_alone(project):
    write(project, "pyproject.toml", '[tool.nanlint]\nexclude = ["bug.py"]\n')
    assert nanlint("--fix", "--force-exclude", "bug.py", cwd=project).returncode == 0
    assert (project / "bug.py").read_text() == BUG


# The rule command


def test_rule_prints_the_documentation(tmp_path):
    result = nanlint("rule", "NAN101", cwd=tmp_path)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "NAN101 log-of-softmax (error, fix: safe)"
    for section in ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety"):
        assert section in result.stdout


def test_rule_code_is_case_insensitive(tmp_path):
    assert nanlint("rule", "nan101", cwd=tmp_path).stdout.startswith("NAN101 log-of-softmax")


def test_rule_all_lists_every_rule(tmp_path):
    result = nanlint("rule", "--all", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.splitlines()[0].split() == ["NAN101", "log-of-softmax", "error", "fix:", "safe"]


@pytest.mark.parametrize("args", [["rule", "NAN999"], ["rule"]])
def test_rule_errors(tmp_path, args):
    result = nanlint(*args, cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.startswith("nanlint: error: ")


# The runner underneath


def test_unreadable_file_is_an_error_and_the_run_goes_on(tmp_path):
    folder = tmp_path / "not_a_file.py"
    folder.mkdir()
    result = lint_file(str(folder), Config())
    assert result.findings == [] and len(result.errors) == 1
    assert result.errors[0].startswith(f"{folder}: cannot read file")


def fake_fix(edit_on_disk=None):
    """A stand-in for the engine that always fixes ``a`` to ``b``; ``edit_on_disk``
    simulates an editor saving the file while nanlint works."""
    def check_source(source, path, config, fix=None):
        if edit_on_disk is not None:
            Path(path).write_text(edit_on_disk)
        return FileResult(path=path, fixed_source="b = 1\n", fixed_count=1)
    return check_source


def test_fix_is_not_written_over_a_concurrent_edit(tmp_path, monkeypatch):
    path = write(tmp_path, "m.py", "a = 1\n")
    monkeypatch.setattr(engine, "check_source", fake_fix(edit_on_disk="edited = 1\n"))
    (result,) = lint_paths([path], fix="safe")
    assert result.errors == [f"{path}: file changed on disk, not fixed"]
    assert result.fixed_count == 0
    assert path.read_text() == "edited = 1\n"


def test_fix_through_a_symlink_keeps_the_link(tmp_path, monkeypatch):
    target = write(tmp_path, "real.py", "a = 1\n")
    link = tmp_path / "link.py"
    link.symlink_to(target)
    monkeypatch.setattr(engine, "check_source", fake_fix())
    lint_paths([link], fix="safe")
    assert link.is_symlink() and target.read_text() == "b = 1\n"


def test_results_are_sorted_by_path(tmp_path):
    for name in ("b.py", "a.py", "pkg/c.py"):
        write(tmp_path, name, CLEAN)
    paths = [result.path for result in lint_paths([tmp_path / "pkg", tmp_path / "b.py", tmp_path / "a.py"])]
    assert paths == sorted(paths)


# The text report's fix accounting, with findings of each applicability


def finding(line, applicability=None, end_line=None):
    fix = None if applicability is None else Fix(applicability, "fix it", (Edit(line, 1, line, 2, "y"),))
    return Finding("m.py", line, 5, end_line or line, 9, "NAN103", "unguarded-log", "warning", "msg", fix)


def test_unsafe_fixes_are_hidden_unless_enabled():
    result = FileResult("m.py", findings=[finding(1, SAFE), finding(2, UNSAFE), finding(3, UNSAFE), finding(4)])
    sources = {"m.py": b"".join(b"a = log(p)\n" for _ in range(4))}
    hidden = render_text([result], ReportOptions(sources=sources)).splitlines()
    assert hidden[-1] == ("Found 4 problems (1 fixable with --fix; "
                          "2 hidden fixes can be enabled with the `--unsafe-fixes` option)")
    assert [line.split()[1:3] for line in hidden if line.startswith("m.py")] == [
        ["NAN103", "[*]"], ["NAN103", "msg"], ["NAN103", "msg"], ["NAN103", "msg"]]
    shown = render_text([result], ReportOptions(sources=sources, unsafe_fixes=True)).splitlines()
    assert shown[-1] == "Found 4 problems (3 fixable with --fix)"


def test_carets_of_a_multiline_span_run_to_the_end_of_its_first_line():
    result = FileResult("m.py", findings=[finding(1, end_line=2)])
    text = render_text([result], ReportOptions(sources={"m.py": b"a = log(p +\n        q)\n"}, quiet=True))
    assert text.splitlines()[1:3] == ["    a = log(p +", "        ^^^^^^^"]
