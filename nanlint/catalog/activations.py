"""Softmax, sigmoid and log across frameworks, with their stable log counterparts."""

from nanlint.catalog import IMPLICIT, LAYER, METHOD, Api, Param
from nanlint.catalog.roles import LOG, LOG_SIGMOID, LOG_SOFTMAX, SIGMOID, SOFTMAX

LOGSIGMOID_TORCH = "torch.nn.functional.logsigmoid"


def _softmax(name, framework, stable=None, input_kw="input", axis=None, default=-1, role=SOFTMAX):
    return Api(name, role, framework, input=Param(input_kw, 0), axis=axis, axis_default=default,
               stable={LOG: stable} if stable else {})


def _unary(name, role, framework, stable=None, input_kw="x"):
    return Api(name, role, framework, input=Param(input_kw, 0), stable={LOG: stable} if stable else {})


_DIM = Param("dim", 1)
_AXIS = Param("axis", 1)

ROWS = [
    # softmax
    _softmax("torch.softmax", "torch", "torch.log_softmax", axis=_DIM, default=IMPLICIT),
    _softmax("torch.nn.functional.softmax", "torch", "torch.nn.functional.log_softmax", axis=_DIM,
             default=IMPLICIT),
    _softmax("torch.special.softmax", "torch", "torch.special.log_softmax", axis=_DIM, default=IMPLICIT),
    Api("softmax", SOFTMAX, "torch", kind=METHOD, input=None, axis=Param("dim", 0),
        axis_default=IMPLICIT, stable={LOG: ".log_softmax"}),
    Api("torch.nn.Softmax", SOFTMAX, "torch", kind=LAYER, input=None, axis=Param("dim", 0),
        axis_default=IMPLICIT, stable={LOG: "torch.log_softmax"}),
    _softmax("tensorflow.nn.softmax", "tensorflow", "tensorflow.nn.log_softmax", "logits", _AXIS),
    _softmax("tensorflow.math.softmax", "tensorflow", "tensorflow.math.log_softmax", "logits", _AXIS),
    _softmax("keras.activations.softmax", "keras", None, "x", _AXIS),
    _softmax("keras.backend.softmax", "keras", None, "x", _AXIS),
    _softmax("keras.ops.softmax", "keras", "keras.ops.log_softmax", "x", _AXIS),
    _softmax("keras.ops.nn.softmax", "keras", "keras.ops.nn.log_softmax", "x", _AXIS),
    Api("keras.layers.Softmax", SOFTMAX, "keras", kind=LAYER, input=None, axis=Param("axis", 0)),
    _softmax("jax.nn.softmax", "jax", "jax.nn.log_softmax", "x", _AXIS),
    _softmax("flax.linen.softmax", "jax", "flax.linen.log_softmax", "x", _AXIS),
    _softmax("scipy.special.softmax", "scipy", "scipy.special.log_softmax", "x", _AXIS, default=None),
    _softmax("theano.tensor.nnet.softmax", "theano", "theano.tensor.nnet.logsoftmax", "c", None),
    _softmax("theano.tensor.special.softmax", "theano", "theano.tensor.special.log_softmax", "c",
             _AXIS, default=None),
    # log_softmax (already stable; known so other rules can tell log-probabilities)
    _softmax("torch.log_softmax", "torch", axis=_DIM, default=IMPLICIT, role=LOG_SOFTMAX),
    _softmax("torch.nn.functional.log_softmax", "torch", axis=_DIM, default=IMPLICIT, role=LOG_SOFTMAX),
    _softmax("torch.special.log_softmax", "torch", axis=_DIM, default=IMPLICIT, role=LOG_SOFTMAX),
    Api("log_softmax", LOG_SOFTMAX, "torch", kind=METHOD, input=None, axis=Param("dim", 0)),
    Api("torch.nn.LogSoftmax", LOG_SOFTMAX, "torch", kind=LAYER, input=None, axis=Param("dim", 0)),
    _softmax("tensorflow.nn.log_softmax", "tensorflow", None, "logits", _AXIS, role=LOG_SOFTMAX),
    _softmax("tensorflow.math.log_softmax", "tensorflow", None, "logits", _AXIS, role=LOG_SOFTMAX),
    _softmax("keras.ops.log_softmax", "keras", None, "x", _AXIS, role=LOG_SOFTMAX),
    _softmax("jax.nn.log_softmax", "jax", None, "x", _AXIS, role=LOG_SOFTMAX),
    _softmax("scipy.special.log_softmax", "scipy", None, "x", _AXIS, default=None, role=LOG_SOFTMAX),
    _softmax("theano.tensor.nnet.logsoftmax", "theano", None, "c", None, role=LOG_SOFTMAX),
    # sigmoid
    _unary("torch.sigmoid", SIGMOID, "torch", LOGSIGMOID_TORCH, "input"),
    _unary("torch.nn.functional.sigmoid", SIGMOID, "torch", LOGSIGMOID_TORCH, "input"),
    _unary("torch.special.expit", SIGMOID, "torch", LOGSIGMOID_TORCH, "input"),
    Api("sigmoid", SIGMOID, "torch", kind=METHOD, input=None, stable={LOG: LOGSIGMOID_TORCH}, max_args=0),
    Api("torch.nn.Sigmoid", SIGMOID, "torch", kind=LAYER, input=None, stable={LOG: LOGSIGMOID_TORCH}),
    _unary("tensorflow.sigmoid", SIGMOID, "tensorflow", "tensorflow.math.log_sigmoid"),
    _unary("tensorflow.math.sigmoid", SIGMOID, "tensorflow", "tensorflow.math.log_sigmoid"),
    _unary("tensorflow.nn.sigmoid", SIGMOID, "tensorflow", "tensorflow.math.log_sigmoid"),
    _unary("keras.activations.sigmoid", SIGMOID, "keras"),
    _unary("keras.backend.sigmoid", SIGMOID, "keras"),
    _unary("keras.ops.sigmoid", SIGMOID, "keras", "keras.ops.log_sigmoid"),
    _unary("jax.nn.sigmoid", SIGMOID, "jax", "jax.nn.log_sigmoid"),
    _unary("flax.linen.sigmoid", SIGMOID, "jax", "flax.linen.log_sigmoid"),
    _unary("scipy.special.expit", SIGMOID, "scipy", "scipy.special.log_expit"),
    _unary("theano.tensor.nnet.sigmoid", SIGMOID, "theano"),
    _unary("theano.tensor.sigmoid", SIGMOID, "theano"),
    # log_sigmoid (already stable)
    _unary("torch.nn.functional.logsigmoid", LOG_SIGMOID, "torch", input_kw="input"),
    _unary("tensorflow.math.log_sigmoid", LOG_SIGMOID, "tensorflow"),
    _unary("jax.nn.log_sigmoid", LOG_SIGMOID, "jax"),
    _unary("scipy.special.log_expit", LOG_SIGMOID, "scipy"),
    _unary("keras.ops.log_sigmoid", LOG_SIGMOID, "keras"),
    # natural log
    _unary("torch.log", LOG, "torch", input_kw="input"),
    Api("log", LOG, "torch", kind=METHOD, input=None, max_args=0),
    Api("log_", LOG, "torch", kind=METHOD, input=None, max_args=0),
    _unary("numpy.log", LOG, "numpy"),
    _unary("jax.numpy.log", LOG, "jax"),
    _unary("tensorflow.math.log", LOG, "tensorflow"),
    _unary("tensorflow.log", LOG, "tensorflow"),
    _unary("keras.backend.log", LOG, "keras"),
    _unary("keras.ops.log", LOG, "keras"),
    _unary("theano.tensor.log", LOG, "theano"),
]
