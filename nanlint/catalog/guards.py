"""Guards across frameworks: clamps, clips, maximum, epsilons, divide_no_nan, where."""

from nanlint.catalog import METHOD, Api, Param
from nanlint.catalog.roles import CLAMP, CLAMP_MIN, DIVIDE_NO_NAN, EPSILON, MAXIMUM, WHERE


def _clamp(name, framework, lower, upper, input_kw="x", lower_pos=1):
    return Api(name, CLAMP, framework, input=Param(input_kw, 0),
               extra={"min": Param(lower, lower_pos), "max": Param(upper, lower_pos + 1)})


def _method_clamp(name, lower="min", upper="max"):
    return Api(name, CLAMP, "torch", kind=METHOD, input=None,
               extra={"min": Param(lower, 0), "max": Param(upper, 1)})


def _binary(name, role, framework):
    return Api(name, role, framework, input=Param("x", 0), extra={"other": Param("y", 1)})


ROWS = [
    _clamp("torch.clamp", "torch", "min", "max", "input"),
    _clamp("torch.clip", "torch", "min", "max", "input"),
    _method_clamp("clamp"),
    _method_clamp("clip"),
    _method_clamp("clamp_"),
    _method_clamp("clip_"),
    Api("clamp_min", CLAMP_MIN, "torch", kind=METHOD, input=None, extra={"min": Param("min", 0)}),
    Api("clamp_min_", CLAMP_MIN, "torch", kind=METHOD, input=None, extra={"min": Param("min", 0)}),
    Api("torch.clamp_min", CLAMP_MIN, "torch", extra={"min": Param("min", 1)}),
    _clamp("numpy.clip", "numpy", "a_min", "a_max", "a"),
    _clamp("jax.numpy.clip", "jax", "min", "max", "x"),
    _clamp("tensorflow.clip_by_value", "tensorflow", "clip_value_min", "clip_value_max", "t"),
    _clamp("keras.backend.clip", "keras", "min_value", "max_value"),
    _clamp("keras.ops.clip", "keras", "x_min", "x_max"),
    _clamp("theano.tensor.clip", "theano", "a_min", "a_max"),
    _binary("torch.maximum", MAXIMUM, "torch"),
    _binary("torch.fmax", MAXIMUM, "torch"),
    _binary("numpy.maximum", MAXIMUM, "numpy"),
    _binary("numpy.fmax", MAXIMUM, "numpy"),
    _binary("jax.numpy.maximum", MAXIMUM, "jax"),
    _binary("tensorflow.maximum", MAXIMUM, "tensorflow"),
    _binary("tensorflow.math.maximum", MAXIMUM, "tensorflow"),
    _binary("keras.backend.maximum", MAXIMUM, "keras"),
    _binary("keras.ops.maximum", MAXIMUM, "keras"),
    _binary("theano.tensor.maximum", MAXIMUM, "theano"),
    Api("keras.backend.epsilon", EPSILON, "keras", input=None),
    Api("keras.config.epsilon", EPSILON, "keras", input=None),
    Api("tensorflow.math.divide_no_nan", DIVIDE_NO_NAN, "tensorflow", input=Param("x", 0)),
    Api("tensorflow.div_no_nan", DIVIDE_NO_NAN, "tensorflow", input=Param("x", 0)),
    Api("torch.where", WHERE, "torch", input=Param("condition", 0)),
    Api("numpy.where", WHERE, "numpy", input=Param("condition", 0)),
    Api("jax.numpy.where", WHERE, "jax", input=Param("condition", 0)),
    Api("tensorflow.where", WHERE, "tensorflow", input=Param("condition", 0)),
    Api("keras.ops.where", WHERE, "keras", input=Param("condition", 0)),
    Api("theano.tensor.switch", WHERE, "theano", input=Param("cond", 0)),
]
