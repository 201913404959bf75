"""## What it does
Flags `backward()` in a module that trains in float16 (a model cast with `.half()`
or `.to(torch.float16)` whose parameters are optimised, or an autocast region that
computes in float16: `autocast(dtype=torch.float16)`, `torch.autocast("cuda")`,
`torch.cuda.amp.autocast()`) when nothing scales the loss: no `GradScaler`
(`torch.amp`, `torch.cuda.amp`, FSDP's `ShardedGradScaler`) and no wrapper that
does it (apex `amp`, `accelerate.Accelerator`, DeepSpeed, Lightning).

## Why is this bad?
float16 represents magnitudes from about 6e-8 to 65504. Gradients are often
smaller than that: they flush to 0 and those weights stop learning; a few large
ones overflow to inf, and the next update turns the weights into nan. A
GradScaler multiplies the loss before `backward()` so gradients land in float16's
range, unscales them before the step, and skips steps whose gradients are not
finite. bfloat16 has float32's range and needs no scaling: it is not reported.

## Example
```python
with torch.autocast("cuda", dtype=torch.float16):
    loss = criterion(model(x), y)
loss.backward()
optimizer.step()
```

## Use instead
```python
scaler = torch.amp.GradScaler("cuda")
with torch.autocast("cuda", dtype=torch.float16):
    loss = criterion(model(x), y)
scaler.scale(loss).backward()
scaler.step(optimizer)
scaler.update()
```

## Fix safety
No automatic fix: adding a scaler changes several lines of the training loop (the
backward call, the optimizer step and a scaler update).
"""

from __future__ import annotations

from nanlint.analysis.precision import precision_of, trains_in_float16
from nanlint.rules import Invalid, Rule

_HOW = {
    "autocast": "a float16 autocast region",
    "half": "a model cast to float16",
}


class Fp16WithoutLossScaling(Rule):
    code = "NAN304"
    name = "fp16-without-loss-scaling"
    severity = "warning"
    fix = "none"

    def check(self) -> None:
        ctx = self.ctx
        if not ctx.framework_file:
            return
        facts = precision_of(ctx)
        if not facts.backwards or facts.loss_scaling:
            return
        how = trains_in_float16(ctx)
        if how is None:
            return
        for call in facts.backwards:
            ctx.report(call, f"backward() in float16 training ({_HOW[how]}) without loss scaling: small gradients "
                             f"flush to 0 and large ones overflow to inf; scale the loss with torch.amp.GradScaler")

    VALID = [
        # float32 training
        "import torch\nloss = model(x).sum()\nloss.backward()\noptimizer.step()\n",
        # a GradScaler
        "import torch\nscaler = torch.cuda.amp.GradScaler()\nwith torch.cuda.amp.autocast():\n"
        "    loss = model(x).sum()\nscaler.scale(loss).backward()\nscaler.step(optimizer)\nscaler.update()\n",
        "import torch\nfrom torch.amp import GradScaler\nscaler = GradScaler('cuda')\n"
        "with torch.autocast('cuda', dtype=torch.float16):\n    loss = model(x).sum()\n"
        "scaler.scale(loss).backward()\n",
        # bfloat16 needs no scaling
        "import torch\nwith torch.autocast(device_type='cuda', dtype=torch.bfloat16):\n    loss = model(x).sum()\n"
        "loss.backward()\n",
        "import torch\nmodel = Net().to(dtype=torch.bfloat16)\nopt = torch.optim.Adam(model.parameters())\n"
        "model(x).sum().backward()\n",
        # CPU autocast defaults to bfloat16; a device held in a variable is unknown
        "import torch\nwith torch.autocast('cpu'):\n    loss = model(x).sum()\nloss.backward()\n",
        "import torch\nwith torch.autocast(device.type):\n    loss = model(x).sum()\nloss.backward()\n",
        # autocast explicitly disabled
        "import torch\nwith torch.cuda.amp.autocast(enabled=False):\n    loss = model(x).sum()\nloss.backward()\n",
        # a scaler made elsewhere and passed in
        "import torch\ndef train_step(model, scaler, batch):\n    with torch.autocast('cuda'):\n"
        "        loss = model(batch).mean()\n    scaler.scale(loss).backward()\n",
        # a half tensor for inference is not a half model
        "import torch\nimages = images.half()\nloss = model(x).sum()\nloss.backward()\n",
        # wrappers that scale the loss themselves
        "import torch\nfrom accelerate import Accelerator\naccelerator = Accelerator(mixed_precision='fp16')\n"
        "model = model.half()\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\nloss.backward()\n",
        "import torch\nfrom apex import amp\nmodel = model.half()\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "with amp.scale_loss(loss, opt) as scaled:\n    scaled.backward()\n",
        # half model, but no backward (inference only)
        "import torch\nmodel = Net().half().eval()\nparams = sum(p.numel() for p in model.parameters())\n"
        "out = model(x)\n",
        # not torch
        "import tensorflow as tf\nx = tf.cast(x, tf.float16)\nloss.backward()\n",
    ]

    INVALID = [
        Invalid("import torch\nwith torch.autocast('cuda', dtype=torch.float16):\n    loss = model(x).sum()\n"
                "loss.backward()\noptimizer.step()\n"),
        Invalid("import torch\nwith torch.autocast(device_type='cuda'):\n    loss = model(x).sum()\n"
                "loss.backward()\n"),
        Invalid("import torch\nwith torch.cuda.amp.autocast():\n    loss = model(x).sum()\nloss.backward()\n"),
        Invalid("import torch\nfrom torch.cuda.amp import autocast\nwith autocast(dtype=torch.float16):\n"
                "    loss = model(x).sum()\nloss.backward()\n"),
        Invalid("import torch\nmodel = Net().cuda().half()\n"
                "optimizer = torch.optim.Adam(model.parameters(), eps=1e-4)\n"
                "for x, y in loader:\n    loss = criterion(model(x.half()), y)\n    loss.backward()\n"
                "    optimizer.step()\n"),
        Invalid("import torch\nmodel.half()\noptimizer = torch.optim.SGD(model.parameters(), lr=0.01)\n"
                "loss = model(x).sum()\nloss.backward()\n"),
        Invalid("import torch\nmodel = model.to(torch.float16)\nopt = torch.optim.SGD(model.parameters(), lr=0.01)\n"
                "model(x).mean().backward()\n"),
        # a GAN: two backward calls, two findings
        Invalid("import torch\nwith torch.autocast('cuda'):\n    d_loss = d(x).mean()\n    g_loss = -d(g(z)).mean()\n"
                "d_loss.backward(retain_graph=True)\ng_loss.backward()\n", count=2),
        Invalid("import torch\nclass Trainer:\n    def __init__(self, net):\n        self.net = net.half()\n"
                "        self.opt = torch.optim.SGD(self.net.parameters(), lr=0.1)\n"
                "    def step(self, loss):\n        loss.backward()\n        self.opt.step()\n"),
    ]
