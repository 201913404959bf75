"""The findings cache: a file is not checked again while nothing that decides its
findings has changed.

An entry holds one file's findings. It is found by the file's path (relative to its
configuration's root) and the configuration's fingerprint, and it is used only when it
also records the same content hash: so an edited file is checked again, and its entry
replaced. Entries live in a folder per nanlint build (its version, a hash of its own
source, the rule set, and the libcst, astroid and Python versions), so another build
never reads them; the folders of builds no run used for a week are removed.

Where: ``.nanlint_cache/`` in the folder of the configuration that governs the file
(the nearest ``nanlint.toml`` or ``pyproject.toml`` with ``[tool.nanlint]``, or the
``--config`` file), else in the current folder; or one folder given by ``--cache-dir``.

Safety: an entry is written to a temporary file and renamed into place, so a reader
sees a whole entry or none, and concurrent runs cannot corrupt one; an entry that cannot
be read, parsed or matched is ignored and rewritten. A cache that cannot be written
(read-only folder, full disk) leaves the run uncached, never failed. Not kept: findings
that depend on other files (``FileResult.reads_other_files``), results with errors,
and the results of fixes (the fixed file is checked again next time).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import nanlint
from nanlint.config import Config
from nanlint.finding import Edit, FileResult, Finding, Fix
from nanlint.rules import all_rules

CACHE_DIR_NAME = ".nanlint_cache"
# Folders of other nanlint builds unused for this long are removed.
STALE_SECONDS = 7 * 24 * 3600
_BUILD_KEY = re.compile(r"[0-9a-f]{32}")
# Build folders this process has marked used, and created and pruned: once each per
# process (a worker checks many files).
_USED: set[str] = set()
_PREPARED: set[str] = set()

_GITIGNORE = "# Created by nanlint: the whole folder is a cache.\n*\n"
_CACHEDIR_TAG = (  # https://bford.info/cachedir/: backup tools skip the folder
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by nanlint.\n"
)


def _digest(*parts: str | bytes) -> str:
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(part if isinstance(part, bytes) else part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def _distribution_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "none"


@lru_cache(maxsize=1)
def build_key() -> str:
    """What makes this nanlint's findings what they are, as a folder name: another
    version, an edited rule (a development checkout), another rule set or another
    parser gives another key."""
    package = Path(nanlint.__file__).parent
    sources = sorted(package.rglob("*.py"))
    return _digest(
        nanlint.__version__,
        ",".join(rule.code for rule in all_rules()),
        _distribution_version("libcst"), _distribution_version("astroid"),
        f"{sys.version_info[0]}.{sys.version_info[1]}",
        *(part for source in sources for part in (source.relative_to(package).as_posix(), source.read_bytes())),
    )


def _relative_path(path: str, config: Config) -> str:
    """The file as its entry names it: relative to the configuration's root, so a moved
    checkout (a CI cache restored elsewhere) still finds its entries."""
    real = os.path.realpath(path)
    try:
        relative = os.path.relpath(real, os.path.realpath(config.root))
    except ValueError:  # another drive
        return real
    return real if relative.startswith(os.pardir) else relative.replace(os.sep, "/")


def _finding(data: dict, path: str) -> Finding:
    """The inverse of ``Finding.to_json``, for ``path``."""
    fix = data["fix"]
    if fix is not None:
        fix = Fix(fix["applicability"], fix["message"], tuple(Edit(**edit) for edit in fix["edits"]))
    return Finding(**{**data, "path": path, "fix": fix})


@dataclass
class Cache:
    """``directory`` is None for ``.nanlint_cache`` in each file's configuration root."""

    directory: str | os.PathLike | None = None
    # Fixed when the run starts: worker processes use the same, whatever changes meanwhile.
    build: str = field(default_factory=build_key)

    def _folder(self, config: Config) -> str:
        base = self.directory if self.directory is not None else os.path.join(config.root, CACHE_DIR_NAME)
        return os.path.join(os.path.abspath(base), self.build)

    def _entry(self, path: str, config: Config) -> tuple[str, str]:
        """The entry's file and the key it must record."""
        folder = self._folder(config)
        if folder not in _USED:
            _USED.add(folder)
            with contextlib.suppress(OSError):
                os.utime(folder)  # used: not stale for other builds' runs
        key = _digest(_relative_path(path, config), config.fingerprint())
        return os.path.join(folder, key + ".json"), key

    def load(self, path: str, data: bytes, config: Config) -> list[Finding] | None:
        """The cached findings of ``path`` with content ``data``; None when there are none
        that can be trusted."""
        entry, key = self._entry(path, config)
        try:
            with open(entry, "rb") as handle:
                stored = json.loads(handle.read())
            if stored["key"] != key or stored["content"] != _digest(data):
                return None
            return [_finding(finding, path) for finding in stored["findings"]]
        except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
            return None  # missing, corrupt or foreign: checked again, and rewritten

    def store(self, path: str, data: bytes, config: Config, result: FileResult) -> None:
        """Keep ``result`` (the findings of ``path`` with content ``data``) if it depends
        on nothing but the file's text and the configuration."""
        if result.errors or result.reads_other_files or result.fixed_source is not None:
            return
        entry, key = self._entry(path, config)
        stored = {"key": key, "content": _digest(data), "findings": [f.to_json() for f in result.findings]}
        try:
            self._prepare(os.path.dirname(entry))
            handle, temp = tempfile.mkstemp(prefix=".tmp-", dir=os.path.dirname(entry))
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    json.dump(stored, out, separators=(",", ":"))
                os.replace(temp, entry)
            except BaseException:
                os.unlink(temp)
                raise
        except OSError:  # an unwritable cache only makes the next run slower
            _PREPARED.discard(os.path.dirname(entry))  # removed meanwhile? created again next time

    def _prepare(self, folder: str) -> None:
        """Once per run: create this build's folder (and the cache's ``.gitignore`` with
        it), and remove other builds' folders no run used for ``STALE_SECONDS``."""
        if folder in _PREPARED:
            return
        root = os.path.dirname(folder)
        if not os.path.isdir(root):
            os.makedirs(root, exist_ok=True)
            _write_new(os.path.join(root, ".gitignore"), _GITIGNORE)
            _write_new(os.path.join(root, "CACHEDIR.TAG"), _CACHEDIR_TAG)
        os.makedirs(folder, exist_ok=True)
        _remove_stale(root, keep=os.path.basename(folder))
        _PREPARED.add(folder)


def _write_new(path: str, text: str) -> None:
    try:
        with open(path, "x", encoding="utf-8") as out:
            out.write(text)
    except FileExistsError:
        pass  # a concurrent run wrote it


def _remove_stale(root: str, keep: str) -> None:
    """Remove the folders of other builds (named like ``build_key()``, nothing else: the
    root may be a folder the user named) that no run used for ``STALE_SECONDS``."""
    cutoff = time.time() - STALE_SECONDS
    with os.scandir(root) as entries:
        for entry in entries:
            if (entry.name != keep and _BUILD_KEY.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False)
                    and entry.stat(follow_symlinks=False).st_mtime < cutoff):
                shutil.rmtree(entry.path, ignore_errors=True)
