"""NAN302/NAN305 fixes are numerically right. The fixed code is what ``--fix
--unsafe-fixes`` writes, executed for real: the original epsilon rounds to 0 (float16)
or is absorbed (float32) and the result is inf/nan on an adversarial input; the fixed
code stays finite; both agree on benign inputs."""

from __future__ import annotations

import numpy as np
import pytest

from nanlint.engine import check_source


def _fixed(source: str, code: str) -> str:
    found = [f for f in check_source(source, "case.py").findings if f.code == code]
    assert found and all(f.fix is not None for f in found), found
    fixed = check_source(source, "case.py", fix="unsafe").fixed_source
    assert fixed is not None and fixed != source
    assert [f for f in check_source(fixed, "case.py").findings if f.code == code] == []
    return fixed


def _run(source: str, result: str = "y", **names):
    """Run ``source`` (its import lines replaced by ``names``) and return ``result`` (the
    whole namespace when None)."""
    body = "\n".join(line for line in source.splitlines() if not line.startswith(("import ", "from ")))
    namespace = dict(names)
    with np.errstate(all="ignore"):
        exec(compile(body, "case.py", "exec"), namespace)
    return namespace if result is None else namespace[result]


# -- the arithmetic the rules rely on ------------------------------------------------------------
def test_float16_and_float32_rounding_facts():
    assert np.float16(1e-8) == 0 and np.float16(1e-10) == 0  # below 2**-24: no guard at all
    assert np.float16(1e-6) > 0 and np.float16(1e-4) > 0  # subnormal or normal: still a guard
    assert np.float32(1) + np.float32(1e-10) == 1  # absorbed next to 1
    assert np.float32(1.0 - 1e-10) == 1 and np.float32(1.0 - 1e-8) == 1  # clip bounds equal to 1
    assert np.float32(1.0 - 1e-7) < 1  # the fix's margin survives
    assert 1.0 - 1e-19 == 1.0  # even in float64


# -- NAN302: epsilons below float16's smallest value -----------------------------------------------
NUMPY_HALF = [
    # (source, adversarial input, benign input)
    ("import numpy as np\nx = x.astype(np.float16)\ny = np.log(x + 1e-8)\n", [0.0, 0.5], [0.5, 0.25]),
    ("import numpy as np\nx = x.astype(np.float16)\ny = np.log(np.maximum(x, 1e-10))\n", [0.0, 0.5], [0.5, 0.25]),
    ("import numpy as np\nEPS = 1e-9\nx = x.astype(np.float16)\ny = 1.0 / (x + EPS)\n", [0.0, 2.0], [2.0, 4.0]),
    ("import numpy as np\nx = x.astype(np.float16)\ny = np.log(np.clip(x, 1e-12, None))\n", [0.0, 0.5], [0.5, 0.25]),
]


@pytest.mark.parametrize(("source", "bad", "good"), NUMPY_HALF)
def test_nan302_numpy_fix_is_representable_in_float16(source, bad, good):
    fixed = _fixed(source, "NAN302")
    adversarial = np.array(bad, dtype=np.float32)
    before, after = _run(source, x=adversarial, np=np), _run(fixed, x=adversarial, np=np)
    assert before.dtype == np.float16 and not np.isfinite(before).all()
    assert after.dtype == np.float16 and np.isfinite(after).all()
    benign = np.array(good, dtype=np.float32)
    assert np.allclose(_run(source, x=benign, np=np), _run(fixed, x=benign, np=np), rtol=1e-2)


TORCH_HALF = [
    ("import torch\nx = x.half()\ny = torch.log(x + 1e-8)\n", [0.0, 0.5], [0.5, 0.25]),
    ("import torch\nx = x.half()\ny = x.sum() / x.clamp(min=1e-10)\n", [0.0, 0.5], [0.5, 0.25]),
    ("import torch\nimport torch.nn.functional as F\nx = x.to(torch.float16)\ny = F.normalize(x, dim=-1, eps=1e-12)\n",
     [[0.0, 0.0], [3.0, 4.0]], [[1.0, 1.0], [3.0, 4.0]]),
]


@pytest.mark.parametrize(("source", "bad", "good"), TORCH_HALF)
def test_nan302_torch_fix_is_representable_in_float16(source, bad, good):
    torch = pytest.importorskip("torch")
    fixed = _fixed(source, "NAN302")
    names = {"torch": torch, "F": torch.nn.functional}
    adversarial = torch.tensor(bad)
    before, after = _run(source, x=adversarial, **names), _run(fixed, x=adversarial, **names)
    assert before.dtype == torch.float16 and not torch.isfinite(before).all()
    assert after.dtype == torch.float16 and torch.isfinite(after).all()
    benign = torch.tensor(good)
    assert torch.allclose(_run(source, x=benign, **names).float(), _run(fixed, x=benign, **names).float(),
                          rtol=1e-2, atol=1e-3)


ADAM_HALF = ("import torch\nmodel = torch.nn.Linear(3, 1, bias=False).half()\n"
             "opt = torch.optim.Adam(model.parameters(), lr=1e-3)\n")


@pytest.mark.parametrize("gradient", [[0.0, 1e-3, 1.0]])
def test_nan302_adam_default_eps_over_half_parameters(gradient):
    """Adam's default eps=1e-8 is 0 in float16: a zero gradient gives 0/0 = nan and a small
    one (its square underflows) gives inf. The fixed ``eps=1e-4`` keeps every update finite."""
    torch = pytest.importorskip("torch")
    fixed = _fixed(ADAM_HALF, "NAN302")
    assert "eps=1e-4" in fixed

    def step(source, grad):
        namespace = _run(source, None, torch=torch)
        model, opt = namespace["model"], namespace["opt"]
        with torch.no_grad():
            model.weight.fill_(1.0)
        model.weight.grad = torch.tensor([grad], dtype=torch.float16)
        opt.step()
        return model.weight.detach().float()

    assert not torch.isfinite(step(ADAM_HALF, gradient)).all()
    assert torch.isfinite(step(fixed, gradient)).all()
    benign = [0.5, -1.0, 2.0]
    assert torch.allclose(step(ADAM_HALF, benign), step(fixed, benign), atol=1e-3)


# -- NAN305: epsilons float32 rounding absorbs ------------------------------------------------------
JAX_FLOAT32 = [
    # evaluated with NumPy standing in for jax.numpy: a Python float next to a float32 array
    # is rounded to float32, as in JAX, torch and TensorFlow
    "import jax.numpy as jnp\ny = jnp.log(1e-10 + 1.0 - p)\n",
    "import jax.numpy as jnp\ny = jnp.log(1.0 + 1e-12 - p)\n",
    "import jax.numpy as jnp\nq = jnp.clip(p, 1e-10, 1.0 - 1e-10)\ny = jnp.log(1.0 - q)\n",
    "import jax.numpy as jnp\nq = jnp.clip(p, 1e-8, 1 - 1e-8)\ny = jnp.log(1 - q)\n",
]


@pytest.mark.parametrize("source", JAX_FLOAT32)
def test_nan305_numpy_float32_fix_keeps_the_epsilon(source):
    fixed = _fixed(source, "NAN305")
    saturated = np.array([1.0, 0.5], dtype=np.float32)  # a sigmoid output that rounded to 1
    before, after = _run(source, p=saturated, jnp=np), _run(fixed, p=saturated, jnp=np)
    assert before.dtype == np.float32 and not np.isfinite(before).all()
    assert after.dtype == np.float32 and np.isfinite(after).all()
    benign = np.array([0.3, 0.9], dtype=np.float32)
    assert np.allclose(_run(source, p=benign, jnp=np), _run(fixed, p=benign, jnp=np), rtol=1e-5)


TORCH_FLOAT32 = [
    "import torch\np = torch.sigmoid(z)\ny = torch.log(1e-10 + 1.0 - p)\n",
    "import torch\np = torch.clamp(torch.sigmoid(z), min=1e-8, max=1 - 1e-8)\ny = torch.log(1 - p)\n",
    "import torch\ny = (1e-9 + 1 - torch.sigmoid(z)).log()\n",
]


@pytest.mark.parametrize("source", TORCH_FLOAT32)
def test_nan305_torch_fix_keeps_value_and_gradient_finite(source):
    torch = pytest.importorskip("torch")
    fixed = _fixed(source, "NAN305")

    def value_and_grad(code, logits):
        z = torch.tensor(logits, requires_grad=True)
        y = _run(code, torch=torch, z=z)
        (grad,) = torch.autograd.grad(y.sum(), z)
        return y.detach(), grad

    saturating = [30.0, 0.0]  # sigmoid(30) == 1.0 exactly in float32
    y_before, _ = value_and_grad(source, saturating)
    y_after, g_after = value_and_grad(fixed, saturating)
    assert not torch.isfinite(y_before).all()
    assert torch.isfinite(y_after).all() and torch.isfinite(g_after).all()
    benign = [0.5, -2.0]
    y0, g0 = value_and_grad(source, benign)
    y1, g1 = value_and_grad(fixed, benign)
    assert torch.allclose(y0, y1, atol=1e-6) and torch.allclose(g0, g1, atol=1e-5)


def test_nan305_log_term_of_the_unfixed_gradient_is_not_finite():
    """The absorbed epsilon leaves the gradient as broken as no epsilon at all."""
    torch = pytest.importorskip("torch")
    z = torch.tensor([30.0], requires_grad=True)
    y = torch.log(1e-10 + 1.0 - torch.sigmoid(z))
    (grad,) = torch.autograd.grad(y.sum(), z)
    assert torch.isinf(y).all() and torch.isnan(grad).all()
