"""nanlint over whole real trees with every fix applied: no crash, no broken file.

    python benchmarks/corpus_check.py                    # stdlib, transformers, keras, torch
    python benchmarks/corpus_check.py --corpus keras==3.15.1 --corpus stdlib

Too slow for the test suite (minutes per corpus); run it after a change to a rule or
the engine and record its table. Each corpus is the running Python's standard library
(``stdlib``) or a pinned wheel from PyPI, unpacked under ``benchmarks/corpora/`` (as
``run.py`` does). For each, in a scratch copy of the tree and with the pre-filter off
(every file is parsed, whatever it imports):

1. ``nanlint --fix --unsafe-fixes --diff`` reports what it would change;
2. ``nanlint --fix --unsafe-fixes`` changes the copy;
3. every changed file must compile, and be exactly the files the diff named;
4. ``nanlint --fix --unsafe-fixes`` again must change nothing (fixing is idempotent).

A crash is an exit status other than 0/1/2, a traceback, or an "internal error" line.
The table gives files, findings (of the first run, from ``--statistics``), changed
files, crashes, files that do not compile after the fix, and seconds per step. The
exit status is 1 if any corpus has a crash or a broken file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from run import HERE, REPO, environment, fetch

DEFAULT_CORPORA = ("stdlib", "transformers==5.23.0", "keras==3.15.1", "torch==2.13.0")
_DIFF_FILE = re.compile(r"^\+\+\+ (.+?)(?:\t.*)?$", re.MULTILINE)


@dataclass
class Outcome:
    corpus: str
    files: int = 0
    findings: int = 0
    diffed: int = 0
    changed: int = 0
    crashes: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    not_idempotent: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.crashes or self.broken or self.mismatched or self.not_idempotent)


def source_tree(requirement: str, corpora: Path) -> Path:
    if requirement == "stdlib":
        return Path(sysconfig.get_paths()["stdlib"])
    return fetch(requirement, corpora)


def python_files(root: Path) -> dict[str, str]:
    """{path relative to root: sha256} of every ``.py`` file (symbolic links not followed)."""
    found = {}
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in ("__pycache__", "site-packages"))
        for name in names:
            path = Path(folder, name)
            if name.endswith(".py") and path.is_file() and not path.is_symlink():
                found[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def run(args: list[str], cwd: Path, outcome: Outcome, step: str) -> subprocess.CompletedProcess:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "nanlint", *args], cwd=cwd, env=environment(),
                            capture_output=True, text=True, errors="replace")
    outcome.seconds[step] = time.perf_counter() - start
    if result.returncode not in (0, 1, 2) or "Traceback" in result.stderr:
        outcome.crashes.append(f"{step}: exit {result.returncode}: {result.stderr.strip()[-1500:]}")
    outcome.crashes += [f"{step}: {line}" for line in result.stderr.splitlines() if "internal error" in line]
    return result


def compiles(path: Path) -> bool:
    try:
        compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def check(requirement: str, corpora: Path, jobs: str) -> Outcome:
    outcome = Outcome(requirement)
    original = source_tree(requirement, corpora)
    with tempfile.TemporaryDirectory(prefix="nanlint-corpus-") as scratch:
        tree = Path(scratch) / "tree"
        shutil.copytree(original, tree, symlinks=True,
                        ignore=shutil.ignore_patterns("__pycache__", "site-packages", "*.so", "*.pyc"))
        config = Path(scratch) / "nanlint.toml"
        config.write_text("respect-gitignore = false\nprefilter = false\n")
        common = ["--config", str(config), "--no-cache", "--jobs", jobs, "--exit-zero"]
        before = python_files(tree)
        outcome.files = len(before)

        stats = run([*common, "--unsafe-fixes", "--statistics", "--format", "json", "."], tree, outcome, "lint")
        try:
            outcome.findings = sum(row["count"] for row in json.loads(stats.stdout or "[]"))
        except (ValueError, KeyError, TypeError):
            outcome.crashes.append(f"lint: --statistics --format json is not JSON: {stats.stdout[:200]!r}")
        diff = run([*common, "--fix", "--unsafe-fixes", "--diff", "."], tree, outcome, "diff")
        diffed = {os.path.normpath(name.removeprefix("b/")) for name in _DIFF_FILE.findall(diff.stdout)}
        outcome.diffed = len(diffed)
        if python_files(tree) != before:
            outcome.mismatched.append("--diff wrote to the tree")

        run([*common, "--fix", "--unsafe-fixes", "."], tree, outcome, "fix")
        after = python_files(tree)
        changed = {name for name, digest in after.items() if before.get(name) != digest}
        outcome.changed = len(changed)
        outcome.broken = sorted(name for name in changed if not compiles(tree / name))
        outcome.mismatched += [f"changed but not in the diff: {name}" for name in sorted(changed - diffed)]
        outcome.mismatched += [f"in the diff but not changed: {name}" for name in sorted(diffed - changed)]

        run([*common, "--fix", "--unsafe-fixes", "."], tree, outcome, "fix again")
        again = python_files(tree)
        outcome.not_idempotent = sorted(name for name, digest in again.items() if after.get(name) != digest)
    return outcome


def table(outcomes: list[Outcome]) -> str:
    lines = ["| corpus | files | findings | diffed | changed | crashes | broken after fix | lint s | diff s "
             "| fix s | fix again s |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for o in outcomes:
        s = o.seconds
        lines.append(f"| {o.corpus} | {o.files} | {o.findings} | {o.diffed} | {o.changed} | {len(o.crashes)} | "
                     f"{len(o.broken)} | {s.get('lint', 0):.0f} | {s.get('diff', 0):.0f} | {s.get('fix', 0):.0f} | "
                     f"{s.get('fix again', 0):.0f} |")
    return "\n".join(lines)


def nanlint_version() -> str:
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=REPO, capture_output=True, text=True)
    version = subprocess.run([sys.executable, "-m", "nanlint", "--version"], cwd=REPO, env=environment(),
                             capture_output=True, text=True)
    return f"{version.stdout.split()[-1] if version.stdout else '?'} ({commit.stdout.strip() or 'no git'})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", action="append", metavar="NAME==VERSION",
                        help=f"`stdlib` or a pinned PyPI package (default: {', '.join(DEFAULT_CORPORA)})")
    parser.add_argument("--corpora", type=Path, default=HERE / "corpora", help="where wheels are unpacked")
    parser.add_argument("--jobs", default=str(os.cpu_count() or 1), help="nanlint's --jobs (default: all cores)")
    args = parser.parse_args()
    outcomes = []
    for requirement in args.corpus or DEFAULT_CORPORA:
        outcome = check(requirement, args.corpora, args.jobs)
        outcomes.append(outcome)
        print(f"{requirement}: {'ok' if outcome.ok else 'FAILED'} ({outcome.files} files, "
              f"{outcome.findings} findings, {outcome.changed} fixed)", file=sys.stderr, flush=True)
        for problem in (*outcome.crashes, *outcome.broken, *outcome.mismatched, *outcome.not_idempotent):
            print(f"  {problem}", file=sys.stderr)
    print(f"nanlint corpus check, nanlint {nanlint_version()}, Python {sys.version.split()[0]}\n")
    print(table(outcomes))
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
