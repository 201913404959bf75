"""## What it does
Flags a division `a / b` (also `/=`, `torch.div`, `tf.divide`, `tf.div`, `tf.truediv`,
`np.divide`, `jnp.divide`) whose divisor is a quantity that can be 0 at run time: a
sum or count (`mask.sum()`, `count_nonzero`, `reduce_sum` of labels, `bincount`), a
norm (`x.norm(...)`, `torch.norm`, `tf.norm`, `np.linalg.norm`, also a product of
norms), a standard deviation or variance (the standardisation `(x - mean) / std`), or
a name bound to one of those. A divisor that is the literal 0, a tensor of zeros or a
constant tensor holding a 0 (`b = tf.constant([0.0, 0.0, 0.0])`) is reported as an
error.

Not reported: non-zero literals and constants, `len(...)`, shapes and sizes,
`numel()`, `math.sqrt(d_k)`, integer hyper-parameters and arguments (`batch_size`,
`temperature`), learned scales (a model's `sigma` output), guarded divisors (`+ eps`,
`clamp(min=...)`, `clamp_min`, `max(b, 1)`, `tf.maximum(b, eps)`, a double `where`,
`a / s if s > 0 else 0`, or any comparison of the divisor in the same function, such
as `if n == 0: return`), `tf.math.divide_no_nan`, `F.normalize`, a sum (or norm) of
values that are > 0 by construction (`exp(...)`, softmax or sigmoid probabilities, also
top-k'ed or gathered, or values shifted by an epsilon; the unstable form of the first is
NAN105), a statistic of constants only (ranges, windows, random draws: the same on
every run), a zero tensor bound to a name in a framework whose tensors change in place
(`w = torch.zeros(n)`, then `w[i] += ...`), and plain Python arithmetic
(`correct / total`). When the divisor is the square root of a sum
of squares or of a variance in differentiable code, NAN202 reports the root instead:
its fix guards both the value and the gradient.

## Why is this bad?
Floating-point division by 0 does not raise on tensors: `x / 0` is `inf`, `0 / 0` is
`nan` (seed 002: "division by 0.0 in TensorFlow doesn't result in a division by zero
exception"). A batch where the mask is all padding, a constant feature (std 0) or a
zero embedding (norm 0) turns the loss into nan, and one nan in a gradient ruins every
weight it touches.

## Example
```python
masked = (loss * mask).sum() / mask.sum()
z = emb / emb.norm(dim=1, keepdim=True)
x = (x - x.mean(0)) / x.std(0)
```

## Use instead
```python
masked = (loss * mask).sum() / mask.sum().clamp(min=1)
z = F.normalize(emb, dim=1)
x = (x - x.mean(0)) / (x.std(0) + 1e-8)
ratio = tf.math.divide_no_nan(a, b)  # TensorFlow: 0 where b == 0
```

## Fix safety
Unsafe: the fix changes values slightly. It writes `a / (b + eps)` (with
`fix-style = "clamp"` the framework's clamp: `b.clamp(min=eps)`, `np.clip(b, eps, None)`,
`tf.maximum(b, eps)`), using the configured `eps` (default 1e-8). In TensorFlow code
it writes `tf.math.divide_no_nan(a, b)`, which gives 0 where `b` is 0. `x / x.norm(dim=d,
keepdim=True)` becomes `F.normalize(x, dim=d)` (`tf.math.l2_normalize(x, axis=d)`) when
the norm is the 2-norm of the numerator along one literal axis with `keepdim=True`.
A divisor that is always 0 has no automatic fix (except `divide_no_nan` in TensorFlow):
the code needs a different divisor.
"""

from __future__ import annotations

import libcst as cst

from nanlint.analysis.divisors import (
    KIND_WORDS,
    Quantities,
    Risk,
    arg,
    bare,
    bare_code,
    call,
    guarded,
    parenthesized,
    quantities,
    short,
)
from nanlint.analysis.guards import literal_number
from nanlint.analysis.values import argument
from nanlint.catalog import METHOD
from nanlint.catalog.division_roots import TF_DIVIDE_NO_NAN
from nanlint.catalog.roles import DIVIDE
from nanlint.finding import UNSAFE
from nanlint.fixes import FixSpec, NeededImport
from nanlint.rewrite import movable
from nanlint.rules import Invalid, Rule

# Why each kind of divisor can be 0, for the message.
WHEN_ZERO = {
    "sum": "that can be 0 (an all-zero mask or weights)",
    "count": "that is 0 when nothing is counted",
    "norm": "that is 0 for a zero vector",
    "std": "that is 0 when all values are equal",
    "var": "that is 0 when all values are equal",
}


class UnguardedDivision(Rule):
    code = "NAN201"
    name = "unguarded-division"
    severity = "warning"
    fix = UNSAFE

    def check(self) -> None:
        ctx = self.ctx
        if not ctx.framework_file:
            return
        found = quantities(ctx)
        for node in ctx.index.of_type(cst.BinaryOperation):
            if isinstance(node.operator, cst.Divide):
                self._division(found, node, node.left, node.right)
        for node in ctx.index.of_type(cst.AugAssign):
            if isinstance(node.operator, cst.DivideAssign):
                self._division(found, node, node.target, node.value)
        for op in ctx.values.ops(DIVIDE):
            mask = op.api.extra.get("where")
            if mask is not None and argument(op.call, mask) is not None:
                continue  # np.divide(a, b, where=b != 0)
            divisor = argument(op.call, op.api.extra["other"])
            if divisor is not None and op.input is not None:
                self._division(found, op.call, op.input, divisor)

    def _division(self, found: Quantities, node: cst.CSTNode, numerator: cst.BaseExpression,
                  divisor: cst.BaseExpression) -> None:
        ctx = self.ctx
        risk = found.zero_risk(divisor)
        if risk is None:
            return
        if risk.kind == "literal" and not found.is_framework_value(numerator):
            return  # plain Python arithmetic
        if risk.root is not None and ctx.config.enabled("NAN202", ctx.path) and found.root_finding(risk.root):
            return  # sqrt of a sum of squares / variance: NAN202 guards value and gradient at once
        if not risk.certain and self._checked(found, node, divisor, risk):
            return
        shown = short(ctx, divisor)
        if risk.certain:
            self._report_certain(node, numerator, divisor, risk, shown)
            return
        problem = f"Division by `{shown}`, {KIND_WORDS[risk.kind]} {WHEN_ZERO[risk.kind]}, gives inf/nan"
        normalize = self._normalize(found, node, numerator, divisor, risk)
        if normalize is not None:
            new, imports, name = normalize
            ctx.report(node, f"{problem}; use `{short(ctx, new, 60)}`",
                       fix=FixSpec(UNSAFE, f"Rewrite as `{name}`", [(node, new)], imports))
            return
        if risk.framework == "tensorflow":
            fix = self._divide_no_nan(node, numerator, divisor)
            if fix is not None:
                ctx.report(node, f"{problem}; use `tf.math.divide_no_nan`", fix=fix)
                return
        new, imports, style = guarded(ctx, divisor, risk.framework, risk.op is not None and risk.op.is_method)
        suggestion = short(ctx, new, 60)
        if isinstance(node, cst.BinaryOperation) and style == "add":
            new = parenthesized(new)
        hint = ""
        if risk.kind == "norm" and risk.op is not None and "normalize" in risk.op.api.extra \
                and risk.op.input is not None and bare_code(ctx, risk.op.input) == bare_code(ctx, numerator):
            hint = f" (or `{self._spelling(risk.op.api.extra['normalize'])}`)"
        ctx.report(node, f"{problem}; divide by `{suggestion}`{hint}",
                   fix=FixSpec(UNSAFE, f"Divide by `{suggestion}`", [(divisor, new)], imports))

    def _report_certain(self, node, numerator, divisor, risk: Risk, shown: str) -> None:
        ctx = self.ctx
        what = KIND_WORDS[risk.kind]
        problem = "Division by the literal 0" if risk.kind == "literal" else f"Division by `{shown}`, {what},"
        problem += " gives inf/nan on tensors"
        if risk.framework == "tensorflow":
            fix = self._divide_no_nan(node, numerator, divisor)
            if fix is not None:
                ctx.report(node, f"{problem} (TensorFlow does not raise); use `tf.math.divide_no_nan` or a "
                                 f"non-zero divisor", fix=fix, severity="error")
                return
        ctx.report(node, f"{problem}; divide by a value that is never 0", severity="error")

    def _checked(self, found: Quantities, node: cst.CSTNode, divisor: cst.BaseExpression, risk: Risk) -> bool:
        """The function compares the divisor (or the name it is bound to) with something:
        the author handled 0 (``if n == 0: return``, ``a / s if s > 0 else 0``)."""
        ctx = self.ctx
        candidates = found.aliases(divisor)
        inside: tuple[cst.CSTNode, ...] = (node,)
        if risk.op is not None:
            candidates.add(bare_code(ctx, risk.op.call))
            inside = (node, risk.op.call)
        return found.compared(node, candidates, inside) or found.masked_by_where(node, candidates)

    # -- fixes ------------------------------------------------------------------------------
    def _spelling(self, target: str) -> str:
        local = self.ctx.imports.local_for(target)
        return local or target

    def _divide_no_nan(self, node, numerator, divisor) -> FixSpec | None:
        ctx = self.ctx
        spelled = ctx.callee(TF_DIVIDE_NO_NAN)
        if spelled is None:
            return None
        func, needed = spelled
        imports = [needed] if needed else []
        if isinstance(node, cst.BinaryOperation):
            new = call(func, arg(bare(numerator)), arg(bare(divisor)))
        elif isinstance(node, cst.AugAssign):
            if not isinstance(node.target, cst.Name):
                return None
            new = cst.Assign(targets=[cst.AssignTarget(target=node.target)],
                             value=call(func, arg(node.target), arg(bare(divisor))))
        elif isinstance(node, cst.Call):
            op = ctx.values.op(node)
            if op is None or op.api.extra.get("no_nan") != TF_DIVIDE_NO_NAN:
                return None
            new = node.with_changes(func=func)
        else:
            return None
        return FixSpec(UNSAFE, "Use `tf.math.divide_no_nan`", [(node, new)], imports)

    def _normalize(self, found: Quantities, node, numerator, divisor, risk: Risk
                   ) -> tuple[cst.BaseExpression, list[NeededImport], str] | None:
        """``x / x.norm(dim=d, keepdim=True)`` -> ``F.normalize(x, dim=d)`` when the arguments
        map exactly (2-norm, one literal axis, kept dimension, same tensor)."""
        ctx = self.ctx
        op = risk.op
        if not isinstance(node, cst.BinaryOperation) or op is None or risk.root is not None:
            return None
        target = op.api.extra.get("normalize")
        if target is None or op.input is None:
            return None
        produced = ctx.values.producer(divisor)
        if produced is None or produced.op is not op or not movable(ctx, produced, node):
            return None
        if not _pure(numerator) or bare_code(ctx, numerator) != bare_code(ctx, op.input):
            return None
        order = argument(op.call, op.api.extra["ord"])
        if order is not None and literal_number(order) != 2 and not (
                isinstance(order, cst.SimpleString) and order.evaluated_value == "fro"):
            return None
        keep = argument(op.call, op.api.extra["keepdims"])
        if op.axis is None or not _int_literal(op.axis) or not (isinstance(keep, cst.Name) and keep.value == "True"):
            return None
        spelled = ctx.callee(target, like=None if op.api.kind == METHOD else op.call.func)
        if spelled is None:
            return None
        func, needed = spelled
        keyword = "dim" if op.api.framework == "torch" else "axis"
        new = call(func, arg(bare(numerator)), arg(op.axis, keyword))
        return new, [needed] if needed else [], ctx.code_for(func)

    VALID = [
        # non-zero literals and constants, sizes, lengths, hyper-parameters
        "import torch\ny = x / 2.0\nz = x / torch.tensor([1.0, 2.0])\n",
        "import torch\ny = x.sum() / len(x)\nz = x.sum() / x.shape[0]\nw = x.sum() / x.size(0) + x.sum() / x.numel()\n",
        "import math\nimport torch\nscores = q @ k.transpose(-2, -1) / math.sqrt(d_k)\n",
        "import torch\ndef loss(logits, temperature, batch_size, n):\n"
        "    return logits.sum() / temperature + logits.sum() / batch_size + logits.sum() / n\n",
        # guarded divisors
        "import torch\nm = (l * mask).sum() / (mask.sum() + 1e-8)\n",
        "import torch\nm = (l * mask).sum() / mask.sum().clamp(min=1)\nn = l.sum() / mask.sum().clamp_min(1.0)\n",
        "import torch\nm = (l * mask).sum() / max(mask.sum(), 1)\n",
        "import tensorflow as tf\nm = tf.reduce_sum(l) / tf.maximum(tf.reduce_sum(mask), 1e-6)\n",
        "import tensorflow as tf\nm = tf.math.divide_no_nan(tf.reduce_sum(l * mask), tf.reduce_sum(mask))\n",
        "import torch\nimport torch.nn.functional as F\nz = F.normalize(emb, dim=1)\n",
        "import torch\ns = mask.sum()\nm = l.sum() / s if s > 0 else l.sum() * 0\n",
        "import torch\ndef f(l, mask):\n    n = mask.sum()\n    if n == 0:\n        return l.sum() * 0\n"
        "    return l.sum() / n\n",
        "import torch\ns = mask.sum()\ns = s.clamp(min=1)\nm = l.sum() / s\n",
        "import numpy as np\nr = np.divide(a, b.sum(), where=b.sum() != 0)\n",
        "import torch\nd = x / torch.where(s == 0, torch.ones_like(s), s)\n",
        # plain Python arithmetic in a framework file
        "import torch\ncorrect, total = 0, 0\nacc = correct / total\nratio = 1 / 0\n",
        "import torch\nacc = correct / sum(counts)\n",
        # a sum of exp or of probabilities is > 0 (NAN105 has the unstable form)
        "import torch\np = torch.exp(x - x.max()) / torch.exp(x - x.max()).sum()\n",
        "import torch\nw, idx = torch.topk(torch.softmax(logits, -1), 2)\nw = w / w.sum(-1, keepdim=True)\n",
        # computed from constants only: the same value on every run
        "import torch\npe = torch.arange(16.0) * 0.5\npe = pe - pe.mean()\npe = pe / (pe.std() * 10)\n",
        # MoE routing: top-k sigmoid probabilities, gathered, sum to more than 0
        "import torch\nw = torch.sigmoid(logits)\n_, idx = torch.topk(w, 2)\ntop = w.gather(1, idx)\n"
        "top = top / top.sum(-1, keepdim=True)\n",
        # a zero tensor filled in place before the division
        "import torch\nacc = torch.zeros(4)\nfor f in frames:\n    acc[:2] += f\ny = out / acc\n",
        # a learned scale is not a statistic
        "import torch\ndef nll(y, mu, sigma):\n    return ((y - mu) / sigma) ** 2\n",
        # no framework import: nothing is a tensor
        "y = x / x.sum()\n",
        # the root of a sum of squares in torch is NAN202's business
        "import torch\nfrom torch import nn\ny = x / torch.sqrt((x ** 2).sum())\n",
        # a double where: the divisor is sanitised first
        "import jax.numpy as jnp\nr = jnp.where(s > 0, a / jnp.where(s > 0, s, 1.0), 0.0)\n",
        # a where that picks another value where the divisor is 0 (its gradient: NAN204)
        "from keras import ops\nn = ops.sqrt(ops.sum(ops.square(u)))\nr = ops.where(ops.greater(n, 0), w / n, 1.0)\n",
    ]

    INVALID = [
        # seed 002: TensorFlow divides by a constant tensor of zeros without raising
        Invalid("import tensorflow as tf\na = tf.constant([2., 0., -2.])\nb = tf.constant([0., 0., 0.])\n"
                "c = tf.constant([1., 1., 1.])\nprint((a / b) + c)\n",
                "import tensorflow as tf\na = tf.constant([2., 0., -2.])\nb = tf.constant([0., 0., 0.])\n"
                "c = tf.constant([1., 1., 1.])\nprint((tf.math.divide_no_nan(a, b)) + c)\n"),
        Invalid("import tensorflow as tf\ndef masked_mse(y, p, mask):\n"
                "    return tf.reduce_sum(tf.square(y - p) * mask) / tf.reduce_sum(mask)\n",
                "import tensorflow as tf\ndef masked_mse(y, p, mask):\n"
                "    return tf.math.divide_no_nan(tf.reduce_sum(tf.square(y - p) * mask), tf.reduce_sum(mask))\n"),
        Invalid("import tensorflow as tf\nr = tf.divide(x, tf.math.count_nonzero(labels))\n",
                "import tensorflow as tf\nr = tf.math.divide_no_nan(x, tf.math.count_nonzero(labels))\n"),
        # torch: masked mean, norm, standardisation, through names, /= and torch.div
        Invalid("import torch\nm = (values * mask).sum() / mask.sum()\n",
                "import torch\nm = (values * mask).sum() / (mask.sum() + 1e-8)\n"),
        Invalid("import torch\nimport torch.nn.functional as F\nz = emb / emb.norm(dim=1, keepdim=True)\n",
                "import torch\nimport torch.nn.functional as F\nz = F.normalize(emb, dim=1)\n"),
        Invalid("import torch\nz = emb / torch.norm(emb, p=2, dim=-1, keepdim=True)\n",
                "import torch\nz = torch.nn.functional.normalize(emb, dim=-1)\n"),
        Invalid("import torch\nz = emb / emb.norm(dim=1)[:, None]\n",
                "import torch\nz = emb / (emb.norm(dim=1)[:, None] + 1e-8)\n"),
        Invalid("import torch\nadv = (adv - adv.mean()) / adv.std()\n",
                "import torch\nadv = (adv - adv.mean()) / (adv.std() + 1e-8)\n"),
        Invalid("import torch\nn = mask.sum(dim=1).float()\npooled = h.sum(dim=1) / n.unsqueeze(-1)\n",
                "import torch\nn = mask.sum(dim=1).float()\npooled = h.sum(dim=1) / (n.unsqueeze(-1) + 1e-8)\n"),
        Invalid("import torch\nw = weights.clone()\nw /= w.sum(-1, keepdim=True)\n",
                "import torch\nw = weights.clone()\nw /= w.sum(-1, keepdim=True) + 1e-8\n"),
        Invalid("import torch\nr = torch.div(x, torch.count_nonzero(mask))\n",
                "import torch\nr = torch.div(x, torch.count_nonzero(mask) + 1e-8)\n"),
        Invalid("import torch\ncos = (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1))\n",
                "import torch\ncos = (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1) + 1e-8)\n"),
        Invalid("import torch\ny = x / torch.zeros(3)\n", None),
        # NumPy and JAX
        Invalid("import numpy as np\nX = (X - X.mean(axis=0)) / X.std(axis=0)\n",
                "import numpy as np\nX = (X - X.mean(axis=0)) / (X.std(axis=0) + 1e-8)\n"),
        Invalid("import numpy as np\nu = v / np.linalg.norm(v)\n", "import numpy as np\n"
                "u = v / (np.linalg.norm(v) + 1e-8)\n"),
        Invalid("import numpy as np\nfreq = np.divide(counts, np.bincount(y))\n",
                "import numpy as np\nfreq = np.divide(counts, np.bincount(y) + 1e-8)\n"),
        Invalid("import numpy as np\nr = x / np.array([1.0, 0.0])\n", None),
        Invalid("import jax.numpy as jnp\nz = (x - jnp.mean(x)) / jnp.std(x)\n",
                "import jax.numpy as jnp\nz = (x - jnp.mean(x)) / (jnp.std(x) + 1e-8)\n"),
        # Keras backend and Theano
        Invalid("from keras import backend as K\nr = K.sum(y_true * y_pred) / K.sum(y_true)\n",
                "from keras import backend as K\nr = K.sum(y_true * y_pred) / (K.sum(y_true) + 1e-8)\n"),
        Invalid("import theano.tensor as T\nr = T.sum(x * m) / T.sum(m)\n",
                "import theano.tensor as T\nr = T.sum(x * m) / (T.sum(m) + 1e-8)\n"),
        # a literal 0 divisor in a framework computation
        Invalid("import torch\ny = torch.ones(3) / 0\n", None),
    ]


def _pure(expr: cst.BaseExpression) -> bool:
    while isinstance(expr, (cst.Attribute, cst.Subscript)):
        if isinstance(expr, cst.Subscript) and any(
                not isinstance(element.slice, cst.Index) or not isinstance(element.slice.value, (cst.Integer, cst.Name))
                for element in expr.slice):
            return False
        expr = expr.value
    return isinstance(expr, cst.Name)


def _int_literal(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
        expr = expr.expression
    return isinstance(expr, cst.Integer)
