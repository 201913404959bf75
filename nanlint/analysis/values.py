"""What an expression holds: which catalog operation produced it, followed through
names and attributes.

This is the value-tracking layer the rules share. ``Values.op(call)`` says what
a call computes (a catalog function, a tensor method, or a layer instance such
as ``self.sm = nn.Softmax(dim=1)`` applied as ``self.sm(h)``);
``Values.producer(expr)`` follows an expression to the call that produced it.

What it follows, all within one module:
- local names: the latest binding before the use, when it dominates the use (a
  binding inside a branch or loop body the use is not in makes the answer
  unknown; so does a rebinding later in a loop that holds the use);
- names bound exactly once in an enclosing (module or function) scope;
- ``self.attr`` bound exactly once in any method of the enclosing class;
- a name or attribute bound to a catalog function (``act = F.softmax``).

Limits, on purpose (unknown never reports): no inter-procedural flow (a value
returned by a helper function is unknown unless a rule asks for more), no
attributes other than ``self.``, no containers, no aliasing through mutation.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from nanlint import catalog
from nanlint.analysis.imports import ImportMap
from nanlint.analysis.index import Binding, Index, Scope
from nanlint.catalog import FUNCTION, LAYER, Api, Param

MAX_DEPTH = 12


@dataclass(frozen=True)
class Op:
    """A catalog operation applied by one call."""

    api: Api
    call: cst.Call  # the call that applies the operation
    input: cst.BaseExpression | None  # the tensor it applies to
    axis: cst.BaseExpression | None  # the axis argument, when given
    layer: cst.Call | None = None  # for a layer instance: the constructor call

    @property
    def role(self) -> str:
        return self.api.role

    @property
    def is_method(self) -> bool:
        return self.api.kind == catalog.METHOD


@dataclass(frozen=True)
class Produced:
    """``op`` produced the value of an expression; ``via`` are the bindings
    followed to get there (empty when the expression is the call itself)."""

    op: Op
    via: tuple[Binding, ...]

    def through_attribute(self, expr: cst.BaseExpression) -> bool:
        """Whether ``expr`` reached the producing call through an attribute
        (``self.p``) rather than directly or through local names only."""
        chain = [expr, *(b.value for b in self.via[:-1])]
        return any(isinstance(e, cst.Attribute) for e in chain)


def argument(call: cst.Call, param: Param | None) -> cst.BaseExpression | None:
    """The argument passed for ``param``, by keyword or by position."""
    if param is None:
        return None
    position, unpacked = 0, False
    for arg in call.args:
        if arg.keyword is not None:
            if arg.keyword.value == param.keyword or arg.keyword.value in param.aliases:
                return arg.value
        elif arg.star:
            unpacked = True  # positions after ``*args`` are unknown
        else:
            if position == param.position and not unpacked:
                return arg.value
            position += 1
    return None


def positional_count(call: cst.Call) -> int:
    return sum(1 for arg in call.args if arg.keyword is None and not arg.star)


class Values:
    def __init__(self, index: Index, imports: ImportMap) -> None:
        self.index = index
        self.imports = imports
        self.framework_file = bool(imports.roots & catalog.FRAMEWORK_ROOTS)
        self._ops: dict[cst.Call, Op | None] = {}

    # -- names ------------------------------------------------------------------
    def binding(self, name: cst.Name) -> Binding | None:
        """The binding a use of ``name`` reads, when it is certain."""
        index = self.index
        scope = index.scope_of(name)
        use = index.position_of(name)
        current: Scope | None = scope
        while current is not None:
            if current.kind == "class" and current is not scope:
                current = current.parent
                continue
            bindings = current.bindings.get(name.value, ())
            if current is scope:
                before = [b for b in bindings if b.order < use]
                if before:
                    return self._dominating(before[-1], bindings, name, scope)
                if name.value in current.params:
                    return Binding(name.value, None, current.params[name.value], 0)
                if bindings:
                    return None  # bound only later in this scope (a loop, or an error)
            else:
                if len(bindings) == 1:
                    return bindings[0]
                if bindings:
                    return None
                if name.value in current.params:
                    return Binding(name.value, None, current.params[name.value], 0)
            current = current.parent
        return None

    def _dominating(self, last: Binding, bindings, use: cst.Name, scope: Scope) -> Binding | None:
        index = self.index
        use_ancestors = set(map(id, index.ancestors(use)))
        if any(id(block) not in use_ancestors for block in index.conditional_blocks(last.node, scope.node)):
            return None
        use_order = index.position_of(use)
        for loop in index.enclosing_loops(use, scope.node):
            if any(b.order > use_order and index.contains(loop, b.node) for b in bindings):
                return None
        return last

    def attribute_binding(self, attr: cst.Attribute) -> Binding | None:
        """``self.x`` read in a method: the class's single binding of ``x``."""
        if not isinstance(attr.value, cst.Name):
            return None
        scope = self.index.scope_of(attr)
        while scope is not None and scope.kind == "function" and scope.owner is None:
            scope = scope.parent  # a closure inside a method still sees ``self``
        if scope is None or scope.owner is None or attr.value.value != scope.self_name:
            return None
        bindings = scope.owner.attributes.get(attr.attr.value, ())
        return bindings[0] if len(bindings) == 1 else None

    def resolve(self, expr: cst.BaseExpression, depth: int = 0) -> tuple[cst.BaseExpression, tuple[Binding, ...]]:
        """Follow names and ``self.`` attributes to the expression they were bound to."""
        via: list[Binding] = []
        seen: set[int] = set()
        while depth < MAX_DEPTH:
            if isinstance(expr, cst.Name):
                binding = self.binding(expr)
            elif isinstance(expr, cst.Attribute):
                binding = self.attribute_binding(expr)
            else:
                break
            if binding is None or binding.value is None or id(binding) in seen:
                break
            seen.add(id(binding))
            via.append(binding)
            expr = binding.value
            depth += 1
        return expr, tuple(via)

    # -- operations ---------------------------------------------------------------
    def qualify(self, expr: cst.BaseExpression) -> str | None:
        return self.imports.qualify(expr)

    def op(self, call: cst.Call) -> Op | None:
        if call in self._ops:
            return self._ops[call]
        result = self._classify(call)
        self._ops[call] = result
        return result

    def ops(self, *roles: str):
        """Every call in the file that applies one of ``roles``, in source order."""
        for call in self.index.of_type(cst.Call):
            op = self.op(call)
            if op is not None and op.role in roles:
                yield op

    def _classify(self, call: cst.Call) -> Op | None:
        func = call.func
        qualified = self.qualify(func)
        if qualified is not None:
            api = catalog.lookup(qualified)
            if api is not None and api.kind == FUNCTION:
                return Op(api, call, argument(call, api.input), argument(call, api.axis))
            return None  # a framework name that is not an operation (or a constructor)
        if isinstance(func, cst.Attribute) and self.framework_file and not self._is_self(func.value):
            api = catalog.method(func.attr.value, positional_count(call))
            if api is not None:
                return Op(api, call, func.value, argument(call, api.axis))
        target, _ = self.resolve(func)
        if target is func:
            if isinstance(func, cst.Call):  # nn.Softmax(dim=1)(x)
                return self._layer_application(call, func)
            return None
        if isinstance(target, cst.Call):
            return self._layer_application(call, target)
        qualified = self.qualify(target)
        api = catalog.lookup(qualified) if qualified else None
        if api is not None and api.kind == FUNCTION:  # act = F.softmax; act(x, dim=1)
            return Op(api, call, argument(call, api.input), argument(call, api.axis))
        return None

    def _layer_application(self, call: cst.Call, constructor: cst.Call) -> Op | None:
        qualified = self.qualify(constructor.func)
        api = catalog.lookup(qualified) if qualified else None
        if api is None or api.kind != LAYER:
            return None
        first = call.args[0].value if call.args and call.args[0].keyword is None and not call.args[0].star else None
        return Op(api, call, first, argument(constructor, api.axis), layer=constructor)

    def _is_self(self, expr: cst.BaseExpression) -> bool:
        if not isinstance(expr, cst.Name):
            return False
        if expr.value in self.imports.names:
            return True  # a module alias: ``np.log`` was already looked up by name
        scope = self.index.scope_of(expr)
        while scope is not None and scope.kind == "function" and scope.owner is None:
            scope = scope.parent
        return scope is not None and scope.owner is not None and expr.value == scope.self_name

    def producer(self, expr: cst.BaseExpression) -> Produced | None:
        """The catalog operation whose result ``expr`` holds, if any is certain."""
        target, via = self.resolve(expr)
        if isinstance(target, cst.Call):
            op = self.op(target)
            if op is not None:
                return Produced(op, via)
        return None
