"""NAN201-NAN204 fixes are numerically right. The fixed code is what ``--fix
--unsafe-fixes`` writes, executed for real: on an adversarial input the original gives
inf/nan (in the value, or for NAN202-NAN204 in the gradient), the fixed code stays
finite, and on benign inputs both agree.

NumPy always runs: NAN201 fixes are evaluated directly; for the gradient rules the
JAX-style fixes (``jax.numpy`` is NumPy's API) are evaluated with NumPy standing in for
``jnp``, and the derivative the backward pass multiplies (``1 / (2 * sqrt(s))``,
``-1 / sqrt(1 - c ** 2)``, ``mask * 1 / x``) is computed from the argument the fix wrote.
PyTorch, when installed, checks the gradients with ``torch.autograd.grad``.
"""

from __future__ import annotations

import libcst as cst
import numpy as np
import pytest

from nanlint.config import Config
from nanlint.engine import check_source


def _fixed(source: str, code: str, config: Config | None = None) -> str:
    findings = [f for f in check_source(source, "case.py", config).findings if f.code == code]
    assert findings and findings[0].fix is not None, findings
    result = check_source(source, "case.py", config, fix="unsafe")
    assert result.errors == [] and result.fixed_source not in (None, source)
    assert [f for f in check_source(result.fixed_source, "case.py", config).findings if f.code == code] == []
    return result.fixed_source


def _run(source: str, **inputs):
    namespace = dict(inputs)
    with np.errstate(all="ignore"):
        exec(compile(source, "case.py", "exec"), namespace)
    return namespace["y"]


def _as_numpy(source: str) -> str:
    """A JAX-style snippet with NumPy standing in for ``jax.numpy``."""
    lines = [line for line in source.splitlines() if not line.startswith(("import ", "from "))]
    return "import numpy as jnp\n" + "\n".join(lines) + "\n"


def _argument(source: str, function: str) -> str:
    """The source of the first argument of the (first) call to ``<module>.<function>``."""
    module = cst.parse_module(source)
    found = []

    class Finder(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            if not found and isinstance(node.func, cst.Attribute) and node.func.attr.value == function:
                found.append(module.code_for_node(node.args[0].value))

    module.visit(Finder())
    assert found, (function, source)
    return found[0]


def _evaluate(expression: str, **inputs):
    with np.errstate(all="ignore"):
        return eval(expression, {"jnp": np, "np": np}, dict(inputs))


# -- NAN201: values, NumPy ------------------------------------------------------------------
CONSTANT_COLUMN = np.array([[1.0, 2.0], [1.0, 5.0], [1.0, -1.0]])
BENIGN_MATRIX = np.array([[0.5, 2.0], [1.5, 5.0], [-1.0, -1.0]])

NUMPY_DIVISIONS = [
    ("import numpy as np\ny = (x - x.mean(axis=0)) / x.std(axis=0)\n",
     {"x": CONSTANT_COLUMN}, {"x": BENIGN_MATRIX}),
    ("import numpy as np\ny = (v * m).sum() / m.sum()\n",
     {"v": np.array([1.0, 2.0]), "m": np.zeros(2)}, {"v": np.array([1.0, 2.0]), "m": np.array([1.0, 0.0])}),
    ("import numpy as np\ny = v / np.linalg.norm(v)\n", {"v": np.zeros(3)}, {"v": np.array([3.0, 4.0, 0.0])}),
    ("import numpy as np\ny = np.divide(c, np.bincount(labels, minlength=3))\n",
     {"c": np.ones(3), "labels": np.array([0, 0, 2])}, {"c": np.ones(3), "labels": np.array([0, 1, 2, 2])}),
    ("import numpy as np\ns = np.sum(w)\ny = x / s\n", {"x": np.ones(2), "w": np.zeros(4)},
     {"x": np.ones(2), "w": np.arange(4.0)}),
]


@pytest.mark.parametrize(("source", "bad", "good"), NUMPY_DIVISIONS)
@pytest.mark.parametrize("style", ["add", "clamp"])
def test_numpy_division_fix_stays_finite(source, bad, good, style):
    fixed = _fixed(source, "NAN201", Config(fix_style=style))
    assert ("clip(" in fixed) == (style == "clamp")
    assert not np.isfinite(_run(source, **bad)).all()
    assert np.isfinite(_run(fixed, **bad)).all()
    assert np.allclose(_run(source, **good), _run(fixed, **good))


def test_constant_zero_divisor_is_an_error_without_a_numpy_fix():
    source = "import numpy as np\ny = np.array([2.0, 0.0, -2.0]) / np.array([0.0, 0.0, 0.0])\n"
    [finding] = [f for f in check_source(source, "case.py").findings if f.code == "NAN201"]
    assert finding.severity == "error" and finding.fix is None
    assert not np.isfinite(_run(source)).any()  # [inf, nan, -inf], as in seed 002


def test_seed_002_tensorflow_division_gets_divide_no_nan():
    source = ("import tensorflow as tf\na = tf.constant([2., 0., -2.])\nb = tf.constant([0., 0., 0.])\n"
              "c = tf.constant([1., 1., 1.])\nprint((a / b) + c)\n")
    [finding] = [f for f in check_source(source, "case.py").findings if f.code == "NAN201"]
    assert (finding.line, finding.severity) == (5, "error")
    assert "tf.math.divide_no_nan(a, b)" in _fixed(source, "NAN201")
    # what divide_no_nan computes, next to what the division gives (seed 002's output)
    a, b, c = np.array([2.0, 0.0, -2.0]), np.zeros(3), np.ones(3)
    with np.errstate(all="ignore"):
        assert not np.isfinite(a / b + c).any()
    assert np.array_equal(np.divide(a, b, out=np.zeros(3), where=b != 0) + c, c)


def test_configured_eps_is_written_as_the_user_would():
    fixed = _fixed("import numpy as np\ny = x / x.sum()\n", "NAN201", Config(eps=1e-6))
    assert "x.sum() + 1e-6" in fixed


# -- NAN201: values, PyTorch ----------------------------------------------------------------
TORCH_DIVISIONS = [
    ("import torch\ny = (values * mask).sum() / mask.sum()\n",
     {"values": [1.0, 2.0], "mask": [0.0, 0.0]}, {"values": [1.0, 2.0], "mask": [1.0, 0.0]}),
    ("import torch\nimport torch.nn.functional as F\ny = emb / emb.norm(dim=1, keepdim=True)\n",
     {"emb": [[0.0, 0.0], [3.0, 4.0]]}, {"emb": [[1.0, 2.0], [3.0, 4.0]]}),
    ("import torch\ny = (adv - adv.mean()) / adv.std()\n", {"adv": [2.0, 2.0, 2.0]}, {"adv": [1.0, 2.0, 4.0]}),
    ("import torch\ny = torch.div(x, torch.count_nonzero(mask))\n",
     {"x": [1.0, 2.0], "mask": [0.0, 0.0]}, {"x": [1.0, 2.0], "mask": [1.0, 3.0]}),
    ("import torch\ny = x.clone()\ny /= y.sum(-1, keepdim=True)\n", {"x": [[0.0, 0.0]]}, {"x": [[1.0, 3.0]]}),
]


@pytest.mark.parametrize(("source", "bad", "good"), TORCH_DIVISIONS)
@pytest.mark.parametrize("style", ["add", "clamp"])
def test_torch_division_fix_stays_finite(source, bad, good, style):
    torch = pytest.importorskip("torch")
    fixed = _fixed(source, "NAN201", Config(fix_style=style))

    def tensors(values):
        return {k: torch.tensor(v) for k, v in values.items()}

    assert not torch.isfinite(_run(source, **tensors(bad))).all()
    assert torch.isfinite(_run(fixed, **tensors(bad))).all()
    assert torch.allclose(_run(source, **tensors(good)), _run(fixed, **tensors(good)), atol=1e-6)


# -- NAN202: the gradient of a root at 0 ------------------------------------------------------
def test_numpy_sqrt_fix_has_a_finite_slope_at_zero():
    source = "import jax.numpy as jnp\ny = jnp.sqrt(jnp.sum((a - b) ** 2, axis=-1))\n"
    fixed = _fixed(source, "NAN202")
    same = {"a": np.ones((2, 3)), "b": np.ones((2, 3))}
    benign = {"a": np.arange(6.0).reshape(2, 3), "b": np.ones((2, 3))}
    # the slope the backward pass multiplies: d sqrt(s) / ds = 1 / (2 sqrt(s))
    with np.errstate(all="ignore"):
        slope_before = 0.5 / np.sqrt(_evaluate(_argument(source, "sqrt"), **same))
    slope_after = 0.5 / np.sqrt(_evaluate(_argument(fixed, "sqrt"), **same))
    assert not np.isfinite(slope_before).all() and np.isfinite(slope_after).all()
    assert np.allclose(_run(_as_numpy(source), **benign), _run(_as_numpy(fixed), **benign))


def test_numpy_sqrt_of_exp_rewrite_is_exact():
    source = "import jax.numpy as jnp\ny = jnp.sqrt(jnp.exp(log_var))\n"
    fixed = _fixed(source, "NAN202")
    assert "jnp.exp(0.5 * log_var)" in fixed
    x = np.array([-2000.0, -50.0, 0.0, 3.0])
    # chain rule of the original: exp(x) / (2 sqrt(exp(x))) = 0 / 0 once exp underflows
    with np.errstate(all="ignore"):
        chained = np.exp(x) * (0.5 / np.sqrt(np.exp(x)))
    assert not np.isfinite(chained).all()
    assert np.isfinite(0.5 * _run(_as_numpy(fixed), log_var=x)).all()  # d exp(x/2) = exp(x/2) / 2
    assert np.allclose(_run(_as_numpy(source), log_var=x[1:]), _run(_as_numpy(fixed), log_var=x[1:]))


TORCH_ROOTS = [
    ("import torch\nfrom torch import nn\ny = torch.sqrt(((a - b) ** 2).sum(dim=1))\n"
     "", {"a": [[1.0, 2.0]], "b": [[1.0, 2.0]]},
     {"a": [[1.0, 2.0]], "b": [[0.0, 4.0]]}, "a"),
    ("import torch\nfrom torch import nn\ny = a.pow(2).sum(-1) ** 0.5\n"
     "", {"a": [[0.0, 0.0]]}, {"a": [[3.0, 4.0]]}, "a"),
    ("import torch\nfrom torch import nn\ny = torch.sqrt(a.var(dim=0))\n"
     "", {"a": [[1.0], [1.0]]}, {"a": [[1.0], [3.0]]}, "a"),
    ("import torch\nfrom torch import nn\ny = torch.rsqrt((a ** 2).mean(-1, keepdim=True))\n"
     "", {"a": [[0.0, 0.0]]}, {"a": [[1.0, 2.0]]},
     "a"),
    ("import torch\nfrom torch import nn\ny = a.exp().sqrt()\n", {"a": [-1000.0, 1.0]}, {"a": [-3.0, 1.0]}, "a"),
    ("import torch\nfrom torch import nn\nvar = torch.exp(a)\ny = var ** 0.5\n", {"a": [-1000.0]}, {"a": [0.5]}, "a"),
]


@pytest.mark.parametrize(("source", "bad", "good", "wrt"), TORCH_ROOTS)
def test_torch_root_fix_has_a_finite_gradient(source, bad, good, wrt):
    torch = pytest.importorskip("torch")
    fixed = _fixed(source, "NAN202")

    def gradient(code, values):
        inputs = {k: torch.tensor(v, requires_grad=True) for k, v in values.items()}
        out = _run(code, **inputs)
        (grad,) = torch.autograd.grad(out.sum(), inputs[wrt])
        return out, grad

    _, before = gradient(source, bad)
    value, after = gradient(fixed, bad)
    assert not torch.isfinite(before).all()
    assert torch.isfinite(after).all() and torch.isfinite(value).all()
    assert torch.allclose(gradient(source, good)[0], gradient(fixed, good)[0], atol=1e-4)


# -- NAN203: acos of a cosine ----------------------------------------------------------------
def test_numpy_arccos_fix_stays_inside_the_domain():
    source = ("import jax.numpy as jnp\nc = jnp.sum(u * v, axis=-1) / (jnp.linalg.norm(u, axis=-1) * "
              "jnp.linalg.norm(v, axis=-1) + 1e-30)\ny = jnp.arccos(c)\n")
    fixed = _fixed(source, "NAN203")
    parallel = {"u": np.array([[0.1, 0.7, 0.3]] * 4) * np.arange(1.0, 5.0)[:, None],
                "v": np.array([[0.1, 0.7, 0.3]] * 4)}
    benign = {"u": np.array([[1.0, 0.0, 0.0]]), "v": np.array([[1.0, 1.0, 0.0]])}
    cos = _run(_as_numpy(source).replace("y = jnp.arccos(c)", "y = c"), **parallel)
    with np.errstate(all="ignore"):
        slope_before = -1.0 / np.sqrt(1.0 - cos ** 2)  # d acos(c) / dc
    clamped = _evaluate(_argument(fixed, "arccos"), c=cos, **parallel)
    slope_after = -1.0 / np.sqrt(1.0 - clamped ** 2)
    assert not np.isfinite(slope_before).all()
    assert np.isfinite(slope_after).all() and np.isfinite(_run(_as_numpy(fixed), **parallel)).all()
    assert np.allclose(_run(_as_numpy(source), **benign), _run(_as_numpy(fixed), **benign))


def test_torch_acos_fix_has_a_finite_gradient():
    torch = pytest.importorskip("torch")
    source = "import torch\nimport torch.nn.functional as F\ny = torch.acos(F.cosine_similarity(a, b, dim=1))\n"
    fixed = _fixed(source, "NAN203")

    def run(code, a, b):
        a = torch.tensor(a, requires_grad=True)
        out = _run(code, a=a, b=torch.tensor(b))
        (grad,) = torch.autograd.grad(out.sum(), a)
        return out, grad

    same = [[0.3, 0.5, 0.7], [1.0, 2.0, 3.0]]
    value_before, grad_before = run(source, same, same)
    value_after, grad_after = run(fixed, same, same)
    assert not (torch.isfinite(value_before).all() and torch.isfinite(grad_before).all())
    assert torch.isfinite(value_after).all() and torch.isfinite(grad_after).all()
    benign_a, benign_b = [[1.0, 0.0, 0.0]], [[1.0, 1.0, 0.0]]
    assert torch.allclose(run(source, benign_a, benign_b)[0], run(fixed, benign_a, benign_b)[0], atol=1e-6)


# -- NAN204: a where does not stop the gradient ----------------------------------------------
def test_numpy_double_where_has_a_finite_masked_gradient():
    source = "import jax.numpy as jnp\ny = jnp.where(v > 0, jnp.log(v), 0.0)\n"
    fixed = _fixed(source, "NAN204")
    v = np.array([0.0, 2.0, 0.5])
    picked = np.where(v > 0, 1.0, 0.0)  # the where's gradient: 1 where picked, 0 elsewhere
    with np.errstate(all="ignore"):
        before = picked / _evaluate(_argument(source, "log"), v=v)  # 0 * inf = nan
        after = picked / _evaluate(_argument(fixed, "log"), v=v)
    assert not np.isfinite(before).all() and np.isfinite(after).all()
    assert np.allclose(_run(_as_numpy(source), v=v), _run(_as_numpy(fixed), v=v))


TORCH_WHERES = [
    ("import torch\nfrom torch import nn\ny = torch.where(x > 0, torch.log(x), torch.zeros_like(x))\n"
     "", {"x": [0.0, 2.0]}, "x"),
    ("import torch\nfrom torch import nn\ny = torch.where(q > 0, torch.log(p / q), torch.zeros_like(p))\n",
     {"p": [0.5, 0.5], "q": [0.0, 0.25]}, "q"),
    ("import torch\nfrom torch import nn\ny = torch.where(b != 0, a / b, a)\n"
     "", {"a": [1.0, 2.0], "b": [0.0, 4.0]}, "b"),
    ("import torch\nfrom torch import nn\ny = torch.where(s > 0, torch.sqrt(s), torch.zeros_like(s))\n"
     "", {"s": [0.0, 4.0]}, "s"),
]


@pytest.mark.parametrize(("source", "inputs", "wrt"), TORCH_WHERES)
def test_torch_double_where_has_a_finite_gradient(source, inputs, wrt):
    torch = pytest.importorskip("torch")
    fixed = _fixed(source, "NAN204")

    def run(code):
        tensors = {k: torch.tensor(v, requires_grad=True) for k, v in inputs.items()}
        out = _run(code, **tensors)
        (grad,) = torch.autograd.grad(out.sum(), tensors[wrt])
        return out, grad

    value_before, grad_before = run(source)
    value_after, grad_after = run(fixed)
    assert torch.isfinite(value_before).all()  # the forward value was fine all along
    assert not torch.isfinite(grad_before).all()
    assert torch.isfinite(grad_after).all()
    assert torch.equal(value_before.detach(), value_after.detach())
