"""## What it does
Flags the logarithm of a softmax: `log(softmax(x))`, written directly, through a
local name bound to the softmax, or through a softmax layer
(`self.sm = nn.Softmax(dim=1)` applied as `self.sm(h)`). A softmax kept in a
`self.` attribute and logged elsewhere is reported as NAN103 (unguarded-log).

## Why is this bad?
For a dominant logit the other probabilities underflow to exactly 0 (in float32
already when logits differ by about 104), and `log(0)` is `-inf`. The loss
becomes inf and its gradient NaN. `log_softmax` computes the same values as
`x - logsumexp(x)`, which never underflows to `-inf` for finite logits.

## Example
```python
probs = torch.softmax(logits, dim=1)
loss = -torch.log(probs)[range(n), targets].mean()
```

## Use instead
```python
loss = -torch.log_softmax(logits, dim=1)[range(n), targets].mean()
```
The counterpart is the same framework's: `torch.log_softmax`, `F.log_softmax`,
`Tensor.log_softmax`, `tf.nn.log_softmax`, `jax.nn.log_softmax`,
`scipy.special.log_softmax`, `keras.ops.log_softmax`, `T.nnet.logsoftmax`.

## Fix safety
Safe: the rewrite is mathematically identical and keeps the axis. It is offered
only when the axis carries over exactly (torch's implicit `dim` does not, and
neither does a layer whose `dim` is not a literal), when the framework has a
`log_softmax`, and, for a softmax bound to a name, when its arguments can be
moved to the log without being computed twice or read after a change.
"""

from __future__ import annotations

from nanlint.catalog.roles import LOG, SOFTMAX
from nanlint.finding import SAFE
from nanlint.rewrite import report_stable_log
from nanlint.rules import Invalid, Rule


class LogOfSoftmax(Rule):
    code = "NAN101"
    name = "log-of-softmax"
    severity = "error"
    fix = SAFE

    def check(self) -> None:
        values = self.ctx.values
        for op in values.ops(LOG):
            if op.input is None:
                continue
            produced = values.producer(op.input)
            # Through a ``self.`` attribute it is NAN103's business (RULES.md: NAN101 is
            # direct or through a local name).
            if produced is not None and produced.op.role == SOFTMAX and not produced.through_attribute(op.input):
                report_stable_log(self.ctx, op.call, produced, "softmax", "log_softmax")

    VALID = [
        "import torch\ny = torch.log_softmax(x, dim=1)\n",
        "import torch.nn.functional as F\ny = F.log_softmax(logits, dim=-1)\n",
        # guarded: NAN101 fires only on the softmax output itself
        "import torch\ny = torch.log(torch.softmax(x, dim=1) + 1e-8)\n",
        "import torch\ny = torch.log(torch.softmax(x, dim=1).clamp(min=1e-8))\n",
        "import tensorflow as tf\ny = tf.math.log(tf.clip_by_value(tf.nn.softmax(x), 1e-8, 1.0))\n",
        # not a log
        "import torch\ny = torch.exp(torch.softmax(x, dim=1))\n",
        "import logging\nlogger = logging.getLogger()\nlogger.log(10, 'softmax done')\n",
        # a name rebound in a branch: unknown, so silent
        "import torch\np = torch.softmax(x, dim=1)\nif cond:\n    p = p.clamp(min=1e-6)\ny = torch.log(p)\n",
        # a name rebound before the use
        "import torch\np = torch.softmax(x, dim=1)\np = p + 1e-6\ny = torch.log(p)\n",
        # a loop target shadows the softmax
        "import torch\np = torch.softmax(x, dim=1)\nfor p in parts:\n    y = torch.log(p)\n",
        # no framework import: .softmax().log() is not a tensor method here
        "y = thing.softmax(1).log()\n",
        # math.log of a number
        "import math\nimport torch\ny = math.log(10)\n",
        # softmax in another function, name not bound there
        "import torch\ndef f(x):\n    p = torch.softmax(x, 1)\n    return p\ndef g(p):\n    return torch.log(p)\n",
        # through a self attribute: NAN103's business, not NAN101's
        "import theano.tensor as T\nclass LogReg:\n    def __init__(self, x, W):\n"
        "        self.p_y_given_x = T.nnet.softmax(T.dot(x, W))\n"
        "    def nll(self, y):\n        return T.log(self.p_y_given_x)\n",
        # two different self.p assignments: unknown
        "import torch\nclass M:\n    def a(self, x):\n        self.p = torch.softmax(x, 1)\n"
        "    def b(self, x):\n        self.p = x\n    def c(self):\n        return torch.log(self.p)\n",
    ]

    INVALID = [
        Invalid("import torch\ny = torch.log(torch.softmax(x, dim=1))\n",
                "import torch\ny = torch.log_softmax(x, dim=1)\n"),
        Invalid("import torch.nn.functional as F\nimport torch\ny = torch.log(F.softmax(x, dim=-1))\n",
                "import torch.nn.functional as F\nimport torch\ny = F.log_softmax(x, dim=-1)\n"),
        # tensor methods
        Invalid("import torch\ny = x.softmax(1).log()\n", "import torch\ny = x.log_softmax(1)\n"),
        # implicit dim: reported, no fix
        Invalid("import torch.nn.functional as F\nimport torch\ny = torch.log(F.softmax(x))\n", None),
        # through a local name bound once
        Invalid("import torch\np = torch.softmax(logits, dim=1)\nloss = torch.log(p)\n",
                "import torch\np = torch.softmax(logits, dim=1)\nloss = torch.log_softmax(logits, dim=1)\n"),
        # a module attribute holding a softmax layer
        Invalid(
            "import torch\nfrom torch import nn\nclass Net(nn.Module):\n    def __init__(self):\n"
            "        super().__init__()\n        self.sm = nn.Softmax(dim=1)\n"
            "    def forward(self, h):\n        return torch.log(self.sm(h))\n",
            "import torch\nfrom torch import nn\nclass Net(nn.Module):\n    def __init__(self):\n"
            "        super().__init__()\n        self.sm = nn.Softmax(dim=1)\n"
            "    def forward(self, h):\n        return torch.log_softmax(h, dim=1)\n"),
        # names imported from the framework, and the counterpart imported the same way
        Invalid("from torch import log, softmax\ny = log(softmax(x, dim=1))\n",
                "from torch import log, softmax\nfrom torch import log_softmax\ny = log_softmax(x, dim=1)\n"),
        Invalid("import tensorflow as tf\ntf = tf.compat.v1\ny = tf.log(tf.nn.softmax(x))\n",
                "import tensorflow as tf\ntf = tf.compat.v1\ny = tf.nn.log_softmax(x)\n"),
        # TF1 and TF2
        Invalid("import tensorflow as tf\ny = tf.log(tf.nn.softmax(logits))\n",
                "import tensorflow as tf\ny = tf.nn.log_softmax(logits)\n"),
        Invalid("import tensorflow as tf\ny = tf.math.log(tf.nn.softmax(logits, axis=-1))\n",
                "import tensorflow as tf\ny = tf.nn.log_softmax(logits, axis=-1)\n"),
        # Keras backend has no log_softmax: reported without a fix
        Invalid("from keras import backend as K\ny = K.log(K.softmax(x))\n", None),
        Invalid("import keras\ny = keras.ops.log(keras.ops.softmax(x, axis=-1))\n",
                "import keras\ny = keras.ops.log_softmax(x, axis=-1)\n"),
        # JAX
        Invalid("import jax\nimport jax.numpy as jnp\ny = jnp.log(jax.nn.softmax(x, axis=-1))\n",
                "import jax\nimport jax.numpy as jnp\ny = jax.nn.log_softmax(x, axis=-1)\n"),
        # SciPy: the counterpart is imported like the softmax was
        Invalid("import numpy as np\nfrom scipy.special import softmax\ny = np.log(softmax(x, axis=1))\n",
                "import numpy as np\nfrom scipy.special import softmax\nfrom scipy.special import log_softmax\n"
                "y = log_softmax(x, axis=1)\n"),
        # Theano: the softmax's input is a call, so it is not moved to the log
        Invalid("import theano.tensor as T\np_y = T.nnet.softmax(T.dot(x, W) + b)\ncost = T.log(p_y)\n", None),
        Invalid("import theano.tensor as T\ncost = T.log(T.nnet.softmax(T.dot(x, W) + b))\n",
                "import theano.tensor as T\ncost = T.nnet.logsoftmax(T.dot(x, W) + b)\n"),
        # multi-line expression
        Invalid("import torch\ny = torch.log(\n    torch.softmax(\n        x,\n        dim=1,\n    )\n)\n",
                "import torch\ny = torch.log_softmax(\n        x,\n        dim=1,\n    )\n"),
    ]
