"""## What it does
Flags a recurrent layer (`nn.LSTM`, `nn.GRU`, `nn.RNN` and their cells, Keras
`LSTM`, `GRU`, `SimpleRNN`, TF1 `rnn_cell`s, Flax cells) in a module that also
trains (`backward()` with an optimizer `step()`, `fit`, `train_on_batch`,
`apply_gradients`, `minimize`, `optax.apply_updates`) but clips gradients
nowhere: no `clip_grad_norm_`/`clip_grad_value_`, no `clipnorm=`, `clipvalue=` or
`global_clipnorm=` on an optimizer, no `tf.clip_by_global_norm`/`tf.clip_by_norm`,
no `optax.clip_by_global_norm`/`optax.clip`, no hand-clamped `p.grad`. Reported
once, at the first recurrent layer. A file that only defines a recurrent model is
not reported.

## Why is this bad?
Backpropagation through time multiplies the recurrent Jacobian once per time
step, so gradients grow exponentially with sequence length when its largest
singular value exceeds 1. One exploding step moves the weights far enough that the
next forward pass overflows, and the loss becomes nan (seed 001: the weights grow
from 0.1 to -24165 in three epochs; the accepted remedies are a lower learning rate
and gradient clipping).

## Example
```python
model = nn.LSTM(128, 512, num_layers=2)
...
loss.backward()
optimizer.step()
```

## Use instead
```python
loss.backward()
torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
optimizer.step()
```
In Keras: `keras.optimizers.Adam(learning_rate=1e-3, clipnorm=1.0)`.

## Fix safety
No automatic fix: the clipping threshold is a training choice, and where the call
goes depends on the loop (after `backward()`, after unscaling with a GradScaler).
"""

from __future__ import annotations

import libcst as cst

from nanlint import catalog
from nanlint.analysis.precision import precision_of
from nanlint.catalog.roles import RECURRENT
from nanlint.finding import INFO
from nanlint.rules import Invalid, Rule

# The class names of recurrent layers: only calls of these names are worth qualifying.
RECURRENT_LEAVES = frozenset(row.name.rpartition(".")[2] for row in catalog.FUNCTIONS.values()
                             if row.role == RECURRENT)


class MissingGradientClipping(Rule):
    code = "NAN303"
    name = "missing-gradient-clipping"
    severity = INFO
    fix = "none"

    def check(self) -> None:
        ctx = self.ctx
        if not ctx.framework_file:
            return
        found = self._first_recurrent_layer()
        if found is None:
            return
        first, row = found
        facts = precision_of(ctx)
        if not facts.training or facts.clipping:
            return
        layer = ctx.code_for(first.func)
        ctx.report(first, f"recurrent layer `{layer}` is trained without gradient clipping, so one exploding "
                          f"gradient can turn the weights into nan; clip them, e.g. {row.extra['clip']}")

    def _first_recurrent_layer(self) -> tuple[cst.Call, object] | None:
        values = self.ctx.values
        for call in self.ctx.index.of_type(cst.Call):
            func = call.func
            leaf = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", None)
            if leaf not in RECURRENT_LEAVES:
                continue
            qualified = values.qualify(func)
            if qualified is None:
                continue
            row = catalog.lookup(qualified)
            if row is not None and row.role == RECURRENT:
                return call, row
        return None

    VALID = [
        # a file that only defines a recurrent model
        "import torch.nn as nn\nclass Encoder(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.rnn = nn.GRU(64, 128)\n",
        # clipped
        "import torch\nfrom torch import nn\nmodel = nn.LSTM(32, 64)\nloss.backward()\n"
        "torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)\noptimizer.step()\n",
        "import torch\nfrom torch.nn.utils import clip_grad_value_\nrnn = torch.nn.RNN(8, 8)\nloss.backward()\n"
        "clip_grad_value_(rnn.parameters(), 0.5)\nopt.step()\n",
        "import torch\nrnn = torch.nn.LSTM(8, 8)\nloss.backward()\naccelerator.clip_grad_norm_(rnn.parameters(), 1.0)\n"
        "opt.step()\n",
        "import torch\nrnn = torch.nn.LSTM(8, 8)\nloss.backward()\nfor p in rnn.parameters():\n"
        "    p.grad.data.clamp_(-1, 1)\nopt.step()\n",
        "from tensorflow import keras\nmodel = keras.Sequential([keras.layers.LSTM(32), keras.layers.Dense(1)])\n"
        "model.compile(optimizer=keras.optimizers.Adam(1e-3, clipnorm=1.0), loss='mse')\nmodel.fit(x, y)\n",
        "import tensorflow as tf\nlayer = tf.keras.layers.GRU(16)\ngrads = tape.gradient(loss, vars)\n"
        "grads, _ = tf.clip_by_global_norm(grads, 5.0)\nopt.apply_gradients(zip(grads, vars))\n",
        "import optax\nimport flax.linen as nn\ncell = nn.LSTMCell(features=32)\n"
        "tx = optax.chain(optax.clip_by_global_norm(1.0), optax.adam(1e-3))\nparams = optax.apply_updates(params, u)\n",
        "from tensorflow import keras\nmodel = keras.Sequential([keras.layers.SimpleRNN(8)])\n"
        "model.compile(optimizer=keras.optimizers.SGD(global_clipnorm=1.0), loss='mse')\nmodel.fit(x, y)\n",
        # no recurrent layer
        "import torch\nmodel = torch.nn.Linear(4, 2)\nloss.backward()\nopt.step()\n",
        # backward without a step is not a training loop (gradient inspection)
        "import torch\nrnn = torch.nn.LSTM(8, 8)\nout, _ = rnn(x)\nout.sum().backward()\nprint(x.grad)\n",
        # a recurrent layer in a file without framework imports is not understood
        "class LSTM:\n    pass\nlayer = LSTM()\nmodel.fit(x, y)\n",
        # Lightning's Trainer clips
        "import torch\nimport lightning as L\nrnn = torch.nn.GRU(8, 8)\n"
        "trainer = L.Trainer(gradient_clip_val=0.5)\ntrainer.fit(model)\n",
    ]

    INVALID = [
        Invalid("import torch\nimport torch.nn as nn\nclass CharLSTM(nn.Module):\n    def __init__(self):\n"
                "        super().__init__()\n        self.lstm = nn.LSTM(128, 512, num_layers=2)\n"
                "model = CharLSTM()\nopt = torch.optim.Adam(model.parameters())\nloss.backward()\nopt.step()\n"),
        Invalid("import torch\nrnn = torch.nn.GRU(8, 16)\nfor x, y in loader:\n    loss = crit(rnn(x)[0], y)\n"
                "    optimizer.zero_grad()\n    loss.backward()\n    optimizer.step()\n"),
        Invalid("from torch import nn\nimport torch\ncell = nn.LSTMCell(8, 8)\nloss.backward()\nopt.step()\n"),
        Invalid("from tensorflow import keras\n"
                "model = keras.Sequential([keras.layers.LSTM(64), keras.layers.Dense(1)])\n"
                "model.compile(optimizer='adam', loss='mse')\nmodel.fit(x, y, epochs=10)\n"),
        Invalid("import tensorflow as tf\nlayer = tf.keras.layers.GRU(16)\ngrads = tape.gradient(loss, variables)\n"
                "opt.apply_gradients(zip(grads, variables))\n"),
        Invalid("from keras.layers import SimpleRNN, Dense\nfrom keras.models import Sequential\n"
                "model = Sequential([SimpleRNN(32), Dense(1)])\nmodel.compile('sgd', 'mse')\n"
                "model.train_on_batch(x, y)\n"),
        Invalid("import tensorflow as tf\ncell = tf.nn.rnn_cell.BasicLSTMCell(128)\n"
                "train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)\n"),
        Invalid("import optax\nimport flax.linen as nn\ncell = nn.GRUCell(features=32)\ntx = optax.adam(1e-3)\n"
                "params = optax.apply_updates(params, updates)\n"),
        # several recurrent layers: one finding, at the first
        Invalid("import torch\nfrom torch import nn\nenc = nn.LSTM(8, 8)\ndec = nn.LSTM(8, 8)\nloss.backward()\n"
                "opt.step()\n"),
    ]
