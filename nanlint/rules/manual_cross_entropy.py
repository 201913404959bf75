"""## What it does
Flags a hand-written cross-entropy whose log is unguarded: a negated sum or mean of a
product with a log, or of an indexed log, in any framework:
`-sum(y * log(p))`, `-(y * log(p)).sum(dim)`,
`tf.reduce_mean(-tf.reduce_sum(y_ * tf.log(y_conv), reduction_indices=[1]))` (seed 000),
`-T.mean(T.log(self.p_y_given_x)[T.arange(y.shape[0]), y])` (seed 001),
`-torch.log(probs[range(n), y]).mean()`, the entropy `-sum(p * log(p))`, the policy
gradient `-(log_p * advantages).mean()`, and the binary cross-entropy
`-(y * log(p) + (1 - y) * log(1 - p))`, also weighted (`-w * log(p) - v * log(1 - p)`)
and also when the log was bound to a name earlier in the same function. The shape is
structural: the log is reported whatever its argument is, unless it is guarded (an
epsilon, a clamp, a `where`) or a constant. One finding per cross-entropy, at its first
unguarded log; it replaces NAN101/NAN102/NAN103 for every log it holds.

A log without that shape (`rate - y * log(rate)`, `-mean(log(sigmoid(x)))`) is NAN101,
NAN102 or NAN103.

## Why is this bad?
Cross-entropy is where a model's confidence meets a log: once a predicted probability
underflows to exactly 0 (a confident softmax in float32) the term is `0 * -inf = nan`
or `-inf`, and the loss is NaN for good. In public collections of NaN bugs this is the
most common cause by far. The framework losses on logits compute the same value in log
space and never take `log(0)`.

## Example
```python
y_conv = tf.nn.softmax(tf.matmul(x, W) + b)
cross_entropy = tf.reduce_mean(-tf.reduce_sum(y_ * tf.log(y_conv), reduction_indices=[1]))
```

## Use instead
```python
logits = tf.matmul(x, W) + b
cross_entropy = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y_, logits=logits))
```
The message names the framework's loss on logits: `F.cross_entropy` /
`F.binary_cross_entropy_with_logits`, `tf.nn.softmax_cross_entropy_with_logits` /
`tf.nn.sigmoid_cross_entropy_with_logits`, `optax.softmax_cross_entropy`, Keras losses
with `from_logits=True`, `scipy.special.log_softmax`.

## Fix safety
When every unguarded log's argument is a visible softmax or sigmoid output (computed in
the same scope, its input movable to the log), the fix is the exact rewrite to
`log_softmax` / `logsigmoid` (`log(1 - sigmoid(x))` becomes `logsigmoid(-x)`) and is
safe. Otherwise the fix adds the configured epsilon inside each unguarded log (or clamps,
with `fix-style = "clamp"`), which changes the values slightly: unsafe. Replacing the
whole expression by a loss on logits needs the logits and the label format, which the
fix cannot know; the message says which loss to use.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from nanlint.analysis.divisors import quantities, short
from nanlint.analysis.facts import facts
from nanlint.analysis.guards import literal_number
from nanlint.analysis.values import Op, Produced
from nanlint.catalog.log_exp import LOGIT_LOSS_NAMES
from nanlint.catalog.roles import GATHER, LOG, LOG_BASE, MEAN, SAME_VALUES, SIGMOID, SOFTMAX, STOP_GRADIENT, SUM
from nanlint.finding import SAFE, UNSAFE
from nanlint.fixes import FixSpec
from nanlint.rewrite import movable, stable_counterpart
from nanlint.rules import Invalid, Rule
from nanlint.rules.unguarded_log import epsilon_guard

LOGS = (LOG, LOG_BASE)
_REDUCTIONS = (SUM, MEAN)
_PASS_THROUGH = (SAME_VALUES, STOP_GRADIENT)
_CLIMB_ROLES = frozenset({SUM, MEAN, GATHER, SAME_VALUES, STOP_GRADIENT})
_ARITHMETIC = (cst.Add, cst.Subtract, cst.Multiply, cst.Divide)
MAX_DEPTH = 24


@dataclass(frozen=True)
class Term:
    """A piece of a cross-entropy: the logs it holds, whether it is negated, whether
    labels (or weights) take part by a product or an index, whether it is summed or
    averaged, and how many log terms a ``+``/``-`` chain combines."""

    logs: tuple[cst.Call, ...]
    negative: bool = False
    targeted: bool = False
    reduced: bool = False
    terms: int = 1

    @property
    def is_cross_entropy(self) -> bool:
        return self.negative and self.targeted and (self.reduced or self.terms >= 2)


class Shapes:
    """Recognises the cross-entropy shapes of one file."""

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.values = ctx.values
        self.index = ctx.index
        self._memo: dict[int, Term | None] = {}

    def term(self, expr: cst.BaseExpression, depth: int = 0) -> Term | None:
        key = id(expr)
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = None  # cycles stop here
        found = self._term(expr, depth) if depth < MAX_DEPTH else None
        self._memo[key] = found
        return found

    def _term(self, expr: cst.BaseExpression, depth: int) -> Term | None:
        if isinstance(expr, cst.Call):
            op = self.values.op(expr)
            if op is None or (op.input is None and op.role not in LOGS):
                return None
            if op.role in LOGS:
                return Term((expr,), targeted=op.input is not None and self._picked(op.input))
            inner = self.term(op.input, depth + 1)
            if inner is None:
                return None
            if op.role in _REDUCTIONS:
                return _with(inner, reduced=True)
            if op.role == GATHER:
                return _with(inner, targeted=True)
            return inner if op.role in _PASS_THROUGH else None
        if isinstance(expr, cst.Subscript):
            inner = self.term(expr.value, depth + 1)
            return _with(inner, targeted=inner.targeted or _indexes(expr)) if inner else None
        if isinstance(expr, cst.UnaryOperation):
            inner = self.term(expr.expression, depth + 1)
            if inner is None or isinstance(expr.operator, (cst.Not, cst.BitInvert)):
                return None
            return _with(inner, negative=not inner.negative) if isinstance(expr.operator, cst.Minus) else inner
        if isinstance(expr, cst.BinaryOperation):
            return self._binary(expr, depth)
        if isinstance(expr, cst.Name):
            binding = self.values.binding(expr)
            if binding is None or binding.value is None:
                return None
            if self.index.scope_of(binding.node) is not self.index.scope_of(expr):
                return None
            return self.term(binding.value, depth + 1)
        return None

    def _binary(self, expr: cst.BinaryOperation, depth: int) -> Term | None:
        operator = expr.operator
        if isinstance(operator, cst.Multiply):
            left, right = self.term(expr.left, depth + 1), self.term(expr.right, depth + 1)
            if (left is None) == (right is None):
                return None
            inner, other = (left, expr.right) if left is not None else (right, expr.left)
            number = literal_number(other)
            if number is not None:
                return _with(inner, negative=inner.negative != (number < 0))
            flips = isinstance(other, cst.UnaryOperation) and isinstance(other.operator, cst.Minus)
            return _with(inner, negative=inner.negative != flips, targeted=True)
        if isinstance(operator, cst.Divide):
            inner = self.term(expr.left, depth + 1)
            if inner is None:
                return None
            number = literal_number(expr.right)
            return _with(inner, negative=inner.negative != (number is not None and number < 0))
        if isinstance(operator, (cst.Add, cst.Subtract)):
            left, right = self.term(expr.left, depth + 1), self.term(expr.right, depth + 1)
            if left is None or right is None:
                return None  # ``rate - y * log(rate)``: a term that is no log term
            right_negative = right.negative != isinstance(operator, cst.Subtract)
            if left.negative != right_negative:
                return None  # ``log(p) - log(q)``: a log ratio, not a cross-entropy
            return Term(left.logs + right.logs, left.negative, left.targeted or right.targeted,
                        left.reduced or right.reduced, left.terms + right.terms)
        return None

    def _picked(self, argument: cst.BaseExpression) -> bool:
        """``log(p[range(n), y])``, ``log(p.gather(1, y))``: the labels pick the entries."""
        if isinstance(argument, cst.Subscript):
            return _indexes(argument)
        if isinstance(argument, cst.Call):
            op = self.values.op(argument)
            return op is not None and op.role == GATHER
        return False

    # -- where to look ------------------------------------------------------------------
    def climb(self, node: cst.CSTNode) -> list[cst.CSTNode]:
        """``node`` and the expressions around it that a cross-entropy can be made of."""
        path = [node]
        index = self.index
        while True:
            parent = index.parent(node)
            arithmetic = isinstance(parent, cst.UnaryOperation) or (
                isinstance(parent, cst.BinaryOperation) and isinstance(parent.operator, _ARITHMETIC))
            if arithmetic or (isinstance(parent, cst.Subscript) and parent.value is node):
                node = parent
            elif isinstance(parent, (cst.Attribute, cst.Arg)):
                call = index.parent(parent)
                if not isinstance(call, cst.Call) or (isinstance(parent, cst.Attribute) and call.func is not parent):
                    break
                op = self.values.op(call)
                if op is None or op.role not in _CLIMB_ROLES or op.input is not node:
                    break
                node = call
            else:
                break
            path.append(node)
        return path


def _with(term: Term, **changes) -> Term:
    return Term(changes.get("logs", term.logs), changes.get("negative", term.negative),
                changes.get("targeted", term.targeted), changes.get("reduced", term.reduced),
                changes.get("terms", term.terms))


def _indexes(subscript: cst.Subscript) -> bool:
    """An index by labels (``[range(n), y]``), not only slices and constants (``[:, 0]``)."""
    for element in subscript.slice:
        if isinstance(element.slice, cst.Index):
            value = element.slice.value
            if literal_number(value) is None and not (isinstance(value, cst.Name) and value.value == "None") \
                    and not isinstance(value, cst.Ellipsis):
                return True
    return False


class ManualCrossEntropy(Rule):
    code = "NAN104"
    name = "manual-cross-entropy"
    severity = "warning"
    fix = UNSAFE

    def check(self) -> None:
        ctx = self.ctx
        known = facts(ctx.values)
        shapes = Shapes(ctx)
        unguarded = [op for op in ctx.values.ops(*LOGS)
                     if op.input is not None and not known.guarded(op.input) and not known.constant(op.input)]
        if not unguarded:
            return
        ops = {id(op.call): op for op in unguarded}
        groups: dict[int, Term] = {}
        bound: dict[str, list[cst.Call]] = {}
        for op in unguarded:
            path = shapes.climb(op.call)
            root = self._root(shapes, path, op.call)
            if root is not None:
                groups.setdefault(id(root[0]), root[1])
                continue
            top = path[-1]
            statement = ctx.index.parent(top)
            if isinstance(statement, (cst.Assign, cst.AnnAssign)) and statement.value is top and shapes.term(top):
                targets = statement.targets if isinstance(statement, cst.Assign) else [statement]
                for target in targets:
                    if isinstance(target.target, cst.Name):
                        bound.setdefault(target.target.value, []).append(op.call)
        for use in self._uses(bound):
            root = self._root(shapes, shapes.climb(use), None)
            if root is not None:
                groups.setdefault(id(root[0]), root[1])
        for term in groups.values():
            logs = sorted((ops[id(log)] for log in term.logs if id(log) in ops),
                          key=lambda op: ctx.index.position_of(op.call))
            if logs:
                self._report(logs, term)

    def _root(self, shapes: Shapes, path: list[cst.CSTNode], log: cst.Call | None):
        """The largest expression on ``path`` that is a cross-entropy holding ``log``."""
        for node in reversed(path):
            term = shapes.term(node)
            if term is not None and term.is_cross_entropy and (log is None or any(c is log for c in term.logs)):
                return node, term
        return None

    def _uses(self, bound: dict[str, list[cst.Call]]) -> list[cst.Name]:
        """Reads of the names a log was bound to, as operands a cross-entropy is made of."""
        if not bound:
            return []
        index, values = self.ctx.index, self.ctx.values
        candidates: list[cst.BaseExpression] = []
        for node in index.of_type(cst.BinaryOperation):
            candidates += [node.left, node.right]
        candidates += [node.expression for node in index.of_type(cst.UnaryOperation)]
        candidates += [node.value for node in index.of_type(cst.Subscript)]
        for call in index.of_type(cst.Call):
            if isinstance(call.func, cst.Attribute):
                candidates.append(call.func.value)
            candidates += [arg.value for arg in call.args]
        uses = []
        for name in candidates:
            if isinstance(name, cst.Name) and name.value in bound:
                binding = values.binding(name)
                if binding is not None and binding.value is not None and index.scope_of(binding.node) is \
                        index.scope_of(name):
                    uses.append(name)
        return uses

    def _report(self, logs: list[Op], term: Term) -> None:
        ctx = self.ctx
        known = facts(ctx.values)
        replacements, imports, exact = [], [], True
        stable_shown = None
        binary = term.terms >= 2
        for op in logs:
            rewrite = self._stable_rewrite(op)
            fact = known.of(op.input)
            if fact is not None and fact.activation == SIGMOID:
                binary = True
            if rewrite is not None:
                new, needed = rewrite
                replacements.append((op.call, new))
                stable_shown = stable_shown or ctx.code_for(new.func)
            else:
                exact = False
                replacement, needed, _ = epsilon_guard(ctx, op)
                replacements.append(replacement)
            imports += [imp for imp in needed if imp not in imports]
        first = logs[0]
        loss = self._loss_name(first, binary)
        problem = f"hand-written cross-entropy takes `{short(ctx, first.call, 40)}`, -inf once the probability is 0"
        if exact:
            message = f"{problem}; use `{stable_shown}` or `{loss}` on the logits"
            fix_message = f"Rewrite the log of the activation as `{stable_shown}`"
        else:
            message = f"{problem}; use `{loss}` on the logits, or add an epsilon inside the log"
            fix_message = "Add the configured epsilon inside the log"
        ctx.report(first.call, message, fix=FixSpec(SAFE if exact else UNSAFE, fix_message, replacements, imports),
                   covers=tuple(op.call for op in logs) + tuple(term.logs))

    def _stable_rewrite(self, op: Op):
        """``log(softmax(x))`` -> ``log_softmax(x)``, ``log(1 - sigmoid(x))`` ->
        ``logsigmoid(-x)``, when exact; else None."""
        if op.role != LOG:
            return None
        values = self.ctx.values
        argument, complement = op.input, False
        resolved, _ = values.resolve(argument)
        if isinstance(resolved, cst.BinaryOperation) and isinstance(resolved.operator, cst.Subtract) \
                and literal_number(resolved.left) == 1.0:
            argument, complement = resolved.right, True
        produced: Produced | None = values.producer(argument)
        if produced is None or produced.op.role not in (SOFTMAX, SIGMOID):
            return None
        if complement and produced.op.role != SIGMOID:
            return None
        counterpart = stable_counterpart(self.ctx, produced.op, "log", complement)
        if isinstance(counterpart, str) or not movable(self.ctx, produced, op.call):
            return None
        return counterpart

    def _loss_name(self, op: Op, binary: bool) -> str:
        key = quantities(self.ctx).framework_key(op) or ""
        framework = "keras" if key.startswith("keras") else key
        names = LOGIT_LOSS_NAMES.get(framework, LOGIT_LOSS_NAMES["torch"])
        return names[1] if binary else names[0]

    VALID = [
        # guarded logs
        "import torch\nloss = -torch.sum(y * torch.log(p + 1e-8))\n",
        "import torch\nloss = -(y * torch.log(p.clamp(min=1e-7))).sum(1).mean()\n",
        "import numpy as np\nloss = -np.sum(Y * np.log(np.clip(p, 1e-12, 1.0))) / n\n",
        "from keras import backend as K\ndef bce(y_true, y_pred):\n"
        "    p = K.clip(y_pred, K.epsilon(), 1.0 - K.epsilon())\n"
        "    return -K.mean(y_true * K.log(p) + (1.0 - y_true) * K.log(1.0 - p), axis=-1)\n",
        "import tensorflow as tf\nEPS = 1e-7\np = tf.clip_by_value(tf.nn.sigmoid(z), EPS, 1.0 - EPS)\n"
        "bce = -tf.reduce_mean(t * tf.math.log(p) + (1.0 - t) * tf.math.log(1.0 - p))\n",
        "import jax.numpy as jnp\nent = -jnp.mean(jnp.sum(p * jnp.log(p + 1e-7), axis=-1))\n",
        # already in log space
        "import torch.nn.functional as F\nloss = -(y * F.log_softmax(z, dim=1)).sum(1).mean()\n",
        "import numpy as np\nfrom scipy.special import log_softmax\nlp = log_softmax(s, axis=1)\n"
        "nll = -np.mean(lp[np.arange(n), y])\n",
        # not a cross-entropy: no negation, a non-log term, a log ratio, no labels
        "import torch\nnll = (rate - k * torch.log(rate)).mean()\n",
        "import torch\nkl = (p * (torch.log(p) - torch.log(q))).sum(-1)\n",
        "import torch\nd = -(torch.log(p) - torch.log(q)).mean()\n",
        "import torch\nll = (y * torch.log(p)).sum()\n",
        "import torch\nnll = -torch.log(sigma[:, 0]).mean()\n",
        # constants
        "import numpy as np\nbits = -(p * np.log(2)).sum()\n",
        # a log of a name bound in another function
        "import torch\ndef f(p):\n    log_p = torch.log(p + 1e-8)\n    return log_p\n"
        "def g(y, log_p):\n    return -(y * log_p).sum()\n",
    ]

    INVALID = [
        # seed 000 (TF1): the softmax is visible, so the fix is the exact log_softmax
        Invalid("import tensorflow as tf\ny_conv = tf.nn.softmax(logits)\n"
                "cross_entropy = tf.reduce_mean(-tf.reduce_sum(y_ * tf.log(y_conv), reduction_indices=[1]))\n",
                "import tensorflow as tf\ny_conv = tf.nn.softmax(logits)\n"
                "cross_entropy = tf.reduce_mean(-tf.reduce_sum(y_ * tf.nn.log_softmax(logits), "
                "reduction_indices=[1]))\n"),
        # seed 001 (Theano): the softmax sits in another method: the epsilon
        Invalid("import theano.tensor as T\nclass LogisticRegression:\n    def __init__(self, x, W, b):\n"
                "        self.p_y_given_x = T.nnet.softmax(T.dot(x, W) + b)\n"
                "    def negative_log_likelihood(self, y):\n"
                "        return -T.mean(T.log(self.p_y_given_x)[T.arange(y.shape[0]), y])\n",
                "import theano.tensor as T\nclass LogisticRegression:\n    def __init__(self, x, W, b):\n"
                "        self.p_y_given_x = T.nnet.softmax(T.dot(x, W) + b)\n"
                "    def negative_log_likelihood(self, y):\n"
                "        return -T.mean(T.log(self.p_y_given_x + 1e-8)[T.arange(y.shape[0]), y])\n"),
        # binary cross-entropy on a sigmoid: one finding, both logs rewritten exactly
        Invalid("import torch\nloss = -(y * torch.log(torch.sigmoid(z)) + (1 - y) * "
                "torch.log(1 - torch.sigmoid(z))).mean()\n",
                "import torch\nloss = -(y * torch.nn.functional.logsigmoid(z) + (1 - y) * "
                "torch.nn.functional.logsigmoid(-z)).mean()\n"),
        # a weighted binary cross-entropy without a reduction (transformers' LW-DETR loss)
        Invalid("import torch\nimport torch.nn.functional as F\nprob = logits.sigmoid()\n"
                "loss = -w * prob.log() - v * (1 - prob).log()\n",
                "import torch\nimport torch.nn.functional as F\nprob = logits.sigmoid()\n"
                "loss = -w * F.logsigmoid(logits) - v * F.logsigmoid(-logits)\n"),
        # NumPy, a parameter: structural, so reported with the epsilon
        Invalid("import numpy as np\ndef ce(p, Y):\n    return -np.sum(Y * np.log(p)) / len(Y)\n",
                "import numpy as np\ndef ce(p, Y):\n    return -np.sum(Y * np.log(p + 1e-8)) / len(Y)\n"),
        # JAX entropy of a softmax whose input is a call: the epsilon
        Invalid("import jax\nimport jax.numpy as jnp\nprobs = jax.nn.softmax(net(x))\n"
                "ent = -jnp.sum(probs * jnp.log(probs), axis=-1)\n",
                "import jax\nimport jax.numpy as jnp\nprobs = jax.nn.softmax(net(x))\n"
                "ent = -jnp.sum(probs * jnp.log(probs + 1e-8), axis=-1)\n"),
        # Keras custom loss
        Invalid("from keras import backend as K\ndef cce(y_true, y_pred):\n"
                "    return -K.sum(y_true * K.log(y_pred), axis=-1)\n",
                "from keras import backend as K\ndef cce(y_true, y_pred):\n"
                "    return -K.sum(y_true * K.log(y_pred + 1e-8), axis=-1)\n"),
        # the log bound to a name first (policy gradient)
        Invalid("import torch\nlog_p = torch.log(pi)\nloss = -(log_p * advantages).mean()\n",
                "import torch\nlog_p = torch.log(pi + 1e-8)\nloss = -(log_p * advantages).mean()\n"),
        # labels pick the entries inside the log
        Invalid("import torch\nloss = -torch.log(probs[torch.arange(n), y]).mean()\n",
                "import torch\nloss = -torch.log(probs[torch.arange(n), y] + 1e-8).mean()\n"),
        # TF2, keras.ops
        Invalid("import tensorflow as tf\ndef loss(p, y):\n"
                "    return -tf.reduce_mean(tf.reduce_sum(y * tf.math.log(p), axis=-1))\n",
                "import tensorflow as tf\ndef loss(p, y):\n"
                "    return -tf.reduce_mean(tf.reduce_sum(y * tf.math.log(p + 1e-8), axis=-1))\n"),
        Invalid("from keras import ops\nce = -ops.mean(ops.sum(t * ops.log(q), axis=-1))\n",
                "from keras import ops\nce = -ops.mean(ops.sum(t * ops.log(q + 1e-8), axis=-1))\n"),
    ]

