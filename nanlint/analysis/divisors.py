"""Value questions of the division and roots rules (NAN201-NAN204).

- ``zero_risk``: can this divisor be 0 at run time? A sum or count, a norm (also a
  product of norms), a std or var, a tensor of zeros, a constant holding a 0, or a name,
  reshape, cast or root of one of those. Anything else is unknown, and unknown is no risk.
- ``radicand``: can the argument of a square root be 0 (a sum of squares, a variance, a
  squared distance, a dot product of a vector with itself) or underflow to 0 (``exp``)?
- ``cosine_like``: is this a cosine similarity or a normalised dot product?
- ``unsafe_operand``: the operand that makes a log, a division or a root blow up.
- where the answer holds: in a differentiable framework where a gradient is recorded
  (``gradient_flows``: not under ``torch.no_grad()``, not in an optimizer's update, not in
  a PyTorch file that trains nothing; ``no_gradient``: not counts, comparisons or new
  tensors), in a framework computation rather than plain Python arithmetic, not computed
  from constants only (``deterministic``), and whether the function compares the divisor
  with something (the author thought about 0).

It also builds the guarded replacements the fixes write (``x + eps`` or the framework's
clamp, per ``fix-style``). All answers come from the catalog and the value-tracking
layer; nothing walks the tree again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst

from nanlint.analysis import per_file
from nanlint.analysis.guards import TENSOR_CONSTRUCTORS, is_guarded, is_positive_constant, literal_number
from nanlint.analysis.values import Op, Values, argument
from nanlint.catalog import FRAMEWORK_ROOTS, METHOD
from nanlint.catalog.division_roots import (
    CLIP,
    DETACHING_CONSTRUCTORS,
    DIFFERENTIABLE,
    FLOOR,
    LEAVES_AUTOGRAD,
    NO_GRAD,
    NO_GRAD_BASES,
    TORCH_TRAINING_BASES,
    TORCH_TRAINING_MODULES,
    TRANSPOSE_ATTRIBUTES,
)
from nanlint.catalog.roles import (
    ABS,
    ARANGE,
    BACKWARD,
    CLAMP,
    CLAMP_MIN,
    COSINE_SIMILARITY,
    COUNT,
    CREATE,
    DIVIDE,
    DOT,
    EXP,
    FLOAT16_CAST,
    GATHER,
    LOG,
    MAXIMUM,
    MEAN,
    NORM,
    NORMALIZE,
    POW,
    RANDINT,
    RSQRT,
    SAME_VALUES,
    SIGMOID,
    SOFTMAX,
    SQRT,
    SQUARE,
    STD,
    STOP_GRADIENT,
    SUM,
    TOPK,
    VAR,
    WHERE,
    ZEROS,
)
from nanlint.context import Context
from nanlint.fixes import NeededImport

MAX_DEPTH = 12

# Operations whose result holds the input's values (a 0 stays a 0).
VALUE_KEEPING = frozenset({SAME_VALUES, FLOAT16_CAST})
# Frameworks whose tensors can be changed in place after a name is bound to them.
MUTABLE = frozenset({"torch", "numpy", "keras"})

# What a divisor's kind is called in messages.
KIND_WORDS = {
    "sum": "a sum",
    "count": "a count",
    "norm": "a norm",
    "std": "a standard deviation",
    "var": "a variance",
    "zeros": "a tensor of zeros",
    "constant": "a constant tensor holding 0",
    "literal": "the literal 0",
}
CERTAIN = frozenset({"zeros", "constant", "literal"})


@dataclass(frozen=True)
class Risk:
    """A divisor that can be 0: its ``kind`` (see KIND_WORDS), the operation that
    computes it (None for literals and constants), and the framework spelling key
    (``FLOOR``/``CLIP``) its guard should use. ``root`` is set when the quantity is the
    square root (or power) of another one: NAN202's business in differentiable code."""

    kind: str
    op: Op | None
    framework: str | None
    root: cst.CSTNode | None = None

    @property
    def certain(self) -> bool:
        return self.kind in CERTAIN


@dataclass(frozen=True)
class Radicand:
    """A root's argument that can be 0: what it is (for the message), and for the
    ``exp`` case the exp operation (its exact fix is ``exp(0.5 * x)``)."""

    what: str
    exp: Op | None = None


@dataclass
class Quantities:
    ctx: Context
    _compared: dict[int, list[tuple[cst.Comparison, frozenset[str]]]] | None = field(default=None, repr=False)
    _torch_trains: bool | None = field(default=None, repr=False)

    @property
    def values(self) -> Values:
        return self.ctx.values

    # -- following a value ---------------------------------------------------------------
    def strip(self, expr: cst.BaseExpression, through_detach: bool = True) -> cst.BaseExpression:
        """The expression whose values ``expr`` holds: through names, ``self.`` attributes,
        the first result of a top-k, reshapes, casts, transposes (and ``detach`` unless told
        not to)."""
        for _ in range(MAX_DEPTH):
            following = self.strip_once(expr, through_detach)
            if following is None:
                return expr
            expr = following
        return expr

    def aliases(self, expr: cst.BaseExpression) -> set[str]:
        """The source text of every expression ``strip`` passes through from ``expr``: the
        names, attributes, reshapes and casts that hold the same value."""
        found: set[str] = set()
        for _ in range(MAX_DEPTH):
            found.add(bare_code(self.ctx, expr))
            following = self.strip_once(expr)
            if following is None:
                break
            expr = following
        return found

    def strip_once(self, expr: cst.BaseExpression, through_detach: bool = True) -> cst.BaseExpression | None:
        """One step of ``strip``; None when ``expr`` is where the value is computed."""
        if isinstance(expr, cst.Attribute) and expr.attr.value in TRANSPOSE_ATTRIBUTES:
            return expr.value
        if isinstance(expr, (cst.Name, cst.Attribute)):
            target, _ = self.values.resolve(expr)
            if target is not expr:
                return target
            return self._tuple_source(expr) if isinstance(expr, cst.Name) else None
        if isinstance(expr, cst.Call):
            op = self.values.op(expr)
            if op is not None and op.input is not None and (
                    op.role in VALUE_KEEPING or (through_detach and op.role == STOP_GRADIENT)):
                return op.input
        return None

    def _tuple_source(self, name: cst.Name) -> cst.BaseExpression | None:
        """``values, indices = torch.topk(x, k)``: ``values`` holds elements of ``x``."""
        binding = self.values.binding(name)
        node = binding.node if binding is not None else None
        if not isinstance(node, cst.Assign) or len(node.targets) != 1 or not isinstance(node.value, cst.Call):
            return None
        target = node.targets[0].target
        if not isinstance(target, (cst.Tuple, cst.List)) or not target.elements:
            return None
        first = target.elements[0].value
        if not (isinstance(first, cst.Name) and first.value == name.value):
            return None
        op = self.values.op(node.value)
        if op is None or op.role != TOPK or op.input is None:
            return None
        return op.input

    def producer(self, expr: cst.BaseExpression, through_detach: bool = True) -> Op | None:
        target = self.strip(expr, through_detach)
        return self.values.op(target) if isinstance(target, cst.Call) else None

    # -- can this divisor be 0? ----------------------------------------------------------
    def zero_risk(self, expr: cst.BaseExpression, depth: int = 0, named: bool = False) -> Risk | None:
        """``named``: the value was reached through a name, which code may have changed in
        place since (``w = torch.zeros(n); w[i] += ...``)."""
        if depth > MAX_DEPTH:
            return None
        number = literal_number(expr)
        if number is not None:
            return Risk("literal", None, None) if number == 0 and not named else None
        target = self.strip(expr)
        if target is not expr:
            return self.zero_risk(target, depth + 1, named or isinstance(expr, (cst.Name, cst.Attribute)))
        if isinstance(expr, cst.Subscript):
            inner = self.zero_risk(expr.value, depth + 1, named)
            return None if inner is None or inner.kind == "constant" else inner
        if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, (cst.Minus, cst.Plus)):
            return self.zero_risk(expr.expression, depth + 1, named)
        if isinstance(expr, cst.BinaryOperation):
            return self._binary_risk(expr, depth, named)
        if isinstance(expr, cst.Call):
            return self._call_risk(expr, depth, named)
        return None

    def _binary_risk(self, expr: cst.BinaryOperation, depth: int, named: bool) -> Risk | None:
        operator = expr.operator
        if isinstance(operator, cst.Multiply):  # a product of norms is a norm; 0 * x is 0
            return self.zero_risk(expr.left, depth + 1, named) or self.zero_risk(expr.right, depth + 1, named)
        if isinstance(operator, cst.Divide):
            return self.zero_risk(expr.left, depth + 1, named)
        if isinstance(operator, cst.Power):
            exponent = literal_number(expr.right)
            if exponent is not None and exponent > 0:
                inner = self.zero_risk(expr.left, depth + 1, named)
                if inner is not None and exponent < 1:
                    return Risk(inner.kind, inner.op, inner.framework, root=expr)
                return inner
        return None

    def _call_risk(self, call: cst.Call, depth: int, named: bool) -> Risk | None:
        values = self.values
        op = values.op(call)
        if op is None:
            qualified = values.qualify(call.func)
            if qualified in TENSOR_CONSTRUCTORS and call.args and call.args[0].keyword is None \
                    and _holds_zero(call.args[0].value):
                framework = qualified.split(".")[0]
                return None if named and framework in MUTABLE else Risk("constant", None, framework)
            return None
        role = op.role
        if role in (SUM, COUNT, NORM, STD, VAR, ZEROS):
            if role in (SUM, NORM) and op.input is not None and self._positive(op.input):
                return None  # a sum of exp or of probabilities is > 0 (NAN105 has the unstable form)
            if role != ZEROS and op.input is not None and self.deterministic(op.input):
                return None  # computed from constants only: 0 for every input or for none
            if role == ZEROS and named and op.api.framework in MUTABLE:
                return None
            kind = {SUM: "sum", COUNT: "count", NORM: "norm", STD: "std", VAR: "var", ZEROS: "zeros"}[role]
            return Risk(kind, op, self.framework_key(op))
        if op.input is None:
            return None
        if role in (ABS, STOP_GRADIENT) or role in VALUE_KEEPING:
            return self.zero_risk(op.input, depth + 1, named)
        if role == SQRT:
            inner = self.zero_risk(op.input, depth + 1, named)
            return None if inner is None else Risk(inner.kind, inner.op, inner.framework, root=call)
        if role == POW:
            exponent = argument(call, op.api.extra["other"])
            number = literal_number(exponent) if exponent is not None else None
            if number is None or number <= 0:
                return None
            inner = self.zero_risk(op.input, depth + 1, named)
            if inner is not None and number < 1:
                return Risk(inner.kind, inner.op, inner.framework, root=call)
            return inner
        if role in (CLAMP, CLAMP_MIN):
            lower = argument(call, op.api.extra["min"])
            if lower is None or _at_most_zero(lower):
                return self.zero_risk(op.input, depth + 1, named)
            return None
        if role == MAXIMUM:
            other = argument(call, op.api.extra["other"])
            if other is not None and _at_most_zero(other):
                return self.zero_risk(op.input, depth + 1, named)
            return None
        return None

    def _positive(self, expr: cst.BaseExpression, depth: int = 0) -> bool:
        """Whether every element is > 0 by construction: exp, softmax and sigmoid outputs
        (probabilities; also indexed, gathered or top-k'ed), or values shifted or clamped
        away from 0 (``relu(x) + eps``)."""
        target = self.strip(expr)
        while isinstance(target, cst.Subscript):
            target = self.strip(target.value)
        if isinstance(target, cst.BinaryOperation) and isinstance(target.operator, cst.Add):
            return is_positive_constant(self.values, target.left) or is_positive_constant(self.values, target.right)
        op = self.values.op(target) if isinstance(target, cst.Call) else None
        if op is None:
            return False
        if op.role in (CLAMP, CLAMP_MIN, MAXIMUM):
            return is_guarded(self.values, target)
        if op.role == GATHER and op.input is not None and depth < MAX_DEPTH:
            return self._positive(op.input, depth + 1)
        return op.role in (EXP, SOFTMAX, SIGMOID)

    # -- roots ---------------------------------------------------------------------------
    def radicand(self, expr: cst.BaseExpression, depth: int = 0) -> Radicand | None:
        """Whether the argument of a square root can be 0 (or underflow to 0)."""
        if depth > MAX_DEPTH:
            return None
        target = self.strip(expr, through_detach=False)
        if isinstance(target, cst.Call):
            op = self.values.op(target)
            if op is None or op.role == STOP_GRADIENT:
                return None
            if op.role in (SUM, MEAN) and op.input is not None:
                square = self.square_of(op.input)
                if square is not None:
                    base = self.strip(square)
                    if isinstance(base, cst.BinaryOperation) and isinstance(base.operator, cst.Subtract):
                        return Radicand("a squared distance that can be 0")
                    return Radicand("a sum of squares that can be 0" if op.role == SUM
                                    else "a mean of squares that can be 0")
                if op.role == SUM and self._is_product_with_itself(op.input):
                    return Radicand("a dot product of a vector with itself, 0 for a zero vector")
                return None
            if op.role == VAR:
                return Radicand("a variance, 0 when all values are equal")
            if op.role == DOT and self._same_operands(op):
                return Radicand("a dot product of a vector with itself, 0 for a zero vector")
            if op.role == EXP and op.input is not None:
                return Radicand("an exp that underflows to 0 for very negative input", exp=op)
            if op.role in (SQUARE, POW) and self.square_of(target) is not None:
                return Radicand("a square that can be 0")
            return None
        if isinstance(target, cst.BinaryOperation):
            if self.square_of(target) is not None:
                return Radicand("a square that can be 0")
            if isinstance(target.operator, cst.MatrixMultiply) and _same_code(self.ctx, target.left, target.right):
                return Radicand("a dot product of a vector with itself, 0 for a zero vector")
            if isinstance(target.operator, cst.Add):
                terms = _terms(target)
                if any(self.hyperparameter(self.square_of(term) or term) for term in terms):
                    return None  # sqrt(sigma ** 2 + sigma_data ** 2): a constant term keeps it > 0
                found = [self.radicand(term, depth + 1) for term in terms]
                if all(term is not None and term.exp is None for term in found):
                    return Radicand("a sum of squares that can be 0")
        return None

    def square_of(self, expr: cst.BaseExpression) -> cst.BaseExpression | None:
        """The ``x`` of ``x ** 2``, ``x * x``, ``square(x)`` or ``pow(x, 2)``."""
        target = self.strip(expr, through_detach=False)
        if isinstance(target, cst.BinaryOperation):
            if isinstance(target.operator, cst.Power) and literal_number(target.right) == 2:
                return target.left
            if isinstance(target.operator, cst.Multiply) and _same_code(self.ctx, target.left, target.right):
                return target.left
            return None
        if isinstance(target, cst.Call):
            op = self.values.op(target)
            if op is None or op.input is None:
                return None
            if op.role == SQUARE:
                return op.input
            if op.role == POW:
                exponent = argument(target, op.api.extra["other"])
                if exponent is not None and literal_number(exponent) == 2:
                    return op.input
        return None

    def _is_product_with_itself(self, expr: cst.BaseExpression) -> bool:
        target = self.strip(expr, through_detach=False)
        return (isinstance(target, cst.BinaryOperation) and isinstance(target.operator, cst.Multiply)
                and _same_code(self.ctx, target.left, target.right))

    def _same_operands(self, op: Op) -> bool:
        other = argument(op.call, op.api.extra["other"])
        return op.input is not None and other is not None and _same_code(self.ctx, op.input, other)

    def no_gradient(self, expr: cst.BaseExpression, depth: int = 0) -> bool:
        """Whether no gradient can flow into ``expr``: literals, comparisons and counts
        (booleans and integers), new tensors (random draws, ranges, constants, zeros), detached
        values, and reductions or elementwise functions of those."""
        if depth > MAX_DEPTH:
            return False
        if literal_number(expr) is not None:
            return True
        target = self.strip(expr, through_detach=False)
        if isinstance(target, cst.Comparison):
            return True
        if isinstance(target, cst.UnaryOperation):
            return self.no_gradient(target.expression, depth + 1)
        if isinstance(target, cst.Subscript):
            return self.no_gradient(target.value, depth + 1)
        if isinstance(target, cst.BinaryOperation):
            return self.no_gradient(target.left, depth + 1) and self.no_gradient(target.right, depth + 1)
        if not isinstance(target, cst.Call):
            return False
        op = self.values.op(target)
        if op is None:  # a copy out of the graph, or literals; ``jnp.asarray(x)`` keeps x's gradient
            return self.values.qualify(target.func) in DETACHING_CONSTRUCTORS or self.deterministic(target)
        if op.role in _NEW_TENSORS or op.role in (COUNT, STOP_GRADIENT):
            return True
        if op.role in _ELEMENTWISE and op.input is not None:
            return self.no_gradient(op.input, depth + 1)
        return False

    def deterministic(self, expr: cst.BaseExpression, depth: int = 0) -> bool:
        """Whether ``expr`` is computed from constants only (literals, ranges, windows,
        random draws, zeros, ``float``/``int`` parameters): no input data reaches it, so it
        cannot be 0 for some batches only."""
        if depth > MAX_DEPTH:
            return False
        if literal_number(expr) is not None or is_positive_constant(self.values, expr):
            return True
        target = self.strip(expr)
        if isinstance(target, cst.Name):
            binding = self.values.binding(target)
            node = binding.node if binding is not None else None
            return (isinstance(node, cst.Param) and node.annotation is not None
                    and isinstance(node.annotation.annotation, cst.Name)
                    and node.annotation.annotation.value in ("float", "int"))
        if isinstance(target, (cst.UnaryOperation, cst.Subscript)):
            inner = target.expression if isinstance(target, cst.UnaryOperation) else target.value
            return self.deterministic(inner, depth + 1)
        if isinstance(target, cst.BinaryOperation):
            return self.deterministic(target.left, depth + 1) and self.deterministic(target.right, depth + 1)
        if not isinstance(target, cst.Call):
            return False
        op = self.values.op(target)
        if op is None:
            return self.values.qualify(target.func) in TENSOR_CONSTRUCTORS and all(
                literal_number(a.value) is not None or isinstance(a.value, (cst.List, cst.Tuple)) for a in target.args)
        if op.role in _NEW_TENSORS:
            return True
        return op.role in _ELEMENTWISE and op.input is not None and self.deterministic(op.input, depth + 1)

    def hyperparameter(self, expr: cst.BaseExpression) -> bool:
        """A positive constant, or an attribute that holds no tensor (``self.sigma_data``,
        ``config.eps``): a setting, not a value computed in the graph."""
        if is_positive_constant(self.values, expr):
            return True
        target = self.strip(expr)
        return isinstance(target, cst.Attribute) and not self.is_framework_value(target)

    def root_exponent(self, node: cst.CSTNode) -> tuple[cst.BaseExpression, float] | None:
        """For a square root, reciprocal square root or fractional power: its argument and
        exponent. Only exponents below 1 that are not integers have an infinite slope at 0."""
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Power):
            exponent = literal_number(node.right)
            if exponent is not None and exponent < 1 and not exponent.is_integer():
                return node.left, exponent
            return None
        if isinstance(node, cst.Call):
            op = self.values.op(node)
            if op is None or op.input is None:
                return None
            if op.role == SQRT:
                return op.input, 0.5
            if op.role == RSQRT:
                return op.input, -0.5
            if op.role == POW:
                value = argument(node, op.api.extra["other"])
                exponent = literal_number(value) if value is not None else None
                if exponent is not None and exponent < 1 and not exponent.is_integer():
                    return op.input, exponent
        return None

    def root_finding(self, node: cst.CSTNode) -> tuple[cst.BaseExpression, float, Radicand] | None:
        """What NAN202 reports at ``node``: a root of an unguarded radicand that can be 0,
        in differentiable code where gradients are recorded."""
        root = self.root_exponent(node)
        if root is None:
            return None
        argument_, exponent = root
        if is_guarded(self.values, argument_):
            return None
        found = self.radicand(argument_)
        if found is None or self.no_gradient(argument_) or self._leaves_autograd(node):
            return None
        if not self.gradient_flows(node, self._root_framework(node, argument_)):
            return None
        return argument_, exponent, found

    def _leaves_autograd(self, node: cst.CSTNode) -> bool:
        """``sqrt(s).item()``, ``float(sqrt(s))``: the result leaves the graph."""
        parent = self.ctx.index.parent(node)
        if isinstance(parent, cst.Attribute) and parent.value is node and parent.attr.value in LEAVES_AUTOGRAD:
            return True
        if isinstance(parent, cst.Arg):
            outer = self.ctx.index.parent(parent)
            return (isinstance(outer, cst.Call) and isinstance(outer.func, cst.Name)
                    and outer.func.value in ("float", "int") and self.values.qualify(outer.func) is None)
        return False

    def _root_framework(self, node: cst.CSTNode, radicand: cst.BaseExpression) -> str | None:
        op = self.values.op(node) if isinstance(node, cst.Call) else None
        if op is None:
            op = self.producer(radicand, through_detach=False)  # ``s ** 0.5``: s's framework
        return self.framework_of(op)

    # -- cosine similarity ---------------------------------------------------------------
    def cosine_like(self, expr: cst.BaseExpression, depth: int = 0) -> str | None:
        """What ``expr`` is when it is a cosine (similarity or normalised dot product) with no
        clamp strictly inside (-1, 1); None otherwise (also when a clamp's bounds are unknown)."""
        if depth > MAX_DEPTH:
            return None
        target = self.strip(expr)
        if isinstance(target, cst.Call):
            op = self.values.op(target)
            if op is None:
                return None
            if op.role == COSINE_SIMILARITY:
                return "a cosine similarity"
            if op.role == CLAMP and op.input is not None:
                return self.cosine_like(op.input, depth + 1) if self.clamp_bounds(op) == "loose" else None
            if op.role == SUM and op.input is not None and self._product_of_normalised(op.input):
                return "a dot product of normalised vectors"
            if op.role == DOT and op.input is not None:
                other = argument(op.call, op.api.extra["other"])
                if other is not None and self.normalised(op.input) and self.normalised(other):
                    return "a dot product of normalised vectors"
            return None
        if isinstance(target, cst.BinaryOperation):
            if isinstance(target.operator, cst.MatrixMultiply) and self.normalised(target.left) \
                    and self.normalised(target.right):
                return "a dot product of normalised vectors"
            if isinstance(target.operator, cst.Divide) and self.norm_like(target.right) \
                    and self._dot_like(target.left):
                return "a normalised dot product"
        return None

    def clamp_bounds(self, op: Op) -> str:
        """"strict" when a clamp's bounds are strictly inside (-1, 1), "loose" when a bound is
        missing or reaches +-1, "unknown" otherwise."""
        lower = argument(op.call, op.api.extra["min"])
        upper = argument(op.call, op.api.extra["max"])
        low, high = self.bound(lower, -1.0), self.bound(upper, 1.0)
        if low == "loose" or high == "loose":
            return "loose"
        if low == "strict" and high == "strict":
            return "strict"
        return "unknown"

    def bound(self, expr: cst.BaseExpression | None, limit: float) -> str:
        if expr is None or (isinstance(expr, cst.Name) and expr.value == "None"):
            return "loose"
        number = literal_number(expr)
        if number is not None:
            return "strict" if abs(number) < 1 else "loose"
        # -1 + eps, 1 - eps
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Add, cst.Subtract)):
            base, shift = literal_number(expr.left), expr.right
            inward = cst.Add if limit < 0 else cst.Subtract
            if base == limit and isinstance(expr.operator, inward) and is_positive_constant(self.values, shift):
                return "strict"
        return "unknown"

    def normalised(self, expr: cst.BaseExpression) -> bool:
        target = self.strip(expr)
        if isinstance(target, cst.Call):
            op = self.values.op(target)
            return op is not None and op.role == NORMALIZE
        return (isinstance(target, cst.BinaryOperation) and isinstance(target.operator, cst.Divide)
                and self.norm_like(target.right))

    def norm_like(self, expr: cst.BaseExpression, depth: int = 0) -> bool:
        """A norm, a product of norms, or one of those guarded (clamped, plus eps)."""
        if depth > MAX_DEPTH:
            return False
        target = self.strip(expr)
        if isinstance(target, cst.BinaryOperation):
            if isinstance(target.operator, cst.Multiply):
                return self.norm_like(target.left, depth + 1) and self.norm_like(target.right, depth + 1)
            if isinstance(target.operator, cst.Add):
                if is_positive_constant(self.values, target.right):
                    return self.norm_like(target.left, depth + 1)
                if is_positive_constant(self.values, target.left):
                    return self.norm_like(target.right, depth + 1)
            return False
        if isinstance(target, cst.Call):
            op = self.values.op(target)
            if op is None:
                return False
            if op.role == NORM:
                return True
            if op.role in (CLAMP, CLAMP_MIN, MAXIMUM) and op.input is not None:
                return self.norm_like(op.input, depth + 1)
            if op.role == SQRT and op.input is not None:
                return self.square_of(self._summed(op.input)) is not None
        return False

    def _summed(self, expr: cst.BaseExpression) -> cst.BaseExpression:
        target = self.strip(expr)
        op = self.values.op(target) if isinstance(target, cst.Call) else None
        return op.input if op is not None and op.role == SUM and op.input is not None else target

    def _product_of_normalised(self, expr: cst.BaseExpression) -> bool:
        target = self.strip(expr)
        return (isinstance(target, cst.BinaryOperation) and isinstance(target.operator, cst.Multiply)
                and self.normalised(target.left) and self.normalised(target.right))

    def _dot_like(self, expr: cst.BaseExpression) -> bool:
        target = self.strip(expr)
        if isinstance(target, cst.BinaryOperation):
            return isinstance(target.operator, cst.MatrixMultiply)
        if isinstance(target, cst.Call):
            op = self.values.op(target)
            if op is None:
                return False
            if op.role == DOT:
                return True
            if op.role == SUM and op.input is not None:
                inner = self.strip(op.input)
                return isinstance(inner, cst.BinaryOperation) and isinstance(inner.operator, cst.Multiply)
        return False

    # -- unsafe operations (NAN204) --------------------------------------------------------
    def unsafe_operand(self, node: cst.CSTNode) -> tuple[cst.BaseExpression, str] | None:
        """For a log, a division, a square root or a fractional power: the operand that
        makes it inf/nan, and what the operation is; None when the operand is guarded."""
        operand, what, op = None, None, None
        if isinstance(node, cst.BinaryOperation):
            if isinstance(node.operator, cst.Divide):
                operand, what = node.right, "division"
            elif self.root_exponent(node) is not None:
                operand, what = node.left, "power"
        elif isinstance(node, cst.Call):
            op = self.values.op(node)
            if op is None:
                return None
            if op.role == LOG:
                operand, what = op.input, "log"
            elif op.role == DIVIDE:
                operand, what = argument(node, op.api.extra["other"]), "division"
            elif op.role in (SQRT, RSQRT, POW) and self.root_exponent(node) is not None:
                operand, what = self.root_exponent(node)[0], "root"
        if operand is None:
            return None
        if is_guarded(self.values, operand) or is_positive_constant(self.values, operand):
            return None
        if self.no_gradient(operand):
            # nothing to differentiate (counts, comparisons, new tensors); a division also
            # sends 1 / b to its numerator
            numerator = node.left if isinstance(node, cst.BinaryOperation) else op.input if op is not None else None
            if what != "division" or (numerator is not None and self.no_gradient(numerator)):
                return None
        return operand, what

    # -- where the answers apply ---------------------------------------------------------
    def framework_key(self, op: Op | None) -> str | None:
        """The key into ``FLOOR``/``CLIP`` for code computed by ``op``."""
        if op is None:
            return None
        if op.api.kind == METHOD:
            return "torch" if "torch" in self.ctx.imports.roots else "numpy"
        name = op.api.name
        for prefix in ("keras.ops", "keras.backend"):
            if name.startswith(prefix + "."):
                return prefix
        root = name.split(".")[0]
        return {"scipy": "numpy", "optax": "jax", "flax": "jax"}.get(root, root)

    def framework_of(self, op: Op | None) -> str | None:
        """The framework that runs ``op``. A tensor method runs in whichever differentiable
        framework the file imports (NumPy arrays have methods too, but no gradients)."""
        if op is None:
            return None
        if op.api.kind == METHOD:
            imported = self.ctx.imports.roots & DIFFERENTIABLE
            return next(iter(sorted(imported)), "numpy")
        return op.api.framework

    def gradient_flows(self, node: cst.CSTNode, framework: str | None) -> bool:
        """Whether a gradient can flow through ``node``: a differentiable framework, and no
        ``torch.no_grad()`` / ``inference_mode`` block or decorator around it."""
        if framework not in DIFFERENTIABLE:
            return False
        if framework == "torch" and not self.torch_trains():
            return False
        qualify = self.values.qualify
        for ancestor in self.ctx.index.ancestors(node):
            if isinstance(ancestor, cst.With):
                for item in ancestor.items:
                    call = item.item
                    func = call.func if isinstance(call, cst.Call) else call
                    if qualify(func) in NO_GRAD:
                        return False
            elif isinstance(ancestor, cst.FunctionDef):
                for decorator in ancestor.decorators:
                    func = decorator.decorator
                    func = func.func if isinstance(func, cst.Call) else func
                    if qualify(func) in NO_GRAD:
                        return False
            elif isinstance(ancestor, cst.ClassDef) and any(
                    qualify(base.value) in NO_GRAD_BASES for base in ancestor.bases):
                return False  # an optimizer's update, a constraint, an initializer, a metric
        return True

    def torch_trains(self) -> bool:
        """Whether this PyTorch file shows that it trains: it imports ``torch.nn``,
        ``torch.autograd``, ``torch.optim`` (or Lightning), subclasses ``nn.Module`` or
        ``autograd.Function``, or calls ``backward()``. Without that, gradients are unknown."""
        if self._torch_trains is None:
            self._torch_trains = self._find_training()
        return self._torch_trains

    def _find_training(self) -> bool:
        index, qualify = self.ctx.index, self.values.qualify
        imported = set(self.ctx.imports.names.values())
        for node in index.of_type(cst.Import):
            imported.update(alias.evaluated_name for alias in node.names)
        if any(name == module or name.startswith(module + ".")
               for name in imported for module in TORCH_TRAINING_MODULES):
            return True
        for node in index.of_type(cst.ClassDef):
            if any(qualify(base.value) in TORCH_TRAINING_BASES for base in node.bases):
                return True
        return any(True for _ in self.values.ops(BACKWARD))

    def is_framework_value(self, expr: cst.BaseExpression, depth: int = 0) -> bool:
        """Whether ``expr`` is computed by a framework (a tensor or array), as opposed to
        plain Python numbers."""
        if depth > MAX_DEPTH:
            return False
        target = self.strip(expr)
        if isinstance(target, cst.Call):
            if self.values.op(target) is not None:
                return True
            qualified = self.values.qualify(target.func)
            if qualified is not None:
                return qualified.split(".")[0] in FRAMEWORK_ROOTS
            if isinstance(target.func, cst.Attribute):  # x.float(), x.mean(): a tensor method
                return self.is_framework_value(target.func.value, depth + 1)
            return False
        if isinstance(target, cst.BinaryOperation):
            return self.is_framework_value(target.left, depth + 1) or self.is_framework_value(target.right, depth + 1)
        if isinstance(target, (cst.Subscript, cst.UnaryOperation)):
            inner = target.value if isinstance(target, cst.Subscript) else target.expression
            return self.is_framework_value(inner, depth + 1)
        return False

    def compared(self, node: cst.CSTNode, candidates: set[str], inside: tuple[cst.CSTNode, ...]) -> bool:
        """Whether the function holding ``node`` compares one of ``candidates`` (source
        text) with something other than None, outside the ``inside`` nodes: ``if n == 0``,
        ``assert mask.sum() > 0``, ``x / s if s > 0 else 0``."""
        if not candidates:
            return False
        if self._compared is None:
            self._compared = self._collect_comparisons()
        scope = self.ctx.index.scope_of(node).node
        index = self.ctx.index
        for comparison, codes in self._compared.get(id(scope), ()):
            if any(_mentions(code, candidates) for code in codes) \
                    and not any(index.contains(outer, comparison) for outer in inside):
                return True
        return False

    def masked_by_where(self, node: cst.CSTNode, candidates: set[str]) -> bool:
        """Whether ``node`` sits in a branch of a ``where`` whose condition mentions one of
        ``candidates``: ``where(greater(n, 0), s / n, 1.0)`` picks another value where the
        divisor is 0 (the gradient is NAN204's business)."""
        last_arg = None
        for ancestor in self.ctx.index.ancestors(node):
            if isinstance(ancestor, (cst.SimpleStatementLine, cst.BaseCompoundStatement, cst.Lambda)):
                return False
            if isinstance(ancestor, cst.Arg):
                last_arg = ancestor
                continue
            if not isinstance(ancestor, cst.Call) or last_arg is None:
                continue
            op = self.values.op(ancestor)
            if op is None or op.role != WHERE or op.input is None or last_arg.value is op.input:
                continue
            text = bare_code(self.ctx, op.input)
            if any(re.search(rf"(?<![\w.]){re.escape(c)}(?![\w])", text) for c in candidates):
                return True
        return False

    def _collect_comparisons(self) -> dict[int, list[tuple[cst.Comparison, frozenset[str]]]]:
        index, code = self.ctx.index, self.ctx.code_for
        found: dict[int, list] = {}
        for comparison in index.of_type(cst.Comparison):
            operands = [comparison.left, *(target.comparator for target in comparison.comparisons)]
            if any(isinstance(o, cst.Name) and o.value == "None" for o in operands):
                continue
            codes = frozenset(_bare_code(code, o) for o in operands if literal_number(o) is None)
            found.setdefault(id(index.scope_of(comparison).node), []).append((comparison, codes))
        return found


def quantities(ctx: Context) -> Quantities:
    """The shared answers for one file (the four rules ask about the same values)."""
    return per_file(ctx, "quantities", Quantities)


# -- small helpers ------------------------------------------------------------------------
# New tensors from shapes, ranges or random draws (rows here and in ``catalog/data.py``).
_NEW_TENSORS = frozenset({CREATE, ZEROS, ARANGE, RANDINT})
# Operations whose result has no gradient when their (first) input has none.
_ELEMENTWISE = frozenset({SUM, MEAN, ABS, SQUARE, POW, GATHER, EXP, SQRT, RSQRT, VAR, STD, NORM, TOPK})


def _mentions(code: str, candidates: set[str]) -> bool:
    """``code`` is one of ``candidates`` or a method, attribute or item of one
    (``n.min()``, ``n[0]``)."""
    return code in candidates or any(code.startswith((c + ".", c + "[")) for c in candidates)


def _holds_zero(expr: cst.BaseExpression) -> bool:
    """A literal (or nested list/tuple of literals) with a 0 in it: ``[0., 1.]``, ``0.0``,
    ``[0.0] * 3``."""
    number = literal_number(expr)
    if number is not None:
        return number == 0
    if isinstance(expr, (cst.List, cst.Tuple)):
        return any(_holds_zero(element.value) for element in expr.elements
                   if not isinstance(element, cst.StarredElement))
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Multiply):
        return isinstance(expr.left, (cst.List, cst.Tuple)) and _holds_zero(expr.left)
    return False


def _at_most_zero(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.Name) and expr.value == "None":
        return True
    number = literal_number(expr)
    return number is not None and number <= 0


def _terms(expr: cst.BaseExpression) -> list[cst.BaseExpression]:
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
        return _terms(expr.left) + _terms(expr.right)
    return [expr]


def _bare_code(code_for, expr: cst.BaseExpression) -> str:
    return code_for(bare(expr)).strip()


def bare_code(ctx: Context, expr: cst.BaseExpression) -> str:
    """Source text of ``expr`` without its outer parentheses."""
    return _bare_code(ctx.code_for, expr)


def _same_code(ctx: Context, left: cst.BaseExpression, right: cst.BaseExpression) -> bool:
    return bare_code(ctx, left) == bare_code(ctx, right)


def short(ctx: Context, expr: cst.CSTNode, limit: int = 48) -> str:
    """``expr``'s source for a message, on one line and shortened."""
    text = " ".join(bare_code(ctx, expr).split()) if isinstance(expr, cst.BaseExpression) \
        else " ".join(ctx.code_for(expr).split())
    text = text.replace("( ", "(").replace(", )", ")").replace(" )", ")").replace("[ ", "[").replace(" ]", "]")
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- building guarded replacements ---------------------------------------------------------
def eps_literal(eps: float) -> str:
    """An epsilon as a user writes it: ``1e-8``, not ``1e-08``."""
    text = repr(float(eps))
    if "e" in text:
        mantissa, exponent = text.split("e")
        if mantissa.endswith(".0"):
            mantissa = mantissa[:-2]
        return f"{mantissa}e{int(exponent)}"
    return text


_TIGHT = (cst.Multiply, cst.Divide, cst.FloorDivide, cst.Modulo, cst.Power, cst.MatrixMultiply)
_ARITHMETIC = (*_TIGHT, cst.Add, cst.Subtract)
_ATOMS = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Integer, cst.Float, cst.SimpleString,
          cst.List, cst.Tuple)


def bare(expr: cst.BaseExpression) -> cst.BaseExpression:
    """``expr`` without its outer parentheses (a tuple or generator keeps them: they are
    part of its syntax there)."""
    if not getattr(expr, "lpar", None) or isinstance(expr, (cst.Tuple, cst.GeneratorExp, cst.Yield)):
        return expr
    return expr.with_changes(lpar=[], rpar=[])


def parenthesized(expr: cst.BaseExpression) -> cst.BaseExpression:
    if getattr(expr, "lpar", None):
        return expr
    return expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def operand(expr: cst.BaseExpression, position: str) -> cst.BaseExpression:
    """``expr`` ready to be the left operand of ``+`` ("sum"), the right operand of a
    product ("product") or the base of ``**`` ("power"); parenthesised only when needed."""
    inner = bare(expr)
    if isinstance(inner, _ATOMS):
        return inner
    if position == "power":
        return parenthesized(inner)
    if isinstance(inner, cst.UnaryOperation) and isinstance(inner.operator, (cst.Minus, cst.Plus)):
        return inner
    allowed = _ARITHMETIC if position == "sum" else _TIGHT
    if isinstance(inner, cst.BinaryOperation) and isinstance(inner.operator, allowed):
        return inner
    return parenthesized(inner)


def receiver(expr: cst.BaseExpression) -> cst.BaseExpression:
    """``expr`` ready to have a method called on it."""
    inner = bare(expr)
    return inner if isinstance(inner, _ATOMS) else parenthesized(inner)


def binary(left: cst.BaseExpression, operator: cst.BaseBinaryOp, right: cst.BaseExpression) -> cst.BinaryOperation:
    return cst.BinaryOperation(left=left, operator=operator, right=right)


def spaced(operator_type):
    space = cst.SimpleWhitespace(" ")
    return operator_type(whitespace_before=space, whitespace_after=space)


def plus_eps(expr: cst.BaseExpression, eps: float) -> cst.BinaryOperation:
    """``expr + eps``."""
    return binary(operand(expr, "sum"), spaced(cst.Add), cst.Float(eps_literal(eps)))


def arg(value: cst.BaseExpression, keyword: str | None = None, last: bool = False) -> cst.Arg:
    comma = cst.MaybeSentinel.DEFAULT if last else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    if keyword is None:
        return cst.Arg(value=value, comma=comma)
    return cst.Arg(value=value, keyword=cst.Name(keyword), comma=comma,
                   equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))


def call(func: cst.BaseExpression, *args: cst.Arg) -> cst.Call:
    args = list(args)
    if args:
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return cst.Call(func=func, args=args)


def floored(ctx: Context, expr: cst.BaseExpression, key: str | None, method: bool, eps: float
            ) -> tuple[cst.BaseExpression, list[NeededImport]] | None:
    """``expr`` clamped from below at ``eps`` in the framework's own spelling:
    ``x.clamp(min=eps)``, ``torch.clamp(x, min=eps)``, ``np.clip(x, eps, None)``,
    ``tf.maximum(x, eps)``. None when the framework is unknown or the name would clash."""
    value = cst.Float(eps_literal(eps))
    if method:
        name = "clamp" if key == "torch" else "clip"
        func = cst.Attribute(value=receiver(expr), attr=cst.Name(name))
        return call(func, arg(value, "min")), []
    spelling = FLOOR.get(key or "")
    if spelling is None:
        return None
    target, form = spelling
    spelled = ctx.callee(target)
    if spelled is None:
        return None
    func, needed = spelled
    inner = bare(expr)
    if form == "min":
        new = call(func, arg(inner), arg(value, "min"))
    elif form == "clip":
        new = call(func, arg(inner), arg(value), arg(cst.Name("None")))
    else:
        new = call(func, arg(inner), arg(value))
    return new, [needed] if needed else []


def guarded(ctx: Context, expr: cst.BaseExpression, key: str | None, method: bool
            ) -> tuple[cst.BaseExpression, list[NeededImport], str]:
    """``expr`` kept away from 0 as ``fix-style`` asks: ``expr + eps`` ("add") or the
    framework's clamp ("clamp", falling back to "add"). Also says what it wrote."""
    eps = ctx.config.eps
    if ctx.config.fix_style == "clamp":
        clamped = floored(ctx, expr, key, method, eps)
        if clamped is not None:
            return clamped[0], clamped[1], "clamp"
    return plus_eps(expr, eps), [], "add"


def clip_spelling(ctx: Context, op: Op, key: str | None) -> tuple[cst.BaseExpression, NeededImport | None] | None:
    """The framework's two-sided clamp for code computed by ``op``."""
    target = CLIP.get(key or "")
    if target is None:
        return None
    return ctx.callee(target, like=None if op.api.kind == METHOD else op.call.func)
