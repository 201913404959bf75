"""Linting files on disk (and stdin): configuration per file, reading, fixing, writing.

The command line is a thin layer over ``lint_paths`` and ``lint_stdin``; anything a
program embedding nanlint needs is here, with no printing and no exit codes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

from nanlint import engine, notebook
from nanlint.cache import Cache
from nanlint.config import Config, find_config, read_config_file
from nanlint.discovery import ConfigFor, PathNotFoundError, discover
from nanlint.finding import FileResult
from nanlint.parallel import check_files
from nanlint.source import SourceError, atomic_write, decode, read

__all__ = ["PathNotFoundError", "check", "encode_like", "lint_file", "lint_paths", "lint_stdin"]

# Overrides that add to the configuration's value instead of replacing it: an
# `--ignore` on the command line must not re-enable what the project ignores.
_ADDITIVE = ("ignore", "extend_select", "extend_exclude")


def _with_overrides(config: Config, overrides: Mapping[str, Any] | None) -> Config:
    if not overrides:
        return config
    values = {key: value for key, value in overrides.items() if value is not None}
    for key in _ADDITIVE:
        if key in values:
            values[key] = getattr(config, key) + tuple(values[key])
    return config.with_overrides(**values)


def _config_resolver(config_file: str | os.PathLike | None,
                     overrides: Mapping[str, Any] | None) -> ConfigFor:
    """``config_for(path)``: one given configuration file for every path, or else the
    nearest one to each path, so that each project folder keeps its own settings."""
    if config_file is not None:
        config = _with_overrides(read_config_file(Path(config_file)), overrides)
        return lambda path: config
    return lambda path: _with_overrides(find_config(path), overrides)


def encode_like(original: bytes, text: str) -> bytes:
    """``text`` encoded as ``original`` was (its encoding and byte-order mark), so a
    fix changes nothing in the file but the fixed code."""
    return decode(original).encode(text)


def _write_fix(path: str, original: bytes, result: FileResult) -> None:
    """Write the fixed source unless the file changed since it was read (an editor
    saved it meanwhile): the fix was computed for the old text and would undo that save."""
    try:
        # Through a symlink, replace the target: replacing the link would cut it.
        if atomic_write(os.path.realpath(path), encode_like(original, result.fixed_source), expected=original):
            return
        problem = "file changed on disk, not fixed"
    except (OSError, SourceError, UnicodeEncodeError) as exc:
        problem = f"cannot write the fix: {getattr(exc, 'strerror', None) or exc}"
    result.errors.append(f"{path}: {problem}")
    result.fixed_count = 0  # nothing was fixed after all


def check(source: str | bytes, path: str, config: Config, fix: str | None = None) -> FileResult:
    """``engine.check_source``, through the notebook layer for a ``.ipynb`` path (whose
    ``fixed_source`` is then the whole notebook file)."""
    if notebook.is_notebook(path):
        return notebook.check_notebook(source, path, config, fix)
    return engine.check_source(source, path, config, fix)


def lint_file(path: str, config: Config, *, fix: str | None = None, write: bool = True,
              cache: Cache | None = None) -> FileResult:
    """Lint one file. ``fix`` is None, "safe" or "unsafe"; with ``write`` the fixed
    source is written back. A file that cannot be read gives an error, not an exception,
    so that one bad file does not stop a run over a whole project. With a ``cache``, an
    unchanged file's findings come from it (in a fix run, only if none has a fix)."""
    try:
        data = read(path)
    except OSError as exc:
        return FileResult(path=path, errors=[f"{path}: cannot read file: {exc.strerror or exc}"])
    cached = cache.load(path, data, config) if cache is not None else None
    # A fix run checks a file with fixes again: the fixes are computed, not cached.
    if cached is not None and (fix is None or all(finding.fix is None for finding in cached)):
        return FileResult(path=path, findings=cached)
    result = check(data, path, config, fix)
    if fix and write and result.fixed_source is not None:
        _write_fix(path, data, result)
    if cache is not None:
        cache.store(path, data, config, result)
    return result


def lint_paths(paths: Iterable[str | os.PathLike], *, overrides: Mapping[str, Any] | None = None,
               config_file: str | os.PathLike | None = None, fix: str | None = None,
               write: bool = True, force_exclude: bool = False, jobs: int | None = 1,
               cache: bool = False, cache_dir: str | os.PathLike | None = None) -> list[FileResult]:
    """Lint every file under ``paths`` (see ``discover``), sorted by path.

    Each file's configuration is ``config_file`` if given, else the nearest one to the
    file, with ``overrides`` applied (Config field names; ``ignore`` and the
    ``extend_*`` keys add to the configuration's value, the others replace it).
    ``jobs`` processes check the files (None: one per core). With ``cache``, findings
    are kept in and read from ``cache_dir`` (default: ``.nanlint_cache`` in each
    configuration's root; see ``nanlint.cache``).
    Raises ``PathNotFoundError`` for a path that does not exist and ``ConfigError`` for
    an invalid configuration, before anything is written.
    """
    config_for = _config_resolver(config_file, overrides)
    unreadable: list[tuple[str, str]] = []
    files = discover(paths, config_for, force_exclude, errors=unreadable)
    lint = partial(lint_file, fix=fix, write=write, cache=Cache(cache_dir) if cache else None)
    results = check_files(lint, files, [config_for(path) for path in files], jobs)
    results += [FileResult(path=path, errors=[message]) for path, message in unreadable]
    return sorted(results, key=lambda result: result.path)


def lint_stdin(source: str | bytes, filename: str | None = None, *,
               overrides: Mapping[str, Any] | None = None, config_file: str | os.PathLike | None = None,
               fix: str | None = None, force_exclude: bool = False) -> FileResult:
    """Lint source that is not in a file (an editor's buffer). ``filename`` says where
    it belongs, which selects its configuration and per-file ignores; nothing is
    written, ``fixed_source`` holds the fixed text."""
    path = filename if filename is not None else "-"
    config = _config_resolver(config_file, overrides)(filename if filename is not None else os.curdir)
    if force_exclude and filename is not None and config.is_excluded(filename):
        return FileResult(path=path)
    return check(source, path, config, fix)
