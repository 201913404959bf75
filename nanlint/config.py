"""Configuration: ``[tool.nanlint]`` in the nearest ``pyproject.toml``.

Every key a user can write is declared once in ``OPTIONS``; an unknown key or an
unknown rule code is a ``ConfigError`` naming it. A ``Config`` is immutable and
hashable into a stable fingerprint (the cache keys on it).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

import tomllib

from nanlint.codes import CODES

FIX_STYLES = ("add", "clamp")


class ConfigError(Exception):
    """A configuration problem the user must fix; the message is one line."""


def _codes(key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"`{key}` must be a list of rule codes, got {value!r}")
    return tuple(validate_selector(v.strip().upper(), key) for v in value)


def _patterns(key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"`{key}` must be a list of glob patterns, got {value!r}")
    return tuple(value)


def _per_file_ignores(key: str, value: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, dict):
        raise ConfigError(f"`{key}` must be a table of pattern = [codes], got {value!r}")
    return tuple((pattern, _codes(f"{key}.{pattern}", codes)) for pattern, codes in value.items())


def _positive_float(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ConfigError(f"`{key}` must be a positive number, got {value!r}")
    return float(value)


def _fix_style(key: str, value: Any) -> str:
    if value not in FIX_STYLES:
        raise ConfigError(f"`{key}` must be one of {', '.join(FIX_STYLES)}, got {value!r}")
    return value


def _thresholds(key: str, value: Any) -> tuple[tuple[str, float], ...]:
    if not isinstance(value, dict):
        raise ConfigError(f"`{key}` must be a table of optimizer family = number, got {value!r}")
    return tuple(sorted((name.lower(), _positive_float(f"{key}.{name}", v)) for name, v in value.items()))


def _kilobytes(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"`{key}` must be a positive whole number of kilobytes, got {value!r}")
    return value


def _bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"`{key}` must be true or false, got {value!r}")
    return value


@dataclass(frozen=True)
class Option:
    attr: str
    parse: Callable[[str, Any], Any]
    help: str


# The user-facing keys (kebab-case, as in pyproject.toml) and how each is read.
OPTIONS: dict[str, Option] = {
    "select": Option("select", _codes, "codes or prefixes to enable (default: all)"),
    "ignore": Option("ignore", _codes, "codes or prefixes to disable"),
    "extend-select": Option("extend_select", _codes, "codes or prefixes enabled on top of `select`"),
    "exclude": Option("exclude", _patterns, "glob patterns of files and folders not to check"),
    "extend-exclude": Option("extend_exclude", _patterns, "more patterns, added to `exclude`"),
    "per-file-ignores": Option("per_file_ignores", _per_file_ignores, "pattern = [codes] ignored in matching files"),
    "eps": Option("eps", _positive_float, "the epsilon that fixes insert (default 1e-8)"),
    "fix-style": Option("fix_style", _fix_style, "`add` writes `p + eps`, `clamp` the framework's clamp"),
    "max-lr": Option("max_lr", _thresholds,
                     "largest plausible learning rate per optimizer family, e.g. {adam = 0.01, sgd = 1.0}"),
    "half-eps": Option("half_eps", _positive_float, "the epsilon NAN302 fixes write in float16 code (default 1e-4)"),
    "respect-gitignore": Option("respect_gitignore", _bool, "skip files matched by .gitignore (default true)"),
    "prefilter": Option("prefilter", _bool,
                        "skip, without parsing, files that import no module nanlint knows (default true)"),
    "max-file-kb": Option("max_file_kb", _kilobytes,
                          "larger files are reported as NAN001 instead of analysed (default 2048)"),
}


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] = ("NAN",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    eps: float = 1e-8
    fix_style: str = "add"
    max_lr: tuple[tuple[str, float], ...] = ()
    half_eps: float = 1e-4
    respect_gitignore: bool = True
    prefilter: bool = True
    # A source costs about 1 KB of memory and 20 us per byte; hand-written code stays below 1.5 MB.
    max_file_kb: int = 2048
    # Where the configuration came from; patterns are relative to ``root``.
    root: str = field(default=".", compare=False)
    source: str | None = field(default=None, compare=False)

    def with_overrides(self, **overrides: Any) -> Config:
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def fingerprint(self) -> str:
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.compare}
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def relative(self, path: str) -> str:
        try:
            return Path(path).resolve().relative_to(Path(self.root).resolve()).as_posix()
        except ValueError:
            return Path(path).as_posix()

    def is_excluded(self, path: str) -> bool:
        rel = self.relative(path)
        return any(_matches(rel, pattern) for pattern in self.exclude + self.extend_exclude)

    def enabled(self, code: str, path: str | None = None) -> bool:
        ignore = self.ignore
        if path is not None and self.per_file_ignores:
            rel = self.relative(path)
            for pattern, codes in self.per_file_ignores:
                if _matches(rel, pattern):
                    ignore = ignore + codes
        return _is_selected(code, self.select + self.extend_select, ignore)


def _is_selected(code: str, select: tuple[str, ...], ignore: tuple[str, ...]) -> bool:
    """The most specific matching selector wins; on a tie, ignore wins."""
    best_select = max((len(s) for s in select if code.startswith(s)), default=-1)
    best_ignore = max((len(s) for s in ignore if code.startswith(s)), default=-1)
    return best_select > best_ignore


def _matches(rel_path: str, pattern: str) -> bool:
    """Glob match against the relative path, any of its parent folders, or its name."""
    pattern = pattern.rstrip("/")
    pure = PurePosixPath(rel_path)
    candidates = [rel_path, pure.name, *(p.as_posix() for p in pure.parents if p.as_posix() != ".")]
    candidates += [p.name for p in pure.parents if p.name]
    return any(fnmatch.fnmatchcase(c, pattern) for c in candidates)


def validate_selector(selector: str, where: str = "selection") -> str:
    if not selector or not any(code.startswith(selector) for code in CODES):
        raise ConfigError(f"unknown rule code or prefix {selector!r} in {where}")
    return selector


def parse_table(table: dict[str, Any], origin: str) -> dict[str, Any]:
    """Validate a ``[tool.nanlint]`` table into Config keyword arguments."""
    if not isinstance(table, dict):
        raise ConfigError(f"{origin}: [tool.nanlint] must be a table")
    out: dict[str, Any] = {}
    for key, value in table.items():
        option = OPTIONS.get(key) or OPTIONS.get(key.replace("_", "-"))
        if option is None:
            raise ConfigError(f"{origin}: unknown option `{key}` in [tool.nanlint]")
        try:
            out[option.attr] = option.parse(key, value)
        except ConfigError as exc:
            raise ConfigError(f"{origin}: {exc}") from None
    return out


def read_config_file(path: Path) -> Config:
    """Read a ``pyproject.toml`` ([tool.nanlint]) or a ``nanlint.toml`` (top-level keys)."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read configuration {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    table = data.get("tool", {}).get("nanlint", {}) if path.name == "pyproject.toml" else data
    values = parse_table(table, str(path))
    return Config(root=str(path.parent.resolve()), source=str(path), **values)


@lru_cache(maxsize=256)
def _nearest_config_file(directory: Path) -> Path | None:
    for folder in (directory, *directory.parents):
        for name in ("nanlint.toml", "pyproject.toml"):
            candidate = folder / name
            if candidate.is_file() and (name == "nanlint.toml" or _has_nanlint_table(candidate)):
                return candidate
    return None


def _has_nanlint_table(pyproject: Path) -> bool:
    try:
        with pyproject.open("rb") as handle:
            return "nanlint" in tomllib.load(handle).get("tool", {})
    except (OSError, tomllib.TOMLDecodeError):
        return False


def find_config(path: str | Path) -> Config:
    """The configuration that governs ``path``: the nearest ``nanlint.toml`` or
    ``pyproject.toml`` with a ``[tool.nanlint]`` table at or above it; defaults otherwise."""
    start = Path(path).resolve()
    directory = start if start.is_dir() else start.parent
    found = _nearest_config_file(directory)
    if found is None:
        return Config(root=str(Path.cwd()))
    return _read_cached(found)


@lru_cache(maxsize=64)
def _read_cached(path: Path) -> Config:
    return read_config_file(path)
