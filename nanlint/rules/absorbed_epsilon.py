"""## What it does
Flags an epsilon that rounding swallows before it can guard anything:

- added to a constant of magnitude >= 1 before the quantity that can reach 0 is
  subtracted: `log(1e-10 + 1 - p)` is `log((1e-10 + 1) - p)`, and `1 + 1e-10` is
  exactly 1 in float32;
- a clip bound `1 - e` (or `-1 + e`) with `e` below 2**-24 (about 6e-8), which is
  exactly 1 in float32: `clip(p, 1e-10, 1 - 1e-10)` lets `p` reach 1, and
  `log(1 - p)` is `-inf`. `1 - 1e-19` is 1 even in float64.

An epsilon smaller than 2**-24 times the constant it is added to is lost in
float32 (torch, TensorFlow, Keras, JAX, Theano); in NumPy, whose default is
float64, only below 2**-53. Order matters: `1 - p + eps` keeps the epsilon and is
never reported.

## Why is this bad?
The epsilon was meant to keep a log or a division away from 0, but after rounding
the expression is exactly what it was without it: a saturated sigmoid (`p == 1`
for logits above 17 in float32) still gives `log(0) = -inf` and a nan gradient.

## Example
```python
neg = (1 - y) * tf.math.log(1e-10 + 1.0 - y_pred)
p = K.clip(y_pred, 1e-10, 1.0 - 1e-10)
```

## Use instead
```python
neg = (1 - y) * tf.math.log(1.0 - y_pred + 1e-10)
p = K.clip(y_pred, 1e-7, 1.0 - 1e-7)
```

## Fix safety
Unsafe: the fix moves the epsilon after the subtraction (`1.0 - y_pred + 1e-10`)
or widens a clip bound to `1 - 1e-7`, the smallest margin float32 keeps. Both
change the computed values slightly, which is the point.
"""

from __future__ import annotations

import libcst as cst

from nanlint.analysis.precision import constant, format_number, to_float32
from nanlint.analysis.values import argument
from nanlint.catalog.roles import CLAMP, LOG
from nanlint.finding import UNSAFE
from nanlint.fixes import FixSpec
from nanlint.rules import Invalid, Rule

# Frameworks whose default float is float32; NumPy and SciPy compute in float64.
FLOAT32_FRAMEWORKS = frozenset({"torch", "tensorflow", "keras", "jax", "theano"})
FLOAT64_FRAMEWORKS = frozenset({"numpy", "scipy"})
SAFE_MARGIN = "1e-7"  # the smallest clip margin below 1 that float32 keeps


class AbsorbedEpsilon(Rule):
    code = "NAN305"
    name = "absorbed-epsilon"
    severity = "warning"
    fix = UNSAFE

    def check(self) -> None:
        ctx = self.ctx
        if not ctx.framework_file:
            return
        for binop in ctx.index.of_type(cst.BinaryOperation):
            if isinstance(binop.operator, (cst.Add, cst.Subtract)) and isinstance(binop.left, cst.BinaryOperation):
                self._check_sum(binop)
        clips = []
        for call in ctx.index.of_type(cst.Call):
            op = ctx.values.op(call)
            if op is not None and op.role == CLAMP:
                clips.append(op)
        for op in clips:
            for bound in ("min", "max"):
                expr = argument(op.call, op.api.extra[bound]) if bound in op.api.extra else None
                if expr is not None:
                    self._check_bound(op, expr)

    # -- (eps + 1) - p ---------------------------------------------------------------
    def _check_sum(self, outer: cst.BinaryOperation) -> None:
        inner = outer.left
        if not isinstance(inner.operator, cst.Add) or self._constant(outer.right) is not None:
            return
        split = self._epsilon_and_constant(inner.left, inner.right)
        if split is None:
            return
        eps_node, big_node, eps, big = split
        consumer = self._consumer(outer)
        if consumer is None or not _absorbed(big, eps, consumer.api.framework):
            return
        rest = cst.BinaryOperation(left=big_node, operator=outer.operator, right=outer.right)
        fixed = cst.BinaryOperation(left=rest, operator=inner.operator, right=eps_node)
        code_for = self.ctx.code_for
        dtype = "float32" if consumer.api.framework in FLOAT32_FRAMEWORKS else "float64"
        self.ctx.report(
            outer,
            f"`{code_for(inner)}` is exactly {format_number(big)} in {dtype}, so the epsilon is lost before "
            f"`{code_for(outer.right)}` is subtracted; add it last: `{code_for(fixed)}`",
            fix=FixSpec(UNSAFE, "Add the epsilon last", [(outer, fixed)]),
            covers=(consumer.call,),
        )

    def _epsilon_and_constant(self, left: cst.BaseExpression, right: cst.BaseExpression):
        a, b = self._constant(left), self._constant(right)
        if a is None or b is None:
            return None
        if 0 < a < 1e-3 and abs(b) >= 1:
            return left, right, a, b
        if 0 < b < 1e-3 and abs(a) >= 1:
            return right, left, b, a
        return None

    def _consumer(self, expr: cst.CSTNode):
        """The framework operation the expression flows into, through arithmetic."""
        index, values = self.ctx.index, self.ctx.values
        node = expr
        for _ in range(8):
            parent = index.parent(node)
            if isinstance(parent, (cst.BinaryOperation, cst.UnaryOperation, cst.Arg)):
                node = parent
                continue
            if isinstance(parent, cst.Attribute) and parent.value is node:
                call = index.parent(parent)
                node = call if isinstance(call, cst.Call) and call.func is parent else None
            else:
                node = parent if isinstance(parent, cst.Call) else None
            if node is None:
                return None
            op = values.op(node)
            framework = op.api.framework if op is not None else None
            if framework in FLOAT32_FRAMEWORKS or framework in FLOAT64_FRAMEWORKS:
                return op
            return None
        return None

    # -- clip(p, eps, 1 - 1e-10) -------------------------------------------------------
    def _check_bound(self, op, expr: cst.BaseExpression) -> None:
        bound, _ = self.ctx.values.resolve(expr)
        if not isinstance(bound, cst.BinaryOperation) or not isinstance(bound.operator, (cst.Add, cst.Subtract)):
            return
        big, eps = self._constant(bound.left), self._constant(bound.right)
        if big is None or eps is None or not (abs(big) >= 1 and 0 < eps < 1e-3):
            return
        framework = op.api.framework
        if framework not in FLOAT32_FRAMEWORKS and framework not in FLOAT64_FRAMEWORKS:
            return
        if not _absorbed(big, eps if isinstance(bound.operator, cst.Add) else -eps, framework):
            return
        dtype = "float32" if framework in FLOAT32_FRAMEWORKS else "float64"
        fix = None
        if isinstance(bound.right, (cst.Float, cst.Integer)):
            new = bound.with_changes(right=cst.Float(SAFE_MARGIN))
            fix = FixSpec(UNSAFE, f"Use a margin of {SAFE_MARGIN}", [(bound, new)])
        written = self.ctx.code_for(bound)
        self.ctx.report(
            bound,
            f"clip bound `{written}` is exactly {format_number(big)} in {dtype}, so the clipped value can still "
            f"reach {format_number(big)} and a log of it or of its complement is -inf; use a margin of at least "
            f"{SAFE_MARGIN}",
            fix=fix,
            covers=self._logs_of(op.call),
        )

    def _logs_of(self, clip: cst.Call) -> tuple[cst.CSTNode, ...]:
        """Log calls that read the clipped value, or 1 minus it: the rule this clip meant to
        satisfy (NAN103/NAN104) would report them for the same cause."""
        values = self.ctx.values
        found = []
        for log in values.ops(LOG):
            if log.input is None:
                continue
            operand, _ = values.resolve(log.input)
            if isinstance(operand, cst.BinaryOperation) and isinstance(operand.operator, cst.Subtract) \
                    and self._constant(operand.left) is not None:
                operand = operand.right
            produced = values.producer(operand) if operand is not clip else None
            if operand is clip or (produced is not None and produced.op.call is clip):
                found.append(log.call)
        return tuple(found)

    def _constant(self, expr: cst.BaseExpression) -> float | None:
        return constant(self.ctx.values, expr)

    VALID = [
        # the epsilon added last is kept
        "import torch\ny = torch.log(1 - p + 1e-10)\n",
        "import tensorflow as tf\ny = tf.math.log(1.0 - y_pred + 1e-10)\n",
        "import torch\ny = torch.log(1e-10 + (1 - p))\n",
        # representable margins
        "import torch\np = torch.clamp(p, 1e-7, 1 - 1e-7)\n",
        "import tensorflow as tf\nEPS = 1e-7\np = tf.clip_by_value(p, EPS, 1.0 - EPS)\n",
        "from keras import backend as K\np = K.clip(y_pred, K.epsilon(), 1.0 - K.epsilon())\n",
        "import torch\ncos = torch.clamp(cos, -1 + 1e-6, 1 - 1e-6)\n",
        # NumPy computes in float64: 1 - 1e-15 is not 1 there (sklearn's log_loss)
        "import numpy as np\np = np.clip(p, 1e-15, 1 - 1e-15)\n",
        "import numpy as np\ny = np.log(1e-10 + 1 - p)\n",
        # Python arithmetic on constants alone is float64
        "import torch\nscale = 1e-10 + 1.0\n",
        # not an epsilon next to 1: both terms are large, or the constant is small
        "import torch\ny = torch.log(2.0 + 1.0 - p)\n",
        "import torch\ny = torch.log(1e-10 + 1e-3 - p)\n",
        # not a framework operation
        "import torch\nmargin = min(1e-10 + 1.0 - score, cap)\n",
    ]

    INVALID = [
        Invalid("import tensorflow as tf\nneg = (1.0 - y) * tf.math.log(1e-10 + 1.0 - y_pred)\n",
                "import tensorflow as tf\nneg = (1.0 - y) * tf.math.log(1.0 - y_pred + 1e-10)\n"),
        Invalid("import torch\ny = torch.log(1 + 1e-12 - p)\n", "import torch\ny = torch.log(1 - p + 1e-12)\n"),
        Invalid("import torch\ny = (1e-9 + 1 - torch.sigmoid(z)).log()\n",
                "import torch\ny = (1 - torch.sigmoid(z) + 1e-9).log()\n"),
        Invalid("import torch\nEPS = 1e-10\ny = torch.log(EPS + 1.0 - p)\n",
                "import torch\nEPS = 1e-10\ny = torch.log(1.0 - p + EPS)\n"),
        Invalid("from keras import backend as K\np = K.clip(y_pred, 1e-10, 1.0 - 1e-10)\n"
                "loss = -K.mean(y * K.log(p) + (1 - y) * K.log(1 - p))\n",
                "from keras import backend as K\np = K.clip(y_pred, 1e-10, 1.0 - 1e-7)\n"
                "loss = -K.mean(y * K.log(p) + (1 - y) * K.log(1 - p))\n"),
        Invalid("import torch\np = torch.clamp(torch.sigmoid(z), min=1e-8, max=1 - 1e-8)\n",
                "import torch\np = torch.clamp(torch.sigmoid(z), min=1e-8, max=1 - 1e-7)\n"),
        Invalid("import torch\np = x.clamp(-1 + 1e-9, 1 - 1e-9)\ny = torch.acos(p)\n",
                "import torch\np = x.clamp(-1 + 1e-7, 1 - 1e-7)\ny = torch.acos(p)\n", count=2),
        Invalid("import numpy as np\np = np.clip(p, 1e-19, 1 - 1e-19)\n",
                "import numpy as np\np = np.clip(p, 1e-19, 1 - 1e-7)\n"),
        Invalid("import tensorflow as tf\nUPPER = 1.0 - 1e-12\np = tf.clip_by_value(p, 1e-12, UPPER)\n",
                "import tensorflow as tf\nUPPER = 1.0 - 1e-7\np = tf.clip_by_value(p, 1e-12, UPPER)\n"),
        Invalid("import jax.numpy as jnp\nloss = -jnp.log(1e-12 + 1.0 - jnp.exp(-rate))\n",
                "import jax.numpy as jnp\nloss = -jnp.log(1.0 - jnp.exp(-rate) + 1e-12)\n"),
    ]


def _absorbed(big: float, eps: float, framework: str) -> bool:
    """Whether ``big + eps`` rounds back to ``big`` in the framework's default float."""
    total = big + eps
    if framework in FLOAT32_FRAMEWORKS:
        return to_float32(total) == to_float32(big)
    return total == big
