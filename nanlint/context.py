"""What a rule sees of one file: the tree, its index, names, values, and ``report``."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from nanlint.analysis.imports import ImportMap
from nanlint.analysis.index import Index
from nanlint.analysis.values import Values
from nanlint.config import Config
from nanlint.fixes import FixSpec, NeededImport


@dataclass
class Report:
    """A finding before it has a position: rules point at nodes."""

    code: str
    node: cst.CSTNode
    message: str
    fix: FixSpec | None = None
    # Nodes this finding speaks for: lower-ranked findings on them are dropped
    # ("one finding per cause").
    covers: tuple[cst.CSTNode, ...] = field(default_factory=tuple)
    # A rule may raise or lower its code's default severity for one finding
    # (NAN201: a literal zero divisor is an error, not a warning).
    severity: str | None = None


class Context:
    def __init__(self, module: cst.Module, path: str, config: Config) -> None:
        self.module = module
        self.path = path
        self.config = config
        self.index = Index(module)
        self.imports = ImportMap(
            self.index.of_type(cst.Import) + self.index.of_type(cst.ImportFrom),
            [a for a in self.index.of_type(cst.Assign) if self.index.parent(self.index.parent(a)) is module],
        )
        self.values = Values(self.index, self.imports)
        self.reports: list[Report] = []
        self.current_code: str | None = None

    @property
    def framework_file(self) -> bool:
        return self.values.framework_file

    def report(self, node: cst.CSTNode, message: str, *, fix: FixSpec | None = None,
               covers: tuple[cst.CSTNode, ...] = (), code: str | None = None,
               severity: str | None = None) -> None:
        self.reports.append(Report(code or self.current_code, node, message, fix, covers, severity))

    # -- positions, computed once and only for files that report ----------------------
    @cached_property
    def _positions(self):
        return MetadataWrapper(self.module, unsafe_skip_copy=True).resolve(PositionProvider)

    def position(self, node: cst.CSTNode) -> CodeRange:
        return self._positions[node]

    def code_for(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    # -- building replacement code ----------------------------------------------------
    def callee(self, target: str, like: cst.BaseExpression | None = None
               ) -> tuple[cst.BaseExpression, NeededImport | None] | None:
        """An expression that names the canonical ``target`` in this file, spelled like
        ``like`` where it shares the namespace, plus the import it needs (if any).
        None when the only spelling would clash with a name the file already binds."""
        module, _, leaf = target.rpartition(".")
        if like is not None:
            qualified = self.imports.qualify(like)
            if qualified is not None and qualified.rpartition(".")[0] == module:
                if isinstance(like, cst.Attribute):
                    return like.with_changes(attr=cst.Name(leaf)), None
                return self._from_import(module, leaf)
        local = self.imports.local_for(target)
        if local is not None:
            return cst.parse_expression(local), None
        root = target.split(".")[0]
        if root in self.module_bindings():
            return None
        return cst.parse_expression(target), NeededImport(root)

    def _from_import(self, module: str, leaf: str) -> tuple[cst.BaseExpression, NeededImport | None] | None:
        existing = self.imports.local_for(f"{module}.{leaf}")
        if existing is not None:
            return cst.parse_expression(existing), None
        if leaf in self.module_bindings():
            return None
        return cst.Name(leaf), NeededImport(module, leaf)

    def module_bindings(self) -> set[str]:
        return set(self.index.scopes[self.module].bindings) | set(self.imports.names)
