"""## What it does
Flags `log(sigmoid(x))` and `log(1 - sigmoid(x))`, written directly, through a
local name bound to the sigmoid, or through a sigmoid layer (`nn.Sigmoid()`). A
sigmoid kept in a `self.` attribute and logged elsewhere is reported as NAN103.

## Why is this bad?
`sigmoid(x)` rounds to exactly 0 for `x < -88` in float32 (and to exactly 1 for
`x > 17`, so `1 - sigmoid(x)` is 0). `log(0)` is `-inf`: the loss becomes inf and
the gradient NaN. `logsigmoid(x) = -softplus(-x)` is finite for every finite `x`,
and `log(1 - sigmoid(x)) = logsigmoid(-x)`.

## Example
```python
loss = -(y * torch.log(torch.sigmoid(z)) + (1 - y) * torch.log(1 - torch.sigmoid(z)))
```

## Use instead
```python
loss = -(y * F.logsigmoid(z) + (1 - y) * F.logsigmoid(-z))
# or simply F.binary_cross_entropy_with_logits(z, y)
```
Counterparts: `F.logsigmoid`, `tf.math.log_sigmoid`, `jax.nn.log_sigmoid`,
`scipy.special.log_expit`, `keras.ops.log_sigmoid`.

## Fix safety
Safe: `log(sigmoid(x)) == logsigmoid(x)` and `log(1 - sigmoid(x)) == logsigmoid(-x)`
exactly. No fix where the framework has no log-sigmoid (`keras.backend`, Theano),
or where the sigmoid was bound to a name and its input cannot be moved to the log.
(Inside a hand-written cross-entropy, NAN104 reports the log instead.)
"""

from __future__ import annotations

import libcst as cst

from nanlint.catalog.roles import LOG, SIGMOID
from nanlint.finding import SAFE
from nanlint.rewrite import report_stable_log
from nanlint.rules import Invalid, Rule


def is_one(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.Integer):
        return expr.evaluated_value == 1
    if isinstance(expr, cst.Float):
        return expr.evaluated_value == 1.0
    return False


class LogOfSigmoid(Rule):
    code = "NAN102"
    name = "log-of-sigmoid"
    severity = "error"
    fix = SAFE

    def check(self) -> None:
        values = self.ctx.values
        for op in values.ops(LOG):
            if op.input is None:
                continue
            argument, complement = op.input, False
            resolved, _ = values.resolve(argument)
            if isinstance(resolved, cst.BinaryOperation) and isinstance(resolved.operator, cst.Subtract) \
                    and is_one(resolved.left):
                argument, complement = resolved.right, True
            produced = values.producer(argument)
            if produced is not None and produced.op.role == SIGMOID and not produced.through_attribute(argument):
                report_stable_log(self.ctx, op.call, produced, "sigmoid", "logsigmoid", negate_input=complement)

    VALID = [
        "import torch.nn.functional as F\ny = F.logsigmoid(z)\n",
        "import torch\ny = torch.log(torch.sigmoid(z) + 1e-7)\n",
        "import torch\ny = torch.log(torch.sigmoid(z).clamp(min=1e-7))\n",
        "import torch\ny = torch.log(1 - torch.sigmoid(z) + 1e-7)\n",
        "import torch\ny = torch.log(2 - torch.sigmoid(z))\n",
        "import torch\ny = torch.log(torch.sigmoid(z) - 1)\n",
        "import tensorflow as tf\ny = tf.math.log_sigmoid(z)\n",
        "import numpy as np\nfrom scipy.special import log_expit\ny = log_expit(z)\n",
        "import torch\ny = torch.log(torch.softmax(z, dim=0))  # another rule's business\n",
        "import torch\ny = torch.sigmoid(torch.log(z))\n",
        "import torch\np = torch.sigmoid(z)\np = torch.clamp(p, 1e-6, 1 - 1e-6)\ny = torch.log(1 - p)\n",
        "import torch\ndef f(p):\n    return torch.log(p)\n",
        "import math\nimport torch\ny = math.log(1 - math.exp(-rate))\n",
    ]

    INVALID = [
        Invalid("import torch\ny = torch.log(torch.sigmoid(z))\n",
                "import torch\ny = torch.nn.functional.logsigmoid(z)\n"),
        Invalid("import torch\nimport torch.nn.functional as F\ny = torch.log(1 - torch.sigmoid(z))\n",
                "import torch\nimport torch.nn.functional as F\ny = F.logsigmoid(-z)\n"),
        Invalid("import torch\nimport torch.nn.functional as F\ny = torch.log(1. - torch.sigmoid(a - b))\n",
                "import torch\nimport torch.nn.functional as F\ny = F.logsigmoid(-(a - b))\n"),
        Invalid("import torch\ny = z.sigmoid().log()\n", "import torch\ny = torch.nn.functional.logsigmoid(z)\n"),
        Invalid("import torch\np = torch.sigmoid(z)\nloss = -torch.log(1 - p)\n",
                "import torch\np = torch.sigmoid(z)\nloss = -torch.nn.functional.logsigmoid(-z)\n"),
        Invalid("import tensorflow as tf\ny = tf.log(tf.sigmoid(z))\n",
                "import tensorflow as tf\ny = tf.math.log_sigmoid(z)\n"),
        Invalid("import tensorflow as tf\ny = tf.math.log(1 - tf.nn.sigmoid(z))\n",
                "import tensorflow as tf\ny = tf.math.log_sigmoid(-z)\n"),
        Invalid("import jax\nimport jax.numpy as jnp\ny = jnp.log(jax.nn.sigmoid(z))\n",
                "import jax\nimport jax.numpy as jnp\ny = jax.nn.log_sigmoid(z)\n"),
        Invalid("import numpy as np\nfrom scipy.special import expit\ny = np.log(expit(z))\n",
                "import numpy as np\nfrom scipy.special import expit\nfrom scipy.special import log_expit\n"
                "y = log_expit(z)\n"),
        Invalid("import keras\ny = keras.ops.log(keras.ops.sigmoid(z))\n",
                "import keras\ny = keras.ops.log_sigmoid(z)\n"),
        Invalid("from keras import backend as K\ny = K.log(K.sigmoid(z))\n", None),
        Invalid("import theano.tensor as T\ny = T.log(1 - T.nnet.sigmoid(z))\n", None),
        Invalid(
            "import torch\nfrom torch import nn\nclass D(nn.Module):\n    def __init__(self):\n"
            "        super().__init__()\n        self.act = nn.Sigmoid()\n"
            "    def forward(self, h):\n        return torch.log(self.act(h))\n",
            "import torch\nfrom torch import nn\nclass D(nn.Module):\n    def __init__(self):\n"
            "        super().__init__()\n        self.act = nn.Sigmoid()\n"
            "    def forward(self, h):\n        return nn.functional.logsigmoid(h)\n"),
    ]
