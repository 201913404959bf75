"""Parallel runs and the cache give exactly the findings of a serial, uncached run.

The pool is real (worker processes, checked by their process ids), and so is the
cache (entries on disk, corrupted, replaced, written by concurrent processes). The
command line runs as a subprocess, as users and pre-commit run it. Nothing here is
timed: speed is measured by ``benchmarks/run.py``.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

import nanlint
from nanlint import cache as cache_module
from nanlint import parallel
from nanlint.cache import Cache, build_key
from nanlint.config import Config
from nanlint.finding import FileResult, Finding
from nanlint.runner import lint_file, lint_paths

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"

BUG = "import torch\n\nx = torch.randn(2, 3)\ny = torch.log(torch.softmax(x, dim=1))\n"
FIXED = "import torch\n\nx = torch.randn(2, 3)\ny = torch.log_softmax(x, dim=1)\n"
# A finding without a fix (NAN301 offers none).
NO_FIX = "import torch\n\nmodel = torch.nn.Linear(2, 2)\nopt = torch.optim.Adam(model.parameters(), lr=5.0)\n"


def nanlint_cli(*args, cwd):
    pythonpath = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "nanlint", *map(str, args)], cwd=cwd, capture_output=True, text=True,
        timeout=600, env={**os.environ, "PYTHONPATH": pythonpath},
    )


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def outcome(results: list[FileResult], root: Path | None = None) -> list[tuple]:
    """Everything a report shows of a run, in order; paths relative to ``root`` if given."""
    def where(path: str) -> str:
        return path if root is None else Path(path).relative_to(root).as_posix()
    return [(where(r.path), [{**f.to_json(), "path": where(f.path)} for f in r.findings], r.errors, r.fixed_source)
            for r in results]


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*/*.json"))


@pytest.fixture
def fixtures_copy(tmp_path):
    """The fixtures (scripts and notebooks), three times over: enough source for a pool."""
    for copy in ("a", "b", "c"):
        shutil.copytree(FIXTURES, tmp_path / "project" / copy, ignore=shutil.ignore_patterns("*.md"))
    return tmp_path / "project"


@pytest.fixture
def reference(fixtures_copy):
    """The serial, uncached findings."""
    return outcome(lint_paths([fixtures_copy], jobs=1))


# The pool


def pid_check(path: str, config: Config) -> FileResult:
    return FileResult(path=path, errors=[str(os.getpid())])


def sized_files(root: Path, count: int, size: int) -> list[str]:
    """Files of about ``size`` bytes, in no order of size (the pool reorders by size)."""
    return [str(write(root, f"m{i:03}.py", "x = 1\n" * (size // 6 + i * 37 % count))) for i in range(count)]


def test_pool_returns_results_in_input_order_from_worker_processes(tmp_path):
    paths = sized_files(tmp_path, 60, parallel.SERIAL_BYTES // 20)
    results = parallel.check_files(pid_check, paths, [Config()] * len(paths), jobs=2)
    assert [r.path for r in results] == paths
    pids = {r.errors[0] for r in results}
    assert len(pids) == 2 and str(os.getpid()) not in pids


def overlap_check(path: str, config: Config) -> FileResult:
    """For a large file: how many other large files were being checked at the same time."""
    if os.path.getsize(path) < LARGE:
        return FileResult(path)
    marker = Path(path + ".running")
    marker.touch()
    seen = {p for p in marker.parent.glob("*.running") if p != marker}
    time.sleep(0.1)  # gives an overlap, if the scheduler allows one, the time to show
    seen |= {p for p in marker.parent.glob("*.running") if p != marker}
    marker.unlink()
    return FileResult(path, errors=[str(len(seen))])


LARGE = 50_000


def test_large_files_are_not_parsed_side_by_side(tmp_path, monkeypatch):
    monkeypatch.setattr(parallel, "PER_WORKER_BYTES", LARGE // 2)
    paths = sized_files(tmp_path, 30, 3_000) + [str(write(tmp_path, f"big{i}.py", "x = 1\n" * (LARGE // 5)))
                                               for i in range(3)]
    results = parallel.check_files(overlap_check, paths, [Config()] * len(paths), jobs=3)
    assert [r.errors for r in results if r.errors] == [["0"]] * 3


def test_small_runs_stay_in_this_process(tmp_path):
    paths = sized_files(tmp_path, 5, 100)
    results = parallel.check_files(pid_check, paths, [Config()] * len(paths), jobs=4)
    assert {r.errors[0] for r in results} == {str(os.getpid())}
    (one,) = parallel.check_files(pid_check, paths[:1], [Config()], jobs=None)
    assert one.errors == [str(os.getpid())]


def test_parallel_findings_equal_serial_findings(fixtures_copy, reference, monkeypatch):
    monkeypatch.setattr(parallel, "SERIAL_BYTES", 0)  # a pool even for small files
    assert outcome(lint_paths([fixtures_copy], jobs=2)) == reference
    assert any(findings for _, findings, _, _ in reference)


def test_parallel_fix_equals_serial_fix(fixtures_copy, tmp_path, monkeypatch):
    serial_copy = tmp_path / "serial"
    shutil.copytree(fixtures_copy, serial_copy)
    serial = outcome(lint_paths([serial_copy], fix="unsafe", jobs=1), serial_copy)
    monkeypatch.setattr(parallel, "SERIAL_BYTES", 0)
    pooled = outcome(lint_paths([fixtures_copy], fix="unsafe", jobs=2), fixtures_copy)
    assert pooled == serial
    assert any(fixed is not None for *_, fixed in serial)
    for path in serial_copy.rglob("*.py"):
        assert path.read_bytes() == (fixtures_copy / path.relative_to(serial_copy)).read_bytes()


def test_command_line_jobs_give_the_same_report(fixtures_copy):
    one = nanlint_cli("--no-cache", "--format", "json", "--jobs", "1", ".", cwd=fixtures_copy)
    two = nanlint_cli("--no-cache", "--format", "json", "--jobs", "2", ".", cwd=fixtures_copy)
    default = nanlint_cli("--no-cache", "--format", "json", ".", cwd=fixtures_copy)
    assert one.returncode == 1 and json.loads(one.stdout)
    assert (two.returncode, two.stdout, two.stderr) == (one.returncode, one.stdout, one.stderr)
    assert (default.returncode, default.stdout) == (one.returncode, one.stdout)


@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_bad_jobs_is_a_usage_error(tmp_path, value):
    result = nanlint_cli("--jobs", value, ".", cwd=tmp_path)
    assert result.returncode == 2 and "--jobs" in result.stderr


# The cache gives what a check gives


def test_cached_findings_equal_uncached_findings(fixtures_copy, reference, tmp_path):
    folder = tmp_path / "cache"
    cold = outcome(lint_paths([fixtures_copy], cache=True, cache_dir=folder))
    assert entries(folder)
    warm = outcome(lint_paths([fixtures_copy], cache=True, cache_dir=folder))
    assert cold == reference and warm == reference


def test_warm_findings_come_from_the_cache(tmp_path):
    path = write(tmp_path, "bug.py", BUG)
    folder = tmp_path / "cache"
    (cold,) = lint_paths([path], cache=True, cache_dir=folder)
    (entry,) = entries(folder)
    stored = json.loads(entry.read_text())
    stored["findings"][0]["message"] = "read from the cache"
    entry.write_text(json.dumps(stored))
    (warm,) = lint_paths([path], cache=True, cache_dir=folder)
    assert [f.message for f in warm.findings] == ["read from the cache"]
    assert [replace(f, message="") for f in warm.findings] == [replace(f, message="") for f in cold.findings]


def test_parallel_cached_run_equals_serial_uncached(fixtures_copy, reference, tmp_path, monkeypatch):
    monkeypatch.setattr(parallel, "SERIAL_BYTES", 0)
    folder = tmp_path / "cache"
    for _ in range(2):  # cold, then warm
        assert outcome(lint_paths([fixtures_copy], jobs=2, cache=True, cache_dir=folder)) == reference


def test_cache_entries_round_trip_every_field(fixtures_copy, tmp_path):
    """Fixes, edits and notebook cells come back as they went in."""
    results = lint_paths([fixtures_copy], fix=None)
    findings = [f for r in results for f in r.findings]
    assert any(f.fix and f.fix.edits for f in findings) and any(f.cell for f in findings)
    store = Cache(tmp_path / "cache")
    for result in results:
        data = Path(result.path).read_bytes()
        store.store(result.path, data, Config(), result)
        assert store.load(result.path, data, Config()) == result.findings


# Invalidation


def test_an_edited_file_is_checked_again(tmp_path):
    path = write(tmp_path, "m.py", BUG)
    folder = tmp_path / "cache"
    assert [f.code for f in lint_paths([path], cache=True, cache_dir=folder)[0].findings] == ["NAN101"]
    path.write_text(FIXED)
    assert lint_paths([path], cache=True, cache_dir=folder)[0].findings == []
    assert len(entries(folder)) == 1  # the entry was replaced, not added to


def test_another_configuration_is_checked_again(tmp_path):
    path = write(tmp_path, "m.py", BUG)
    folder = tmp_path / "cache"
    assert lint_paths([path], cache=True, cache_dir=folder)[0].findings
    assert lint_paths([path], cache=True, cache_dir=folder, overrides={"ignore": ("NAN101",)})[0].findings == []
    assert nanlint_cli("m.py", cwd=tmp_path).returncode == 1
    write(tmp_path, "nanlint.toml", 'ignore = ["NAN1"]\n')
    assert nanlint_cli("m.py", cwd=tmp_path).returncode == 0
    write(tmp_path, "nanlint.toml", 'fix-style = "clamp"\n')
    clamp = nanlint_cli("--format", "json", "m.py", cwd=tmp_path)
    (found,) = json.loads(clamp.stdout)
    assert found["code"] == "NAN101"


def test_another_build_does_not_read_the_entries(tmp_path):
    path = str(write(tmp_path, "bug.py", BUG))
    data = Path(path).read_bytes()
    result = lint_file(path, Config())
    Cache(tmp_path, build="a" * 32).store(path, data, Config(), result)
    assert Cache(tmp_path, build="a" * 32).load(path, data, Config()) == result.findings
    assert Cache(tmp_path, build="b" * 32).load(path, data, Config()) is None


def test_the_build_key_follows_the_version_and_the_code(tmp_path, monkeypatch):
    fresh = build_key.__wrapped__  # the key without its per-process memo
    package = Path(nanlint.__file__).parent
    copy = tmp_path / "nanlint"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(nanlint, "__file__", str(copy / "__init__.py"))
    original = fresh()
    assert fresh() == original
    rule = next((copy / "rules").glob("log_*.py"))
    rule.write_text(rule.read_text() + "\n# an edited rule\n")
    edited = fresh()
    assert edited != original
    monkeypatch.setattr(nanlint, "__version__", "999.0")
    assert fresh() not in (edited, original)


def test_findings_that_depend_on_other_files_are_not_kept(tmp_path):
    write(tmp_path, "settings.py", "LR = 0.001\n")
    write(tmp_path, "train.py", "import torch\nfrom settings import LR\nmodel = torch.nn.Linear(2, 2)\n"
                                "opt = torch.optim.Adam(model.parameters(), lr=LR)\n")
    first = nanlint_cli("train.py", cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    write(tmp_path, "settings.py", "LR = 5.0\n")
    second = nanlint_cli("train.py", cwd=tmp_path)
    assert second.returncode == 1 and "NAN301" in second.stdout


# Fix runs


def test_fix_run_fixes_a_file_whose_findings_are_cached(tmp_path):
    write(tmp_path, "bug.py", BUG)
    assert nanlint_cli(".", cwd=tmp_path).returncode == 1  # the finding is now cached
    fixed = nanlint_cli("--fix", ".", cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stdout
    assert (tmp_path / "bug.py").read_text() == FIXED
    again = nanlint_cli(".", cwd=tmp_path)
    assert (again.returncode, again.stdout.strip()) == (0, "All checks passed!")


def test_diff_with_a_warm_cache_still_shows_the_fix(tmp_path):
    write(tmp_path, "bug.py", BUG)
    nanlint_cli(".", cwd=tmp_path)
    diff = nanlint_cli("--diff", ".", cwd=tmp_path)
    assert diff.returncode == 1 and "+y = torch.log_softmax(x, dim=1)" in diff.stdout
    assert (tmp_path / "bug.py").read_text() == BUG


def test_fix_run_serves_findings_without_fixes_from_the_cache(tmp_path):
    path = write(tmp_path, "m.py", NO_FIX)
    folder = tmp_path / "cache"
    lint_paths([path], cache=True, cache_dir=folder)
    (entry,) = entries(folder)
    stored = json.loads(entry.read_text())
    stored["findings"][0]["message"] = "read from the cache"
    entry.write_text(json.dumps(stored))
    (result,) = lint_paths([path], fix="unsafe", cache=True, cache_dir=folder)
    assert [f.message for f in result.findings] == ["read from the cache"]


# A broken cache is ignored and rebuilt


CORRUPTIONS = {
    "empty": b"",
    "truncated": b'{"key": "',
    "not json": b"\x00\xff\xfe garbage",
    "a list": b"[]",
    "wrong key": None,  # filled in by the test: the entry of the same text elsewhere, with other findings
    "missing fields": b'{"key": "KEY", "content": "CONTENT", "findings": [{"line": 1}]}',
    "findings not a list": b'{"key": "KEY", "content": "CONTENT", "findings": 3}',
    "deep nesting": b"[" * 100_000,
}


@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
def test_a_corrupt_entry_is_ignored_and_rewritten(tmp_path, kind):
    path = write(tmp_path, "bug.py", BUG)
    other = write(tmp_path, "other.py", BUG)
    folder = tmp_path / "cache"
    (expected,) = lint_paths([path])
    lint_paths([path], cache=True, cache_dir=folder)
    (own,) = entries(folder)
    assert lint_paths([other], cache=True, cache_dir=folder, overrides={"ignore": ("NAN101",)})[0].findings == []
    (foreign,) = set(entries(folder)) - {own}
    stored = json.loads(own.read_text())
    damage = CORRUPTIONS[kind]
    if damage is None:
        damage = foreign.read_bytes()
    own.write_bytes(damage.replace(b"KEY", stored["key"].encode()).replace(b"CONTENT", stored["content"].encode()))
    (result,) = lint_paths([path], cache=True, cache_dir=folder)
    assert outcome([result]) == outcome([expected])
    assert json.loads(own.read_text()) == stored  # rebuilt


def test_a_cache_that_cannot_be_written_leaves_the_run_uncached(tmp_path):
    write(tmp_path, "bug.py", BUG)
    write(tmp_path, "blocker", "a file where the cache folder would go\n")
    result = nanlint_cli("--cache-dir", "blocker/cache", "bug.py", cwd=tmp_path)
    assert result.returncode == 1 and "NAN101" in result.stdout and result.stderr == ""


def test_cache_dir_that_is_a_file_is_a_usage_error(tmp_path):
    write(tmp_path, "bug.py", BUG)
    write(tmp_path, "file", "")
    result = nanlint_cli("--cache-dir", "file", "bug.py", cwd=tmp_path)
    assert result.returncode == 2 and "--cache-dir" in result.stderr


# Concurrent runs


def _store_forever(folder: str, path: str, message: str, count: int) -> None:
    data = Path(path).read_bytes()
    finding = Finding(path, 1, 1, 1, 2, "NAN101", "log-of-softmax", "error", message)
    store = Cache(folder, build="c" * 32)
    for _ in range(count):
        store.store(path, data, Config(), FileResult(path, findings=[finding]))


def test_concurrent_writers_never_expose_a_partial_entry(tmp_path):
    path = str(write(tmp_path, "m.py", BUG))
    folder = str(tmp_path / "cache")
    _store_forever(folder, path, "first", 1)
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_store_forever, args=(folder, path, message, 300))
               for message in ("a" * 5000, "b" * 7000)]
    for writer in writers:
        writer.start()
    seen = set()
    reader = Cache(folder, build="c" * 32)
    data = Path(path).read_bytes()
    while any(writer.is_alive() for writer in writers):
        (finding,) = reader.load(path, data, Config())
        seen.add(finding.message[:1])
    for writer in writers:
        writer.join()
        assert writer.exitcode == 0
    (last,) = reader.load(path, data, Config())
    assert seen <= {"f", "a", "b"} and last.message[:1] in {"a", "b"}
    assert not [p for p in Path(folder).rglob(".tmp-*")]


def test_concurrent_command_line_runs_agree_and_leave_a_sound_cache(fixtures_copy, reference):
    runs = [subprocess.Popen([sys.executable, "-m", "nanlint", "--format", "json", "--exit-zero", "."],
                             cwd=fixtures_copy, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(REPO)})
            for _ in range(4)]
    outputs = [run.communicate(timeout=600) for run in runs]
    assert {run.returncode for run in runs} == {0}
    assert len({stdout for stdout, _ in outputs}) == 1 and all(stderr == "" for _, stderr in outputs)
    folder = fixtures_copy / ".nanlint_cache"
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"
    assert outcome(lint_paths([fixtures_copy], cache=True, cache_dir=folder)) == reference
    assert not [p for p in folder.rglob(".tmp-*")]


def test_the_cache_folder_stays_out_of_git(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    write(tmp_path, "bug.py", BUG)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True, env=env)
    nanlint_cli("bug.py", cwd=tmp_path)
    assert (tmp_path / ".nanlint_cache").is_dir()
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=tmp_path,
                            capture_output=True, text=True, check=True, env=env).stdout
    assert status.splitlines() == ["?? bug.py"]


def test_the_cache_lives_beside_the_configuration(tmp_path):
    write(tmp_path, "project/pyproject.toml", "[tool.nanlint]\n")
    write(tmp_path, "project/src/bug.py", BUG)
    assert nanlint_cli("project/src", cwd=tmp_path).returncode == 1
    assert (tmp_path / "project" / ".nanlint_cache").is_dir()
    assert not (tmp_path / ".nanlint_cache").exists()


def test_no_cache_writes_nothing(tmp_path):
    write(tmp_path, "bug.py", BUG)
    assert nanlint_cli("--no-cache", "bug.py", cwd=tmp_path).returncode == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bug.py"]


def test_stale_builds_are_removed_and_other_folders_kept(tmp_path):
    folder = tmp_path / "cache"
    old, recent, other = folder / ("d" * 32), folder / ("e" * 32), folder / "keep-me"
    for stale in (old, recent, other):
        stale.mkdir(parents=True)
    week_ago = os.path.getmtime(folder) - cache_module.STALE_SECONDS - 60
    for stale in (old, other):
        os.utime(stale, (week_ago, week_ago))
    path = write(tmp_path, "bug.py", BUG)
    lint_paths([path], cache=True, cache_dir=folder)
    assert not old.exists() and recent.exists() and other.exists()
    assert (folder / build_key()).is_dir()
