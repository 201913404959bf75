"""Values behind names: the number an expression holds, when inference proves it.

NAN301 needs the learning rate an optimizer is built with, which is rarely a
literal at the call: ``lr=args.lr``, ``lr=BASE_LR * 10``, ``lr=cfg["lr"]``,
``from config import LR``. ``Inference.number(expr)`` answers with one value and
where it came from, or None: unknown never reports. It says nothing when several
values are possible, when a name is rebound in a branch or a loop, when a value is
a function parameter (its callers decide), or when anything on the way is not a
constant.

Two layers:
- in the file, the index follows bindings the way ``Values.resolve`` does (only
  bindings that dominate the use), evaluates literals and arithmetic
  (``1e-1``, ``10 ** -1``, ``BASE * 10``), and reads what astroid cannot:
  ``argparse`` defaults (``parser.add_argument("--lr", type=float, default=0.5)``,
  then ``args.lr``; also ``dest=``, ``--learning-rate`` -> ``args.learning_rate``,
  a namespace passed to a function, absl/``tf.app.flags`` ``DEFINE_float``),
  literal config dicts (``cfg["lr"]``, unless the dict is changed somewhere), and
  dataclass and namedtuple field defaults;
- astroid infers the rest: names imported from the project's other modules
  (``from config import LR``, ``from .settings import BASE_LR``), module and
  class attributes (``config.LR``, ``Config.LR``, ``self.lr``), values returned by
  small helper functions.

astroid is built lazily, the first time a rule needs a value the index cannot
give, and at most once per file (each sibling module is parsed at most once per
file too). It never imports or executes anything: modules are built from source
with astroid's transforms off, and every import the inferred code makes goes
through ``_Project``, which parses ``.py`` files beside the linted file or in its
package and refuses everything else (installed packages, the standard library, C
extensions, ``torch``). Work is bounded: a time budget per query and per file, a
cap on the number and size of modules, astroid's cap on inferred nodes, and
recursion errors end the query.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst

from nanlint import catalog
from nanlint.analysis import existing, per_file
from nanlint.analysis.guards import literal_number
from nanlint.analysis.imports import dotted
from nanlint.analysis.index import Binding
from nanlint.analysis.precision import call_rows, format_number
from nanlint.analysis.values import argument
from nanlint.catalog import Param
from nanlint.catalog.optimizers import DATACLASS_DECORATORS, NAMEDTUPLE_BASES, NAMEDTUPLE_FACTORIES
from nanlint.catalog.roles import CLI_ARGUMENT, CLI_DEFAULTS, CLI_FLAGS, CLI_PARSE

QUERY_SECONDS = 0.5  # one astroid query
FILE_SECONDS = 2.0  # all astroid work for one linted file
MAX_MODULES = 8  # sibling modules parsed for one linted file
MAX_MODULE_BYTES = 512_000  # larger files are not parsed by astroid (the linted one included)
MAX_DEPTH = 8  # bindings followed in the file
MAX_VALUES = 8  # astroid results read before giving up

# Methods that change a dict in place: a config dict changed anywhere is not a constant.
_DICT_MUTATORS = frozenset({"update", "setdefault", "pop", "popitem", "clear", "__setitem__"})
_NOT_THIS_FORM = object()  # a reader that does not apply (as opposed to None: applies, unknown)


@dataclass(frozen=True)
class Inferred:
    """A proved value. ``origin`` says where it came from (``args.lr, default 0.5 at
    line 12``); None when the value is a literal written at the use. It is computed only
    when a message needs it (positions cost a pass over the file)."""

    value: float
    describe: Callable[[], str | None]

    @property
    def origin(self) -> str | None:
        return self.describe()


def _no_origin() -> None:
    return None


def inference_for(ctx) -> Inference:
    """The file's ``Inference``, shared by every rule that asks."""
    return per_file(ctx, "inference", Inference)


def reads_other_files(ctx) -> bool:
    """Whether inference for the file may have read the project's other modules (astroid
    was set up for a file on disk): its findings then depend on more than its own text."""
    found = existing(ctx, "inference")
    session = None if found is None else found._astroid
    return session is not None and session.project.path is not None


class Inference:
    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.values = ctx.values
        self.index = ctx.index
        self._astroid: _Session | None = None
        self._astroid_failed = False
        self._cli: dict[str, list[tuple[cst.Call, object]]] | None = None
        self._project: _Project | None = None

    # -- the question ---------------------------------------------------------------
    def number(self, expr: cst.BaseExpression, depth: int = 0) -> Inferred | None:
        """The one number ``expr`` holds, or None."""
        if depth > MAX_DEPTH:
            return None
        try:
            value = literal_number(expr)
            if value is not None:
                return Inferred(value, _no_origin)
            if isinstance(expr, cst.Name):
                return self._name(expr, depth)
            if isinstance(expr, cst.Attribute):
                return self._attribute(expr, depth)
            if isinstance(expr, cst.Subscript):
                return self._subscript(expr, depth)
            if isinstance(expr, cst.BinaryOperation):
                return self._arithmetic(expr, depth)
            if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, (cst.Minus, cst.Plus)):
                inner = self.number(expr.expression, depth + 1)
                if inner is None:
                    return None
                sign = -1.0 if isinstance(expr.operator, cst.Minus) else 1.0
                return Inferred(sign * inner.value, inner.describe)
            if isinstance(expr, cst.Call):
                converted = self._conversion(expr)
                if converted is not None:  # float(args.lr)
                    return self.number(converted, depth + 1)
                return self._by_astroid(expr)  # a helper's return value: helpers.lr()
        except RecursionError:
            return None
        return None

    # -- in the file ------------------------------------------------------------------
    def _name(self, name: cst.Name, depth: int) -> Inferred | None:
        binding = self.values.binding(name)
        if binding is None:
            if self._bound_in_file(name):
                return None  # bound in a branch or a loop: several values
            return self._by_astroid(name)  # a star import, a global set elsewhere
        if isinstance(binding.node, cst.Param):
            return None  # its callers decide
        if binding.value is None:
            if isinstance(binding.node, (cst.Import, cst.ImportFrom)):
                return self._by_astroid(name)
            return None  # a loop target, ``+=``, ``with ... as``
        inner = self.number(binding.value, depth + 1)  # calls and attributes go to astroid there
        if inner is None:
            return None
        return Inferred(inner.value, lambda: inner.origin or self._set_at(name.value, inner.value, binding))

    def _conversion(self, call: cst.Call) -> cst.BaseExpression | None:
        """The argument of ``float(x)`` (the builtin, not rebound): the same number."""
        func = call.func
        if not isinstance(func, cst.Name) or func.value != "float" or len(call.args) != 1:
            return None
        arg = call.args[0]
        if arg.keyword is not None or arg.star or self._bound_in_file(func):
            return None
        return arg.value

    def _bound_in_file(self, name: cst.Name) -> bool:
        scope = self.index.scope_of(name)
        while scope is not None:
            if name.value in scope.bindings or name.value in scope.params:
                return True
            scope = scope.parent
        return False

    def _set_at(self, text: str, value: float, binding: Binding) -> str:
        return f"{text} = {format_number(value)} at line {self._line(binding.node)}"

    def _line(self, node: cst.CSTNode) -> int:
        return self.ctx.position(node).start.line

    def _arithmetic(self, expr: cst.BinaryOperation, depth: int) -> Inferred | None:
        left = self.number(expr.left, depth + 1)
        if left is None:
            return None
        right = self.number(expr.right, depth + 1)
        if right is None:
            return None
        value = _apply(expr.operator, left.value, right.value)
        if value is None:
            return None

        def describe() -> str:
            inner = left.origin or right.origin
            shown = f"{self.ctx.code_for(expr)} = {format_number(value)}"
            return f"{shown}; {inner}" if inner else shown
        return Inferred(value, describe)

    def _attribute(self, attr: cst.Attribute, depth: int) -> Inferred | None:
        for reader in (self._cli_default, self._field_default):
            found = reader(attr, depth)
            if found is not _NOT_THIS_FORM:
                return found
        binding = self.values.attribute_binding(attr)
        if binding is not None:  # self.lr bound once in the class
            if binding.value is None:
                return None
            inner = self.number(binding.value, depth + 1)
            if inner is None:
                return None
            code = self.ctx.code_for(attr)
            return Inferred(inner.value, lambda: inner.origin or self._set_at(code, inner.value, binding))
        if self._is_self(attr.value):
            return None  # bound several times, or in another way: unknown
        return self._by_astroid(attr)

    def _is_self(self, expr: cst.BaseExpression) -> bool:
        if not isinstance(expr, cst.Name):
            return False
        scope = self.index.scope_of(expr)
        while scope is not None and scope.kind == "function" and scope.owner is None:
            scope = scope.parent
        return scope is not None and scope.self_name == expr.value

    def _subscript(self, expr: cst.Subscript, depth: int) -> Inferred | None:
        key = _string_key(expr)
        if key is None:
            return None
        container = self._dict_literal(expr.value, depth)
        if container is _NOT_THIS_FORM:
            root = _root_name(expr.value)
            if root is not None and self.values.binding(root) is None and not self._bound_in_file(root):
                return self._by_astroid(expr)  # a dict imported from another module
            return None
        if container is None:
            return None
        value = _dict_value(container, key)
        if value is None:
            return None
        inner = self.number(value, depth + 1)
        if inner is None:
            return None
        code = self.ctx.code_for(expr)
        return Inferred(inner.value,
                        lambda: inner.origin or f"{code} = {format_number(inner.value)} at line {self._line(value)}")

    def _dict_literal(self, expr: cst.BaseExpression, depth: int):
        """The dict literal ``expr`` holds (following names and nested keys); None when it
        is one but changed somewhere or ambiguous; ``_NOT_THIS_FORM`` when it is not one."""
        if depth > MAX_DEPTH:
            return None
        if isinstance(expr, cst.Subscript):
            key = _string_key(expr)
            outer = self._dict_literal(expr.value, depth + 1)
            if key is None or outer is None or outer is _NOT_THIS_FORM:
                return outer if outer is _NOT_THIS_FORM else None
            inner = _dict_value(outer, key)
            if inner is None:
                return None
            return self._dict_literal(inner, depth + 1)
        target, via = self.values.resolve(expr)
        if not isinstance(target, cst.Dict):
            return _NOT_THIS_FORM
        names = [expr.value] if isinstance(expr, cst.Name) else []
        names += [b.name for b in via]
        if any(self._dict_changed(name) for name in names):
            return None
        return target

    def _dict_changed(self, name: str) -> bool:
        for node in self.index.of_type(cst.Assign):
            if any(isinstance(t.target, cst.Subscript) and _root_name_text(t.target) == name for t in node.targets):
                return True
        for node in self.index.of_type(cst.AugAssign):
            if _root_name_text(node.target) == name:
                return True
        for call in self.index.of_type(cst.Call):
            func = call.func
            if isinstance(func, cst.Attribute) and func.attr.value in _DICT_MUTATORS \
                    and _root_name_text(func.value) == name:
                return True
        return False

    # -- command-line defaults: args.lr, FLAGS.learning_rate --------------------------
    def _cli_default(self, attr: cst.Attribute, depth: int):
        dest = attr.attr.value
        specs = self._cli_arguments().get(dest)
        if not specs or not self._is_namespace(attr.value, 0):
            return _NOT_THIS_FORM
        if len(specs) != 1 or self._attribute_assigned(dest):
            return None  # several definitions or defaults, or set by the program
        call, row = specs[0]
        default = argument(call, row.extra["default"])
        if default is None:
            return None
        inner = self.number(default, depth + 1)
        value = inner.value if inner is not None else _parsed_string(call, row, default)
        if value is None:
            return None
        code = self.ctx.code_for(attr)
        return Inferred(value, lambda: f"{code}, default {format_number(value)} at line {self._line(call)}")

    def _cli_arguments(self) -> dict[str, list[tuple[cst.Call, object]]]:
        if self._cli is not None:
            return self._cli
        found: dict[str, list[tuple[cst.Call, object]]] = {}
        for call in self.index.of_type(cst.Call):
            func = call.func
            if not isinstance(func, (cst.Attribute, cst.Name)):
                continue
            for row in call_rows(self.values, call, any_file=True):
                if row.role == CLI_ARGUMENT:
                    dest = _destination(call, row)
                    if dest is not None:
                        found.setdefault(dest, []).append((call, row))
                elif row.role == CLI_DEFAULTS:
                    for arg in call.args:
                        if arg.keyword is not None:
                            found.setdefault(arg.keyword.value, []).append((call, row))
        self._cli = found
        return found

    def _is_namespace(self, expr: cst.BaseExpression, depth: int) -> bool:
        """Whether ``expr`` holds what ``parse_args()`` returns (or absl's FLAGS)."""
        if depth > 3:
            return False
        if isinstance(expr, (cst.Name, cst.Attribute)):
            qualified = self.values.qualify(expr)
            row = catalog.lookup(qualified) if qualified else None
            if row is not None:
                return row.role == CLI_FLAGS
        if isinstance(expr, cst.Attribute):
            binding = self.values.attribute_binding(expr)  # self.args = parser.parse_args()
            return binding is not None and binding.value is not None \
                and self._produces_namespace(binding.value, depth + 1)
        if isinstance(expr, (cst.Call, cst.Subscript)):
            return self._produces_namespace(expr, depth + 1)
        if not isinstance(expr, cst.Name):
            return False
        binding = self.values.binding(expr)
        if binding is None:
            return False
        if isinstance(binding.node, cst.Param):
            return self._parameter_gets_namespace(binding.node, depth + 1)
        value = binding.value
        if value is None and isinstance(binding.node, cst.Assign):
            value = binding.node.value  # args, unknown = parser.parse_known_args()
        return value is not None and self._produces_namespace(value, depth + 1)

    def _produces_namespace(self, value: cst.BaseExpression, depth: int) -> bool:
        if isinstance(value, cst.Subscript):
            value = value.value  # parser.parse_known_args()[0]
        if isinstance(value, cst.Call):
            if any(row.role == CLI_PARSE for row in call_rows(self.values, value, any_file=True)):
                return True
            function = self._local_function(value.func)
            return function is not None and any(
                self.index.contains(function, call) for call in self._parse_calls())
        return self._is_namespace(value, depth)

    def _parse_calls(self) -> list[cst.Call]:
        return [call for call in self.index.of_type(cst.Call)
                if isinstance(call.func, cst.Attribute)
                and any(row.role == CLI_PARSE for row in call_rows(self.values, call, any_file=True))]

    def _local_function(self, func: cst.BaseExpression) -> cst.FunctionDef | None:
        if not isinstance(func, cst.Name):
            return None
        binding = self.values.binding(func)
        return binding.node if binding is not None and isinstance(binding.node, cst.FunctionDef) else None

    def _parameter_gets_namespace(self, param: cst.Param, depth: int) -> bool:
        """A plain function's parameter that every call in the module passes a namespace."""
        function = next((a for a in self.index.ancestors(param) if isinstance(a, cst.FunctionDef)), None)
        if function is None or self.index.scope_of(function).kind == "class":
            return False
        params = function.params
        positional = [*params.posonly_params, *params.params]
        position = next((i for i, p in enumerate(positional) if p is param), None)
        slot = Param(param.name.value, position)
        calls = [call for call in self.index.of_type(cst.Call)
                 if isinstance(call.func, cst.Name) and call.func.value == function.name.value
                 and self._local_function(call.func) is function]
        if not calls:
            return False
        for call in calls:
            passed = argument(call, slot)
            if passed is None or not self._is_namespace(passed, depth):
                return False
        return True

    def _attribute_assigned(self, attr: str) -> bool:
        for node in self.index.of_type(cst.Assign):
            for target in node.targets:
                if isinstance(target.target, cst.Attribute) and target.target.attr.value == attr:
                    return True
        for node in self.index.of_type(cst.AugAssign):
            if isinstance(node.target, cst.Attribute) and node.target.attr.value == attr:
                return True
        return False

    # -- dataclass and namedtuple defaults: cfg = Config(); cfg.lr --------------------
    def _field_default(self, attr: cst.Attribute, depth: int):
        if not isinstance(attr.value, cst.Name):
            return _NOT_THIS_FORM
        made, _ = self.values.resolve(attr.value)
        if not isinstance(made, cst.Call) or not isinstance(made.func, cst.Name):
            return _NOT_THIS_FORM
        fields = self._fields(made.func)
        if fields is None:
            return _NOT_THIS_FORM
        class_name, names, defaults = fields
        field_name = attr.attr.value
        if field_name not in names:
            return _NOT_THIS_FORM
        if self._attribute_assigned(field_name) or any(arg.star for arg in made.args):
            return None
        passed = argument(made, Param(field_name, names.index(field_name)))
        chosen = passed if passed is not None else defaults.get(field_name)
        if chosen is None:
            return None
        inner = self.number(chosen, depth + 1)
        if inner is None:
            return None
        code = self.ctx.code_for(attr)

        def describe() -> str:
            how = "passed" if passed is not None else f"{class_name} default"
            return inner.origin or f"{code}, {how} {format_number(inner.value)} at line {self._line(chosen)}"
        return Inferred(inner.value, describe)

    def _fields(self, func: cst.Name):
        """(class name, field names in order, {field: default expression}) of a dataclass,
        a NamedTuple class or a ``namedtuple(...)`` defined in this file."""
        binding = self.values.binding(func)
        if binding is None:
            return None
        if isinstance(binding.node, cst.ClassDef):
            return self._class_fields(binding.node)
        factory = binding.value
        if isinstance(factory, cst.Call) and self.values.qualify(factory.func) in NAMEDTUPLE_FACTORIES:
            return _namedtuple_fields(func.value, factory)
        return None

    def _class_fields(self, node: cst.ClassDef):
        qualify = self.values.qualify
        decorated = any(qualify(d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator)
                        in DATACLASS_DECORATORS for d in node.decorators)
        if not decorated and not any(qualify(base.value) in NAMEDTUPLE_BASES for base in node.bases):
            return None
        names: list[str] = []
        defaults: dict[str, cst.BaseExpression] = {}
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
        for statement in body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                    annotation = dotted(small.annotation.annotation) or ""
                    if annotation.rpartition(".")[2] == "ClassVar":
                        continue
                    names.append(small.target.value)
                    if small.value is not None and not isinstance(small.value, cst.Call):
                        defaults[small.target.value] = small.value
        return node.name.value, names, defaults

    # -- astroid ------------------------------------------------------------------------
    def _session(self) -> _Session | None:
        if self._astroid is None and not self._astroid_failed:
            try:
                source = self.ctx.module.code
                if len(source) > MAX_MODULE_BYTES:
                    raise ValueError("file too large for inference")
                self._astroid = _Session(source, self.ctx.path)
            except Exception:
                self._astroid_failed = True
        return self._astroid

    def _hopeless(self, expr: cst.BaseExpression) -> bool:
        """Whether astroid cannot prove a number here, seen without building it: the value
        comes from a function parameter (``config.hidden_size``), from a module that is not
        the project's (``torch.randn(...)``, ``np.float32(0.5)``), or from a builtin."""
        root = expr
        while isinstance(root, (cst.Attribute, cst.Subscript, cst.Call)):
            root = root.func if isinstance(root, cst.Call) else root.value
        if not isinstance(root, cst.Name):
            return True
        if self._is_self(root):
            first = _first_attribute(expr, root)
            binding = self.values.attribute_binding(first) if first is not None else None
            return binding is None or binding.value is None or self._is_parameter(binding.value)
        binding = self.values.binding(root)
        if binding is None:
            return not self._bound_in_file(root) and root.value in _BUILTINS
        if isinstance(binding.node, cst.Param):
            return True
        if isinstance(binding.node, (cst.Import, cst.ImportFrom)):
            qualified = self.values.imports.qualify_dotted(root.value)
            top = qualified.split(".")[0] if qualified else None
            return top is not None and not self._project_has(top)
        return False

    def _is_parameter(self, expr: cst.BaseExpression) -> bool:
        if not isinstance(expr, cst.Name):
            return False
        binding = self.values.binding(expr)
        return binding is not None and isinstance(binding.node, cst.Param)

    def _project_has(self, top: str) -> bool:
        """Whether a top-level module name is one of the project's own files (a relative
        import always is)."""
        if self._project is None:
            self._project = _Project(self.ctx.path)
        return self._project.find(top, relative=False) is not None

    def _by_astroid(self, expr: cst.BaseExpression) -> Inferred | None:
        if self._hopeless(expr):
            return None
        session = self._session()
        if session is None:
            return None
        try:
            span = self.ctx.position(expr)
        except Exception:
            return None
        node = session.node_at(span, type(expr))
        if node is None:
            return None
        found = session.infer_number(node)
        if found is None:
            return None
        value, const = found
        code = self.ctx.code_for(expr)
        return Inferred(value, lambda: session.describe(code, value, const, node))


_BUILTINS = frozenset(dir(builtins))


def _first_attribute(expr: cst.BaseExpression, root: cst.Name) -> cst.Attribute | None:
    """``self.cfg`` in ``self.cfg.lr`` or ``self.cfg["lr"]``."""
    node = expr
    found = None
    while node is not root:
        if isinstance(node, cst.Attribute) and node.value is root:
            found = node
        node = node.func if isinstance(node, cst.Call) else node.value
    return found


def _apply(operator: cst.BaseBinaryOp, left: float, right: float) -> float | None:
    try:
        if isinstance(operator, cst.Add):
            return left + right
        if isinstance(operator, cst.Subtract):
            return left - right
        if isinstance(operator, cst.Multiply):
            return left * right
        if isinstance(operator, cst.Divide):
            return left / right
        if isinstance(operator, cst.FloorDivide):
            return float(left // right)
        if isinstance(operator, cst.Power):
            result = left ** right
            return float(result) if not isinstance(result, complex) else None
    except (ArithmeticError, ValueError, TypeError):
        return None
    return None


def _string_key(expr: cst.Subscript) -> str | None:
    if len(expr.slice) != 1:
        return None
    index = expr.slice[0].slice
    if isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString):
        value = index.value.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _dict_value(container: cst.Dict, key: str) -> cst.BaseExpression | None:
    found = None
    for element in container.elements:
        if isinstance(element, cst.StarredDictElement):
            return None  # {**base, ...}: unknown keys
        if isinstance(element.key, cst.SimpleString) and element.key.evaluated_value == key:
            found = element.value
    return found


def _root_name(expr: cst.BaseExpression) -> cst.Name | None:
    while isinstance(expr, (cst.Subscript, cst.Attribute)):
        expr = expr.value
    return expr if isinstance(expr, cst.Name) else None


def _root_name_text(expr: cst.BaseExpression) -> str | None:
    root = _root_name(expr)
    return root.value if root is not None else None


def _destination(call: cst.Call, row) -> str | None:
    """The attribute a command-line argument is stored as."""
    extra = row.extra
    if "flag" in extra:  # absl: DEFINE_float("learning_rate", 0.01, ...)
        name = argument(call, extra["flag"])
        return name.evaluated_value if isinstance(name, cst.SimpleString) else None
    dest = argument(call, extra["dest"])
    if dest is not None:
        return dest.evaluated_value if isinstance(dest, cst.SimpleString) else None
    options = [arg.value.evaluated_value for arg in call.args
               if arg.keyword is None and isinstance(arg.value, cst.SimpleString)
               and isinstance(arg.value.evaluated_value, str)]
    if not options:
        return None
    long = next((o for o in options if o.startswith("--")), None)
    chosen = long or options[0]
    name = chosen.lstrip("-").replace("-", "_")
    return name if name.isidentifier() else None


def _parsed_string(call: cst.Call, row, default: cst.BaseExpression) -> float | None:
    """argparse applies ``type`` to a string default: ``type=float, default="0.5"``."""
    if not isinstance(default, cst.SimpleString) or "type" not in row.extra:
        return None
    kind = argument(call, row.extra["type"])
    if not (isinstance(kind, cst.Name) and kind.value in ("float", "int")):
        return None
    try:
        return float(default.evaluated_value) if kind.value == "float" else float(int(default.evaluated_value))
    except (TypeError, ValueError):
        return None


def _namedtuple_fields(name: str, factory: cst.Call):
    fields = argument(factory, Param("field_names", 1))
    if isinstance(fields, cst.SimpleString):
        names = fields.evaluated_value.replace(",", " ").split()
    elif isinstance(fields, (cst.List, cst.Tuple)) and all(
            isinstance(e.value, cst.SimpleString) for e in fields.elements):
        names = [e.value.evaluated_value for e in fields.elements]
    else:
        return None
    defaults: dict[str, cst.BaseExpression] = {}
    given = argument(factory, Param("defaults", None))
    if isinstance(given, (cst.List, cst.Tuple)):
        values = [e.value for e in given.elements]
        if len(values) > len(names):
            return None
        defaults = dict(zip(names[len(names) - len(values):], values, strict=True))
    elif given is not None:
        return None
    return name, names, defaults


# -- astroid, never importing anything ---------------------------------------------------
class _Project:
    """Where the linted file's own modules are: beside it, and from the root of the
    package it belongs to. Only ``.py`` files there are ever read."""

    def __init__(self, path: str | None) -> None:
        self.path = self.directory = self.root = None
        self.module_name = "__nanlint__"
        if not path or not path.endswith(".py") or not os.path.isfile(path):
            return
        self.path = os.path.realpath(path)
        self.directory = os.path.dirname(self.path)
        stem = os.path.splitext(os.path.basename(self.path))[0]
        parts = [] if stem == "__init__" else [stem]
        root = self.directory
        for _ in range(16):
            if not os.path.isfile(os.path.join(root, "__init__.py")):
                break
            parts.insert(0, os.path.basename(root))
            root = os.path.dirname(root)
        self.root = root
        if parts and all(part.isidentifier() for part in parts):
            self.module_name = ".".join(parts)

    def find(self, name: str, relative: bool) -> str | None:
        if self.path is None or not name:
            return None
        parts = name.split(".")
        if not all(part.isidentifier() for part in parts):
            return None
        bases = [self.root] if relative else [self.directory, self.root]
        for base in dict.fromkeys(bases):
            stem = os.path.join(base, *parts)
            for candidate in (stem + ".py", os.path.join(stem, "__init__.py")):
                if os.path.isfile(candidate):
                    real = os.path.realpath(candidate)
                    return real if os.path.getsize(real) <= MAX_MODULE_BYTES else None
        return None


class _Session:
    """One linted file seen by astroid: parsed once; its project's modules on demand."""

    def __init__(self, source: str, path: str | None) -> None:
        from astroid.builder import AstroidBuilder
        from astroid.manager import AstroidManager

        self.manager = AstroidManager()
        AstroidBuilder(self.manager)  # astroid's one-time set-up: never interrupted
        self.deadline = time.monotonic() + FILE_SECONDS
        self.project = _Project(path)
        self.modules: dict[str, object] = {}
        self.lines = source.split("\n")
        self._starts: dict | None = None
        try:
            # Building infers ``self.x = ...`` targets and resolves star imports, which can
            # read other modules: bounded like a query.
            with _time_limit(FILE_SECONDS):
                self.module = self._build(source, self.project.module_name, self.project.path)
        except _OutOfTime:
            raise TimeoutError("nanlint: building the module for inference took too long") from None

    # building modules: transforms off, imports routed through the project
    def _build(self, source: str, name: str, path: str | None, instance_attributes: bool = True):
        from astroid.builder import AstroidBuilder

        session = self

        class Builder(AstroidBuilder):
            def _post_build(self, module, builder, encoding):
                # Before the base class resolves star imports: every import this module
                # makes goes through the session from the start.
                module.import_module = session._importer(module)
                return super()._post_build(module, builder, encoding)

            def delayed_assattr(self, node):
                # ``self.x = ...`` in methods: inferring each owner can read every module a
                # base class comes from. Only the linted file's own instances need it.
                if instance_attributes:
                    super().delayed_assattr(node)

        module = Builder(self.manager, apply_transforms=False).string_build(source, name, path)
        cache = self.manager.astroid_cache
        if cache.get(module.name) is module:
            del cache[module.name]  # project modules stay out of astroid's global cache
        return module

    def _importer(self, importer):
        def import_module(modname, relative_only=False, level=None, use_cache=True):
            return self._import(importer, modname, relative_only, level)
        return import_module

    def _import(self, importer, modname: str, relative_only: bool, level: int | None):
        from astroid.exceptions import AstroidImportError

        if time.monotonic() > self.deadline:
            raise AstroidImportError("nanlint: inference time budget spent")
        absolute = _absolute_name(importer, modname, relative_only, level)
        path = self.project.find(absolute, relative=bool(level) or relative_only) if absolute else None
        if path is None:
            raise AstroidImportError(f"nanlint: {modname!r} is not a module of this project")
        done = getattr(self, "module", None) if path == self.project.path else self.modules.get(path)
        if done is not None:
            return done
        if path == self.project.path or path in self.modules:
            raise AstroidImportError(f"nanlint: circular import of {path}")  # still being built
        if len(self.modules) >= MAX_MODULES:
            raise AstroidImportError("nanlint: too many modules for inference")
        self.modules[path] = None  # a cycle back to this module fails instead of recursing
        try:
            with open(path, encoding="utf-8") as handle:
                source = handle.read()
            built = self._build(source, absolute, path, instance_attributes=False)
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError) as exc:
            raise AstroidImportError(f"nanlint: cannot read {path}: {exc}") from None
        except RecursionError:
            raise AstroidImportError(f"nanlint: {path} is nested too deeply") from None
        self.modules[path] = built
        return built

    # finding the astroid node of a libcst expression, by position
    def node_at(self, span, cst_type: type):
        from astroid import nodes

        kinds = {
            cst.Name: nodes.Name, cst.Attribute: nodes.Attribute, cst.Subscript: nodes.Subscript,
            cst.BinaryOperation: nodes.BinOp, cst.UnaryOperation: nodes.UnaryOp, cst.Call: nodes.Call,
        }
        kind = kinds.get(cst_type)
        if kind is None:
            return None
        if self._starts is None:
            self._starts = {}
            for node in self.module.nodes_of_class(tuple(kinds.values())):
                self._starts.setdefault((node.lineno, node.col_offset), []).append(node)
        start = (span.start.line, self._byte_column(span.start.line, span.start.column))
        end = (span.end.line, self._byte_column(span.end.line, span.end.column))
        for node in self._starts.get(start, ()):
            if isinstance(node, kind) and (node.end_lineno, node.end_col_offset) == end:
                return node
        return None

    def _byte_column(self, line: int, column: int) -> int:
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return len(text[:column].encode("utf-8"))

    def infer_number(self, node) -> tuple[float, object] | None:
        """The single int or float astroid infers for ``node``, with the constant node."""
        from astroid import nodes
        from astroid.context import InferenceContext, _invalidate_cache

        deadline = min(self.deadline, time.monotonic() + QUERY_SECONDS)
        if time.monotonic() > deadline:
            return None
        results = []
        try:
            with _time_limit(deadline - time.monotonic()):
                context = InferenceContext(nodes_inferred=_Budget(deadline))
                for result in node.infer(context=context):
                    results.append(result)
                    if len(results) > MAX_VALUES:
                        return None
        except (Exception, RecursionError, _OutOfTime):
            return None
        finally:
            _invalidate_cache()  # astroid's inference cache is global: do not keep this file alive
        if not results or time.monotonic() > deadline:
            return None
        found = set()
        for result in results:
            if not isinstance(result, nodes.Const) or type(result.value) not in (int, float):
                return None
            found.add(float(result.value))
        if len(found) != 1:
            return None
        return found.pop(), results[0]

    def describe(self, code: str, value: float, const, node) -> str:
        """``LR = 0.5 at config.py:3``: where the literal is, or else (a computed value)
        where the name is assigned."""
        shown = f"{code} = {format_number(value)}"
        where = (const.root(), const.lineno) if const.lineno and const.parent is not None else None
        if where is None:
            where = self._definition(node)
        if where is None:
            return shown
        root, line = where
        if root is self.module:
            return f"{shown} at line {line}"
        return f"{shown} at {os.path.basename(getattr(root, 'file', '') or '?')}:{line}"

    def _definition(self, node):
        """The module and line where a name is assigned, through one ``from x import``."""
        from astroid import nodes

        if not isinstance(node, nodes.Name):
            return None
        try:
            _, assignments = node.lookup(node.name)
            if len(assignments) != 1:
                return None
            assignment = assignments[0]
            if isinstance(assignment, nodes.ImportFrom):
                module = assignment.do_import_module(assignment.modname)
                _, assignments = module.lookup(assignment.real_name(node.name))
                if len(assignments) != 1 or isinstance(assignments[0], nodes.ImportFrom):
                    return None
                assignment = assignments[0]
            return assignment.root(), assignment.lineno
        except Exception:  # a failed import or lookup: no place to show
            return None


class _OutOfTime(BaseException):
    """Raised by the alarm: a BaseException, so that no ``except Exception`` inside astroid
    swallows it."""


@contextlib.contextmanager
def _time_limit(seconds: float):
    """Interrupt the block after ``seconds``. astroid counts inferred nodes, but some of
    its work does not (class ancestors, metaclass lookups are quadratic in a deep class
    hierarchy), so the count alone cannot bound a query. Uses ``SIGALRM`` in the main
    thread when no other timer is running; elsewhere the node budget is the bound."""
    usable = (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
              and signal.getitimer(signal.ITIMER_REAL)[0] == 0)
    if not usable:
        yield
        return

    def expire(signum, frame):
        raise _OutOfTime

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class _Budget(list):
    """astroid's shared count of inferred nodes, which also ends a query out of time."""

    def __init__(self, deadline: float) -> None:
        super().__init__([0])
        self.deadline = deadline

    def __setitem__(self, index, value) -> None:
        if time.monotonic() > self.deadline:
            from astroid.exceptions import InferenceError

            raise InferenceError("nanlint: inference time budget spent")
        super().__setitem__(index, value)


def _absolute_name(importer, modname: str, relative_only: bool, level: int | None) -> str | None:
    """The absolute module name ``importer`` means by ``modname`` (``from ..x import y``
    has level 2)."""
    package = importer.name.split(".") if importer.name else []
    if not importer.package:
        package = package[:-1]
    if level:
        up = level - 1
        if up > len(package):
            return None
        base = package[:len(package) - up]
        return ".".join([*base, modname] if modname else base) or None
    if relative_only:  # a submodule read as a package attribute
        return ".".join([*package, modname]) if package else modname
    return modname
