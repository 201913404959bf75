"""## What it does
Flags class labels that a module visibly puts outside `[0, n_classes)` for a class-index
loss: negative or symmetric-around-0 labels (`-1, 0, 1`), a label at or above the number
of output units (`Dense(5)` and a label `8000`; `DNNClassifier(n_classes=11)`; the last
`nn.Linear(_, n)` of the model whose output the loss reads), and one-hot labels
(`to_categorical`) passed to a sparse loss. Label values are read from literals,
`np.array`/`torch.tensor` literals, `randint(low, high)`, `np.random.choice([...])`,
`range`/`arange`, `np.vstack`/`concatenate`/`append` of those, shifted by constants.

The finding is reported where the bad value is introduced (the literal, the `randint`,
the `vstack`...), once per place, even when the labels reach several calls. A label
equal to the loss's ignore index (torch's `ignore_index=-100`, Keras `ignore_class=`)
is valid. Nothing is reported when the values, the loss or the output width is not
visible in the module.

## Why is this bad?
A class-index loss reads `log_softmax(logits)[label]`. An index outside the output
layer reads memory that is not a probability (on a GPU, silently): the loss becomes
NaN, as in seed 000's Keras reproduction where one label 8000 for a 5-unit softmax
turns `loss: 1.83` into `loss: nan`. Negative classes (`-1, 0, 1`) index from the end
or out of bounds. One-hot rows are read as a batch of indices.

## Example
```python
y = np.random.randint(0, high=5, size=(20, 1))
y = np.vstack((y, [[8000]]))
model = Sequential([Dense(10, input_dim=5), Activation("relu"), Dense(5), Activation("softmax")])
model.compile(optimizer="Adam", loss="sparse_categorical_crossentropy")
model.fit(X, y, epochs=5)
```

## Use instead
```python
# class indices 0..n_classes-1 only (map -1, 0, 1 to 0, 1, 2), or widen the output layer
y = np.vstack((y, [[4]]))
```
and integer labels (not `to_categorical`) for `sparse_categorical_crossentropy`, or
`categorical_crossentropy` for one-hot labels.

## Fix safety
No automatic fix: the right class numbering (or output width) is the user's decision.
"""

from __future__ import annotations

import libcst as cst

from nanlint.analysis.dataflow import Piece, dataflow
from nanlint.rules import Invalid, Rule


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


class LabelsOutOfRange(Rule):
    code = "NAN402"
    name = "labels-out-of-range"
    severity = "error"
    fix = "none"

    def check(self) -> None:
        flow = dataflow(self.ctx)
        if not flow.has_label_sinks():
            return
        found: dict[int, tuple[cst.CSTNode, str, list]] = {}

        def add(site: cst.CSTNode, message: str, covers: cst.CSTNode | None = None) -> None:
            entry = found.setdefault(id(site), (site, message, []))
            if covers is not None:
                entry[2].append(covers)

        for sink in flow.sinks():
            loss = sink.loss
            if loss is None or not sink.labels:
                continue
            model = sink.model if sink.model is not None else flow.logits_model(sink.logits)
            width = flow.classes(model) if model is not None else None
            classes = width[0] if width is not None else None
            for label in sink.labels:
                fact = flow.fact(label)
                if fact.one_hot is not None:
                    if not loss.probabilities:
                        add(fact.one_hot, f"one-hot labels from `{self.ctx.code_for(fact.one_hot.func)}` reach "
                                          f"`{loss.name}`, which takes class indices; pass the integer labels "
                                          f"or use a categorical (one-hot) loss", covers=sink.call)
                    continue
                for piece in fact.labels or ():
                    message = self._range_message(piece, classes, loss.ignore, loss.name)
                    if message is not None:
                        add(piece.site, message)
        for site, message, covers in found.values():
            self.ctx.report(site, message, covers=tuple(covers))

    @staticmethod
    def _range_message(piece: Piece, classes: int | None, ignore: int | None, loss: str) -> str | None:
        bad = piece.bad_values(classes, ignore)
        if not bad:
            return None
        if piece.values is not None:
            shown = f"label {_number(bad[0])}"
        else:
            shown = f"labels {_number(piece.low)}..{_number(piece.high)}"
        if bad[0] < 0:
            hint = " (0, 1, 2 instead of -1, 0, 1)" if piece.high > 0 else ""
            verb = "is negative" if piece.values is not None else "include negative values"
            return f"{shown} {verb}, but `{loss}` takes class indices from 0; renumber the classes from 0{hint}"
        verb = "is" if piece.values is not None else "go"
        return (f"{shown} {verb} out of range for a model with {classes} output classes (indices "
                f"0..{classes - 1}); renumber the labels or widen the output layer")

    VALID = [
        # the seed's first fit: labels 0..4 for five output units
        "from keras.models import Sequential\nfrom keras.layers import Dense, Activation\nimport numpy as np\n"
        "X = np.random.random(size=(20, 5))\ny = np.random.randint(0, high=5, size=(20, 1))\n"
        "model = Sequential([Dense(10, input_dim=5), Activation('relu'), Dense(5), Activation('softmax')])\n"
        "model.compile(optimizer='Adam', loss='sparse_categorical_crossentropy')\nmodel.fit(X, y, epochs=5)\n",
        # labels 0, 1, 2 for three classes
        "import numpy as np\nimport keras\ny = np.array([0, 1, 2, 2, 1, 0])\n"
        "model = keras.Sequential([keras.layers.Dense(3, activation='softmax')])\n"
        "model.compile(loss='sparse_categorical_crossentropy')\nmodel.fit(x, y)\n",
        # randint(0, n_classes) with the width in a constant
        "import numpy as np\nimport keras\nN_CLASSES = 10\ny = np.random.randint(0, N_CLASSES, 100)\n"
        "model = keras.Sequential([keras.layers.Dense(N_CLASSES)])\n"
        "model.compile(loss='sparse_categorical_crossentropy')\nmodel.fit(x, y)\n",
        # to_categorical with categorical_crossentropy
        "import numpy as np\nimport keras\ny = keras.utils.to_categorical(np.array([0, 1, 2]), num_classes=3)\n"
        "model = keras.Sequential([keras.layers.Dense(3)])\n"
        "model.compile(loss='categorical_crossentropy')\nmodel.fit(x, y)\n",
        # -1, 0, 1 shifted to 0, 1, 2
        "import numpy as np\nimport keras\ny = np.array([-1, 0, 1, 1]) + 1\n"
        "model = keras.Sequential([keras.layers.Dense(3)])\n"
        "model.compile(loss='sparse_categorical_crossentropy')\nmodel.fit(x, y)\n",
        # labels 1..3 shifted down
        "import numpy as np\nimport keras\ny = np.array([1, 2, 3])\ny -= 1\n"
        "model = keras.Sequential([keras.layers.Dense(3)])\n"
        "model.compile(loss='sparse_categorical_crossentropy')\nmodel.fit(x, y)\n",
        # torch's ignore_index
        "import torch\nimport torch.nn.functional as F\ntarget = torch.tensor([1, 0, -100, 2])\n"
        "loss = F.cross_entropy(logits, target)\n",
        "import torch\nfrom torch import nn\ntarget = torch.tensor([1, -1, 0])\n"
        "loss = nn.CrossEntropyLoss(ignore_index=-1)(logits, target)\n",
        # Keras ignore_class
        "import numpy as np\nimport keras\ny = np.array([0, -1, 1])\n"
        "model = keras.Sequential([keras.layers.Dense(2)])\n"
        "model.compile(loss=keras.losses.SparseCategoricalCrossentropy(ignore_class=-1))\nmodel.fit(x, y)\n",
        # -1/1 labels for a hinge loss are right
        "import numpy as np\nimport keras\ny = np.array([-1, 1, 1, -1])\n"
        "model = keras.Sequential([keras.layers.Dense(1)])\n"
        "model.compile(loss='hinge')\nmodel.fit(x, y)\n",
        # unknown width: only negative labels are visible errors
        "import numpy as np\nimport keras\nmodel = keras.models.load_model('m.keras')\n"
        "model.fit(x, np.array([0, 5, 9000]))\n",
        # a subset of the labels: which values remain is unknown
        "import numpy as np\nimport keras\ny = np.array([0, 1, 8000])\n"
        "model = keras.Sequential([keras.layers.Dense(2)])\n"
        "model.compile(loss='sparse_categorical_crossentropy')\nmodel.fit(x[:2], y[:2])\n",
        # torch: one-hot float targets are probabilities for cross_entropy
        "import torch\nimport torch.nn.functional as F\nt = F.one_hot(torch.tensor([0, 2, 1]), 3).float()\n"
        "loss = F.cross_entropy(logits, t)\n",
        # the estimator's classes given as a vocabulary
        "import numpy as np\nimport tensorflow as tf\n"
        "clf = tf.estimator.DNNClassifier(hidden_units=[8], feature_columns=cols, label_vocabulary=['a', 'b'])\n"
        "clf.fit(x=x, y=np.array([0, 1, 5]))\n",
        # rebound in a branch: unknown
        "import numpy as np\nimport keras\ny = np.array([0, 1, 2])\nif extra:\n    y = np.append(y, 7)\n"
        "model = keras.Sequential([keras.layers.Dense(3)])\n"
        "model.compile(loss='sparse_categorical_crossentropy')\nmodel.fit(x, y)\n",
        # the last Linear has as many outputs as there are classes
        "import torch\nfrom torch import nn\nclass Net(nn.Module):\n    def __init__(self, n):\n"
        "        super().__init__()\n        self.fc = nn.Linear(16, n)\n    def forward(self, x):\n"
        "        return self.fc(x)\nmodel = Net(5)\ny = torch.randint(0, 5, (32,))\n"
        "loss = nn.CrossEntropyLoss()(model(x), y)\n",
    ]

    INVALID = [
        # seed 000: one label 8000 appended for a 5-unit softmax
        Invalid(
            "from keras.models import Sequential\nfrom keras.layers import Dense, Activation\nimport numpy as np\n"
            "X = np.random.random(size=(20, 5))\ny = np.random.randint(0, high=5, size=(20, 1))\n"
            "model = Sequential([Dense(10, input_dim=5), Activation('relu'), Dense(5), Activation('softmax')])\n"
            "model.compile(optimizer='Adam', loss='sparse_categorical_crossentropy')\n"
            "history = model.fit(X, y, epochs=5)\nX = np.vstack((X, np.random.random(size=(1, 5))))\n"
            "y = np.vstack((y, [[8000]]))\nhistory = model.fit(X, y, epochs=5)\n"),
        # seed 000: classes -1, 0, 1
        Invalid(
            "import numpy as np\nfrom tensorflow import keras\ny = np.array([-1, 0, 1, 1, 0, -1])\n"
            "model = keras.Sequential([keras.layers.Dense(3, activation='softmax')])\n"
            "model.compile(loss='sparse_categorical_crossentropy')\nmodel.fit(X, y)\n"),
        Invalid(
            "import numpy as np\nimport keras\ny = np.random.randint(0, 10, size=(100,))\n"
            "model = keras.Sequential([keras.layers.Dense(64), keras.layers.Dense(5), keras.layers.Softmax()])\n"
            "model.compile(loss='sparse_categorical_crossentropy')\nmodel.fit(x, y)\n"),
        # one-hot labels into a sparse loss
        Invalid(
            "import numpy as np\nfrom tensorflow import keras\ny = np.random.randint(0, 3, 100)\n"
            "model = keras.Sequential([keras.layers.Dense(3)])\n"
            "model.compile(loss=keras.losses.SparseCategoricalCrossentropy())\n"
            "model.fit(x, keras.utils.to_categorical(y, 3))\n"),
        # an estimator's n_classes
        Invalid(
            "import numpy as np\nimport tensorflow as tf\n"
            "clf = tf.contrib.learn.DNNClassifier(hidden_units=[10], feature_columns=cols, n_classes=3)\n"
            "labels = np.array([0, 1, 2, 3])\nclf.fit(x=x, y=labels, steps=100)\n"),
        # torch: negative class index
        Invalid(
            "import torch\nimport torch.nn.functional as F\ntarget = torch.tensor([-1, 0, 1])\n"
            "loss = F.nll_loss(F.log_softmax(logits, dim=1), target)\n"),
        # torch: the last nn.Linear of the model whose output the loss reads
        Invalid(
            "import torch\nfrom torch import nn\nclass Net(nn.Module):\n    def __init__(self):\n"
            "        super().__init__()\n        self.body = nn.Linear(8, 16)\n        self.head = nn.Linear(16, 3)\n"
            "    def forward(self, x):\n        return self.head(self.body(x))\nmodel = Net()\n"
            "criterion = nn.CrossEntropyLoss()\ny = torch.randint(0, 5, (32,))\nout = model(x)\n"
            "loss = criterion(out, y)\n"),
        # classes numbered from 1 (off by one)
        Invalid(
            "import numpy as np\nimport keras\ny = np.arange(1, 11)\n"
            "model = keras.Sequential([keras.layers.Dense(10)])\n"
            "model.compile(loss='sparse_categorical_crossentropy')\nmodel.fit(x, y)\n"),
        Invalid(
            "import numpy as np\nimport keras\ny = np.random.choice([1, 2, 3], size=50)\n"
            "model = keras.Sequential([keras.layers.Dense(3)])\n"
            "model.compile(loss='sparse_categorical_crossentropy')\nmodel.fit(x, y)\n"),
        # one place reaching two calls: one finding
        Invalid(
            "import numpy as np\nimport keras\ny = np.concatenate([np.random.randint(0, 4, 10), [4]])\n"
            "model = keras.Sequential([keras.layers.Dense(4)])\n"
            "model.compile(loss='sparse_categorical_crossentropy')\nmodel.fit(x, y)\nmodel.evaluate(x, y)\n"),
    ]
