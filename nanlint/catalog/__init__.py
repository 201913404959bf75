"""Framework knowledge as data.

Each row (an ``Api``) says what a framework callable computes (its *role*:
softmax, log, sigmoid, ...) and, per role it can be wrapped in, its stable
counterpart (``log`` of ``torch.softmax`` is ``torch.log_softmax``). Rules ask
questions about roles, never about spellings; adding a framework is adding rows
to a data module in this package (any module with a ``ROWS`` list is loaded).

Names are canonical: ``canonical()`` folds aliases (``tf.compat.v1``, ``tf.keras``,
``keras.src``, ``pytensor``) into one spelling before lookup.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field

FUNCTION = "function"  # a module-level callable: torch.softmax
METHOD = "method"  # a tensor method: x.softmax(1)
LAYER = "layer"  # a class whose instances apply the role when called: nn.Softmax(dim=1)


@dataclass(frozen=True)
class Param:
    """Where an argument sits: by keyword, or by position (0-based, after the receiver
    for methods). ``position=None`` means keyword-only."""

    keyword: str
    position: int | None = None
    aliases: tuple[str, ...] = ()  # other keywords for the same argument (``axis`` for ``dim``)


@dataclass(frozen=True)
class Api:
    name: str  # canonical qualified name; for methods just the method name
    role: str
    framework: str
    kind: str = FUNCTION
    # The main tensor argument (methods: the receiver, so None here).
    input: Param | None = Param("input", 0)
    axis: Param | None = None
    # The axis a call without an axis argument uses: a literal value, or IMPLICIT when
    # the framework guesses it (torch's deprecated implicit dim), or None if no axis.
    axis_default: object = None
    # Stable counterparts, by the role of the wrapping operation: {"log": "torch.log_softmax"}.
    # A name starting with "." is a method on the same receiver; a counterpart takes the
    # same arguments as the row's callable, except for layers (input plus the axis keyword).
    stable: dict[str, str] = field(default_factory=dict)
    # Methods only: the call must have at most this many positional arguments
    # (``x.log()`` is a tensor log, ``logger.log(level, msg)`` is not).
    max_args: int | None = None
    # Anything a data module wants to say about the row (a loss's reduction, ...).
    extra: dict = field(default_factory=dict)


IMPLICIT = "implicit"

# Root modules whose import makes a file a framework file (only then are tensor
# methods like ``x.log()`` understood, so ``logger.log()`` elsewhere stays quiet).
FRAMEWORK_ROOTS = frozenset({
    "torch", "tensorflow", "keras", "jax", "optax", "flax", "numpy", "scipy", "theano",
})

_PREFIX_ALIASES = (
    ("tensorflow.compat.v1.", "tensorflow."),
    ("tensorflow.compat.v2.", "tensorflow."),
    ("tensorflow.python.keras.", "keras."),
    ("tensorflow.keras.", "keras."),
    ("tf_keras.", "keras."),
    ("keras.src.", "keras."),
    ("keras.api.", "keras."),
    ("theano.tensor.nnet.nnet.", "theano.tensor.nnet."),
    ("pytensor.", "theano."),
    ("aesara.", "theano."),
)


def canonical(name: str) -> str:
    """Fold the aliases a framework name can be reached through into one spelling."""
    for _ in range(3):
        for prefix, replacement in _PREFIX_ALIASES:
            if name.startswith(prefix):
                name = replacement + name[len(prefix):]
                break
            if name == prefix[:-1]:
                name = replacement[:-1]
                break
        else:
            return name
    return name


def _load() -> tuple[dict[str, Api], dict[str, list[Api]]]:
    functions: dict[str, Api] = {}
    methods: dict[str, list[Api]] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for row in getattr(module, "ROWS", ()):
            if row.kind == METHOD:
                methods.setdefault(row.name, []).append(row)
            else:
                if row.name in functions:
                    raise ValueError(f"catalog row {row.name} defined twice")
                functions[row.name] = row
    return functions, methods


FUNCTIONS, METHODS = _load()


def lookup(qualified: str) -> Api | None:
    """The row for a canonical qualified name (a function or a layer class)."""
    return FUNCTIONS.get(qualified)


def method(name: str, positional_args: int) -> Api | None:
    """The tensor-method row for ``x.name(...)`` with that many positional arguments."""
    for row in METHODS.get(name, ()):
        if row.max_args is None or positional_args <= row.max_args:
            return row
    return None
