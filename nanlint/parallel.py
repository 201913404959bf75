"""Checking many files at once: a pool of processes, results in input order.

Workers get a path and its configuration and send back only the ``FileResult``
(findings and errors), never a tree, so a worker holds one parsed file at a time.
Large files go first, so that none is left to finish alone at the end; but a parsed
file takes about a thousand times its size in memory, so large files are not parsed
side by side: at most ``largest file + PER_WORKER_BYTES`` per other worker of source is
in the pool at once, whatever the number of cores; and after a large file a worker
gives the memory back to the system. Small runs (one file, or little source in all, as
in pre-commit's calls) are checked in this process: starting workers would cost more
than it saves.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from nanlint.config import Config
from nanlint.finding import FileResult

# Below this much source in all, a run is checked in this process. About a second
# of checking on a slow machine; workers start in a few tens of milliseconds.
SERIAL_BYTES = 150_000
# Source in the pool at once, per worker beyond the one with the largest file: about
# 150 MB of parsed trees.
PER_WORKER_BYTES = 150_000
# After a file this large, a worker returns freed memory to the system.
RELEASE_BYTES = 50_000

Check = Callable[[str, Config], FileResult]


def default_jobs() -> int:
    """The cores this process may use."""
    if hasattr(os, "process_cpu_count"):  # Python 3.13
        return os.process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0  # the check reports it


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``: glibc keeps the memory a process freed for its next
    allocations, so without it a worker stays as large as the largest file it checked."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # another C library
        return None


_TRIM = _malloc_trim()


def _check_in_worker(check: Check, path: str, config: Config, size: int) -> FileResult:
    result = check(path, config)
    if size >= RELEASE_BYTES and _TRIM is not None:
        _TRIM(0)
    return result


def _ignore_interrupt() -> None:
    """Ctrl-C is for the main process, which stops the pool: workers must not each
    print a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _context():
    # Forking starts a worker with nanlint already imported; elsewhere (macOS, Windows)
    # fork is unsafe or missing and the platform's default is used.
    return multiprocessing.get_context("fork" if sys.platform.startswith("linux") else None)


def check_files(check: Check, paths: Sequence[str], configs: Sequence[Config], jobs: int | None = 1
                ) -> list[FileResult]:
    """``check(path, config)`` for each pair, with up to ``jobs`` processes (None: one
    per core); the results in the order of ``paths``, however the work was scheduled."""
    sizes = [_size(path) for path in paths]
    workers = min(jobs or default_jobs(), len(paths))
    if workers <= 1 or sum(sizes) < SERIAL_BYTES:
        return list(map(check, paths, configs))
    queue = deque(sorted(range(len(paths)), key=lambda i: -sizes[i]))
    budget = sizes[queue[0]] + PER_WORKER_BYTES * (workers - 1)
    results: list[FileResult | None] = [None] * len(paths)
    running: dict[Future, int] = {}
    load = 0
    executor = ProcessPoolExecutor(workers, mp_context=_context(), initializer=_ignore_interrupt)
    try:
        while queue or running:
            # Keep every worker busy with one file queued behind it: the largest file
            # that fits in the budget, else the smallest.
            while queue and len(running) < 2 * workers:
                if load + sizes[queue[0]] <= budget:
                    i = queue.popleft()
                elif load + sizes[queue[-1]] <= budget:
                    i = queue.pop()
                else:
                    break
                running[executor.submit(_check_in_worker, check, paths[i], configs[i], sizes[i])] = i
                load += sizes[i]
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                i = running.pop(future)
                load -= sizes[i]
                results[i] = future.result()
    except BrokenProcessPool as exc:
        raise RuntimeError("a worker process died (out of memory?); `--jobs 1` checks the files one by one "
                           "in this process") from exc
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    return results
