"""## What it does
Flags `acos(c)` / `asin(c)` (`torch.acos`, `torch.arccos`, `Tensor.acos`, `tf.acos`,
`jnp.arccos`, `keras.ops.arccos`, `T.arccos`, and the `asin` family) whose argument is
a cosine similarity (`F.cosine_similarity`, `nn.CosineSimilarity`,
`tf.keras.losses.cosine_similarity`, `optax.cosine_similarity`) or a normalised dot
product (`(a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1))`, `F.normalize(a) @
F.normalize(b).T`), with no clamp strictly inside (-1, 1). Only in differentiable
frameworks; `np.arccos` and other arguments (`acos(quaternion_w)`) are not reported,
and neither is a clamp whose bounds are not literals.

## Why is this bad?
Mathematically a cosine is in [-1, 1], but rounding puts a cosine similarity of a
vector with itself at `1.0000001`, and `acos` of that is nan. At exactly +-1 the value
is fine but the derivative `-1 / sqrt(1 - c**2)` is inf, and the backward pass turns it
into nan. Clamping to `[-1, 1]` keeps the value but not the gradient.

## Example
```python
angle = torch.acos(F.cosine_similarity(a, b, dim=1))
```

## Use instead
```python
angle = torch.acos(torch.clamp(F.cosine_similarity(a, b, dim=1), -1 + 1e-7, 1 - 1e-7))
```

## Fix safety
Unsafe: the clamp changes the angle of (anti-)parallel vectors by about `sqrt(2 * eps)`.
The fix clamps to `[-1 + eps, 1 - eps]` with the framework's clamp (`torch.clamp`,
`Tensor.clamp`, `tf.clip_by_value`, `jnp.clip`, `keras.ops.clip`, `T.clip`), or tightens
an existing `clamp(c, -1, 1)`. `eps` is the configured epsilon, but at least 1e-7:
a smaller one rounds `1 - eps` to 1 in float32 (see NAN305).
"""

from __future__ import annotations

import libcst as cst

from nanlint.analysis.divisors import (
    Quantities,
    arg,
    binary,
    call,
    clip_spelling,
    eps_literal,
    quantities,
    receiver,
    short,
    spaced,
)
from nanlint.analysis.values import Op, argument
from nanlint.catalog.division_roots import DIFFERENTIABLE
from nanlint.catalog.roles import ACOS, ASIN, CLAMP
from nanlint.finding import UNSAFE
from nanlint.fixes import FixSpec, NeededImport
from nanlint.rules import Invalid, Rule

# Below this, ``1 - eps`` rounds to 1 in float32 (2**-24 is about 6e-8).
FLOAT32_EPS_NEAR_ONE = 1e-7


class AcosAsinDomain(Rule):
    code = "NAN203"
    name = "acos-asin-domain"
    severity = "warning"
    fix = UNSAFE

    def check(self) -> None:
        ctx = self.ctx
        if not ctx.imports.roots & DIFFERENTIABLE:
            return
        found = quantities(ctx)
        for op in ctx.values.ops(ACOS, ASIN):
            if op.input is None or found.framework_of(op) not in DIFFERENTIABLE:
                continue
            what = found.cosine_like(op.input)
            if what is not None:
                self._report(found, op, what)

    def _report(self, found: Quantities, op: Op, what: str) -> None:
        ctx = self.ctx
        eps = eps_literal(max(ctx.config.eps, FLOAT32_EPS_NEAR_ONE))
        low = binary(cst.UnaryOperation(cst.Minus(), cst.Integer("1")), spaced(cst.Add), cst.Float(eps))
        high = binary(cst.Integer("1"), spaced(cst.Subtract), cst.Float(eps))
        name = "acos" if op.role == ACOS else "asin"
        bounds = f"[-1 + {eps}, 1 - {eps}]"
        tightened = self._tighten(op.input, low, high)
        if tightened is not None:
            problem = (f"`{short(ctx, op.input)}` clamps {what} to [-1, 1], where the gradient of `{name}` is "
                       f"inf; clamp it to {bounds} instead")
        else:
            problem = (f"`{short(ctx, op.input)}` is {what}, which rounding can push past +-1 (nan in `{name}`), "
                       f"and the gradient of `{name}` is inf at +-1; clamp it to {bounds} first")
        fix = tightened or self._wrap(found, op, low, high)
        if fix is None:
            ctx.report(op.call, problem)
            return
        replacements, imports = fix
        ctx.report(op.call, problem, fix=FixSpec(UNSAFE, f"Clamp to {bounds}", replacements, imports))

    def _tighten(self, written: cst.BaseExpression, low, high):
        """``acos(clamp(c, -1, 1))``: move the written bounds inside (-1, 1)."""
        if not isinstance(written, cst.Call):
            return None
        clamp = self.ctx.values.op(written)
        if clamp is None or clamp.role != CLAMP:
            return None
        lower = argument(written, clamp.api.extra["min"])
        upper = argument(written, clamp.api.extra["max"])
        if lower is None or upper is None:
            return None
        found = quantities(self.ctx)
        replacements = [(bound, new) for bound, new, limit in ((lower, low, -1.0), (upper, high, 1.0))
                        if found.bound(bound, limit) == "loose"]
        return (replacements, []) if replacements else None

    def _wrap(self, found: Quantities, op: Op, low, high
              ) -> tuple[list[tuple[cst.CSTNode, cst.CSTNode]], list[NeededImport]] | None:
        ctx = self.ctx
        key = found.framework_key(op)
        if op.is_method:
            name = "clamp" if key == "torch" else "clip"
            clamped = call(cst.Attribute(value=receiver(op.input), attr=cst.Name(name)), arg(low), arg(high))
            return [(op.input, clamped)], []
        spelled = clip_spelling(ctx, op, key)
        if spelled is None:
            return None
        func, needed = spelled
        clamped = call(func, arg(op.input.with_changes(lpar=[], rpar=[])), arg(low), arg(high))
        return [(op.input, clamped)], [needed] if needed else []

    VALID = [
        "import torch\nimport torch.nn.functional as F\n"
        "a = torch.acos(torch.clamp(F.cosine_similarity(x, y, dim=1), -1 + 1e-7, 1 - 1e-7))\n",
        "import torch\nimport torch.nn.functional as F\neps = 1e-6\n"
        "a = torch.acos(F.cosine_similarity(x, y).clamp(-1 + eps, 1 - eps))\n",
        "import torch\nimport torch.nn.functional as F\n"
        "a = torch.acos(F.cosine_similarity(x, y).clamp(-0.9999, 0.9999))\n",
        "import tensorflow as tf\nc = tf.clip_by_value(tf.keras.losses.cosine_similarity(a, b), -0.999999, 0.999999)\n"
        "angle = tf.acos(c)\n",
        # NumPy has no gradients
        "import numpy as np\nc = np.sum(u * v) / (np.linalg.norm(u) * np.linalg.norm(v))\nangle = np.arccos(c)\n",
        # not a cosine
        "import torch\ntheta = 2 * torch.acos(quaternion_w)\n",
        "import torch\nx = torch.asin(torch.sigmoid(z))\n",
        "import torch\nx = torch.acos(torch.tanh(z) * 0.999)\n",
        # clamp bounds that are not literals: unknown, not reported
        "import torch\nimport torch.nn.functional as F\na = torch.acos(F.cosine_similarity(x, y).clamp(lo, hi))\n",
        # a plain dot product, not normalised
        "import torch\na = torch.acos((x * y).sum(-1))\n",
        "import math\nimport torch\na = math.acos(c)\n",
        "import jax.numpy as jnp\n"
        "c = jnp.clip(jnp.dot(u, v) / (jnp.linalg.norm(u) * jnp.linalg.norm(v)), -1 + 1e-7, 1 - 1e-7)\n"
        "a = jnp.arccos(c)\n",
    ]

    INVALID = [
        Invalid("import torch\nimport torch.nn.functional as F\na = torch.acos(F.cosine_similarity(x, y, dim=1))\n",
                "import torch\nimport torch.nn.functional as F\n"
                "a = torch.acos(torch.clamp(F.cosine_similarity(x, y, dim=1), -1 + 1e-7, 1 - 1e-7))\n"),
        Invalid("import torch\nimport torch.nn.functional as F\nc = F.cosine_similarity(x, y)\na = c.acos()\n",
                "import torch\nimport torch.nn.functional as F\nc = F.cosine_similarity(x, y)\n"
                "a = c.clamp(-1 + 1e-7, 1 - 1e-7).acos()\n"),
        Invalid("import torch\nimport torch.nn.functional as F\n"
                "a = torch.acos(torch.clamp(F.cosine_similarity(x, y), -1, 1))\n",
                "import torch\nimport torch.nn.functional as F\n"
                "a = torch.acos(torch.clamp(F.cosine_similarity(x, y), -1 + 1e-7, 1 - 1e-7))\n"),
        Invalid("import torch\nfrom torch import nn\nclass M(nn.Module):\n    def __init__(self):\n"
                "        super().__init__()\n        self.cos = nn.CosineSimilarity(dim=1)\n"
                "    def forward(self, a, b):\n        return torch.arccos(self.cos(a, b))\n",
                "import torch\nfrom torch import nn\nclass M(nn.Module):\n    def __init__(self):\n"
                "        super().__init__()\n        self.cos = nn.CosineSimilarity(dim=1)\n"
                "    def forward(self, a, b):\n"
                "        return torch.arccos(torch.clamp(self.cos(a, b), -1 + 1e-7, 1 - 1e-7))\n"),
        Invalid("import torch\ncos = (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1)).clamp(min=1e-8)\n"
                "angle = torch.acos(cos)\n",
                "import torch\ncos = (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1)).clamp(min=1e-8)\n"
                "angle = torch.acos(torch.clamp(cos, -1 + 1e-7, 1 - 1e-7))\n"),
        Invalid("import torch\nimport torch.nn.functional as F\n"
                "sim = F.normalize(a, dim=-1) @ F.normalize(b, dim=-1).T\n"
                "ang = torch.asin(sim)\n",
                "import torch\nimport torch.nn.functional as F\n"
                "sim = F.normalize(a, dim=-1) @ F.normalize(b, dim=-1).T\n"
                "ang = torch.asin(torch.clamp(sim, -1 + 1e-7, 1 - 1e-7))\n"),
        Invalid("import tensorflow as tf\nangle = tf.acos(tf.keras.losses.cosine_similarity(a, b))\n",
                "import tensorflow as tf\n"
                "angle = tf.acos(tf.clip_by_value(tf.keras.losses.cosine_similarity(a, b), -1 + 1e-7, 1 - 1e-7))\n"),
        Invalid("import tensorflow as tf\nu = tf.math.l2_normalize(a, axis=-1)\nv = tf.math.l2_normalize(b, axis=-1)\n"
                "angle = tf.math.acos(tf.reduce_sum(u * v, axis=-1))\n",
                "import tensorflow as tf\nu = tf.math.l2_normalize(a, axis=-1)\nv = tf.math.l2_normalize(b, axis=-1)\n"
                "angle = tf.math.acos(tf.clip_by_value(tf.reduce_sum(u * v, axis=-1), -1 + 1e-7, 1 - 1e-7))\n"),
        Invalid("import jax.numpy as jnp\nc = jnp.dot(u, v) / (jnp.linalg.norm(u) * jnp.linalg.norm(v) + 1e-8)\n"
                "a = jnp.arccos(c)\n",
                "import jax.numpy as jnp\nc = jnp.dot(u, v) / (jnp.linalg.norm(u) * jnp.linalg.norm(v) + 1e-8)\n"
                "a = jnp.arccos(jnp.clip(c, -1 + 1e-7, 1 - 1e-7))\n"),
        Invalid("import optax\nimport jax.numpy as jnp\na = jnp.arcsin(optax.cosine_similarity(p, t))\n",
                "import optax\nimport jax.numpy as jnp\n"
                "a = jnp.arcsin(jnp.clip(optax.cosine_similarity(p, t), -1 + 1e-7, 1 - 1e-7))\n"),
        Invalid("from keras import ops\nn = ops.maximum(ops.norm(a, axis=-1) * ops.norm(b, axis=-1), 1e-8)\n"
                "t = ops.arccos(ops.sum(a * b, axis=-1) / n)\n",
                "from keras import ops\nn = ops.maximum(ops.norm(a, axis=-1) * ops.norm(b, axis=-1), 1e-8)\n"
                "t = ops.arccos(ops.clip(ops.sum(a * b, axis=-1) / n, -1 + 1e-7, 1 - 1e-7))\n"),
    ]
