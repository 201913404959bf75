"""Training data followed through one module, from where it is loaded to where it reaches
a model or a loss (NAN401-NAN404).

``DataFlow.fact(expr)`` says what a value holds, as far as the module shows it:
- raw 0-255 pixels and the load they came from (``cv2.imread``, ``mnist.load_data()``,
  ``np.array(Image.open(...))``, ``read_image``), until something scales them;
- possible NaN from a table reader (``pd.read_csv``, ``np.genfromtxt``), until ``dropna``,
  ``fillna``, ``nan_to_num`` or an imputer;
- label facts: the dtype (only when a cast, a dtype argument or literals show it), whether
  the values are class indices, the exact values or ranges and where each was introduced
  (``np.array([...])``, ``randint(low, high)``, ``range``, ``np.vstack`` of those), one-hot
  encoding (``to_categorical``).

Followed: names (the binding a use reads, via ``Values.binding``), tuple unpacking
(``(x_train, y_train), (x_test, y_test) = mnist.load_data()``, ``train_test_split``),
in-place reassignment (``x = x / 255.0``, ``x /= 255``), tuple reassignment, ``self.``
attributes, helper functions of the module (``x = preprocess(x)`` evaluates
``preprocess``'s returns with its parameters bound to the call's arguments), torchvision
``Compose`` pipelines and transform objects, scaler and imputer objects.

Sinks (``DataFlow.sinks()``): ``model.fit/train_on_batch/evaluate/predict(...)`` on a model
the module builds (``Sequential``, functional ``Model``, a ``nn.Module`` or ``keras.Model``
subclass, an estimator, a skorch/scikeras wrapper, also through a builder function),
``model(x)`` on such a model, and class-index loss calls (``F.cross_entropy(out, y)``,
``criterion(out, y)``, ``tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, ...)``).
For a model it knows the loss configured in ``compile(loss=...)``, its output width (the
last ``Dense(n)``/``nn.Linear(_, n)``, or ``n_classes=``/``num_classes=``), and whether
it scales its input (a ``Rescaling``/``Normalization`` layer before the first trainable
layer).

Unknown never reports: a value that passes through anything not listed above (an unknown
function, a method the catalog does not know, a branch, a container, an in-place change
such as ``x[...] = ...`` or a bare call taking the name) has no facts. The work is done
only for files whose calls include a data source or a class-index loss (a test on the
call's spelling against catalog leaf names comes first).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, fields, replace

import libcst as cst

from nanlint.analysis import per_file
from nanlint.analysis.guards import literal_number
from nanlint.analysis.index import Binding
from nanlint.analysis.values import argument
from nanlint.catalog import FUNCTION, METHOD, Api, Param, canonical
from nanlint.catalog import data as catalog
from nanlint.catalog.roles import (
    ARANGE,
    ARGMAX,
    CAST,
    CAST_FLOAT,
    CAST_INT,
    CHOICE,
    CLASS_INDEX_LOSS,
    COMPOSE,
    CONCAT,
    DATASET_LOAD,
    FLOW,
    IMAGE_GENERATOR,
    IMAGE_OPEN,
    IMAGE_READ,
    IMPUTER,
    LOG_SOFTMAX,
    MODEL,
    MODEL_COMPILE,
    MODEL_FIT,
    NAN_CHECK,
    NAN_FILL,
    NEUTRAL_LAYER,
    ONE_HOT,
    RANDINT,
    RAW_TO_TENSOR,
    SAME_VALUES,
    SCALE,
    SCALER,
    SCALING_LAYER,
    SOFTMAX,
    SPLIT,
    TABULAR_READ,
    TO_ARRAY,
    TRAIN_STEP,
    TRAINABLE_LAYER,
    TRANSFORM_APPLY,
)

MAX_DEPTH = 60
LAYER_ROLES = (TRAINABLE_LAYER, NEUTRAL_LAYER, SCALING_LAYER)
IMAGE_SOURCES = (DATASET_LOAD, IMAGE_READ, IMAGE_OPEN)
TABLE_SOURCES = (TABULAR_READ,)
# Calls whose presence makes a file worth following: sources, sinks and what configures them.
_GATE_ROLES = (*IMAGE_SOURCES, *TABLE_SOURCES, CLASS_INDEX_LOSS, MODEL_FIT, MODEL_COMPILE, NAN_CHECK, MODEL)
_GATE_LEAVES = catalog.leaf_names(_GATE_ROLES)
_TRAIN_STEP_LEAVES = catalog.leaf_names((TRAIN_STEP,))
_CLASS_KEYWORDS = ("num_classes", "n_classes")
# Keras and estimator model families, trained with fit(x, y) (NAN404: deep-learning fits only).
DEEP_FIT_FAMILIES = frozenset({"keras-sequential", "keras-functional", "keras-class", "estimator", "wrapper"})


# -- facts ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Piece:
    """Label values introduced at ``site``: exactly ``values`` when known, else every
    integer from ``low`` to ``high``."""

    site: cst.CSTNode
    low: float
    high: float
    values: frozenset | None = None

    def bad_values(self, classes: int | None, ignore: int | None) -> list[float]:
        """Values outside ``[0, classes)`` (``ignore`` excepted); for a range, its ends."""
        def bad(v: float) -> bool:
            return v != ignore and (v < 0 or (classes is not None and v >= classes))
        if self.values is not None:
            return sorted(v for v in self.values if bad(v))
        if self.low == self.high == ignore:
            return []
        return [v for v in (self.low, self.high) if bad(v)] or (
            [classes] if classes is not None and self.low < classes <= self.high else [])

    def shifted(self, by: float, site: cst.CSTNode) -> Piece:
        values = None if self.values is None else frozenset(v + by for v in self.values)
        return Piece(site, self.low + by, self.high + by, values)


@dataclass(frozen=True)
class Fact:
    """What the module shows about a value; the default is "nothing known"."""

    raw_image: cst.Call | None = None  # the load whose 0-255 pixels reach here unscaled
    # the assignment that first named them: (statement, name, container there)
    origin: tuple[cst.CSTNode, str, str | None] | None = None
    pil: cst.Call | None = None  # a PIL image from this call (raw once made an array)
    nan_source: cst.Call | None = None  # a table read whose possible NaN reach here
    dtype: str | None = None  # "float" or "int", when a cast, dtype or literal shows it
    container: str | None = None  # numpy, torch, tensorflow, pandas, python, pil
    labels: tuple[Piece, ...] | None = None  # every value, by where it was introduced
    one_hot: cst.Call | None = None  # the one-hot encoding call
    class_index: bool = False  # integer class indices by construction
    elements: tuple[Fact, ...] | None = None  # a tuple's elements


UNKNOWN = Fact()
_FIELDS = tuple(f.name for f in fields(Fact))


def join(facts: list[Fact]) -> Fact:
    """What several possible values have in common."""
    if not facts:
        return UNKNOWN
    first = facts[0]
    if all(f == first for f in facts[1:]):
        return first
    common = {}
    for name in _FIELDS:
        value = getattr(first, name)
        if all(getattr(f, name) == value for f in facts[1:]):
            common[name] = value
    return Fact(**common)


def scaled(fact: Fact) -> Fact:
    """``fact`` after a scaling step: no raw pixels, float values, NaN kept."""
    return Fact(nan_source=fact.nan_source, dtype="float", container=fact.container)


def _number_leaves(expr: cst.BaseExpression, out: list) -> bool:
    """Collect the numbers of a (nested) list/tuple literal; False if anything else."""
    if isinstance(expr, (cst.List, cst.Tuple)):
        return all(not isinstance(e, cst.StarredElement) and _number_leaves(e.value, out) for e in expr.elements)
    number = literal_number(expr)
    if number is None or isinstance(expr, cst.BinaryOperation):
        return False
    out.append((number, _is_int_literal(expr)))
    return True


def _is_int_literal(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.UnaryOperation):
        expr = expr.expression
    return isinstance(expr, cst.Integer)


def literal_labels(expr: cst.BaseExpression, site: cst.CSTNode) -> Fact | None:
    """Label facts of a list/tuple literal of numbers, introduced at ``site``."""
    numbers: list = []
    if not isinstance(expr, (cst.List, cst.Tuple)) or not _number_leaves(expr, numbers) or not numbers:
        return None
    values = frozenset(n for n, _ in numbers)
    ints = all(is_int for _, is_int in numbers)
    return Fact(dtype="int" if ints else "float", container="python", class_index=ints,
                labels=(Piece(site, min(values), max(values), values),))


# -- models, losses, sinks ----------------------------------------------------------------
@dataclass(frozen=True)
class Model:
    """A model the module builds: ``constructor`` is the call that makes it."""

    constructor: cst.Call
    family: str  # keras-sequential, keras-functional, keras-class, torch-sequential, torch-class, ...
    api: Api | None = None
    classdef: cst.ClassDef | None = None


@dataclass(frozen=True)
class Loss:
    """A class-index loss: its name for messages, whether it also accepts class
    probabilities (torch ``CrossEntropyLoss``), and the label value it ignores."""

    name: str
    probabilities: bool
    ignore: int | None
    framework: str


@dataclass(frozen=True)
class Sink:
    """A call that hands data to a model or a loss."""

    call: cst.Call
    kind: str  # train, evaluate, predict, apply (model(x)), loss
    model: Model | None
    inputs: tuple[cst.BaseExpression, ...]
    labels: tuple[cst.BaseExpression, ...]
    loss: Loss | None = None
    logits: cst.BaseExpression | None = None


def dataflow(ctx) -> DataFlow:
    """The file's data-flow analysis, shared by the data rules."""
    return per_file(ctx, "dataflow", DataFlow)


class DataFlow:
    def __init__(self, ctx) -> None:
        self.code_for = ctx.module.code_for_node
        self.index = ctx.index
        self.values = ctx.values
        self._apis: dict[int, Api | None] = {}
        self._facts: dict[tuple[int, int], Fact] = {}
        self._busy: set[tuple[int, int]] = set()
        self._by_role: dict[str, list[cst.Call]] | None = None
        self._sinks: list[Sink] | None = None
        self._mutations: dict[str, list[int]] | None = None
        self._returns: dict[tuple[int, bool], list[cst.Return] | None] = {}
        self._adds: dict[int, list[cst.Call]] | None = None
        self._models: dict[int, Model | None] = {}
        self._checked: set[int] | None = None
        self._training_scopes: set[int] | None = None
        self._call_positions: list[int] | None = None
        self._callers: dict[str, list[cst.Call]] | None = None
        self._constructors: dict[int, cst.Call | None] = {}
        self._envs: list[dict] = []

    # -- what a call is ------------------------------------------------------------------
    def api_of(self, call: cst.Call) -> Api | None:
        """The data row a call applies: a qualified function/class, a method, a builtin."""
        key = id(call)
        if key in self._apis:
            return self._apis[key]
        func = call.func
        api = None
        qualified = self.values.qualify(func)
        if qualified is not None:
            api = catalog.lookup(qualified)
        elif isinstance(func, cst.Attribute):
            api = catalog.method(func.attr.value)
        elif isinstance(func, cst.Name) and self._is_builtin(func):
            api = catalog.lookup(f"builtins.{func.value}")
        self._apis[key] = api
        return api

    def _is_builtin(self, name: cst.Name) -> bool:
        if name.value in self.values.imports.names:
            return False
        scope = self.index.scope_of(name)
        while scope is not None:
            if name.value in scope.bindings or name.value in scope.params:
                return False
            scope = scope.parent
        return True

    def calls(self, *roles: str) -> list[cst.Call]:
        """Calls of the file with one of ``roles`` (sources, sinks and their configuration
        only: see ``_GATE_ROLES``)."""
        if self._by_role is None:
            self._scan()
        return [call for role in roles for call in self._by_role.get(role, ())]

    def _scan(self) -> None:
        leaves = set(_GATE_LEAVES)
        for local, target in self.values.imports.names.items():
            if canonical(target).rpartition(".")[2] in _GATE_LEAVES:
                leaves.add(local)
        by_role: dict[str, list[cst.Call]] = {}
        attribute, name = cst.Attribute, cst.Name
        for call in self.index.of_type(cst.Call):
            func = call.func
            kind = type(func)
            if kind is attribute:
                leaf = func.attr.value
            elif kind is name:
                leaf = func.value
            else:
                continue
            if leaf in leaves:
                api = self.api_of(call)
                if api is not None and api.role in _GATE_ROLES:
                    by_role.setdefault(api.role, []).append(call)
        self._by_role = by_role

    def has_image_sources(self) -> bool:
        return bool(self.calls(*IMAGE_SOURCES))

    def has_table_sources(self) -> bool:
        return bool(self.calls(*TABLE_SOURCES))

    def has_label_sinks(self) -> bool:
        return bool(self.calls(CLASS_INDEX_LOSS, MODEL_COMPILE)) or any(
            self.api_of(c).extra.get("classifier") for c in self.calls(MODEL))

    # -- facts -----------------------------------------------------------------------------
    def fact(self, expr: cst.BaseExpression | None, env: dict | None = None) -> Fact:
        if expr is None:
            return UNKNOWN
        key = (id(expr), id(env) if env else 0)
        known = self._facts.get(key)
        if known is not None:
            return known
        if key in self._busy or len(self._busy) > MAX_DEPTH:
            return UNKNOWN
        self._busy.add(key)
        try:
            result = self._fact(expr, env)
        finally:
            self._busy.discard(key)
        self._facts[key] = result
        return result

    def _fact(self, expr: cst.BaseExpression, env: dict | None) -> Fact:
        if isinstance(expr, cst.Name):
            binding = self.values.binding(expr)
            return UNKNOWN if binding is None else self._binding_fact(binding, expr, env)
        if isinstance(expr, cst.Attribute):
            if expr.attr.value in catalog.SAME_VALUE_ATTRIBUTES:
                return replace(self.fact(expr.value, env), elements=None)
            binding = self.values.attribute_binding(expr)
            if binding is not None and binding.value is not None and not self._mutated(binding, expr):
                return self.fact(binding.value, env)
            return UNKNOWN
        if isinstance(expr, cst.Call):
            return self._call_fact(expr, env)
        if isinstance(expr, cst.Subscript):
            return self._subscript_fact(expr, env)
        if isinstance(expr, cst.BinaryOperation):
            return self._binary_fact(expr, env)
        if isinstance(expr, (cst.List, cst.Tuple)):
            literal = literal_labels(expr, expr)
            if literal is not None:
                return literal
            if isinstance(expr, cst.Tuple) and not any(isinstance(e, cst.StarredElement) for e in expr.elements):
                return Fact(elements=tuple(self.fact(e.value, env) for e in expr.elements))
            return UNKNOWN
        if isinstance(expr, cst.IfExp):
            return join([self.fact(expr.body, env), self.fact(expr.orelse, env)])
        return UNKNOWN

    def _binding_fact(self, binding: Binding, use: cst.CSTNode, env: dict | None) -> Fact:
        node = binding.node
        if isinstance(node, cst.Param):
            if env and id(node) in env:
                value, caller_env = env[id(node)]
                return self.fact(value, caller_env)
            return UNKNOWN
        if self._mutated(binding, use):
            return UNKNOWN
        if binding.value is not None:
            fact = self.fact(binding.value, env)
        elif isinstance(node, cst.Assign):
            path = _target_path(node, binding.name)
            fact = UNKNOWN if path is None else _element(self.fact(node.value, env), path)
        elif isinstance(node, cst.AugAssign) and isinstance(node.target, cst.Name):
            fact = self._augmented(node, env)
        else:
            return UNKNOWN
        if fact.raw_image is not None and fact.origin is None and isinstance(node, (cst.Assign, cst.AnnAssign)):
            fact = replace(fact, origin=(node, binding.name, fact.container))
        return fact

    def _augmented(self, node: cst.AugAssign, env: dict | None) -> Fact:
        previous = self.values.binding(node.target)
        before = UNKNOWN if previous is None else self._binding_fact(previous, node.target, env)
        operator = node.operator
        shift = self._int(node.value, env)
        if isinstance(operator, (cst.AddAssign, cst.SubtractAssign)) and shift is not None and before.labels:
            by = shift if isinstance(operator, cst.AddAssign) else -shift
            return Fact(nan_source=before.nan_source, dtype=before.dtype, container=before.container,
                        class_index=before.class_index, labels=tuple(p.shifted(by, node) for p in before.labels))
        if isinstance(operator, cst.DivideAssign):
            return scaled(before)
        return Fact(nan_source=before.nan_source, container=before.container)

    def _subscript_fact(self, expr: cst.Subscript, env: dict | None) -> Fact:
        inner = self.fact(expr.value, env)
        if inner.elements is not None and len(expr.slice) == 1:
            index = expr.slice[0].slice
            if isinstance(index, cst.Index):
                position = self._int(index.value, env)
                if position is not None and -len(inner.elements) <= position < len(inner.elements):
                    return inner.elements[position]
            return UNKNOWN
        # A subset keeps what the values are, but not which label values are present
        # (unless the index only adds axes).
        keeps = all(_whole(s.slice) for s in expr.slice)
        return replace(inner, labels=inner.labels if keeps else None, elements=None)

    def _binary_fact(self, expr: cst.BinaryOperation, env: dict | None) -> Fact:
        left, right = self.fact(expr.left, env), self.fact(expr.right, env)
        nan = left.nan_source or right.nan_source
        container = left.container or right.container
        operator = expr.operator
        if isinstance(operator, cst.Divide):
            return Fact(nan_source=nan, dtype="float", container=container)
        if isinstance(operator, (cst.Add, cst.Subtract)):
            shift = self._int(expr.right, env)
            if shift is not None and left.labels:
                by = shift if isinstance(operator, cst.Add) else -shift
                return Fact(nan_source=nan, dtype=left.dtype, container=container, class_index=left.class_index,
                            labels=tuple(p.shifted(by, expr) for p in left.labels))
            shift = self._int(expr.left, env)
            if shift is not None and right.labels and isinstance(operator, cst.Add):
                return Fact(nan_source=nan, dtype=right.dtype, container=container, class_index=right.class_index,
                            labels=tuple(p.shifted(shift, expr) for p in right.labels))
        return Fact(nan_source=nan, container=container)

    # -- calls -------------------------------------------------------------------------------
    def _call_fact(self, call: cst.Call, env: dict | None) -> Fact:
        api = self.api_of(call)
        if api is None:
            return self._unlisted_call_fact(call, env)
        role = api.role
        extra = api.extra
        container = extra.get("container", api.framework if api.framework != "any" else None)
        source = call.func.value if api.kind == METHOD else argument(call, api.input)
        if role == IMAGE_READ:
            return Fact(raw_image=call, dtype="int", container=container)
        if role == IMAGE_OPEN:
            return Fact(pil=call, container="pil")
        if role == TABULAR_READ:
            return Fact(nan_source=call, container=container)
        if role == DATASET_LOAD:
            return _nested({**{path: Fact(raw_image=call, dtype="int", container=container)
                               for path in extra["images"]},
                            **{path: Fact(dtype="int", class_index=True, container=container)
                               for path in extra["labels"]}})
        if role == TO_ARRAY:
            return self._to_array(call, api, source, container, env)
        if role == SAME_VALUES:
            fact = self.fact(source, env)
            return replace(fact, elements=None, container=extra.get("container", fact.container))
        if role == CAST:
            return self._cast(call, api, source, container, env)
        if role == CAST_FLOAT:
            return replace(self.fact(source, env), dtype="float", container=TORCH_CONTAINER, elements=None)
        if role == CAST_INT:
            return replace(self.fact(source, env), dtype="int", container=TORCH_CONTAINER, class_index=True,
                           elements=None)
        if role == RANDINT:
            return self._randint(call, api, container, env)
        if role == CHOICE:
            return self._choice(call, source, container, env)
        if role == ARANGE:
            return self._arange(call, api, container, env)
        if role == CONCAT:
            return self._concat(call, api, source, container, env)
        if role == ONE_HOT:
            return Fact(one_hot=call, dtype=extra.get("dtype"), container=container)
        if role == ARGMAX:
            return Fact(dtype="int", class_index=True, container=None if api.kind == METHOD else container)
        if role == SCALE:
            return scaled(self.fact(source, env))
        if role == RAW_TO_TENSOR:
            return _raw_tensor(self.fact(source, env))
        if role == NAN_FILL:
            if _keyword_true(call, "inplace"):
                return UNKNOWN
            return replace(self.fact(source, env), nan_source=None)
        if role == SPLIT:
            arrays = [a.value for a in call.args if a.keyword is None and not a.star]
            parts = []
            for array in arrays:
                part = replace(self.fact(array, env), labels=None, elements=None)
                parts += [part, part]
            return Fact(elements=tuple(parts))
        if role == TRANSFORM_APPLY:
            return self._transform_apply(call, api, env)
        if role == FLOW:
            return self._flow(call, api, env)
        return UNKNOWN

    def _to_array(self, call, api, source, container, env) -> Fact:
        if source is None:
            return UNKNOWN
        fact = literal_labels(source, call) or self.fact(source, env)
        if fact.pil is not None:
            fact = Fact(raw_image=fact.pil, dtype="int")
        dtype = api.extra.get("fixed_dtype") or self.dtype_of(argument(call, api.extra.get("dtype")))
        fact = replace(fact, container=container, elements=None)
        if dtype is not None:
            fact = replace(fact, dtype=dtype)
        return fact

    def _cast(self, call, api, source, container, env) -> Fact:
        target = argument(call, api.extra["dtype"])
        dtype = self.dtype_of(target)
        fact = self.fact(source, env)
        if dtype is None:
            if api.extra.get("optional") and (target is None or not self._names_dtype(target)):
                # ``.to(device)``, ``.to_numpy()``: the same values
                return replace(fact, elements=None, container=api.extra.get("container", fact.container))
            return replace(fact, dtype=None, elements=None)
        result = replace(fact, dtype=dtype, elements=None, container=container or fact.container)
        if dtype == "int":
            result = replace(result, class_index=fact.class_index or fact.dtype == "int")
        return result

    def _randint(self, call, api, container, env) -> Fact:
        extra = api.extra
        low_arg, high_arg = argument(call, extra["low"]), argument(call, extra["high"])
        if extra.get("size_second") and isinstance(high_arg, (cst.Tuple, cst.List)) and \
                call.args and call.args[1].keyword is None:
            low_arg, high_arg = None, low_arg  # torch.randint(high, size)
        low, high = self._int(low_arg, env), self._int(high_arg, env)
        if high_arg is None and not extra.get("size_second"):
            low, high = 0, low  # np.random.randint(high)
        elif low_arg is None:
            low = 0
        base = Fact(dtype="int", class_index=True, container=container)
        if low is None or high is None:
            return base
        top = high - 1
        if top < low:
            return base
        return replace(base, labels=(Piece(call, low, top),))

    def _choice(self, call, source, container, env) -> Fact:
        literal = literal_labels(source, call) if source is not None else None
        if literal is not None:
            return replace(literal, container=container)
        count = self._int(source, env)
        if count is not None and count > 0:
            return Fact(dtype="int", class_index=True, container=container, labels=(Piece(call, 0, count - 1),))
        return UNKNOWN

    def _arange(self, call, api, container, env) -> Fact:
        extra = api.extra
        positional = [a for a in call.args if a.keyword is None]
        if any(a.star for a in call.args):
            return UNKNOWN
        start, stop, step = (argument(call, extra[k]) for k in ("start", "stop", "step"))
        if len(positional) == 1 and not any(a.keyword and a.keyword.value == extra["stop"].keyword for a in call.args):
            start, stop = None, start
        numbers = [self._int(e, env) if e is not None else d for e, d in ((start, 0), (stop, None), (step, 1))]
        base = Fact(dtype="int", class_index=True, container=container)
        if None in numbers or numbers[2] == 0:
            return base
        span = range(*numbers)
        if not span:
            return base
        return replace(base, labels=(Piece(call, min(span), max(span)),))

    def _concat(self, call, api, source, container, env) -> Fact:
        pair = api.extra.get("pair")
        if pair is not None:
            parts = [source, argument(call, pair)]
        else:
            sequence = source
            if isinstance(sequence, cst.Name):
                sequence, _ = self.values.resolve(sequence)
            if not isinstance(sequence, (cst.List, cst.Tuple)) or \
                    any(isinstance(e, cst.StarredElement) for e in sequence.elements):
                return UNKNOWN
            parts = [e.value for e in sequence.elements]
        if not parts or any(p is None for p in parts):
            return UNKNOWN
        facts = [literal_labels(p, call) or self.fact(p, env) for p in parts]
        labels = None
        if all(f.labels for f in facts):
            labels = tuple(piece for f in facts for piece in f.labels)
        dtypes = {f.dtype for f in facts}
        dtype = None if None in dtypes else ("float" if "float" in dtypes else "int")
        raw = facts[0].raw_image if all(f.raw_image for f in facts) else None
        return Fact(raw_image=raw, nan_source=next((f.nan_source for f in facts if f.nan_source), None),
                    dtype=dtype, container=container, labels=labels,
                    one_hot=next((f.one_hot for f in facts if f.one_hot), None),
                    class_index=all(f.class_index for f in facts))

    def _owner(self, receiver: cst.BaseExpression) -> cst.Call | None:
        """The constructor of the object a method is called on: ``Scaler().fit_transform``
        or ``scaler.fit_transform`` with ``scaler = Scaler()``."""
        return receiver if isinstance(receiver, cst.Call) else self._constructor(receiver)

    def _transform_apply(self, call, api, env) -> Fact:
        constructor = self._owner(call.func.value)
        owner = self.api_of(constructor) if constructor is not None else None
        data = self.fact(argument(call, api.extra["data"]), env)
        if owner is not None and owner.role == SCALER:
            return scaled(data)
        if owner is not None and owner.role == IMPUTER:
            return replace(data, nan_source=None, elements=None)
        return UNKNOWN

    def _flow(self, call, api, env) -> Fact:
        constructor = self._owner(call.func.value)
        owner = self.api_of(constructor) if constructor is not None else None
        if owner is None or owner.role != IMAGE_GENERATOR:
            return UNKNOWN
        data = self.fact(argument(call, api.extra["data"]), env)
        if any(a.keyword is not None and a.keyword.value in owner.extra["scaling"] for a in constructor.args):
            return scaled(data)
        return Fact(raw_image=data.raw_image, origin=data.origin, nan_source=data.nan_source)

    def _unlisted_call_fact(self, call: cst.Call, env: dict | None) -> Fact:
        """A call with no data row: a transform object, a layer applied to data, or a
        helper function of this module."""
        func = call.func
        first = call.args[0].value if call.args and call.args[0].keyword is None and not call.args[0].star else None
        if isinstance(func, cst.Call):
            return self._transform_step(func, self.fact(first, env)) if first is not None else UNKNOWN
        if isinstance(func, cst.Name):
            binding = self.values.binding(func)
            if binding is not None and isinstance(binding.node, cst.FunctionDef) and binding.value is None:
                return self._helper_fact(binding.node, call, env)
        constructor = self._constructor(func)
        if constructor is not None and first is not None:
            return self._transform_step(constructor, self.fact(first, env))
        return UNKNOWN

    def _transform_step(self, transform: cst.BaseExpression, fact: Fact) -> Fact:
        """``fact`` after a transform or preprocessing layer ``transform`` (a constructor
        call or a name bound to one)."""
        constructor = transform if isinstance(transform, cst.Call) else self._constructor(transform)
        api = self.api_of(constructor) if constructor is not None else None
        if api is None:
            return UNKNOWN
        if api.role == SCALING_LAYER:
            flag = api.extra.get("scale_flag")
            if flag is not None and not _is_true(argument(constructor, flag)):
                return Fact(nan_source=fact.nan_source, dtype="float", raw_image=fact.raw_image,
                            origin=fact.origin, container=fact.container)
            return scaled(fact)
        if api.role == RAW_TO_TENSOR:
            return _raw_tensor(fact)
        if api.role == SAME_VALUES:
            return fact
        if api.role == COMPOSE:
            steps = argument(constructor, Param("transforms", 0))
            steps, _ = self.values.resolve(steps) if steps is not None else (None, ())
            if not isinstance(steps, (cst.List, cst.Tuple)):
                return UNKNOWN
            for element in steps.elements:
                if isinstance(element, cst.StarredElement):
                    return UNKNOWN
                fact = self._transform_step(element.value, fact)
            return fact
        return UNKNOWN

    def _constructor(self, expr: cst.BaseExpression) -> cst.Call | None:
        """The call a name or ``self.`` attribute was bound to."""
        if not isinstance(expr, (cst.Name, cst.Attribute)):
            return None
        key = id(expr)
        if key not in self._constructors:
            target, via = self.values.resolve(expr)
            self._constructors[key] = target if via and isinstance(target, cst.Call) else None
        return self._constructors[key]

    def _helper_fact(self, function: cst.FunctionDef, call: cst.Call, env: dict | None) -> Fact:
        returns = self.returns_of(function)
        if not returns or any(r.value is None for r in returns):
            return UNKNOWN
        inner = self.bind_arguments(function, call, env)
        if inner is None:
            return UNKNOWN
        return join([self.fact(r.value, inner) for r in returns])

    # -- helpers' returns and arguments ----------------------------------------------------
    def returns_of(self, function: cst.FunctionDef, methods: bool = False) -> list[cst.Return] | None:
        """The return statements of a function (None for a generator, and for a method
        unless ``methods``)."""
        key = (id(function), methods)
        if key in self._returns:
            return self._returns[key]
        found: list[cst.Return] | None = []
        scope = self.index.scopes.get(function)
        if scope is None or scope.parent is None or (not methods and scope.parent.kind == "class"):
            found = None
        else:
            stack = [function.body]
            while stack:
                node = stack.pop()
                if isinstance(node, cst.Return):
                    found.append(node)
                elif isinstance(node, (cst.Yield, cst.Await)):
                    found = None
                    break
                elif not isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                    stack.extend(node.children)
        self._returns[key] = found
        return found

    def bind_arguments(self, function: cst.FunctionDef, call: cst.Call, env: dict | None,
                       skip_first: bool = False) -> dict | None:
        """Each parameter of ``function`` mapped to (argument or default, its env)."""
        params = [*function.params.posonly_params, *function.params.params]
        if skip_first:
            params = params[1:]
        by_name = {p.name.value: p for p in (*params, *function.params.kwonly_params)}
        mapping: dict[int, tuple] = {}
        position = 0
        for arg in call.args:
            if arg.star:
                return None
            if arg.keyword is not None:
                param = by_name.get(arg.keyword.value)
                if param is None:
                    return None
                mapping[id(param)] = (arg.value, env)
            elif position < len(params):
                mapping[id(params[position])] = (arg.value, env)
                position += 1
            else:
                return None
        for param in by_name.values():
            if id(param) not in mapping and param.default is not None:
                mapping[id(param)] = (param.default, None)
        self._envs.append(mapping)  # facts are memoised by id(env): keep every env alive
        return mapping

    # -- small values ------------------------------------------------------------------------
    def _int(self, expr: cst.BaseExpression | None, env: dict | None = None, depth: int = 0) -> int | None:
        """An integer the module spells out: a literal, a constant, an argument."""
        if expr is None or depth > 8:
            return None
        number = literal_number(expr)
        if number is not None:
            return int(number) if number == int(number) else None
        if isinstance(expr, cst.Name):
            binding = self.values.binding(expr)
            if binding is None:
                return None
            if isinstance(binding.node, cst.Param):
                if env and id(binding.node) in env:
                    value, caller_env = env[id(binding.node)]
                    return self._int(value, caller_env, depth + 1)
                return None
            return self._int(binding.value, env, depth + 1)
        if isinstance(expr, cst.Attribute):
            binding = self.values.attribute_binding(expr)
            return None if binding is None else self._int(binding.value, env, depth + 1)
        return None

    def dtype_of(self, expr: cst.BaseExpression | None) -> str | None:
        """"float" or "int" for a dtype argument (``np.float32``, ``"int64"``, ``float``)."""
        if expr is None:
            return None
        if isinstance(expr, cst.SimpleString):
            return catalog.dtype_kind(expr.evaluated_value)
        qualified = self.values.qualify(expr)
        if qualified is None and isinstance(expr, cst.Name) and self._is_builtin(expr):
            qualified = f"builtins.{expr.value}"
        if qualified is not None:
            return catalog.DTYPES.get(qualified)
        target, via = self.values.resolve(expr)
        return self.dtype_of(target) if via else None

    def _names_dtype(self, expr: cst.BaseExpression) -> bool:
        """Whether an argument is a dtype at all (known or not): ``torch.float16`` is,
        ``device`` is not."""
        if isinstance(expr, cst.SimpleString):
            return catalog.dtype_kind(expr.evaluated_value) is not None
        qualified = self.values.qualify(expr)
        return qualified is not None and qualified.split(".")[0] in ("torch", "numpy", "tensorflow", "jax")

    # -- in-place changes ------------------------------------------------------------------
    def _mutated(self, binding: Binding, use: cst.CSTNode) -> bool:
        """Whether the object bound by ``binding`` may change in place before ``use``:
        ``x[...] = v``, ``x.attr = v``, a statement ``x.sort()``/``f(x)``, ``inplace=True``."""
        if self._mutations is None:
            self._mutations = self._find_mutations()
        candidates = self._mutations.get(binding.name)
        if not candidates:
            return False
        start, end = binding.order, self.index.position_of(use)
        return any(start < position < end and not self.index.contains(node, use) and self._changes(node)
                   for position, node in candidates)

    def _find_mutations(self) -> dict[str, list[tuple[int, cst.CSTNode]]]:
        """Statements that may change a named object in place, by name (calls are
        confirmed lazily by ``_changes``)."""
        found: dict[str, list[tuple[int, cst.CSTNode]]] = {}
        index = self.index

        def note(expr, node):
            while isinstance(expr, (cst.Subscript, cst.Attribute)):
                expr = expr.value
            if isinstance(expr, cst.Name):
                found.setdefault(expr.value, []).append((index.position_of(node), node))

        for assign in index.of_type(cst.Assign):
            for target in assign.targets:
                if isinstance(target.target, (cst.Subscript, cst.Attribute)):
                    note(target.target, assign)
        for assign in (*index.of_type(cst.AugAssign), *index.of_type(cst.AnnAssign)):
            if isinstance(assign.target, (cst.Subscript, cst.Attribute)):
                note(assign.target, assign)
        expression = cst.Expr
        for call in index.of_type(cst.Call):
            if type(index.parent(call)) is not expression and not _keyword_true(call, "inplace"):
                continue
            func = call.func
            if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and \
                    func.attr.value not in catalog.READ_ONLY_METHODS:
                note(func.value, call)
            for arg in call.args:
                if isinstance(arg.value, cst.Name):
                    note(arg.value, call)
        return found

    def _changes(self, node: cst.CSTNode) -> bool:
        """A noted statement really may change its argument or receiver: not ``print``,
        a plot, a model's fit/compile, a NaN check, or a call on an imported module."""
        if not isinstance(node, cst.Call):
            return True
        func = node.func
        if isinstance(func, cst.Name) and func.value == "print":
            return False
        qualified = self.values.qualify(func)
        if qualified is not None and qualified.startswith("matplotlib"):
            return False
        api = self.api_of(node)
        return api is None or api.role not in (MODEL_FIT, MODEL_COMPILE, NAN_CHECK)

    # -- models ------------------------------------------------------------------------------
    def model_of(self, expr: cst.BaseExpression, depth: int = 0) -> Model | None:
        """The model an expression holds, when the module builds it visibly."""
        target, _ = self.values.resolve(expr)
        if not isinstance(target, cst.Call):
            return None
        key = id(target)
        if key in self._models:
            return self._models[key]
        self._models[key] = None  # against cycles
        model = self._model_from_call(target, depth)
        self._models[key] = model
        return model

    def _model_from_call(self, call: cst.Call, depth: int) -> Model | None:
        api = self.api_of(call)
        if api is not None and api.role == MODEL:
            if api.extra.get("family") == "torch-class":
                return None
            return Model(call, api.extra["family"], api)
        if isinstance(call.func, cst.Name):
            binding = self.values.binding(call.func)
            if binding is not None and isinstance(binding.node, cst.ClassDef):
                family = self._model_class_family(binding.node, 0)
                if family is not None:
                    return Model(call, family, None, binding.node)
            if binding is not None and isinstance(binding.node, cst.FunctionDef) and depth < 3:
                returns = self.returns_of(binding.node)
                if returns and all(r.value is not None for r in returns):
                    models = [self.model_of(r.value, depth + 1) for r in returns]
                    if models[0] is not None and all(m == models[0] for m in models):
                        return models[0]
        if any(a.keyword is not None and a.keyword.value in _CLASS_KEYWORDS for a in call.args):
            return Model(call, "other")  # timm.create_model(..., num_classes=10): only its width is known
        return None

    def _model_class_family(self, classdef: cst.ClassDef, depth: int) -> str | None:
        for base in classdef.bases:
            qualified = self.values.qualify(base.value)
            api = catalog.lookup(qualified) if qualified else None
            if api is not None and api.role == MODEL:
                return "torch-class" if api.framework == "torch" else "keras-class"
            if isinstance(base.value, cst.Name) and depth < 4:
                binding = self.values.binding(base.value)
                if binding is not None and isinstance(binding.node, cst.ClassDef):
                    family = self._model_class_family(binding.node, depth + 1)
                    if family is not None:
                        return family
        return None

    def layers(self, model: Model) -> list[tuple[str | None, cst.CSTNode, Api | None]] | None:
        """The model's layers in order, as (role, node, row); None when not visible.
        A role of None is a layer the catalog does not know."""
        family = model.family
        if family == "keras-sequential":
            items: list = []
            given = argument(model.constructor, model.api.extra["layers"])
            if given is not None:
                sequence, _ = self.values.resolve(given)
                if not isinstance(sequence, (cst.List, cst.Tuple)):
                    return None
                for element in sequence.elements:
                    if isinstance(element, cst.StarredElement):
                        return None
                    items += self._layer_items(element.value)
            for add in self._add_calls().get(id(model.constructor), ()):
                layer = argument(add, catalog.method("add").extra["layer"])
                if layer is None:
                    return None
                items += self._layer_items(layer)
            return items
        if family == "torch-sequential":
            items = []
            for arg in model.constructor.args:
                if arg.star or arg.keyword is not None:
                    return None
                items += self._layer_items(arg.value)
            return items
        if family == "keras-functional":
            return self._functional_layers(model)
        return None

    def _layer_items(self, expr: cst.BaseExpression) -> list:
        target, _ = self.values.resolve(expr)
        if isinstance(target, cst.Call):
            api = self.api_of(target)
            if api is not None and api.role in LAYER_ROLES:
                return [(api.role, target, api)]
            if api is not None and api.role == MODEL:
                nested = self.model_of(target)
                inner = self.layers(nested) if nested is not None else None
                if inner is not None:
                    return inner
        return [(None, expr, None)]

    def _add_calls(self) -> dict[int, list[cst.Call]]:
        if self._adds is None:
            adds: dict[int, list[cst.Call]] = {}
            for call in self.index.of_type(cst.Call):
                func = call.func
                if isinstance(func, cst.Attribute) and func.attr.value == "add" and \
                        self.api_of(call) is catalog.method("add"):
                    constructor = self._constructor(func.value)
                    if constructor is not None:
                        adds.setdefault(id(constructor), []).append(call)
            self._adds = adds
        return self._adds

    def _functional_layers(self, model: Model) -> list | None:
        """``keras.Model(inputs, outputs)``: the chain of layer applications from the
        output back to an ``Input``, when it is a single chain."""
        expr = argument(model.constructor, model.api.extra["outputs"])
        chain: list = []
        for _ in range(200):
            if expr is None:
                return None
            target, _ = self.values.resolve(expr)
            if isinstance(target, cst.BinaryOperation) and isinstance(target.operator, cst.Divide):
                chain.append((SCALING_LAYER, target, None))
                expr = target.left
                continue
            if not isinstance(target, cst.Call):
                return None
            api = self.api_of(target)
            if api is not None and api.role == NEUTRAL_LAYER and api.name.endswith(("Input", "InputLayer")):
                chain.append((api.role, target, api))
                chain.reverse()
                return chain
            layer = target.func if isinstance(target.func, cst.Call) else self._constructor(target.func)
            layer_api = self.api_of(layer) if layer is not None else None
            if layer_api is None or layer_api.role not in LAYER_ROLES or not target.args or \
                    target.args[0].keyword is not None or target.args[0].star:
                return None
            chain.append((layer_api.role, layer, layer_api))
            expr = target.args[0].value
        return None

    def scaling(self, model: Model) -> str:
        """"scales" when the model scales its input before its first trainable layer,
        "none" when it visibly does not, else "unknown"."""
        if model.classdef is not None:
            return self._class_scaling(model)
        items = self.layers(model)
        if items is None:
            return "unknown"
        for role, node, api in items:
            if role == SCALING_LAYER:
                flag = api.extra.get("scale_flag") if api is not None else None
                return "scales" if flag is None or _is_true(argument(node, flag)) else "unknown"
            if role == TRAINABLE_LAYER:
                return "none"
            if role != NEUTRAL_LAYER:
                return "unknown"
        return "unknown"

    def _class_scaling(self, model: Model) -> str:
        """A ``nn.Module``/``keras.Model`` subclass: the first use of the input in
        ``forward``/``call`` must be a trainable layer (``self.conv1(x)``)."""
        method = _method(model.classdef, ("forward", "call"))
        if method is None:
            return "unknown"
        params = method.params.params
        if len(params) < 2:
            return "unknown"
        name = params[1].name.value
        use = _first_use(method.body, name)
        if use is None:
            return "unknown"
        arg = self.index.parent(use)
        call = self.index.parent(arg) if isinstance(arg, cst.Arg) else None
        if not isinstance(call, cst.Call) or call.args[0] is not arg:
            return "unknown"
        constructor = self._constructor(call.func)
        api = self.api_of(constructor) if constructor is not None else None
        if api is None:
            return "unknown"
        if api.role == TRAINABLE_LAYER:
            return "none"
        if api.role == SCALING_LAYER:
            return "scales"
        if api.role == MODEL:
            inner = self.model_of(constructor)
            return self.scaling(inner) if inner is not None else "unknown"
        return "unknown"

    def classes(self, model: Model) -> tuple[int, cst.CSTNode] | None:
        """The number of output units, and the node that says so."""
        constructor = model.constructor
        for arg in constructor.args:
            if arg.keyword is not None and arg.keyword.value in _CLASS_KEYWORDS:
                value = self._int(arg.value)
                return (value, arg) if value is not None else None
        if model.family == "estimator":
            if not model.api.extra.get("classifier") or any(
                    a.keyword is not None and a.keyword.value == "label_vocabulary" for a in constructor.args):
                return None
            default = model.api.extra.get("default_classes")
            return (default, constructor) if default is not None else None
        if model.classdef is not None:
            return self._class_head(model)
        items = self.layers(model)
        if items is None:
            return None
        for role, node, api in reversed(items):
            if role == TRAINABLE_LAYER and api.extra.get("head"):
                value = self._int(argument(node, api.extra["width"]))
                return (value, node) if value is not None else None
            if api is None or not api.extra.get("keeps_width"):
                return None
        return None

    def _class_head(self, model: Model) -> tuple[int, cst.CSTNode] | None:
        """The output layer of a ``nn.Module``/``keras.Model`` subclass: the
        ``nn.Linear``/``Dense`` that ``forward``/``call`` returns the output of, else the
        last one built in the class; ``__init__``'s parameters bound to the
        instantiation's arguments."""
        classdef = model.classdef
        head = self._returned_head(classdef)
        if head is None:
            for call in self._calls_inside(classdef):
                api = self.api_of(call)
                if api is not None and api.role == TRAINABLE_LAYER and api.extra.get("head"):
                    head = (call, api)
        if head is None:
            return None
        call, api = head
        init = _method(classdef, ("__init__",))
        env = self.bind_arguments(init, model.constructor, None, skip_first=True) if init is not None else None
        value = self._int(argument(call, api.extra["width"]), env)
        return (value, call) if value is not None else None

    def _returned_head(self, classdef: cst.ClassDef) -> tuple[cst.Call, Api] | None:
        forward = _method(classdef, ("forward", "call"))
        returns = self.returns_of(forward, methods=True) if forward is not None else None
        if not returns:
            return None
        heads = []
        for statement in returns:
            target, _ = self.values.resolve(statement.value) if statement.value is not None else (None, ())
            constructor = self._constructor(target.func) if isinstance(target, cst.Call) else None
            api = self.api_of(constructor) if constructor is not None else None
            if api is None or api.role != TRAINABLE_LAYER or not api.extra.get("head"):
                return None
            heads.append((constructor, api))
        return heads[0] if all(h[0] is heads[0][0] for h in heads) else None

    def _calls_inside(self, node: cst.CSTNode) -> list[cst.Call]:
        """Calls within ``node``'s subtree: a contiguous run of the pre-ordered call list."""
        calls = self.index.of_type(cst.Call)
        if self._call_positions is None:
            self._call_positions = [self.index.position_of(c) for c in calls]
        inside = []
        for i in range(bisect_right(self._call_positions, self.index.position_of(node)), len(calls)):
            if not self.index.contains(node, calls[i]):
                break
            inside.append(calls[i])
        return inside

    def loss_of(self, model: Model) -> Loss | None:
        """The class-index loss a model is trained with, when every ``compile`` of it
        says so (estimator classifiers take class indices by construction)."""
        if model.family == "estimator":
            if model.api.extra.get("classifier"):
                return Loss(self.code_for(model.constructor.func), False, None, "tensorflow")
            return None
        compiles = [c for c in self.calls(MODEL_COMPILE) if self._constructor(c.func.value) is model.constructor]
        if not compiles:
            return None
        losses = [self.loss_spec(argument(c, catalog.method("compile").extra["loss"])) for c in compiles]
        if losses[0] is None or any(loss != losses[0] for loss in losses):
            return None
        return losses[0]

    def loss_spec(self, expr: cst.BaseExpression | None, depth: int = 0) -> Loss | None:
        """A ``compile(loss=...)`` value, when it is a class-index loss."""
        if expr is None or depth > 4:
            return None
        if isinstance(expr, cst.SimpleString):
            name = expr.evaluated_value
            return Loss(name, False, None, "keras") if name in catalog.CLASS_INDEX_LOSS_NAMES else None
        if isinstance(expr, cst.Call):
            api = self.api_of(expr)
            if api is not None and api.role == CLASS_INDEX_LOSS and api.kind != FUNCTION:
                return self._loss(api, expr, self.code_for(expr.func))
            return None
        qualified = self.values.qualify(expr)
        api = catalog.lookup(qualified) if qualified else None
        if api is not None and api.role == CLASS_INDEX_LOSS:
            return Loss(self.code_for(expr), api.extra["probabilities"], api.extra.get("ignore_default"),
                        api.framework)
        target, via = self.values.resolve(expr)
        return self.loss_spec(target, depth + 1) if via else None

    def _loss(self, api: Api, configured: cst.Call, name: str) -> Loss:
        ignore = api.extra.get("ignore_default")
        param = api.extra.get("ignore")
        if param is not None:
            given = argument(configured, param)
            if given is not None:
                ignore = self._int(given)
        return Loss(name, api.extra["probabilities"], ignore, api.framework)

    # -- sinks -------------------------------------------------------------------------------
    def sinks(self) -> list[Sink]:
        if self._sinks is None:
            self._sinks = self._find_sinks()
        return self._sinks

    def _find_sinks(self) -> list[Sink]:
        found: list[Sink] = []
        for call in self.calls(MODEL_FIT):
            model = self.model_of(call.func.value)
            if model is None:
                continue
            extra = self.api_of(call).extra
            inputs = [argument(call, extra["x"])]
            labels = [argument(call, extra["y"])] if "y" in extra else []
            validation = argument(call, extra["validation"]) if "validation" in extra else None
            if validation is not None:
                pair, _ = self.values.resolve(validation)
                if isinstance(pair, (cst.Tuple, cst.List)) and len(pair.elements) >= 2:
                    inputs.append(pair.elements[0].value)
                    labels.append(pair.elements[1].value)
            found.append(Sink(call, extra["kind"], model, _present(inputs), _present(labels), self.loss_of(model)))
        found += self._loss_sinks()
        if self.has_image_sources() or self.has_table_sources():
            found += self._model_applications()
        return found

    def _loss_sinks(self) -> list[Sink]:
        found = []
        for call in self.calls(CLASS_INDEX_LOSS):
            api = self.api_of(call)
            if api.kind == FUNCTION:
                loss = self._loss(api, call, self.code_for(call.func))
                found.append(Sink(call, "loss", None, (), _present([argument(call, api.extra["labels"])]), loss,
                                  argument(call, api.extra["logits"])))
                continue
            for application in self._applications(call):
                loss = self._loss(api, call, self.code_for(call.func))
                found.append(Sink(application, "loss", None, (),
                                  _present([argument(application, api.extra["labels"])]), loss,
                                  argument(application, api.extra["logits"])))
        return found

    def _applications(self, constructor: cst.Call) -> list[cst.Call]:
        """Calls of the object a constructor makes: ``Loss()(a, b)``, ``loss_fn(a, b)``,
        ``self.criterion(a, b)``."""
        parent = self.index.parent(constructor)
        if isinstance(parent, cst.Call) and parent.func is constructor:
            return [parent]
        if not isinstance(parent, cst.Assign) or parent.value is not constructor:
            return []
        if self._callers is None:
            self._callers = {}
            for call in self.index.of_type(cst.Call):
                func = call.func
                if isinstance(func, cst.Name):
                    self._callers.setdefault(func.value, []).append(call)
                elif isinstance(func, cst.Attribute):
                    self._callers.setdefault("." + func.attr.value, []).append(call)
        found = []
        for target in parent.targets:
            if isinstance(target.target, cst.Name):
                key = target.target.value
            elif isinstance(target.target, cst.Attribute):
                key = "." + target.target.attr.value
            else:
                continue
            found += [call for call in self._callers.get(key, ()) if self._constructor(call.func) is constructor]
        return found

    def _model_applications(self) -> list[Sink]:
        found = []
        for call in self.index.of_type(cst.Call):
            func = call.func
            if not call.args or call.args[0].keyword is not None or call.args[0].star:
                continue
            if isinstance(func, cst.Name):
                if func.value in self.values.imports.names:
                    continue
            elif not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)
                      and func.value.value == "self"):
                continue
            target, via = self.values.resolve(func)
            if not via or not isinstance(target, cst.Call):
                continue
            model = self.model_of(func)
            if model is None or model.family in ("other", "estimator", "wrapper"):
                continue
            found.append(Sink(call, "apply", model, (call.args[0].value,), ()))
        return found

    def logits_model(self, expr: cst.BaseExpression | None) -> Model | None:
        """The model whose output a loss's input is (through reshapes and log-softmax)."""
        for _ in range(8):
            if expr is None:
                return None
            target, _ = self.values.resolve(expr)
            if not isinstance(target, cst.Call):
                return None
            api = self.api_of(target)
            if api is not None and api.role == SAME_VALUES:
                expr = target.func.value if api.kind == METHOD else argument(target, api.input)
                continue
            op = self.values.op(target)
            if op is not None and op.role in (SOFTMAX, LOG_SOFTMAX):
                expr = op.input
                continue
            if isinstance(target.func, (cst.Name, cst.Attribute)) and self._constructor(target.func) is not None:
                return self.model_of(target.func)
            return None
        return None

    def trains(self, sink: Sink) -> bool:
        """A model application inside a loop of a function (or module) that takes a
        training step (``loss.backward()``, ``tape.gradient``)."""
        if self._training_scopes is None:
            scopes = set()
            for call in self.index.of_type(cst.Call):
                func = call.func
                if isinstance(func, cst.Attribute) and func.attr.value in _TRAIN_STEP_LEAVES:
                    api = self.api_of(call)
                    if api is not None and api.role == TRAIN_STEP:
                        scopes.add(id(self.index.scope_of(call).node))
            self._training_scopes = scopes
        scope = self.index.scope_of(sink.call)
        return id(scope.node) in self._training_scopes and bool(self.index.enclosing_loops(sink.call, scope.node))

    def checked(self, source: cst.Call) -> bool:
        """Whether the module checks data from a table read for NaN (``np.isnan(x)``,
        ``df.isna()``) anywhere."""
        if self._checked is None:
            checked = set()
            for call in self.calls(NAN_CHECK):
                api = self.api_of(call)
                data = call.func.value if api.kind == METHOD else argument(call, api.input)
                fact = self.fact(data)
                if fact.nan_source is not None:
                    checked.add(id(fact.nan_source))
            self._checked = checked
        return id(source) in self._checked


TORCH_CONTAINER = "torch"


def _whole(index: cst.BaseSlice) -> bool:
    """An index that keeps every element: ``:``, ``...`` or ``None`` (a new axis)."""
    if isinstance(index, cst.Slice):
        return index.lower is None and index.upper is None and index.step is None
    value = index.value
    return isinstance(value, cst.Ellipsis) or (isinstance(value, cst.Name) and value.value == "None")


def _present(exprs) -> tuple:
    return tuple(e for e in exprs if e is not None)


def _keyword_true(call: cst.Call, keyword: str) -> bool:
    return any(a.keyword is not None and a.keyword.value == keyword and _is_true(a.value) for a in call.args)


def _is_true(expr: cst.BaseExpression | None) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "True"


def _raw_tensor(fact: Fact) -> Fact:
    if fact.pil is not None:
        return Fact(raw_image=fact.pil, dtype="int", container=TORCH_CONTAINER)
    if fact.raw_image is not None:
        return replace(fact, container=TORCH_CONTAINER)
    return UNKNOWN


def _nested(paths: dict[tuple[int, ...], Fact]) -> Fact:
    """A tuple fact with ``paths`` filled in (``{(0, 0): images, (0, 1): labels, ...}``)."""
    if () in paths:
        return paths[()]
    width = max(path[0] for path in paths) + 1
    return Fact(elements=tuple(
        _nested({path[1:]: fact for path, fact in paths.items() if path[0] == i}) if any(
            path[0] == i for path in paths) else UNKNOWN
        for i in range(width)))


def _element(fact: Fact, path: tuple[int, ...]) -> Fact:
    for position in path:
        if fact.elements is None or position >= len(fact.elements):
            return UNKNOWN
        fact = fact.elements[position]
    return fact


def _target_path(assign: cst.Assign, name: str) -> tuple[int, ...] | None:
    """Where ``name`` sits in a tuple target: ``(a, b), (c, d) = ...`` puts ``c`` at (1, 0)."""
    for target in assign.targets:
        path = _find_in_target(target.target, name)
        if path is not None:
            return path
    return None


def _find_in_target(node: cst.BaseExpression, name: str) -> tuple[int, ...] | None:
    if isinstance(node, cst.Name):
        return () if node.value == name else None
    if isinstance(node, (cst.Tuple, cst.List)):
        starred = False
        for position, element in enumerate(node.elements):
            if isinstance(element, cst.StarredElement):
                starred = True
                continue
            inner = _find_in_target(element.value, name)
            if inner is not None:
                return None if starred else (position, *inner)
    return None


def _method(classdef: cst.ClassDef, names: tuple[str, ...]) -> cst.FunctionDef | None:
    return next((s for s in classdef.body.body if isinstance(s, cst.FunctionDef) and s.name.value in names), None)


def _first_use(body: cst.CSTNode, name: str) -> cst.Name | None:
    """The first read of ``name`` in source order (assignment targets are not reads)."""
    stack = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name) and node.value == name:
            return node
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        children = [node.value] if isinstance(node, (cst.Assign, cst.Attribute)) else list(node.children)
        stack.extend(reversed(children))
    return None
