"""## What it does
Flags three hand-written forms that overflow in `exp`:
- the naive softmax `exp(x) / sum(exp(x))` without subtracting the maximum first
  (also through a name: `e = np.exp(z); e / e.sum(axis=1, keepdims=True)`);
- `log(sum(exp(x)))`, the log-sum-exp computed directly;
- `log(1 + exp(x))` (and `log1p(exp(x))`), the softplus computed directly.

An exponent the user shifted (`exp(x - x.max(...))`, `exp(x - m)`) or bounded
(`exp(-abs(x))`) is not flagged.

## Why is this bad?
`exp(89.)` is `inf` in float32 (`exp(710.)` in float64). In the naive softmax one large
logit gives `inf / inf = nan`; `log(sum(exp(x)))` and `log(1 + exp(x))` give `inf` where
the true value is about `max(x)`. Seed 001 lists "activations outputting inf/inf" among
the NaN sources and "safe softmax" among the remedies.

## Example
```python
probs = torch.exp(scores) / torch.exp(scores).sum(dim=1, keepdim=True)
log_z = np.log(np.sum(np.exp(z), axis=1))
sp = torch.log(1 + torch.exp(x))
```

## Use instead
```python
probs = torch.softmax(scores, dim=1)
log_z = scipy.special.logsumexp(z, axis=1)
sp = torch.nn.functional.softplus(x)   # np.logaddexp(0, x) in NumPy
```

## Fix safety
Safe, and offered only where the rewrite is exactly the same computation: the naive
softmax becomes `softmax(x, axis)` only when its sum has an integer axis and
`keepdims=True` (without them the division broadcasts differently, so no fix, as
TorchFix's TOR108 refuses a `sum` without `dim`); `log(sum(exp(x), axis, keepdims))`
becomes `logsumexp(x, axis, keepdims)` with the same arguments (torch's `logsumexp`
needs a `dim`); `log(1 + exp(x))` becomes the framework's softplus (`np.logaddexp(0, x)`
in NumPy). SciPy's `softmax` and `logsumexp` are used for NumPy code only when the
file already imports SciPy. No fix when the pieces are bound to names, when the sum has other arguments
(`dtype=`, `out=`), or when the framework has no stable form (Theano's softmax and
logsumexp); the message says what to use.
"""

from __future__ import annotations

import libcst as cst

from nanlint.analysis.divisors import arg, call, quantities, short
from nanlint.analysis.facts import facts, signed_terms
from nanlint.analysis.guards import literal_number
from nanlint.analysis.values import Op, argument
from nanlint.catalog.log_exp import LOGSUMEXP_FORMS, SOFTMAX_FORMS, SOFTPLUS_FORMS
from nanlint.catalog.roles import EXP, LOG, LOG1P, SUM
from nanlint.finding import SAFE
from nanlint.fixes import FixSpec, NeededImport
from nanlint.rules import Invalid, Rule


def _form_key(ctx, op: Op) -> str | None:
    if op.is_method:
        return "method" if "torch" in ctx.imports.roots else None
    return quantities(ctx).framework_key(op)


def _is_true(expr: cst.BaseExpression | None) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "True"


def _int_literal(expr: cst.BaseExpression | None) -> bool:
    number = literal_number(expr) if expr is not None else None
    return number is not None and number == int(number) and isinstance(
        expr.expression if isinstance(expr, cst.UnaryOperation) else expr, cst.Integer)


def _only_axis_and_keepdims(op: Op, keep: cst.BaseExpression | None) -> bool:
    """The reduction has no arguments but its input, axis and keep-dims flag."""
    known = {id(e) for e in (op.input, op.axis, keep) if e is not None}
    return all(id(a.value) in known and not a.star for a in op.call.args)


def _shown(ctx, node: cst.Call) -> str:
    text = ctx.code_for(node)
    return text if len(text) <= 50 and "\n" not in text else ctx.code_for(node.func)


class UnstableExp(Rule):
    code = "NAN105"
    name = "unstable-exp"
    severity = "warning"
    fix = SAFE

    def check(self) -> None:
        ctx = self.ctx
        values = ctx.values
        exps = list(values.ops(EXP))
        if not exps:
            return
        known = facts(values)
        exp_names = set()
        for op in exps:
            parent = ctx.index.parent(op.call)
            if isinstance(parent, cst.Assign):
                exp_names.update(t.target.value for t in parent.targets if isinstance(t.target, cst.Name))
        for division in ctx.index.of_type(cst.BinaryOperation):
            if not isinstance(division.operator, cst.Divide):
                continue
            left = division.left
            if isinstance(left, cst.Name) and left.value not in exp_names:
                continue
            if not isinstance(left, (cst.Name, cst.Call)):
                continue
            naive = known.naive_softmax(division)
            if naive is not None:
                self._softmax(division, *naive)
        for op in values.ops(LOG, LOG1P):
            if op.input is not None:
                self._log_of_exp(op)

    # -- exp(x) / sum(exp(x)) -------------------------------------------------------------
    def _softmax(self, division: cst.BinaryOperation, exp: Op, total: Op) -> None:
        ctx = self.ctx
        problem = (f"naive softmax `{short(ctx, division, 50)}` overflows to inf / inf = nan "
                   f"once a logit exceeds about 88 (float32)")
        new = self._softmax_rewrite(division, exp, total)
        if isinstance(new, str):
            ctx.report(division, f"{problem}; subtract the max first or use the framework's softmax ({new})")
            return
        node, imports = new
        shown = ctx.code_for(node)
        ctx.report(division, f"{problem}; use `{shown if len(shown) <= 50 else ctx.code_for(node.func)}`",
                   fix=FixSpec(SAFE, "Use the framework's softmax", [(division, node)], imports))

    def _softmax_rewrite(self, division: cst.BinaryOperation, exp: Op, total: Op):
        ctx = self.ctx
        if division.left is not exp.call or division.right is not total.call or total.input is not self._sum_exp(total):
            return "no automatic fix: the parts are bound to names"
        form = SOFTMAX_FORMS.get(_form_key(ctx, exp) or "")
        if form is None:
            return "no automatic fix: the framework has no softmax"
        keep = argument(total.call, total.api.extra.get("keepdims"))
        if not (_int_literal(total.axis) and _is_true(keep)) or not _only_axis_and_keepdims(total, keep):
            return "no automatic fix: the sum needs an integer axis and keepdims=True to be exact"
        target, axis_keyword = form
        return self._spelled(target, exp, [arg(exp.input), arg(total.axis, axis_keyword, last=True)])

    def _sum_exp(self, total: Op) -> cst.BaseExpression | None:
        exp = facts(self.ctx.values).exp_of(total.input) if total.input is not None else None
        return exp.call if exp is not None else None

    # -- log(sum(exp(x))), log(1 + exp(x)) -------------------------------------------------
    def _log_of_exp(self, log: Op) -> None:
        values = self.ctx.values
        known = facts(values)
        if log.role == LOG1P:
            exp = known.exp_of(log.input)
            if exp is not None and exp.input is not None and not known.shifted_exponent(exp.input):
                self._softplus(log, exp, direct=log.input is exp.call)
            return
        produced = values.producer(log.input)
        if produced is not None and produced.op.role == SUM and produced.op.input is not None:
            exp = known.exp_of(produced.op.input)
            if exp is not None and exp.input is not None and not known.shifted_exponent(exp.input):
                direct = not produced.via and produced.op.input is exp.call
                self._logsumexp(log, produced.op, exp, direct)
            return
        target, _ = values.resolve(log.input)
        terms = signed_terms(target) if isinstance(target, cst.BinaryOperation) else []
        if len(terms) != 2 or any(sign < 0 for sign, _ in terms):
            return
        ones = [t for _, t in terms if literal_number(t) == 1.0]
        others = [t for _, t in terms if literal_number(t) != 1.0]
        if len(ones) != 1 or len(others) != 1:
            return
        exp = known.exp_of(others[0])
        if exp is not None and exp.input is not None and not known.shifted_exponent(exp.input):
            self._softplus(log, exp, direct=target is log.input and others[0] is exp.call)

    def _logsumexp(self, log: Op, total: Op, exp: Op, direct: bool) -> None:
        ctx = self.ctx
        problem = f"`{short(ctx, log.call, 50)}` overflows to inf once an exponent exceeds about 88 (float32)"
        form = LOGSUMEXP_FORMS.get(_form_key(ctx, log) or "")
        keep = argument(total.call, total.api.extra.get("keepdims"))
        reason = None
        if not direct:
            reason = "the parts are bound to names"
        elif form is None:
            reason = "the framework has no logsumexp"
        elif not _only_axis_and_keepdims(total, keep):
            reason = "the sum has other arguments"
        elif total.axis is None and form[3]:
            reason = "`logsumexp` needs the axis, and the sum has none"
        if reason is not None:
            ctx.report(log.call, f"{problem}; use the framework's logsumexp (no automatic fix: {reason})")
            return
        target, axis_keyword, keep_keyword, _ = form
        args = [arg(exp.input)]
        if total.axis is not None:
            args.append(arg(total.axis, axis_keyword))
        if keep is not None:
            args.append(arg(keep, keep_keyword))
        new = self._spelled(target, exp if target.startswith(".") else log, args)
        if isinstance(new, str):
            ctx.report(log.call, f"{problem}; use the framework's logsumexp ({new})")
            return
        node, imports = new
        ctx.report(log.call, f"{problem}; use `{_shown(ctx, node)}`",
                   fix=FixSpec(SAFE, "Use the framework's logsumexp", [(log.call, node)], imports))

    def _softplus(self, log: Op, exp: Op, direct: bool) -> None:
        ctx = self.ctx
        problem = f"`{short(ctx, log.call, 50)}` overflows to inf once the exponent exceeds about 88 (float32)"
        form = SOFTPLUS_FORMS.get(_form_key(ctx, log) or "")
        if not direct or form is None:
            reason = "the parts are bound to names" if not direct else "the framework has no softplus"
            ctx.report(log.call, f"{problem}; use the framework's softplus (no automatic fix: {reason})")
            return
        target, logaddexp = form
        args = [arg(cst.Integer("0")), arg(exp.input)] if logaddexp else [arg(exp.input)]
        new = self._spelled(target, None, args)
        if isinstance(new, str):
            ctx.report(log.call, f"{problem}; use the framework's softplus ({new})")
            return
        node, imports = new
        ctx.report(log.call, f"{problem}; use `{_shown(ctx, node)}`",
                   fix=FixSpec(SAFE, "Use the framework's softplus", [(log.call, node)], imports))

    # -- spelling ---------------------------------------------------------------------------
    def _spelled(self, target: str, like: Op | None, args: list[cst.Arg]
                 ) -> tuple[cst.Call, list[NeededImport]] | str:
        """``target(*args)`` spelled for this file; a ``.method`` target is called on the
        first argument."""
        if target.startswith("."):
            receiver = args[0].value
            if not isinstance(receiver, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)) and not receiver.lpar:
                receiver = receiver.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
            return call(cst.Attribute(value=receiver, attr=cst.Name(target[1:])), *args[1:]), []
        root = target.split(".")[0]
        if root == "scipy" and root not in self.ctx.imports.roots:
            return "no automatic fix: the file does not use SciPy, whose function it would need"
        spelled = self.ctx.callee(target, like=None if like is None or like.is_method else like.call.func)
        if spelled is None:
            return f"no automatic fix: `{target.rpartition('.')[2]}` would clash with a name in this file"
        func, needed = spelled
        return call(func, *args), [needed] if needed else []

    VALID = [
        # max subtraction
        "import numpy as np\ndef softmax(z):\n    s = z - z.max(axis=1, keepdims=True)\n"
        "    return np.exp(s) / np.sum(np.exp(s), axis=1, keepdims=True)\n",
        "import torch\ne = torch.exp(x - x.amax(dim=1, keepdim=True))\np = e / e.sum(dim=1, keepdim=True)\n",
        # the stable functions
        "import torch\np = torch.softmax(x, dim=1)\n",
        "import torch\nlz = torch.logsumexp(x, dim=1)\n",
        "import numpy as np\nsp = np.logaddexp(0, x)\n",
        "import torch.nn.functional as F\nsp = F.softplus(x)\n",
        # bounded exponents
        "import numpy as np\nt = np.log1p(np.exp(-np.abs(x)))\n",
        "import torch\nt = torch.log(1 + torch.exp(-x.abs()))\n",
        # exponents that are <= 0: a Gaussian kernel, a log-probability, -|d| * log(2)
        "import numpy as np\nk = np.exp(-0.5 * (x / sigma) ** 2)\nk = k / np.sum(k)\n",
        "from keras import ops\ng = ops.exp(-(x ** 2) / (2.0 * sigma ** 2))\ng = g / ops.sum(g)\n",
        "import tensorflow as tf\nlog2 = tf.cast(tf.math.log(2.0), tf.float32)\n"
        "y = tf.math.log1p(tf.math.exp(-tf.abs(d) * log2)) / log2\n",
        "import torch\nlp = torch.log_softmax(z, 1)\nlz = torch.log(torch.exp(lp).sum(1))\n",
        # different exponents above and below
        "import torch\nr = torch.exp(a) / torch.exp(b).sum()\n",
        # not a log of a sum of exps
        "import torch\nlz = torch.log(torch.sum(x, dim=1))\n",
        "import torch\nlz = torch.log(2 + torch.exp(x))\n",
        # exp divided by something else
        "import torch\nr = torch.exp(x) / n\n",
        # math on numbers is not a tensor computation
        "import math\ny = math.log(1 + math.exp(z))\n",
    ]

    INVALID = [
        # naive softmax, exact: axis and keepdim
        Invalid("import torch\np = torch.exp(s) / torch.exp(s).sum(dim=1, keepdim=True)\n",
                "import torch\np = torch.softmax(s, dim=1)\n"),
        Invalid("import tensorflow as tf\np = tf.exp(s) / tf.reduce_sum(tf.exp(s), axis=-1, keepdims=True)\n",
                "import tensorflow as tf\np = tf.nn.softmax(s, axis=-1)\n"),
        # no keepdims: the broadcast differs, so no fix
        Invalid("import numpy as np\np = np.exp(z) / np.sum(np.exp(z), axis=1)\n", None),
        # through names: reported, no fix
        Invalid("import numpy as np\ne = np.exp(z)\np = e / e.sum(axis=1, keepdims=True)\n", None),
        # log(sum(exp(x)))
        Invalid("import numpy as np\nimport scipy.special\nlz = np.log(np.sum(np.exp(z), axis=1))\n",
                "import numpy as np\nimport scipy.special\nlz = scipy.special.logsumexp(z, axis=1)\n"),
        # NumPy without SciPy: no fix (it would add a dependency)
        Invalid("import numpy as np\np = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)\n", None),
        Invalid("import jax.numpy as jnp\nlz = jnp.log(jnp.sum(jnp.exp(z), axis=-1, keepdims=True))\n",
                "import jax.numpy as jnp\nimport jax\nlz = jax.nn.logsumexp(z, axis=-1, keepdims=True)\n"),
        Invalid("import torch\nlz = torch.exp(x).sum(1).log()\n", "import torch\nlz = x.logsumexp(dim=1)\n"),
        # torch's logsumexp needs dim
        Invalid("import torch\nlz = torch.log(torch.sum(torch.exp(x)))\n", None),
        # log(1 + exp(x))
        Invalid("import torch\nsp = torch.log(1 + torch.exp(x))\n",
                "import torch\nsp = torch.nn.functional.softplus(x)\n"),
        Invalid("import numpy as np\nsp = np.log(np.exp(z) + 1)\n", "import numpy as np\nsp = np.logaddexp(0, z)\n"),
        Invalid("from keras import ops\nsp = ops.log1p(ops.exp(v))\n", "from keras import ops\nsp = ops.softplus(v)\n"),
        Invalid("import theano.tensor as T\nsp = T.log(1 + T.exp(a))\n",
                "import theano.tensor as T\nsp = T.nnet.softplus(a)\n"),
    ]
