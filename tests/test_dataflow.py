"""The data-flow analysis behind NAN401-NAN404, and the numbers behind their fixes.

The analysis tests read facts straight from ``DataFlow``; the numeric tests run the
code ``--fix --unsafe-fixes`` writes (``check_source(..., fix="unsafe")``), with NumPy
always and torch when installed.
"""

from __future__ import annotations

import ast

import libcst as cst
import numpy as np
import pytest

from nanlint.analysis.dataflow import dataflow
from nanlint.config import Config
from nanlint.context import Context
from nanlint.engine import check_source


def _flow(source: str):
    ctx = Context(cst.parse_module(source), "case.py", Config())
    return ctx, dataflow(ctx)


def _fact_of_last(source: str, name: str):
    """The fact of the last expression statement's name ``name`` (``use(x)`` at the end)."""
    ctx, flow = _flow(source)
    calls = [c for c in ctx.index.of_type(cst.Call) if isinstance(c.func, cst.Name) and c.func.value == "use"]
    argument = calls[-1].args[0].value
    assert isinstance(argument, cst.Name) and argument.value == name
    return flow.fact(argument)


def _findings(source: str, code: str):
    return [f for f in check_source(source, "case.py").findings if f.code == code]


# -- sources, transformations and tuple unpacking ---------------------------------------
MNIST = "import keras\n(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()\n"


def test_tuple_unpacking_of_a_dataset_load():
    assert _fact_of_last(MNIST + "use(x_test)\n", "x_test").raw_image is not None
    labels = _fact_of_last(MNIST + "use(y_train)\n", "y_train")
    assert labels.raw_image is None and labels.dtype == "int" and labels.class_index


def test_unpacking_in_two_steps_and_by_index():
    source = "import keras\ntrain, test = keras.datasets.cifar10.load_data()\nx, y = train\nimages = test[0]\n"
    assert _fact_of_last(source + "use(x)\n", "x").raw_image is not None
    assert _fact_of_last(source + "use(images)\n", "images").raw_image is not None
    assert _fact_of_last(source + "use(y)\n", "y").raw_image is None


@pytest.mark.parametrize("step", [
    "x_train = x_train / 255.0\n",
    "x_train /= 255\n",
    "x_train, x_test = x_train / 255.0, x_test / 255.0\n",
    "x_train = (x_train - x_train.mean()) / x_train.std()\n",
    "x_train = x_train / 127.5 - 1\n",
])
def test_scaling_steps_clear_raw_pixels(step):
    assert _fact_of_last(MNIST + step + "use(x_train)\n", "x_train").raw_image is None


@pytest.mark.parametrize("step", [
    "x_train = x_train.astype('float32')\n",
    "x_train = x_train.reshape(-1, 784)\n",
    "x_train = x_train[:1000]\n",
    "import numpy as np\nx_train = np.expand_dims(x_train, -1)\n",
])
def test_value_preserving_steps_keep_raw_pixels(step):
    assert _fact_of_last(MNIST + step + "use(x_train)\n", "x_train").raw_image is not None


def test_helper_functions_are_evaluated_with_their_arguments():
    scaling = "def prep(images):\n    return images / 255.0\n"
    passing = "def prep(images):\n    out = images.reshape(-1, 784)\n    return out\n"
    assert _fact_of_last(MNIST + scaling + "x = prep(x_train)\nuse(x)\n", "x").raw_image is None
    assert _fact_of_last(MNIST + passing + "x = prep(x_train)\nuse(x)\n", "x").raw_image is not None
    # a helper that loads and scales, returning a tuple
    loader = ("import keras\ndef load():\n    (a, b), _ = keras.datasets.mnist.load_data()\n"
              "    return a / 255.0, b\nx, y = load()\n")
    assert _fact_of_last(loader + "use(x)\n", "x").raw_image is None
    assert _fact_of_last(loader + "use(y)\n", "y").class_index


@pytest.mark.parametrize("between", [
    "if flag:\n    x_train = x_train / 255.0\n",  # a branch: the binding does not dominate
    "x_train[:] = 0\n",  # changed in place
    "normalise(x_train)\n",  # a bare call may change it in place
])
def test_unknown_stays_unknown(between):
    assert _fact_of_last(MNIST + between + "use(x_train)\n", "x_train").raw_image is None


def test_pil_images_become_raw_pixels_as_arrays_or_uint8_tensors():
    pil = "import numpy as np\nfrom PIL import Image\nimport torchvision.transforms as T\nimg = Image.open('a.png')\n"
    assert _fact_of_last(pil + "use(img)\n", "img").raw_image is None
    assert _fact_of_last(pil + "x = np.asarray(img)\nuse(x)\n", "x").raw_image is not None
    assert _fact_of_last(pil + "t = T.Compose([T.PILToTensor()])\nx = t(img)\nuse(x)\n", "x").raw_image is not None
    assert _fact_of_last(pil + "t = T.Compose([T.ToTensor()])\nx = t(img)\nuse(x)\n", "x").raw_image is None


def test_table_reads_carry_nan_until_handled():
    read = "import numpy as np\nfrom sklearn.impute import SimpleImputer\ndata = np.genfromtxt('d.csv')\n"
    assert _fact_of_last(read + "x = data[:, :4].astype(np.float32)\nuse(x)\n", "x").nan_source is not None
    assert _fact_of_last(read + "x = np.nan_to_num(data)\nuse(x)\n", "x").nan_source is None
    assert _fact_of_last(read + "x = SimpleImputer().fit_transform(data)\nuse(x)\n", "x").nan_source is None
    split = ("from sklearn.model_selection import train_test_split\n"
             "a, b, c, d = train_test_split(data[:, :4], data[:, 4])\n")
    assert _fact_of_last(read + split + "use(c)\n", "c").nan_source is not None


def test_label_values_and_where_they_were_introduced():
    source = ("import numpy as np\ny = np.random.randint(0, high=5, size=(20, 1))\n"
              "y = np.vstack((y, [[8000]]))\nuse(y)\n")
    pieces = _fact_of_last(source, "y").labels
    assert [(p.low, p.high) for p in pieces] == [(0, 4), (8000, 8000)]
    ctx, _ = _flow(source)
    assert [ctx.code_for(p.site).split("(")[0] for p in pieces] == ["np.random.randint", "np.vstack"]
    shifted = _fact_of_last("import numpy as np\ny = np.array([1, 2, 3]) - 1\nuse(y)\n", "y").labels
    assert shifted[0].values == frozenset({0, 1, 2})
    assert _fact_of_last("import torch\ny = torch.randint(10, (4,))\nuse(y)\n", "y").labels[0].high == 9
    assert _fact_of_last("y = list(range(2, 7))\nuse(y)\n", "y").labels is None  # list() is not followed
    assert _fact_of_last("import numpy as np\ny = np.arange(1, 11)\nuse(y)\n", "y").labels[0].high == 10


@pytest.mark.parametrize(("cast", "dtype"), [
    ("y.astype('float32')", "float"), ("y.astype(np.int64)", "int"), ("y.astype(float)", "float"),
    ("torch.tensor(y, dtype=torch.float32)", "float"), ("torch.LongTensor(y)", "int"),
    ("tf.cast(y, tf.float32)", "float"), ("y.to(device)", "int"), ("y.float()", "float"),
])
def test_dtypes_follow_casts(cast, dtype):
    source = (f"import numpy as np\nimport torch\nimport tensorflow as tf\ny = np.random.randint(0, 3, 9)\n"
              f"z = {cast}\nuse(z)\n")
    assert _fact_of_last(source, "z").dtype == dtype


# -- models, losses, sinks ---------------------------------------------------------------------
def _only_sink(source: str):
    ctx, flow = _flow(source)
    sinks = flow.sinks()
    assert len(sinks) == 1
    return ctx, flow, sinks[0]


def test_keras_sequential_width_loss_and_scaling():
    _, flow, sink = _only_sink(
        "from keras.models import Sequential\nfrom keras.layers import Dense, Activation, Rescaling\n"
        "model = Sequential([Rescaling(1 / 255), Dense(10), Activation('relu')])\nmodel.add(Dense(5))\n"
        "model.add(Activation('softmax'))\nmodel.compile(optimizer='adam', loss='sparse_categorical_crossentropy')\n"
        "model.fit(x, y)\n")
    assert flow.classes(sink.model)[0] == 5
    assert sink.loss.name == "sparse_categorical_crossentropy"
    assert flow.scaling(sink.model) == "scales"


def test_functional_model_chain_and_a_builder_function():
    _, flow, sink = _only_sink(
        "import keras\ndef build(n):\n    inputs = keras.Input(shape=(4,))\n"
        "    h = keras.layers.Dense(8)(inputs)\n    outputs = keras.layers.Dense(n)(h)\n"
        "    model = keras.Model(inputs=inputs, outputs=outputs)\n"
        "    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(ignore_class=-1))\n"
        "    return model\nnet = build(3)\nnet.fit(x, y)\n")
    assert flow.scaling(sink.model) == "none"
    assert sink.loss.ignore == -1
    # the width is a parameter of the builder: not followed from the model's call
    assert flow.classes(sink.model) is None


def test_torch_class_head_width_through_init_arguments():
    _, flow, sink = _only_sink(
        "import torch\nfrom torch import nn\nclass Net(nn.Module):\n    def __init__(self, hidden, classes=4):\n"
        "        super().__init__()\n        self.head = nn.Linear(hidden, classes)\n"
        "        self.aux = nn.Linear(hidden, 1)\n    def forward(self, x):\n        return self.head(x)\n"
        "net = Net(16, classes=7)\nloss = nn.CrossEntropyLoss()(net(x), y)\n")
    model = flow.logits_model(sink.logits)
    assert flow.classes(model)[0] == 7  # the layer forward returns, not the last one built
    assert sink.loss.ignore == -100 and sink.loss.probabilities


def test_compile_calls_that_disagree_give_no_loss():
    _, _, sink = _only_sink(
        "import keras\nmodel = keras.Sequential([keras.layers.Dense(3)])\n"
        "model.compile(loss='sparse_categorical_crossentropy')\nmodel.compile(loss='mse')\nmodel.fit(x, y)\n")
    assert sink.loss is None


def test_estimator_classes_and_nan_check():
    source = ("import numpy as np\nimport tensorflow as tf\ndata = np.genfromtxt('t.csv')\n"
              "assert not np.any(np.isnan(data))\n"
              "clf = tf.contrib.learn.DNNClassifier(hidden_units=[10], n_classes=11)\n"
              "clf.fit(x=data[:, :4], y=data[:, 4])\n")
    _, flow, sink = _only_sink(source)
    assert flow.classes(sink.model)[0] == 11 and sink.loss is not None
    assert flow.checked(flow.fact(sink.inputs[0]).nan_source)


def test_one_finding_per_sink_and_per_site():
    source = ("import keras\n(x, y), (xv, yv) = keras.datasets.mnist.load_data()\n"
              "model = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(10)])\n"
              "model.fit(x, y, validation_data=(xv, yv))\n")
    assert len(_findings(source, "NAN403")) == 1
    labels = ("import numpy as np\nimport keras\ny = np.array([-1, 0, 1])\n"
              "model = keras.Sequential([keras.layers.Dense(3)])\n"
              "model.compile(loss='sparse_categorical_crossentropy')\nmodel.fit(x, y)\nmodel.fit(x, y)\n")
    assert [f.line for f in _findings(labels, "NAN402")] == [3]


def test_one_hot_labels_are_nan402_not_nan401():
    source = ("import numpy as np\nimport keras\ny = keras.utils.to_categorical(np.array([0, 1, 2]))\n"
              "model = keras.Sequential([keras.layers.Dense(3)])\n"
              "model.compile(loss='sparse_categorical_crossentropy')\nmodel.fit(x, y)\n")
    codes = [(f.line, f.code) for f in check_source(source, "case.py").findings if f.code.startswith("NAN40")]
    assert codes == [(3, "NAN402")]


def test_crlf_file_keeps_its_bytes_outside_the_insertion():
    source = ("import keras\r\n# data\r\n(x, y), _ = keras.datasets.mnist.load_data()  # load\r\n\r\n"
              "model = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(10)])\r\nmodel.fit(x, y)\r\n")
    fixed = check_source(source, "case.py", fix="unsafe").fixed_source
    inserted = 'x = x.astype("float32") / 255.0\r\n'
    assert fixed == source.replace("# load\r\n", "# load\r\n" + inserted)


# -- numbers: NAN403's inserted statement ----------------------------------------------------
def _inserted_lines(source: str) -> list[str]:
    fixed = check_source(source, "case.py", fix="unsafe").fixed_source
    assert fixed is not None
    before = source.splitlines()
    added = [line.strip() for line in fixed.splitlines() if line not in before]
    assert added and _findings(fixed, "NAN403") == []
    return added


NUMPY_LOAD = ("import keras\n(x_train, y_train), _ = keras.datasets.mnist.load_data()\n"
              "model = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(10)])\n"
              "model.fit(x_train, y_train)\n")
TORCH_LOAD = ("import torch\nfrom torch import nn\nfrom torchvision.io import read_image\n"
              "model = nn.Sequential(nn.Flatten(), nn.Linear(256, 1))\nimg = read_image('a.png')\n"
              "out = model(img.float())\n")


def test_inserted_statement_maps_uint8_pixels_to_unit_float32():
    (statement,) = _inserted_lines(NUMPY_LOAD)
    pixels = np.arange(256, dtype=np.uint8).reshape(16, 16)
    namespace = {"x_train": pixels}
    exec(statement, namespace)
    scaled = namespace["x_train"]
    assert scaled.dtype == np.float32
    assert scaled.min() == 0.0 and scaled.max() == 1.0
    assert np.allclose(scaled, pixels.astype(np.float64) / 255.0)
    assert pixels.max() == 255  # the data before the fix was not in [0, 1]


def test_inserted_statement_scales_torch_uint8_tensors():
    torch = pytest.importorskip("torch")
    (statement,) = _inserted_lines(TORCH_LOAD)
    pixels = torch.arange(256, dtype=torch.uint8).reshape(1, 16, 16)
    namespace = {"img": pixels}
    exec(statement, namespace)
    scaled = namespace["img"]
    assert scaled.dtype == torch.float32
    assert float(scaled.min()) == 0.0 and float(scaled.max()) == 1.0


def _sgd_on_pixels(images: np.ndarray, steps: int = 50, lr: float = 0.01) -> np.ndarray:
    """Plain gradient descent of a linear model with a squared loss, float32."""
    x = images.reshape(len(images), -1).astype(np.float32)
    target = np.linspace(0, 1, len(images), dtype=np.float32)
    w = np.zeros(x.shape[1], dtype=np.float32)
    losses = []
    with np.errstate(all="ignore"):
        for _ in range(steps):
            error = x @ w - target
            losses.append(np.mean(error ** 2))
            w = w - lr * (2.0 / len(x)) * (x.T @ error)
    return np.array(losses)


def test_unscaled_pixels_make_the_loss_nan_and_the_fix_keeps_it_finite():
    rng = np.random.default_rng(0)
    raw = rng.integers(0, 256, size=(32, 8, 8)).astype(np.uint8)
    (statement,) = _inserted_lines(NUMPY_LOAD)
    namespace = {"x_train": raw}
    exec(statement, namespace)
    before, after = _sgd_on_pixels(raw), _sgd_on_pixels(namespace["x_train"])
    assert not np.isfinite(before).all()
    assert np.isfinite(after).all() and after[-1] < after[0]


# -- numbers: NAN401's cast ---------------------------------------------------------------------
def _fixed(source: str) -> str:
    assert len(_findings(source, "NAN401")) == 1
    fixed = check_source(source, "case.py", fix="unsafe").fixed_source
    assert fixed is not None and _findings(fixed, "NAN401") == []
    ast.parse(fixed)
    return fixed


def _sparse_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(labels)), labels].mean())


def test_numpy_label_cast_indexes_the_right_classes():
    source = ("import numpy as np\nimport keras\ny = np.array([0, 2, 1, 1]).astype('float32')\n"
              "model = keras.Sequential([keras.layers.Dense(3)])\n"
              "model.compile(loss='sparse_categorical_crossentropy')\nmodel.fit(x, y)\n")
    fixed = _fixed(source)
    call = next(line for line in fixed.splitlines() if line.startswith("model.fit("))
    label_code = ast.unparse(ast.parse(call).body[0].value.args[1])
    assert label_code == "y.astype('int64')"
    y = np.array([0, 2, 1, 1]).astype("float32")
    logits = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0], [1.0, 1.0, 1.0], [-2.0, 4.0, 0.0]])
    with pytest.raises(IndexError):
        _sparse_cross_entropy(logits, y)  # float labels cannot index the classes
    cast = eval(label_code, {"y": y})
    assert cast.dtype == np.int64
    loss = _sparse_cross_entropy(logits, cast)
    assert np.isfinite(loss)
    assert np.isclose(loss, _sparse_cross_entropy(logits, np.array([0, 2, 1, 1])))


@pytest.mark.parametrize("loss_call", ["F.cross_entropy(logits, targets.float())",
                                       "nn.CrossEntropyLoss()(logits, targets.float())",
                                       "F.nll_loss(F.log_softmax(logits, dim=1), targets.float())"])
def test_torch_label_cast_gives_the_class_index_loss(loss_call):
    torch = pytest.importorskip("torch")
    source = (f"import torch\nfrom torch import nn\nimport torch.nn.functional as F\n"
              f"targets = torch.randint(0, 3, (8,))\nloss = {loss_call}\n")
    fixed = _fixed(source)
    assert "targets.long()" in fixed
    logits = torch.randn(8, 3, requires_grad=True)
    with pytest.raises(RuntimeError):
        exec(source, {"logits": logits})
    namespace = {"logits": logits}
    exec(fixed, namespace)
    loss = namespace["loss"]
    expected = torch.nn.functional.cross_entropy(logits, namespace["targets"])
    assert torch.isfinite(loss) and torch.allclose(loss, expected)
    (grad,) = torch.autograd.grad(loss, logits)
    assert torch.isfinite(grad).all()
