"""exp, sum and mean across frameworks, with their axis and keepdims arguments.

``extra["keepdims"]`` says where the keep-dimensions flag sits (rules that rewrite
a reduction must carry it over exactly)."""

from nanlint.catalog import METHOD, Api, Param
from nanlint.catalog.roles import EXP, MEAN, SUM


def _reduce(name, role, framework, input_kw, axis, keepdims):
    return Api(name, role, framework, input=Param(input_kw, 0), axis=axis, axis_default=None,
               extra={"keepdims": keepdims})


def _exp(name, framework, input_kw="x"):
    return Api(name, EXP, framework, input=Param(input_kw, 0))


_TORCH_DIM = Param("dim", 1, aliases=("axis",))
_TORCH_KEEP = Param("keepdim", 2, aliases=("keepdims",))
_NP_AXIS = Param("axis", 1)
_NP_KEEP = Param("keepdims", 4)  # sum(a, axis, dtype, out, keepdims)
_TF_AXIS = Param("axis", 1, aliases=("reduction_indices",))
_TF_KEEP = Param("keepdims", 2, aliases=("keep_dims",))
_K_AXIS = Param("axis", 1)
_K_KEEP = Param("keepdims", 2)
_METHOD_AXIS = Param("dim", 0, aliases=("axis",))
_METHOD_KEEP = Param("keepdim", 1, aliases=("keepdims",))

ROWS = []
for _role, _torch, _np, _tf, _keras in (
    (SUM, "sum", "sum", "reduce_sum", "sum"),
    (MEAN, "mean", "mean", "reduce_mean", "mean"),
):
    _np_keep = _NP_KEEP if _role == SUM else Param("keepdims", 4)
    ROWS += [
        _reduce(f"torch.{_torch}", _role, "torch", "input", _TORCH_DIM, _TORCH_KEEP),
        Api(_torch, _role, "torch", kind=METHOD, input=None, axis=_METHOD_AXIS, axis_default=None,
            extra={"keepdims": _METHOD_KEEP}),
        _reduce(f"numpy.{_np}", _role, "numpy", "a", _NP_AXIS, _np_keep),
        _reduce(f"jax.numpy.{_np}", _role, "jax", "a", _NP_AXIS, _np_keep),
        _reduce(f"tensorflow.{_tf}", _role, "tensorflow", "input_tensor", _TF_AXIS, _TF_KEEP),
        _reduce(f"tensorflow.math.{_tf}", _role, "tensorflow", "input_tensor", _TF_AXIS, _TF_KEEP),
        _reduce(f"keras.backend.{_keras}", _role, "keras", "x", _K_AXIS, _K_KEEP),
        _reduce(f"keras.ops.{_keras}", _role, "keras", "x", _K_AXIS, _K_KEEP),
        _reduce(f"theano.tensor.{_np}", _role, "theano", "input", _K_AXIS, Param("keepdims", 3)),
    ]

ROWS += [
    _exp("torch.exp", "torch", "input"),
    Api("exp", EXP, "torch", kind=METHOD, input=None, max_args=0),
    _exp("numpy.exp", "numpy"),
    _exp("jax.numpy.exp", "jax"),
    _exp("tensorflow.exp", "tensorflow"),
    _exp("tensorflow.math.exp", "tensorflow"),
    _exp("keras.backend.exp", "keras"),
    _exp("keras.ops.exp", "keras"),
    _exp("theano.tensor.exp", "theano"),
]
