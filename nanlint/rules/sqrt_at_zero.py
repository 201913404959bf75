"""## What it does
Flags a square root (`sqrt(s)`, `s ** 0.5`, `torch.pow(s, 0.5)`, `rsqrt(s)`, any
fractional power below 1) of a quantity that can be exactly 0: a sum of squares, a
squared distance (`((a - b) ** 2).sum(1)`), a variance, a dot product of a vector with
itself, a square; or of `exp(x)`, which underflows to 0 (a VAE's
`tf.sqrt(tf.exp(log_sigma_sq))`). Only in differentiable frameworks (PyTorch,
TensorFlow, Keras, JAX, Theano) and where gradients are recorded: not under
`torch.no_grad()` / `inference_mode`, not of a detached value, a count or a random draw,
not in an optimizer's update, a constraint or an initializer, not when the result leaves
the graph (`.item()`), and not in a PyTorch file that shows no training at all (no
`torch.nn` / `torch.autograd` / `torch.optim` import, no `nn.Module` subclass, no
`backward()`: feature extraction and post-processing). A sum of squares with a constant
term (`sqrt(sigma ** 2 + self.sigma_data ** 2)`) is never 0.

## Why is this bad?
`sqrt(0)` is a fine value, but the derivative `1 / (2 * sqrt(s))` is inf at 0 (seed
000: "the derivative of the square root can diverge"). Backpropagation multiplies it by
the gradient of `s`, which is 0 there too: `inf * 0 = nan`, and every weight upstream
becomes nan. The distance between two identical embeddings, or an all-zero row, is
enough. `rsqrt` and negative fractional powers are inf at 0 already in the value.

## Example
```python
dist = torch.sqrt(((a - b) ** 2).sum(dim=1))
std = tf.sqrt(tf.exp(log_sigma_sq))
```

## Use instead
```python
dist = torch.sqrt(((a - b) ** 2).sum(dim=1) + 1e-8)
std = tf.exp(0.5 * log_sigma_sq)
```

## Fix safety
`sqrt(exp(x))` becomes `exp(0.5 * x)` (`rsqrt`: `exp(-0.5 * x)`), which is the same
function, finite for every finite `x`: a safe fix. Otherwise the fix adds the configured
`eps` (default 1e-8) under the root, `sqrt(s + eps)` (or, with `fix-style = "clamp"`,
clamps `s` from below), which changes the value by about `sqrt(eps)` near 0: unsafe.
"""

from __future__ import annotations

import libcst as cst

from nanlint.analysis.divisors import (
    Quantities,
    Radicand,
    binary,
    guarded,
    operand,
    parenthesized,
    quantities,
    receiver,
    short,
    spaced,
)
from nanlint.analysis.values import argument
from nanlint.catalog.division_roots import DIFFERENTIABLE
from nanlint.catalog.roles import POW, RSQRT, SQRT
from nanlint.finding import SAFE, UNSAFE
from nanlint.fixes import FixSpec
from nanlint.rewrite import movable
from nanlint.rules import Invalid, Rule


class SqrtAtZero(Rule):
    code = "NAN202"
    name = "sqrt-at-zero"
    severity = "warning"
    fix = UNSAFE

    def check(self) -> None:
        ctx = self.ctx
        if not ctx.imports.roots & DIFFERENTIABLE:
            return
        found = quantities(ctx)
        for op in ctx.values.ops(SQRT, RSQRT, POW):
            self._root(found, op.call)
        for node in ctx.index.of_type(cst.BinaryOperation):
            if isinstance(node.operator, cst.Power):
                self._root(found, node)

    def _root(self, found: Quantities, node: cst.CSTNode) -> None:
        result = found.root_finding(node)
        if result is None:
            return
        radicand, exponent, what = result
        ctx = self.ctx
        name = self._root_name(node, exponent)
        shown = short(ctx, radicand)
        singular = "its value and gradient are" if exponent < 0 else "its gradient is"
        problem = f"`{shown}` is {what.what}, where {singular} inf (nan after backprop)"
        if what.exp is not None:
            exact = self._exp_rewrite(found, node, radicand, exponent, what)
            if exact is not None:
                ctx.report(node, f"{problem}; use `{short(ctx, exact, 60)}`",
                           fix=FixSpec(SAFE, f"Rewrite as `{short(ctx, exact, 60)}`", [(node, exact)]))
                return
        producer = found.producer(radicand) or (ctx.values.op(node) if isinstance(node, cst.Call) else None)
        key = found.framework_key(producer)
        new, imports, style = guarded(ctx, radicand, key, producer is not None and producer.is_method)
        suggestion = short(ctx, new, 60)
        if style == "add" and self._needs_parentheses(node, radicand):
            new = parenthesized(new)
        ctx.report(node, f"{problem}; take the {name} of `{suggestion}`",
                   fix=FixSpec(UNSAFE, f"Take the {name} of `{suggestion}`", [(radicand, new)], imports))

    @staticmethod
    def _root_name(node: cst.CSTNode, exponent: float) -> str:
        if exponent == 0.5:
            return "square root"
        if exponent == -0.5:
            return "reciprocal square root"
        return "power"

    def _needs_parentheses(self, node: cst.CSTNode, radicand: cst.BaseExpression) -> bool:
        """The radicand is a method's receiver or the base of ``**``."""
        if isinstance(node, cst.BinaryOperation):
            return True
        return isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.value is radicand

    def _exp_rewrite(self, found: Quantities, node: cst.CSTNode, radicand: cst.BaseExpression, exponent: float,
                     what: Radicand) -> cst.BaseExpression | None:
        """``sqrt(exp(x))`` -> ``exp(0.5 * x)``: the same function, without the underflow."""
        ctx = self.ctx
        exp = what.exp
        produced = ctx.values.producer(radicand)
        if produced is None or produced.op is not exp or exp.input is None or not movable(ctx, produced, node):
            return None
        factor = self._factor(node, exponent)
        scaled = binary(factor, spaced(cst.Multiply), operand(exp.input, "product"))
        if exp.is_method:
            func = exp.call.func.with_changes(value=receiver(parenthesized(scaled)))
            return exp.call.with_changes(func=func)
        args = [a.with_changes(value=scaled) if a.value is exp.input else a for a in exp.call.args]
        return exp.call.with_changes(args=args)

    def _factor(self, node: cst.CSTNode, exponent: float) -> cst.BaseExpression:
        """The exponent as the user wrote it (``0.5``, ``(1 / 3)``), or -0.5 for rsqrt."""
        written = None
        if isinstance(node, cst.BinaryOperation):
            written = node.right
        elif isinstance(node, cst.Call):
            op = self.ctx.values.op(node)
            if op is not None and op.role == POW:
                written = argument(node, op.api.extra["other"])
        if written is not None:
            return operand(written, "product")
        return cst.parse_expression(repr(exponent))

    VALID = [
        # guarded radicands
        "import torch\nfrom torch import nn\nd = torch.sqrt(((a - b) ** 2).sum(dim=1) + 1e-8)\n",
        "import torch\nfrom torch import nn\nd = torch.sqrt(((a - b) ** 2).sum(dim=1).clamp(min=1e-12))\n",
        "import tensorflow as tf\nstd = tf.sqrt(tf.math.reduce_variance(x, axis=0) + 1e-6)\n",
        "import torch\nfrom torch import nn\nh = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)\n",
        "import tensorflow as tf\nstd = tf.exp(0.5 * log_sigma_sq)\n",
        # NumPy and math have no gradients
        "import numpy as np\nd = np.sqrt(np.sum((a - b) ** 2, axis=1))\n",
        "import math\nimport torch\nscale = math.sqrt(sum(v * v for v in values))\n",
        "import numpy\nimport theano\nW_bound = numpy.sqrt(6. / (fan_in + fan_out))\n",
        # no gradient recorded
        "import torch\nfrom torch import nn\nwith torch.no_grad():\n    d = torch.sqrt(((a - b) ** 2).sum(1))\n",
        "import torch\nfrom torch import nn\n@torch.no_grad()\ndef dist(a, b):\n"
        "    return torch.sqrt(((a - b) ** 2).sum(1))\n",
        "import torch\nfrom torch import nn\nd = torch.sqrt(((a - b) ** 2).sum(1).detach())\n",
        # roots of unknown or positive values
        "import torch\nfrom torch import nn\ny = torch.sqrt(x)\nz = torch.sqrt(torch.tensor(2.0))\n",
        "import torch\nfrom torch import nn\ndef f(d_k):\n    return d_k ** 0.5\n",
        "import torch\nfrom torch import nn\ny = (x ** 2).sum() ** 2\nz = torch.pow(x.pow(2).sum(), 1.5)\n",
        "import jax.numpy as jnp\ny = jnp.sqrt(jnp.sum(x ** 2) + 1e-12)\n",
        # a PyTorch file that trains nothing (feature extraction): no gradient is recorded
        "import torch\nmagnitudes = torch.sqrt(spec.pow(2).sum(-1))\n",
        # the value leaves the graph; a constant term keeps the sum positive
        "import torch\nfrom torch import nn\nenergy = torch.sqrt(torch.mean(w * w)).item()\n",
        "import torch\nfrom torch import nn\nd = torch.sqrt(noise * noise + self.sigma_data * self.sigma_data)\n",
        # a count has no gradient
        "import torch\nfrom torch import nn\nn = torch.sqrt((mask > 0).sum())\n",
        # a name rebound to a guarded value
        "import torch\nfrom torch import nn\ns = ((a - b) ** 2).sum(1)\ns = s + 1e-8\nd = s.sqrt()\n",
    ]

    INVALID = [
        Invalid("import torch\nfrom torch import nn\nd = torch.sqrt(((a - b) ** 2).sum(dim=1))\n",
                "import torch\nfrom torch import nn\nd = torch.sqrt(((a - b) ** 2).sum(dim=1) + 1e-8)\n"),
        Invalid("import torch\nfrom torch import nn\nss = (x * x).sum(-1)\nn = ss.sqrt()\n",
                "import torch\nfrom torch import nn\nss = (x * x).sum(-1)\nn = (ss + 1e-8).sqrt()\n"),
        Invalid("import torch\nfrom torch import nn\nr = x.pow(2).sum(-1) ** 0.5\n",
                "import torch\nfrom torch import nn\nr = (x.pow(2).sum(-1) + 1e-8) ** 0.5\n"),
        Invalid("import torch\nfrom torch import nn\nr = torch.pow(torch.sum(torch.square(d), 1), 0.5)\n",
                "import torch\nfrom torch import nn\nr = torch.pow(torch.sum(torch.square(d), 1) + 1e-8, 0.5)\n"),
        Invalid("import torch\nfrom torch import nn\nstd = torch.sqrt(x.var(dim=0))\n",
                "import torch\nfrom torch import nn\nstd = torch.sqrt(x.var(dim=0) + 1e-8)\n"),
        Invalid("import torch\nfrom torch import nn\ninv = torch.rsqrt((h ** 2).mean(-1, keepdim=True))\n",
                "import torch\nfrom torch import nn\ninv = torch.rsqrt((h ** 2).mean(-1, keepdim=True) + 1e-8)\n"),
        Invalid("import torch\nfrom torch import nn\nn = torch.sqrt(torch.dot(v, v))\n",
                "import torch\nfrom torch import nn\nn = torch.sqrt(torch.dot(v, v) + 1e-8)\n"),
        # exp underflows: the exact rewrite
        Invalid("import tensorflow as tf\nstd = tf.sqrt(tf.exp(log_sigma_sq))\n",
                "import tensorflow as tf\nstd = tf.exp(0.5 * log_sigma_sq)\n"),
        Invalid("import torch\nfrom torch import nn\nstd = logvar.exp().sqrt()\n",
                "import torch\nfrom torch import nn\nstd = (0.5 * logvar).exp()\n"),
        Invalid("import torch\nfrom torch import nn\nvar = torch.exp(a - b)\nstd = var ** 0.5\n",
                "import torch\nfrom torch import nn\nvar = torch.exp(a - b)\nstd = torch.exp(0.5 * (a - b))\n"),
        # TensorFlow, JAX, Keras, Theano
        Invalid("import tensorflow as tf\nd = tf.sqrt(tf.reduce_sum(tf.square(a - b), axis=-1))\n",
                "import tensorflow as tf\nd = tf.sqrt(tf.reduce_sum(tf.square(a - b), axis=-1) + 1e-8)\n"),
        Invalid("import jax.numpy as jnp\nd = jnp.sqrt(jnp.sum((a[:, None] - b[None]) ** 2, axis=-1))\n",
                "import jax.numpy as jnp\nd = jnp.sqrt(jnp.sum((a[:, None] - b[None]) ** 2, axis=-1) + 1e-8)\n"),
        Invalid("from keras import ops\nn = ops.sqrt(ops.sum(ops.square(x), axis=-1))\n",
                "from keras import ops\nn = ops.sqrt(ops.sum(ops.square(x), axis=-1) + 1e-8)\n"),
        Invalid("import theano.tensor as T\nnorms = T.sqrt(T.sum(g ** 2))\n",
                "import theano.tensor as T\nnorms = T.sqrt(T.sum(g ** 2) + 1e-8)\n"),
        Invalid("import torch\nfrom torch import nn\nmag = torch.sqrt(dx ** 2 + dy ** 2)\n",
                "import torch\nfrom torch import nn\nmag = torch.sqrt(dx ** 2 + dy ** 2 + 1e-8)\n"),
    ]
