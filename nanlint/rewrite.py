"""Building replacement expressions that rules share: a stable counterpart call
(``log(softmax(x, dim=1))`` -> ``log_softmax(x, dim=1)``), negation, and the
check that an expression can be moved to another place without changing its value."""

from __future__ import annotations

import libcst as cst

from nanlint.analysis.values import Op, Produced
from nanlint.catalog import IMPLICIT, LAYER, METHOD
from nanlint.context import Context
from nanlint.finding import SAFE
from nanlint.fixes import FixSpec, NeededImport

_ATOMS = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Integer, cst.Float)


def negate(expr: cst.BaseExpression) -> cst.BaseExpression:
    """``-expr``, parenthesised where needed; ``-(-x)`` is ``x``."""
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus) and not expr.lpar:
        return expr.expression
    if not isinstance(expr, _ATOMS) and not expr.lpar:
        expr = expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return cst.UnaryOperation(operator=cst.Minus(), expression=expr)


def is_int_literal(expr: cst.BaseExpression | None) -> bool:
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
        expr = expr.expression
    return isinstance(expr, cst.Integer)


def axis_is_exact(op: Op) -> bool:
    """Whether the counterpart would use the same axis: given explicitly, or a default
    the framework does not guess (torch's implicit dim is guessed)."""
    if op.api.axis is None or op.axis is not None:
        return True
    return op.api.axis_default != IMPLICIT


def stable_counterpart(ctx: Context, op: Op, wrapper: str, negate_input: bool = False
                       ) -> tuple[cst.BaseExpression, list[NeededImport]] | str:
    """The call that computes ``wrapper(op(...))`` stably, or the reason there is none."""
    target = op.api.stable.get(wrapper)
    if target is None:
        return f"`{ctx.code_for(op.call.func)}` has no stable counterpart in its framework"
    if not axis_is_exact(op):
        return f"the {op.api.axis.keyword} is implicit, so the rewrite could change the axis"
    if op.api.kind == LAYER:
        return _layer_counterpart(ctx, op, target, negate_input)
    if target.startswith("."):
        if negate_input:
            return "the input cannot be negated in a method call"
        func = op.call.func.with_changes(attr=cst.Name(target[1:]))
        return op.call.with_changes(func=func), []
    spelled = ctx.callee(target, like=None if op.api.kind == METHOD else op.call.func)
    if spelled is None:
        return f"`{target.rpartition('.')[2]}` would clash with a name in this file"
    callee, needed = spelled
    imports = [needed] if needed else []
    if op.api.kind == METHOD:
        value = negate(op.input) if negate_input else op.input
        return cst.Call(func=callee, args=[cst.Arg(value=value)]), imports
    call = op.call.with_changes(func=callee)
    if negate_input:
        call = _replace_input(call, op)
        if call is None:
            return "the input argument could not be found"
    return call, imports


def _replace_input(call: cst.Call, op: Op) -> cst.Call | None:
    args = list(call.args)
    for i, arg in enumerate(args):
        if arg.value is op.input:
            args[i] = arg.with_changes(value=negate(arg.value))
            return call.with_changes(args=args)
    return None


def _layer_counterpart(ctx: Context, op: Op, target: str, negate_input: bool):
    if op.input is None:
        return "the layer's input could not be found"
    if op.api.axis is not None and not is_int_literal(op.axis):
        return f"the layer's {op.api.axis.keyword} is not a literal"
    spelled = ctx.callee(target)
    if spelled is None:
        return f"`{target}` would clash with a name in this file"
    callee, needed = spelled
    value = negate(op.input) if negate_input else op.input
    args = [cst.Arg(value=value)]
    if op.api.axis is not None:
        args = [cst.Arg(value=value, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                cst.Arg(value=op.axis, keyword=cst.Name(op.api.axis.keyword),
                        equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))]
    return cst.Call(func=callee, args=args), [needed] if needed else []


def movable(ctx: Context, produced: Produced, use: cst.CSTNode) -> bool:
    """Whether the producing call can be written at ``use`` instead of the name bound
    to it: it calls nothing else (no side effects, no repeated work), and no name it
    reads is rebound between the binding and the use."""
    if not produced.via:
        return True
    call = produced.op.call
    names: list[cst.Name] = []
    stack: list[cst.CSTNode] = [call.func, *call.args] if produced.op.layer is None else [*call.args]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call):
            return False
        if isinstance(node, cst.Name):
            names.append(node)
        elif isinstance(node, cst.Attribute):
            stack.append(node.value)
        else:
            stack.extend(node.children)
    index = ctx.index
    start, end = index.position_of(call), index.position_of(use)
    scope = index.scope_of(use)
    for name in names:
        bindings = scope.bindings.get(name.value, ())
        if any(start < b.order < end for b in bindings):
            return False
    return index.scope_of(call) is scope


def report_stable_log(ctx: Context, log_call: cst.Call, produced: Produced, what: str, stable: str,
                      negate_input: bool = False) -> None:
    """Report ``log(<what>(x))`` at the log call, with the rewrite to ``<stable>`` when
    it is exact. Shared by the log-of-softmax and log-of-sigmoid rules."""
    shown = f"log(1 - {what}(x))" if negate_input else f"log({what}(x))"
    limit = "1" if negate_input else "0"
    problem = f"{shown} is -inf once the {what} saturates to {limit}"
    counterpart = stable_counterpart(ctx, produced.op, "log", negate_input)
    if isinstance(counterpart, str):
        ctx.report(log_call, f"{problem}; use {stable} (no automatic fix: {counterpart})")
        return
    if not movable(ctx, produced, log_call):
        ctx.report(log_call, f"{problem}; use {stable} (no automatic fix: the {what}'s input is computed elsewhere)")
        return
    new, imports = counterpart
    code = ctx.code_for(new)
    suggestion = code if len(code) <= 60 and "\n" not in code else ctx.code_for(new.func)
    ctx.report(log_call, f"{problem}; use `{suggestion}`",
               fix=FixSpec(SAFE, f"Rewrite as `{ctx.code_for(new.func)}`", [(log_call, new)], imports))
