"""## What it does
Flags raw 0-255 image data reaching a model with no scaling in between. Sources:
`keras.datasets.{mnist,fashion_mnist,cifar10,cifar100}.load_data()`, `cv2.imread`,
`np.array(PIL.Image.open(...))`, `imageio`/`skimage` reads, `torchvision.io.read_image`,
`tf.io.decode_image`, and `PILToTensor()` without a scaling step. Sinks: `fit`,
`train_on_batch`, `evaluate`, `predict` and `model(x)` of a model the module builds. The
finding is reported at the call that hands the pixels to the model, once per call.

Scaling is `/ 255` (any division), `x / 127.5 - 1`, `(x - mean) / std`, `ToTensor`,
`Normalize`, `convert_image_dtype`, `preprocess_input`, scalers such as `StandardScaler`,
`ImageDataGenerator(rescale=...)`, a helper function of the module that does one of
those, or a `Rescaling`/`Normalization` (or batch-norm) layer before the model's first
trainable layer. When the path from the load to the model, or the model itself, is not
visible in the module, nothing is reported (data fed through a `Dataset`/`DataLoader`
class is out of scope).

## Why is this bad?
Pixels in [0, 255] make the first layer's pre-activations hundreds of times larger than
the initialisation assumes. Gradients become huge, the first updates overshoot, and the
loss diverges to inf and NaN (seed 000: "you may want to have the pixels in the range
[-1, 1] and not [0, 255]").

## Example
```python
(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
model.fit(x_train, y_train, validation_data=(x_test, y_test))
```

## Use instead
```python
(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.astype("float32") / 255.0
x_test = x_test.astype("float32") / 255.0
model.fit(x_train, y_train, validation_data=(x_test, y_test))
```
or put `layers.Rescaling(1.0 / 255)` first in the model.

## Fix safety
Unsafe: the fix inserts `x = x.astype("float32") / 255.0` (`x.float() / 255.0` for a
torch tensor, `tf.cast(x, tf.float32) / 255.0` in TensorFlow) right after the statement
that loads the images, for each name the user gave them, which changes the values the
model sees (and what a pre-trained model or later code expects). It is offered only when
every unscaled input of the call was first named by an assignment statement, all in one
block; the edit replaces that block (the whole module for a top-level load), and every
byte outside the inserted lines stays as it was, line endings included.
"""

from __future__ import annotations

import libcst as cst

from nanlint.analysis.dataflow import Fact, dataflow
from nanlint.finding import UNSAFE
from nanlint.fixes import FixSpec, NeededImport
from nanlint.rules import Invalid, Rule

_SINK_NAMES = {"apply": "the model"}


def _target_names(assign: cst.Assign) -> list[str]:
    names, stack = [], [t.target for t in assign.targets]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            names.append(node.value)
        elif isinstance(node, (cst.Tuple, cst.List)):
            stack += [e.value for e in node.elements]
    return names


def _shown_call(ctx, call: cst.Call) -> str:
    text = ctx.code_for(call)
    if len(text) > 50 or "\n" in text:
        text = f"{ctx.code_for(call.func)}(...)"
    return f"`{text}`"


class MissingInputNormalization(Rule):
    code = "NAN403"
    name = "missing-input-normalization"
    severity = "warning"
    fix = UNSAFE

    def check(self) -> None:
        flow = dataflow(self.ctx)
        if not flow.has_image_sources():
            return
        for sink in flow.sinks():
            if sink.model is None or not sink.inputs:
                continue
            raw = [fact for fact in map(flow.fact, sink.inputs) if fact.raw_image is not None]
            if not raw or flow.scaling(sink.model) != "none":
                continue
            fix, example = self._insertion(raw)
            source = _shown_call(self.ctx, raw[0].raw_image)
            target = _SINK_NAMES.get(sink.kind) or f"`{self.ctx.code_for(sink.call.func)}`"
            self.ctx.report(sink.call, f"raw 0-255 pixels from {source} reach {target} unscaled; "
                                       f"scale them first, e.g. `{example}`", fix=fix)

    def _insertion(self, raw: list[Fact]) -> tuple[FixSpec | None, str]:
        """Insert a scaling statement after each load statement, in one suite; and the
        first inserted statement (or a generic one) for the message."""
        fix = self._insert_after_loads(raw)
        if fix is None:
            return None, 'x = x.astype("float32") / 255.0'
        return fix, fix.message.split("`")[1]

    def _insert_after_loads(self, raw: list[Fact]) -> FixSpec | None:
        ctx = self.ctx
        origins: list[tuple[cst.CSTNode, str, str | None]] = []
        for fact in raw:
            if fact.origin is None:
                return None
            if fact.origin not in origins:
                origins.append(fact.origin)
        suite = None
        after: dict[int, list] = {}
        imports: list[NeededImport] = []
        for assign, name, container in origins:
            line = ctx.index.parent(assign)
            parent = ctx.index.parent(line)
            if not isinstance(line, cst.SimpleStatementLine) or not isinstance(parent, (cst.IndentedBlock, cst.Module)):
                return None
            if suite is not None and parent is not suite:
                return None
            suite = parent
            statement = self._statement(name, container, imports)
            if statement is None:
                return None
            after.setdefault(id(line), []).append(statement)
        code = ctx.module.code_for_node
        # Scaling lines an earlier fix inserted after the same load stay first.
        earlier = {code(statement).strip() for assign, _, container in origins
                   for name in _target_names(assign) for statement in [self._statement(name, container, [])]
                   if statement is not None}
        body, inserted, pending = [], [], []
        for statement in suite.body:
            if pending and code(statement).strip() not in earlier:
                body += pending
                pending = []
            body.append(statement)
            pending += after.get(id(statement), [])
            inserted += after.get(id(statement), [])
        body += pending
        shown = ", ".join(f"`{code(s).strip()}`" for s in inserted)
        return FixSpec(UNSAFE, f"Insert {shown} after the load", [(suite, suite.with_changes(body=body))], imports)

    def _statement(self, name: str, container: str | None, imports: list[NeededImport]) -> cst.CSTNode | None:
        if container == "torch":
            return cst.parse_statement(f"{name} = {name}.float() / 255.0\n")
        if container == "tensorflow":
            cast, dtype = self.ctx.callee("tensorflow.cast"), self.ctx.callee("tensorflow.float32")
            if cast is None or dtype is None:
                return None
            imports += [i for i in (cast[1], dtype[1]) if i is not None and i not in imports]
            code = self.ctx.module.code_for_node
            return cst.parse_statement(f"{name} = {code(cast[0])}({name}, {code(dtype[0])}) / 255.0\n")
        if container in ("numpy", None):
            return cst.parse_statement(f'{name} = {name}.astype("float32") / 255.0\n')
        return None

    VALID = [
        # scaled right after loading (in place)
        "from tensorflow import keras\nfrom tensorflow.keras import layers\n"
        "(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()\n"
        "x_train = x_train.astype('float32') / 255.0\nx_test = x_test / 255.0\n"
        "model = keras.Sequential([layers.Flatten(), layers.Dense(10)])\n"
        "model.fit(x_train, y_train, validation_data=(x_test, y_test))\n",
        # tuple reassignment
        "from tensorflow import keras\nfrom tensorflow.keras import layers\n"
        "(x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()\n"
        "x_train, x_test = x_train / 255.0, x_test / 255.0\n"
        "model = keras.Sequential([layers.Conv2D(8, 3), layers.Flatten(), layers.Dense(10)])\n"
        "model.fit(x_train, y_train)\n",
        # scaling inside the model: Rescaling as the first layer
        "import keras\nfrom keras import layers\n"
        "(x_train, y_train), _ = keras.datasets.cifar10.load_data()\n"
        "model = keras.Sequential([keras.Input(shape=(32, 32, 3)), layers.Rescaling(1.0 / 255),\n"
        "                          layers.Conv2D(32, 3), layers.Flatten(), layers.Dense(10)])\n"
        "model.fit(x_train, y_train, epochs=3)\n",
        # Rescaling added with model.add
        "from keras.models import Sequential\nfrom keras.layers import Dense, Flatten, Rescaling\n"
        "from keras.datasets import mnist\n(x, y), _ = mnist.load_data()\n"
        "model = Sequential()\nmodel.add(Rescaling(1.0 / 255))\nmodel.add(Flatten())\nmodel.add(Dense(10))\n"
        "model.fit(x, y)\n",
        # ToTensor in a torchvision transform
        "import torch\nfrom torch import nn\nfrom PIL import Image\nimport torchvision.transforms as T\n"
        "transform = T.Compose([T.Resize(224), T.ToTensor(), T.Normalize([0.5], [0.5])])\n"
        "model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU())\n"
        "x = transform(Image.open('cat.png'))\nout = model(x.unsqueeze(0))\n",
        # images scaled in a helper function the module calls
        "import cv2\nfrom tensorflow import keras\nfrom tensorflow.keras import layers\n"
        "def preprocess(image):\n    return image / 255.0\n"
        "img = cv2.imread('digit.png')\nimg = preprocess(img)\n"
        "model = keras.Sequential([layers.Conv2D(8, 3), layers.Flatten(), layers.Dense(10)])\n"
        "model.predict(img[None])\n",
        # ImageDataGenerator(rescale=...)
        "from tensorflow import keras\nfrom tensorflow.keras.preprocessing.image import ImageDataGenerator\n"
        "(x, y), _ = keras.datasets.cifar10.load_data()\ngen = ImageDataGenerator(rescale=1.0 / 255)\n"
        "model = keras.Sequential([keras.layers.Conv2D(8, 3), keras.layers.Flatten(),"
            " keras.layers.Dense(10)])\n"
        "model.fit(gen.flow(x, y, batch_size=32))\n",
        # [-1, 1] scaling and standardisation
        "import numpy as np\nimport keras\n(x, y), _ = keras.datasets.fashion_mnist.load_data()\n"
        "x = x / 127.5 - 1\nmodel = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(10)])\n"
        "model.fit(x, y)\n",
        "import numpy as np\nimport keras\n(x, y), _ = keras.datasets.mnist.load_data()\n"
        "x = (x - x.mean()) / x.std()\nmodel = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(10)])\n"
        "model.fit(x, y)\n",
        # preprocess_input of a keras application
        "import numpy as np\nfrom PIL import Image\nfrom tensorflow import keras\n"
        "from tensorflow.keras.applications.resnet50 import preprocess_input\n"
        "x = np.array(Image.open('cat.jpg'))\nx = preprocess_input(x)\n"
        "model = keras.Sequential([keras.layers.Conv2D(8, 3), keras.layers.Flatten(), keras.layers.Dense(2)])\n"
        "model.predict(x[None])\n",
        # a model the module does not build: unknown
        "import cv2\nfrom tensorflow import keras\nmodel = keras.models.load_model('net.keras')\n"
        "model.predict(cv2.imread('a.png')[None])\n",
        "import cv2\nfrom tensorflow import keras\nmodel = keras.applications.EfficientNetB0()\n"
        "model.predict(cv2.imread('a.png')[None])\n",
        # rebound in a branch: unknown
        "import keras\n(x, y), _ = keras.datasets.mnist.load_data()\nif normalise:\n    x = x / 255.0\n"
        "model = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(10)])\nmodel.fit(x, y)\n",
        # changed in place: unknown
        "import keras\n(x, y), _ = keras.datasets.mnist.load_data()\nscale_in_place(x)\n"
        "model = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(10)])\nmodel.fit(x, y)\n",
        # a Lambda layer first: unknown
        "import keras\n(x, y), _ = keras.datasets.mnist.load_data()\n"
        "model = keras.Sequential([keras.layers.Lambda(lambda t: t / 255.0), keras.layers.Flatten(),"
        " keras.layers.Dense(10)])\nmodel.fit(x, y)\n",
        # tf.image.convert_image_dtype
        "import tensorflow as tf\nraw = tf.io.read_file('a.png')\nimg = tf.io.decode_png(raw)\n"
        "img = tf.image.convert_image_dtype(img, tf.float32)\n"
        "model = tf.keras.Sequential([tf.keras.layers.Conv2D(8, 3), tf.keras.layers.Flatten(),"
        " tf.keras.layers.Dense(10)])\nmodel(img[None])\n",
        # a torch model whose forward scales first
        "import torch\nfrom torch import nn\nfrom torchvision.io import read_image\n"
        "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.conv = nn.Conv2d(3, 8, 3)\n    def forward(self, x):\n        x = x.float() / 255\n"
        "        return self.conv(x)\nmodel = Net()\nout = model(read_image('a.png')[None])\n",
        # not image data
        "import numpy as np\nimport keras\nx = np.random.random((100, 28, 28))\ny = np.random.randint(0, 10, 100)\n"
        "model = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(10)])\nmodel.fit(x, y)\n",
        # a batch-norm layer first normalises the input
        "import keras\n(x, y), _ = keras.datasets.mnist.load_data()\n"
        "model = keras.Sequential([keras.layers.Flatten(), keras.layers.BatchNormalization(),"
        " keras.layers.Dense(10)])\nmodel.fit(x, y)\n",
    ]

    INVALID = [
        Invalid(
            "from tensorflow import keras\nfrom tensorflow.keras import layers\n"
            "(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()\n"
            "model = keras.Sequential([keras.Input(shape=(28, 28)), layers.Flatten(), layers.Dense(10)])\n"
            "model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')\n"
            "model.fit(\n    x_train,\n    y_train,\n    validation_data=(x_test, y_test),\n)\n",
            "from tensorflow import keras\nfrom tensorflow.keras import layers\n"
            "(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()\n"
            'x_train = x_train.astype("float32") / 255.0\nx_test = x_test.astype("float32") / 255.0\n'
            "model = keras.Sequential([keras.Input(shape=(28, 28)), layers.Flatten(), layers.Dense(10)])\n"
            "model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')\n"
            "model.fit(\n    x_train,\n    y_train,\n    validation_data=(x_test, y_test),\n)\n"),
        # a float cast is not scaling; inside a function, CRLF line endings kept
        Invalid(
            "import keras\r\ndef train():\r\n    (xs, ys), _ = keras.datasets.cifar10.load_data()  # raw\r\n"
            "    xs = xs.astype('float32')\r\n"
            "    model = keras.Sequential([keras.layers.Conv2D(8, 3), keras.layers.Flatten(),"
            " keras.layers.Dense(10)])\r\n"
            "    model.train_on_batch(xs, ys)\r\n",
            "import keras\r\ndef train():\r\n    (xs, ys), _ = keras.datasets.cifar10.load_data()  # raw\r\n"
            '    xs = xs.astype("float32") / 255.0\r\n'
            "    xs = xs.astype('float32')\r\n"
            "    model = keras.Sequential([keras.layers.Conv2D(8, 3), keras.layers.Flatten(),"
            " keras.layers.Dense(10)])\r\n"
            "    model.train_on_batch(xs, ys)\r\n"),
        Invalid(
            "import cv2\nfrom tensorflow import keras\nimg = cv2.imread('digit.png')\nimg = cv2.resize(img, (32, 32))\n"
            "model = keras.Sequential([keras.layers.Conv2D(8, 3), keras.layers.Flatten(),"
            " keras.layers.Dense(10)])\n"
            "pred = model.predict(img[None])\n",
            "import cv2\nfrom tensorflow import keras\nimg = cv2.imread('digit.png')\n"
            'img = img.astype("float32") / 255.0\nimg = cv2.resize(img, (32, 32))\n'
            "model = keras.Sequential([keras.layers.Conv2D(8, 3), keras.layers.Flatten(),"
            " keras.layers.Dense(10)])\n"
            "pred = model.predict(img[None])\n"),
        Invalid(
            "import numpy as np\nfrom PIL import Image\nimport keras\n"
            "pixels = np.array(Image.open('cat.png').convert('RGB'))\n"
            "model = keras.Sequential([keras.layers.Dense(2)])\nmodel.predict(pixels.reshape(1, -1))\n",
            "import numpy as np\nfrom PIL import Image\nimport keras\n"
            "pixels = np.array(Image.open('cat.png').convert('RGB'))\n"
            'pixels = pixels.astype("float32") / 255.0\n'
            "model = keras.Sequential([keras.layers.Dense(2)])\nmodel.predict(pixels.reshape(1, -1))\n"),
        # torch: read_image gives uint8; .float() does not scale
        Invalid(
            "import torch\nfrom torch import nn\nfrom torchvision.io import read_image\n"
            "model = nn.Sequential(nn.Conv2d(3, 16, 3), nn.ReLU(), nn.Flatten(), nn.LazyLinear(10))\n"
            "img = read_image('cat.png')\nlogits = model(img.float().unsqueeze(0))\n",
            "import torch\nfrom torch import nn\nfrom torchvision.io import read_image\n"
            "model = nn.Sequential(nn.Conv2d(3, 16, 3), nn.ReLU(), nn.Flatten(), nn.LazyLinear(10))\n"
            "img = read_image('cat.png')\nimg = img.float() / 255.0\nlogits = model(img.float().unsqueeze(0))\n"),
        # PILToTensor without ConvertImageDtype, into a module subclass
        Invalid(
            "import torch\nfrom torch import nn\nfrom PIL import Image\nfrom torchvision import transforms\n"
            "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
            "        self.conv = nn.Conv2d(3, 8, 3)\n    def forward(self, x):\n        return self.conv(x)\n"
            "to_tensor = transforms.Compose([transforms.Resize(64), transforms.PILToTensor()])\n"
            "net = Net()\nx = to_tensor(Image.open('a.png'))\nout = net(x[None].float())\n",
            "import torch\nfrom torch import nn\nfrom PIL import Image\nfrom torchvision import transforms\n"
            "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
            "        self.conv = nn.Conv2d(3, 8, 3)\n    def forward(self, x):\n        return self.conv(x)\n"
            "to_tensor = transforms.Compose([transforms.Resize(64), transforms.PILToTensor()])\n"
            "net = Net()\nx = to_tensor(Image.open('a.png'))\nx = x.float() / 255.0\nout = net(x[None].float())\n"),
        # Rescaling after the first trainable layer is too late
        Invalid(
            "import keras\nfrom keras import layers\n(x, y), _ = keras.datasets.mnist.load_data()\n"
            "model = keras.Sequential([layers.Flatten(), layers.Dense(64), layers.Rescaling(1 / 255),"
            " layers.Dense(10)])\n"
            "model.evaluate(x, y)\n",
            "import keras\nfrom keras import layers\n(x, y), _ = keras.datasets.mnist.load_data()\n"
            'x = x.astype("float32") / 255.0\n'
            "model = keras.Sequential([layers.Flatten(), layers.Dense(64), layers.Rescaling(1 / 255),"
            " layers.Dense(10)])\n"
            "model.evaluate(x, y)\n"),
        # functional model
        Invalid(
            "import tensorflow as tf\n(x, y), _ = tf.keras.datasets.cifar100.load_data()\n"
            "inputs = tf.keras.Input(shape=(32, 32, 3))\nh = tf.keras.layers.Conv2D(16, 3)(inputs)\n"
            "h = tf.keras.layers.Flatten()(h)\noutputs = tf.keras.layers.Dense(100)(h)\n"
            "model = tf.keras.Model(inputs, outputs)\nmodel.fit(x, y)\n",
            "import tensorflow as tf\n(x, y), _ = tf.keras.datasets.cifar100.load_data()\n"
            'x = x.astype("float32") / 255.0\n'
            "inputs = tf.keras.Input(shape=(32, 32, 3))\nh = tf.keras.layers.Conv2D(16, 3)(inputs)\n"
            "h = tf.keras.layers.Flatten()(h)\noutputs = tf.keras.layers.Dense(100)(h)\n"
            "model = tf.keras.Model(inputs, outputs)\nmodel.fit(x, y)\n"),
        # TensorFlow decode: the fix casts with tf
        Invalid(
            "import tensorflow as tf\nimg = tf.io.decode_png(tf.io.read_file('a.png'))\n"
            "model = tf.keras.Sequential([tf.keras.layers.Conv2D(8, 3), tf.keras.layers.Flatten()])\n"
            "out = model(img[None])\n",
            "import tensorflow as tf\nimg = tf.io.decode_png(tf.io.read_file('a.png'))\n"
            "img = tf.cast(img, tf.float32) / 255.0\n"
            "model = tf.keras.Sequential([tf.keras.layers.Conv2D(8, 3), tf.keras.layers.Flatten()])\n"
            "out = model(img[None])\n"),
        # the load inside an expression: reported without a fix
        Invalid(
            "import cv2\nimport keras\n"
            "model = keras.Sequential([keras.layers.Conv2D(8, 3), keras.layers.Flatten(),"
            " keras.layers.Dense(10)])\n"
            "model.predict(cv2.imread('a.png')[None])\n", None),
        # a model built by a helper function
        Invalid(
            "import keras\ndef build(n):\n"
            "    model = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(n)])\n"
            "    return model\n(x, y), _ = keras.datasets.fashion_mnist.load_data()\nnet = build(10)\nnet.fit(x, y)\n",
            "import keras\ndef build(n):\n"
            "    model = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(n)])\n"
            "    return model\n(x, y), _ = keras.datasets.fashion_mnist.load_data()\n"
            'x = x.astype("float32") / 255.0\nnet = build(10)\nnet.fit(x, y)\n'),
    ]
