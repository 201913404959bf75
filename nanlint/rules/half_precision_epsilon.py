"""## What it does
In a module that computes in float16 (`.half()`, `torch.float16`/`torch.half`,
`autocast(dtype=torch.float16)`, `torch.autocast("cuda")` and
`torch.cuda.amp.autocast()` whose default is float16, a Keras `mixed_float16`
policy, `np.float16`, `jnp.float16`, `tf.float16`), flags an epsilon below
float16's smallest positive value (2**-24, about 6e-8):

- added as a guard: `log(p + 1e-8)`, `x / (s + 1e-10)`, also through a name
  (`EPS = 1e-8` ... `p + EPS`);
- a clamp's lower bound: `clamp(min=1e-10)`, `clamp_min(1e-12)`, `maximum(x, 1e-9)`;
- an `eps=` / `epsilon=` argument of a framework call: `F.normalize(x, eps=1e-12)`,
  `nn.BatchNorm2d(64, eps=1e-12)` (not the normalizations that apply it in float32:
  torch's `LayerNorm`, `GroupNorm`, `RMSNorm`, Keras' `BatchNormalization`);
- a torch Adam-family optimizer (Adam, AdamW, Adamax, NAdam, RAdam, RMSprop,
  Adagrad) left at its default `eps` (1e-8, Adagrad 1e-10) over `.half()`
  parameters, and TF1's `tf.train.AdamOptimizer` over float16 variables.

bfloat16 is not float16 (it has float32's range), Keras' Adam (default 1e-7) and
anything under `mixed_float16` (variables stay float32) keep a representable
optimizer epsilon, and an epsilon between 6e-8 and 6e-5 is subnormal but not 0:
none of these are reported.

## Why is this bad?
float16 cannot hold a number below 6e-8: `1e-8` rounds to exactly 0, so
`log(p + 1e-8)` is `log(0) = -inf` when `p` underflows, and the division the
epsilon was meant to protect divides by 0. Adam's update divides by
`sqrt(v) + eps`; with float16 parameters its state is float16, the epsilon is 0,
and a parameter whose gradient is 0 gets `0 / 0 = nan`.

## Example
```python
model = Net().cuda().half()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
log_p = torch.log(probs + 1e-8)
```

## Use instead
```python
model = Net().cuda().half()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-4, eps=1e-4)
log_p = torch.log(probs + 1e-4)
```
Better still, keep the parameters in float32 and use autocast with a GradScaler.

## Fix safety
Unsafe: the fix writes a representable epsilon (`half-eps` in the configuration,
default 1e-4), which changes the computed values slightly; in float32 code paths of
the same module it is a larger epsilon than before.
"""

from __future__ import annotations

import libcst as cst
from libcst import MaybeSentinel

from nanlint.analysis.precision import (
    FLOAT16_TINY,
    constant,
    format_eps,
    format_number,
    has_role,
    is_float16_parameters,
    precision_of,
    to_float16,
)
from nanlint.analysis.values import argument
from nanlint.catalog import FRAMEWORK_ROOTS
from nanlint.catalog.optimizers import FLOAT32_EPS_CALLS
from nanlint.catalog.roles import CLAMP, CLAMP_MIN, MAXIMUM, OPTIMIZER, PARAMETERS
from nanlint.finding import UNSAFE
from nanlint.fixes import FixSpec
from nanlint.rules import Invalid, Rule

EPS_KEYWORDS = frozenset({"eps", "epsilon"})


class HalfPrecisionEpsilon(Rule):
    code = "NAN302"
    name = "half-precision-epsilon"
    severity = "warning"
    fix = UNSAFE

    def check(self) -> None:
        ctx = self.ctx
        if not ctx.framework_file:
            return
        facts = precision_of(ctx)
        values = ctx.values
        for call in ctx.index.of_type(cst.Call):
            op = values.op(call)
            if op is not None and op.role == OPTIMIZER:
                self._check_optimizer(op, facts)
                continue
            if not facts.float16:
                continue
            if op is not None and op.role in (CLAMP, CLAMP_MIN):
                self._check_guard(call, argument(call, op.api.extra["min"]))
            elif op is not None and op.role == MAXIMUM:
                for operand in (op.input, argument(call, op.api.extra["other"])):
                    self._check_guard(call, operand)
            else:
                for arg in call.args:
                    if arg.keyword is not None and arg.keyword.value in EPS_KEYWORDS \
                            and self._is_framework_call(call):
                        self._check_guard(call, arg.value)
        if not facts.float16:
            return
        for binop in ctx.index.of_type(cst.BinaryOperation):
            if isinstance(binop.operator, cst.Add):
                for side, other in ((binop.left, binop.right), (binop.right, binop.left)):
                    if constant(self.ctx.values, other) is None:
                        self._check_guard(binop, side)

    # -- epsilons written in the code ------------------------------------------------------
    def _check_guard(self, guard: cst.CSTNode, expr: cst.BaseExpression | None) -> None:
        literal = self._tiny_literal(expr) if expr is not None else None
        if literal is None:
            return
        self._report_literal(literal, self._consumers(guard))

    def _tiny_literal(self, expr: cst.BaseExpression) -> cst.BaseExpression | None:
        """The literal of an epsilon below float16's smallest value that ``expr`` is, or
        names (``EPS = 1e-8``)."""
        value = constant(self.ctx.values, expr)
        if value is None or not 0 < value < FLOAT16_TINY:
            return None
        if isinstance(expr, (cst.Name, cst.Attribute)):
            expr, _ = self.ctx.values.resolve(expr)
        return expr

    def _report_literal(self, literal: cst.BaseExpression, covers: tuple[cst.CSTNode, ...]) -> None:
        value = constant(self.ctx.values, literal)
        eps = format_eps(self.ctx.config.half_eps)
        written = self.ctx.code_for(literal)
        becomes = "0" if to_float16(value) == 0 else "6e-8"
        self.ctx.report(
            literal,
            f"epsilon `{written}` is below float16's smallest value (6e-8) and rounds to {becomes} in this "
            f"half-precision code, so it guards nothing; use {eps}",
            fix=FixSpec(UNSAFE, f"Use {eps}", [(literal, cst.Float(eps))]),
            covers=covers,
        )

    def _consumers(self, guard: cst.CSTNode) -> tuple[cst.CSTNode, ...]:
        """The guard and the operation it was meant to protect: ``log(p + eps)``,
        ``a / s.clamp(min=eps)``, ``(p + eps).log()``."""
        index = self.ctx.index
        parent = index.parent(guard)
        if isinstance(parent, cst.Arg):
            return guard, index.parent(parent)
        if isinstance(parent, cst.Attribute) and parent.value is guard:
            call = index.parent(parent)
            if isinstance(call, cst.Call) and call.func is parent:
                return guard, call
        if isinstance(parent, cst.BinaryOperation):
            return guard, parent
        return (guard,)

    def _is_framework_call(self, call: cst.Call) -> bool:
        """A framework callable whose ``eps`` is applied in the input's dtype."""
        qualified = self.ctx.values.qualify(call.func)
        return (qualified is not None and qualified.split(".")[0] in FRAMEWORK_ROOTS
                and qualified not in FLOAT32_EPS_CALLS)

    # -- optimizers over float16 parameters -------------------------------------------------
    def _check_optimizer(self, op, facts) -> None:
        extra = op.api.extra
        if "eps" not in extra or not self._float16_parameters(op, facts):
            return
        given = argument(op.call, extra["eps"])
        if given is not None:
            literal = self._tiny_literal(given)
            if literal is not None:
                self._report_literal(literal, ())
            return
        if any(arg.star for arg in op.call.args) or not extra["eps_default"] < FLOAT16_TINY:
            return
        keyword = extra["eps"].keyword
        eps = format_eps(self.ctx.config.half_eps)
        name = op.api.name.rpartition(".")[2]
        self.ctx.report(
            op.call,
            f"{name} keeps its default {keyword}={format_number(extra['eps_default'])}, which is 0 in float16, over "
            f"float16 parameters, so its update divides by zero; pass {keyword}={eps}",
            fix=FixSpec(UNSAFE, f"Pass {keyword}={eps}", [(op.call, _with_keyword(op.call, keyword, eps))]),
        )

    def _float16_parameters(self, op, facts) -> bool:
        if op.api.framework == "tensorflow":
            return facts.tf_float16_variables
        if op.api.framework != "torch" or op.input is None:
            return False
        stack: list[cst.CSTNode] = [op.input]
        while stack:  # model.parameters(), also inside a list of parameter groups
            node = stack.pop()
            if isinstance(node, cst.Call) and has_role(self.ctx.values, node, PARAMETERS) is not None:
                if is_float16_parameters(self.ctx, node):
                    return True
                continue
            stack.extend(node.children)
        return False

    VALID = [
        # not a float16 module
        "import torch\ny = torch.log(p + 1e-8)\n",
        "import torch\nmodel = Net().cuda()\nopt = torch.optim.Adam(model.parameters())\n",
        # representable epsilons (subnormal is not 0)
        "import torch\nmodel = Net().half()\ny = torch.log(p + 1e-4)\n",
        "import torch\nfrom torch import nn\nmodel = Net().half()\nnorm = nn.GroupNorm(8, 64, eps=1e-6)\n",
        "import torch\nmodel = Net().half()\nz = x / s.clamp(min=1e-7)\n",
        # bfloat16 is not float16
        "import torch\nwith torch.autocast('cuda', dtype=torch.bfloat16):\n    y = torch.log(p + 1e-8)\n",
        "import torch\nwith torch.autocast('cpu'):\n    y = torch.log(p + 1e-8)\n",
        "import torch\nmodel = Net().to(torch.bfloat16)\nopt = torch.optim.Adam(model.parameters())\n",
        # reading float16's limits is not computing in it
        "import torch\nbig = torch.finfo(torch.float16).max\nif x.dtype == torch.float16:\n    pass\n"
        "y = torch.log(p + 1e-8)\n",
        # autocast keeps the parameters float32: Adam's default eps is fine
        "import torch\nopt = torch.optim.Adam(model.parameters())\n"
        "with torch.autocast('cuda', dtype=torch.float16):\n    loss = model(x)\n",
        # Keras Adam's default 1e-7 is representable; mixed_float16 keeps variables in float32
        "from tensorflow import keras\nkeras.mixed_precision.set_global_policy('mixed_float16')\n"
        "opt = keras.optimizers.Adam()\n",
        "import tensorflow as tf\ntf.keras.mixed_precision.set_global_policy('mixed_float16')\n"
        "opt = tf.compat.v1.train.AdamOptimizer(1e-3)\n",
        # a half model in one function, another model's optimizer in another
        "import torch\ndef export(model):\n    model.half()\n    torch.save(model.state_dict(), 'm.pt')\n"
        "def train(model):\n    return torch.optim.Adam(model.parameters())\n",
        # LayerNorm applies its eps in float32, even to float16 input
        "import torch\nfrom torch import nn\nmodel = Net().half()\nnorm = nn.LayerNorm(768, eps=1e-12)\n",
        # an eps literal that is not a guard: a constant sum, a user class
        "import torch\nmodel = Net().half()\nscale = 1e-9 + 2e-9\nnorm = MyNorm(64, eps=1e-12)\n",
    ]

    INVALID = [
        Invalid("import torch\nmodel = Net().half()\ny = torch.log(p + 1e-8)\n",
                "import torch\nmodel = Net().half()\ny = torch.log(p + 1e-4)\n"),
        Invalid("import torch\nmodel = Net().half()\nz = x / s.clamp(min=1e-10)\n",
                "import torch\nmodel = Net().half()\nz = x / s.clamp(min=1e-4)\n"),
        Invalid("import torch\nwith torch.cuda.amp.autocast():\n    y = (p + 1e-9).log()\n",
                "import torch\nwith torch.cuda.amp.autocast():\n    y = (p + 1e-4).log()\n"),
        Invalid("import torch\nEPS = 1e-8\nwith torch.autocast('cuda'):\n    y = torch.log(p + EPS)\n",
                "import torch\nEPS = 1e-4\nwith torch.autocast('cuda'):\n    y = torch.log(p + EPS)\n"),
        Invalid("import torch\nimport torch.nn.functional as F\nx = x.to(torch.float16)\n"
                "y = F.normalize(x, dim=-1, eps=1e-12)\n",
                "import torch\nimport torch.nn.functional as F\nx = x.to(torch.float16)\n"
                "y = F.normalize(x, dim=-1, eps=1e-4)\n"),
        Invalid("import torch\nfrom torch import nn\nmodel = Net().half()\nbn = nn.BatchNorm1d(64, eps=1e-12)\n",
                "import torch\nfrom torch import nn\nmodel = Net().half()\nbn = nn.BatchNorm1d(64, eps=1e-4)\n"),
        Invalid("import numpy as np\nx = x.astype(np.float16)\nz = np.maximum(x, 1e-10)\n",
                "import numpy as np\nx = x.astype(np.float16)\nz = np.maximum(x, 1e-4)\n"),
        Invalid("import torch\nmodel = Net().cuda().half()\nopt = torch.optim.Adam(model.parameters(), lr=1e-4)\n",
                "import torch\nmodel = Net().cuda().half()\n"
                "opt = torch.optim.Adam(model.parameters(), lr=1e-4, eps=1e-4)\n"),
        Invalid("import torch\nmodel.half()\nopt = torch.optim.RMSprop(model.parameters(), eps=1e-10)\n",
                "import torch\nmodel.half()\nopt = torch.optim.RMSprop(model.parameters(), eps=1e-4)\n"),
        Invalid("import tensorflow as tf\nx = tf.placeholder(tf.float16, [None, 784])\n"
                "train = tf.train.AdamOptimizer(1e-3).minimize(loss)\n",
                "import tensorflow as tf\nx = tf.placeholder(tf.float16, [None, 784])\n"
                "train = tf.train.AdamOptimizer(1e-3, epsilon=1e-4).minimize(loss)\n"),
        Invalid("import jax.numpy as jnp\nx = jnp.asarray(batch, dtype=jnp.float16)\n"
                "loss = -jnp.mean(jnp.log(p + 1e-10))\n",
                "import jax.numpy as jnp\nx = jnp.asarray(batch, dtype=jnp.float16)\n"
                "loss = -jnp.mean(jnp.log(p + 1e-4))\n"),
    ]


def _with_keyword(call: cst.Call, keyword: str, value: str) -> cst.Call:
    """``call`` with ``keyword=value`` appended, keeping the user's layout."""
    args = list(call.args)
    new = cst.Arg(value=cst.Float(value), keyword=cst.Name(keyword),
                  equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                        whitespace_after=cst.SimpleWhitespace("")))
    if args and args[-1].comma is MaybeSentinel.DEFAULT:
        args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    return call.with_changes(args=[*args, new])
