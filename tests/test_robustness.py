"""nanlint on the files nobody reads: it never crashes, never hangs, never imports the
code it checks, and never damages a file.

Hostile input gets a NAN001 finding or a one-line error and the run goes on. The
command line runs as a real subprocess (so that a C stack overflow shows as a signal,
not as a dead test run); the engine is called directly where a property of one text
is tested. Nothing here is timed: a subprocess only has a timeout, so that a hang
fails instead of blocking the suite.
"""

from __future__ import annotations

import codecs
import ctypes
import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_cli import BUG, FIXED, REPO, nanlint, write

from nanlint import engine, runner
from nanlint.engine import check_source
from nanlint.nesting import MAX_NESTING
from nanlint.runner import lint_paths

# A file that imports no framework is not even parsed (``nanlint.prefilter``): every
# hostile file imports torch, so that it reaches the parser.
IMPORT = b"import torch\n"
BUG_LINE = b"y = torch.log(torch.softmax(x, dim=1))"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
PR_CAPBSET_DROP = 24  # prctl(2)

# name: (bytes, the findings as (code, line, column, start of the message)); a NAN101
# finding means the file was read, parsed and checked like any other.
HOSTILE = {
    "syntax_error.py": (IMPORT + b"def f(:\n    pass\n", [("NAN001", 2, 7, "cannot parse: invalid syntax")]),
    "python2_print.py": (IMPORT + b'print "hello"\n',
                         [("NAN001", 2, 1, "cannot parse: Missing parentheses in call to 'print'")]),
    "python2_raise.py": (IMPORT + b'raise ValueError, "m"\n', [("NAN001", 2, 17, "cannot parse: invalid syntax")]),
    "python2_octal.py": (IMPORT + b"x = 0777\n", [("NAN001", 2, 5, "cannot parse: leading zeros")]),
    "python2_backticks.py": (IMPORT + b"x = `1`\n", [("NAN001", 2, 5, "cannot parse: invalid syntax")]),
    "tabs_and_spaces.py": (IMPORT + b"if x:\n\ty = 1\n        z = 2\n",
                           [("NAN001", 4, 1, "cannot parse: inconsistent use of tabs and spaces")]),
    "tab_indented.py": (IMPORT + b"def f(x):\n\treturn torch.log(torch.softmax(x, dim=1))\n", [("NAN101", 3, 9, "")]),
    "latin1_cookie.py": ("# -*- coding: latin-1 -*-\nimport torch\n# café\n".encode("latin-1") + BUG_LINE + b"\n",
                         [("NAN101", 4, 5, "")]),
    "utf8_bom.py": (codecs.BOM_UTF8 + IMPORT + BUG_LINE + b"\n", [("NAN101", 2, 5, "")]),
    "utf16_bom.py": (codecs.BOM_UTF16_LE + (IMPORT + BUG_LINE).decode().encode("utf-16-le"),
                     [("NAN001", 1, 1, "UTF-16 source is not supported by Python")]),
    "utf16_no_bom.py": ((IMPORT + BUG_LINE).decode().encode("utf-16-le"),
                        [("NAN001", 1, 2, "file contains NUL bytes")]),
    "utf16_cookie.py": (b"# coding: utf-16\n" + IMPORT + BUG_LINE,
                        [("NAN001", 1, 1, "encoding utf-16 is not supported by Python")]),
    "unknown_cookie.py": (b"# coding: klingon\n" + IMPORT, [("NAN001", 1, 1, "unknown encoding: klingon")]),
    "invalid_utf8.py": (IMPORT + b'x = "caf\xe9"\n', [("NAN001", 2, 9, "not valid UTF-8: byte 0xe9")]),
    "wrong_cookie.py": (b"# coding: ascii\n" + IMPORT + b'x = "caf\xc3\xa9"\n',
                        [("NAN001", 3, 9, "not valid ascii, the encoding it declares: byte 0xc3")]),
    "nul_byte.py": (IMPORT + b"x = 1\x00\n", [("NAN001", 2, 6, "file contains NUL bytes")]),
    "binary.py": (bytes(range(256)) * 4, [("NAN001", 1, 1, "file contains NUL bytes")]),
    "binary_without_nul.py": (bytes(range(1, 256)) * 4, [("NAN001", 3, 115, "not valid UTF-8: byte 0x80")]),
    "empty.py": (b"", []),
    "only_a_bom.py": (codecs.BOM_UTF8, []),
    "crlf.py": (IMPORT.replace(b"\n", b"\r\n") + BUG_LINE + b"\r\n", [("NAN101", 2, 5, "")]),
    "cr_only.py": (IMPORT.replace(b"\n", b"\r") + BUG_LINE + b"\r", [("NAN101", 2, 5, "")]),
    "mixed_line_endings.py": (b"import torch\r\nx = 1\n" + BUG_LINE + b"\rz = 2\n", [("NAN101", 3, 5, "")]),
    "form_feed.py": (IMPORT + b"\x0c\n" + BUG_LINE + b"\n", [("NAN101", 3, 5, "")]),
    "no_final_newline.py": (IMPORT + BUG_LINE, [("NAN101", 2, 5, "")]),
    "non_ascii_code.py": ("import torch\nπ = 1\n".encode() + BUG_LINE + " # 日本語\n".encode(),
                          [("NAN101", 3, 5, "")]),
    "long_line.py": (IMPORT + b"x = [" + b"-1, " * 10_000 + b"]\n" + BUG_LINE + b"\n", [("NAN101", 3, 5, "")]),
}


def summary(findings):
    return [(f.code, f.line, f.column, f.message) for f in findings]


def matches(found, expected):
    return len(found) == len(expected) and all(
        (code, line, column) == (c, li, co) and message.startswith(start)
        for (code, line, column, message), (c, li, co, start) in zip(found, expected, strict=True))


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_input_is_a_finding_not_a_crash(name):
    data, expected = HOSTILE[name]
    result = check_source(data, name)
    assert result.errors == []
    assert matches(summary(result.findings), expected), summary(result.findings)


def cli_findings(result):
    """{file name: [(code, line, column, message)]} of a JSON report."""
    found = {}
    for f in json.loads(result.stdout):
        found.setdefault(os.path.basename(f["path"]), []).append((f["code"], f["line"], f["column"], f["message"]))
    return found


def assert_no_crash(result):
    assert result.returncode in (0, 1, 2), (result.returncode, result.stderr[-2000:])  # < 0: killed by a signal
    assert "Traceback" not in result.stderr, result.stderr


@pytest.fixture
def hostile_project(tmp_path):
    """Every hostile file, a symlink loop, a broken symlink, a folder named like a
    module, and names with spaces and letters outside ASCII, each holding the bug."""
    root = tmp_path / "project"
    for name, (data, _) in HOSTILE.items():
        (root / "src").mkdir(parents=True, exist_ok=True)
        (root / "src" / name).write_bytes(data)
    for name in ("with space.py", "naïve_日本語.py", "-starts-with-dash.py"):
        write(root, f"names/{name}", BUG)
    (root / "src" / "loop").symlink_to(root / "src", target_is_directory=True)
    (root / "src" / "broken_link.py").symlink_to(root / "missing.py")
    (root / "src" / "folder.py").mkdir()
    return root


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_run_over_hostile_files_reports_each_and_goes_on(hostile_project, jobs):
    result = nanlint("--format", "json", "--no-cache", "--jobs", jobs, ".", cwd=hostile_project)
    assert_no_crash(result)
    assert (result.returncode, result.stderr) == (1, "")
    found = cli_findings(result)
    for name, (_, expected) in HOSTILE.items():
        assert matches(found.get(name, []), expected), (name, found.get(name))
    for name in ("with space.py", "naïve_日本語.py", "-starts-with-dash.py"):
        assert [code for code, *_ in found[name]] == ["NAN101"], name
    assert "broken_link.py" not in found and "folder.py" not in found


@pytest.mark.parametrize("output", ["text", "concise", "json", "github", "sarif", "statistics", "diff"])
def test_every_output_format_survives_hostile_files(hostile_project, output):
    args = {"statistics": ["--statistics"], "diff": ["--diff", "--unsafe-fixes"]}.get(output, ["--format", output])
    result = nanlint(*args, "--no-cache", ".", cwd=hostile_project)
    assert_no_crash(result)
    assert result.returncode == 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="file names must be UTF-8 on macOS and Windows")
@pytest.mark.parametrize("output", ["text", "concise", "json", "github", "sarif"])
def test_a_file_name_that_is_not_utf8_is_reported(tmp_path, output):
    (tmp_path / os.fsdecode(b"caf\xe9.py")).write_text(BUG)
    pythonpath = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    result = subprocess.run(  # the name comes back as the bytes it is, which are not UTF-8
        [sys.executable, "-m", "nanlint", "--format", output, "--no-cache", "."], cwd=tmp_path, capture_output=True,
        timeout=120, env={**os.environ, "PYTHONPATH": pythonpath})
    assert result.returncode == 1, result.stderr.decode(errors="replace")[-2000:]
    assert b"Traceback" not in result.stderr and b"NAN101" in result.stdout


def test_a_file_too_large_to_analyse_is_a_finding(tmp_path):
    write(tmp_path, "nanlint.toml", "max-file-kb = 4\n")
    write(tmp_path, "small.py", BUG)
    write(tmp_path, "generated.py", "import torch\n" + "y = torch.log(torch.softmax(x, dim=1))\n" * 200)
    result = nanlint("--format", "json", "--no-cache", ".", cwd=tmp_path)
    found = cli_findings(result)
    assert found["generated.py"] == [("NAN001", 1, 1, "file too large to analyse (7 KB; `max-file-kb` is 4)")]
    assert [code for code, *_ in found["small.py"]] == ["NAN101"]


def test_a_five_megabyte_generated_file_is_a_finding_and_the_run_goes_on(tmp_path):
    table = "".join(f"    ({i}, {i * 0.5!r}, 'name_{i}'),\n" for i in range(160_000))
    write(tmp_path, "generated_torch.py", "import torch\nTABLE = [\n" + table + "]\n")
    write(tmp_path, "generated_plain.py", "TABLE = [\n" + table + "]\n")  # imports nothing: not parsed
    write(tmp_path, "bug.py", BUG)
    assert (tmp_path / "generated_torch.py").stat().st_size > 5_000_000
    result = nanlint("--format", "json", "--no-cache", ".", cwd=tmp_path)
    assert_no_crash(result)
    found = cli_findings(result)
    assert found.pop("generated_torch.py") == [("NAN001", 1, 1, "file too large to analyse (5698 KB; "
                                                                "`max-file-kb` is 2048)")]
    assert list(found) == ["bug.py"] and result.returncode == 1


def test_a_broken_symlink_named_on_the_command_line_is_a_one_line_error(tmp_path):
    (tmp_path / "broken.py").symlink_to(tmp_path / "missing.py")
    result = nanlint("broken.py", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (2, "nanlint: error: broken.py: broken symbolic link\n")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_a_named_pipe_or_a_device_is_not_read(tmp_path):
    os.mkfifo(tmp_path / "pipe.py")
    write(tmp_path, "bug.py", BUG)
    result = nanlint("pipe.py", "bug.py", "--no-cache", cwd=tmp_path)  # reading the pipe would wait forever
    assert_no_crash(result)
    assert result.returncode == 2 and "bug.py:4:5: NAN101" in result.stdout
    assert result.stderr == "nanlint: error: pipe.py: cannot read file: not a regular file\n"


def without_root_powers():
    """In the child: as root, give up the capabilities that let root read and write
    whatever a file's mode says (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), so that modes
    hold for nanlint as they do for any user. Nothing to do for other users."""
    if IS_ROOT:
        libc = ctypes.CDLL(None, use_errno=True)
        for capability in (1, 2):  # dropped from the bounding set: gone after exec
            if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def test_an_unreadable_file_is_an_error_and_the_run_goes_on(tmp_path):
    write(tmp_path, "bug.py", BUG)
    secret = write(tmp_path, "secret.py", BUG)
    secret.chmod(0)
    result = nanlint("--no-cache", ".", cwd=tmp_path, preexec_fn=without_root_powers)
    assert result.returncode == 2 and "bug.py:4:5: NAN101" in result.stdout
    assert result.stderr == "nanlint: error: secret.py: cannot read file: Permission denied\n"


def test_a_file_that_vanishes_mid_run_is_an_error_and_the_run_goes_on(tmp_path, monkeypatch):
    write(tmp_path, "a.py", BUG)
    gone = write(tmp_path, "b.py", BUG)
    discover = runner.discover

    def discover_then_delete(*args, **kwargs):
        files = discover(*args, **kwargs)
        gone.unlink()  # as a branch switch would, between the walk and the read
        return files

    monkeypatch.setattr(runner, "discover", discover_then_delete)
    a, b = lint_paths([tmp_path])
    assert [f.code for f in a.findings] == ["NAN101"] and a.errors == []
    assert b.errors == [f"{gone}: cannot read file: No such file or directory"]


# Nesting: deeper than libcst can take (its parser overflows the C stack at a few thousand
# levels and slows down long before) is NAN001; up to MAX_NESTING is analysed.

# Shapes of nesting: (source of an expression nested n deep, levels each step costs).
SHAPES = {
    "parentheses": (lambda n: "(" * n + "x" + ")" * n, 1),
    "unary minus": (lambda n: "-" * n + "x", 1),
    "not": (lambda n: "not " * n + "x", 1),
    "sum": (lambda n: " + ".join(["x"] * (n + 1)), 1),
    "power": (lambda n: " ** ".join(["x"] * (n + 1)), 1),
    "and": (lambda n: " and ".join(["x"] * (n + 1)), 1),
    "attributes": (lambda n: "x" + ".a" * n, 1),
    "calls": (lambda n: "x" + "()" * n, 1),
    "conditional": (lambda n: "x if c else " * n + "x", 1),
    "lambda": (lambda n: "lambda: " * n + "x", 1),
    "strings": (lambda n: "(" + "\n".join(["'s'"] * (n + 1)) + ")", 1),
    "strings on one line": (lambda n: " ".join(["'s'"] * (n + 1)), 1),
    "call arguments": (lambda n: "f(" * n + "x" + ")" * n, 2),
    "lists": (lambda n: "[" * n + "x" + "]" * n, 2),
    "dicts": (lambda n: "{1: " * n + "x" + "}" * n, 2),
    "subscripts": (lambda n: "a[" * n + "x" + "]" * n, 3),
    "comprehensions": (lambda n: "[a for a in " * n + "x" + "]" * n, 2),
}


def nested_file(shape, depth):
    expression, cost = SHAPES[shape]
    return f"import torch\nz = {expression(depth // cost)}\ny = torch.log(torch.softmax(x, dim=1))\n"


def test_ten_thousand_levels_are_a_finding_in_every_shape(tmp_path):
    for shape in SHAPES:
        write(tmp_path, f"{shape}.py", nested_file(shape, 10_000))
    result = nanlint("--format", "json", "--no-cache", "--jobs", "1", ".", cwd=tmp_path)
    assert_no_crash(result)
    found = cli_findings(result)
    assert sorted(found) == sorted(f"{shape}.py" for shape in SHAPES)
    for shape in SHAPES:
        ((code, line, _, message),) = found[f"{shape}.py"]
        assert (code, line) == ("NAN001", 2), shape
        assert message.startswith(("nested too deeply to analyse", "cannot parse: too many nested parentheses")), shape


def call_at_depth(frames, function, *args, **kwargs):
    """``function`` called below ``frames`` more frames, as from a deep caller."""
    if frames:
        return call_at_depth(frames - 1, function, *args, **kwargs)
    return function(*args, **kwargs)


@pytest.mark.parametrize("shape", SHAPES)
def test_the_deepest_analysed_nesting_is_checked_and_fixed_from_a_deep_caller(shape):
    source = nested_file(shape, MAX_NESTING - 12)  # the statement around it takes the rest
    result = call_at_depth(150, check_source, source, "t.py", fix="safe")
    assert result.errors == [] and result.findings == []
    assert result.fixed_source == source.replace("torch.log(torch.softmax(x, dim=1))", "torch.log_softmax(x, dim=1)")


@pytest.mark.parametrize("shape", SHAPES)
def test_twice_the_deepest_analysed_nesting_is_a_finding(shape):
    (finding,) = check_source(nested_file(shape, 2 * MAX_NESTING), "t.py").findings
    assert (finding.code, finding.line) == ("NAN001", 2)


def test_syntax_newer_than_the_running_python_is_still_checked():
    # `type` statements are Python 3.12, `except A, B:` 3.14; libcst reads both.
    source = IMPORT + b"type Logits = list[float]\n" + BUG_LINE + b"\n"
    assert [(f.code, f.line) for f in check_source(source, "t.py").findings] == [("NAN101", 3)]


def test_a_deep_file_with_a_syntax_error_reports_the_syntax_error():
    source = "import torch\ndef f(:\n    pass\nz = " + "-" * 10_000 + "x\n"
    (finding,) = check_source(source, "t.py").findings
    assert (finding.code, finding.line, finding.column, finding.message) == (
        "NAN001", 2, 7, "cannot parse: invalid syntax")


# An internal error in one rule on one file: reported as that, the other rules and
# files go on, and the exit status is 2.

BROKEN_RULE = '''
from nanlint.rules import Rule


class ExplodingRule(Rule):
    """A rule with a bug: it reports, then fails, on files that mention `explode`."""

    code = "NAN999"
    name = "exploding-rule"
    severity = "error"
    fix = "none"

    def check(self):
        if "explode" not in self.ctx.module.code:
            return
        for node in self.ctx.index.of_type(__import__("libcst").Call):
            self.ctx.report(node, "half-done")
        raise ZeroDivisionError("the rule divided by zero")
'''


def nanlint_with_broken_rule(tmp_path, *args, env=None):
    """The real command line, with one more rule module (a plugin with a bug) in
    nanlint's rule package."""
    plugins = tmp_path / "plugins"
    write(plugins, "exploding_rule.py", BROKEN_RULE)
    script = (f"import sys, nanlint.rules; nanlint.rules.__path__.append({str(plugins)!r}); "
              "from nanlint.cli import main; sys.argv[0] = 'nanlint'; main()")
    pythonpath = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-c", script, *args], cwd=tmp_path / "project", capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": pythonpath, **(env or {})})


@pytest.fixture
def exploding_project(tmp_path):
    write(tmp_path, "project/a.py", BUG + "explode = 1\n")
    write(tmp_path, "project/b.py", BUG + "explode = 2\n")
    write(tmp_path, "project/c.py", BUG)
    return tmp_path


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_internal_error_is_one_line_per_file_and_the_rest_goes_on(exploding_project, jobs):
    result = nanlint_with_broken_rule(exploding_project, "--no-cache", "--jobs", jobs, "--format", "concise", ".")
    assert_no_crash(result)
    assert result.returncode == 2
    # Every file's other findings are there; the broken rule's half-done reports are not.
    assert [line.split()[:2] for line in result.stdout.splitlines()[:3]] == [
        ["a.py:4:5:", "NAN101"], ["b.py:4:5:", "NAN101"], ["c.py:4:5:", "NAN101"]]
    assert "NAN999" not in result.stdout
    errors = result.stderr.splitlines()
    assert len(errors) == 2
    for name, line in zip(("a.py", "b.py"), errors, strict=True):
        assert line == (f"nanlint: error: {name}: internal error in rule NAN999 (exploding-rule): ZeroDivisionError: "
                        "the rule divided by zero at exploding_rule.py:18 (--show-traceback prints the trace for a "
                        "bug report)")


@pytest.mark.parametrize("how", ["option", "environment"])
def test_show_traceback_prints_the_trace(exploding_project, how):
    args, env = (["--show-traceback"], None) if how == "option" else ([], {"NANLINT_SHOW_TRACEBACK": "1"})
    result = nanlint_with_broken_rule(exploding_project, "--no-cache", *args, "a.py", env=env)
    assert result.returncode == 2
    assert "Traceback (most recent call last):" in result.stderr
    assert 'raise ZeroDivisionError("the rule divided by zero")' in result.stderr
    assert "--show-traceback prints" not in result.stderr


# nanlint reads code, it never runs it: not the linted modules, not what they import.


def test_the_linted_project_is_never_imported_or_executed(tmp_path):
    """Every module leaves a marker when imported (also modules named like frameworks,
    which a careless linter would import); all rules run, with every fix, inference
    included: it must read `from config import LR` (the NAN301 finding shows it did)."""
    marker = tmp_path / "EXECUTED"
    leave_marker = f"open({str(marker)!r}, 'a').write(__name__ + '\\n')\n"
    project = tmp_path / "project"
    modules = {
        "config.py": "LR = 5.0\n",
        "torch.py": "def log(x):\n    return x\n",
        "tensorflow.py": "",
        "numpy.py": "",
        "jax.py": "",
        "keras.py": "",
        "helpers.py": "from config import *\nSCALE = 2\n",
        "pkg/__init__.py": "",
        "pkg/settings.py": "BASE_LR = 0.1\n",
        "conftest.py": "",
        "setup.py": "",
        "__main__.py": "",
        "train.py": textwrap.dedent("""\
            import torch
            import numpy as np
            import tensorflow as tf
            import helpers
            from config import LR
            from pkg.settings import BASE_LR
            from helpers import SCALE

            model = torch.nn.Linear(2, 2)
            opt = torch.optim.Adam(model.parameters(), lr=LR)
            opt2 = torch.optim.SGD(model.parameters(), lr=BASE_LR * SCALE * helpers.SCALE)
            y = torch.log(torch.softmax(x, dim=1))
            z = tf.log(tf.nn.sigmoid(x)) / np.sum(x)
            """),
    }
    for name, body in modules.items():
        write(project, name, leave_marker + body)
    # From the folder above: `python -m` puts its current folder first on sys.path, which
    # the installed `nanlint` command does not, and a local `numpy.py` would then shadow
    # nanlint's own imports (a test artefact, not what users run).
    result = nanlint("--select", "NAN", "--unsafe-fixes", "--no-cache", "--format", "json", "project", cwd=tmp_path)
    assert_no_crash(result)
    assert not marker.exists(), marker.read_text()
    codes = [code for code, *_ in cli_findings(result)["train.py"]]
    assert "NAN301" in codes and "NAN101" in codes, codes
    fixed = nanlint("--select", "NAN", "--fix", "--unsafe-fixes", "--no-cache", "project", cwd=tmp_path)
    assert_no_crash(fixed)
    assert not marker.exists(), marker.read_text()
    assert "torch.log_softmax(x, dim=1)" in (project / "train.py").read_text()


# --fix never damages a file.


def inode_and_time(path):
    status = os.stat(path)
    return status.st_ino, status.st_mtime_ns


@pytest.mark.parametrize("mode", [0o644, 0o600, 0o755, 0o664])
def test_fix_replaces_the_file_whole_and_keeps_its_mode(tmp_path, mode):
    path = write(tmp_path, "bug.py", BUG)
    path.chmod(mode)
    before = os.stat(path).st_ino
    result = nanlint("--fix", "--no-cache", "bug.py", cwd=tmp_path)
    assert result.returncode == 0
    assert path.read_text() == FIXED
    assert stat.S_IMODE(os.stat(path).st_mode) == mode
    assert os.stat(path).st_ino != before  # a new file renamed over the old one, not rewritten in place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bug.py"]  # no temporary file left


@pytest.mark.skipif(not IS_ROOT, reason="only root can give a file away")
def test_fix_keeps_the_owner_when_run_as_root(tmp_path):
    path = write(tmp_path, "bug.py", BUG)
    os.chown(path, 65534, 65534)
    result = nanlint("--fix", "--no-cache", "bug.py", cwd=tmp_path)
    assert result.returncode == 0 and path.read_text() == FIXED
    assert (os.stat(path).st_uid, os.stat(path).st_gid) == (65534, 65534)


@pytest.mark.parametrize("source", [
    "import torch\ny = torch.log_softmax(x, dim=1)\n",  # nothing to fix
    "import torch\nopt = torch.optim.Adam(params, lr=5.0)\n",  # a finding without a fix
    "import torch\ndef f(:\n",  # a syntax error
    "",
])
def test_fix_does_not_touch_a_file_it_does_not_change(tmp_path, source):
    path = write(tmp_path, "m.py", source)
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    before = inode_and_time(path)
    nanlint("--fix", "--unsafe-fixes", "--no-cache", "m.py", cwd=tmp_path)
    assert inode_and_time(path) == before and path.read_text() == source


def test_fix_refuses_a_read_only_file(tmp_path):
    path = write(tmp_path, "bug.py", BUG)
    path.chmod(0o444)
    result = nanlint("--fix", "--no-cache", "bug.py", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "nanlint: error: bug.py: cannot write the fix: the file is read-only\n"
    assert path.read_text() == BUG and stat.S_IMODE(os.stat(path).st_mode) == 0o444


def test_fix_in_a_read_only_folder_is_an_error(tmp_path):
    path = write(tmp_path, "pkg/bug.py", BUG)
    path.parent.chmod(0o555)
    try:
        result = nanlint("--fix", "--no-cache", "pkg/bug.py", cwd=tmp_path, preexec_fn=without_root_powers)
    finally:
        path.parent.chmod(0o755)
    assert result.returncode == 2 and "cannot write the fix: Permission denied" in result.stderr
    assert path.read_text() == BUG


def edit_during_check(monkeypatch, edit):
    """The real engine, with ``edit(path)`` done to the file while it checks it (as an
    editor saving, or a branch switch, would)."""
    check_source = engine.check_source

    def check_then_edit(source, path, *args, **kwargs):
        result = check_source(source, path, *args, **kwargs)
        edit(Path(path))
        return result

    monkeypatch.setattr(engine, "check_source", check_then_edit)


def test_fix_is_not_written_over_a_save_made_during_the_check(tmp_path, monkeypatch):
    path = write(tmp_path, "bug.py", BUG)
    edit_during_check(monkeypatch, lambda p: p.write_text(BUG + "# saved meanwhile\n"))
    (result,) = lint_paths([path], fix="safe")
    assert result.errors == [f"{path}: file changed on disk, not fixed"] and result.fixed_count == 0
    assert path.read_text() == BUG + "# saved meanwhile\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bug.py"]


def test_fix_does_not_recreate_a_file_deleted_during_the_check(tmp_path, monkeypatch):
    path = write(tmp_path, "bug.py", BUG)
    edit_during_check(monkeypatch, Path.unlink)
    (result,) = lint_paths([path], fix="safe")
    assert result.errors == [f"{path}: cannot write the fix: No such file or directory"]
    assert list(tmp_path.iterdir()) == []
