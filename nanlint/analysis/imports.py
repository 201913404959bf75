"""Qualified names from the file's own import statements.

``import torch.nn.functional as F`` makes ``F.softmax`` mean
``torch.nn.functional.softmax``. This reads only import statements (and
module-level aliases such as ``tf = tf.compat.v1``), which is all that name
resolution for framework calls needs and far cheaper than a scope analysis.
"""

from __future__ import annotations

import libcst as cst

from nanlint.catalog import canonical


def dotted(expr: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts = []
    while isinstance(expr, cst.Attribute):
        parts.append(expr.attr.value)
        expr = expr.value
    if not isinstance(expr, cst.Name):
        return None
    parts.append(expr.value)
    return ".".join(reversed(parts))


def _module_name(node: cst.BaseExpression | None) -> str | None:
    return None if node is None else dotted(node)


class ImportMap:
    def __init__(self, imports: list[cst.CSTNode], assignments: list[cst.Assign] = ()) -> None:
        self.names: dict[str, str] = {}
        for node in imports:
            if isinstance(node, cst.Import):
                for alias in node.names:
                    full = alias.evaluated_name
                    if alias.asname is not None:
                        self.names[alias.evaluated_alias] = full
                    else:
                        root = full.split(".")[0]
                        self.names.setdefault(root, root)
            elif isinstance(node, cst.ImportFrom) and not node.relative:
                module = _module_name(node.module)
                if module is None or isinstance(node.names, cst.ImportStar):
                    continue
                for alias in node.names:
                    local = alias.evaluated_alias or alias.evaluated_name
                    self.names[local] = f"{module}.{alias.evaluated_name}"
        for assign in assignments:
            self._add_alias(assign)
        self.roots = frozenset(canonical(v).split(".")[0] for v in self.names.values())

    def _add_alias(self, assign: cst.Assign) -> None:
        """``tf = tf.compat.v1`` or ``F = torch.nn.functional`` at module level."""
        if len(assign.targets) != 1 or not isinstance(assign.targets[0].target, cst.Name):
            return
        source = dotted(assign.value)
        if source is None or source.split(".")[0] not in self.names:
            return
        qualified = self.qualify_dotted(source)
        if qualified is not None:
            self.names[assign.targets[0].target.value] = qualified

    def qualify_dotted(self, name: str) -> str | None:
        head, _, rest = name.partition(".")
        base = self.names.get(head)
        if base is None:
            return None
        return f"{base}.{rest}" if rest else base

    def qualify(self, expr: cst.BaseExpression) -> str | None:
        """The canonical qualified name of a Name/Attribute chain rooted at an import."""
        name = dotted(expr)
        if name is None:
            return None
        qualified = self.qualify_dotted(name)
        return None if qualified is None else canonical(qualified)

    def local_for(self, qualified: str) -> str | None:
        """A dotted expression valid in this file that names ``qualified``
        (canonical), using the longest imported prefix; None if nothing imported fits."""
        best = None
        for local, target in self.names.items():
            target = canonical(target)
            fits = qualified == target or qualified.startswith(target + ".")
            if fits and (best is None or len(target) > len(best[1])):
                best = (local, target)
        if best is None:
            return None
        local, target = best
        return local + qualified[len(target):]
