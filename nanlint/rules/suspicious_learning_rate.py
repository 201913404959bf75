"""## What it does
Flags a learning rate outside the plausible range of its optimizer: above 0.01 for
adaptive optimizers (Adam, AdamW, NAdam, RAdam, Adamax, RMSprop, Adagrad and their
optax, Keras and TF1 equivalents), above 1.0 for the SGD family (SGD, momentum,
`GradientDescentOptimizer`, hand-written updates `p - lr * g`), above 10 for
Adadelta, and any learning rate at or below 0 (an error). LBFGS, Rprop, Ftrl and
Adafactor have no range.

The value is found where it is written or through inference: literals and
arithmetic (`1e-1`, `10 ** -1`, `BASE_LR * 10`), module constants, constants
imported from the project's other modules (`from config import LR`), `argparse`
defaults (`args.lr`), literal config dicts (`cfg["lr"]`), dataclass and namedtuple
defaults, and the peak of a schedule passed as the learning rate
(`ExponentialDecay(initial_learning_rate=...)`, `OneCycleLR(max_lr=...)`, optax
warm-up schedules). A value inference cannot pin down is not reported. Keras'
`compile(optimizer="adam")` uses the optimizer's defaults and is fine.

The ranges are configurable per family (`adaptive`, `sgd`, `adadelta`) or per
optimizer name (`adam`, `rmsprop`, ...):
```toml
[tool.nanlint]
max-lr = { adaptive = 0.02, sgd = 2.0 }
```

## Why is this bad?
"Learning rate too high" is the first cause every answer to "my loss became NaN"
names: each update overshoots, the weights grow (seed 001: from 0.1 to -24165 in
three epochs), activations overflow to inf and the loss to nan. A learning rate of
0 trains nothing, and a negative one climbs the loss.

## Example
```python
parser.add_argument("--lr", type=float, default=0.5)
args = parser.parse_args()
optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
```

## Use instead
```python
parser.add_argument("--lr", type=float, default=3e-4)
```

## Fix safety
No automatic fix: the right learning rate depends on the model, the batch size and
the schedule. The message says the value, where it came from and the range the
optimizer family usually trains in.
"""

from __future__ import annotations

import re

import libcst as cst

from nanlint.analysis.guards import literal_number
from nanlint.analysis.inference import Inferred, inference_for
from nanlint.analysis.precision import format_number
from nanlint.analysis.values import Op, argument
from nanlint.catalog.optimizers import FAMILY_NAMES, MAX_LR, SGD_FAMILY, TYPICAL_LR
from nanlint.catalog.roles import LR_SCHEDULE, OPTIMIZER
from nanlint.finding import ERROR
from nanlint.rules import Invalid, Rule

# Where a program stores a learning rate it sets by hand: param_group["lr"], optimizer.lr.
LR_KEYS = frozenset({"lr", "learning_rate"})
# Names people give the learning rate in a hand-written update ``p - lr * g``.
LR_NAME = re.compile(r"^_*(lr|learning_?rate|learn_?rate|step_?size|eta)$|^[a-z0-9_]*_(lr|learning_rate)$",
                     re.IGNORECASE)


class SuspiciousLearningRate(Rule):
    code = "NAN301"
    name = "suspicious-learning-rate"
    severity = "warning"
    fix = "none"

    def check(self) -> None:
        ctx = self.ctx
        values = ctx.values
        optimizers: list[Op] = []
        schedules: list[Op] = []
        for call in ctx.index.of_type(cst.Call):
            op = values.op(call)
            if op is None:
                continue
            if op.role == OPTIMIZER:
                optimizers.append(op)
            elif op.role == LR_SCHEDULE:
                schedules.append(op)
        self.inference = inference_for(ctx)
        overwritten = set()
        for schedule in schedules:
            if "optimizer" in schedule.api.extra:
                optimizer = self._optimizer_of(schedule)
                if optimizer is not None:
                    overwritten.add(id(optimizer.call))
                self._check_own_schedule(schedule, optimizer)
        for optimizer in optimizers:
            if id(optimizer.call) not in overwritten:
                self._check_optimizer(optimizer)
        if ctx.framework_file:
            self._check_manual_updates()

    # -- optimizers ---------------------------------------------------------------------
    def _check_optimizer(self, op: Op) -> None:
        call, extra = op.call, op.api.extra
        given = argument(call, extra["lr"])
        if given is None:
            if any(arg.star == "**" for arg in call.args):
                return  # the learning rate may be in **kwargs
            self._check_param_groups(op)
            return
        schedule = self.ctx.values.producer(given)
        if schedule is not None and schedule.op.role == LR_SCHEDULE:
            peak = self._peak(schedule.op)
            if peak is not None:
                leaf = _leaf(schedule.op.api.name)
                self._judge(op, call, peak, f"peak of the {leaf} schedule")
            return
        found = self.inference.number(given)
        if found is None or not self._judge(op, call, found):
            self._check_param_groups(op)

    def _check_param_groups(self, op: Op) -> None:
        """``Adam([{"params": ..., "lr": 1.0}, ...])``: a group's own learning rate."""
        groups = argument(op.call, op.api.input) if op.api.input is not None else None
        if not isinstance(groups, (cst.List, cst.Tuple)):
            return
        for element in groups.elements:
            group = element.value
            if not isinstance(group, cst.Dict):
                continue
            for item in group.elements:
                if isinstance(item, cst.DictElement) and isinstance(item.key, cst.SimpleString) \
                        and item.key.evaluated_value == "lr":
                    found = self.inference.number(item.value)
                    if found is not None and self._judge(op, op.call, found, "a parameter group's lr"):
                        return

    def _optimizer_of(self, schedule: Op) -> Op | None:
        given = argument(schedule.call, schedule.api.extra["optimizer"])
        if given is None:
            return None
        produced = self.ctx.values.producer(given)
        return produced.op if produced is not None and produced.op.role == OPTIMIZER else None

    def _check_own_schedule(self, schedule: Op, optimizer: Op | None) -> None:
        """``OneCycleLR(optimizer, max_lr=...)`` sets the optimizer's learning rate itself."""
        peak = self._peak(schedule)
        if peak is None:
            return
        leaf = _leaf(schedule.api.name)
        if optimizer is None:
            if peak.value <= 0:  # no family to judge a range by, but never positive
                self._report_not_positive(schedule.call, self._display(schedule), peak, None)
            return
        self._judge(optimizer, schedule.call, peak, f"{leaf} max_lr")

    def _peak(self, schedule: Op) -> Inferred | None:
        """The largest learning rate a schedule reaches, when every part of it is known."""
        extra = schedule.api.extra
        found: list[Inferred] = []
        for param in extra["peak"]:
            given = argument(schedule.call, param)
            if given is None:
                continue
            value = self.inference.number(given)
            if value is None:
                return None
            found.append(value)
        listed = argument(schedule.call, extra["peak_list"]) if "peak_list" in extra else None
        if listed is not None:
            if not isinstance(listed, (cst.List, cst.Tuple)) or not listed.elements:
                return None
            for element in listed.elements:
                value = self.inference.number(element.value)
                if value is None:
                    return None
                found.append(value)
        if not found:
            return None
        return max(found, key=lambda inferred: inferred.value)

    # -- hand-written updates: p - lr * g ------------------------------------------------
    def _check_manual_updates(self) -> None:
        index = self.ctx.index
        for binop in index.of_type(cst.BinaryOperation):
            if isinstance(binop.operator, cst.Subtract):
                factor = _lr_factor(binop.right)
                if factor is not None and self._is_update(binop):
                    self._judge_update(binop, factor)
        for aug in index.of_type(cst.AugAssign):
            if isinstance(aug.operator, cst.SubtractAssign):
                factor = _lr_factor(aug.value)
                if factor is not None:
                    self._judge_update(aug, factor)

    def _is_update(self, binop: cst.BinaryOperation) -> bool:
        """``p = p - lr * g``, ``(p, p - lr * g)`` in Theano updates (also with a momentum
        term ``p + mu * v - lr * g``), ``lambda p, g: p - lr * g``."""
        base = binop.left
        while isinstance(base, cst.BinaryOperation) and isinstance(base.operator, cst.Add):
            base = base.left
        if not isinstance(base, (cst.Name, cst.Attribute, cst.Subscript)):
            return False
        index, code_for = self.ctx.index, self.ctx.code_for
        parent = index.parent(binop)
        if isinstance(parent, cst.Assign) and parent.value is binop:
            return any(code_for(target.target) == code_for(base) for target in parent.targets)
        if isinstance(parent, cst.Element):
            pair = index.parent(parent)
            return (isinstance(pair, cst.Tuple) and len(pair.elements) == 2 and pair.elements[1] is parent
                    and code_for(pair.elements[0].value) == code_for(base))
        if isinstance(parent, cst.Lambda) and isinstance(base, cst.Name):
            return any(param.name.value == base.value for param in parent.params.params)
        return False

    def _judge_update(self, node: cst.CSTNode, factor: cst.BaseExpression) -> None:
        found = self.inference.number(factor)
        if found is None:
            return
        value = found.value
        origin = found.origin
        where = origin or self.ctx.code_for(factor)
        shown = f"learning rate {format_number(value)} ({where}) in a hand-written update"
        if value <= 0:
            self.ctx.report(node, f"{shown} is not positive, so the update {_not_positive(value)}; use a positive "
                                  f"learning rate such as 0.01", severity=ERROR)
            return
        limit = self._limit(SGD_FAMILY, "sgd")
        if limit is not None and value > limit:
            self.ctx.report(node, f"{shown} is above {format_number(limit)}, the largest plausible for plain "
                                  f"gradient descent, and likely to make the loss diverge to nan; "
                                  f"use {TYPICAL_LR[SGD_FAMILY]}")

    # -- judging a value ------------------------------------------------------------------
    def _limit(self, family: str, short: str) -> float | None:
        configured = dict(self.ctx.config.max_lr)
        if short in configured:
            return configured[short]
        if family in configured:
            return configured[family]
        return MAX_LR.get(family)

    def _judge(self, op: Op, node: cst.CSTNode, found: Inferred, source: str | None = None) -> bool:
        """Report ``found`` at ``node`` if it is implausible for ``op``'s optimizer."""
        extra = op.api.extra
        name = self._display(op)
        if found.value <= 0:
            if self._learning_rate_set_later():
                return False  # a warm-up that starts at 0: the program writes the rate itself
            self._report_not_positive(node, name, found, source)
            return True
        limit = self._limit(extra["family"], extra["short"])
        if limit is None or found.value <= limit:
            return False
        family = extra["family"]
        typical = TYPICAL_LR.get(family, "a smaller value")
        configured = dict(self.ctx.config.max_lr)
        if extra["short"] in configured or family in configured:
            what = f"the configured maximum for {name}"
        else:
            what = f"the largest plausible for {FAMILY_NAMES[family]}"
        self.ctx.report(node, f"learning rate {format_number(found.value)}{_from(found, source)} for {name} is above "
                              f"{format_number(limit)}, {what}, and likely to make the loss diverge to nan; "
                              f"use {typical}")
        return True

    def _learning_rate_set_later(self) -> bool:
        """``group["lr"] = rate`` or ``optimizer.lr = rate`` somewhere in the module (the
        Annotated Transformer's NoamOpt builds Adam with ``lr=0`` and sets it every step)."""
        for assign in self.ctx.index.of_type(cst.Assign):
            for target in assign.targets:
                node = target.target
                if isinstance(node, cst.Attribute) and node.attr.value in LR_KEYS:
                    return True
                if isinstance(node, cst.Subscript) and len(node.slice) == 1:
                    index = node.slice[0].slice
                    if isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString) \
                            and index.value.evaluated_value in LR_KEYS:
                        return True
        return False

    def _display(self, op: Op) -> str:
        """The optimizer as the user wrote it (``optim.Adam``, ``optax.adam``), or its name."""
        written = self.ctx.code_for(op.call.func)
        return written if len(written) <= 40 and "\n" not in written else _leaf(op.api.name)

    def _report_not_positive(self, node: cst.CSTNode, name: str, found: Inferred, source: str | None) -> None:
        self.ctx.report(node, f"learning rate {format_number(found.value)}{_from(found, source)} for {name} is not "
                              f"positive, so training {_not_positive(found.value)}; use a positive learning rate",
                        severity=ERROR)

    VALID = [
        "import torch\noptimizer = torch.optim.Adam(model.parameters(), lr=1e-3)\n",
        "import torch\noptimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)\n",
        "import torch\noptimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)\n",
        "import torch\noptimizer = torch.optim.LBFGS(model.parameters(), lr=1)\n",
        # argparse default 3e-4
        "import argparse\nimport torch\nparser = argparse.ArgumentParser()\n"
        "parser.add_argument('--lr', type=float, default=3e-4)\nargs = parser.parse_args()\n"
        "optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)\n",
        # inference cannot pin it down: a parameter, a rebinding in a branch
        "import torch\ndef build(model, lr):\n    return torch.optim.Adam(model.parameters(), lr=lr)\n",
        "import torch\nlr = 1e-3\nif fine_tune:\n    lr = 0.5\noptimizer = torch.optim.Adam(params, lr=lr)\n",
        "import torch\nlr = 0.5\nfor stage in stages:\n    opt = torch.optim.Adam(params, lr=lr)\n    lr = lr / 100\n",
        # a warm-up schedule: it starts at 0 and peaks at 1e-3
        "import optax\nschedule = optax.warmup_cosine_decay_schedule(init_value=0.0, peak_value=1e-3,\n"
        "    warmup_steps=500, decay_steps=10_000)\noptimizer = optax.adamw(schedule)\n",
        "import torch\nopt = torch.optim.Adam(model.parameters(), lr=1e-3)\n"
        "warmup = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: min(1.0, step / 1000))\n",
        # OneCycleLR sets the learning rate itself: the optimizer's own lr does not matter
        "import torch\nopt = torch.optim.Adam(model.parameters(), lr=0.0)\n"
        "sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=1000)\n",
        # Keras: an optimizer string uses its defaults; a plausible learning_rate
        "from tensorflow import keras\nmodel.compile(optimizer='adam', loss='mse')\n",
        "from tensorflow import keras\nopt = keras.optimizers.Adam(learning_rate=1e-3)\n",
        # the seed's commented-out optimizer is not code
        "import tensorflow as tf\nclassifier = tf.contrib.learn.DNNClassifier(\n"
        "    hidden_units=[300, 300, 300],\n"
        "    #optimizer=tf.train.ProximalAdagradOptimizer(learning_rate=0.001, l1_regularization_strength=0.00001),\n"
        "    n_classes=11)\n",
        # a manual update at a plausible rate (seed 001), and a decayed one inference cannot pin down
        "import theano.tensor as T\nlearning_rate = 0.01\n"
        "updates = [(p, p - learning_rate * g) for p, g in zip(params, grads)]\n",
        "import numpy as np\ndef step(w, grad, lr):\n    w = w - lr * grad\n    return w\n",
        # a config dict changed before use
        "import torch\ncfg = {'lr': 0.5}\ncfg['lr'] = 1e-3\nopt = torch.optim.Adam(params, lr=cfg['lr'])\n",
        # an argparse destination defined twice (subcommands): several values
        "import argparse\nimport torch\np = argparse.ArgumentParser()\nsub = p.add_subparsers()\n"
        "a = sub.add_parser('a')\na.add_argument('--lr', type=float, default=1e-3)\n"
        "b = sub.add_parser('b')\nb.add_argument('--lr', type=float, default=0.5)\nargs = p.parse_args()\n"
        "opt = torch.optim.Adam(params, lr=args.lr)\n",
        # a rate that starts at 0 and is set by hand every step (the Annotated Transformer's NoamOpt)
        "import torch\nclass NoamOpt:\n    def __init__(self, optimizer):\n        self.optimizer = optimizer\n"
        "    def step(self, rate):\n        for p in self.optimizer.param_groups:\n            p['lr'] = rate\n"
        "opt = NoamOpt(torch.optim.Adam(model.parameters(), lr=0, betas=(0.9, 0.98), eps=1e-9))\n",
        # the top of the SGD range is still plausible
        "import torch\nopt = torch.optim.SGD(params, lr=1.0)\n",
    ]

    INVALID = [
        # seed 000 (TF1): plain gradient descent at 5.0
        Invalid("import tensorflow as tf\n"
                "train_step = tf.train.GradientDescentOptimizer(5.0).minimize(cross_entropy)\n"),
        Invalid("import tensorflow as tf\nopt = tf.compat.v1.train.AdamOptimizer(learning_rate=0.1)\n"),
        # argparse default, through --learning-rate
        Invalid("import argparse\nimport torch\nparser = argparse.ArgumentParser()\n"
                "parser.add_argument('--learning-rate', type=float, default=0.5)\nargs = parser.parse_args()\n"
                "optimizer = torch.optim.Adam(model.parameters(), lr=args.learning_rate)\n"),
        # a namespace passed to a function; dest=
        Invalid("import argparse\nimport torch\ndef train(opts):\n"
                "    return torch.optim.AdamW(model.parameters(), lr=opts.lr)\n"
                "parser = argparse.ArgumentParser()\nparser.add_argument('-l', dest='lr', type=float, default=0.05)\n"
                "train(parser.parse_args())\n"),
        # arithmetic and module constants
        Invalid("import torch\nopt = torch.optim.Adam(model.parameters(), lr=10 ** -1)\n"),
        Invalid("import torch\nBASE_LR = 0.01\nopt = torch.optim.SGD(params, lr=BASE_LR * 200, momentum=0.9)\n"),
        # a literal config dict, a dataclass default
        Invalid("import torch\nconfig = {'optim': {'lr': 0.3}}\n"
                "opt = torch.optim.RMSprop(params, lr=config['optim']['lr'])\n"),
        Invalid("import torch\nfrom dataclasses import dataclass\n@dataclass\nclass Config:\n"
                "    lr: float = 0.5\n    epochs: int = 10\ncfg = Config(epochs=3)\n"
                "opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)\n"),
        # optax, Keras (legacy lr=), a schedule's initial value
        Invalid("import optax\noptimizer = optax.adam(0.1)\n"),
        Invalid("from tensorflow import keras\nopt = keras.optimizers.RMSprop(lr=0.05)\n"),
        Invalid("from tensorflow import keras\nschedule = keras.optimizers.schedules.ExponentialDecay(\n"
                "    initial_learning_rate=0.5, decay_steps=1000, decay_rate=0.9)\n"
                "opt = keras.optimizers.Adam(learning_rate=schedule)\n"),
        Invalid("import torch\nopt = torch.optim.Adam(model.parameters())\n"
                "sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=1000)\n"),
        # zero and negative learning rates are errors (seed 000: the asker tried 0)
        Invalid("from tensorflow import keras\nopt = keras.optimizers.SGD(learning_rate=0.0)\n"),
        Invalid("import torch\nopt = torch.optim.SGD(model.parameters(), lr=-0.01)\n"),
        # hand-written updates (NumPy, Theano, JAX)
        Invalid("import numpy as np\nlearning_rate = 2.0\nfor name in params:\n"
                "    params[name] = params[name] - learning_rate * grads[name]\n"),
        Invalid("import theano.tensor as T\nlr = 5\n"
                "updates = [(p, p - lr * g) for p, g in zip(params, grads)]\n"),
        Invalid("import jax\nLR = 3.0\nparams = jax.tree_util.tree_map(lambda p, g: p - LR * g, params, grads)\n"),
        # absl flags; a parameter group's lr
        Invalid("import tensorflow as tf\nflags = tf.app.flags\n"
                "flags.DEFINE_float('learning_rate', 0.5, 'Initial learning rate.')\nFLAGS = flags.FLAGS\n"
                "opt = tf.train.AdamOptimizer(FLAGS.learning_rate)\n"),
        Invalid("import torch\nopt = torch.optim.Adam([{'params': head.parameters(), 'lr': 0.1},\n"
                "                        {'params': body.parameters()}], lr=1e-4)\n"),
    ]


def _leaf(name: str) -> str:
    return name.rpartition(".")[2]


def _from(found: Inferred, source: str | None) -> str:
    origin = found.origin
    parts = [part for part in (source, origin) if part]
    return f" ({', '.join(parts)})" if parts else ""


def _not_positive(value: float) -> str:
    return "does nothing" if value == 0 else "climbs the loss instead of descending it"


def _lr_factor(expr: cst.BaseExpression) -> cst.BaseExpression | None:
    """The learning-rate factor of ``lr * g`` (either order), when it is named like one
    and the other factor is not a constant."""
    if not isinstance(expr, cst.BinaryOperation) or not isinstance(expr.operator, cst.Multiply):
        return None
    for factor, other in ((expr.left, expr.right), (expr.right, expr.left)):
        leaf = factor.attr.value if isinstance(factor, cst.Attribute) else getattr(factor, "value", None)
        if isinstance(factor, (cst.Name, cst.Attribute)) and isinstance(leaf, str) and LR_NAME.match(leaf) \
                and literal_number(other) is None:
            return factor
    return None
