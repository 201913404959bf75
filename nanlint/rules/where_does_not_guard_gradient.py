"""## What it does
Flags `torch.where` / `jnp.where` / `tf.where` / `keras.ops.where` / `T.switch` whose
mask is meant to exclude the bad inputs of an unsafe operation in one of its
branches: a `log`, a division, a square root or a fractional power of exactly the
value the mask tests (`where(x > 0, log(x), 0)`, `where(b != 0, a / b, 0)`,
`where(q > 0, log(p / q), 0)`). One finding per `where`, at the `where` call. Only in
differentiable frameworks and where gradients are recorded: NumPy's `np.where` has no
gradient and is not reported, and neither is a `where` under `torch.no_grad()`, over
counts or comparisons (`where(area > 0, hits / area, 1.0)` with `area` a sum of a mask),
or in a PyTorch file that shows no training (see NAN202).

## Why is this bad?
`where` evaluates both branches for every element and then picks. Where the mask is
False the unsafe branch still computes `log(0) = -inf` or `a / 0 = inf`; the forward
value is fine because it is not picked, but the backward pass multiplies the picked-out
gradient 0 by the inf derivative: `0 * inf = nan`, and the nan reaches every weight. A
`where` guards values, not gradients.

## Example
```python
safe_log = torch.where(x > 0, torch.log(x), torch.zeros_like(x))
```

## Use instead
```python
# the "double where": sanitise the input first, so the unsafe op never sees a bad value
safe_log = torch.where(x > 0, torch.log(torch.where(x > 0, x, 1.0)), torch.zeros_like(x))
```

## Fix safety
Unsafe (as all NAN2xx fixes), although the forward values do not change: the fix wraps
each operand the mask tests in a second `where` that substitutes 1 (in every unsafe
op's domain) where the mask excludes it: `1.0` for PyTorch, JAX, Keras and Theano,
`tf.ones_like(x)` for TensorFlow, whose `where` wants tensors of one dtype. The
gradients become correct instead of nan.
"""

from __future__ import annotations

from itertools import pairwise

import libcst as cst

from nanlint.analysis.divisors import Quantities, arg, bare, bare_code, call, quantities, short
from nanlint.analysis.guards import is_positive_constant, literal_number
from nanlint.analysis.values import Op, argument
from nanlint.catalog.division_roots import DIFFERENTIABLE, WHERE_BRANCHES, WHERE_FILLER
from nanlint.catalog.roles import ABS, DIVIDE, LOG, POW, RSQRT, SQRT, WHERE
from nanlint.finding import UNSAFE
from nanlint.fixes import FixSpec
from nanlint.rules import Invalid, Rule

UNSAFE_ROLES = (LOG, SQRT, RSQRT, POW, DIVIDE)
_STOP = (cst.SimpleStatementLine, cst.BaseCompoundStatement, cst.Lambda, cst.FunctionDef)


class WhereDoesNotGuardGradient(Rule):
    code = "NAN204"
    name = "where-does-not-guard-gradient"
    severity = "warning"
    fix = UNSAFE

    def check(self) -> None:
        ctx = self.ctx
        if not ctx.imports.roots & DIFFERENTIABLE:
            return
        found = quantities(ctx)
        wheres: dict[int, tuple[Op, tuple[cst.BaseExpression, cst.BaseExpression]]] = {}
        for op in ctx.values.ops(WHERE):
            params = WHERE_BRANCHES.get(op.api.name)
            if params is None or op.input is None or op.api.framework not in DIFFERENTIABLE:
                continue
            branches = (argument(op.call, params[0]), argument(op.call, params[1]))
            if None in branches or not found.gradient_flows(op.call, op.api.framework):
                continue
            wheres[id(op.call)] = (op, branches)
        if not wheres:
            return
        inside: dict[int, list[tuple[cst.CSTNode, int]]] = {}
        for node in self._unsafe_candidates():
            owner = self._owner(node, wheres)
            if owner is not None:
                inside.setdefault(owner[0], []).append((node, owner[1]))
        for key, nodes in inside.items():
            op, _ = wheres[key]
            self._check_where(found, op, nodes)

    def _unsafe_candidates(self):
        values = self.ctx.values
        for node in self.ctx.index.of_type(cst.BinaryOperation):
            if isinstance(node.operator, (cst.Divide, cst.Power)):
                yield node
        for op in values.ops(*UNSAFE_ROLES):
            yield op.call

    def _owner(self, node: cst.CSTNode, wheres) -> tuple[int, int] | None:
        """The innermost differentiable ``where`` whose branch holds ``node``, and which
        branch (0: taken where the mask is True, 1: where it is False)."""
        last_arg = None
        for ancestor in self.ctx.index.ancestors(node):
            if isinstance(ancestor, _STOP):
                return None
            if isinstance(ancestor, cst.Arg):
                last_arg = ancestor
            elif isinstance(ancestor, cst.Call) and last_arg is not None and last_arg in ancestor.args:
                entry = wheres.get(id(ancestor))
                if entry is None:
                    op = self.ctx.values.op(ancestor)
                    if op is not None and op.role == WHERE:
                        return None  # an inner where (np.where, or a sanitising one) owns it
                    continue
                _, branches = entry
                for position, branch in enumerate(branches):
                    if last_arg.value is branch:
                        return id(ancestor), position
                return None  # in the condition
        return None

    def _check_where(self, found: Quantities, op: Op, nodes: list[tuple[cst.CSTNode, int]]) -> None:
        ctx = self.ctx
        condition = op.input
        subjects = self._subjects(condition)
        if not subjects:
            return
        matched: list[tuple[cst.CSTNode, cst.BaseExpression, int]] = []
        for node, branch in nodes:
            unsafe = found.unsafe_operand(node)
            if unsafe is not None and bare_code(ctx, unsafe[0]) in subjects:
                matched.append((node, unsafe[0], branch))
        if not matched:
            return
        replacements, seen, imports = [], set(), []
        for _, operand, branch in matched:
            if id(operand) in seen:
                continue
            seen.add(id(operand))
            filler = self._filler(op, operand)
            if filler is None:
                replacements = []
                break
            value, needed = filler
            if needed is not None and needed not in imports:
                imports.append(needed)
            kept, substituted = bare(operand), value
            branches = (kept, substituted) if branch == 0 else (substituted, kept)
            replacements.append((operand, call(op.call.func, arg(condition), arg(branches[0]), arg(branches[1]))))
        node, operand, branch = matched[0]
        where = ctx.code_for(op.call.func)
        excluded = "False" if branch == 0 else "True"
        mask = short(ctx, condition, 30)
        problem = (f"`{where}` computes `{short(ctx, node, 40)}` also where `{mask}` is {excluded}, "
                   f"so its gradient there is 0 * inf = nan")
        covers = tuple(n for n, _ in nodes)
        if not replacements:
            ctx.report(op.call, f"{problem}; sanitise `{short(ctx, operand, 30)}` with a second `{where}` first",
                       covers=covers)
            return
        shown = short(ctx, replacements[0][1], 60)
        ctx.report(op.call, f"{problem}; sanitise the input first: `{shown}`", covers=covers,
                   fix=FixSpec(UNSAFE, "Sanitise the input with a second where", replacements, imports))

    def _subjects(self, condition: cst.BaseExpression) -> set[str]:
        """What the mask tests: the non-constant side of each comparison with a constant
        (``x > 0``, ``b != 0``, ``x.abs() > eps``: also ``x``), through ``&`` and ``and``."""
        values, ctx = self.ctx.values, self.ctx
        target, _ = values.resolve(condition)
        target = bare(target)
        if isinstance(target, cst.BinaryOperation) and isinstance(target.operator, cst.BitAnd):
            return self._subjects(target.left) | self._subjects(target.right)
        if isinstance(target, cst.BooleanOperation) and isinstance(target.operator, cst.And):
            return self._subjects(target.left) | self._subjects(target.right)
        if not isinstance(target, cst.Comparison):
            return set()
        operands = [target.left, *(t.comparator for t in target.comparisons)]
        subjects: set[str] = set()
        for left, right in pairwise(operands):
            for tested, other in ((left, right), (right, left)):
                if self._constant(other) and not self._constant(tested):
                    subjects.add(bare_code(ctx, tested))
                    inner = values.op(tested) if isinstance(tested, cst.Call) else None
                    if inner is not None and inner.role == ABS and inner.input is not None:
                        subjects.add(bare_code(ctx, inner.input))
        return subjects

    def _constant(self, expr: cst.BaseExpression) -> bool:
        return literal_number(expr) is not None or is_positive_constant(self.ctx.values, expr)

    def _filler(self, op: Op, operand: cst.BaseExpression):
        target = WHERE_FILLER.get(op.api.name)
        if target is None:
            return cst.Float("1.0"), None
        spelled = self.ctx.callee(target, like=op.call.func)
        if spelled is None:
            return None
        func, needed = spelled
        return call(func, arg(bare(operand))), needed

    VALID = [
        # the double where
        "import torch\nfrom torch import nn\n"
        "y = torch.where(x > 0, torch.log(torch.where(x > 0, x, 1.0)), torch.zeros_like(x))\n",
        "import jax.numpy as jnp\ny = jnp.where(v > 0, jnp.log(jnp.where(v > 0, v, 1.0)), 0.0)\n",
        "import tensorflow as tf\n"
        "y = tf.where(b != 0, a / tf.where(b != 0, b, tf.ones_like(b)), tf.zeros_like(a))\n",
        # guarded operands
        "import torch\nfrom torch import nn\ny = torch.where(x > 0, torch.log(x + 1e-8), 0.0)\n",
        "import torch\nfrom torch import nn\ny = torch.where(x > 0, torch.sqrt(x.clamp(min=1e-12)), 0.0)\n",
        # NumPy has no gradient
        "import numpy as np\ny = np.where(x > 0, np.log(x), 0.0)\n",
        # no gradient recorded
        "import torch\nfrom torch import nn\nwith torch.no_grad():\n    y = torch.where(x > 0, torch.log(x), 0.0)\n",
        # the mask tests something else than the unsafe operand
        "import torch\nfrom torch import nn\ny = torch.where(mask, scores / temperature, -1e9)\n",
        "import torch\nfrom torch import nn\ny = torch.where(attention_mask > 0, torch.log(p), 0.0)\n",
        "import torch\nfrom torch import nn\ny = torch.where(x > 0, torch.exp(x), 0.0)\n",
        # safe divisors and exponents
        "import torch\nfrom torch import nn\ny = torch.where(x > 0, x / 2.0, x ** 2)\n",
        # a where with one argument returns indices
        "import torch\nfrom torch import nn\nidx = torch.where(x > 0)\n",
        # counts have no gradient; a file that trains nothing records none
        "import torch\nfrom torch import nn\narea = (m > 0).sum(-1).float()\nhit = (m > 1).sum(-1).float()\n"
        "s = torch.where(area > 0, hit / area, 1.0)\n",
        "import torch\ny = torch.where(x > 0, torch.log(x), 0.0)\n",
        # the unsafe op is in the condition, not a branch
        "import torch\nfrom torch import nn\ny = torch.where(torch.log(x) > 0, x, 0.0)\n",
    ]

    INVALID = [
        Invalid("import torch\nfrom torch import nn\ny = torch.where(x > 0, torch.log(x), torch.zeros_like(x))\n",
                "import torch\nfrom torch import nn\n"
                "y = torch.where(x > 0, torch.log(torch.where(x > 0, x, 1.0)), torch.zeros_like(x))\n"),
        Invalid("import torch\nfrom torch import nn\ny = torch.where(q > 0, torch.log(p / q), torch.zeros_like(p))\n",
                "import torch\nfrom torch import nn\n"
                "y = torch.where(q > 0, torch.log(p / torch.where(q > 0, q, 1.0)), torch.zeros_like(p))\n"),
        Invalid("import torch\nfrom torch import nn\nr = torch.where(b == 0, torch.zeros_like(a), a / b)\n",
                "import torch\nfrom torch import nn\n"
                "r = torch.where(b == 0, torch.zeros_like(a), a / torch.where(b == 0, 1.0, b))\n"),
        Invalid("import torch\nfrom torch import nn\nmask = d > 1e-12\nn = torch.where(mask, d.sqrt(), 0.0)\n",
                "import torch\nfrom torch import nn\nmask = d > 1e-12\n"
                "n = torch.where(mask, torch.where(mask, d, 1.0).sqrt(), 0.0)\n"),
        Invalid("import torch\nfrom torch import nn\nr = torch.where(b.abs() > eps, a / b, a)\n",
                "import torch\nfrom torch import nn\n"
                "r = torch.where(b.abs() > eps, a / torch.where(b.abs() > eps, b, 1.0), a)\n"),
        Invalid("import jax.numpy as jnp\ny = jnp.where(v > 0, jnp.log(v), 0.0)\n",
                "import jax.numpy as jnp\ny = jnp.where(v > 0, jnp.log(jnp.where(v > 0, v, 1.0)), 0.0)\n"),
        Invalid("import jax.numpy as jnp\ny = jnp.where(s > 0, s ** 0.5, 0.0)\n",
                "import jax.numpy as jnp\ny = jnp.where(s > 0, jnp.where(s > 0, s, 1.0) ** 0.5, 0.0)\n"),
        Invalid("import tensorflow as tf\ny = tf.where(x > 0, tf.math.log(x), tf.zeros_like(x))\n",
                "import tensorflow as tf\n"
                "y = tf.where(x > 0, tf.math.log(tf.where(x > 0, x, tf.ones_like(x))), tf.zeros_like(x))\n"),
        Invalid("import tensorflow as tf\nr = tf.where(b != 0.0, a / b, a)\n",
                "import tensorflow as tf\nr = tf.where(b != 0.0, a / tf.where(b != 0.0, b, tf.ones_like(b)), a)\n"),
        Invalid("from keras import ops\ny = ops.where(x > 0, ops.log(x), 0.0)\n",
                "from keras import ops\ny = ops.where(x > 0, ops.log(ops.where(x > 0, x, 1.0)), 0.0)\n"),
        Invalid("import theano.tensor as T\ny = T.switch(x > 0, T.log(x), 0)\n",
                "import theano.tensor as T\ny = T.switch(x > 0, T.log(T.switch(x > 0, x, 1.0)), 0)\n"),
        # several unsafe ops in one where: one finding
        Invalid("import torch\nfrom torch import nn\ny = torch.where(x > 0, torch.log(x) / x, 0.0)\n",
                "import torch\nfrom torch import nn\n"
                "y = torch.where(x > 0, torch.log(torch.where(x > 0, x, 1.0)) / torch.where(x > 0, x, 1.0), 0.0)\n"),
    ]
