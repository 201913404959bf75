"""## What it does
Flags tabular data read with `pd.read_csv` (or another pandas reader), `np.genfromtxt`
(which fills gaps with `nan`) or `np.loadtxt`, reaching a deep-learning training call
with no missing-value handling on the way: `fit`/`train_on_batch` of a Keras model, an
estimator such as `DNNClassifier`, or a wrapper such as skorch's `NeuralNetClassifier`,
and `model(x)` inside a training loop (a loop in a function that calls
`loss.backward()` or `tape.gradient`). The finding is reported at the training call.

Handling is `dropna`, `fillna`, `interpolate`, `nan_to_num`, an imputer
(`SimpleImputer`, `KNNImputer`, `IterativeImputer`), or a NaN check anywhere in the
module on data from the same read (`assert not np.any(np.isnan(x))`, `df.isna()`).
`np.load` of saved arrays is not a source; `predict`, `evaluate` and plain
scikit-learn estimators are not sinks; in-place handling (`df.dropna(inplace=True)`)
or anything the module does not show stops the analysis, silently.

## Why is this bad?
One NaN in one input row makes that row's loss NaN, the mean loss NaN, and every
weight NaN after the next update: training "diverges" at once, far from the cause.
Seed 000's answer: "check the input data with `assert not np.any(np.isnan(x))` to
make sure you are not introducing nan".

## Example
```python
train_data = np.genfromtxt("train.csv", delimiter=",", skip_header=1)
classifier.fit(x=train_data[:, :4], y=train_data[:, 4].astype(np.int32), steps=2000)
```

## Use instead
```python
train_data = np.genfromtxt("train.csv", delimiter=",", skip_header=1)
assert not np.any(np.isnan(train_data)), "missing values in train.csv"
classifier.fit(x=train_data[:, :4], y=train_data[:, 4].astype(np.int32), steps=2000)
```
or drop or impute the missing values (`df.dropna()`, `SimpleImputer().fit_transform(x)`).

## Fix safety
No automatic fix: whether to drop, fill or impute missing values is a modelling decision.
"""

from __future__ import annotations

from nanlint.analysis.dataflow import DEEP_FIT_FAMILIES, dataflow
from nanlint.rules import Invalid, Rule


class UncheckedNanInput(Rule):
    code = "NAN404"
    name = "unchecked-nan-input"
    severity = "info"
    fix = "none"

    def check(self) -> None:
        flow = dataflow(self.ctx)
        if not flow.has_table_sources():
            return
        for sink in flow.sinks():
            if sink.kind == "train":
                if sink.model.family not in DEEP_FIT_FAMILIES:
                    continue
            elif sink.kind != "apply" or not flow.trains(sink):
                continue
            for expr in (*sink.inputs, *sink.labels):
                source = flow.fact(expr).nan_source
                if source is not None and not flow.checked(source):
                    reader = self.ctx.code_for(source.func)
                    target = "the model" if sink.kind == "apply" else f"`{self.ctx.code_for(sink.call.func)}`"
                    self.ctx.report(sink.call, f"data from `{reader}` may hold NaN and reaches {target} with no "
                                               f"missing-value handling; drop or fill missing values (`dropna`, "
                                               f"`fillna`, `SimpleImputer`) or check them "
                                               f"(`assert not np.any(np.isnan(x))`)")
                    break

    VALID = [
        "import pandas as pd\nimport keras\ndf = pd.read_csv('d.csv')\ndf = df.dropna()\n"
        "model = keras.Sequential([keras.layers.Dense(1)])\nmodel.fit(df[['a', 'b']].values, df['y'].values)\n",
        "import pandas as pd\nimport keras\ndf = pd.read_csv('d.csv').fillna(0)\n"
        "model = keras.Sequential([keras.layers.Dense(1)])\nmodel.fit(df.drop(columns=['y']), df['y'])\n",
        "import numpy as np\nimport keras\nfrom sklearn.impute import SimpleImputer\n"
        "data = SimpleImputer().fit_transform(np.genfromtxt('d.csv', delimiter=','))\n"
        "model = keras.Sequential([keras.layers.Dense(3)])\nmodel.fit(data[:, :4], data[:, 4].astype(int))\n",
        "import numpy as np\nimport keras\ndata = np.nan_to_num(np.genfromtxt('d.csv', delimiter=','))\n"
        "model = keras.Sequential([keras.layers.Dense(3)])\nmodel.fit(data[:, :4], data[:, 4])\n",
        # seed 000's check
        "import numpy as np\nimport tensorflow as tf\ntrain = np.genfromtxt('t.csv', delimiter=',', skip_header=1)\n"
        "assert not np.any(np.isnan(train))\nclf = tf.contrib.learn.DNNClassifier(hidden_units=[10], n_classes=3)\n"
        "clf.fit(x=train[:, :4], y=train[:, 4].astype(np.int32), steps=100)\n",
        "import pandas as pd\nimport keras\ndf = pd.read_csv('d.csv')\nprint(df.isna().sum())\n"
        "model = keras.Sequential([keras.layers.Dense(1)])\nmodel.fit(df[['a']], df['y'])\n",
        # a plain scikit-learn estimator
        "import pandas as pd\nfrom sklearn.ensemble import RandomForestClassifier\ndf = pd.read_csv('d.csv')\n"
        "RandomForestClassifier().fit(df[['a', 'b']], df['y'])\n",
        # predict and evaluate are not training
        "import pandas as pd\nimport keras\ndf = pd.read_csv('d.csv')\n"
        "model = keras.Sequential([keras.layers.Dense(1)])\n"
        "model.predict(df[['a', 'b']])\nmodel.evaluate(df[['a', 'b']], df['y'])\n",
        # np.load of saved arrays is not a source
        "import numpy as np\nimport keras\nx = np.load('x.npy')\nmodel = keras.Sequential([keras.layers.Dense(1)])\n"
        "model.fit(x, x)\n",
        # handled in place: not followed
        "import pandas as pd\nimport keras\ndf = pd.read_csv('d.csv')\ndf.dropna(inplace=True)\n"
        "model = keras.Sequential([keras.layers.Dense(1)])\nmodel.fit(df[['a']], df['y'])\n",
        # a model the module does not build
        "import pandas as pd\nimport keras\ndf = pd.read_csv('d.csv')\nmodel = keras.models.load_model('m.keras')\n"
        "model.fit(df[['a']], df['y'])\n",
        # torch: inference, no training loop
        "import pandas as pd\nimport torch\nfrom torch import nn\ndf = pd.read_csv('d.csv')\n"
        "model = nn.Sequential(nn.Linear(2, 1))\nx = torch.tensor(df[['a', 'b']].values, dtype=torch.float32)\n"
        "with torch.no_grad():\n    pred = model(x)\n",
        # an imputer object, then train_test_split
        "import pandas as pd\nimport keras\nfrom sklearn.impute import KNNImputer\n"
        "from sklearn.model_selection import train_test_split\ndf = pd.read_csv('d.csv')\n"
        "imputer = KNNImputer()\nx = imputer.fit_transform(df[['a', 'b']])\n"
        "x_train, x_test, y_train, y_test = train_test_split(x, df['y'].fillna(0))\n"
        "model = keras.Sequential([keras.layers.Dense(1)])\nmodel.fit(x_train, y_train)\n",
    ]

    INVALID = [
        # seed 000: genfromtxt into DNNClassifier.fit
        Invalid(
            "import numpy as np\nimport tensorflow as tf\n"
            "train = np.genfromtxt('t.csv', delimiter=',', skip_header=1)\n"
            "x_train = train[:, :4].astype(np.float32)\ny_train = train[:, 4].astype(np.int32)\n"
            "clf = tf.contrib.learn.DNNClassifier(hidden_units=[300, 300, 300], n_classes=11)\n"
            "clf.fit(x=x_train, y=y_train, steps=2000)\n"),
        Invalid(
            "import pandas as pd\nfrom tensorflow import keras\ndf = pd.read_csv('churn.csv')\n"
            "features = df.drop(columns=['churned']).to_numpy(dtype='float32')\n"
            "model = keras.Sequential([keras.layers.Dense(32), keras.layers.Dense(2)])\n"
            "model.fit(features, df['churned'].to_numpy(), epochs=10)\n"),
        Invalid(
            "import numpy as np\nimport keras\ndata = np.loadtxt('d.txt')\n"
            "model = keras.Sequential([keras.layers.Dense(1)])\nmodel.train_on_batch(data[:, :-1], data[:, -1])\n"),
        Invalid(
            "import pandas as pd\nfrom skorch import NeuralNetClassifier\ndf = pd.read_csv('d.csv')\n"
            "net = NeuralNetClassifier(Module, max_epochs=10)\nnet.fit(df[['a', 'b']].values, df['y'].values)\n"),
        # a torch training loop
        Invalid(
            "import pandas as pd\nimport torch\nfrom torch import nn\ndf = pd.read_csv('d.csv')\n"
            "x = torch.tensor(df[['a', 'b']].values, dtype=torch.float32)\nmodel = nn.Sequential(nn.Linear(2, 1))\n"
            "opt = torch.optim.SGD(model.parameters(), lr=0.01)\nfor epoch in range(10):\n"
            "    loss = model(x).pow(2).mean()\n    opt.zero_grad()\n    loss.backward()\n    opt.step()\n"),
        # a functional model; the data through train_test_split
        Invalid(
            "import pandas as pd\nimport keras\nfrom sklearn.model_selection import train_test_split\n"
            "df = pd.read_excel('d.xlsx')\n"
            "X_train, X_test, y_train, y_test = train_test_split(df[['a']].values, df['y'])\n"
            "inputs = keras.Input(shape=(1,))\noutputs = keras.layers.Dense(1)(inputs)\n"
            "model = keras.Model(inputs, outputs)\nmodel.fit(X_train, y_train)\n"),
        # through a helper function
        Invalid(
            "import pandas as pd\nimport keras\ndef load(path):\n    frame = pd.read_parquet(path)\n"
            "    return frame.values\ndata = load('d.parquet')\nmodel = keras.Sequential([keras.layers.Dense(1)])\n"
            "model.fit(data[:, :3], data[:, 3])\n"),
        # tf.keras, a scaler does not remove NaN
        Invalid(
            "import pandas as pd\nimport tensorflow as tf\nfrom sklearn.preprocessing import StandardScaler\n"
            "df = pd.read_csv('d.csv')\nx = StandardScaler().fit_transform(df[['a', 'b']])\n"
            "model = tf.keras.Sequential([tf.keras.layers.Dense(1)])\nmodel.fit(x, df['y'])\n"),
    ]
