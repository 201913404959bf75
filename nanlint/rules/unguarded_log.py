"""## What it does
Flags `log(p)` where `p` can be exactly 0 and nothing keeps it away from 0: a
probability (a softmax or sigmoid output, also indexed, sliced or gathered, also kept in
a `self.` attribute, as in `T.log(self.p_y_given_x)`, or returned by a helper function,
or the output of a model whose last layer is a softmax or sigmoid), `1 - p` of one, a
ReLU output, a value clamped at 0, a product or division that can be 0, or the `y_pred`
of a Keras-style loss `def loss(y_true, y_pred)`. `log2` and `log10` count too.

Not flagged: guarded values (`p + eps`, `clamp(min=eps)`, `clip`, `maximum(p, eps)`,
`K.epsilon()`, a `where`, a conditional), numbers and constants (`np.log(n_samples)`,
`math.log(10)`), positive expressions such as `1 + x ** 2`, values whose origin is not
visible (parameters no call in the module feeds, results of other modules), and
anything that is not a framework's log (`logger.log`, `logging.log`).

## Why is this bad?
`log(0)` is `-inf`, and its gradient `1/p` is inf: one saturated softmax entry, one
dead ReLU unit, one confident sigmoid and the loss is inf, the next update NaN (seed 001:
"Relu function can output zero, and the natural log of zero is undefined"). Softmax and
sigmoid outputs reach exactly 0 in float32 long before the logits are extreme (a logit
gap of about 104 for softmax, `x < -88` for sigmoid).

## Example
```python
rate = F.relu(self.rate_head(h))
loss = (rate - counts * torch.log(rate)).mean()
```

## Use instead
```python
loss = (rate - counts * torch.log(rate + 1e-8)).mean()
# or better, compute in log space: F.log_softmax, F.logsigmoid, F.poisson_nll_loss(log_input=True)
```

## Fix safety
Unsafe: the fix adds the configured epsilon (`eps`, default `1e-8`) inside the log,
next to the value (`log(p + eps)`, never `eps + 1 - p`, where rounding would absorb
it), or with `fix-style = "clamp"` clamps the value from below (`p.clamp(min=eps)`,
`np.clip(p, eps, None)`, `tf.maximum(p, eps)`). Either changes the values slightly.
A log of a softmax or sigmoid computed in the same function is NAN101/NAN102, whose
fixes are exact; a log inside a hand-written cross-entropy is NAN104.
"""

from __future__ import annotations

import libcst as cst

from nanlint.analysis.divisors import guarded, quantities, receiver, short
from nanlint.analysis.facts import facts
from nanlint.analysis.guards import literal_number
from nanlint.analysis.values import Op, Values
from nanlint.catalog.roles import LOG, LOG_BASE, SIGMOID, SOFTMAX
from nanlint.context import Context
from nanlint.finding import UNSAFE
from nanlint.fixes import FixSpec, NeededImport
from nanlint.rules import Invalid, Rule

LOGS = (LOG, LOG_BASE)


def epsilon_guard(ctx: Context, op: Op) -> tuple[tuple[cst.CSTNode, cst.CSTNode], list[NeededImport], str]:
    """The log's argument kept away from 0 as configured (``p + eps`` or the framework's
    clamp): the replacement, the imports it needs, and the guarded log's source."""
    argument = op.input
    key = quantities(ctx).framework_key(op)
    new, imports, _ = guarded(ctx, argument, key, op.is_method)
    if op.is_method:
        new = receiver(new)
    shown = ctx.code_for(op.call.deep_replace(argument, new))
    return (argument, new), imports, " ".join(shown.split())


def stable_log_domain(values: Values, op: Op) -> bool:
    """``log(softmax(x))``, ``log(sigmoid(x))`` or ``log(1 - sigmoid(x))`` computed in the
    same scope: NAN101/NAN102 describe it (with an exact fix), also when they are not
    selected."""
    if op.role != LOG:
        return False
    argument, roles = op.input, (SOFTMAX, SIGMOID)
    resolved, _ = values.resolve(argument)
    if isinstance(resolved, cst.BinaryOperation) and isinstance(resolved.operator, cst.Subtract) \
            and literal_number(resolved.left) == 1.0:
        argument, roles = resolved.right, (SIGMOID,)
    produced = values.producer(argument)
    return produced is not None and produced.op.role in roles and not produced.through_attribute(argument)


def fix_message(ctx: Context) -> str:
    if ctx.config.fix_style == "clamp":
        return "Clamp the log's argument from below at the configured epsilon"
    return "Add the configured epsilon inside the log"


class UnguardedLog(Rule):
    code = "NAN103"
    name = "unguarded-log"
    severity = "warning"
    fix = UNSAFE

    def check(self) -> None:
        ctx = self.ctx
        known = facts(ctx.values)
        for op in ctx.values.ops(*LOGS):
            if op.input is None:
                continue
            fact = known.zero(op.input)
            if fact is None or stable_log_domain(ctx.values, op):
                continue
            replacement, imports, shown = epsilon_guard(ctx, op)
            suggestion = f"`{shown}`" if len(shown) <= 60 else "an epsilon inside the log"
            ctx.report(op.call, f"`{short(ctx, op.call, 40)}` is -inf where {fact.what} is exactly 0; "
                                f"use {suggestion}",
                       fix=FixSpec(UNSAFE, fix_message(ctx), [replacement], imports))

    VALID = [
        # guarded
        "import torch\ny = torch.log(torch.relu(x) + 1e-6)\n",
        "import torch\np = torch.softmax(x, 1)\np = p.clamp(min=1e-8)\ny = torch.log(p)\n",
        "from keras import backend as K\ndef loss(y_true, y_pred):\n"
        "    return K.mean(y_true * K.log(K.clip(y_pred, K.epsilon(), 1.0)))\n",
        "import tensorflow as tf\ndef loss(y_true, y_pred):\n    return tf.math.log(tf.maximum(y_pred, 1e-7))\n",
        "import torch\nclass M:\n    def __init__(self):\n        self.p = torch.softmax(w, 1)\n"
        "    def f(self):\n        return torch.log(self.p + self.eps)\n",
        # 1 - p with p clipped below 1
        "import tensorflow as tf\ndef loss(y_true, y_pred):\n"
        "    p = tf.clip_by_value(y_pred, 1e-7, 1.0 - 1e-7)\n    return tf.math.log(1.0 - p)\n",
        # constants and numbers
        "import numpy as np\nn_samples = 600\nprior = np.log(n_samples)\n",
        "import math\nimport torch\nbits = math.log(len(vocab)) / math.log(2)\n",
        "import torch\ny = torch.log(torch.tensor(10.0))\n",
        # positive, exp-free expressions
        "import torch\ny = torch.log(1 + x ** 2)\n",
        # not a framework log
        "import logging\nlogger = logging.getLogger()\nlogger.log(logging.INFO, 'p=%s', p)\n",
        "import logging\nimport torch\nlogging.log(logging.INFO, 'loss %f', torch.relu(x).sum())\n",
        "import torch\nclass Run:\n    def step(self, p):\n        self.log(torch.relu(p))\n",
        # the origin is unknown: a parameter nothing in the module feeds
        "import torch\ndef nll(p):\n    return -torch.log(p).mean()\n",
        # log-probabilities are already in log space
        "import torch.nn.functional as F\nimport torch\nlp = F.log_softmax(x, 1)\ny = torch.log(-lp)\n",
        # a branch may rebind: unknown
        "import torch\nr = torch.relu(x)\nif shift:\n    r = r + 1\ny = torch.log(r)\n",
        # y_pred outside a Keras file is not a Keras loss
        "import torch\ndef loss(y_true, y_pred):\n    return torch.log(y_pred)\n",
        # log(softmax) and log(1 - sigmoid) in the same scope are NAN101's and NAN102's
        # (exact fixes), not NAN103's, even when those are not selected
        "import torch\np = torch.softmax(x, dim=1)\ny = torch.log(p)\n",
        "import torch\np = torch.sigmoid(x)\ny = torch.log(1 - p)  # noqa: NAN102\n",
    ]

    INVALID = [
        # a ReLU output (seed 001: "dead relu")
        Invalid("import torch\nimport torch.nn.functional as F\nrate = F.relu(h)\n"
                "loss = (rate - c * torch.log(rate)).mean()\n",
                "import torch\nimport torch.nn.functional as F\nrate = F.relu(h)\n"
                "loss = (rate - c * torch.log(rate + 1e-8)).mean()\n"),
        # a softmax held in a self. attribute (Theano seed), log elsewhere
        Invalid("import theano.tensor as T\nclass LogReg:\n    def __init__(self, x, W):\n"
                "        self.p_y_given_x = T.nnet.softmax(T.dot(x, W))\n"
                "    def score(self):\n        return T.log(self.p_y_given_x)\n",
                "import theano.tensor as T\nclass LogReg:\n    def __init__(self, x, W):\n"
                "        self.p_y_given_x = T.nnet.softmax(T.dot(x, W))\n"
                "    def score(self):\n        return T.log(self.p_y_given_x + 1e-8)\n"),
        # Keras-style loss: y_pred is a probability
        Invalid("from keras import backend as K\ndef poisson(y_true, y_pred):\n"
                "    return K.mean(y_pred - y_true * K.log(y_pred), axis=-1)\n",
                "from keras import backend as K\ndef poisson(y_true, y_pred):\n"
                "    return K.mean(y_pred - y_true * K.log(y_pred + 1e-8), axis=-1)\n"),
        # a function passed as compile(loss=...) in TF, under other parameter names
        Invalid("import tensorflow as tf\ndef my_loss(t, p):\n    return tf.reduce_mean(p - t * tf.math.log(p))\n"
                "model.compile(optimizer='adam', loss=my_loss)\n",
                "import tensorflow as tf\ndef my_loss(t, p):\n"
                "    return tf.reduce_mean(p - t * tf.math.log(p + 1e-8))\n"
                "model.compile(optimizer='adam', loss=my_loss)\n"),
        # indexed sigmoid output via a tensor method, 1 - p
        Invalid("import torch\nclass Head:\n    def __init__(self):\n        self.p = torch.sigmoid(w)\n"
                "    def f(self):\n        return (1 - self.p[:, 0]).log()\n",
                "import torch\nclass Head:\n    def __init__(self):\n        self.p = torch.sigmoid(w)\n"
                "    def f(self):\n        return (1 - self.p[:, 0] + 1e-8).log()\n"),
        # JAX: a helper returns a softmax
        Invalid("import jax\nimport jax.numpy as jnp\ndef predict(params, x):\n"
                "    return jax.nn.softmax(x @ params, axis=-1)\n"
                "def bits(params, x):\n    return jnp.log2(predict(params, x))\n",
                "import jax\nimport jax.numpy as jnp\ndef predict(params, x):\n"
                "    return jax.nn.softmax(x @ params, axis=-1)\n"
                "def bits(params, x):\n    return jnp.log2(predict(params, x) + 1e-8)\n"),
        # NumPy: a parameter fed a hand-computed softmax by the module
        Invalid("import numpy as np\ndef softmax(z):\n    e = np.exp(z - z.max(1, keepdims=True))\n"
                "    return e / e.sum(1, keepdims=True)\n"
                "def surprise(p):\n    return np.log(p)\ns = surprise(softmax(scores))\n",
                "import numpy as np\ndef softmax(z):\n    e = np.exp(z - z.max(1, keepdims=True))\n"
                "    return e / e.sum(1, keepdims=True)\n"
                "def surprise(p):\n    return np.log(p + 1e-8)\ns = surprise(softmax(scores))\n"),
        # Keras Sequential whose last layer is a softmax, its prediction logged
        Invalid("import numpy as np\nfrom tensorflow import keras\n"
                "model = keras.Sequential([keras.layers.Dense(64, activation='relu'), keras.layers.Dense(10),\n"
                "                          keras.layers.Activation('softmax')])\n"
                "scores = np.log(model.predict(x))\n",
                "import numpy as np\nfrom tensorflow import keras\n"
                "model = keras.Sequential([keras.layers.Dense(64, activation='relu'), keras.layers.Dense(10),\n"
                "                          keras.layers.Activation('softmax')])\n"
                "scores = np.log(model.predict(x) + 1e-8)\n"),
        # a product with a ReLU output, TF
        Invalid("import tensorflow as tf\nh = tf.nn.relu(z)\ny = tf.math.log(h * mask)\n",
                "import tensorflow as tf\nh = tf.nn.relu(z)\ny = tf.math.log(h * mask + 1e-8)\n"),
        # a torch layer attribute applying a softmax, logged through a name
        Invalid("import torch\nfrom torch import nn\nclass A(nn.Module):\n    def __init__(self):\n"
                "        super().__init__()\n        self.act = nn.Softmax(dim=1)\n"
                "        self.attn = None\n    def forward(self, h):\n        a = self.act(h)\n"
                "        return torch.log(a[:, :5])\n",
                "import torch\nfrom torch import nn\nclass A(nn.Module):\n    def __init__(self):\n"
                "        super().__init__()\n        self.act = nn.Softmax(dim=1)\n"
                "        self.attn = None\n    def forward(self, h):\n        a = self.act(h)\n"
                "        return torch.log(a[:, :5] + 1e-8)\n"),
    ]
