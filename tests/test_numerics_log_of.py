"""NAN101/NAN102 fixes are numerically right: the original gives -inf on a
saturating input, the fixed code stays finite, and both agree on benign inputs.
The fixed code is what ``--fix`` writes, executed for real."""

from __future__ import annotations

import numpy as np
import pytest

from nanlint.engine import check_source

SATURATING = [[1000.0, 0.0], [0.0, -1000.0]]
BENIGN = [[0.5, -1.25], [2.0, 0.1]]

NUMPY_CASES = [
    ("import numpy as np\nfrom scipy.special import softmax\ny = np.log(softmax(x, axis=1))\n", "NAN101"),
    ("import numpy as np\nimport scipy.special as sp\ny = np.log(sp.softmax(x, axis=-1))\n", "NAN101"),
    ("import numpy as np\nfrom scipy.special import expit\ny = np.log(expit(x))\n", "NAN102"),
    ("import numpy as np\nfrom scipy.special import expit\np = expit(x)\ny = np.log(1 - p)\n", "NAN102"),
]

TORCH_CASES = [
    ("import torch\ny = torch.log(torch.softmax(x, dim=1))\n", "NAN101"),
    ("import torch\nimport torch.nn.functional as F\ny = torch.log(F.softmax(x, dim=-1))\n", "NAN101"),
    ("import torch\ny = x.softmax(1).log()\n", "NAN101"),
    ("import torch\nfrom torch import nn\nsm = nn.Softmax(dim=1)\ny = torch.log(sm(x))\n", "NAN101"),
    ("import torch\ny = torch.log(torch.sigmoid(x))\n", "NAN102"),
    ("import torch\nimport torch.nn.functional as F\ny = torch.log(1 - torch.sigmoid(x))\n", "NAN102"),
    ("import torch\ny = (1 - x.sigmoid()).log()\n", "NAN102"),
    ("import torch\np = torch.sigmoid(x)\ny = torch.log(1.0 - p)\n", "NAN102"),
]


def _fixed(source: str, code: str) -> str:
    findings = [f for f in check_source(source, "case.py").findings if f.code == code]
    assert findings and findings[0].fix is not None, findings
    fixed = check_source(source, "case.py", fix="safe").fixed_source
    assert fixed is not None and fixed != source
    assert [f for f in check_source(fixed, "case.py").findings if f.code == code] == []
    return fixed


def _run(source: str, x):
    namespace = {"x": x}
    with np.errstate(all="ignore"):
        exec(compile(source, "case.py", "exec"), namespace)
    return namespace["y"]


@pytest.mark.parametrize(("source", "code"), NUMPY_CASES)
def test_numpy_scipy_fix_stays_finite(source, code):
    fixed = _fixed(source, code)
    before = np.asarray(_run(source, np.array(SATURATING)))
    after = np.asarray(_run(fixed, np.array(SATURATING)))
    assert not np.isfinite(before).all()
    assert np.isfinite(after).all()
    assert np.allclose(_run(source, np.array(BENIGN)), _run(fixed, np.array(BENIGN)))


@pytest.mark.parametrize(("source", "code"), TORCH_CASES)
def test_torch_fix_stays_finite(source, code):
    torch = pytest.importorskip("torch")
    fixed = _fixed(source, code)
    saturating = torch.tensor(SATURATING)
    before, after = _run(source, saturating), _run(fixed, saturating)
    assert not torch.isfinite(before).all()
    assert torch.isfinite(after).all()
    benign = torch.tensor(BENIGN)
    assert torch.allclose(_run(source, benign), _run(fixed, benign), atol=1e-6)
