"""Is a value kept away from the bad domain before use?

RULES.md: a value is guarded when it is clamped or shifted away from the bad
domain: ``x + eps``, ``x.clamp(min=eps)``, ``clamp_min``, ``torch.clamp``,
``np.clip``, ``tf.clip_by_value``, ``tf.maximum(x, eps)``, ``K.epsilon()``,
``tf.math.divide_no_nan``, a double ``where``, a conditional expression, or
the same through a name bound to one of those. Whether the guard is big enough
for the dtype is another rule's question (NAN302/NAN305).
"""

from __future__ import annotations

import re

import libcst as cst

from nanlint.analysis.values import Values, argument
from nanlint.catalog.roles import CLAMP, CLAMP_MIN, DIVIDE_NO_NAN, EPSILON, MAXIMUM, WHERE

# Names people give to a small positive constant.
EPS_NAME = re.compile(
    r"^_*(eps|epsilon|tiny|smooth|smoothing|stabilizer|stability|delta|min_value|min_val|"
    r"[a-z0-9_]*_eps|[a-z0-9_]*_epsilon|eps_[a-z0-9_]*|epsilon_[a-z0-9_]*)$",
    re.IGNORECASE,
)


TENSOR_CONSTRUCTORS = frozenset({
    "torch.tensor", "torch.as_tensor", "torch.full_like", "numpy.array", "numpy.asarray", "numpy.float32",
    "numpy.float64", "tensorflow.constant", "tensorflow.convert_to_tensor", "jax.numpy.array",
    "jax.numpy.asarray", "keras.ops.convert_to_tensor", "theano.tensor.constant",
})


def literal_number(expr: cst.BaseExpression) -> float | None:
    """The value of a numeric literal, with an optional sign and simple arithmetic."""
    if isinstance(expr, (cst.Integer, cst.Float)):
        return float(expr.evaluated_value)
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, (cst.Minus, cst.Plus)):
        inner = literal_number(expr.expression)
        if inner is None:
            return None
        return -inner if isinstance(expr.operator, cst.Minus) else inner
    if isinstance(expr, cst.BinaryOperation):
        left, right = literal_number(expr.left), literal_number(expr.right)
        if left is None or right is None:
            return None
        try:
            if isinstance(expr.operator, cst.Add):
                return left + right
            if isinstance(expr.operator, cst.Subtract):
                return left - right
            if isinstance(expr.operator, cst.Multiply):
                return left * right
            if isinstance(expr.operator, cst.Divide):
                return left / right
            if isinstance(expr.operator, cst.Power):
                return float(left ** right)
        except (ArithmeticError, ValueError, TypeError):
            return None
    return None


def _leaf_name(expr: cst.BaseExpression) -> str | None:
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    return None


def is_positive_constant(values: Values, expr: cst.BaseExpression) -> bool:
    """A literal > 0, an epsilon-named value, a framework epsilon, ``finfo(...).eps``,
    or a name bound to one of those."""
    number = literal_number(expr)
    if number is not None:
        return number > 0
    name = _leaf_name(expr)
    if name is not None and EPS_NAME.match(name):
        return True
    if isinstance(expr, cst.Attribute) and expr.attr.value in ("eps", "tiny", "smallest_normal"):
        return True  # np.finfo(x.dtype).eps, torch.finfo(dtype).tiny
    if isinstance(expr, cst.Call):
        op = values.op(expr)
        if op is not None:
            return op.role == EPSILON
        if values.qualify(expr.func) in TENSOR_CONSTRUCTORS and expr.args and expr.args[0].keyword is None:
            return is_positive_constant(values, expr.args[0].value)  # torch.tensor(1e-6)
        return False
    target, via = values.resolve(expr)
    return bool(via) and is_positive_constant(values, target)


def is_guarded(values: Values, expr: cst.BaseExpression) -> bool:
    """Whether ``expr`` (or what a name in it is bound to) is shifted or clamped away
    from 0."""
    target, _ = values.resolve(expr)
    return _guards(values, target) or (target is not expr and _guards(values, expr))


def _guards(values: Values, expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
        return is_positive_constant(values, expr.left) or is_positive_constant(values, expr.right)
    if isinstance(expr, cst.IfExp):
        return True
    if isinstance(expr, cst.Call):
        op = values.op(expr)
        if op is None:
            return False
        if op.role == CLAMP:
            lower = argument(expr, op.api.extra["min"])
            return lower is not None and not _is_zero_or_none(lower)
        if op.role == CLAMP_MIN:
            lower = argument(expr, op.api.extra["min"])
            return lower is not None and not _is_zero_or_none(lower)
        if op.role == MAXIMUM:
            other = argument(expr, op.api.extra["other"])
            first = op.input
            return any(e is not None and is_positive_constant(values, e) for e in (first, other))
        return op.role in (EPSILON, DIVIDE_NO_NAN, WHERE)
    return False


def _is_zero_or_none(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.Name) and expr.value == "None":
        return True
    number = literal_number(expr)
    return number is not None and number <= 0
