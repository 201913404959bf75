"""NAN103-NAN106 fixes are numerically right. Each case is fixed by the real fixer
(``check_source(..., fix="unsafe")``); the original and the fixed code are then run for
real: on an adversarial input the original gives inf/nan (or, for NAN106, a dead
gradient), the fixed code stays finite (and, where it claims to, correct); on a benign
input both agree."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logsumexp, softmax

from nanlint.config import Config
from nanlint.engine import check_source

# -- harness ----------------------------------------------------------------------------


def _fixed(source: str, code: str, style: str = "add") -> str:
    config = Config(fix_style=style)
    findings = [f for f in check_source(source, "case.py", config).findings if f.code == code]
    assert len(findings) == 1 and findings[0].fix is not None, findings
    result = check_source(source, "case.py", config, fix="unsafe")
    assert result.errors == [] and result.fixed_source not in (None, source)
    assert [f for f in check_source(result.fixed_source, "case.py", config).findings if f.code == code] == []
    return result.fixed_source


def _run(source: str, **inputs):
    namespace = dict(inputs)
    with np.errstate(all="ignore"):
        exec(compile(source, "case.py", "exec"), namespace)
    return namespace["y"]


def _finite(value) -> bool:
    return bool(np.isfinite(np.asarray(value, dtype=float)).all())


# -- NumPy / SciPy ------------------------------------------------------------------------
# (source, code, adversarial inputs, benign inputs)
X_ZERO = {"x": np.array([[-3.0, 0.5], [2.0, -0.1]])}  # a ReLU of it holds zeros
X_POS = {"x": np.array([[3.0, 0.5], [2.0, 0.1]])}
Z_BIG = np.array([[1000.0, 0.0, -5.0], [0.0, -1000.0, 2.0]])
Z_SMALL = np.array([[0.5, -1.25, 0.3], [2.0, 0.1, -0.7]])
ONE_HOT = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
BINARY = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])

NUMPY_CASES = [
    # NAN103: log of a ReLU-like output (maximum with 0), both fix styles
    ("import numpy as np\nh = np.maximum(x, 0)\ny = np.log(h)\n", "NAN103", "add", X_ZERO, X_POS),
    ("import numpy as np\nh = np.maximum(x, 0)\ny = np.log(h)\n", "NAN103", "clamp", X_ZERO, X_POS),
    ("import numpy as np\nh = np.maximum(x, 0)\ny = np.log2(h * 3.0)\n", "NAN103", "add", X_ZERO, X_POS),
    # NAN104: a cross-entropy on a parameter (epsilon), a binary one on expit (exact log_expit)
    ("import numpy as np\ndef ce(p, Y):\n    return -np.sum(Y * np.log(p)) / len(Y)\ny = ce(q, t)\n",
     "NAN104", "add", {"q": np.array([[0.0, 1.0, 0.0]]), "t": np.array([[1.0, 0.0, 0.0]])},
     {"q": np.array([[0.2, 0.7, 0.1], [0.5, 0.25, 0.25]]), "t": ONE_HOT}),
    ("import numpy as np\nfrom scipy.special import expit\np = expit(z)\n"
     "y = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))\n", "NAN104", "add",
     {"z": -Z_BIG, "t": BINARY}, {"z": Z_SMALL, "t": BINARY}),
    # NAN105: naive softmax, log(sum(exp)), log(1 + exp)
    ("import numpy as np\nimport scipy.special\ny = np.exp(z) / np.sum(np.exp(z), axis=1, keepdims=True)\n",
     "NAN105", "add",
     {"z": Z_BIG}, {"z": Z_SMALL}),
    ("import numpy as np\nimport scipy\ny = np.log(np.sum(np.exp(z), axis=1))\n", "NAN105", "add",
     {"z": Z_BIG}, {"z": Z_SMALL}),
    ("import numpy as np\nfrom scipy.special import expit\ny = np.log(np.exp(z).sum(axis=-1, keepdims=True))\n",
     "NAN105", "add",
     {"z": Z_BIG}, {"z": Z_SMALL}),
    ("import numpy as np\ny = np.log(1 + np.exp(z))\n", "NAN105", "add", {"z": Z_BIG}, {"z": Z_SMALL}),
    ("import numpy as np\ny = np.log1p(np.exp(z))\n", "NAN105", "add", {"z": Z_BIG}, {"z": Z_SMALL}),
]


@pytest.mark.parametrize(("source", "code", "style", "bad", "good"), NUMPY_CASES)
def test_numpy_fix_stays_finite_and_agrees(source, code, style, bad, good):
    fixed = _fixed(source, code, style)
    assert not _finite(_run(source, **bad))
    assert _finite(_run(fixed, **bad))
    assert np.shape(_run(source, **good)) == np.shape(_run(fixed, **good))
    assert np.allclose(_run(source, **good), _run(fixed, **good), rtol=1e-6, atol=1e-6)


def test_numpy_softplus_and_logsumexp_fixes_are_exact_where_the_original_is_finite():
    """The safe NAN105 rewrites are the same function: on large but finite inputs (float64)
    they agree with the original to rounding, not only on small ones."""
    z = np.linspace(-700.0, 700.0, 57).reshape(3, 19)
    for source in ("import numpy as np\ny = np.log(1 + np.exp(z))\n",
                   "import numpy as np\nimport scipy.special\ny = np.log(np.sum(np.exp(z), axis=1))\n"):
        before, after = _run(source, z=z), _run(_fixed(source, "NAN105"), z=z)
        assert _finite(before) and np.allclose(before, after, rtol=1e-12)


# -- PyTorch -----------------------------------------------------------------------------
TORCH_CASES = [
    # NAN103: a ReLU output through a name, function and method logs, both styles
    ("import torch\nh = torch.relu(x)\ny = torch.log(h)\n", "NAN103", "add"),
    ("import torch\nh = torch.relu(x)\ny = torch.log(h)\n", "NAN103", "clamp"),
    ("import torch\nh = torch.relu(x)\ny = h.log()\n", "NAN103", "add"),
    ("import torch\nh = torch.relu(x)\ny = h.log()\n", "NAN103", "clamp"),
    ("import torch\nimport torch.nn.functional as F\ny = (x - 0.2 * torch.log(F.relu(x))).mean()\n", "NAN103", "add"),
]


@pytest.mark.parametrize(("source", "code", "style"), TORCH_CASES)
def test_torch_log_fix_gives_finite_values_and_gradients(source, code, style):
    torch = pytest.importorskip("torch")
    fixed = _fixed(source, code, style)
    bad = torch.tensor(X_ZERO["x"], requires_grad=True)
    assert not torch.isfinite(_run(source, x=bad)).all()
    after = _run(fixed, x=bad)
    (grad_after,) = torch.autograd.grad(after.sum(), bad)
    assert torch.isfinite(after).all() and torch.isfinite(grad_after).all()
    good = torch.tensor(X_POS["x"])
    assert torch.allclose(_run(source, x=good), _run(fixed, x=good), rtol=1e-6, atol=1e-6)


TORCH_CE_CASES = [
    # exact rewrites (log_softmax / logsigmoid): safe
    ("import torch\np = torch.softmax(z, dim=1)\ny = -(t * torch.log(p)).sum(dim=1).mean()\n", ONE_HOT, True),
    ("import torch\ny = -(t * torch.log(torch.sigmoid(z)) + (1 - t) * torch.log(1 - torch.sigmoid(z))).mean()\n",
     BINARY, True),
    ("import torch\nimport torch.nn.functional as F\nprob = z.sigmoid()\n"
     "y = (-w * prob.log() - (1 - w) * (1 - prob).log()).mean()\n", BINARY, True),
    # the epsilon: a probability picked by the labels, with no visible softmax
    ("import torch\ndef nll(probs, target):\n    n = probs.shape[0]\n"
     "    return -torch.log(probs[torch.arange(n), target]).mean()\n"
     "y = nll(torch.exp(z) / 3.0, t.argmax(dim=1))\n", ONE_HOT, False),
]


@pytest.mark.parametrize(("source", "labels", "exact"), TORCH_CE_CASES)
def test_torch_cross_entropy_fix(source, labels, exact):
    torch = pytest.importorskip("torch")
    fixed = _fixed(source, "NAN104")
    finding = next(f for f in check_source(source, "case.py").findings if f.code == "NAN104")
    assert finding.fix.applicability == ("safe" if exact else "unsafe")
    t = torch.tensor(labels)
    inputs = {"t": t, "w": t}
    bad = torch.tensor(-Z_BIG if exact else [[0.0, -1000.0, 1.0], [-1000.0, 0.0, 1.0]], requires_grad=True)
    before = _run(source, z=bad, **inputs)
    assert not torch.isfinite(before).all()
    after = _run(fixed, z=bad, **inputs)
    (grad,) = torch.autograd.grad(after, bad)
    assert torch.isfinite(after).all() and torch.isfinite(grad).all()
    good = torch.tensor(Z_SMALL)
    tolerance = 1e-12 if exact else 1e-6
    assert torch.allclose(_run(source, z=good, **inputs), _run(fixed, z=good, **inputs), rtol=tolerance, atol=1e-6)


def test_torch_cross_entropy_exact_fix_matches_the_framework_loss():
    """The rewritten hand-written cross-entropy is ``F.cross_entropy`` on the logits, also
    where the original is -inf."""
    torch = pytest.importorskip("torch")
    source = "import torch\np = torch.softmax(z, dim=1)\ny = -(t * torch.log(p)).sum(dim=1).mean()\n"
    z = torch.tensor(-Z_BIG)
    t = torch.tensor(ONE_HOT)
    expected = torch.nn.functional.cross_entropy(z, t.argmax(dim=1))
    assert torch.allclose(_run(_fixed(source, "NAN104"), z=z, t=t), expected)


TORCH_EXP_CASES = [
    # (source, the same quantity computed by SciPy/NumPy stably)
    ("import torch\ny = torch.exp(z) / torch.exp(z).sum(dim=1, keepdim=True)\n",
     lambda z: softmax(z, axis=1)),
    ("import torch\ny = torch.log(torch.sum(torch.exp(z), dim=1, keepdim=True))\n",
     lambda z: logsumexp(z, axis=1, keepdims=True)),
    ("import torch\ny = torch.exp(z).sum(1).log()\n", lambda z: logsumexp(z, axis=1)),
    ("import torch\ny = torch.log(1 + torch.exp(z))\n", lambda z: np.logaddexp(0, z)),
    ("import torch\ny = (torch.exp(z) + 1).log()\n", lambda z: np.logaddexp(0, z)),
]


@pytest.mark.parametrize(("source", "reference"), TORCH_EXP_CASES)
def test_torch_exp_fix(source, reference):
    torch = pytest.importorskip("torch")
    fixed = _fixed(source, "NAN105")
    bad = torch.tensor(Z_BIG, dtype=torch.float32, requires_grad=True)
    assert not torch.isfinite(_run(source, z=bad)).all()
    after = _run(fixed, z=bad)
    (grad,) = torch.autograd.grad(after.sum(), bad)
    assert torch.isfinite(after).all() and torch.isfinite(grad).all()
    assert after.shape == reference(Z_BIG).shape  # the axis and keepdims carried over
    assert np.allclose(after.detach().numpy(), reference(Z_BIG), rtol=1e-5, atol=1e-5)
    good = torch.tensor(Z_SMALL)
    assert torch.allclose(_run(source, z=good), _run(fixed, z=good), rtol=1e-6, atol=1e-6)
    assert np.allclose(_run(fixed, z=good).numpy(), reference(Z_SMALL), rtol=1e-6, atol=1e-6)


def test_torch_bce_on_a_sigmoid_fix_restores_the_gradient():
    """``F.binary_cross_entropy(sigmoid(z), t)`` clamps log(0) at -100: on a saturated
    wrong prediction the loss is wrong and its gradient is exactly 0 (training stalls).
    The fix ``binary_cross_entropy_with_logits(z, t)`` gives the true loss and gradient,
    checked against NumPy."""
    torch = pytest.importorskip("torch")
    source = "import torch\nimport torch.nn.functional as F\ny = F.binary_cross_entropy(torch.sigmoid(z), t)\n"
    fixed = _fixed(source, "NAN106")
    z_bad = np.array([-200.0, 300.0])
    t_bad = np.array([1.0, 0.0])
    true_loss = np.mean(np.logaddexp(0, z_bad) - t_bad * z_bad)  # 250
    true_grad = (1 / (1 + np.exp(-z_bad)) - t_bad) / len(z_bad)  # (-0.5, 0.5)
    z = torch.tensor(z_bad, dtype=torch.float32, requires_grad=True)
    t = torch.tensor(t_bad, dtype=torch.float32)
    before = _run(source, z=z, t=t)
    (grad_before,) = torch.autograd.grad(before, z)
    assert not np.isclose(before.item(), true_loss) and torch.count_nonzero(grad_before) == 0
    after = _run(fixed, z=z, t=t)
    (grad_after,) = torch.autograd.grad(after, z)
    assert np.isclose(after.item(), true_loss, rtol=1e-6) and np.allclose(grad_after.numpy(), true_grad)
    z_good = torch.tensor([0.3, -1.2, 2.0])
    t_good = torch.tensor([1.0, 0.0, 1.0])
    assert torch.allclose(_run(source, z=z_good, t=t_good), _run(fixed, z=z_good, t=t_good), rtol=1e-6)
