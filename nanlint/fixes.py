"""Fixes as libcst node replacements, and how they are applied.

A rule describes a fix as replacements of nodes by new nodes plus the imports
the new code needs. Everything outside the replaced nodes is regenerated from
the untouched tree, so it stays byte-for-byte identical, comments included.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst


@dataclass(frozen=True)
class NeededImport:
    """``import module`` (name None) or ``from module import name``."""

    module: str
    name: str | None = None

    def statement(self) -> str:
        return f"import {self.module}" if self.name is None else f"from {self.module} import {self.name}"


@dataclass
class FixSpec:
    applicability: str
    message: str
    replacements: list[tuple[cst.CSTNode, cst.CSTNode]]
    imports: list[NeededImport] = field(default_factory=list)


def with_parens_of(old: cst.CSTNode, new: cst.CSTNode) -> cst.CSTNode:
    """Keep the parentheses the user wrote around the replaced expression."""
    if getattr(old, "lpar", None) and hasattr(new, "lpar") and not new.lpar:
        return new.with_changes(lpar=old.lpar, rpar=old.rpar)
    return new


class _Replacer(cst.CSTTransformer):
    def __init__(self, replacements: dict[cst.CSTNode, cst.CSTNode]) -> None:
        super().__init__()
        self.replacements = replacements

    def on_leave(self, original_node, updated_node):
        new = self.replacements.get(original_node)
        if new is None:
            return updated_node
        return with_parens_of(original_node, new)


def apply(module: cst.Module, fixes: list[FixSpec]) -> cst.Module:
    replacements = {old: new for fix in fixes for old, new in fix.replacements}
    if replacements:
        module = module.visit(_Replacer(replacements))
    needed = []
    for fix in fixes:
        for imp in fix.imports:
            if imp not in needed:
                needed.append(imp)
    return add_imports(module, needed)


def add_imports(module: cst.Module, needed: list[NeededImport]) -> cst.Module:
    """Insert import statements after the last top-level import (or after the module
    docstring and ``__future__`` imports when there is none)."""
    if not needed:
        return module
    body = list(module.body)
    at = import_position(module)
    new_lines = [cst.parse_statement(imp.statement() + "\n") for imp in needed]
    return module.with_changes(body=body[:at] + new_lines + body[at:])


def import_position(module: cst.Module) -> int:
    """Index in ``module.body`` where new imports go."""
    position = 0
    for i, statement in enumerate(module.body):
        if _is_docstring(statement) and i == 0:
            position = 1
        elif isinstance(statement, cst.SimpleStatementLine) and all(
            isinstance(s, (cst.Import, cst.ImportFrom)) for s in statement.body
        ):
            position = i + 1
    return position


def _is_docstring(statement: cst.CSTNode) -> bool:
    return (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Expr)
            and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString)))
