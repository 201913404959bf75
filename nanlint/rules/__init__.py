"""Rules: one module per rule, discovered, each a ``Rule`` subclass.

A rule module's docstring is its user documentation (What it does / Why is this bad? /
Example / Use instead / Fix safety), printed by ``nanlint rule CODE``. Its
examples live on the class: ``VALID`` snippets must not report, each ``Invalid``
must report (and, with ``fixed``, its fix must give exactly that source). The
test suite runs every rule's examples automatically.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from nanlint.context import Context


@dataclass(frozen=True)
class Invalid:
    """A flagged example. ``fixed`` is the exact source after ``--fix --unsafe-fixes``;
    None means the finding offers no fix. ``count`` findings of the rule are expected."""

    code: str
    fixed: str | None = None
    count: int = 1


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[str]
    fix: ClassVar[str]  # "safe", "unsafe" or "none": the best fix the rule can offer
    VALID: ClassVar[list[str]] = []
    INVALID: ClassVar[list[Invalid]] = []

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def check(self) -> None:
        """Report findings through ``self.ctx.report``."""
        raise NotImplementedError

    @classmethod
    def documentation(cls) -> str:
        """The rule's module docstring: its user documentation."""
        return inspect.cleandoc(sys.modules[cls.__module__].__doc__ or "")


@lru_cache(maxsize=1)
def all_rules() -> tuple[type[Rule], ...]:
    """Every rule class in this package, sorted by code."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            if inspect.isclass(value) and issubclass(value, Rule) and value is not Rule \
                    and value.__module__ == module.__name__:
                found.append(value)
    return tuple(sorted(found, key=lambda rule: rule.code))


def rule_by_code(code: str) -> type[Rule] | None:
    return next((rule for rule in all_rules() if rule.code == code.upper()), None)
