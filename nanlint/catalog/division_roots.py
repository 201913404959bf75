"""Division, the quantities that can be 0 (sums and counts, norms, std and var, zeros),
roots and powers, inverse cosines, cosine similarity, and the shape and dtype operations
a zero passes through unchanged. Also the per-framework spellings the NAN2xx fixes write.

Sum, mean and exp are in ``reductions``; clamp, maximum, where and divide_no_nan in ``guards``.
"""

from nanlint.catalog import LAYER, METHOD, Api, Param
from nanlint.catalog.roles import (
    ABS,
    ACOS,
    ASIN,
    COSINE_SIMILARITY,
    COUNT,
    CREATE,
    DIVIDE,
    DOT,
    NORM,
    NORMALIZE,
    POW,
    RSQRT,
    SAME_VALUES,
    SQRT,
    SQUARE,
    STD,
    STOP_GRADIENT,
    TOPK,
    VAR,
    ZEROS,
)

TORCH_NORMALIZE = "torch.nn.functional.normalize"
TF_NORMALIZE = "tensorflow.math.l2_normalize"
TF_DIVIDE_NO_NAN = "tensorflow.math.divide_no_nan"


def _unary(name, role, framework, input_kw="x", **extra):
    return Api(name, role, framework, input=Param(input_kw, 0), extra=extra)


def _method(name, role, max_args=None, **extra):
    return Api(name, role, "torch", kind=METHOD, input=None, max_args=max_args, extra=extra)


def _binary(name, role, framework, first="x", second="y", **extra):
    """``name(first, second)``: ``extra["other"]`` is the second operand (divisor, exponent, ...)."""
    return Api(name, role, framework, input=Param(first, 0), extra={"other": Param(second, 1), **extra})


def _norm(name, framework, input_kw, ord_kw, axis_kw, keep_kw, normalize=None):
    extra = {"ord": Param(ord_kw, 1), "keepdims": Param(keep_kw, 3)}
    if normalize:
        extra["normalize"] = normalize
    return Api(name, NORM, framework, input=Param(input_kw, 0), axis=Param(axis_kw, 2), extra=extra)


def _spread(name, role, framework, input_kw, axis_kw="axis"):
    return Api(name, role, framework, input=Param(input_kw, 0), axis=Param(axis_kw, 1, aliases=("dim", "axis")))


ROWS = [
    # division: x / y
    _binary("torch.div", DIVIDE, "torch", "input", "other"),
    _binary("torch.divide", DIVIDE, "torch", "input", "other"),
    _binary("torch.true_divide", DIVIDE, "torch", "dividend", "divisor"),
    _method("div", DIVIDE, other=Param("other", 0)),
    _method("div_", DIVIDE, other=Param("other", 0)),
    _method("divide", DIVIDE, other=Param("other", 0)),
    _method("divide_", DIVIDE, other=Param("other", 0)),
    _method("true_divide", DIVIDE, other=Param("other", 0)),
    _method("true_divide_", DIVIDE, other=Param("other", 0)),
    # numpy's ``where=`` argument leaves the masked-out entries alone: a guard
    _binary("numpy.divide", DIVIDE, "numpy", "x1", "x2", where=Param("where")),
    _binary("numpy.true_divide", DIVIDE, "numpy", "x1", "x2", where=Param("where")),
    _binary("jax.numpy.divide", DIVIDE, "jax", "x1", "x2"),
    _binary("jax.numpy.true_divide", DIVIDE, "jax", "x1", "x2"),
    _binary("tensorflow.divide", DIVIDE, "tensorflow", no_nan=TF_DIVIDE_NO_NAN),
    _binary("tensorflow.math.divide", DIVIDE, "tensorflow", no_nan=TF_DIVIDE_NO_NAN),
    _binary("tensorflow.div", DIVIDE, "tensorflow", no_nan=TF_DIVIDE_NO_NAN),
    _binary("tensorflow.truediv", DIVIDE, "tensorflow", no_nan=TF_DIVIDE_NO_NAN),
    _binary("tensorflow.math.truediv", DIVIDE, "tensorflow", no_nan=TF_DIVIDE_NO_NAN),
    _binary("tensorflow.realdiv", DIVIDE, "tensorflow", no_nan=TF_DIVIDE_NO_NAN),
    _binary("keras.ops.divide", DIVIDE, "keras", "x1", "x2"),
    _binary("keras.ops.true_divide", DIVIDE, "keras", "x1", "x2"),
    _binary("theano.tensor.true_div", DIVIDE, "theano", "a", "b"),
    # norms (a product of norms is a norm; x / norm(x) is a normalisation)
    _norm("torch.norm", "torch", "input", "p", "dim", "keepdim", TORCH_NORMALIZE),
    _norm("torch.linalg.norm", "torch", "input", "ord", "dim", "keepdim", TORCH_NORMALIZE),
    _norm("torch.linalg.vector_norm", "torch", "x", "ord", "dim", "keepdim", TORCH_NORMALIZE),
    Api("norm", NORM, "torch", kind=METHOD, input=None, axis=Param("dim", 1),
        extra={"ord": Param("p", 0), "keepdims": Param("keepdim", 2), "normalize": TORCH_NORMALIZE}),
    _norm("numpy.linalg.norm", "numpy", "x", "ord", "axis", "keepdims"),
    _norm("jax.numpy.linalg.norm", "jax", "x", "ord", "axis", "keepdims"),
    _norm("tensorflow.norm", "tensorflow", "tensor", "ord", "axis", "keepdims", TF_NORMALIZE),
    _norm("tensorflow.linalg.norm", "tensorflow", "tensor", "ord", "axis", "keepdims", TF_NORMALIZE),
    Api("tensorflow.math.reduce_euclidean_norm", NORM, "tensorflow", input=Param("input_tensor", 0),
        axis=Param("axis", 1), extra={"keepdims": Param("keepdims", 2)}),
    _norm("keras.ops.norm", "keras", "x", "ord", "axis", "keepdims"),
    # standard deviation and variance
    _spread("torch.std", STD, "torch", "input", "dim"),
    _spread("torch.var", VAR, "torch", "input", "dim"),
    Api("std", STD, "torch", kind=METHOD, input=None, axis=Param("dim", 0, aliases=("axis",))),
    Api("var", VAR, "torch", kind=METHOD, input=None, axis=Param("dim", 0, aliases=("axis",))),
    _spread("numpy.std", STD, "numpy", "a"),
    _spread("numpy.var", VAR, "numpy", "a"),
    _spread("numpy.nanstd", STD, "numpy", "a"),
    _spread("numpy.nanvar", VAR, "numpy", "a"),
    _spread("jax.numpy.std", STD, "jax", "a"),
    _spread("jax.numpy.var", VAR, "jax", "a"),
    _spread("tensorflow.math.reduce_std", STD, "tensorflow", "input_tensor"),
    _spread("tensorflow.math.reduce_variance", VAR, "tensorflow", "input_tensor"),
    _spread("keras.backend.std", STD, "keras", "x"),
    _spread("keras.backend.var", VAR, "keras", "x"),
    _spread("keras.ops.std", STD, "keras", "x"),
    _spread("keras.ops.var", VAR, "keras", "x"),
    _spread("theano.tensor.std", STD, "theano", "input"),
    _spread("theano.tensor.var", VAR, "theano", "input"),
    # counts
    _unary("torch.count_nonzero", COUNT, "torch", "input"),
    _unary("torch.bincount", COUNT, "torch", "input"),
    _method("count_nonzero", COUNT),
    _method("bincount", COUNT),
    _unary("numpy.count_nonzero", COUNT, "numpy", "a"),
    _unary("numpy.bincount", COUNT, "numpy"),
    _unary("jax.numpy.count_nonzero", COUNT, "jax", "a"),
    _unary("jax.numpy.bincount", COUNT, "jax"),
    _unary("tensorflow.math.count_nonzero", COUNT, "tensorflow", "input"),
    _unary("tensorflow.count_nonzero", COUNT, "tensorflow", "input"),
    _unary("tensorflow.math.bincount", COUNT, "tensorflow", "arr"),
    _unary("tensorflow.bincount", COUNT, "tensorflow", "arr"),
    _unary("keras.ops.count_nonzero", COUNT, "keras"),
    _unary("keras.ops.bincount", COUNT, "keras"),
    # tensors of zeros
    _unary("torch.zeros", ZEROS, "torch", "size"),
    _unary("torch.zeros_like", ZEROS, "torch", "input"),
    _method("new_zeros", ZEROS),
    _unary("numpy.zeros", ZEROS, "numpy", "shape"),
    _unary("numpy.zeros_like", ZEROS, "numpy", "a"),
    _unary("jax.numpy.zeros", ZEROS, "jax", "shape"),
    _unary("jax.numpy.zeros_like", ZEROS, "jax", "a"),
    _unary("tensorflow.zeros", ZEROS, "tensorflow", "shape"),
    _unary("tensorflow.zeros_like", ZEROS, "tensorflow", "input"),
    _unary("keras.ops.zeros", ZEROS, "keras", "shape"),
    _unary("keras.ops.zeros_like", ZEROS, "keras"),
    _unary("keras.backend.zeros", ZEROS, "keras", "shape"),
    _unary("keras.backend.zeros_like", ZEROS, "keras"),
    _unary("theano.tensor.zeros_like", ZEROS, "theano"),
    # square roots
    _unary("torch.sqrt", SQRT, "torch", "input"),
    _method("sqrt", SQRT, max_args=0),
    _method("sqrt_", SQRT, max_args=0),
    _unary("numpy.sqrt", SQRT, "numpy"),
    _unary("jax.numpy.sqrt", SQRT, "jax"),
    _unary("jax.lax.sqrt", SQRT, "jax"),
    _unary("tensorflow.sqrt", SQRT, "tensorflow"),
    _unary("tensorflow.math.sqrt", SQRT, "tensorflow"),
    _unary("keras.backend.sqrt", SQRT, "keras"),
    _unary("keras.ops.sqrt", SQRT, "keras"),
    _unary("theano.tensor.sqrt", SQRT, "theano", "a"),
    _unary("torch.rsqrt", RSQRT, "torch", "input"),
    _method("rsqrt", RSQRT, max_args=0),
    _method("rsqrt_", RSQRT, max_args=0),
    _unary("jax.lax.rsqrt", RSQRT, "jax"),
    _unary("tensorflow.math.rsqrt", RSQRT, "tensorflow"),
    _unary("tensorflow.rsqrt", RSQRT, "tensorflow"),
    _unary("keras.ops.rsqrt", RSQRT, "keras"),
    # powers: ``extra["other"]`` is the exponent
    _binary("torch.pow", POW, "torch", "input", "exponent"),
    _binary("torch.float_power", POW, "torch", "input", "exponent"),
    _method("pow", POW, other=Param("exponent", 0)),
    _method("pow_", POW, other=Param("exponent", 0)),
    _method("float_power", POW, other=Param("exponent", 0)),
    _binary("numpy.power", POW, "numpy", "x1", "x2"),
    _binary("numpy.float_power", POW, "numpy", "x1", "x2"),
    _binary("jax.numpy.power", POW, "jax", "x1", "x2"),
    _binary("jax.lax.pow", POW, "jax"),
    _binary("tensorflow.pow", POW, "tensorflow"),
    _binary("tensorflow.math.pow", POW, "tensorflow"),
    _binary("keras.backend.pow", POW, "keras", "x", "a"),
    _binary("keras.ops.power", POW, "keras", "x1", "x2"),
    _binary("theano.tensor.pow", POW, "theano", "a", "b"),
    # squares and absolute values
    _unary("torch.square", SQUARE, "torch", "input"),
    _method("square", SQUARE, max_args=0),
    _unary("numpy.square", SQUARE, "numpy"),
    _unary("jax.numpy.square", SQUARE, "jax"),
    _unary("tensorflow.square", SQUARE, "tensorflow"),
    _unary("tensorflow.math.square", SQUARE, "tensorflow"),
    _unary("keras.backend.square", SQUARE, "keras"),
    _unary("keras.ops.square", SQUARE, "keras"),
    _unary("theano.tensor.sqr", SQUARE, "theano", "a"),
    _unary("torch.abs", ABS, "torch", "input"),
    _unary("torch.absolute", ABS, "torch", "input"),
    _method("abs", ABS, max_args=0),
    _unary("numpy.abs", ABS, "numpy"),
    _unary("numpy.absolute", ABS, "numpy"),
    _unary("jax.numpy.abs", ABS, "jax"),
    _unary("jax.numpy.absolute", ABS, "jax"),
    _unary("tensorflow.abs", ABS, "tensorflow"),
    _unary("tensorflow.math.abs", ABS, "tensorflow"),
    _unary("keras.backend.abs", ABS, "keras"),
    _unary("keras.ops.abs", ABS, "keras"),
    _unary("keras.ops.absolute", ABS, "keras"),
    _unary("theano.tensor.abs_", ABS, "theano", "a"),
    # inverse cosine and sine
    _unary("torch.acos", ACOS, "torch", "input"),
    _unary("torch.arccos", ACOS, "torch", "input"),
    _method("acos", ACOS, max_args=0),
    _method("arccos", ACOS, max_args=0),
    _method("acos_", ACOS, max_args=0),
    _unary("numpy.arccos", ACOS, "numpy"),
    _unary("numpy.acos", ACOS, "numpy"),
    _unary("jax.numpy.arccos", ACOS, "jax"),
    _unary("jax.numpy.acos", ACOS, "jax"),
    _unary("tensorflow.acos", ACOS, "tensorflow"),
    _unary("tensorflow.math.acos", ACOS, "tensorflow"),
    _unary("keras.ops.arccos", ACOS, "keras"),
    _unary("theano.tensor.arccos", ACOS, "theano", "a"),
    _unary("torch.asin", ASIN, "torch", "input"),
    _unary("torch.arcsin", ASIN, "torch", "input"),
    _method("asin", ASIN, max_args=0),
    _method("arcsin", ASIN, max_args=0),
    _method("asin_", ASIN, max_args=0),
    _unary("numpy.arcsin", ASIN, "numpy"),
    _unary("numpy.asin", ASIN, "numpy"),
    _unary("jax.numpy.arcsin", ASIN, "jax"),
    _unary("jax.numpy.asin", ASIN, "jax"),
    _unary("tensorflow.asin", ASIN, "tensorflow"),
    _unary("tensorflow.math.asin", ASIN, "tensorflow"),
    _unary("keras.ops.arcsin", ASIN, "keras"),
    _unary("theano.tensor.arcsin", ASIN, "theano", "a"),
    # cosine similarity (Keras and optax losses return its negative: still in [-1, 1])
    _binary("torch.nn.functional.cosine_similarity", COSINE_SIMILARITY, "torch", "x1", "x2"),
    _binary("torch.cosine_similarity", COSINE_SIMILARITY, "torch", "x1", "x2"),
    Api("torch.nn.CosineSimilarity", COSINE_SIMILARITY, "torch", kind=LAYER, input=None),
    _binary("keras.losses.cosine_similarity", COSINE_SIMILARITY, "keras", "y_true", "y_pred"),
    _binary("keras.metrics.cosine_similarity", COSINE_SIMILARITY, "keras", "y_true", "y_pred"),
    _binary("optax.cosine_similarity", COSINE_SIMILARITY, "jax", "predictions", "targets"),
    _binary("optax.losses.cosine_similarity", COSINE_SIMILARITY, "jax", "predictions", "targets"),
    # L2 normalisation (guarded against a zero norm)
    _unary("torch.nn.functional.normalize", NORMALIZE, "torch", "input"),
    _unary("tensorflow.math.l2_normalize", NORMALIZE, "tensorflow"),
    _unary("tensorflow.nn.l2_normalize", NORMALIZE, "tensorflow"),
    _unary("tensorflow.linalg.l2_normalize", NORMALIZE, "tensorflow"),
    _unary("keras.backend.l2_normalize", NORMALIZE, "keras"),
    _unary("keras.ops.normalize", NORMALIZE, "keras"),
    _unary("keras.utils.normalize", NORMALIZE, "keras"),
    # dot products and matrix products: ``extra["other"]`` is the second operand
    _binary("torch.dot", DOT, "torch", "input", "tensor"),
    _binary("torch.vdot", DOT, "torch", "input", "other"),
    _binary("torch.inner", DOT, "torch", "input", "other"),
    _binary("torch.matmul", DOT, "torch", "input", "other"),
    _binary("torch.mm", DOT, "torch", "input", "mat2"),
    _binary("torch.bmm", DOT, "torch", "input", "mat2"),
    _method("dot", DOT, other=Param("tensor", 0)),
    _method("matmul", DOT, other=Param("other", 0)),
    _method("mm", DOT, other=Param("mat2", 0)),
    _method("bmm", DOT, other=Param("mat2", 0)),
    _binary("numpy.dot", DOT, "numpy", "a", "b"),
    _binary("numpy.vdot", DOT, "numpy", "a", "b"),
    _binary("numpy.inner", DOT, "numpy", "a", "b"),
    _binary("numpy.matmul", DOT, "numpy", "x1", "x2"),
    _binary("jax.numpy.dot", DOT, "jax", "a", "b"),
    _binary("jax.numpy.vdot", DOT, "jax", "a", "b"),
    _binary("jax.numpy.inner", DOT, "jax", "a", "b"),
    _binary("jax.numpy.matmul", DOT, "jax", "a", "b"),
    _binary("tensorflow.matmul", DOT, "tensorflow", "a", "b"),
    _binary("tensorflow.linalg.matmul", DOT, "tensorflow", "a", "b"),
    _binary("tensorflow.tensordot", DOT, "tensorflow", "a", "b"),
    _binary("keras.backend.dot", DOT, "keras"),
    _binary("keras.backend.batch_dot", DOT, "keras"),
    _binary("keras.ops.dot", DOT, "keras", "x1", "x2"),
    _binary("keras.ops.matmul", DOT, "keras", "x1", "x2"),
    _binary("theano.tensor.dot", DOT, "theano", "l", "r"),
    # top-k: the first result holds elements of the input
    _unary("torch.topk", TOPK, "torch", "input"),
    _method("topk", TOPK),
    _unary("tensorflow.math.top_k", TOPK, "tensorflow", "input"),
    _unary("tensorflow.nn.top_k", TOPK, "tensorflow", "input"),
    _unary("jax.lax.top_k", TOPK, "jax", "operand"),
    _unary("keras.ops.top_k", TOPK, "keras"),
    # new tensors from shapes or random draws: no gradient flows into them
    *(_unary(f"torch.{name}", CREATE, "torch", "size") for name in (
        "randn", "rand", "randperm", "arange", "linspace", "logspace", "ones", "full", "empty", "eye",
        "hann_window", "hamming_window", "blackman_window", "kaiser_window",
    )),
    *(_unary(f"numpy.random.{name}", CREATE, "numpy", "size") for name in ("randn", "rand", "normal", "uniform")),
    _unary("numpy.arange", CREATE, "numpy", "start"),
    _unary("numpy.linspace", CREATE, "numpy", "start"),
    _unary("numpy.ones", CREATE, "numpy", "shape"),
    _unary("jax.numpy.arange", CREATE, "jax", "start"),
    _unary("jax.numpy.linspace", CREATE, "jax", "start"),
    _unary("jax.numpy.ones", CREATE, "jax", "shape"),
    _unary("jax.random.normal", CREATE, "jax", "key"),
    _unary("jax.random.uniform", CREATE, "jax", "key"),
    _unary("tensorflow.random.normal", CREATE, "tensorflow", "shape"),
    _unary("tensorflow.random.uniform", CREATE, "tensorflow", "shape"),
    _unary("tensorflow.range", CREATE, "tensorflow", "start"),
    _unary("tensorflow.linspace", CREATE, "tensorflow", "start"),
    _unary("tensorflow.ones", CREATE, "tensorflow", "shape"),
    _unary("keras.ops.arange", CREATE, "keras", "start"),
    _unary("keras.ops.linspace", CREATE, "keras", "start"),
    _unary("keras.ops.ones", CREATE, "keras", "shape"),
    _unary("keras.random.normal", CREATE, "keras", "shape"),
    _unary("keras.random.uniform", CREATE, "keras", "shape"),
    # reshapes and casts: the same values, zeros included
    *(_method(name, SAME_VALUES) for name in (
        "view", "view_as", "reshape", "reshape_as", "unsqueeze", "squeeze", "expand", "expand_as",
        "flatten", "t", "transpose", "permute", "contiguous", "clone", "to", "type_as", "float",
        "double", "bfloat16", "astype",
    )),
    _unary("torch.unsqueeze", SAME_VALUES, "torch", "input"),
    _unary("torch.squeeze", SAME_VALUES, "torch", "input"),
    _unary("torch.reshape", SAME_VALUES, "torch", "input"),
    _unary("torch.flatten", SAME_VALUES, "torch", "input"),
    _unary("torch.transpose", SAME_VALUES, "torch", "input"),
    _unary("numpy.expand_dims", SAME_VALUES, "numpy", "a"),
    _unary("numpy.reshape", SAME_VALUES, "numpy", "a"),
    _unary("numpy.squeeze", SAME_VALUES, "numpy", "a"),
    _unary("numpy.transpose", SAME_VALUES, "numpy", "a"),
    _unary("jax.numpy.expand_dims", SAME_VALUES, "jax", "a"),
    _unary("jax.numpy.reshape", SAME_VALUES, "jax", "a"),
    _unary("jax.numpy.squeeze", SAME_VALUES, "jax", "a"),
    _unary("tensorflow.expand_dims", SAME_VALUES, "tensorflow", "input"),
    _unary("tensorflow.reshape", SAME_VALUES, "tensorflow", "tensor"),
    _unary("tensorflow.squeeze", SAME_VALUES, "tensorflow", "input"),
    _unary("tensorflow.transpose", SAME_VALUES, "tensorflow", "a"),
    _unary("tensorflow.cast", SAME_VALUES, "tensorflow"),
    _unary("keras.backend.expand_dims", SAME_VALUES, "keras"),
    _unary("keras.backend.reshape", SAME_VALUES, "keras"),
    _unary("keras.backend.cast", SAME_VALUES, "keras"),
    _unary("keras.ops.expand_dims", SAME_VALUES, "keras"),
    _unary("keras.ops.reshape", SAME_VALUES, "keras"),
    _unary("keras.ops.squeeze", SAME_VALUES, "keras"),
    _unary("keras.ops.cast", SAME_VALUES, "keras"),
    _unary("theano.tensor.cast", SAME_VALUES, "theano"),
    # no gradient flows back through these
    _method("detach", STOP_GRADIENT, max_args=0),
    _unary("torch.detach", STOP_GRADIENT, "torch", "input"),
    _unary("tensorflow.stop_gradient", STOP_GRADIENT, "tensorflow", "input"),
    _unary("jax.lax.stop_gradient", STOP_GRADIENT, "jax"),
    _unary("keras.ops.stop_gradient", STOP_GRADIENT, "keras", "variable"),
    _unary("keras.backend.stop_gradient", STOP_GRADIENT, "keras", "variables"),
    _unary("theano.gradient.disconnected_grad", STOP_GRADIENT, "theano"),
    _unary("theano.gradient.zero_grad", STOP_GRADIENT, "theano"),
]

# Frameworks with automatic differentiation: NAN202-NAN204 are about gradients.
DIFFERENTIABLE = frozenset({"torch", "tensorflow", "keras", "jax", "theano"})

# Context managers and decorators under which no gradient is recorded.
NO_GRAD = frozenset({
    "torch.no_grad", "torch.inference_mode", "torch.autograd.no_grad", "torch.autograd.grad_mode.no_grad",
    "torch.autograd.inference_mode",
})

# Classes whose methods run outside the differentiated computation (optimizer updates,
# weight constraints, initializers, metrics).
NO_GRAD_BASES = frozenset({
    "torch.optim.Optimizer", "torch.optim.optimizer.Optimizer", "keras.optimizers.Optimizer",
    "keras.optimizers.optimizer.Optimizer", "keras.optimizers.base_optimizer.BaseOptimizer",
    "keras.constraints.Constraint", "keras.constraints.constraints.Constraint", "keras.initializers.Initializer",
    "keras.initializers.initializer.Initializer", "keras.metrics.Metric", "keras.metrics.metric.Metric",
    "keras.callbacks.Callback", "keras.callbacks.callback.Callback",
})

# Evidence that a PyTorch file trains something (and so records gradients): an import of
# one of these modules, a subclass of one of these classes, or a ``backward()`` call. A
# file with none of them (feature extraction, pre- and post-processing) gets no NAN202 or
# NAN204 finding.
TORCH_TRAINING_MODULES = ("torch.nn", "torch.autograd", "torch.optim", "torch.func", "lightning",
                          "pytorch_lightning")
TORCH_TRAINING_BASES = frozenset({"torch.nn.Module", "torch.autograd.Function"})

# Constructors that copy their data out of the graph (``torch.tensor(t)`` detaches ``t``;
# ``jnp.asarray`` and ``tf.convert_to_tensor`` keep the gradient).
DETACHING_CONSTRUCTORS = frozenset({"torch.tensor", "numpy.array", "numpy.asarray"})

# Tensor methods whose result leaves autograd: a value used through them gets no gradient.
LEAVES_AUTOGRAD = frozenset({"item", "tolist", "numpy"})

# A two-sided clamp, ``f(x, low, high)``, by the module of the operation it protects.
CLIP = {
    "torch": "torch.clamp",
    "numpy": "numpy.clip",
    "jax": "jax.numpy.clip",
    "tensorflow": "tensorflow.clip_by_value",
    "keras.ops": "keras.ops.clip",
    "keras.backend": "keras.backend.clip",
    "keras": "keras.ops.clip",
    "theano": "theano.tensor.clip",
}

# A one-sided floor ``max(x, eps)`` for quantities that are >= 0 but unbounded above
# (a sum, a norm): (callable, how it takes the bound). "min" = ``f(x, min=eps)``,
# "clip" = ``f(x, eps, None)``, "maximum" = ``f(x, eps)``.
FLOOR = {
    "torch": ("torch.clamp", "min"),
    "numpy": ("numpy.clip", "clip"),
    "jax": ("jax.numpy.clip", "clip"),
    "tensorflow": ("tensorflow.maximum", "maximum"),
    "keras.ops": ("keras.ops.maximum", "maximum"),
    "keras.backend": ("keras.backend.maximum", "maximum"),
    "keras": ("keras.ops.maximum", "maximum"),
    "theano": ("theano.tensor.maximum", "maximum"),
}

# ``where(condition, x, y)``: where each framework takes its two branches.
WHERE_BRANCHES = {
    "torch.where": (Param("input", 1), Param("other", 2)),
    "numpy.where": (Param("x", 1), Param("y", 2)),
    "jax.numpy.where": (Param("x", 1), Param("y", 2)),
    "tensorflow.where": (Param("x", 1), Param("y", 2)),
    "keras.ops.where": (Param("x1", 1), Param("x2", 2)),
    "theano.tensor.switch": (Param("ift", 1), Param("iff", 2)),
}

# What a double where substitutes for a masked-out input: a value in every unsafe op's
# domain. TensorFlow's ``where`` wants both branches as tensors of one dtype.
WHERE_FILLER = {
    "tensorflow.where": "tensorflow.ones_like",
}

# Attributes that transpose a tensor (``x.T``): the same values.
TRANSPOSE_ATTRIBUTES = frozenset({"T", "mT", "H", "mH"})
