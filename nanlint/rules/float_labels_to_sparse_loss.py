"""## What it does
Flags float labels passed to a sparse (class-index) loss: Keras
`sparse_categorical_crossentropy` (the string, `SparseCategoricalCrossentropy`, or the
function) configured in `compile` and trained with `fit(x, y)`/`train_on_batch` where `y`
was cast to float; `tf.nn.sparse_softmax_cross_entropy_with_logits(labels=...)`; torch
`CrossEntropyLoss`/`NLLLoss`/`F.cross_entropy`/`F.nll_loss` with a `.float()`,
`FloatTensor` or `dtype=torch.float32` class-index target. The finding is reported at the
call that hands the labels to the model or the loss.

A float dtype counts only when the module shows it (`astype("float32")`, `.float()`,
`tf.cast(y, tf.float32)`, a `dtype=` argument, float literals). Torch's cross-entropy
also accepts float class *probabilities* (soft labels), so there the target must visibly
be class indices first (`randint`, integer literals, `range`, `argmax`, `.long()`,
integer dataset labels). One-hot labels are NAN402's business, not this rule's.

## Why is this bad?
A class-index loss looks up the predicted probability of class `y` with `y` as an index.
Float labels are truncated or rejected depending on the framework and device; on a GPU
an index that is not an exact integer in range reads garbage, and the loss becomes NaN.
Labels that went through arithmetic as floats (`y / 1.0`, averaging) may no longer be
exact class numbers at all.

## Example
```python
y = np.random.randint(0, 10, size=(1000,)).astype("float32")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(x, y, epochs=3)
```

## Use instead
```python
model.fit(x, y.astype("int64"), epochs=3)
```
(`y.long()` for a torch target, `tf.cast(y, tf.int64)` for a TensorFlow tensor.)

## Fix safety
Unsafe: the fix casts the labels to int64 where they are handed over, which truncates
any non-integer value instead of revealing it. When the argument itself is the float
cast (`y.float()`, `y.astype("float32")`, `tf.cast(y, tf.float32)`), the cast is replaced
by the integer one. No fix for a Python list or a value whose container is unknown.
"""

from __future__ import annotations

import libcst as cst

from nanlint.analysis.dataflow import Fact, Sink, dataflow
from nanlint.analysis.values import argument
from nanlint.catalog.roles import CAST, CAST_FLOAT
from nanlint.finding import UNSAFE
from nanlint.fixes import FixSpec, NeededImport
from nanlint.rules import Invalid, Rule

_ATOMS = (cst.Name, cst.Attribute, cst.Call, cst.Subscript)


class FloatLabelsToSparseLoss(Rule):
    code = "NAN401"
    name = "float-labels-to-sparse-loss"
    severity = "error"
    fix = UNSAFE

    def check(self) -> None:
        flow = dataflow(self.ctx)
        if not flow.has_label_sinks():
            return
        for sink in flow.sinks():
            loss = sink.loss
            if loss is None or not sink.labels:
                continue
            floats = []
            for label in sink.labels:
                fact = flow.fact(label)
                if fact.dtype != "float" or fact.one_hot is not None:
                    continue
                if loss.probabilities and not fact.class_index:
                    continue
                floats.append((label, fact))
            if not floats:
                continue
            fix = self._fix(sink, floats)
            shown = f"`{self.ctx.code_for(fix.replacements[0][1])}`" if fix else "an int64 cast"
            self.ctx.report(sink.call, f"float labels reach `{loss.name}`, which takes integer class indices; "
                                       f"cast them with {shown}", fix=fix)

    def _fix(self, sink: Sink, floats: list[tuple[cst.BaseExpression, Fact]]) -> FixSpec | None:
        replacements, imports = [], []
        for label, fact in floats:
            new = self._cast(sink, label, fact, imports)
            if new is None:
                return None
            replacements.append((label, new))
        shown = self.ctx.code_for(replacements[0][1])
        return FixSpec(UNSAFE, f"Cast the labels to int64: `{shown}`", replacements, imports)

    def _cast(self, sink: Sink, label: cst.BaseExpression, fact: Fact,
              imports: list[NeededImport]) -> cst.BaseExpression | None:
        flow = dataflow(self.ctx)
        value, container, written = label, fact.container, None
        api = flow.api_of(label) if isinstance(label, cst.Call) else None
        if api is not None and api.role == CAST_FLOAT and isinstance(label.func, cst.Attribute):
            value = label.func.value  # y.float() -> y.long()
        elif api is not None and api.role == CAST and flow.dtype_of(argument(label, api.extra["dtype"])) == "float":
            written = label  # y.astype("float32") -> y.astype("int64"), tf.cast(y, tf.float32) -> tf.cast(y, tf.int64)
        style = container
        if sink.kind == "loss" and sink.loss.framework == "tensorflow":
            style = "tensorflow"  # tf.cast takes NumPy arrays too
        elif sink.kind == "loss" and sink.loss.framework == "torch" and container != "torch":
            return None  # .long() exists on torch tensors only
        if style == "torch":
            return cst.Call(func=cst.Attribute(value=_atom(value), attr=cst.Name("long")))
        if style == "tensorflow":
            return self._tf_cast(label, written, imports)
        if style in ("numpy", "pandas"):
            if written is not None and isinstance(written.func, cst.Attribute):
                value = written.func.value
            return cst.Call(func=cst.Attribute(value=_atom(value), attr=cst.Name("astype")),
                            args=[cst.Arg(cst.SimpleString('"int64"'))])
        return None

    def _tf_cast(self, label, written, imports) -> cst.BaseExpression | None:
        """``tf.cast(y, tf.int64)``, spelled like the float cast it replaces when there is one."""
        ctx = self.ctx
        value, like_cast, like_dtype = label, None, None
        if written is not None and ctx.values.qualify(written.func) is not None and written.args:
            value, like_cast = written.args[0].value, written.func
            if len(written.args) > 1 and isinstance(written.args[1].value, cst.Attribute):
                like_dtype = written.args[1].value
        cast = ctx.callee("tensorflow.cast", like=like_cast)
        int64 = ctx.callee("tensorflow.int64", like=like_dtype)
        if cast is None or int64 is None:
            return None
        for needed in (cast[1], int64[1]):
            if needed is not None and needed not in imports:
                imports.append(needed)
        return cst.Call(func=cast[0], args=[
            cst.Arg(value=value, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
            cst.Arg(value=int64[0])])

    VALID = [
        # integer labels
        "import numpy as np\nimport keras\nx = np.random.rand(100, 4)\ny = np.random.randint(0, 3, size=(100,))\n"
        "model = keras.Sequential([keras.layers.Dense(3)])\n"
        "model.compile(loss='sparse_categorical_crossentropy')\nmodel.fit(x, y)\n",
        # labels cast with .long()
        "import torch\nimport torch.nn.functional as F\ny = torch.randint(0, 10, (64,)).float()\n"
        "loss = F.cross_entropy(logits, y.long())\n",
        # cast back to an integer type
        "import numpy as np\nimport keras\ny = np.random.randint(0, 10, 100).astype('float32')\ny = y.astype('int64')\n"
        "model = keras.Sequential([keras.layers.Dense(10)])\n"
        "model.compile(loss='sparse_categorical_crossentropy')\nmodel.fit(x, y)\n",
        "import tensorflow as tf\ny = tf.cast(labels, tf.float32)\n"
        "loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.cast(y, tf.int64), logits=z)\n",
        # float one-hot labels with the categorical loss
        "import numpy as np\nimport keras\ny = keras.utils.to_categorical(np.random.randint(0, 3, 100), 3)\n"
        "model = keras.Sequential([keras.layers.Dense(3)])\n"
        "model.compile(loss='categorical_crossentropy')\nmodel.fit(x, y)\n",
        # one-hot labels into a sparse loss: NAN402 reports it, not this rule
        "import numpy as np\nimport keras\ny = keras.utils.to_categorical(np.random.randint(0, 3, 100), 3)\n"
        "model = keras.Sequential([keras.layers.Dense(3)])\n"
        "model.compile(loss='sparse_categorical_crossentropy')\nmodel.fit(x, y)\n",
        # float regression targets with a regression loss
        "import numpy as np\nimport keras\ny = np.random.rand(100).astype('float32')\n"
        "model = keras.Sequential([keras.layers.Dense(1)])\nmodel.compile(loss='mse')\nmodel.fit(x, y)\n",
        # torch: float soft targets (probabilities) are valid for cross_entropy
        "import torch\nimport torch.nn.functional as F\nsoft = torch.softmax(teacher_logits, dim=1).float()\n"
        "loss = F.cross_entropy(student_logits, soft)\n",
        # torch: a float target of unknown origin
        "import torch\nfrom torch import nn\ncriterion = nn.CrossEntropyLoss()\n"
        "def step(out, target):\n    return criterion(out, target.float())\n",
        # float labels to a binary loss
        "import torch\nfrom torch import nn\ny = torch.randint(0, 2, (8,)).float()\n"
        "loss = nn.BCEWithLogitsLoss()(z, y)\n",
        # a model the module does not build
        "import numpy as np\nimport keras\nmodel = keras.models.load_model('m.keras')\n"
        "model.fit(x, np.random.randint(0, 3, 10).astype('float32'))\n",
        # the loss passed in from elsewhere
        "import numpy as np\nimport keras\ndef train(loss):\n    model = keras.Sequential([keras.layers.Dense(3)])\n"
        "    model.compile(loss=loss)\n    model.fit(x, np.random.randint(0, 3, 10).astype('float32'))\n",
        # rebound in a branch: unknown
        "import numpy as np\nimport keras\ny = np.random.randint(0, 3, 10)\nif smooth:\n    y = y.astype('float32')\n"
        "model = keras.Sequential([keras.layers.Dense(3)])\n"
        "model.compile(loss='sparse_categorical_crossentropy')\nmodel.fit(x, y)\n",
        # float dtype of an unknown source into a torch loss
        "import torch\nfrom torch import nn\ntarget = torch.tensor(data, dtype=torch.float32)\n"
        "loss = nn.CrossEntropyLoss()(out, target)\n",
    ]

    INVALID = [
        Invalid(
            "import numpy as np\nimport keras\nx = np.random.rand(1000, 20).astype('float32')\n"
            "y = np.random.randint(0, 10, size=(1000,)).astype('float32')\n"
            "model = keras.Sequential([keras.layers.Dense(10, activation='softmax')])\n"
            "model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')\n"
            "model.fit(x, y, epochs=3, batch_size=32)\n",
            "import numpy as np\nimport keras\nx = np.random.rand(1000, 20).astype('float32')\n"
            "y = np.random.randint(0, 10, size=(1000,)).astype('float32')\n"
            "model = keras.Sequential([keras.layers.Dense(10, activation='softmax')])\n"
            "model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')\n"
            'model.fit(x, y.astype("int64"), epochs=3, batch_size=32)\n'),
        # the float cast written at the sink is replaced
        Invalid(
            "import torch\nimport torch.nn.functional as F\ntargets = torch.randint(0, 10, (64,))\n"
            "loss = F.cross_entropy(logits, targets.float())\n",
            "import torch\nimport torch.nn.functional as F\ntargets = torch.randint(0, 10, (64,))\n"
            "loss = F.cross_entropy(logits, targets.long())\n"),
        Invalid(
            "import torch\nfrom torch import nn\nlabels = [0, 2, 1, 1]\n"
            "target = torch.tensor(labels, dtype=torch.float32)\ncriterion = nn.CrossEntropyLoss()\n"
            "loss = criterion(model_out, target)\n",
            "import torch\nfrom torch import nn\nlabels = [0, 2, 1, 1]\n"
            "target = torch.tensor(labels, dtype=torch.float32)\ncriterion = nn.CrossEntropyLoss()\n"
            "loss = criterion(model_out, target.long())\n"),
        Invalid(
            "import numpy as np\nimport tensorflow as tf\ny = np.array([0, 1, 2, 1])\n"
            "loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.cast(y, tf.float32), logits=z)\n",
            "import numpy as np\nimport tensorflow as tf\ny = np.array([0, 1, 2, 1])\n"
            "loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.cast(y, tf.int64), logits=z)\n"),
        # the loss object in compile, float literals
        Invalid(
            "import numpy as np\nfrom tensorflow import keras\ny = np.array([0., 1., 2., 1.])\n"
            "model = keras.Sequential([keras.layers.Dense(3)])\n"
            "model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))\n"
            "model.fit(x, y)\n",
            "import numpy as np\nfrom tensorflow import keras\ny = np.array([0., 1., 2., 1.])\n"
            "model = keras.Sequential([keras.layers.Dense(3)])\n"
            "model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))\n"
            'model.fit(x, y.astype("int64"))\n'),
        Invalid(
            "import torch\nfrom torch import nn\nimport torch.nn.functional as F\ny = torch.arange(4).double()\n"
            "nll = nn.NLLLoss()\nloss = nll(F.log_softmax(out, dim=1), y)\n",
            "import torch\nfrom torch import nn\nimport torch.nn.functional as F\ny = torch.arange(4).double()\n"
            "nll = nn.NLLLoss()\nloss = nll(F.log_softmax(out, dim=1), y.long())\n"),
        # train_on_batch; pandas labels
        Invalid(
            "import pandas as pd\nimport keras\ndf = pd.read_csv('d.csv').dropna()\n"
            "y = df['label'].astype('float32')\nmodel = keras.Sequential([keras.layers.Dense(4)])\n"
            "model.compile(loss='sparse_categorical_crossentropy')\nmodel.train_on_batch(df[['a', 'b']], y)\n",
            "import pandas as pd\nimport keras\ndf = pd.read_csv('d.csv').dropna()\n"
            "y = df['label'].astype('float32')\nmodel = keras.Sequential([keras.layers.Dense(4)])\n"
            'model.compile(loss=\'sparse_categorical_crossentropy\')\n'
            'model.train_on_batch(df[[\'a\', \'b\']], y.astype("int64"))\n'),
        # validation labels
        Invalid(
            "import numpy as np\nimport keras\n(x, y), (xv, yv) = keras.datasets.mnist.load_data()\n"
            "x, xv = x / 255.0, xv / 255.0\n"
            "model = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(10)])\n"
            "model.compile(loss='sparse_categorical_crossentropy')\n"
            "model.fit(x, y, validation_data=(xv, yv.astype(np.float32)))\n",
            "import numpy as np\nimport keras\n(x, y), (xv, yv) = keras.datasets.mnist.load_data()\n"
            "x, xv = x / 255.0, xv / 255.0\n"
            "model = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(10)])\n"
            "model.compile(loss='sparse_categorical_crossentropy')\n"
            'model.fit(x, y, validation_data=(xv, yv.astype("int64")))\n'),
        # a Python list of floats: reported without a fix
        Invalid(
            "import keras\nmodel = keras.Sequential([keras.layers.Dense(3)])\n"
            "model.compile(loss='sparse_categorical_crossentropy')\nmodel.fit(x, [0.0, 1.0, 2.0])\n", None),
    ]


def _atom(expr: cst.BaseExpression) -> cst.BaseExpression:
    if isinstance(expr, _ATOMS) or expr.lpar:
        return expr
    return expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
