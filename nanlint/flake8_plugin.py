"""The flake8 plugin (entry point ``NAN`` in ``flake8.extension``): nanlint's findings in
flake8, and through flake8 in editors (VS Code's flake8 extension, pylsp, vim's ALE).

flake8 hands the plugin the lines it read, which may be an unsaved editor buffer or
stdin; the plugin runs the same ``engine.check_source`` as the ``nanlint`` command on
them, with the configuration ``nanlint`` would use for that file (the nearest
``[tool.nanlint]``; a file it excludes reports nothing). So flake8 reports the same
codes at the same lines and columns as ``nanlint`` (flake8 adds 1 to the 0-based column
a plugin yields). flake8's own ``--select``, ``--extend-ignore``, ``per-file-ignores``
and ``# noqa`` apply on top of nanlint's configuration and suppression comments.

nanlint's rule options can be set through flake8 too (command line or flake8's
configuration file), and then win over ``[tool.nanlint]``: ``--nanlint-eps``,
``--nanlint-max-lr adam=0.02,sgd=2``, ``--nanlint-half-eps``, ``--nanlint-fix-style``.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

from nanlint import __version__, engine
from nanlint.config import OPTIONS, ConfigError, find_config


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ConfigError(f"expected a number, got {text!r}") from None


def _thresholds(text: str) -> dict[str, float]:
    """``adam=0.02,sgd=2`` (commas or whitespace between pairs, as flake8 lists are written)."""
    pairs = {}
    for item in filter(None, re.split(r"[,\s]+", text.strip())):
        name, equals, value = item.partition("=")
        if not equals or not name:
            raise ConfigError(f"expected optimizer=number pairs such as adam=0.02,sgd=2, got {item!r}")
        pairs[name] = _number(value)
    return pairs


# The [tool.nanlint] keys flake8 can set: the rule options (selection, exclusion and
# per-file ignores are flake8's own business), each with how its text is read.
FLAKE8_OPTIONS: dict[str, tuple[Callable[[str], Any], str]] = {
    "eps": (_number, "NUMBER"),
    "half-eps": (_number, "NUMBER"),
    "max-lr": (_thresholds, "OPTIMIZER=NUMBER,..."),
    "fix-style": (str, "STYLE"),
}


def _dest(key: str) -> str:
    return "nanlint_" + key.replace("-", "_")


class NanlintChecker:
    name = "nanlint"
    version = __version__
    # Config field overrides from flake8's options, set once by ``parse_options``.
    overrides: ClassVar[dict[str, Any]] = {}

    def __init__(self, tree: object, lines: list[str], filename: str) -> None:
        # ``tree`` (flake8's ast) is unused: nanlint parses the same text with libcst.
        self.lines = lines
        self.filename = filename

    @staticmethod
    def add_options(parser: Any) -> None:
        for key, (_, metavar) in FLAKE8_OPTIONS.items():
            parser.add_option(f"--nanlint-{key}", dest=_dest(key), metavar=metavar, parse_from_config=True,
                              help=f"nanlint's `{key}` option: {OPTIONS[key].help}")

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        overrides = {}
        for key, (read, _) in FLAKE8_OPTIONS.items():
            value = getattr(options, _dest(key), None)
            if value is None:
                continue
            try:
                overrides[OPTIONS[key].attr] = OPTIONS[key].parse(key, read(str(value)))
            except ConfigError as exc:
                print(f"flake8: error: --nanlint-{key}: {exc}", file=sys.stderr)
                raise SystemExit(2) from None
        cls.overrides = overrides

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        try:
            config = find_config(self.filename).with_overrides(**self.overrides)
        except ConfigError as exc:
            print(f"nanlint: error: {exc}", file=sys.stderr)
            return
        if config.is_excluded(self.filename):
            return
        result = engine.check_source("".join(self.lines), self.filename, config)
        for error in result.errors:
            print(f"nanlint: error: {error}", file=sys.stderr)
        for finding in result.findings:
            yield finding.line, finding.column - 1, f"{finding.code} {finding.message}", type(self)
