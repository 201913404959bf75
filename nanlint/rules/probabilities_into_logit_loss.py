"""## What it does
Flags a sigmoid or softmax output fed to a loss that applies its own log or softmax:
- a probability passed where a loss expects logits: `F.cross_entropy`,
  `nn.CrossEntropyLoss`, `F.binary_cross_entropy_with_logits`, `nn.BCEWithLogitsLoss`,
  `tf.nn.*_cross_entropy_with_logits`, `tf.losses.*_cross_entropy`,
  `optax.softmax_cross_entropy` / `sigmoid_binary_cross_entropy`, and Keras losses with
  `from_logits=True` (called directly, or given to `compile` for a model whose last
  layer is a softmax or sigmoid);
- a sigmoid output passed to the probability-taking `nn.BCELoss` /
  `F.binary_cross_entropy`, which should take the logits instead.

The probability is followed like everywhere in nanlint: directly, through local names,
`self.` attributes, layer attributes, helper functions, and models whose last layer is a
softmax or sigmoid. A Keras softmax or sigmoid last layer with the default
`from_logits=False` loss is correct use and is not flagged.

## Why is this bad?
A softmax applied twice squashes the outputs towards uniform: the loss stops decreasing
and its gradient vanishes; a sigmoid fed as logits is confined to (0, 1) and can never
express confidence. `BCELoss` on a sigmoid takes `log(sigmoid(x))`, which is `-inf` once
the sigmoid saturates (PyTorch clamps it at -100, so training stalls instead);
`binary_cross_entropy_with_logits` computes the same loss stably from the logits.

## Example
```python
loss = F.binary_cross_entropy(torch.sigmoid(z), y)
loss = F.cross_entropy(F.softmax(logits, dim=1), target)
```

## Use instead
```python
loss = F.binary_cross_entropy_with_logits(z, y)
loss = F.cross_entropy(logits, target)
```

## Fix safety
Safe for the functional form only: `F.binary_cross_entropy(torch.sigmoid(z), y, ...)`
becomes `F.binary_cross_entropy_with_logits(z, y, ...)` (the same arguments, the same
loss), when the sigmoid's input can be moved to the loss call. No fix for loss modules
(`nn.BCELoss()` is built elsewhere) or for a double softmax (the probability may have
other uses; drop the softmax or `from_logits=True`).
"""

from __future__ import annotations

import libcst as cst

from nanlint import catalog
from nanlint.analysis.divisors import short
from nanlint.analysis.facts import Fact, facts
from nanlint.analysis.values import Op, argument
from nanlint.catalog.log_exp import COMPILE_LOSS, COMPILE_METHOD
from nanlint.catalog.roles import LOGIT_LOSS, PROBABILITY_LOSS, SIGMOID
from nanlint.finding import SAFE
from nanlint.fixes import FixSpec
from nanlint.rewrite import movable
from nanlint.rules import Invalid, Rule


def _is_true(expr: cst.BaseExpression | None) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "True"


class ProbabilitiesIntoLogitLoss(Rule):
    code = "NAN106"
    name = "probabilities-into-logit-loss"
    severity = "warning"
    fix = SAFE

    def check(self) -> None:
        ctx = self.ctx
        for op in ctx.values.ops(LOGIT_LOSS, PROBABILITY_LOSS):
            self._loss_call(op)
        known = facts(ctx.values)
        for call in known.calls_named(COMPILE_METHOD):
            if isinstance(call.func, cst.Attribute):
                self._compile(call)

    def _loss_call(self, op: Op) -> None:
        ctx = self.ctx
        extra = op.api.extra
        if "from_logits" in extra and not _is_true(argument(op.layer or op.call, extra["from_logits"])):
            return
        prediction = argument(op.call, extra["prediction"])
        if prediction is None:
            return
        fact = facts(ctx.values).probability(prediction)
        if fact is None or fact.activation is None:
            return
        loss = short(ctx, op.layer.func if op.layer is not None else op.call.func, 40)
        if op.role == PROBABILITY_LOSS:
            if fact.activation != SIGMOID:
                return
            self._probability_loss(op, loss, fact, prediction)
            return
        applies = extra["applies"]
        twice = " twice" if applies == fact.activation else " on top"
        ctx.report(op.call, f"`{loss}` applies its own {applies}, but its input is {fact.what} "
                            f"(a {fact.activation} applied{twice}); pass the logits instead")

    def _probability_loss(self, op: Op, loss: str, fact: Fact, prediction: cst.BaseExpression) -> None:
        ctx = self.ctx
        problem = f"`{loss}` on {fact.what} saturates once the sigmoid rounds to 0 or 1"
        target = op.api.extra.get("logits_form")
        produced = ctx.values.producer(prediction)
        if target is None or op.layer is not None:
            ctx.report(op.call, f"{problem}; use `BCEWithLogitsLoss` on the sigmoid's input")
            return
        if produced is None or produced.op.role != SIGMOID or produced.op.input is None \
                or not movable(ctx, produced, op.call):
            ctx.report(op.call, f"{problem}; use `binary_cross_entropy_with_logits` on the sigmoid's input")
            return
        spelled = ctx.callee(target, like=op.call.func)
        if spelled is None:
            ctx.report(op.call, f"{problem}; use `binary_cross_entropy_with_logits` on the sigmoid's input")
            return
        func, needed = spelled
        args = [a.with_changes(value=produced.op.input) if a.value is prediction else a for a in op.call.args]
        new = op.call.with_changes(func=func, args=args)
        ctx.report(op.call, f"{problem}; use `{ctx.code_for(func)}` on the sigmoid's input",
                   fix=FixSpec(SAFE, f"Use `{ctx.code_for(func)}` on the logits", [(op.call, new)],
                               [needed] if needed else []))

    def _compile(self, call: cst.Call) -> None:
        """``model.compile(loss=CategoricalCrossentropy(from_logits=True))`` for a model
        whose last layer is a softmax."""
        ctx = self.ctx
        loss = argument(call, COMPILE_LOSS)
        if loss is None:
            return
        constructor, _ = ctx.values.resolve(loss)
        if not isinstance(constructor, cst.Call):
            return
        qualified = ctx.values.qualify(constructor.func)
        api = catalog.lookup(qualified) if qualified else None
        if api is None or api.role != LOGIT_LOSS or api.kind != catalog.LAYER:
            return
        if "from_logits" in api.extra and not _is_true(argument(constructor, api.extra["from_logits"])):
            return
        model, _ = ctx.values.resolve(call.func.value)
        if not isinstance(model, cst.Call):
            return
        fact = facts(ctx.values).model_output(model)
        if fact is None or fact.activation is None:
            return
        applies = api.extra["applies"]
        ctx.report(loss, f"the model ends in a {fact.activation}, but `{short(ctx, constructor.func, 40)}` with "
                         f"`from_logits=True` applies another {applies}; drop `from_logits=True` or the "
                         f"{fact.activation}")

    VALID = [
        # logits into losses on logits
        "import torch.nn.functional as F\nloss = F.cross_entropy(logits, y)\n",
        "import torch.nn.functional as F\nloss = F.binary_cross_entropy_with_logits(z, y)\n",
        "import torch\nfrom torch import nn\ncriterion = nn.CrossEntropyLoss()\nloss = criterion(logits, y)\n",
        "import tensorflow as tf\nloss = tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits)\n",
        "import optax\nloss = optax.softmax_cross_entropy(logits, y).mean()\n",
        # log-probabilities into cross_entropy: log_softmax is idempotent
        "import torch.nn.functional as F\nlp = F.log_softmax(z, dim=1)\nloss = F.cross_entropy(lp, y)\n",
        # probabilities into losses on probabilities (Keras default from_logits=False)
        "import tensorflow as tf\nfrom tensorflow import keras\n"
        "loss = keras.losses.categorical_crossentropy(y, tf.nn.softmax(h))\n",
        "from tensorflow import keras\nfrom tensorflow.keras import layers\n"
        "model = keras.Sequential([layers.Dense(64, activation='relu'), layers.Dense(10, activation='softmax')])\n"
        "model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')\n",
        "from tensorflow import keras\nfrom tensorflow.keras import layers\n"
        "model = keras.Sequential([layers.Dense(10), layers.Activation('softmax')])\n"
        "model.compile(optimizer='adam', loss=keras.losses.CategoricalCrossentropy())\n",
        # a model without a final activation, compiled on logits
        "from tensorflow import keras\nfrom tensorflow.keras import layers\n"
        "model = keras.Sequential([layers.Dense(64, activation='relu'), layers.Dense(10)])\n"
        "model.compile(optimizer='adam', loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))\n",
        # a Keras loss's y_pred is not known to be a probability here
        "from tensorflow import keras\ndef loss(y_true, y_pred):\n"
        "    return keras.losses.categorical_crossentropy(y_true, y_pred, from_logits=True)\n",
        # BCELoss on something that is not a visible sigmoid
        "import torch\nfrom torch import nn\nloss = nn.BCELoss()(p, y)\n",
        "import torch\nimport torch.nn.functional as F\n"
        "loss = F.binary_cross_entropy(torch.sigmoid(z).clamp(1e-6, 1 - 1e-6), y)\n",
        # a sigmoid in a branch: unknown
        "import torch\nimport torch.nn.functional as F\np = z\nif probs:\n    p = torch.sigmoid(z)\n"
        "loss = F.binary_cross_entropy_with_logits(p, y)\n",
    ]

    INVALID = [
        # the functional BCE on a sigmoid: safe rewrite on the logits
        Invalid("import torch\nimport torch.nn.functional as F\nloss = F.binary_cross_entropy(torch.sigmoid(z), y)\n",
                "import torch\nimport torch.nn.functional as F\nloss = F.binary_cross_entropy_with_logits(z, y)\n"),
        Invalid("import torch\nimport torch.nn.functional as F\np = z.sigmoid()\n"
                "loss = F.binary_cross_entropy(p, y, reduction='sum')\n",
                "import torch\nimport torch.nn.functional as F\np = z.sigmoid()\n"
                "loss = F.binary_cross_entropy_with_logits(z, y, reduction='sum')\n"),
        # a BCELoss module: reported, no fix
        Invalid("import torch\nfrom torch import nn\nclass M(nn.Module):\n    def __init__(self):\n"
                "        super().__init__()\n        self.bce = nn.BCELoss()\n"
                "    def loss(self, z, y):\n        return self.bce(torch.sigmoid(z), y)\n", None),
        # double softmax, torch
        Invalid("import torch.nn.functional as F\nloss = F.cross_entropy(F.softmax(logits, dim=1), y)\n", None),
        # a torch Sequential ending in a softmax, into CrossEntropyLoss
        Invalid("import torch\nfrom torch import nn\nclass Net(nn.Module):\n    def __init__(self):\n"
                "        super().__init__()\n        self.net = nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1))\n"
                "        self.criterion = nn.CrossEntropyLoss()\n"
                "    def loss(self, x, y):\n        return self.criterion(self.net(x), y)\n", None),
        # TensorFlow
        Invalid("import tensorflow as tf\np = tf.nn.softmax(h)\n"
                "loss = tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=p)\n", None),
        # Keras: from_logits=True on a softmax model
        Invalid("from tensorflow import keras\nfrom tensorflow.keras import layers\n"
                "model = keras.Sequential([layers.Dense(64, activation='relu'),\n"
                "                          layers.Dense(10, activation='softmax')])\n"
                "model.compile(optimizer='adam', loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))\n",
                None),
        Invalid("import tensorflow as tf\nfrom tensorflow import keras\n"
                "loss = keras.losses.binary_crossentropy(y, tf.sigmoid(z), from_logits=True)\n", None),
        # Keras functional model ending in a softmax
        Invalid("from tensorflow import keras\nfrom tensorflow.keras import layers\ninputs = keras.Input(shape=(8,))\n"
                "outputs = layers.Dense(3, activation='softmax')(layers.Dense(16)(inputs))\n"
                "model = keras.Model(inputs, outputs)\n"
                "loss = keras.losses.CategoricalCrossentropy(from_logits=True)(y, model(x))\n", None),
        # JAX / optax
        Invalid("import jax\nimport optax\nloss = optax.sigmoid_binary_cross_entropy(jax.nn.sigmoid(z), y)\n", None),
    ]
