"""Training data across frameworks: where it comes from, what changes its dtype or scale,
and where it reaches a model or a loss (NAN401-NAN404, read by ``analysis/dataflow.py``).

Two tables:
- ``ROWS``: names only the data rules describe (dataset loaders, image and table readers,
  label constructors, scalers, transforms, imputers, estimators). They join the shared
  catalog like every other data module.
- ``OVERLAY``: names other rule families describe too, and methods. One qualified name
  has one row in the shared catalog (``nn.CrossEntropyLoss`` is a loss taking logits for
  NAN106 and a class-index loss here; ``Dense`` has an activation there and a width
  here), and ``catalog.method()`` answers with the first row of a method name, so a
  data row for ``.float()`` or ``.fit()`` would shadow another family's. The data rules
  read both tables through ``lookup``/``methods`` below; nobody else sees the overlay.

``extra`` keys, by role:
- ``container``: what the result is (numpy, torch, tensorflow, pandas, pil), when it is
  not the row's framework;
- DATASET_LOAD: ``images``/``labels``: positions in the returned tuples;
- TO_ARRAY / CAST: ``dtype`` (a Param) or ``fixed_dtype`` ("float"/"int");
- RANDINT: ``low``/``high`` Params, ``size_second`` when a lone ``high`` may be followed
  by a size (``torch.randint(10, (n,))``);
- ARANGE: ``start``/``stop``/``step``; CONCAT: ``pair`` for ``np.append(arr, values)``;
- ONE_HOT: ``dtype`` of the result;
- MODEL: ``family``, ``layers``/``inputs``/``outputs`` Params, ``classes`` (the
  ``n_classes=`` Param) and ``default_classes``, ``classifier``;
- layers: ``width`` (the output-units Param) and ``head`` for Dense/Linear,
  ``keeps_width`` for layers after which the width is unchanged;
- CLASS_INDEX_LOSS: ``labels``/``logits`` (Params of the call, or of the application for
  a loss object), ``probabilities`` (also accepts class probabilities, as torch's
  ``CrossEntropyLoss`` does), ``ignore`` (Param on the constructor or function) and
  ``ignore_default``;
- MODEL_FIT: ``x``/``y``/``validation`` Params and ``kind`` (train, evaluate, predict);
- MODEL_COMPILE: ``loss``; IMAGE_GENERATOR: ``scaling`` keywords; SCALING_LAYER
  ``scale_flag`` when scaling is opt-in (``ToDtype(..., scale=True)``).
"""

from __future__ import annotations

from nanlint.catalog import LAYER, METHOD, Api, Param, canonical
from nanlint.catalog.roles import (
    ARANGE,
    ARGMAX,
    CAST,
    CAST_FLOAT,
    CAST_INT,
    CHOICE,
    CLASS_INDEX_LOSS,
    COMPOSE,
    CONCAT,
    DATASET_LOAD,
    FLOW,
    IMAGE_GENERATOR,
    IMAGE_OPEN,
    IMAGE_READ,
    IMPUTER,
    MODEL,
    MODEL_ADD,
    MODEL_COMPILE,
    MODEL_FIT,
    NAN_CHECK,
    NAN_FILL,
    NEUTRAL_LAYER,
    ONE_HOT,
    RANDINT,
    RAW_TO_TENSOR,
    SAME_VALUES,
    SCALE,
    SCALER,
    SCALING_LAYER,
    SPLIT,
    TABULAR_READ,
    TO_ARRAY,
    TRAIN_STEP,
    TRAINABLE_LAYER,
    TRANSFORM_APPLY,
)

NUMPY, TORCH, TF, PANDAS, PIL = "numpy", "torch", "tensorflow", "pandas", "pil"


def _row(name, role, framework, input_kw="x", kind="function", **extra):
    return Api(name, role, framework, kind=kind, input=Param(input_kw, 0) if input_kw else None, extra=extra)


def _method(name, role, framework="any", **extra):
    return Api(name, role, framework, kind=METHOD, input=None, extra=extra)


def _layer(name, role, framework, **extra):
    return Api(name, role, framework, kind=LAYER, input=None, extra=extra)


# -- sources ----------------------------------------------------------------------------
_IMAGE_DATASETS = ("mnist", "fashion_mnist", "cifar10", "cifar100")
_TABLE_READERS = ("read_csv", "read_table", "read_fwf", "read_excel", "read_json", "read_parquet",
                  "read_feather", "read_orc", "read_hdf", "read_pickle", "read_sql", "read_sql_query",
                  "read_sql_table", "read_stata", "read_sas", "read_spss", "read_xml")
_PREPROCESS_INPUT = ("resnet", "resnet50", "resnet_v2", "vgg16", "vgg19", "inception_v3",
                     "inception_resnet_v2", "mobilenet", "mobilenet_v2", "mobilenet_v3", "densenet",
                     "xception", "nasnet", "efficientnet", "efficientnet_v2", "convnext", "regnet",
                     "imagenet_utils")

ROWS = [
    *(_row(f"keras.datasets.{name}.load_data", DATASET_LOAD, "keras", None, container=NUMPY,
           images=((0, 0), (1, 0)), labels=((0, 1), (1, 1))) for name in _IMAGE_DATASETS),
    _row("cv2.imread", IMAGE_READ, "opencv", "filename", container=NUMPY),
    _row("cv2.imdecode", IMAGE_READ, "opencv", "buf", container=NUMPY),
    _row("imageio.imread", IMAGE_READ, "imageio", "uri", container=NUMPY),
    _row("imageio.v2.imread", IMAGE_READ, "imageio", "uri", container=NUMPY),
    _row("imageio.v3.imread", IMAGE_READ, "imageio", "uri", container=NUMPY),
    _row("skimage.io.imread", IMAGE_READ, "skimage", "fname", container=NUMPY),
    _row("torchvision.io.read_image", IMAGE_READ, TORCH, "path", container=TORCH),
    _row("torchvision.io.decode_image", IMAGE_READ, TORCH, "input", container=TORCH),
    _row("torchvision.io.decode_jpeg", IMAGE_READ, TORCH, "input", container=TORCH),
    _row("torchvision.io.decode_png", IMAGE_READ, TORCH, "input", container=TORCH),
    _row("tensorflow.io.decode_image", IMAGE_READ, TF, "contents"),
    _row("tensorflow.io.decode_jpeg", IMAGE_READ, TF, "contents"),
    _row("tensorflow.io.decode_png", IMAGE_READ, TF, "contents"),
    _row("tensorflow.image.decode_image", IMAGE_READ, TF, "contents"),
    _row("tensorflow.image.decode_jpeg", IMAGE_READ, TF, "contents"),
    _row("tensorflow.image.decode_png", IMAGE_READ, TF, "contents"),
    _row("PIL.Image.open", IMAGE_OPEN, PIL, "fp", container=PIL),
    _row("keras.utils.load_img", IMAGE_OPEN, "keras", "path", container=PIL),
    _row("keras.preprocessing.image.load_img", IMAGE_OPEN, "keras", "path", container=PIL),
    *(_row(f"pandas.{name}", TABULAR_READ, PANDAS, "filepath_or_buffer") for name in _TABLE_READERS),
    _row("numpy.genfromtxt", TABULAR_READ, NUMPY, "fname"),
    _row("numpy.loadtxt", TABULAR_READ, NUMPY, "fname"),
    # -- images made arrays, same values ----------------------------------------------
    _row("keras.utils.img_to_array", TO_ARRAY, "keras", "img", container=NUMPY, dtype=Param("dtype", 2)),
    _row("keras.preprocessing.image.img_to_array", TO_ARRAY, "keras", "img", container=NUMPY,
         dtype=Param("dtype", 2)),
    _row("cv2.resize", SAME_VALUES, "opencv", "src", container=NUMPY),
    _row("cv2.cvtColor", SAME_VALUES, "opencv", "src", container=NUMPY),
    _row("torchvision.transforms.functional.resize", SAME_VALUES, TORCH, "img"),
    _row("torchvision.transforms.functional.pil_to_tensor", RAW_TO_TENSOR, TORCH, "pic", container=TORCH),
    _row("tensorflow.image.resize", SAME_VALUES, TF, "images"),
    # -- label constructors -------------------------------------------------------------
    _row("numpy.random.randint", RANDINT, NUMPY, None, low=Param("low", 0), high=Param("high", 1)),
    _row("torch.randint", RANDINT, TORCH, None, low=Param("low", 0), high=Param("high", 1), size_second=True),
    _row("numpy.random.choice", CHOICE, NUMPY, "a"),
    *(_row(f"numpy.{name}", CONCAT, NUMPY, "tup") for name in ("vstack", "hstack", "row_stack", "stack")),
    _row("numpy.concatenate", CONCAT, NUMPY, "arrays"),
    _row("numpy.append", CONCAT, NUMPY, "arr", pair=Param("values", 1)),
    _row("torch.cat", CONCAT, TORCH, "tensors"),
    _row("torch.concat", CONCAT, TORCH, "tensors"),
    _row("torch.stack", CONCAT, TORCH, "tensors"),
    _row("tensorflow.concat", CONCAT, TF, "values"),
    _row("keras.utils.to_categorical", ONE_HOT, "keras", "x", container=NUMPY, dtype="float"),
    _row("keras.utils.np_utils.to_categorical", ONE_HOT, "keras", "x", container=NUMPY, dtype="float"),
    _row("tensorflow.one_hot", ONE_HOT, TF, "indices", dtype="float"),
    _row("torch.nn.functional.one_hot", ONE_HOT, TORCH, "tensor", dtype="int"),
    _row("jax.nn.one_hot", ONE_HOT, "jax", "x", dtype="float"),
    # -- scaling --------------------------------------------------------------------------
    _row("tensorflow.image.convert_image_dtype", SCALE, TF, "image"),
    _row("tensorflow.image.per_image_standardization", SCALE, TF, "image"),
    _row("torchvision.transforms.functional.to_tensor", SCALE, TORCH, "pic", container=TORCH),
    _row("torchvision.transforms.functional.normalize", SCALE, TORCH, "tensor"),
    _row("torchvision.transforms.functional.convert_image_dtype", SCALE, TORCH, "image"),
    *(_row(f"keras.applications.{name}.preprocess_input", SCALE, "keras", "x") for name in _PREPROCESS_INPUT),
    *(_row(f"sklearn.preprocessing.{name}", SCALE, "sklearn", "X", container=NUMPY)
      for name in ("scale", "minmax_scale", "robust_scale", "maxabs_scale", "normalize")),
    *(_layer(f"sklearn.preprocessing.{name}", SCALER, "sklearn")
      for name in ("StandardScaler", "MinMaxScaler", "RobustScaler", "MaxAbsScaler", "Normalizer",
                   "QuantileTransformer", "PowerTransformer")),
    *(_layer(f"sklearn.impute.{name}", IMPUTER, "sklearn")
      for name in ("SimpleImputer", "KNNImputer", "IterativeImputer")),
    _layer("keras.preprocessing.image.ImageDataGenerator", IMAGE_GENERATOR, "keras",
           scaling=("rescale", "preprocessing_function", "featurewise_center", "samplewise_center",
                    "featurewise_std_normalization", "samplewise_std_normalization", "zca_whitening")),
    *(_layer(f"{module}.{name}", SCALING_LAYER, TORCH)
      for module in ("torchvision.transforms", "torchvision.transforms.v2")
      for name in ("ToTensor", "Normalize", "ConvertImageDtype")),
    _layer("torchvision.transforms.v2.ToDtype", SCALING_LAYER, TORCH, scale_flag=Param("scale", 1)),
    _layer("torchvision.transforms.PILToTensor", RAW_TO_TENSOR, TORCH),
    _layer("torchvision.transforms.v2.PILToTensor", RAW_TO_TENSOR, TORCH),
    _layer("torchvision.transforms.v2.ToImage", RAW_TO_TENSOR, TORCH),
    _layer("torchvision.transforms.Compose", COMPOSE, TORCH),
    _layer("torchvision.transforms.v2.Compose", COMPOSE, TORCH),
    *(_layer(f"{module}.{name}", SAME_VALUES, TORCH)
      for module in ("torchvision.transforms", "torchvision.transforms.v2")
      for name in ("Resize", "CenterCrop", "RandomCrop", "RandomResizedCrop", "RandomHorizontalFlip",
                   "RandomVerticalFlip", "RandomRotation", "Pad", "Grayscale")),
    # -- missing values -------------------------------------------------------------------
    _row("sklearn.model_selection.train_test_split", SPLIT, "sklearn", None),
    # -- models that are trained with fit(x, y) -----------------------------------------
    *(_layer(f"tensorflow.{module}.{name}", MODEL, TF, family="estimator", classifier=classifier,
             classes=Param("n_classes"), default_classes=2 if classifier else None)
      for module in ("contrib.learn", "estimator")
      for name, classifier in (("DNNClassifier", True), ("LinearClassifier", True),
                               ("DNNLinearCombinedClassifier", True), ("DNNRegressor", False),
                               ("LinearRegressor", False), ("DNNLinearCombinedRegressor", False))),
    *(_layer(f"skorch.{name}", MODEL, TORCH, family="wrapper")
      for name in ("NeuralNet", "NeuralNetClassifier", "NeuralNetRegressor", "NeuralNetBinaryClassifier")),
    *(_layer(f"{module}.{name}", MODEL, "keras", family="wrapper")
      for module in ("scikeras.wrappers", "keras.wrappers.scikit_learn")
      for name in ("KerasClassifier", "KerasRegressor")),
]


# -- the overlay: shared names and methods ----------------------------------------------
def _keras_layers(role, names, **extra):
    rows = []
    for name in names:
        rows.append(_layer(f"keras.layers.{name}", role, "keras", **extra))
        rows.append(_layer(f"keras.layers.experimental.preprocessing.{name}", role, "keras", **extra))
    return rows


def _torch_layers(role, names, **extra):
    return [_layer(f"torch.nn.{name}", role, TORCH, **extra) for name in names]


_FIT = {"x": Param("x", 0), "y": Param("y", 1), "validation": Param("validation_data")}

OVERLAY = [
    # arrays and casts
    *(_row(f"numpy.{name}", TO_ARRAY, NUMPY, "object", dtype=Param("dtype", 1))
      for name in ("array", "asarray", "asanyarray", "ascontiguousarray")),
    _row("torch.tensor", TO_ARRAY, TORCH, "data", dtype=Param("dtype")),
    _row("torch.as_tensor", TO_ARRAY, TORCH, "data", dtype=Param("dtype", 1)),
    _row("torch.from_numpy", TO_ARRAY, TORCH, "ndarray"),
    _row("torch.Tensor", TO_ARRAY, TORCH, "data", fixed_dtype="float"),
    _row("torch.FloatTensor", TO_ARRAY, TORCH, "data", fixed_dtype="float"),
    _row("torch.DoubleTensor", TO_ARRAY, TORCH, "data", fixed_dtype="float"),
    _row("torch.LongTensor", TO_ARRAY, TORCH, "data", fixed_dtype="int"),
    _row("torch.IntTensor", TO_ARRAY, TORCH, "data", fixed_dtype="int"),
    _row("tensorflow.constant", TO_ARRAY, TF, "value", dtype=Param("dtype", 1)),
    _row("tensorflow.convert_to_tensor", TO_ARRAY, TF, "value", dtype=Param("dtype", 1)),
    _row("keras.ops.convert_to_tensor", TO_ARRAY, "keras", "x", dtype=Param("dtype", 1), container=TF),
    _row("jax.numpy.array", TO_ARRAY, "jax", "object", dtype=Param("dtype", 1)),
    _row("jax.numpy.asarray", TO_ARRAY, "jax", "a", dtype=Param("dtype", 1)),
    _row("tensorflow.cast", CAST, TF, "x", dtype=Param("dtype", 1)),
    _row("keras.ops.cast", CAST, "keras", "x", dtype=Param("dtype", 1), container=TF),
    _row("keras.backend.cast", CAST, "keras", "x", dtype=Param("dtype", 1), container=TF),
    *(_row(f"numpy.{name}", SAME_VALUES, NUMPY, "a")
      for name in ("reshape", "expand_dims", "squeeze", "transpose", "ravel", "copy", "flip", "moveaxis")),
    *(_row(f"torch.{name}", SAME_VALUES, TORCH, "input")
      for name in ("reshape", "flatten", "unsqueeze", "squeeze", "permute", "transpose", "clone")),
    *(_row(f"tensorflow.{name}", SAME_VALUES, TF, "tensor") for name in ("reshape", "expand_dims", "squeeze")),
    _row("numpy.arange", ARANGE, NUMPY, None, start=Param("start", 0), stop=Param("stop", 1), step=Param("step", 2)),
    _row("torch.arange", ARANGE, TORCH, None, start=Param("start", 0), stop=Param("end", 1), step=Param("step", 2)),
    _row("builtins.range", ARANGE, "python", None, start=Param("start", 0), stop=Param("stop", 1),
         step=Param("step", 2), container="python"),
    _row("numpy.argmax", ARGMAX, NUMPY, "a"),
    _row("torch.argmax", ARGMAX, TORCH, "input"),
    _row("tensorflow.argmax", ARGMAX, TF, "input"),
    _row("tensorflow.math.argmax", ARGMAX, TF, "input"),
    # missing values
    _row("numpy.nan_to_num", NAN_FILL, NUMPY, "x"),
    _row("torch.nan_to_num", NAN_FILL, TORCH, "input"),
    *(_row(name, NAN_CHECK, name.split(".")[0], "x") for name in (
        "numpy.isnan", "numpy.isfinite", "numpy.isinf", "pandas.isna", "pandas.isnull",
        "pandas.notna", "pandas.notnull", "torch.isnan", "torch.isfinite", "tensorflow.math.is_nan",
        "tensorflow.math.is_finite", "tensorflow.debugging.check_numerics", "tensorflow.debugging.assert_all_finite",
        "tensorflow.check_numerics", "sklearn.utils.assert_all_finite")),
    # models
    _layer("keras.Sequential", MODEL, "keras", family="keras-sequential", layers=Param("layers", 0)),
    _layer("keras.models.Sequential", MODEL, "keras", family="keras-sequential", layers=Param("layers", 0)),
    _layer("keras.Model", MODEL, "keras", family="keras-functional", inputs=Param("inputs", 0),
           outputs=Param("outputs", 1)),
    _layer("keras.models.Model", MODEL, "keras", family="keras-functional", inputs=Param("inputs", 0),
           outputs=Param("outputs", 1)),
    _layer("torch.nn.Sequential", MODEL, TORCH, family="torch-sequential"),
    _layer("torch.nn.Module", MODEL, TORCH, family="torch-class"),
    # layers: what they do to the scale of their input, and to the width
    *_keras_layers(TRAINABLE_LAYER, ("Dense",), width=Param("units", 0), head=True),
    *_keras_layers(TRAINABLE_LAYER, (
        "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "SeparableConv1D",
        "SeparableConv2D", "DepthwiseConv2D", "LSTM", "GRU", "SimpleRNN", "ConvLSTM2D", "Embedding",
        "LocallyConnected1D", "LocallyConnected2D")),
    *_keras_layers(SCALING_LAYER, ("Rescaling", "Normalization", "BatchNormalization", "LayerNormalization",
                                   "GroupNormalization", "UnitNormalization"), keeps_width=True),
    *_keras_layers(NEUTRAL_LAYER, (
        "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "Dropout", "SpatialDropout1D",
        "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise", "GaussianDropout", "AlphaDropout",
        "ActivityRegularization", "RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation",
        "RandomContrast", "RandomBrightness"), keeps_width=True),
    *_keras_layers(NEUTRAL_LAYER, (
        "Input", "InputLayer", "Flatten", "Reshape", "Permute", "RepeatVector", "MaxPooling1D", "MaxPooling2D",
        "MaxPooling3D", "MaxPool1D", "MaxPool2D", "MaxPool3D", "AveragePooling1D", "AveragePooling2D",
        "AveragePooling3D", "AvgPool1D", "AvgPool2D", "AvgPool3D", "GlobalAveragePooling1D",
        "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
        "GlobalMaxPooling3D", "GlobalAvgPool2D", "GlobalMaxPool2D", "ZeroPadding1D", "ZeroPadding2D",
        "ZeroPadding3D", "Cropping1D", "Cropping2D", "Cropping3D", "UpSampling1D", "UpSampling2D",
        "UpSampling3D", "Resizing", "CenterCrop", "RandomCrop")),
    _layer("keras.Input", NEUTRAL_LAYER, "keras"),
    *_torch_layers(TRAINABLE_LAYER, ("Linear",), width=Param("out_features", 1), head=True),
    *_torch_layers(TRAINABLE_LAYER, (
        "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "LazyLinear",
        "LazyConv2d", "LSTM", "GRU", "RNN", "Embedding", "Bilinear")),
    *_torch_layers(SCALING_LAYER, ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm",
                                   "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LocalResponseNorm"),
                   keeps_width=True),
    *_torch_layers(NEUTRAL_LAYER, (
        "ReLU", "ReLU6", "LeakyReLU", "PReLU", "ELU", "SELU", "GELU", "SiLU", "Mish", "Tanh", "Sigmoid", "Softmax",
        "LogSoftmax", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "Identity"),
        keeps_width=True),
    *_torch_layers(NEUTRAL_LAYER, (
        "Flatten", "Unflatten", "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
        "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
        "ZeroPad2d", "ConstantPad2d", "ReflectionPad2d", "Upsample", "PixelShuffle")),
    # class-index losses
    _layer("torch.nn.CrossEntropyLoss", CLASS_INDEX_LOSS, TORCH, labels=Param("target", 1), logits=Param("input", 0),
           probabilities=True, ignore=Param("ignore_index", 2), ignore_default=-100),
    _layer("torch.nn.NLLLoss", CLASS_INDEX_LOSS, TORCH, labels=Param("target", 1), logits=Param("input", 0),
           probabilities=False, ignore=Param("ignore_index", 2), ignore_default=-100),
    _row("torch.nn.functional.cross_entropy", CLASS_INDEX_LOSS, TORCH, "input", labels=Param("target", 1),
         logits=Param("input", 0), probabilities=True, ignore=Param("ignore_index", 4), ignore_default=-100),
    _row("torch.nn.functional.nll_loss", CLASS_INDEX_LOSS, TORCH, "input", labels=Param("target", 1),
         logits=Param("input", 0), probabilities=False, ignore=Param("ignore_index", 4), ignore_default=-100),
    _row("tensorflow.nn.sparse_softmax_cross_entropy_with_logits", CLASS_INDEX_LOSS, TF, "logits",
         labels=Param("labels", 0), logits=Param("logits", 1), probabilities=False),
    _row("tensorflow.losses.sparse_softmax_cross_entropy", CLASS_INDEX_LOSS, TF, "logits",
         labels=Param("labels", 0), logits=Param("logits", 1), probabilities=False),
    _layer("keras.losses.SparseCategoricalCrossentropy", CLASS_INDEX_LOSS, "keras", labels=Param("y_true", 0),
           logits=Param("y_pred", 1), probabilities=False, ignore=Param("ignore_class", 1), ignore_default=None),
    *(_row(name, CLASS_INDEX_LOSS, "keras", "y_pred", labels=Param(target, 0), logits=Param(output, 1),
           probabilities=False, ignore=Param("ignore_class"), ignore_default=None)
      for name, target, output in (
          ("keras.losses.sparse_categorical_crossentropy", "y_true", "y_pred"),
          ("keras.metrics.sparse_categorical_crossentropy", "y_true", "y_pred"),
          ("keras.backend.sparse_categorical_crossentropy", "target", "output"),
          ("keras.ops.sparse_categorical_crossentropy", "target", "output"))),
    _row("optax.softmax_cross_entropy_with_integer_labels", CLASS_INDEX_LOSS, "jax", "logits",
         labels=Param("labels", 1), logits=Param("logits", 0), probabilities=False),
    # methods
    _method("astype", CAST, NUMPY, dtype=Param("dtype", 0)),
    _method("type", CAST, TORCH, dtype=Param("dtype", 0)),
    _method("to", CAST, TORCH, dtype=Param("dtype", 0), optional=True),
    _method("to_numpy", CAST, PANDAS, dtype=Param("dtype", 0), optional=True, container=NUMPY),
    _method("float", CAST_FLOAT, TORCH),
    _method("double", CAST_FLOAT, TORCH),
    _method("long", CAST_INT, TORCH),
    _method("int", CAST_INT, TORCH),
    _method("argmax", ARGMAX),
    *(_method(name, SAME_VALUES) for name in (
        "reshape", "view", "flatten", "ravel", "squeeze", "unsqueeze", "transpose", "permute", "contiguous", "copy",
        "clone", "detach", "cpu", "cuda", "numpy", "drop", "convert", "resize", "expand_dims", "swapaxes",
        "sample", "reindex")),
    *(_method(name, NAN_FILL, PANDAS) for name in ("dropna", "fillna", "interpolate", "ffill", "bfill")),
    *(_method(name, NAN_CHECK) for name in ("isna", "isnull", "notna", "notnull", "isnan", "isfinite")),
    _method("fit_transform", TRANSFORM_APPLY, "sklearn", data=Param("X", 0)),
    _method("transform", TRANSFORM_APPLY, "sklearn", data=Param("X", 0)),
    _method("flow", FLOW, "keras", data=Param("x", 0)),
    _method("fit", MODEL_FIT, kind="train", **_FIT),
    _method("train_on_batch", MODEL_FIT, kind="train", **_FIT),
    _method("evaluate", MODEL_FIT, kind="evaluate", **_FIT),
    _method("test_on_batch", MODEL_FIT, kind="evaluate", **_FIT),
    _method("predict", MODEL_FIT, kind="predict", x=Param("x", 0)),
    _method("predict_on_batch", MODEL_FIT, kind="predict", x=Param("x", 0)),
    _method("compile", MODEL_COMPILE, "keras", loss=Param("loss", 1)),
    _method("add", MODEL_ADD, "keras", layer=Param("layer", 0)),
    _method("backward", TRAIN_STEP, TORCH),
    _method("gradient", TRAIN_STEP, TF),
    _method("apply_gradients", TRAIN_STEP, TF),
]

# Keras losses named by a string in ``compile(loss=...)`` that take class indices.
CLASS_INDEX_LOSS_NAMES = frozenset({"sparse_categorical_crossentropy", "SparseCategoricalCrossentropy"})

# Attributes that give the same values in another container (``df.values``, ``x.T``), or
# that index them (``df.iloc[...]``).
SAME_VALUE_ATTRIBUTES = frozenset({"values", "T", "mT", "data", "iloc", "loc", "iat", "at"})

# Methods that only read their receiver: calling one as a statement changes nothing.
READ_ONLY_METHODS = frozenset({
    "head", "tail", "info", "describe", "sum", "mean", "min", "max", "std", "count", "value_counts", "any",
    "all", "isna", "isnull", "notna", "notnull", "nunique", "unique", "plot", "hist", "corr", "to_csv",
    "save", "summary", "compile", "fit", "evaluate", "predict", "train_on_batch", "test_on_batch", "numpy",
    "size", "dim", "item", "tolist",
})

# Dtype names. Strings are read by ``dtype_kind``.
DTYPES: dict[str, str] = {
    **{f"numpy.{n}": "float" for n in ("float16", "float32", "float64", "float_", "double", "single", "half",
                                        "longdouble")},
    **{f"numpy.{n}": "int" for n in ("int8", "int16", "int32", "int64", "int_", "intc", "intp", "uint8",
                                      "uint16", "uint32", "uint64", "long", "longlong")},
    **{f"torch.{n}": "float" for n in ("float", "float16", "float32", "float64", "double", "half", "bfloat16",
                                        "FloatTensor", "DoubleTensor", "HalfTensor")},
    **{f"torch.{n}": "int" for n in ("long", "int", "int8", "int16", "int32", "int64", "uint8", "short",
                                      "LongTensor", "IntTensor")},
    **{f"tensorflow.{n}": "float" for n in ("float16", "float32", "float64", "double", "half", "bfloat16")},
    **{f"tensorflow.{n}": "int" for n in ("int8", "int16", "int32", "int64", "uint8", "uint16")},
    **{f"jax.numpy.{n}": "float" for n in ("float16", "float32", "float64", "bfloat16")},
    **{f"jax.numpy.{n}": "int" for n in ("int8", "int16", "int32", "int64", "uint8")},
    "builtins.float": "float",
    "builtins.int": "int",
}


def dtype_kind(name: str) -> str | None:
    """"float" or "int" for a dtype string such as ``"float32"``, ``"int64"`` or ``"f4"``."""
    name = name.strip().lower().removeprefix("torch.").removeprefix("np.").removeprefix("tf.")
    if name.startswith(("float", "double", "half", "single", "bfloat")) or name in ("f2", "f4", "f8", "<f4", "<f8"):
        return "float"
    if name.startswith(("int", "uint", "long")) or name in ("i1", "i2", "i4", "i8", "u1", "<i4", "<i8"):
        return "int"
    return None


_FUNCTIONS: dict[str, Api] = {}
_METHODS: dict[str, Api] = {}
for _api in (*ROWS, *OVERLAY):
    if _api.kind == METHOD:
        _METHODS[_api.name] = _api
    else:
        _FUNCTIONS[canonical(_api.name)] = _api


def lookup(qualified: str) -> Api | None:
    """The data row for a canonical qualified name (a function, layer or class)."""
    return _FUNCTIONS.get(qualified)


def method(name: str) -> Api | None:
    """The data row for ``x.name(...)``."""
    return _METHODS.get(name)


def leaf_names(roles) -> frozenset[str]:
    """The last component of every row name with one of ``roles``: a cheap first test
    of a call's spelling before its qualified name is computed."""
    return frozenset(api.name.rpartition(".")[2] for api in (*ROWS, *OVERLAY) if api.role in roles)
