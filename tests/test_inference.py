"""Value inference (``nanlint.analysis.inference``): what it proves, what it refuses to
guess, that it never imports the code it reads, and that no file can stall it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import libcst as cst
import pytest

from nanlint.analysis.inference import inference_for
from nanlint.config import Config
from nanlint.context import Context
from nanlint.engine import check_source

ROOT = Path(__file__).resolve().parent.parent


def _context(source: str, path: str = "probe.py") -> Context:
    return Context(cst.parse_module(textwrap.dedent(source)), path, Config())


def _probe(ctx: Context) -> cst.BaseExpression:
    """The value assigned to the last ``probe = ...``."""
    found = None
    for assign in ctx.index.of_type(cst.Assign):
        target = assign.targets[0].target
        if isinstance(target, cst.Name) and target.value == "probe":
            found = assign.value
    assert found is not None
    return found


def infer(source: str, path: str = "probe.py"):
    ctx = _context(source, path)
    result = inference_for(ctx).number(_probe(ctx))
    return None if result is None else result.value


def origin(source: str, path: str = "probe.py") -> str | None:
    ctx = _context(source, path)
    result = inference_for(ctx).number(_probe(ctx))
    assert result is not None
    return result.origin


# -- what inference proves ------------------------------------------------------------------
PROVED = [
    ("probe = 1e-1", 0.1),
    ("probe = 10 ** -1", 0.1),
    ("probe = 0.1 * 5", 0.5),
    ("probe = -(2 - 3)", 1.0),
    ("base_lr = 0.01\nprobe = base_lr * 10", 0.1),
    ("A = 3e-4\nB = A\nprobe = B / 3", 1e-4),
    ("LR = 0.5\ndef build():\n    probe = LR\n", 0.5),
    # argparse defaults
    ("import argparse\np = argparse.ArgumentParser()\np.add_argument('--lr', type=float, default=0.5)\n"
     "args = p.parse_args()\nprobe = args.lr", 0.5),
    ("import argparse\np = argparse.ArgumentParser()\np.add_argument('--learning-rate', type=float, default=0.2)\n"
     "args = p.parse_args()\nprobe = args.learning_rate", 0.2),
    ("import argparse\np = argparse.ArgumentParser()\np.add_argument('-l', '--rate', dest='lr', default=3)\n"
     "args = p.parse_args()\nprobe = args.lr * 2", 6.0),
    ("import argparse\np = argparse.ArgumentParser()\np.add_argument('--lr', type=float, default='0.25')\n"
     "args, _ = p.parse_known_args()\nprobe = args.lr", 0.25),
    ("import argparse\nLR = 0.125\ndef get_args():\n    p = argparse.ArgumentParser()\n"
     "    p.add_argument('--lr', type=float, default=LR)\n    return p.parse_args()\n"
     "args = get_args()\nprobe = args.lr", 0.125),
    ("import argparse\ndef main(opt):\n    probe = opt.lr\np = argparse.ArgumentParser()\n"
     "p.add_argument('--lr', type=float, default=0.7)\nmain(p.parse_args())", 0.7),
    ("import tensorflow as tf\ntf.app.flags.DEFINE_float('learning_rate', 0.5, 'lr')\n"
     "FLAGS = tf.app.flags.FLAGS\nprobe = FLAGS.learning_rate", 0.5),
    # literal config dicts
    ("cfg = {'lr': 0.5, 'bs': 32}\nprobe = cfg['lr']", 0.5),
    ("cfg = {'optim': {'lr': 0.2}}\nprobe = cfg['optim']['lr']", 0.2),
    # dataclass and namedtuple defaults
    ("from dataclasses import dataclass\n@dataclass\nclass C:\n    lr: float = 0.3\n    bs: int = 4\n"
     "c = C(bs=8)\nprobe = c.lr", 0.3),
    ("from dataclasses import dataclass\n@dataclass\nclass C:\n    lr: float = 0.3\nc = C(0.05)\nprobe = c.lr", 0.05),
    ("from typing import NamedTuple\nclass H(NamedTuple):\n    lr: float = 0.4\nh = H()\nprobe = h.lr", 0.4),
    ("from collections import namedtuple\nH = namedtuple('H', 'bs lr', defaults=[0.6])\nh = H(32)\n"
     "probe = h.lr", 0.6),
    # astroid: class attributes, self attributes, helper functions
    ("class Config:\n    LR = 0.05\nprobe = Config.LR", 0.05),
    ("class T:\n    def __init__(self):\n        self.lr = 0.02\n    def f(self):\n        probe = self.lr\n", 0.02),
    ("def default_lr():\n    return 2 * 0.25\nlr = default_lr()\nprobe = lr", 0.5),
    ("LR = 3\nprobe = float(LR) / 10", 0.3),
]


@pytest.mark.parametrize(("source", "value"), PROVED)
def test_inference_proves(source, value):
    assert infer(source) == pytest.approx(value)


# -- what it refuses to guess -----------------------------------------------------------------
UNKNOWN = [
    "probe = lr",  # never bound
    "def f(lr):\n    probe = lr\n",  # a parameter: its callers decide
    "def f(lr=0.1):\n    probe = lr\n",  # a default is not what callers pass
    "lr = 0.1\nif fine_tune:\n    lr = 0.5\nprobe = lr",  # two values
    "lr = 0.5\nfor stage in stages:\n    probe = lr\n    lr = lr / 10",  # rebound later in the loop
    "lr = float(os.environ.get('LR', '0.1'))\nprobe = lr",
    # a string default without type=: argparse leaves it a string
    "import argparse\np = argparse.ArgumentParser()\np.add_argument('--lr', default='0.5')\n"
    "args = p.parse_args()\nprobe = float(args.lr)",
    "lr = 'fast'\nprobe = lr",
    "flag = True\nprobe = flag",
    # argparse: no default, defined twice, changed by the program, not a namespace
    "import argparse\np = argparse.ArgumentParser()\np.add_argument('--lr', type=float, required=True)\n"
    "args = p.parse_args()\nprobe = args.lr",
    "import argparse\np = argparse.ArgumentParser()\np.add_argument('--lr', type=float, default=0.1)\n"
    "p.set_defaults(lr=0.9)\nargs = p.parse_args()\nprobe = args.lr",
    "import argparse\np = argparse.ArgumentParser()\np.add_argument('--lr', type=float, default=0.1)\n"
    "args = p.parse_args()\nargs.lr = args.lr * args.batch_size / 256\nprobe = args.lr",
    "import argparse\np = argparse.ArgumentParser()\np.add_argument('--lr', type=float, default=0.1)\n"
    "probe = config.lr",
    "import argparse\ndef main(opt):\n    probe = opt.lr\np = argparse.ArgumentParser()\n"
    "p.add_argument('--lr', type=float, default=0.7)\nmain(p.parse_args())\nmain(other)",
    # dicts changed somewhere
    "cfg = {'lr': 0.5}\ncfg['lr'] = 0.1\nprobe = cfg['lr']",
    "cfg = {'lr': 0.5}\ncfg.update(overrides)\nprobe = cfg['lr']",
    "cfg = {**base, 'bs': 2}\nprobe = cfg['lr']",
    # a dataclass field changed, or passed through **kwargs
    "from dataclasses import dataclass\n@dataclass\nclass C:\n    lr: float = 0.3\nc = C()\nc.lr = 0.9\nprobe = c.lr",
    "from dataclasses import dataclass\n@dataclass\nclass C:\n    lr: float = 0.3\nc = C(**kw)\nprobe = c.lr",
    # astroid: several values
    "class T:\n    def __init__(self, lr):\n        self.lr = lr\n    def f(self):\n        probe = self.lr\n",
    "def pick(x):\n    if x:\n        return 0.1\n    return 0.5\nprobe = pick(flag)",
    # imports that are not the project's (nothing to read, nothing is imported)
    "from torch.optim import lr_scheduler\nprobe = lr_scheduler.SOME_CONSTANT",
    "import math\nprobe = math.pi",
]


@pytest.mark.parametrize("source", UNKNOWN)
def test_inference_refuses_to_guess(source):
    assert infer(source) is None


def test_origins_say_where_the_value_came_from():
    argparse_source = ("import argparse\np = argparse.ArgumentParser()\np.add_argument('--lr', type=float, "
                       "default=0.5)\nargs = p.parse_args()\nprobe = args.lr")
    assert origin(argparse_source) == "args.lr, default 0.5 at line 3"
    assert origin("LR = 0.5\nprobe = LR") == "LR = 0.5 at line 1"
    assert origin("BASE = 0.01\nprobe = BASE * 20") == "BASE * 20 = 0.2; BASE = 0.01 at line 1"
    assert origin("cfg = {'lr': 0.5}\nprobe = cfg['lr']") == "cfg['lr'] = 0.5 at line 1"
    assert origin("probe = 0.5") is None  # a literal at the use needs no origin


def test_astroid_is_built_only_when_needed():
    ctx = _context("import torch\nLR = 0.5\nprobe = LR * 2\n")
    inference = inference_for(ctx)
    assert inference.number(_probe(ctx)).value == 1.0
    assert inference._astroid is None  # the index was enough
    ctx = _context("class C:\n    LR = 0.5\nprobe = C.LR\n")
    inference = inference_for(ctx)
    assert inference.number(_probe(ctx)).value == 0.5
    session = inference._astroid
    assert session is not None
    inference.number(_probe(ctx))
    assert inference._astroid is session  # at most once per file


# -- other modules of the same project ----------------------------------------------------------
def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return tmp_path


def test_constants_imported_from_sibling_modules(tmp_path):
    root = _project(tmp_path, {
        "config.py": "LR = 0.5\nSMALL = 1e-3\n",
        "pkg/__init__.py": "",
        "pkg/settings.py": "from config import SMALL\nBASE_LR = SMALL * 100\n",
        "pkg/train.py": "from config import LR\nfrom .settings import BASE_LR\nimport config\n"
                        "a = LR\nb = BASE_LR\nc = config.LR / 10\nfrom config import *\nd = SMALL\n",
        "train.py": "from config import LR\nprobe = LR * 2\n",
    })
    train = root / "pkg" / "train.py"
    for name, value in (("a", 0.5), ("b", 0.1), ("c", 0.05), ("d", 1e-3)):
        source = train.read_text() + f"probe = {name}\n"
        assert infer(source, str(train)) == pytest.approx(value), name
    assert infer((root / "train.py").read_text(), str(root / "train.py")) == 1.0
    assert origin(train.read_text() + "probe = a\n", str(train)) == "a = 0.5; LR = 0.5 at config.py:1" or \
        origin(train.read_text() + "probe = a\n", str(train)).endswith("at config.py:1")


def test_relative_import_outside_a_package_is_unknown(tmp_path):
    root = _project(tmp_path, {"settings.py": "BASE_LR = 0.1\n", "train.py": "from .settings import BASE_LR\n"
                                                                             "probe = BASE_LR\n"})
    assert infer((root / "train.py").read_text(), str(root / "train.py")) is None


def test_the_linted_code_is_never_imported(tmp_path):
    """Modules that leave a marker file when imported: after linting, no marker, no new
    module in ``sys.modules`` but the standard library's and nanlint's own, and the
    finding that needed the sibling module's constant is there (so it was read)."""
    marker = tmp_path / "IMPORTED"
    write_marker = f"open({str(marker)!r}, 'a').write(__name__ + '\\n')\n"
    root = _project(tmp_path, {
        "config.py": write_marker + "LR = 0.5\n",
        "helpers.py": write_marker + "from config import *\nSCALE = 2\ndef lr():\n    return LR * SCALE\n",
        "pkg/__init__.py": write_marker,
        "pkg/sub.py": write_marker + "FACTOR = 3\n",
        "train.py": write_marker + "import torch\nimport numpy as np\nimport helpers\nfrom config import LR\n"
                    "from pkg.sub import FACTOR\nfrom helpers import *\n"
                    "opt = torch.optim.Adam(params, lr=LR)\nopt2 = torch.optim.SGD(params, lr=helpers.lr() * FACTOR)\n"
                    "opt3 = torch.optim.SGD(params, lr=np.float32(0.5))\n",
    })
    script = textwrap.dedent(f"""
        import json, sys
        sys.path.insert(0, {str(ROOT)!r})
        from nanlint.engine import check_source
        before = set(sys.modules)
        path = {str(root / "train.py")!r}
        result = check_source(open(path, "rb").read(), path)
        new = sorted(set(sys.modules) - before)
        print(json.dumps({{"codes": [f.code for f in result.findings], "errors": result.errors, "new": new}}))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                         cwd=str(tmp_path))
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert not marker.exists(), marker.read_text()
    assert report["errors"] == []
    assert report["codes"].count("NAN301") == 2  # lr=LR and helpers.lr() * FACTOR were read
    known = set(sys.stdlib_module_names) | {"astroid", "nanlint", "libcst"}
    foreign = [m for m in report["new"] if m.split(".")[0] not in known and not m.startswith("_sysconfigdata")]
    assert foreign == [], foreign
    assert not {"config", "helpers", "pkg", "torch", "numpy"} & {m.split(".")[0] for m in report["new"]}


# -- files that would make inference explode -------------------------------------------------------
PATHOLOGICAL = {
    "recursion.py": "import torch\ndef f(n):\n    return f(n - 1) + f(n - 2) if n > 1 else 0.5\nLR = f(60)\n"
                    "opt = torch.optim.Adam(p, lr=LR)\ndef g(x):\n    return h(x) * 2\ndef h(x):\n    return g(x) / 2\n"
                    "opt2 = torch.optim.Adam(p, lr=g(1))\nlr3 = g(3)\nopt3 = torch.optim.Adam(p, lr=lr3)\n",
    "huge_sum.py": "import torch\nLR = " + " + ".join(["1e-4"] * 3000) + "\nopt = torch.optim.Adam(p, lr=LR)\n",
    "chain.py": "import torch\nA0 = 0.5\n" + "".join(f"A{i} = A{i - 1} * 1\n" for i in range(1, 3000))
                + "opt = torch.optim.Adam(p, lr=A2999)\n",
    "powers.py": "import torch\nLR = 2 ** 2 ** 2 ** 2 ** 2 ** 2\nS = 'x' * 10 ** 9\nB = 10 ** 10 ** 5\n"
                 "opt = torch.optim.Adam(p, lr=LR)\nopt = torch.optim.Adam(p, lr=B)\n"
                 "opt = torch.optim.Adam(p, lr=len(S))\n",
    "a.py": "from b import Y\nX = Y * 2\nfrom b import *\n",
    "b.py": "from a import X\nY = X * 2\nfrom a import *\n",
    "circular.py": "import torch\nfrom a import X\nfrom b import Y\nfrom circular import Z\nfrom circular import *\n"
                   "Z = X\nopt = torch.optim.Adam(p, lr=X)\nopt = torch.optim.Adam(p, lr=Y)\n"
                   "opt = torch.optim.Adam(p, lr=Z)\n",
    **{f"m{i}.py": (f"from m{i + 1} import V\n" if i < 59 else "V = 0.5\n") for i in range(60)},
    "deep_import.py": "import torch\nfrom m0 import V\nopt = torch.optim.Adam(p, lr=V)\n",
    "mro.py": "import torch\nclass C0:\n    lr = 0.5\n" + "".join(f"class C{i}(C{i - 1}):\n    pass\n"
                                                          for i in range(1, 400))
              + "opt = torch.optim.Adam(p, lr=C399.lr)\n",
    "branches.py": "import torch\nimport cfgx\nopt = torch.optim.Adam(p, lr=cfgx.X)\n",
    "cfgx.py": "X = 0.001\n" + "".join(f"if c{i}:\n    X = X * 2\nelse:\n    X = X * 3\n" for i in range(40)),
    "nested.py": "import torch\nLR = " + "(" * 90 + "0.5" + ")" * 90 + "\nopt = torch.optim.Adam(p, lr=LR)\n",
}


def test_pathological_files_finish_quickly_without_crashing(tmp_path):
    root = _project(tmp_path, PATHOLOGICAL)
    for name in ("recursion.py", "huge_sum.py", "chain.py", "powers.py", "circular.py", "deep_import.py", "mro.py",
                 "branches.py", "nested.py"):
        path = root / name
        start = time.perf_counter()
        result = check_source(path.read_bytes(), str(path))
        elapsed = time.perf_counter() - start
        assert result.errors == [], (name, result.errors)
        assert elapsed < 10.0, (name, elapsed)
        if name == "nested.py":  # deep but plain: still proved
            assert [f.code for f in result.findings if f.code == "NAN301"] == ["NAN301"]


def test_inference_queries_are_bounded_in_time(tmp_path):
    root = _project(tmp_path, PATHOLOGICAL)
    for name in ("mro.py", "recursion.py", "branches.py", "deep_import.py"):
        path = root / name
        ctx = Context(cst.parse_module(path.read_text()), str(path), Config())
        inference = inference_for(ctx)
        start = time.perf_counter()
        for call in ctx.index.of_type(cst.Call):
            for arg in call.args:
                if arg.keyword is not None and arg.keyword.value == "lr":
                    inference.number(arg.value)
        assert time.perf_counter() - start < 4.0, name


# -- NAN301's ranges come from the configuration (max-lr) ----------------------------------------
def test_learning_rate_ranges_follow_max_lr_configuration():
    source = "import torch\nopt = torch.optim.Adam(params, lr=0.05)\nsgd = torch.optim.SGD(params, lr=2.0)\n"

    def lines(config: Config) -> list[int]:
        return [f.line for f in check_source(source, "c.py", config).findings if f.code == "NAN301"]

    assert lines(Config()) == [2, 3]
    assert lines(Config(max_lr=(("adaptive", 0.1),))) == [3]  # a family
    assert lines(Config(max_lr=(("adam", 0.1), ("sgd", 5.0)))) == []  # optimizer names
    assert lines(Config(max_lr=(("adamw", 0.1),))) == [2, 3]  # another optimizer's name
    zero = check_source("import torch\nopt = torch.optim.SGD(params, lr=0)\n", "c.py", Config(max_lr=(("sgd", 5.0),)))
    assert [(f.code, f.severity) for f in zero.findings] == [("NAN301", "error")]
