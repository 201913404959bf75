"""Does this module compute in float16, and what does it train?

Module-wide facts the optimisation and precision rules (NAN302-NAN304) share,
computed once per file from the index's calls, assignments and function
definitions (no extra walk):

- float16 computation: ``.half()``, a float16 dtype (``torch.float16``/``torch.half``,
  ``np.float16``, ``jnp.float16``, ``tf.float16``, ``dtype="float16"``) passed to a call,
  assigned or used as a parameter default, ``autocast(dtype=torch.float16)`` and the
  autocasts whose default is float16 (``torch.autocast("cuda")``,
  ``torch.cuda.amp.autocast()``), a Keras ``mixed_float16`` or ``float16`` policy.
  Reading a dtype is not computing in it: comparisons (``x.dtype == torch.float16``),
  ``finfo``/``iinfo``, dict and set literals are ignored. bfloat16 is not float16.
- which models are float16: the receivers of a float16 cast (``model.half()``,
  ``model = Net().to(device).half()``) whose ``parameters()`` are taken;
- loss scaling (``GradScaler`` and wrappers that scale the loss), gradient clipping,
  and the calls that make a training step.
"""

from __future__ import annotations

import struct
import weakref
from dataclasses import dataclass, field

import libcst as cst

from nanlint import catalog
from nanlint.analysis.guards import literal_number
from nanlint.analysis.imports import dotted
from nanlint.analysis.values import argument, positional_count
from nanlint.catalog import METHOD, Api
from nanlint.catalog.optimizers import CLIP_KEYWORDS, FLOAT16_STRINGS, GRADIENT_ATTRIBUTES, MIXED_FLOAT16
from nanlint.catalog.roles import (
    AUTOCAST,
    BACKWARD,
    CLAMP,
    DTYPE_INFO,
    FLOAT16,
    FLOAT16_CAST,
    GRAD_CLIP,
    LOSS_SCALING,
    OPTIMIZER_STEP,
    PARAMETERS,
    PRECISION_POLICY,
)

# float16's smallest positive (subnormal) value, 2**-24: a smaller epsilon is no guard.
FLOAT16_TINY = 2.0 ** -24
DTYPE_KEYWORDS = frozenset({"dtype", "torch_dtype"})
# The last part of every float16 dtype's name: only these names are worth qualifying.
FLOAT16_LEAVES = frozenset(row.name.rpartition(".")[2] for row in catalog.FUNCTIONS.values() if row.role == FLOAT16)


def method_rows(values, call: cst.Call, any_file: bool = False) -> tuple[Api, ...]:
    """Every method row ``x.name(...)`` may apply (several rule families define rows for
    the same method name; ``Values.op`` returns only the first). Only in framework files,
    unless ``any_file`` (the standard library's methods, such as argparse's)."""
    func = call.func
    if not isinstance(func, cst.Attribute) or not (values.framework_file or any_file):
        return ()
    rows = catalog.METHODS.get(func.attr.value)
    if not rows:
        return ()
    if isinstance(func.value, cst.Name) and func.value.value in values.imports.names:
        return ()  # a module function, looked up by its qualified name instead
    count = positional_count(call)
    return tuple(row for row in rows if row.max_args is None or count <= row.max_args)


def call_rows(values, call: cst.Call, any_file: bool = False) -> tuple[Api, ...]:
    """The catalog rows a call may apply: its function by qualified name, else its method
    rows. (Classes whose instances apply a role, such as layers, are not included.)"""
    op = values.op(call)  # cached: every rule classifies the same calls
    if op is not None and op.api.kind != METHOD:
        return (op.api,)
    return method_rows(values, call, any_file)


def has_role(values, call: cst.Call, role: str) -> Api | None:
    return next((row for row in call_rows(values, call) if row.role == role), None)


def constant(values, expr: cst.BaseExpression) -> float | None:
    """A numeric literal (with sign and arithmetic), also through a name bound to one
    (``EPS = 1e-8``); None for anything else, or for an expression nested too deeply."""
    try:
        value = literal_number(expr)
        if value is None and isinstance(expr, (cst.Name, cst.Attribute)):
            target, via = values.resolve(expr)
            if via:
                value = literal_number(target)
        return value
    except RecursionError:
        return None


def to_float16(value: float) -> float:
    """``value`` rounded to float16 (``inf`` when it overflows)."""
    try:
        return struct.unpack("e", struct.pack("e", value))[0]
    except OverflowError:
        return float("inf") if value > 0 else float("-inf")


def to_float32(value: float) -> float:
    try:
        return struct.unpack("f", struct.pack("f", value))[0]
    except OverflowError:
        return float("inf") if value > 0 else float("-inf")


def format_eps(value: float) -> str:
    """An epsilon as people write it: ``1e-4``, ``2.5e-5`` (not ``0.0001`` or ``1e-04``)."""
    mantissa, exponent = f"{value:.6e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def format_number(value: float) -> str:
    """A number in a message, as Python writes it but with a short exponent: ``0.5``,
    ``5.0``, ``3e-4``."""
    text = repr(float(value))
    if abs(value) >= 1e4:
        return format_eps(value)
    if "e" in text:
        mantissa, _, exponent = text.partition("e")
        return f"{mantissa.removesuffix('.0')}e{int(exponent)}"
    return text


@dataclass
class Precision:
    float16: bool = False  # the module computes in float16 somewhere
    tf_float16_variables: bool = False  # TensorFlow float16 dtypes outside a mixed policy
    mixed_policy: bool = False  # Keras mixed_float16: computes in float16, variables stay float32
    autocasts: list[cst.Call] = field(default_factory=list)  # float16 autocast regions
    casts: list[cst.Call] = field(default_factory=list)  # calls whose result is float16 (x.half(), x.to(f16))
    parameters: list[cst.Call] = field(default_factory=list)  # model.parameters() calls
    backwards: list[cst.Call] = field(default_factory=list)
    loss_scaling: bool = False
    clipping: bool = False
    training: bool = False  # a training step: backward() + step(), fit, apply_gradients, ...


_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def precision_of(ctx) -> Precision:
    """The module's precision facts, computed once per file."""
    found = _CACHE.get(ctx)
    if found is None:
        found = _CACHE[ctx] = _collect(ctx)
    return found


def _collect(ctx) -> Precision:
    values = ctx.values
    facts = Precision()
    steps = {"alone": False, "step": False}
    for call in ctx.index.of_type(cst.Call):
        rows = call_rows(values, call)
        for row in rows:
            _note_row(values, facts, steps, call, row)
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value in CLIP_KEYWORDS:
                facts.clipping = True
            if _is_float16(values, arg.value, keyword=arg.keyword):
                if any(row.role == DTYPE_INFO for row in rows):
                    continue
                facts.float16 = True
                if _framework(values, arg.value) == "tensorflow":
                    facts.tf_float16_variables = True
                if isinstance(call.func, cst.Attribute) and values.qualify(call.func) is None:
                    facts.casts.append(call)  # x.to(torch.float16), x.type(torch.HalfTensor)
    for assign in ctx.index.of_type(cst.Assign):
        if _is_float16(values, assign.value):
            facts.float16 = True
        for target in assign.targets:
            if isinstance(target.target, cst.Attribute) and target.target.attr.value in CLIP_KEYWORDS:
                facts.clipping = True  # optimizer.clipnorm = 1.0
    for function in ctx.index.of_type(cst.FunctionDef):
        params = function.params
        for param in (*params.params, *params.kwonly_params):
            if param.default is not None and _is_float16(values, param.default):
                facts.float16 = True
    if facts.mixed_policy:
        facts.tf_float16_variables = False
    facts.training = steps["alone"] or (steps["step"] and bool(facts.backwards))
    return facts


def _note_row(values, facts: Precision, steps: dict, call: cst.Call, row: Api) -> None:
    role = row.role
    if role == FLOAT16_CAST:
        facts.float16 = True
        facts.casts.append(call)
    elif role == FLOAT16:
        facts.float16 = True  # np.float16(x)
    elif role == AUTOCAST:
        if _autocast_is_float16(values, call, row):
            facts.float16 = True
            facts.autocasts.append(call)
    elif role == PRECISION_POLICY:
        policy = argument(call, row.extra["policy"])
        name = policy.evaluated_value if isinstance(policy, cst.SimpleString) else None
        if name == MIXED_FLOAT16:
            facts.float16 = facts.mixed_policy = True
        elif name in FLOAT16_STRINGS:
            facts.float16 = facts.tf_float16_variables = True
    elif role == PARAMETERS:
        facts.parameters.append(call)
    elif role == BACKWARD:
        facts.backwards.append(call)
    elif role == OPTIMIZER_STEP:
        steps["alone" if row.extra.get("alone") else "step"] = True
    elif role == LOSS_SCALING:
        facts.loss_scaling = True
    elif role == GRAD_CLIP:
        facts.clipping = True
    elif role == CLAMP and isinstance(call.func, cst.Attribute) and _reads_gradient(call.func.value):
        facts.clipping = True  # p.grad.data.clamp_(-1, 1)


def _reads_gradient(expr: cst.BaseExpression) -> bool:
    while isinstance(expr, cst.Attribute):
        if expr.attr.value in GRADIENT_ATTRIBUTES:
            return True
        expr = expr.value
    return False


def _is_float16(values, expr: cst.BaseExpression, keyword: cst.Name | None = None) -> bool:
    # Exact type tests: this runs for every argument of every call in the file.
    kind = type(expr)
    if kind is cst.Attribute:
        leaf = expr.attr.value
    elif kind is cst.Name:
        leaf = expr.value
    elif kind is cst.SimpleString:
        return keyword is not None and keyword.value in DTYPE_KEYWORDS and expr.evaluated_value in FLOAT16_STRINGS
    elif kind is cst.IfExp:
        return _is_float16(values, expr.body, keyword) or _is_float16(values, expr.orelse, keyword)
    else:
        return False
    if leaf not in FLOAT16_LEAVES:
        return False
    qualified = values.qualify(expr)
    row = catalog.lookup(qualified) if qualified else None
    return row is not None and row.role == FLOAT16


def _framework(values, expr: cst.BaseExpression) -> str | None:
    if isinstance(expr, cst.IfExp):
        return _framework(values, expr.body) or _framework(values, expr.orelse)
    qualified = values.qualify(expr) if isinstance(expr, (cst.Attribute, cst.Name)) else None
    row = catalog.lookup(qualified) if qualified else None
    return row.framework if row is not None else None


def _autocast_is_float16(values, call: cst.Call, row: Api) -> bool:
    extra = row.extra
    enabled = argument(call, extra["enabled"])
    if isinstance(enabled, cst.Name) and enabled.value == "False":
        return False
    dtype = argument(call, extra["dtype"])
    if dtype is not None:
        return _is_float16(values, dtype, keyword=cst.Name("dtype"))
    device = argument(call, extra["device"]) if extra["device"] is not None else None
    if extra["device"] is None:
        return extra["default"].get(None) == "float16"
    if isinstance(device, cst.SimpleString):
        kind = device.evaluated_value.split(":")[0]
        return extra["default"].get(kind) == "float16"
    return False  # a device held in a variable: unknown


def receiver_chain(expr: cst.BaseExpression):
    """``a.b().c()`` -> the calls ``a.b().c()``, ``a.b()`` and the root ``a`` (outermost first)."""
    while True:
        yield expr
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
            expr = expr.func.value
        elif isinstance(expr, cst.Attribute):
            expr = expr.value
        else:
            return


def float16_models(ctx) -> dict[str, list[cst.Call]]:
    """Dotted names (``model``, ``self.net``) cast to float16 in this module, with the casts:
    ``model.half()`` as a statement, or ``model = <...>.half()``."""
    found = _MODELS.get(ctx)
    if found is not None:
        return found
    found = {}
    index = ctx.index
    for cast in precision_of(ctx).casts:
        parent = index.parent(cast)
        if isinstance(parent, cst.Expr):
            name = dotted(cast.func.value)
            if name is not None:
                found.setdefault(name, []).append(cast)
            continue
        outer = cast
        while isinstance(parent, (cst.Attribute, cst.Call)) and _continues_chain(parent, outer):
            outer = parent if isinstance(parent, cst.Call) else outer
            parent = index.parent(parent)
        if isinstance(parent, cst.Assign) and parent.value is outer:
            for target in parent.targets:
                name = dotted(target.target)
                if name is not None:
                    found.setdefault(name, []).append(cast)
    _MODELS[ctx] = found
    return found


_MODELS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _continues_chain(parent: cst.CSTNode, child: cst.CSTNode) -> bool:
    """``child`` is the receiver of a further method call: ``child.to(device)``."""
    if isinstance(parent, cst.Attribute):
        return parent.value is child
    return isinstance(parent, cst.Call) and isinstance(parent.func, cst.Attribute)


def is_float16_parameters(ctx, parameters_call: cst.Call) -> bool:
    """Whether ``<model>.parameters()`` reads a model cast to float16: the cast is in the
    receiver's chain (``model.half().parameters()``), in what the receiver is bound to, or
    a cast of the same name in the same scope (or at module level)."""
    receiver = parameters_call.func.value
    casts = set(map(id, precision_of(ctx).casts))
    if any(id(link) in casts for link in receiver_chain(receiver)):
        return True
    bound, _ = ctx.values.resolve(receiver)
    if bound is not receiver and any(id(link) in casts for link in receiver_chain(bound)):
        return True
    name = dotted(receiver)
    if name is None:
        return False
    index = ctx.index
    scope = index.scope_of(parameters_call)
    module_scope = index.scopes[ctx.module]
    for cast in float16_models(ctx).get(name, ()):
        cast_scope = index.scope_of(cast)
        if cast_scope is scope or cast_scope is module_scope:
            return True
    return False


def trains_in_float16(ctx) -> str | None:
    """How the module trains in float16 (for messages), or None: a float16 autocast, or a
    model cast to float16 whose parameters are taken."""
    facts = precision_of(ctx)
    if facts.autocasts:
        return "autocast"
    if any(is_float16_parameters(ctx, call) for call in facts.parameters):
        return "half"
    return None
