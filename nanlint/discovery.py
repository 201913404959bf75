"""Which files a run checks.

Directories are walked for source files; a file named on the command line is
checked as given, because the user asked for it (unless ``force_exclude``, which
editors and pre-commit need: they pass every changed file explicitly and still want
the project's ``exclude`` to apply). Folders that never hold project code are
skipped, and so is whatever ``.gitignore`` and the configuration exclude.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from nanlint.config import Config

# What a directory walk collects: Python files and Jupyter notebooks.
SOURCE_SUFFIXES: tuple[str, ...] = (".py", ".ipynb")

# Folders of tools, environments and build output: never the project's own code,
# and often huge (a virtualenv holds thousands of third-party modules).
SKIPPED_DIRS = frozenset({
    ".git", ".venv", "venv", "env", "build", "dist", "__pycache__", "node_modules",
    "site-packages", ".tox", ".eggs", ".mypy_cache", ".nanlint_cache",
})

ConfigFor = Callable[[str], Config]


class PathNotFoundError(Exception):
    """A path named by the user does not exist (the message is one line)."""

    def __init__(self, path: str):
        reason = "broken symbolic link" if os.path.islink(path) else "no such file or directory"
        super().__init__(f"{path}: {reason}")
        self.path = path


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    negated: bool
    dir_only: bool


class GitIgnore:
    """The patterns of one ``.gitignore`` file, matched relative to its folder.

    A small matcher of git's own syntax, so that nanlint needs no dependency for it.
    It answers for one path only: an ignored folder is never entered, which is how
    git too makes ``!`` unable to re-include a file inside an ignored folder.
    """

    def __init__(self, base: str, text: str):
        self.base = base
        self.patterns = tuple(p for p in map(_compile, text.splitlines()) if p is not None)

    @classmethod
    def read(cls, directory: str) -> GitIgnore | None:
        try:
            with open(os.path.join(directory, ".gitignore"), encoding="utf-8", errors="replace") as handle:
                return cls(os.path.abspath(directory), handle.read())
        except OSError:
            return None

    def match(self, path: str, is_dir: bool) -> bool | None:
        """True if ignored, False if re-included by a ``!`` pattern, None if no pattern
        matches (the decision is then left to the parent folders' files)."""
        rel = os.path.relpath(os.path.abspath(path), self.base).replace(os.sep, "/")
        if rel.startswith("../"):
            return None
        for pattern in reversed(self.patterns):  # the last matching pattern wins
            if (is_dir or not pattern.dir_only) and pattern.regex.fullmatch(rel):
                return not pattern.negated
        return None


def _compile(line: str) -> _Pattern | None:
    line = re.sub(r"(?<!\\) +$", "", line)  # trailing spaces count only when escaped
    if not line or line.startswith("#"):
        return None
    negated = line.startswith("!")
    line = line[1:] if negated else line
    dir_only = line.endswith("/")
    line = line.rstrip("/")
    # A slash at the start or in the middle anchors the pattern to the file's folder;
    # without one it matches a name at any depth.
    anchored = "/" in line
    line = line.removeprefix("/")
    if not line:
        return None
    prefix = "" if anchored else "(?:.*/)?"
    return _Pattern(re.compile(prefix + _glob_to_regex(line)), negated, dir_only)


def _glob_to_regex(glob: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(glob):
        at_segment_start = i == 0 or glob[i - 1] == "/"
        if at_segment_start and glob.startswith("**/", i):
            out.append("(?:.*/)?")  # zero or more folders
            i += 3
        elif at_segment_start and glob.startswith("**", i) and i + 2 == len(glob):
            out.append(".*")  # everything inside
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        elif glob[i] == "[" and (found := _char_class(glob, i)) is not None:
            out.append(found[0])
            i = found[1]
        elif glob[i] == "\\" and i + 1 < len(glob):
            out.append(re.escape(glob[i + 1]))
            i += 2
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return "".join(out)


def _char_class(glob: str, start: int) -> tuple[str, int] | None:
    """The regex for the ``[...]`` at ``start`` and the index after it; None when the
    bracket is not closed (it is then a literal ``[``)."""
    i = start + 1
    negated = i < len(glob) and glob[i] in "!^"
    if negated:
        i += 1
    body_start = i
    if i < len(glob) and glob[i] == "]":  # a leading ] is a member, not the end
        i += 1
    end = glob.find("]", i)
    if end < 0:
        return None
    body = "".join(ch if ch == "-" else re.escape(ch) for ch in glob[body_start:end])
    return (f"[^/{body}]" if negated else f"[{body}]"), end + 1


def _is_gitignored(ignores: tuple[GitIgnore, ...], path: str, is_dir: bool) -> bool:
    """The deepest ``.gitignore`` with an opinion decides, as in git."""
    for ignore in reversed(ignores):
        decision = ignore.match(path, is_dir)
        if decision is not None:
            return decision
    return False


def _enclosing_ignores(directory: str) -> tuple[GitIgnore, ...]:
    """The ``.gitignore`` files above ``directory`` that git would apply to it: those of
    its ancestors inside the same repository. Outside a repository there are none."""
    here = os.path.abspath(directory)
    ancestors = []
    while not os.path.exists(os.path.join(here, ".git")):
        parent = os.path.dirname(here)
        if parent == here:
            return ()
        here = parent
        ancestors.append(here)
    return tuple(filter(None, map(GitIgnore.read, reversed(ancestors))))


class _Walk:
    """One discovery: remembers the real folders entered, so a symlink loop ends."""

    def __init__(self, config_for: ConfigFor, errors: list[tuple[str, str]] | None):
        self.config_for = config_for
        self.errors = errors
        self.visited: set[str] = set()
        self.files: list[str] = []

    def directory(self, path: str, ignores: tuple[GitIgnore, ...]) -> None:
        real = os.path.realpath(path)
        if real in self.visited:
            return
        self.visited.add(real)
        try:
            with os.scandir(path) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError as exc:
            if self.errors is not None:
                self.errors.append((path, f"{path}: cannot read directory: {exc.strerror or exc}"))
            return
        own = GitIgnore.read(path)
        if own is not None:
            ignores += (own,)
        for entry in entries:
            self.entry(entry, ignores)

    def entry(self, entry: os.DirEntry, ignores: tuple[GitIgnore, ...]) -> None:
        is_dir = entry.is_dir()  # follows symlinks; a broken one is neither dir nor file
        if is_dir and entry.name in SKIPPED_DIRS:
            return
        if not is_dir and not (entry.name.endswith(SOURCE_SUFFIXES) and entry.is_file()):
            return
        config = self.config_for(entry.path)
        if config.is_excluded(entry.path):
            return
        if config.respect_gitignore and _is_gitignored(ignores, entry.path, is_dir):
            return
        if is_dir:
            self.directory(entry.path, ignores)
        else:
            self.files.append(entry.path)


def discover(paths: Iterable[str | os.PathLike], config_for: ConfigFor, force_exclude: bool = False,
             *, errors: list[tuple[str, str]] | None = None) -> list[str]:
    """The files to check for ``paths``, sorted, each once (also when reached through
    two names: a fix must not be applied twice).

    ``config_for(path)`` is the configuration governing ``path`` (excludes and
    ``respect_gitignore`` can differ per project folder). Raises ``PathNotFoundError``
    when a path does not exist, so nothing is linted for a mistyped path. Folders that cannot be read are
    appended to ``errors`` as (path, one-line message) when a list is given.
    """
    walk = _Walk(config_for, errors)
    for path in map(os.fspath, paths):
        path = os.path.normpath(path)
        if not os.path.exists(path):
            raise PathNotFoundError(path)
        if force_exclude and config_for(path).is_excluded(path):
            continue
        if os.path.isdir(path):
            walk.directory(path, _enclosing_ignores(path))
        else:
            walk.files.append(path)
    return _unique(walk.files)


def _unique(files: list[str]) -> list[str]:
    seen: set[str] = set()
    unique = []
    for path in sorted({os.path.normpath(path) for path in files}):
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            unique.append(path)
    return unique
