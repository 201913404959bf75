"""One walk over a parsed module that records what the rules ask about.

libcst's metadata providers (scopes, qualified names, positions) each walk and
re-generate the whole tree; that costs about nine times the parse. This walk
reads the dataclass fields of each node directly, skipping whitespace, and in
one pass records: each node's parent and pre-order position, the nodes of the
types rules iterate over, and for every scope its name bindings (also ``self.``
attribute bindings per class). Positions are computed elsewhere, and only for
files that have findings.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import libcst as cst

# Node types the rules iterate over; everything else is only reachable by parents.
COLLECTED = (
    cst.Call, cst.BinaryOperation, cst.UnaryOperation, cst.AugAssign, cst.Assign, cst.AnnAssign,
    cst.FunctionDef, cst.ClassDef, cst.Import, cst.ImportFrom, cst.Comparison, cst.Subscript,
)

_SKIPPED_FIELDS = frozenset({
    "lpar", "rpar", "comma", "header", "footer", "leading_lines", "lines_after_decorators",
    "semicolon", "newline", "trailing_whitespace", "dot", "equal", "star", "colon",
    "operator", "asynchronous", "default_indent", "default_newline", "encoding",
})
_FIELDS: dict[type, tuple[str, ...]] = {}

# Blocks whose statements may not run: a binding inside one does not dominate code after it.
_CONDITIONAL_PARENTS = (
    cst.If, cst.Else, cst.For, cst.While, cst.Try, cst.TryStar, cst.ExceptHandler,
    cst.ExceptStarHandler, cst.MatchCase,
)
LOOPS = (cst.For, cst.While)


_NODE_TYPES: dict[type, bool] = {}


def _is_node(cls: type) -> bool:
    known = _NODE_TYPES.get(cls)
    if known is None:
        known = _NODE_TYPES[cls] = issubclass(cls, cst.CSTNode)
    return known


def _child_fields(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = tuple(
            f.name for f in dataclasses.fields(cls)
            if f.name not in _SKIPPED_FIELDS and not f.name.startswith("whitespace")
        )
        _FIELDS[cls] = names
    return names


@dataclass
class Binding:
    """A name bound in a scope. ``value`` is the bound expression when it is known
    (``x = expr``), else None (loop targets, ``+=``, imports, ``with ... as x``)."""

    name: str
    value: cst.BaseExpression | None
    node: cst.CSTNode  # the binding statement (or parameter, or target)
    order: int  # pre-order index after the whole statement


@dataclass
class Scope:
    node: cst.CSTNode
    parent: Scope | None
    kind: str  # "module", "class", "function"
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    params: dict[str, cst.Param] = field(default_factory=dict)
    # For functions defined in a class: the class scope and the first parameter's name.
    owner: Scope | None = None
    self_name: str | None = None
    # For classes: ``self.attr`` bindings from all methods.
    attributes: dict[str, list[Binding]] = field(default_factory=dict)

    def bind(self, binding: Binding) -> None:
        self.bindings.setdefault(binding.name, []).append(binding)


class Index:
    def __init__(self, module: cst.Module) -> None:
        self.module = module
        # Keyed by id(node): libcst nodes hash in Python, ids hash in C; the module
        # keeps every node alive while the index is used.
        self.parents: dict[int, cst.CSTNode] = {}
        self.order: dict[int, int] = {}
        self.scopes: dict[cst.CSTNode, Scope] = {}
        self.nodes: dict[type, list[cst.CSTNode]] = {t: [] for t in COLLECTED}
        self._walk()

    def of_type(self, node_type: type) -> list:
        return self.nodes[node_type]

    # -- the walk ---------------------------------------------------------------
    def _walk(self) -> None:
        module_scope = Scope(self.module, None, "module")
        self.scopes[self.module] = module_scope
        parents, order, collected = self.parents, self.order, self.nodes
        counter = 0
        stack: list = [(self.module, module_scope)]
        pop, push = stack.pop, stack.append
        while stack:
            node, scope = pop()
            if node is None:  # the end of a binding statement: bind now
                counter += 1
                self._bind_statement(scope[0], scope[1], counter)
                continue
            counter += 1
            order[id(node)] = counter
            node_type = type(node)
            bucket = collected.get(node_type)
            if bucket is not None:
                bucket.append(node)
            inner = scope
            if node_type is cst.FunctionDef or node_type is cst.Lambda:
                inner = self._open_function(node, scope, counter)
            elif node_type is cst.ClassDef:
                scope.bind(Binding(node.name.value, None, node, counter))
                inner = Scope(node, scope, "class")
                self.scopes[node] = inner
            if node_type in _BIND_AFTER:
                push((None, (node, scope)))
            elif node_type in _BIND_BEFORE:
                self._bind_statement(node, scope, counter)
            children = []
            for name in _child_fields(node_type):
                value = getattr(node, name)
                kind = type(value)
                if kind is tuple or kind is list:
                    children.extend(v for v in value if _is_node(type(v)))
                elif _is_node(kind):
                    children.append(value)
            for child in reversed(children):
                parents[id(child)] = node
                # Decorators, defaults and annotations run in the enclosing scope; close enough
                # for value tracking, which only follows bindings inside bodies.
                push((child, inner))

    def _open_function(self, node: cst.FunctionDef | cst.Lambda, scope: Scope, counter: int) -> Scope:
        inner = Scope(node, scope, "function")
        self.scopes[node] = inner
        if isinstance(node, cst.FunctionDef):
            scope.bind(Binding(node.name.value, None, node, counter))
        params = node.params
        every = [*params.posonly_params, *params.params, *params.kwonly_params]
        for extra in (params.star_arg, params.star_kwarg):
            if isinstance(extra, cst.Param):
                every.append(extra)
        for param in every:
            inner.params[param.name.value] = param
        if scope.kind == "class" and every and isinstance(node, cst.FunctionDef):
            inner.owner = scope
            inner.self_name = every[0].name.value
        return inner

    def _bind_statement(self, node: cst.CSTNode, scope: Scope, counter: int) -> None:
        if isinstance(node, cst.Assign):
            for target in node.targets:
                self._bind_target(target.target, node.value, node, scope, counter)
        elif isinstance(node, cst.AnnAssign):
            if node.value is not None:
                self._bind_target(node.target, node.value, node, scope, counter)
        elif isinstance(node, cst.NamedExpr):
            self._bind_target(node.target, node.value, node, scope, counter)
        elif isinstance(node, (cst.AugAssign, cst.For, cst.CompFor)):
            self._bind_target(node.target, None, node, scope, counter)
        elif isinstance(node, cst.WithItem):
            if node.asname is not None:
                self._bind_target(node.asname.name, None, node, scope, counter)
        elif isinstance(node, (cst.Import, cst.ImportFrom)):
            names = node.names if isinstance(node.names, (list, tuple)) else ()
            for alias in names:
                local = alias.evaluated_alias or alias.evaluated_name.split(".")[0]
                scope.bind(Binding(local, None, node, counter))

    def _bind_target(self, target: cst.CSTNode, value: cst.BaseExpression | None,
                     node: cst.CSTNode, scope: Scope, counter: int) -> None:
        if isinstance(target, cst.Name):
            scope.bind(Binding(target.value, value, node, counter))
        elif isinstance(target, (cst.Tuple, cst.List)):
            elements = [e.value for e in target.elements]
            values = None
            if (isinstance(value, (cst.Tuple, cst.List)) and len(value.elements) == len(elements)
                    and not any(isinstance(e, cst.StarredElement) for e in value.elements)):
                values = [e.value for e in value.elements]
            for position, element in enumerate(elements):
                element = element.value if isinstance(element, cst.StarredElement) else element
                self._bind_target(element, values[position] if values else None, node, scope, counter)
        elif (isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name)
              and scope.owner is not None and target.value.value == scope.self_name):
            scope.owner.attributes.setdefault(target.attr.value, []).append(
                Binding(target.attr.value, value, node, counter))

    # -- questions rules ask ----------------------------------------------------
    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.parents.get(id(node))

    def position_of(self, node: cst.CSTNode) -> int:
        """Pre-order index of ``node`` in the walk (source order, roughly)."""
        return self.order.get(id(node), 0)

    def ancestors(self, node: cst.CSTNode):
        parent = self.parents.get(id(node))
        while parent is not None:
            yield parent
            parent = self.parents.get(id(parent))

    def scope_of(self, node: cst.CSTNode) -> Scope:
        """The innermost scope whose body holds ``node``."""
        child = node
        for ancestor in self.ancestors(node):
            scope = self.scopes.get(ancestor)
            if scope is not None and _in_body(ancestor, child):
                return scope
            child = ancestor
        return self.scopes[self.module]

    def statement_of(self, node: cst.CSTNode) -> cst.CSTNode:
        """The statement line holding ``node`` (for suppression comments)."""
        for ancestor in (node, *self.ancestors(node)):
            if isinstance(ancestor, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
                return ancestor
        return node

    def conditional_blocks(self, node: cst.CSTNode, scope_node: cst.CSTNode) -> list[cst.CSTNode]:
        blocks = []
        for ancestor in self.ancestors(node):
            if ancestor is scope_node:
                break
            parent = self.parents.get(id(ancestor))
            if isinstance(ancestor, cst.BaseSuite) and isinstance(parent, _CONDITIONAL_PARENTS):
                blocks.append(ancestor)
        return blocks

    def enclosing_loops(self, node: cst.CSTNode, scope_node: cst.CSTNode) -> list[cst.CSTNode]:
        loops = []
        for ancestor in self.ancestors(node):
            if ancestor is scope_node:
                break
            if isinstance(ancestor, LOOPS):
                loops.append(ancestor)
        return loops

    def contains(self, outer: cst.CSTNode, node: cst.CSTNode) -> bool:
        return any(a is outer for a in self.ancestors(node))


# An assignment binds after its right-hand side ran; a loop target or an import binds
# before the code under it.
_BIND_AFTER = frozenset({cst.Assign, cst.AnnAssign, cst.AugAssign, cst.NamedExpr})
_BIND_BEFORE = frozenset({cst.For, cst.CompFor, cst.WithItem, cst.Import, cst.ImportFrom})


def _in_body(scope_node: cst.CSTNode, child: cst.CSTNode) -> bool:
    if isinstance(scope_node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
        return child is scope_node.body or child is getattr(scope_node, "params", None)
    return True
