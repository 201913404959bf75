"""What the log and exp rules (NAN103-NAN106) need to know about the frameworks.

Rows: log2/log10 and log1p, logsumexp and softplus, the ReLU family, element pickers
(``gather``, ``take_along_axis``), Keras layers that carry an activation (``Dense(...,
activation="softmax")``, ``Activation("sigmoid")``), models whose output is their last
layer's (``Sequential``, ``keras.Model(inputs, outputs)``), and the losses that apply
their own softmax/sigmoid (they take logits) or their own log (they take probabilities).

Loss rows say where the prediction sits (``extra["prediction"]``: in the call for
functions, in the application ``loss_fn(y_true, y_pred)`` for classes), which activation
the loss applies (``extra["applies"]``), and for Keras where ``from_logits`` sits (a
Keras loss takes logits only with ``from_logits=True``).

Below the rows, by the module of the operation being rewritten: the stable forms NAN105
writes (``softmax``, ``logsumexp``, ``softplus``) and the losses on logits that NAN104's
message names.

Sum, mean and exp are in ``reductions``; reshapes, casts and ``abs`` in ``division_roots``.
"""

from nanlint.catalog import LAYER, METHOD, Api, Param
from nanlint.catalog.roles import (
    ACTIVATION_LAYER,
    FUNCTIONAL_MODEL,
    GATHER,
    LOG1P,
    LOG_BASE,
    LOG_SIGMOID,
    LOG_SOFTMAX,
    LOGIT_LOSS,
    LOGSUMEXP,
    PROBABILITY_LOSS,
    RELU,
    SEQUENTIAL,
    SIGMOID,
    SOFTMAX,
    SOFTPLUS,
)


def _unary(name, role, framework, input_kw="x", **extra):
    return Api(name, role, framework, input=Param(input_kw, 0), extra=extra)


def _method(name, role, max_args=None, **extra):
    return Api(name, role, "torch", kind=METHOD, input=None, max_args=max_args, extra=extra)


def _layer(name, role, framework, **extra):
    return Api(name, role, framework, kind=LAYER, input=None, extra=extra)


def _reduce(name, role, framework, input_kw, axis, keepdims):
    return Api(name, role, framework, input=Param(input_kw, 0), axis=axis, extra={"keepdims": keepdims})


def _loss(name, role, framework, prediction, applies, from_logits=None, **extra):
    """A loss function: ``prediction`` is the argument holding the model's output."""
    if from_logits is not None:
        extra["from_logits"] = from_logits
    return Api(name, role, framework, input=prediction, extra={"prediction": prediction, "applies": applies, **extra})


def _loss_class(name, role, framework, prediction, applies, from_logits=None):
    """A loss class: ``prediction`` sits in the call of an instance, ``from_logits`` in
    the constructor."""
    extra = {"prediction": prediction, "applies": applies}
    if from_logits is not None:
        extra["from_logits"] = from_logits
    return Api(name, role, framework, kind=LAYER, input=None, extra=extra)


_TORCH_INPUT = Param("input", 0)
_Y_PRED = Param("y_pred", 1)
_OUTPUT = Param("output", 1)
_TF_LOGITS = Param("logits", 1)
_OPTAX_LOGITS = Param("logits", 0)

ROWS = [
    # logs in another base: the same -inf at 0, no log_softmax counterpart
    *(_unary(f"{module}.{leaf}", LOG_BASE, framework, input_kw)
      for module, framework, input_kw in (("torch", "torch", "input"), ("numpy", "numpy", "x"),
                                          ("jax.numpy", "jax", "x"), ("keras.ops", "keras", "x"),
                                          ("theano.tensor", "theano", "a"))
      for leaf in ("log2", "log10")),
    _method("log2", LOG_BASE, max_args=0),
    _method("log10", LOG_BASE, max_args=0),
    # log1p(x) = log(1 + x)
    _unary("torch.log1p", LOG1P, "torch", "input"),
    _method("log1p", LOG1P, max_args=0),
    _unary("numpy.log1p", LOG1P, "numpy"),
    _unary("jax.numpy.log1p", LOG1P, "jax"),
    _unary("tensorflow.math.log1p", LOG1P, "tensorflow"),
    _unary("keras.ops.log1p", LOG1P, "keras"),
    _unary("theano.tensor.log1p", LOG1P, "theano", "a"),
    _unary("scipy.special.log1p", LOG1P, "scipy"),
    # logsumexp: log(sum(exp(x))) without overflow
    _reduce("torch.logsumexp", LOGSUMEXP, "torch", "input", Param("dim", 1), Param("keepdim", 2)),
    Api("logsumexp", LOGSUMEXP, "torch", kind=METHOD, input=None, axis=Param("dim", 0),
        extra={"keepdims": Param("keepdim", 1)}),
    _reduce("scipy.special.logsumexp", LOGSUMEXP, "scipy", "a", Param("axis", 1), Param("keepdims", 3)),
    _reduce("jax.nn.logsumexp", LOGSUMEXP, "jax", "a", Param("axis", 1), Param("keepdims", 3)),
    _reduce("jax.scipy.special.logsumexp", LOGSUMEXP, "jax", "a", Param("axis", 1), Param("keepdims", 3)),
    _reduce("tensorflow.math.reduce_logsumexp", LOGSUMEXP, "tensorflow", "input_tensor", Param("axis", 1),
            Param("keepdims", 2)),
    _reduce("tensorflow.reduce_logsumexp", LOGSUMEXP, "tensorflow", "input_tensor", Param("axis", 1),
            Param("keepdims", 2)),
    _reduce("keras.ops.logsumexp", LOGSUMEXP, "keras", "x", Param("axis", 1), Param("keepdims", 2)),
    _reduce("keras.backend.logsumexp", LOGSUMEXP, "keras", "x", Param("axis", 1), Param("keepdims", 2)),
    # softplus: log(1 + exp(x)) without overflow
    _unary("torch.nn.functional.softplus", SOFTPLUS, "torch", "input"),
    _layer("torch.nn.Softplus", SOFTPLUS, "torch"),
    _unary("tensorflow.nn.softplus", SOFTPLUS, "tensorflow", "features"),
    _unary("tensorflow.math.softplus", SOFTPLUS, "tensorflow", "features"),
    _unary("keras.activations.softplus", SOFTPLUS, "keras"),
    _unary("keras.backend.softplus", SOFTPLUS, "keras"),
    _unary("keras.ops.softplus", SOFTPLUS, "keras"),
    _unary("jax.nn.softplus", SOFTPLUS, "jax"),
    _unary("flax.linen.softplus", SOFTPLUS, "jax"),
    _unary("theano.tensor.nnet.softplus", SOFTPLUS, "theano"),
    # the ReLU family: exactly 0 for every input <= 0
    _unary("torch.relu", RELU, "torch", "input"),
    _unary("torch.relu_", RELU, "torch", "input"),
    _unary("torch.nn.functional.relu", RELU, "torch", "input"),
    _unary("torch.nn.functional.relu_", RELU, "torch", "input"),
    _unary("torch.nn.functional.relu6", RELU, "torch", "input"),
    _method("relu", RELU, max_args=0),
    _method("relu_", RELU, max_args=0),
    _layer("torch.nn.ReLU", RELU, "torch"),
    _layer("torch.nn.ReLU6", RELU, "torch"),
    _unary("tensorflow.nn.relu", RELU, "tensorflow", "features"),
    _unary("tensorflow.nn.relu6", RELU, "tensorflow", "features"),
    _unary("keras.activations.relu", RELU, "keras"),
    _unary("keras.activations.relu6", RELU, "keras"),
    _unary("keras.backend.relu", RELU, "keras"),
    _unary("keras.ops.relu", RELU, "keras"),
    _unary("keras.ops.relu6", RELU, "keras"),
    _layer("keras.layers.ReLU", RELU, "keras"),
    _unary("jax.nn.relu", RELU, "jax"),
    _unary("jax.nn.relu6", RELU, "jax"),
    _unary("flax.linen.relu", RELU, "jax"),
    _unary("theano.tensor.nnet.relu", RELU, "theano"),
    # element pickers: the picked values are the input's (a probability stays one)
    _unary("torch.gather", GATHER, "torch", "input"),
    _unary("torch.take_along_dim", GATHER, "torch", "input"),
    _unary("torch.index_select", GATHER, "torch", "input"),
    _method("gather", GATHER),
    _method("take_along_dim", GATHER),
    _method("index_select", GATHER),
    _unary("numpy.take_along_axis", GATHER, "numpy", "arr"),
    _unary("numpy.take", GATHER, "numpy", "a"),
    _unary("jax.numpy.take_along_axis", GATHER, "jax", "arr"),
    _unary("jax.numpy.take", GATHER, "jax", "a"),
    _unary("tensorflow.gather", GATHER, "tensorflow", "params"),
    _unary("tensorflow.gather_nd", GATHER, "tensorflow", "params"),
    _unary("tensorflow.experimental.numpy.take_along_axis", GATHER, "tensorflow", "arr"),
    _unary("keras.backend.gather", GATHER, "keras", "reference"),
    _unary("keras.ops.take", GATHER, "keras"),
    _unary("keras.ops.take_along_axis", GATHER, "keras"),
    # Keras layers with an ``activation`` argument
    _layer("keras.layers.Dense", ACTIVATION_LAYER, "keras", activation=Param("activation", 1)),
    _layer("keras.layers.Activation", ACTIVATION_LAYER, "keras", activation=Param("activation", 0)),
    *(_layer(f"keras.layers.{name}", ACTIVATION_LAYER, "keras", activation=Param("activation"))
      for name in ("Conv1D", "Conv2D", "Conv3D", "EinsumDense")),
    # models whose output is their last layer's output
    _layer("keras.Sequential", SEQUENTIAL, "keras", layers=Param("layers", 0)),
    _layer("keras.models.Sequential", SEQUENTIAL, "keras", layers=Param("layers", 0)),
    _layer("torch.nn.Sequential", SEQUENTIAL, "torch"),
    _layer("keras.Model", FUNCTIONAL_MODEL, "keras", outputs=Param("outputs", 1)),
    _layer("keras.models.Model", FUNCTIONAL_MODEL, "keras", outputs=Param("outputs", 1)),
    # losses that apply their own softmax or sigmoid: they take logits
    _loss("torch.nn.functional.cross_entropy", LOGIT_LOSS, "torch", _TORCH_INPUT, SOFTMAX),
    _loss("torch.nn.functional.binary_cross_entropy_with_logits", LOGIT_LOSS, "torch", _TORCH_INPUT, SIGMOID),
    _loss_class("torch.nn.CrossEntropyLoss", LOGIT_LOSS, "torch", _TORCH_INPUT, SOFTMAX),
    _loss_class("torch.nn.BCEWithLogitsLoss", LOGIT_LOSS, "torch", _TORCH_INPUT, SIGMOID),
    _loss("tensorflow.nn.softmax_cross_entropy_with_logits", LOGIT_LOSS, "tensorflow", _TF_LOGITS, SOFTMAX),
    _loss("tensorflow.nn.softmax_cross_entropy_with_logits_v2", LOGIT_LOSS, "tensorflow", _TF_LOGITS, SOFTMAX),
    _loss("tensorflow.nn.sparse_softmax_cross_entropy_with_logits", LOGIT_LOSS, "tensorflow", _TF_LOGITS,
          SOFTMAX),
    _loss("tensorflow.nn.sigmoid_cross_entropy_with_logits", LOGIT_LOSS, "tensorflow", _TF_LOGITS, SIGMOID),
    _loss("tensorflow.nn.weighted_cross_entropy_with_logits", LOGIT_LOSS, "tensorflow", _TF_LOGITS, SIGMOID),
    _loss("tensorflow.losses.softmax_cross_entropy", LOGIT_LOSS, "tensorflow", _TF_LOGITS, SOFTMAX),
    _loss("tensorflow.losses.sparse_softmax_cross_entropy", LOGIT_LOSS, "tensorflow", _TF_LOGITS, SOFTMAX),
    _loss("tensorflow.losses.sigmoid_cross_entropy", LOGIT_LOSS, "tensorflow", _TF_LOGITS, SIGMOID),
    _loss("optax.softmax_cross_entropy", LOGIT_LOSS, "jax", _OPTAX_LOGITS, SOFTMAX),
    _loss("optax.losses.softmax_cross_entropy", LOGIT_LOSS, "jax", _OPTAX_LOGITS, SOFTMAX),
    _loss("optax.softmax_cross_entropy_with_integer_labels", LOGIT_LOSS, "jax", _OPTAX_LOGITS, SOFTMAX),
    _loss("optax.losses.softmax_cross_entropy_with_integer_labels", LOGIT_LOSS, "jax", _OPTAX_LOGITS, SOFTMAX),
    _loss("optax.sigmoid_binary_cross_entropy", LOGIT_LOSS, "jax", _OPTAX_LOGITS, SIGMOID),
    _loss("optax.losses.sigmoid_binary_cross_entropy", LOGIT_LOSS, "jax", _OPTAX_LOGITS, SIGMOID),
    _loss("optax.sigmoid_focal_loss", LOGIT_LOSS, "jax", _OPTAX_LOGITS, SIGMOID),
    _loss("optax.losses.sigmoid_focal_loss", LOGIT_LOSS, "jax", _OPTAX_LOGITS, SIGMOID),
    # Keras losses: on logits only with ``from_logits=True``
    *(_loss(f"keras.{module}.{name}", LOGIT_LOSS, "keras", _Y_PRED, applies, Param("from_logits", position))
      for module in ("losses", "metrics")
      for name, applies, position in (("categorical_crossentropy", SOFTMAX, 2),
                                      ("sparse_categorical_crossentropy", SOFTMAX, 2),
                                      ("binary_crossentropy", SIGMOID, 2),
                                      ("categorical_focal_crossentropy", SOFTMAX, None),
                                      ("binary_focal_crossentropy", SIGMOID, None))),
    *(_loss(f"keras.{module}.{name}", LOGIT_LOSS, "keras", _OUTPUT, applies, Param("from_logits", 2))
      for module in ("backend", "ops")
      for name, applies in (("categorical_crossentropy", SOFTMAX), ("sparse_categorical_crossentropy", SOFTMAX),
                            ("binary_crossentropy", SIGMOID))),
    *(_loss_class(f"keras.losses.{name}", LOGIT_LOSS, "keras", _Y_PRED, applies, Param("from_logits", position))
      for name, applies, position in (("CategoricalCrossentropy", SOFTMAX, 0),
                                      ("SparseCategoricalCrossentropy", SOFTMAX, 0),
                                      ("BinaryCrossentropy", SIGMOID, 0),
                                      ("CategoricalFocalCrossentropy", SOFTMAX, None),
                                      ("BinaryFocalCrossentropy", SIGMOID, None))),
    # losses that take probabilities and apply a log: fed a sigmoid, they should take logits
    _loss("torch.nn.functional.binary_cross_entropy", PROBABILITY_LOSS, "torch", _TORCH_INPUT, None,
          logits_form="torch.nn.functional.binary_cross_entropy_with_logits"),
    _loss_class("torch.nn.BCELoss", PROBABILITY_LOSS, "torch", _TORCH_INPUT, None),
]

# Activation names a Keras layer takes as a string, and the role each applies.
ACTIVATION_NAMES = {
    "softmax": SOFTMAX,
    "sigmoid": SIGMOID,
    "relu": RELU,
    "relu6": RELU,
    "log_softmax": LOG_SOFTMAX,
    "log_sigmoid": LOG_SIGMOID,
}

# Methods that run a model on data and return its output (``model.predict(x)``).
PREDICT_METHODS = frozenset({"predict", "predict_on_batch", "predict_step"})

# ``model.add(layer)`` appends a layer to a Sequential model; ``model.compile(loss=...)``
# sets its loss.
ADD_METHOD = "add"
COMPILE_METHOD = "compile"
COMPILE_LOSS = Param("loss", 1)

# A Keras-style loss function's signature: ``def loss(y_true, y_pred)``.
KERAS_LOSS_PARAMS = ("y_true", "y_pred")
KERAS_ROOTS = frozenset({"keras", "tensorflow"})

# The stable forms NAN105 writes, by the module of the operation it replaces: the
# callable, then the keywords it takes for the axis and the keep-dimensions flag. A
# target starting with "." is a method on the same receiver. ``axis_required``:
# the callable has no "all axes" default (torch's ``logsumexp`` needs ``dim``).
SOFTMAX_FORMS = {
    "torch": ("torch.softmax", "dim"),
    "method": (".softmax", "dim"),
    "numpy": ("scipy.special.softmax", "axis"),
    "jax": ("jax.nn.softmax", "axis"),
    "tensorflow": ("tensorflow.nn.softmax", "axis"),
    "keras.ops": ("keras.ops.softmax", "axis"),
    "keras.backend": ("keras.backend.softmax", "axis"),
}
LOGSUMEXP_FORMS = {
    "torch": ("torch.logsumexp", "dim", "keepdim", True),
    "method": (".logsumexp", "dim", "keepdim", True),
    "numpy": ("scipy.special.logsumexp", "axis", "keepdims", False),
    "scipy": ("scipy.special.logsumexp", "axis", "keepdims", False),
    "jax": ("jax.nn.logsumexp", "axis", "keepdims", False),
    "tensorflow": ("tensorflow.math.reduce_logsumexp", "axis", "keepdims", False),
    "keras.ops": ("keras.ops.logsumexp", "axis", "keepdims", False),
    "keras.backend": ("keras.backend.logsumexp", "axis", "keepdims", False),
}
# ``log(1 + exp(x))``: the callable and whether it is ``logaddexp(0, x)``.
SOFTPLUS_FORMS = {
    "torch": ("torch.nn.functional.softplus", False),
    "method": ("torch.nn.functional.softplus", False),
    "numpy": ("numpy.logaddexp", True),
    "scipy": ("numpy.logaddexp", True),
    "jax": ("jax.nn.softplus", False),
    "tensorflow": ("tensorflow.math.softplus", False),
    "keras.ops": ("keras.ops.softplus", False),
    "keras.backend": ("keras.backend.softplus", False),
    "theano": ("theano.tensor.nnet.softplus", False),
}

# The loss on logits that replaces a hand-written cross-entropy, by framework:
# (categorical, binary), as the message names them.
LOGIT_LOSS_NAMES = {
    "torch": ("F.cross_entropy", "F.binary_cross_entropy_with_logits"),
    "tensorflow": ("tf.nn.softmax_cross_entropy_with_logits", "tf.nn.sigmoid_cross_entropy_with_logits"),
    "keras": ("keras.losses.categorical_crossentropy(..., from_logits=True)",
              "keras.losses.binary_crossentropy(..., from_logits=True)"),
    "jax": ("optax.softmax_cross_entropy", "optax.sigmoid_binary_cross_entropy"),
    "numpy": ("scipy.special.log_softmax", "scipy.special.log_expit"),
    "scipy": ("scipy.special.log_softmax", "scipy.special.log_expit"),
    "theano": ("T.nnet.logsoftmax", "T.nnet.softplus"),
}
