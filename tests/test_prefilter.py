"""The pre-filter skips only files in which no rule can report.

Its soundness is checked the way it could break: every rule's own examples, every
fixture and the notebooks give exactly the same findings with the pre-filter on and
off. A rule that starts reporting in files importing a module the catalog does not
know fails here, with its example named.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nanlint import catalog
from nanlint.config import Config
from nanlint.engine import check_source
from nanlint.notebook import check_notebook
from nanlint.prefilter import ROOTS, may_trigger
from nanlint.rules import all_rules

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"
OFF = Config(prefilter=False)

EXAMPLES = [pytest.param(source, id=f"{rule.code}-valid-{i}") for rule in all_rules()
            for i, source in enumerate(rule.VALID)]
EXAMPLES += [pytest.param(example.code, id=f"{rule.code}-invalid-{i}") for rule in all_rules()
             for i, example in enumerate(rule.INVALID)]


def findings(result):
    return [f.to_json() for f in result.findings]


@pytest.mark.parametrize("source", EXAMPLES)
def test_rule_examples_report_the_same_with_and_without_the_prefilter(source):
    assert findings(check_source(source, "example.py")) == findings(check_source(source, "example.py", OFF))


@pytest.mark.parametrize("path", sorted(FIXTURES.rglob("*.py")), ids=lambda p: p.name)
def test_fixtures_report_the_same_with_and_without_the_prefilter(path):
    data = path.read_bytes()
    assert findings(check_source(data, str(path))) == findings(check_source(data, str(path), OFF))


@pytest.mark.parametrize("path", sorted(FIXTURES.rglob("*.ipynb")), ids=lambda p: p.name)
def test_notebooks_report_the_same_with_and_without_the_prefilter(path):
    data = path.read_bytes()
    on = check_notebook(data, str(path))
    assert on.findings and findings(on) == findings(check_notebook(data, str(path), OFF))


def notebook(*cells: str) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "source": cell, "metadata": {}, "outputs": [],
                                  "execution_count": None} for cell in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def test_a_notebook_import_in_an_earlier_cell_counts():
    text = notebook("import torch\n", "!pip install numpy\nx = torch.randn(2, 3)\n",
                    "y = torch.log(torch.softmax(x, dim=1))\n")
    (found,) = check_notebook(text, "n.ipynb").findings
    assert (found.code, found.cell, found.line) == ("NAN101", 3, 1)


def test_roots_are_every_module_the_catalog_names():
    assert catalog.FRAMEWORK_ROOTS <= ROOTS
    assert {name.split(".")[0] for name in catalog.FUNCTIONS} <= ROOTS
    assert {"pytensor", "aesara", "tf_keras", "pandas", "skorch"} <= ROOTS


@pytest.mark.parametrize("text", [
    "import torch",
    "import torch.nn.functional as F",
    "import os, sys as system, numpy as np",
    "import os, \\\n    tensorflow",
    "from jax import numpy as jnp",
    "from keras.src.ops import log",
    "from \\\n  scipy.special import softmax",
    "from\ttheano import tensor as T",
    "import pytensor.tensor as T",
    "if TYPE_CHECKING:\n    import optax",
    "try: import flax\nexcept ImportError: pass",
    "x = 1; import pandas as pd",
    "def f():\n    from skorch import NeuralNet",
    "'''\n>>> import torch\n'''",  # in a docstring: counts (only costs a parse)
    "from . import torch",  # relative: the rules ignore it, the test errs towards parsing
])
def test_imports_of_a_known_module_pass(text):
    assert may_trigger(text)


@pytest.mark.parametrize("text", [
    "",
    "import os\nimport sys\n",
    "x = torch.log(torch.softmax(x, 1))  # torch used, never imported",
    "import torchx",
    "import my_torch",
    "from .torch import log",
    "from torchutils import log",
    "importtorch = 1",
    "# see the torch docs\nfrom os import path\n",
    "import torché",
])
def test_files_that_import_no_known_module_are_skipped(text):
    assert not may_trigger(text)


# The configuration switch, through the command line


BROKEN_PLAIN_FILE = "def f(:\n    return 1\n"  # a syntax error, no framework imported


def nanlint(*args, cwd):
    pythonpath = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "nanlint", "--no-cache", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": pythonpath})


def test_a_skipped_file_is_not_parsed_unless_the_prefilter_is_off(tmp_path):
    (tmp_path / "plain.py").write_text(BROKEN_PLAIN_FILE)
    assert nanlint("plain.py", cwd=tmp_path).returncode == 0
    (tmp_path / "nanlint.toml").write_text("prefilter = false\n")
    result = nanlint("plain.py", cwd=tmp_path)
    assert result.returncode == 1 and "NAN001" in result.stdout


def test_prefilter_must_be_a_boolean(tmp_path):
    (tmp_path / "nanlint.toml").write_text('prefilter = "no"\n')
    (tmp_path / "m.py").write_text("x = 1\n")
    result = nanlint("m.py", cwd=tmp_path)
    assert result.returncode == 2 and "`prefilter` must be true or false" in result.stderr
