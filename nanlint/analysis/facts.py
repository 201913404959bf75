"""What a value can hold: the questions of the log and exp rules (NAN103-NAN106).

``Facts.of(expr)`` says what kind of value an expression holds, when that is certain:

- a **probability** (can be exactly 0, and exactly 1): a softmax or sigmoid output,
  also indexed, sliced, gathered, reshaped or cast (``p[:, 0]``, ``p.gather(1, y)``,
  ``p.view(-1)``); ``1 - p`` of one; a softmax computed by hand (``exp(x) /
  sum(exp(x))``); the output of a Keras ``Sequential``/functional model or a torch
  ``nn.Sequential`` whose last layer is a softmax or sigmoid (``Dense(n,
  activation="softmax")``, ``Activation("sigmoid")``, ``nn.Softmax(dim=1)``), applied as
  ``model(x)`` or ``model.predict(x)``; and, by convention, the ``y_pred`` of a
  Keras-style loss ``def loss(y_true, y_pred)`` or of a function passed as
  ``compile(loss=...)`` (marked ``assumed``: the model's last activation is not seen);
- a **ReLU output** or anything clamped at 0 (``clamp(x, min=0)``, ``maximum(x, 0)``):
  >= 0 and exactly 0 on half its domain;
- a **value that can be 0** for another reason: a product with a factor that can be 0,
  or a division whose numerator can be 0;
- a **log-probability** (``log_softmax``, ``logsigmoid``): never 0, already in log space.

It follows local names (the latest binding that dominates the use; a branch that may
rebind makes the answer unknown), ``self.`` attributes bound once in any method of the
class, layer attributes (``self.act = nn.Softmax(dim=1)`` applied as ``self.act(h)``),
helper functions of the module whose every ``return`` holds the same kind of value
(``f(x)``, ``self.f(x)``), and parameters: a parameter holds what any call of the
function in this module passes for it.

``Facts.guarded(expr)`` extends ``guards.is_guarded`` with the cases a log needs: a
constant shift other than exactly 1 (``1 + 1e-7 - p``; whether rounding absorbs the
epsilon is NAN305's question), an epsilon-named term anywhere in a sum, and ``1 - p``
where ``p`` is clamped below 1 (``p = clip(y_pred, eps, 1 - eps)``).

Limits, on purpose (unknown never reports): one module only (no imports followed); no
containers, tuples returned by helpers, or ``*args``; ``self.`` attributes bound more
than once are unknown; a model built by a helper (``model = make_model("softmax")``) or
from layers added in a branch is unknown; logits are not inferred (anything that is not
one of the kinds above is unknown); a sum or mean of probabilities is unknown (a softmax
summed over its axis is 1). Depth is capped and cycles stop, so every answer is cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import libcst as cst

from nanlint import catalog
from nanlint.analysis import per_file
from nanlint.analysis.guards import is_guarded, is_positive_constant, literal_number
from nanlint.analysis.values import Values, argument
from nanlint.catalog.log_exp import (
    ACTIVATION_NAMES,
    ADD_METHOD,
    COMPILE_LOSS,
    COMPILE_METHOD,
    KERAS_LOSS_PARAMS,
    KERAS_ROOTS,
    PREDICT_METHODS,
)
from nanlint.catalog.roles import (
    ABS,
    ACTIVATION_LAYER,
    CLAMP,
    CLAMP_MIN,
    EXP,
    FUNCTIONAL_MODEL,
    GATHER,
    LOG,
    LOG_SIGMOID,
    LOG_SOFTMAX,
    MAXIMUM,
    NORM,
    RELU,
    SAME_VALUES,
    SEQUENTIAL,
    SIGMOID,
    SOFTMAX,
    SOFTPLUS,
    SQRT,
    SQUARE,
    STOP_GRADIENT,
    SUM,
)

PROBABILITY = "probability"
NONNEGATIVE = "nonnegative"  # >= 0, and exactly 0 on part of its domain
ZERO = "zero"  # can be exactly 0 for another reason (a product, a division)
LOG_PROBABILITY = "log_probability"

CAN_BE_ZERO = frozenset({PROBABILITY, NONNEGATIVE, ZERO})
MAX_DEPTH = 16

_TRANSPARENT = frozenset({GATHER, SAME_VALUES, STOP_GRADIENT})


@dataclass(frozen=True)
class Fact:
    """What a value holds. ``what`` names it for messages ("a softmax output");
    ``activation`` is SOFTMAX or SIGMOID when a visible activation produced it;
    ``assumed`` marks a convention rather than a visible operation (Keras ``y_pred``)."""

    kind: str
    what: str
    activation: str | None = None
    assumed: bool = False

    @property
    def can_be_zero(self) -> bool:
        return self.kind in CAN_BE_ZERO


def _is_one(expr: cst.BaseExpression) -> bool:
    return literal_number(expr) == 1.0


def _is_zero(expr: cst.BaseExpression | None) -> bool:
    return expr is not None and literal_number(expr) == 0.0


def signed_terms(expr: cst.BaseExpression, sign: int = 1) -> list[tuple[int, cst.BaseExpression]]:
    """The terms of a ``+``/``-`` chain with their signs: ``1 - p + e`` is
    ``[(1, 1), (-1, p), (1, e)]``."""
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Add, cst.Subtract)):
        right_sign = sign if isinstance(expr.operator, cst.Add) else -sign
        return signed_terms(expr.left, sign) + signed_terms(expr.right, right_sign)
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
        return signed_terms(expr.expression, -sign)
    return [(sign, expr)]


class Facts:
    def __init__(self, values: Values) -> None:
        self.values = values
        self.index = values.index
        self._memo: dict[int, Fact | None] = {}
        self._active: set[int] = set()
        self._calls_by_name: dict[str, list[cst.Call]] | None = None
        self._compiled: frozenset[str] | None = None
        self._returns: dict[int, list[cst.Return]] = {}

    # -- the questions --------------------------------------------------------------------
    def of(self, expr: cst.BaseExpression, depth: int = 0) -> Fact | None:
        """What ``expr`` holds, when it is certain."""
        key = id(expr)
        if key in self._memo:
            return self._memo[key]
        if key in self._active or depth > MAX_DEPTH:
            return None
        self._active.add(key)
        try:
            found = self._fact(expr, depth)
        finally:
            self._active.discard(key)
        self._memo[key] = found
        return found

    def zero(self, expr: cst.BaseExpression) -> Fact | None:
        """What ``expr`` holds when it can be exactly 0 and nothing guards it."""
        found = self.of(expr)
        if found is None or not found.can_be_zero or self.guarded(expr):
            return None
        return found

    def probability(self, expr: cst.BaseExpression) -> Fact | None:
        found = self.of(expr)
        return found if found is not None and found.kind == PROBABILITY else None

    def guarded(self, expr: cst.BaseExpression) -> bool:
        """Kept away from 0: ``guards.is_guarded``, a constant shift other than exactly 1,
        an epsilon term anywhere in a sum, or ``1 - p`` with ``p`` clamped below 1."""
        values = self.values
        if is_guarded(values, expr):
            return True
        target, _ = values.resolve(expr)
        return self._shifted(expr) or (target is not expr and self._shifted(target))

    def constant(self, expr: cst.BaseExpression) -> bool:
        """A number or a named constant: its log is no tensor's business."""
        return literal_number(expr) is not None or is_positive_constant(self.values, expr)

    # -- guards ---------------------------------------------------------------------------
    def _shifted(self, expr: cst.BaseExpression) -> bool:
        if not (isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Add, cst.Subtract))):
            return False
        terms = signed_terms(expr)
        literal_sum, others = 0.0, []
        for sign, term in terms:
            number = literal_number(term)
            if number is not None:
                literal_sum += sign * number
            elif sign > 0 and is_positive_constant(self.values, term):
                return True  # ``1 + eps - p``: an epsilon was added (NAN305 checks its size)
            else:
                others.append((sign, term))
        if not others or any(sign > 0 for sign, _ in others):
            return False
        if literal_sum > 1.0:
            return True  # ``1 + 1e-7 - p``, ``2 - p``
        if literal_sum == 1.0 and len(others) == 1:
            return self._clamped_below_one(others[0][1])
        return False

    def _clamped_below_one(self, expr: cst.BaseExpression) -> bool:
        target, _ = self.values.resolve(expr)
        if not isinstance(target, cst.Call):
            return False
        op = self.values.op(target)
        if op is None or op.role != CLAMP:
            return False
        upper = argument(target, op.api.extra.get("max"))
        if upper is None:
            return False
        number = literal_number(upper)
        if number is not None:
            return number < 1.0
        terms = signed_terms(upper)
        return (len(terms) == 2 and terms[0][0] > 0 and _is_one(terms[0][1]) and terms[1][0] < 0
                and is_positive_constant(self.values, terms[1][1]))

    # -- what a value holds -----------------------------------------------------------------
    def _fact(self, expr: cst.BaseExpression, depth: int) -> Fact | None:
        if isinstance(expr, (cst.Name, cst.Attribute)):
            target, _ = self.values.resolve(expr)
            if target is not expr:
                return self.of(target, depth + 1)
            return self._parameter(expr, depth) if isinstance(expr, cst.Name) else None
        if isinstance(expr, cst.Call):
            return self._call(expr, depth)
        if isinstance(expr, cst.Subscript):
            return self.of(expr.value, depth + 1)
        if isinstance(expr, cst.BinaryOperation):
            return self._binary(expr, depth)
        if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Plus):
            return self.of(expr.expression, depth + 1)
        return None

    def _binary(self, expr: cst.BinaryOperation, depth: int) -> Fact | None:
        operator = expr.operator
        if isinstance(operator, cst.Subtract) and _is_one(expr.left):
            inner = self.of(expr.right, depth + 1)
            if inner is not None and inner.kind == PROBABILITY:
                return replace(inner, what=f"1 minus {inner.what}")
            return None
        if isinstance(operator, cst.Multiply):
            for side, other in ((expr.left, expr.right), (expr.right, expr.left)):
                inner = self.of(side, depth + 1)
                if inner is not None and inner.can_be_zero:
                    if literal_number(other) is not None:
                        return inner if (literal_number(other) or 0) > 0 else None
                    return Fact(ZERO, f"a product with {inner.what}", assumed=inner.assumed)
            return None
        if isinstance(operator, cst.Divide):
            if self.naive_softmax(expr, shifted=True) is not None:
                return Fact(PROBABILITY, "a softmax computed by hand", SOFTMAX)
            inner = self.of(expr.left, depth + 1)
            if inner is not None and inner.can_be_zero:
                return Fact(ZERO, f"a division of {inner.what}", assumed=inner.assumed)
        return None

    def _call(self, call: cst.Call, depth: int) -> Fact | None:
        op = self.values.op(call)
        if op is None:
            return self._returned(call, depth) or self._predicted(call, depth)
        role = op.role
        if role == SOFTMAX:
            return Fact(PROBABILITY, "a softmax output", SOFTMAX)
        if role == SIGMOID:
            return Fact(PROBABILITY, "a sigmoid output", SIGMOID)
        if role in (LOG_SOFTMAX, LOG_SIGMOID):
            return Fact(LOG_PROBABILITY, "a log-probability")
        if role == RELU:
            return Fact(NONNEGATIVE, "a ReLU output")
        if role in (CLAMP, CLAMP_MIN):
            lower = argument(call, op.api.extra.get("min"))
            return Fact(NONNEGATIVE, "a value clamped at 0") if _is_zero(lower) else None
        if role == MAXIMUM:
            other = argument(call, op.api.extra.get("other"))
            return Fact(NONNEGATIVE, "a maximum with 0") if _is_zero(other) or _is_zero(op.input) else None
        if role in _TRANSPARENT:
            return self.of(op.input, depth + 1) if op.input is not None else None
        if role == ACTIVATION_LAYER and op.layer is not None:
            return self._activation(argument(op.layer, op.api.extra["activation"]))
        if role in (SEQUENTIAL, FUNCTIONAL_MODEL) and op.layer is not None:
            return self.model_output(op.layer, depth)
        return None

    def _activation(self, activation: cst.BaseExpression | None) -> Fact | None:
        """What a layer's ``activation=`` argument makes of its output."""
        if activation is None:
            return None
        role = None
        if isinstance(activation, cst.SimpleString):
            role = ACTIVATION_NAMES.get(activation.evaluated_value)
        else:
            qualified = self.values.qualify(activation)
            api = catalog.lookup(qualified) if qualified else None
            role = api.role if api is not None else None
        return _ROLE_FACTS.get(role)

    # -- models ------------------------------------------------------------------------------
    def model_output(self, constructor: cst.Call, depth: int = 0) -> Fact | None:
        """What a model built by ``constructor`` outputs: its last layer's activation."""
        qualified = self.values.qualify(constructor.func)
        api = catalog.lookup(qualified) if qualified else None
        if api is None:
            return None
        if api.role == FUNCTIONAL_MODEL:
            outputs = argument(constructor, api.extra["outputs"])
            return self.of(outputs, depth + 1) if outputs is not None else None
        if api.role != SEQUENTIAL:
            return None
        last = self._last_added(constructor)
        if last is False:
            return None
        if last is None:
            layers = argument(constructor, api.extra["layers"]) if "layers" in api.extra else None
            if isinstance(layers, (cst.List, cst.Tuple)) and layers.elements:
                last = layers.elements[-1].value
            elif "layers" not in api.extra:
                positional = [a.value for a in constructor.args if a.keyword is None and not a.star]
                last = positional[-1] if positional and len(positional) == len(constructor.args) else None
        return self._layer_output(last) if last is not None else None

    def _last_added(self, constructor: cst.Call):
        """The layer of the last ``model.add(layer)`` on this model; None when there is
        none, False when one sits in a branch or loop (unknown)."""
        last = None
        for call in self.calls_named(ADD_METHOD):
            func = call.func
            if not isinstance(func, cst.Attribute) or not call.args:
                continue
            target, _ = self.values.resolve(func.value)
            if target is not constructor:
                continue
            scope = self.index.scope_of(call)
            if self.index.conditional_blocks(call, scope.node):
                return False
            last = call.args[0].value
        return last

    def _layer_output(self, layer: cst.BaseExpression) -> Fact | None:
        target, _ = self.values.resolve(layer)
        if not isinstance(target, cst.Call):
            return None
        qualified = self.values.qualify(target.func)
        api = catalog.lookup(qualified) if qualified else None
        if api is None or api.kind != catalog.LAYER:
            return None
        if api.role == ACTIVATION_LAYER:
            found = self._activation(argument(target, api.extra["activation"]))
        else:
            found = _ROLE_FACTS.get(api.role)
        if found is None or found.kind != PROBABILITY:
            return found
        return replace(found, what=f"the output of a model ending in {found.activation}")

    def _predicted(self, call: cst.Call, depth: int) -> Fact | None:
        """``model.predict(x)`` of a model built in this module."""
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in PREDICT_METHODS:
            return None
        target, _ = self.values.resolve(func.value)
        return self.model_output(target, depth) if isinstance(target, cst.Call) else None

    # -- helper functions and their parameters ----------------------------------------------
    def function_called(self, call: cst.Call) -> cst.FunctionDef | None:
        """The module's own function (or method of the enclosing class) ``call`` calls."""
        func = call.func
        if isinstance(func, cst.Name):
            binding = self.values.binding(func)
            node = binding.node if binding is not None else None
            return node if isinstance(node, cst.FunctionDef) else None
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            scope = self.index.scope_of(call)
            while scope is not None and scope.kind == "function" and scope.owner is None:
                scope = scope.parent
            if scope is None or scope.owner is None or func.value.value != scope.self_name:
                return None
            bindings = scope.owner.bindings.get(func.attr.value, ())
            if len(bindings) == 1 and isinstance(bindings[0].node, cst.FunctionDef):
                return bindings[0].node
        return None

    def _returned(self, call: cst.Call, depth: int) -> Fact | None:
        function = self.function_called(call)
        if function is None:
            return None
        returns = self._returns_of(function)
        if not returns:
            return None
        found = None
        for statement in returns:
            if statement.value is None:
                return None
            fact = self.of(statement.value, depth + 1)
            if fact is None or (found is not None and fact.kind != found.kind):
                return None
            found = found or fact
        return found

    def _returns_of(self, function: cst.FunctionDef) -> list[cst.Return]:
        key = id(function)
        if key not in self._returns:
            found: list[cst.Return] = []
            _collect_returns(function.body, found)
            self._returns[key] = found
        return self._returns[key]

    def _parameter(self, name: cst.Name, depth: int) -> Fact | None:
        binding = self.values.binding(name)
        if binding is None or not isinstance(binding.node, cst.Param):
            return None
        function = self.index.parent(self.index.parent(binding.node))
        if not isinstance(function, cst.FunctionDef):
            return None
        scope = self.index.scopes.get(function)
        params = list(function.params.posonly_params) + list(function.params.params)
        if scope is not None and scope.owner is not None and params:
            params = params[1:]  # ``self``
        names = [p.name.value for p in params]
        if name.value not in names:
            return None
        position = names.index(name.value)
        if self._keras_loss(function, names, position):
            return Fact(PROBABILITY, "the `y_pred` of a Keras loss", assumed=True)
        return self._passed(function, name.value, position, depth)

    def _keras_loss(self, function: cst.FunctionDef, names: list[str], position: int) -> bool:
        if position != 1:
            return False
        if tuple(names[:2]) == KERAS_LOSS_PARAMS and self.values.imports.roots & KERAS_ROOTS:
            return True
        return function.name.value in self._compiled_losses()

    def _compiled_losses(self) -> frozenset[str]:
        """Names of the functions passed as ``compile(loss=...)``."""
        if self._compiled is None:
            names = set()
            for call in self.calls_named(COMPILE_METHOD):
                loss = argument(call, COMPILE_LOSS) if isinstance(call.func, cst.Attribute) else None
                if isinstance(loss, cst.Name):
                    names.add(loss.value)
            self._compiled = frozenset(names)
        return self._compiled

    def _passed(self, function: cst.FunctionDef, param: str, position: int, depth: int) -> Fact | None:
        """What a call of ``function`` in this module passes for ``param``, when one of
        them passes a value that can be 0."""
        for call in self.calls_named(function.name.value):
            if self.function_called(call) is not function:
                continue
            value = argument(call, catalog.Param(param, position))
            if value is None:
                continue
            found = self.of(value, depth + 1)
            if found is not None and found.can_be_zero and not self.guarded(value):
                return replace(found, what=f"{found.what} passed to `{function.name.value}`")
        return None

    def calls_named(self, name: str) -> list[cst.Call]:
        if self._calls_by_name is None:
            table: dict[str, list[cst.Call]] = {}
            for call in self.index.of_type(cst.Call):
                func = call.func
                if isinstance(func, cst.Name):
                    table.setdefault(func.value, []).append(call)
                elif isinstance(func, cst.Attribute):
                    table.setdefault(func.attr.value, []).append(call)
            self._calls_by_name = table
        return self._calls_by_name.get(name, [])

    # -- the naive softmax ------------------------------------------------------------------
    def exp_of(self, expr: cst.BaseExpression):
        """The exp operation ``expr`` holds (directly or through a name), if any."""
        produced = self.values.producer(expr)
        return produced.op if produced is not None and produced.op.role == EXP else None

    def naive_softmax(self, division: cst.BinaryOperation, shifted: bool = False):
        """``exp(x) / sum(exp(x))`` with the same ``x``, and unless ``shifted`` is allowed,
        no shift (``x - max``): (numerator exp op, sum op), else None."""
        if not isinstance(division.operator, cst.Divide):
            return None
        numerator = self.exp_of(division.left)
        if numerator is None or numerator.input is None:
            return None
        if not shifted and self.shifted_exponent(numerator.input):
            return None
        produced = self.values.producer(division.right)
        if produced is None or produced.op.role != SUM or produced.op.input is None:
            return None
        denominator = self.exp_of(produced.op.input)
        if denominator is None or denominator.input is None:
            return None
        if not _same_value(numerator.input, denominator.input):
            return None
        return numerator, produced.op

    def shifted_exponent(self, expr: cst.BaseExpression) -> bool:
        """An exponent that cannot overflow or was shifted by the user: ``x - max``,
        ``-abs(x)``, ``-0.5 * (x / s) ** 2``, a log-probability, a literal."""
        target, _ = self.values.resolve(expr)
        if isinstance(target, cst.BinaryOperation) and isinstance(target.operator, cst.Subtract) \
                and literal_number(target.right) is None:
            return True  # ``x - m``: the user shifted it (whether by the max is theirs to say)
        return self.nonpositive(target)

    def nonnegative(self, expr: cst.BaseExpression, depth: int = 0) -> bool:
        """Certainly >= 0: squares, absolute values, exps, norms, probabilities, positive
        constants, and sums, products and quotients of those."""
        if depth > MAX_DEPTH:
            return False
        number = literal_number(expr)
        if number is not None:
            return number >= 0
        if isinstance(expr, (cst.Name, cst.Attribute)):
            if is_positive_constant(self.values, expr):
                return True
            target, _ = self.values.resolve(expr)
            return target is not expr and self.nonnegative(target, depth + 1)
        if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
            return self.nonpositive(expr.expression, depth + 1)
        if isinstance(expr, cst.BinaryOperation):
            left, right, operator = expr.left, expr.right, expr.operator
            if isinstance(operator, cst.Power):
                exponent = literal_number(right)
                return (exponent is not None and exponent == int(exponent) and int(exponent) % 2 == 0) \
                    or self.nonnegative(left, depth + 1)
            if isinstance(operator, (cst.Multiply, cst.Divide)):
                return (self.nonnegative(left, depth + 1) and self.nonnegative(right, depth + 1)) or (
                    self.nonpositive(left, depth + 1) and self.nonpositive(right, depth + 1))
            if isinstance(operator, cst.Add):
                return self.nonnegative(left, depth + 1) and self.nonnegative(right, depth + 1)
            return False
        if isinstance(expr, cst.Call):
            if isinstance(expr.func, cst.Name) and expr.func.value == "abs" and self.values.qualify(expr.func) is None:
                return True  # the builtin
            op = self.values.op(expr)
            if op is None:
                return False
            if op.role in _NONNEGATIVE_ROLES:
                return True
            if op.role in _TRANSPARENT and op.input is not None:
                return self.nonnegative(op.input, depth + 1)
            if op.role == LOG and op.input is not None:
                number = literal_number(op.input)
                return number is not None and number >= 1
        return False

    def nonpositive(self, expr: cst.BaseExpression, depth: int = 0) -> bool:
        """Certainly <= 0: the negation of a nonnegative value, a log-probability, and
        products, quotients and sums that keep the sign."""
        if depth > MAX_DEPTH:
            return False
        number = literal_number(expr)
        if number is not None:
            return number <= 0
        if isinstance(expr, (cst.Name, cst.Attribute)):
            target, _ = self.values.resolve(expr)
            return target is not expr and self.nonpositive(target, depth + 1)
        if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
            return self.nonnegative(expr.expression, depth + 1)
        if isinstance(expr, cst.BinaryOperation):
            left, right, operator = expr.left, expr.right, expr.operator
            if isinstance(operator, (cst.Multiply, cst.Divide)):
                return (self.nonpositive(left, depth + 1) and self.nonnegative(right, depth + 1)) or (
                    self.nonnegative(left, depth + 1) and self.nonpositive(right, depth + 1))
            if isinstance(operator, cst.Add):
                return self.nonpositive(left, depth + 1) and self.nonpositive(right, depth + 1)
            if isinstance(operator, cst.Subtract):
                return self.nonpositive(left, depth + 1) and self.nonnegative(right, depth + 1)
            return False
        if isinstance(expr, cst.Call):
            op = self.values.op(expr)
            if op is None:
                return False
            if op.role in (LOG_SOFTMAX, LOG_SIGMOID):
                return True
            if op.role in _TRANSPARENT and op.input is not None:
                return self.nonpositive(op.input, depth + 1)
        return False


_NONNEGATIVE_ROLES = frozenset({ABS, SQUARE, RELU, EXP, SOFTPLUS, SQRT, NORM, SOFTMAX, SIGMOID})

_ROLE_FACTS = {
    SOFTMAX: Fact(PROBABILITY, "a softmax output", SOFTMAX),
    SIGMOID: Fact(PROBABILITY, "a sigmoid output", SIGMOID),
    RELU: Fact(NONNEGATIVE, "a ReLU output"),
    LOG_SOFTMAX: Fact(LOG_PROBABILITY, "a log-probability"),
    LOG_SIGMOID: Fact(LOG_PROBABILITY, "a log-probability"),
}


def _same_value(left: cst.BaseExpression, right: cst.BaseExpression) -> bool:
    if isinstance(left, cst.Name) and isinstance(right, cst.Name):
        return left.value == right.value
    return left.deep_equals(right)


def _collect_returns(node: cst.CSTNode, found: list[cst.Return]) -> None:
    """The ``return`` statements of a function body, not of functions nested in it."""
    for child in node.children:
        if isinstance(child, cst.Return):
            found.append(child)
        elif not isinstance(child, (cst.BaseExpression, cst.FunctionDef, cst.ClassDef)):
            _collect_returns(child, found)


def facts(values: Values) -> Facts:
    """The shared answers for one file (four rules ask about the same values)."""
    return per_file(values, "facts", Facts)
