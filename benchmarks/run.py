"""nanlint's speed and memory against its floors and its peers, on real ML code.

    python benchmarks/run.py                     # transformers and keras, 3 repetitions
    python benchmarks/run.py --corpus keras==3.15.1 --repeat 5
    python benchmarks/run.py --profile           # also: where nanlint's cold time goes

Each corpus is a pinned wheel from PyPI (``pip download --no-deps``), unpacked under
``benchmarks/corpora/``. Every row runs as its own process, ``--repeat`` times, the
rows interleaved so that a burst of load elsewhere on the machine spreads over all
of them; the table gives the minimum and the median. The slow rows, whose ratios to
nanlint are far from their targets (the naive linter, TorchFix, flake8, the reference
rows without the pre-filter), run ``--slow-repeat`` times (default once). Rows:

- the floors, one process, over the files nanlint parses (those the pre-filter lets
  through): libcst's parse alone, and a naive libcst linter (parse, then
  ``QualifiedNameProvider``, ``ScopeProvider`` and ``PositionProvider``);
- nanlint cold (``--no-cache``) with ``--jobs 1`` and with its default jobs, and with
  ``--jobs 1`` and the pre-filter off;
- nanlint warm: the default jobs again, with the cache a first run wrote;
- the peers, on the same files: TorchFix, flake8's default checks, ``ruff check``.
  ``--setup-peers`` installs pinned versions, each in a virtual environment of its own
  under ``benchmarks/.work/peers/`` (TorchFix pins an older libcst and registers a
  flake8 plugin; flake8 must run without plugins, nanlint's own included, to measure
  its default checks); those are used when present, else the tools on PATH, else the
  row is left out. ``--torchfix``, ``--flake8`` and ``--ruff`` name other executables.

Peak memory is the largest sum, over the run's processes, of their proportional set
size (PSS: shared pages split between the processes that share them), sampled every
50 ms. Results go to stdout as Markdown and to ``benchmarks/.work/`` as JSON.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / ".work"
DEFAULT_CORPORA = ("transformers==5.23.0", "keras==3.15.1")
TARGETS = {
    "nanlint cold -j1 / libcst parse": 3.0,
    "nanlint cold -j1 / naive libcst linter": 0.5,
    "nanlint warm / nanlint cold": 0.05,
}
MIN_SPEEDUP_OVER_TORCHFIX = 3.0
MAX_PEAK_MB = 500
PEERS = {"torchfix": "torchfix==0.7.0", "flake8": "flake8==7.5.0", "ruff": "ruff==0.17.6"}


# -- corpora ---------------------------------------------------------------------------


def fetch(requirement: str, corpora: Path) -> Path:
    """The unpacked wheel of ``name==version``, downloaded on first use."""
    name, _, version = requirement.partition("==")
    if not version:
        raise SystemExit(f"run.py: pin the corpus version: {requirement!r} (e.g. keras==3.15.1)")
    target = corpora / f"{name}-{version}"
    if target.is_dir():
        return target
    wheels = corpora / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
                    "--dest", str(wheels), requirement], check=True, stdout=sys.stderr)
    normalized = name.replace("-", "_").lower()
    (wheel,) = [w for w in wheels.glob("*.whl")  # a local build is named like torch-2.13.0+cpu-...
                if w.name.lower().startswith((f"{normalized}-{version}-", f"{normalized}-{version}+"))]
    partial = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=corpora))
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(partial)
    partial.rename(target)
    return target


@dataclass
class Corpus:
    name: str
    root: Path
    files: list[str]  # what nanlint checks: its own discovery
    parsed: list[str]  # those the pre-filter lets through to libcst
    lines: int
    parsed_lines: int


def survey(requirement: str, root: Path) -> Corpus:
    from nanlint.config import Config
    from nanlint.discovery import discover
    from nanlint.prefilter import may_trigger
    from nanlint.source import SourceError, decode

    config = Config(root=str(root), respect_gitignore=False)
    files = discover([root], lambda path: config)
    parsed, lines, parsed_lines = [], 0, 0
    for path in files:
        data = Path(path).read_bytes()
        count = data.count(b"\n")
        lines += count
        try:
            text = decode(data).text
        except SourceError:
            continue
        if may_trigger(text):
            parsed.append(path)
            parsed_lines += count
    return Corpus(requirement, root, files, parsed, lines, parsed_lines)


# -- peers -----------------------------------------------------------------------------


def _peer_executable(tool: str) -> Path:
    scripts = "Scripts" if os.name == "nt" else "bin"
    return WORK / "peers" / tool / scripts / tool


def setup_peers() -> None:
    for tool, requirement in PEERS.items():
        if not _peer_executable(tool).exists():
            subprocess.run([sys.executable, "-m", "venv", str(WORK / "peers" / tool)], check=True)
            pip = _peer_executable(tool).with_name("python")
            subprocess.run([str(pip), "-m", "pip", "install", "--quiet", requirement], check=True)


def find_peer(tool: str) -> str | None:
    own = _peer_executable(tool)
    return str(own) if own.exists() else shutil.which(tool)


# -- measuring one process ---------------------------------------------------------------


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, ()))
    return found


def _memory_kb(pid: int) -> int:
    """The process's proportional set size where the kernel reports it, else its RSS."""
    for name, key in (("smaps_rollup", "Pss:"), ("status", "VmRSS:")):
        try:
            with open(f"/proc/{pid}/{name}") as handle:
                for line in handle:
                    if line.startswith(key):
                        return int(line.split()[1])
        except OSError:
            pass
    return 0


@dataclass
class Sample:
    wall: float
    cpu: float
    peak_mb: float
    status: int


def measure(command: list[str], cwd: Path, env: dict[str, str] | None = None, statuses: tuple[int, ...] = (0,)
            ) -> Sample:
    """Run ``command`` and measure its wall time, CPU time (its processes together) and
    peak memory (the largest sum over its process tree); another exit status than
    ``statuses`` stops the benchmark (a tool that failed to start is not fast)."""
    peak = [0]
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], sum(map(_memory_kb, _tree(process.pid))))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    if process.returncode not in statuses:
        raise SystemExit(f"run.py: {' '.join(command[:4])}... failed ({process.returncode}):\n"
                         f"{stderr.decode(errors='replace')[-2000:]}")
    return Sample(wall, usage.ru_utime + usage.ru_stime, peak[0] / 1024, process.returncode)


# -- the floors, run in a process of their own -----------------------------------------


def floor(kind: str, list_file: str) -> None:
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider, QualifiedNameProvider, ScopeProvider

    for path in Path(list_file).read_text().splitlines():
        data = Path(path).read_bytes()
        try:
            module = cst.parse_module(data)
        except (cst.ParserSyntaxError, RecursionError):
            continue
        if kind == "naive":
            MetadataWrapper(module).resolve_many([QualifiedNameProvider, ScopeProvider, PositionProvider])


# -- rows ----------------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    command: list[str]
    files: int
    lines: int
    slow: bool = False
    peer: bool = False  # run without the checkout on PYTHONPATH
    statuses: tuple[int, ...] = (0,)  # the exit statuses of a run that worked
    samples: list[Sample] = field(default_factory=list)

    def stat(self, attribute: str, how) -> float:
        return how([getattr(s, attribute) for s in self.samples])


def _version(command: list[str]) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except OSError:
        return "?"
    return " ".join((out.stdout or out.stderr).split()) or "?"


def rows_for(corpus: Corpus, tools: dict[str, str | None], work: Path, skip: set[str], only: set[str]
             ) -> tuple[list[Row], Path]:
    python = sys.executable
    lists = work / corpus.name.replace("==", "-")
    lists.mkdir(parents=True, exist_ok=True)
    parsed_list = lists / "parsed.txt"
    parsed_list.write_text("\n".join(corpus.parsed) + "\n")
    all_list = lists / "all.txt"
    all_list.write_text("\n".join(corpus.files) + "\n")
    on, off = lists / "nanlint.toml", lists / "nanlint-no-prefilter.toml"
    on.write_text("respect-gitignore = false\n")
    off.write_text("respect-gitignore = false\nprefilter = false\n")
    cache = lists / "cache"
    nanlint = [python, "-m", "nanlint", "--exit-zero", "--quiet"]
    here = str(Path(__file__).resolve())
    py_files = [f for f in corpus.files if f.endswith(".py")]
    n, lines, pn, plines = len(corpus.files), corpus.lines, len(corpus.parsed), corpus.parsed_lines
    rows = [
        Row("libcst parse (files nanlint parses)", [python, here, "--floor", "parse", str(parsed_list)], pn, plines),
        Row("libcst parse (all files)", [python, here, "--floor", "parse", str(all_list)], n, lines, slow=True),
        Row("naive libcst linter (files nanlint parses)", [python, here, "--floor", "naive", str(parsed_list)],
            pn, plines, slow=True),
        Row("nanlint cold -j1", [*nanlint, "--config", str(on), "--no-cache", "-j", "1", str(corpus.root)], n, lines),
        Row("nanlint cold", [*nanlint, "--config", str(on), "--no-cache", str(corpus.root)], n, lines),
        Row("nanlint cold -j1, no pre-filter", [*nanlint, "--config", str(off), "--no-cache", "-j", "1",
                                                str(corpus.root)], n, lines, slow=True),
        Row("nanlint warm", [*nanlint, "--config", str(on), "--cache-dir", str(cache), str(corpus.root)], n, lines),
    ]
    if tools.get("torchfix"):
        rows.append(Row("torchfix", [tools["torchfix"], *py_files], len(py_files), lines, slow=True, peer=True,
                        statuses=(0, 1)))
    if tools.get("flake8"):
        rows.append(Row("flake8 (default checks)", [tools["flake8"], "--isolated", "--exit-zero", *py_files],
                        len(py_files), lines, slow=True, peer=True))
    if tools.get("ruff"):
        rows.append(Row("ruff check", [tools["ruff"], "check", "--isolated", "--no-cache", "--exit-zero", *py_files],
                        len(py_files), lines, peer=True))
    return [row for row in rows if row.name not in skip and (not only or row.name in only)], cache


def environment(peer: bool = False) -> dict[str, str]:
    """nanlint's environment: the checkout importable. A peer's: the checkout not on
    PYTHONPATH, where its ``nanlint.egg-info`` would make flake8 load nanlint's plugin."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("NANLINT_")}
    if peer:
        env.pop("PYTHONPATH", None)
    else:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return env


def run_corpus(corpus: Corpus, tools: dict[str, str | None], repeat: int, slow_repeat: int,
               skip: set[str], only: set[str]) -> list[Row]:
    rows, cache = rows_for(corpus, tools, WORK, skip, only)
    shutil.rmtree(cache, ignore_errors=True)
    warm = next((row for row in rows if row.name == "nanlint warm"), None)
    if warm is not None:
        print(f"  {corpus.name}: writing the cache for the warm runs", file=sys.stderr, flush=True)
        measure(warm.command, REPO, environment())
    for round_ in range(1, repeat + 1):
        for row in rows:
            if row.slow and round_ > slow_repeat:
                continue
            sample = measure(row.command, REPO, environment(row.peer), row.statuses)
            row.samples.append(sample)
            print(f"  {corpus.name} [{round_}/{repeat}] {row.name}: {sample.wall:.2f} s wall, {sample.cpu:.2f} s CPU, "
                  f"{sample.peak_mb:.0f} MB", file=sys.stderr, flush=True)
    return rows


# -- reporting --------------------------------------------------------------------------------


def _by_name(rows: list[Row]) -> dict[str, Row]:
    return {row.name: row for row in rows}


def ratios(rows: list[Row]) -> list[tuple[str, float, float, float, str]]:
    """(name, by min wall, by median wall, by min CPU, verdict) for each ratio both rows of
    which were measured."""
    named = _by_name(rows)
    pairs = [
        ("nanlint cold -j1 / libcst parse", "nanlint cold -j1", "libcst parse (files nanlint parses)"),
        ("nanlint cold -j1 / naive libcst linter", "nanlint cold -j1", "naive libcst linter (files nanlint parses)"),
        ("nanlint cold -j1 / libcst parse (all files)", "nanlint cold -j1", "libcst parse (all files)"),
        ("torchfix / nanlint cold", "torchfix", "nanlint cold"),
        ("nanlint warm / nanlint cold", "nanlint warm", "nanlint cold"),
    ]
    out = []
    for label, top, bottom in pairs:
        if top not in named or bottom not in named:
            continue
        a, b = named[top], named[bottom]
        by_min = a.stat("wall", min) / b.stat("wall", min)
        by_median = a.stat("wall", statistics.median) / b.stat("wall", statistics.median)
        by_cpu = a.stat("cpu", min) / b.stat("cpu", min)
        if label in TARGETS:
            verdict = f"target < {TARGETS[label]:g}: {'met' if by_min < TARGETS[label] else 'missed'}"
        elif label.startswith("torchfix"):
            verdict = f"target >= {MIN_SPEEDUP_OVER_TORCHFIX:g}: " + (
                "met" if by_min >= MIN_SPEEDUP_OVER_TORCHFIX else "missed")
        else:
            verdict = ""
        out.append((label, by_min, by_median, by_cpu, verdict))
    return out


def markdown(corpus: Corpus, rows: list[Row]) -> str:
    lines = [f"### {corpus.name}: {len(corpus.files)} files, {corpus.lines:,} lines "
             f"({len(corpus.parsed)} files, {corpus.parsed_lines:,} lines import a framework)", "",
             "| run | files | lines | runs | wall min (s) | wall median (s) | CPU min (s) | files/s | peak MB |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        fastest = row.stat("wall", min)
        lines.append(f"| {row.name} | {row.files} | {row.lines:,} | {len(row.samples)} | {fastest:.2f} | "
                     f"{row.stat('wall', statistics.median):.2f} | {row.stat('cpu', min):.2f} | "
                     f"{row.files / fastest:.0f} | {row.stat('peak_mb', max):.0f} |")
    lines += ["", "| ratio | by min wall | by median wall | by min CPU | |", "|---|---:|---:|---:|---|"]
    lines += [f"| {label} | {a:.3f} | {b:.3f} | {c:.3f} | {verdict} |" for label, a, b, c, verdict in ratios(rows)]
    peak = max((row.stat("peak_mb", max) for row in rows if row.name.startswith("nanlint")), default=0)
    lines += ["", f"Peak memory of nanlint's runs: {peak:.0f} MB (target < {MAX_PEAK_MB} MB: "
                  f"{'met' if peak < MAX_PEAK_MB else 'missed'})."]
    return "\n".join(lines)


def machine(tools: dict[str, str | None]) -> dict[str, str]:
    from importlib import metadata

    import nanlint

    cpu = "?"
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), "?")
    except OSError:
        pass
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=REPO, capture_output=True, text=True)
    info = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="minutes"),
        "nanlint": f"{nanlint.__version__} ({commit.stdout.strip() or 'no git'})",
        "python": platform.python_version(),
        "libcst": metadata.version("libcst"),
        "machine": f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores, "
                   f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GB",
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    for name, command in (("torchfix", ["--version"]), ("flake8", ["--version"]), ("ruff", ["--version"])):
        if tools.get(name):
            info[name] = _version([tools[name], *command]).replace("\n", " ")
    return info


# -- the profile -----------------------------------------------------------------------------------

PHASES = (  # (phase, file suffix, function); the outermost matching frame counts
    ("libcst parse", "libcst/_parser/entrypoints.py", "parse_module"),
    ("positions of findings", "nanlint/engine.py", "_to_findings"),
    ("index, imports, values", "nanlint/context.py", "__init__"),
    ("rules", "", "check"),
)


def profile(corpus: Corpus, out: Path) -> dict[str, float]:
    """nanlint cold, one process, under pyinstrument: where the time goes."""
    from pyinstrument import Profiler

    from nanlint.runner import lint_paths

    config = out.with_suffix(".toml")
    config.write_text("respect-gitignore = false\n")
    profiler = Profiler(interval=0.005)
    profiler.start()
    lint_paths([corpus.root], config_file=config, jobs=1)
    profiler.stop()
    out.write_text(profiler.output_text(unicode=True, show_all=False))
    root = profiler.last_session.root_frame()
    totals = dict.fromkeys([phase for phase, _, _ in PHASES], 0.0)

    def visit(frame) -> None:
        for phase, suffix, function in PHASES:
            path = (frame.file_path or "").replace(os.sep, "/")
            in_rules = phase != "rules" or "/nanlint/rules/" in path
            if frame.function == function and path.endswith(suffix) and in_rules:
                totals[phase] += frame.time
                return
        for child in frame.children:
            visit(child)

    visit(root)
    totals["everything else (reading, decoding, pre-filter, discovery, report)"] = root.time - sum(totals.values())
    totals["total"] = root.time
    return totals


# -- main -----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", action="append", metavar="NAME==VERSION",
                        help=f"a pinned PyPI package to measure on (default: {', '.join(DEFAULT_CORPORA)})")
    parser.add_argument("--corpora", type=Path, default=HERE / "corpora", help="where corpora are unpacked")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of each row (default 3)")
    parser.add_argument("--slow-repeat", type=int, default=1, help="repetitions of the slow rows (default 1)")
    parser.add_argument("--skip", action="append", default=[], metavar="ROW", help="a row not to run (its name)")
    parser.add_argument("--only", action="append", default=[], metavar="ROW", help="run only this row (its name)")
    parser.add_argument("--profile", action="store_true", help="also profile nanlint cold -j1 on each corpus")
    parser.add_argument("--setup-peers", action="store_true",
                        help=f"first install {', '.join(PEERS.values())} under benchmarks/.work/peers/")
    for tool in PEERS:
        parser.add_argument(f"--{tool}", metavar="PATH",
                            help=f"the {tool} executable (default: benchmarks/.work/peers/, else PATH)")
    parser.add_argument("--floor", nargs=2, metavar=("KIND", "LIST"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor:
        floor(*args.floor)
        return
    sys.path.insert(0, str(REPO))
    WORK.mkdir(exist_ok=True)
    if args.setup_peers:
        setup_peers()
    tools = {tool: getattr(args, tool) or find_peer(tool) for tool in PEERS}
    info = machine(tools)
    report: dict = {"machine": info, "corpora": {}}
    sections = []
    for requirement in args.corpus or DEFAULT_CORPORA:
        corpus = survey(requirement, fetch(requirement, args.corpora))
        rows = run_corpus(corpus, tools, args.repeat, args.slow_repeat, set(args.skip), set(args.only))
        sections += ["", markdown(corpus, rows)]
        entry = {"files": len(corpus.files), "lines": corpus.lines, "parsed_files": len(corpus.parsed),
                 "rows": [{"name": r.name, "samples": [asdict(s) for s in r.samples]} for r in rows]}
        if args.profile:
            out = WORK / f"profile-{corpus.name.replace('==', '-')}.txt"
            phases = profile(corpus, out)
            entry["profile"] = phases
            sections += ["", f"Where nanlint cold -j1 spends its time on {corpus.name} (pyinstrument, "
                             f"full tree in `{out.relative_to(REPO)}`):", "",
                         "| phase | seconds | share |", "|---|---:|---:|"]
            sections += [f"| {phase} | {seconds:.2f} | {seconds / phases['total']:.0%} |"
                         for phase, seconds in phases.items() if phase != "total"]
        report["corpora"][requirement] = entry
    info["load average at end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    sections = ["| | |", "|---|---|", *(f"| {key} | {value} |" for key, value in info.items()), *sections]
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    (WORK / f"results-{stamp}.json").write_text(json.dumps(report, indent=2))
    print("\n".join(sections))


if __name__ == "__main__":
    main()
