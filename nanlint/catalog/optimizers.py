"""Optimisation and precision across frameworks: optimizers and their learning rates,
learning-rate schedules, recurrent layers, gradient clipping, loss scaling, autocast,
float16 dtypes and precision policies, and the calls that make a training step.

Optimizer rows say where the learning rate sits (``extra["lr"]``), the optimizer's
*family* (``extra["family"]``: the plausible learning-rate range of NAN301), a short
name users configure thresholds by (``extra["short"]``), and for optimizers whose
default epsilon rounds to 0 in float16 (NAN302) where ``eps`` sits and its default.
Schedule rows say which arguments hold the peak learning rate (``extra["peak"]``;
``extra["peak_list"]`` for a list of values) and, for torch schedules that overwrite
the optimizer's learning rate, where the optimizer is (``extra["optimizer"]``).
"""

from nanlint.catalog import FUNCTION, LAYER, METHOD, Api, Param
from nanlint.catalog.roles import (
    AUTOCAST,
    BACKWARD,
    CLI_ARGUMENT,
    CLI_DEFAULTS,
    CLI_FLAGS,
    CLI_PARSE,
    DTYPE_INFO,
    FLOAT16,
    FLOAT16_CAST,
    GRAD_CLIP,
    LOSS_SCALING,
    LR_SCHEDULE,
    OPTIMIZER,
    OPTIMIZER_STEP,
    PARAMETERS,
    PRECISION_POLICY,
    RECURRENT,
)

# Optimizer families (RULES.md, NAN301): each has a default largest plausible learning rate.
ADAPTIVE = "adaptive"
SGD_FAMILY = "sgd"
ADADELTA = "adadelta"
NO_RANGE = "none"  # LBFGS, Rprop, Ftrl, Adafactor, LARS: no range, only lr <= 0 is wrong

MAX_LR = {ADAPTIVE: 0.01, SGD_FAMILY: 1.0, ADADELTA: 10.0}
# What the message says a family usually trains at.
TYPICAL_LR = {ADAPTIVE: "1e-4 to 1e-3", SGD_FAMILY: "1e-3 to 0.1", ADADELTA: "about 1.0"}
FAMILY_NAMES = {ADAPTIVE: "adaptive optimizers", SGD_FAMILY: "SGD-family optimizers", ADADELTA: "Adadelta"}

# Keywords that switch on gradient clipping wherever they appear (Keras optimizers,
# Lightning's Trainer, Hugging Face's TrainingArguments, config objects).
CLIP_KEYWORDS = frozenset({
    "clipnorm", "clipvalue", "global_clipnorm", "gradient_clip_val", "max_grad_norm", "grad_clip",
    "clip_grad", "clip_grad_norm", "gradient_clipping", "clip_norm",
})

# Normalizations that apply their ``eps`` in float32 even to float16 input (their kernels
# accumulate in float32; checked with torch 2.x, keras 3 upcasts explicitly): a tiny
# ``eps=`` there is not rounded to 0 (NAN302). BatchNorm and InstanceNorm in torch are not
# among them: with float16 input and ``eps=1e-12`` they return nan.
FLOAT32_EPS_CALLS = frozenset({
    "torch.nn.LayerNorm", "torch.nn.GroupNorm", "torch.nn.RMSNorm", "torch.nn.functional.layer_norm",
    "torch.nn.functional.group_norm", "torch.nn.functional.rms_norm", "keras.layers.BatchNormalization",
    "keras.layers.GroupNormalization",
})

# Strings naming float16 computation as a dtype or a Keras policy.
FLOAT16_STRINGS = frozenset({"float16", "half", "fp16"})
MIXED_FLOAT16 = "mixed_float16"


def _optimizer(name, framework, family, short, lr, eps=None, eps_default=None):
    extra = {"lr": lr, "family": family, "short": short}
    if eps is not None:
        extra["eps"] = eps
        extra["eps_default"] = eps_default
    first = Param("params", 0) if lr.position == 1 else None
    return Api(name, OPTIMIZER, framework, kind=FUNCTION, input=first, extra=extra)


_TORCH_LR = Param("lr", 1)
_KERAS_LR = Param("learning_rate", 0, aliases=("lr",))
_TF1_LR = Param("learning_rate", 0)
_OPTAX_LR = Param("learning_rate", 0)
_JAX_LR = Param("step_size", 0)

ROWS = [
    # torch.optim: (params, lr, ...)
    _optimizer("torch.optim.Adam", "torch", ADAPTIVE, "adam", _TORCH_LR, Param("eps", 3), 1e-8),
    _optimizer("torch.optim.AdamW", "torch", ADAPTIVE, "adamw", _TORCH_LR, Param("eps", 3), 1e-8),
    _optimizer("torch.optim.Adamax", "torch", ADAPTIVE, "adamax", _TORCH_LR, Param("eps", 3), 1e-8),
    _optimizer("torch.optim.NAdam", "torch", ADAPTIVE, "nadam", _TORCH_LR, Param("eps", 3), 1e-8),
    _optimizer("torch.optim.RAdam", "torch", ADAPTIVE, "radam", _TORCH_LR, Param("eps", 3), 1e-8),
    _optimizer("torch.optim.SparseAdam", "torch", ADAPTIVE, "sparseadam", _TORCH_LR, Param("eps", 3), 1e-8),
    _optimizer("torch.optim.RMSprop", "torch", ADAPTIVE, "rmsprop", _TORCH_LR, Param("eps", 3), 1e-8),
    _optimizer("torch.optim.Adagrad", "torch", ADAPTIVE, "adagrad", _TORCH_LR, Param("eps", 5), 1e-10),
    _optimizer("torch.optim.Adadelta", "torch", ADADELTA, "adadelta", _TORCH_LR, Param("eps", 3), 1e-6),
    _optimizer("torch.optim.SGD", "torch", SGD_FAMILY, "sgd", _TORCH_LR),
    _optimizer("torch.optim.ASGD", "torch", SGD_FAMILY, "asgd", _TORCH_LR),
    _optimizer("torch.optim.LBFGS", "torch", NO_RANGE, "lbfgs", _TORCH_LR),
    _optimizer("torch.optim.Rprop", "torch", NO_RANGE, "rprop", _TORCH_LR),
    _optimizer("torch.optim.Adafactor", "torch", NO_RANGE, "adafactor", _TORCH_LR),
    # TF1 tf.train (tf.compat.v1.train folds here): (learning_rate, ...)
    _optimizer("tensorflow.train.GradientDescentOptimizer", "tensorflow", SGD_FAMILY, "sgd", _TF1_LR),
    _optimizer("tensorflow.train.MomentumOptimizer", "tensorflow", SGD_FAMILY, "momentum", _TF1_LR),
    _optimizer("tensorflow.train.ProximalGradientDescentOptimizer", "tensorflow", SGD_FAMILY, "sgd", _TF1_LR),
    _optimizer("tensorflow.train.AdamOptimizer", "tensorflow", ADAPTIVE, "adam", _TF1_LR,
               Param("epsilon", 3), 1e-8),
    _optimizer("tensorflow.train.RMSPropOptimizer", "tensorflow", ADAPTIVE, "rmsprop", _TF1_LR,
               Param("epsilon", 4), 1e-10),
    _optimizer("tensorflow.train.AdagradOptimizer", "tensorflow", ADAPTIVE, "adagrad", _TF1_LR),
    _optimizer("tensorflow.train.ProximalAdagradOptimizer", "tensorflow", ADAPTIVE, "adagrad", _TF1_LR),
    _optimizer("tensorflow.train.AdagradDAOptimizer", "tensorflow", ADAPTIVE, "adagrad", _TF1_LR),
    _optimizer("tensorflow.train.AdadeltaOptimizer", "tensorflow", ADADELTA, "adadelta", _TF1_LR,
               Param("epsilon", 2), 1e-8),
    _optimizer("tensorflow.train.FtrlOptimizer", "tensorflow", NO_RANGE, "ftrl", _TF1_LR),
    # optax: (learning_rate, ...)
    *(_optimizer(f"optax.{name}", "jax", ADAPTIVE, name, _OPTAX_LR) for name in (
        "adam", "adamw", "adamax", "adamaxw", "nadam", "nadamw", "radam", "amsgrad", "adabelief", "adagrad",
        "rmsprop", "yogi", "novograd", "lamb", "lion", "adan", "sm3")),
    _optimizer("optax.sgd", "jax", SGD_FAMILY, "sgd", _OPTAX_LR),
    _optimizer("optax.noisy_sgd", "jax", SGD_FAMILY, "sgd", _OPTAX_LR),
    _optimizer("optax.adadelta", "jax", ADADELTA, "adadelta", _OPTAX_LR),
    _optimizer("optax.lars", "jax", NO_RANGE, "lars", _OPTAX_LR),
    _optimizer("optax.adafactor", "jax", NO_RANGE, "adafactor", _OPTAX_LR),
    _optimizer("optax.fromage", "jax", NO_RANGE, "fromage", _OPTAX_LR),
    # jax.example_libraries.optimizers: (step_size, ...)
    *(_optimizer(f"jax.example_libraries.optimizers.{name}", "jax", ADAPTIVE, name, _JAX_LR)
      for name in ("adam", "adamax", "adagrad", "rmsprop", "rmsprop_momentum", "sm3")),
    *(_optimizer(f"jax.example_libraries.optimizers.{name}", "jax", SGD_FAMILY, "sgd", _JAX_LR)
      for name in ("sgd", "momentum", "nesterov")),
]

# Keras 2/3 and tf.keras (folded to ``keras.``), also the legacy/experimental namespaces
# and TF2's ``tf.optimizers``: (learning_rate, ...), legacy keyword ``lr``. Keras Adam's
# default epsilon is 1e-7, representable in float16 as a subnormal: no eps rows here.
_KERAS = (
    ("Adam", ADAPTIVE), ("AdamW", ADAPTIVE), ("Adamax", ADAPTIVE), ("Nadam", ADAPTIVE), ("RMSprop", ADAPTIVE),
    ("Adagrad", ADAPTIVE), ("Lion", ADAPTIVE), ("Lamb", ADAPTIVE), ("Adadelta", ADADELTA), ("SGD", SGD_FAMILY),
    ("Ftrl", NO_RANGE), ("Adafactor", NO_RANGE),
)
for _prefix in ("keras.optimizers", "keras.optimizers.legacy", "keras.optimizers.experimental",
                "tensorflow.optimizers"):
    for _name, _family in _KERAS:
        ROWS.append(_optimizer(f"{_prefix}.{_name}", "keras", _family, _name.lower(), _KERAS_LR))


def _schedule(name, framework, peak, optimizer=None, peak_list=None):
    extra = {"peak": peak}
    if optimizer is not None:
        extra["optimizer"] = optimizer
    if peak_list is not None:
        extra["peak_list"] = peak_list
    return Api(name, LR_SCHEDULE, framework, kind=FUNCTION, input=None, extra=extra)


_INITIAL = Param("initial_learning_rate", 0)
_TF1_INITIAL = Param("learning_rate", 0)
_INIT_VALUE = Param("init_value", 0)

ROWS += [
    # torch schedules that set the optimizer's learning rate themselves
    _schedule("torch.optim.lr_scheduler.OneCycleLR", "torch", (Param("max_lr", 1),), Param("optimizer", 0)),
    _schedule("torch.optim.lr_scheduler.CyclicLR", "torch", (Param("max_lr", 2),), Param("optimizer", 0)),
    # Keras: the schedule's initial (or warm-up target) learning rate
    _schedule("keras.optimizers.schedules.ExponentialDecay", "keras", (_INITIAL,)),
    _schedule("keras.optimizers.schedules.InverseTimeDecay", "keras", (_INITIAL,)),
    _schedule("keras.optimizers.schedules.PolynomialDecay", "keras",
              (_INITIAL, Param("end_learning_rate", 2))),
    _schedule("keras.optimizers.schedules.CosineDecay", "keras", (_INITIAL, Param("warmup_target", 4))),
    _schedule("keras.optimizers.schedules.CosineDecayRestarts", "keras", (_INITIAL,)),
    _schedule("keras.optimizers.schedules.PiecewiseConstantDecay", "keras", (), peak_list=Param("values", 1)),
    # TF1: functions of the global step
    _schedule("tensorflow.train.exponential_decay", "tensorflow", (_TF1_INITIAL,)),
    _schedule("tensorflow.train.inverse_time_decay", "tensorflow", (_TF1_INITIAL,)),
    _schedule("tensorflow.train.natural_exp_decay", "tensorflow", (_TF1_INITIAL,)),
    _schedule("tensorflow.train.cosine_decay", "tensorflow", (_TF1_INITIAL,)),
    _schedule("tensorflow.train.polynomial_decay", "tensorflow",
              (_TF1_INITIAL, Param("end_learning_rate", 3))),
    _schedule("tensorflow.train.piecewise_constant", "tensorflow", (), peak_list=Param("values", 2)),
    # optax: a warm-up's peak is the largest value it reaches
    _schedule("optax.constant_schedule", "jax", (Param("value", 0),)),
    _schedule("optax.exponential_decay", "jax", (_INIT_VALUE,)),
    _schedule("optax.cosine_decay_schedule", "jax", (_INIT_VALUE,)),
    _schedule("optax.piecewise_constant_schedule", "jax", (_INIT_VALUE,)),
    _schedule("optax.linear_schedule", "jax", (_INIT_VALUE, Param("end_value", 1))),
    _schedule("optax.polynomial_schedule", "jax", (_INIT_VALUE, Param("end_value", 1))),
    _schedule("optax.warmup_cosine_decay_schedule", "jax", (_INIT_VALUE, Param("peak_value", 1))),
    _schedule("optax.warmup_exponential_decay_schedule", "jax", (_INIT_VALUE, Param("peak_value", 1))),
    _schedule("optax.cosine_onecycle_schedule", "jax", (Param("peak_value", 1),)),
    _schedule("optax.linear_onecycle_schedule", "jax", (Param("peak_value", 1),)),
]


# Recurrent layers (NAN303): their construction is where the finding goes; ``clip`` is how
# that framework clips gradients, for the message.
_CLIP = {
    "torch": "`torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)` after `backward()`",
    "keras": "`clipnorm=1.0` on the optimizer",
    "tensorflow": "`tf.clip_by_global_norm(grads, 5.0)` before applying them",
    "jax": "`optax.chain(optax.clip_by_global_norm(1.0), ...)`",
}


def _recurrent(name, framework):
    return Api(name, RECURRENT, framework, kind=LAYER, input=None, extra={"clip": _CLIP[framework]})


ROWS += [_recurrent(f"torch.nn.{name}", "torch") for name in ("LSTM", "GRU", "RNN", "LSTMCell", "GRUCell", "RNNCell")]
ROWS += [_recurrent(f"keras.layers.{name}", "keras")
         for name in ("LSTM", "GRU", "SimpleRNN", "LSTMCell", "GRUCell", "SimpleRNNCell", "ConvLSTM1D",
                      "ConvLSTM2D", "ConvLSTM3D", "CuDNNLSTM", "CuDNNGRU")]
ROWS += [_recurrent(f"tensorflow.nn.rnn_cell.{name}", "tensorflow")
         for name in ("BasicLSTMCell", "LSTMCell", "GRUCell", "BasicRNNCell")]
ROWS += [_recurrent(f"flax.linen.{name}", "jax") for name in ("LSTMCell", "OptimizedLSTMCell", "GRUCell")]


def _function(name, role, framework, **extra):
    return Api(name, role, framework, kind=FUNCTION, input=None, extra=extra)


ROWS += [
    # Gradient clipping (NAN303). Keyword switches are in CLIP_KEYWORDS.
    *(_function(f"torch.nn.utils.{name}", GRAD_CLIP, "torch")
      for name in ("clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "clip_grads_with_norm_")),
    Api("clip_grad_norm_", GRAD_CLIP, "torch", kind=METHOD, input=None),  # accelerator / FSDP
    Api("clip_grad_value_", GRAD_CLIP, "torch", kind=METHOD, input=None),
    _function("tensorflow.clip_by_global_norm", GRAD_CLIP, "tensorflow"),
    _function("tensorflow.clip_by_norm", GRAD_CLIP, "tensorflow"),
    _function("optax.clip_by_global_norm", GRAD_CLIP, "jax"),
    _function("optax.clip", GRAD_CLIP, "jax"),
    _function("optax.clip_by_block_rms", GRAD_CLIP, "jax"),
    _function("optax.adaptive_grad_clip", GRAD_CLIP, "jax"),
    _function("theano.gradient.grad_clip", GRAD_CLIP, "theano"),
    # Loss scaling (NAN304): a GradScaler, or a wrapper that scales the loss itself.
    *(_function(name, LOSS_SCALING, "torch") for name in (
        "torch.cuda.amp.GradScaler", "torch.amp.GradScaler", "torch.cpu.amp.GradScaler", "torch.GradScaler",
        "torch.cuda.amp.grad_scaler.GradScaler", "torch.amp.grad_scaler.GradScaler",
        "torch.distributed.fsdp.sharded_grad_scaler.ShardedGradScaler", "apex.amp.initialize",
        "apex.amp.scale_loss", "apex.fp16_utils.FP16_Optimizer", "accelerate.Accelerator", "deepspeed.initialize",
        "lightning.Trainer", "pytorch_lightning.Trainer", "lightning.pytorch.Trainer", "lightning.Fabric")),
    _function("keras.mixed_precision.LossScaleOptimizer", LOSS_SCALING, "keras"),
    # ``scaler.scale(loss).backward()`` with a scaler made elsewhere (passed in, or a helper's)
    Api("scale", LOSS_SCALING, "torch", kind=METHOD, input=None, max_args=1),
    # Autocast: the dtype it computes in when none is given, by device type.
    _function("torch.autocast", AUTOCAST, "torch", device=Param("device_type", 0), dtype=Param("dtype", 1),
              enabled=Param("enabled", 2), default={"cuda": "float16"}),
    _function("torch.amp.autocast", AUTOCAST, "torch", device=Param("device_type", 0), dtype=Param("dtype", 1),
              enabled=Param("enabled", 2), default={"cuda": "float16"}),
    _function("torch.cuda.amp.autocast", AUTOCAST, "torch", device=None, dtype=Param("dtype", 1),
              enabled=Param("enabled", 0), default={None: "float16"}),
    _function("torch.cpu.amp.autocast", AUTOCAST, "torch", device=None, dtype=Param("dtype", 1),
              enabled=Param("enabled", 0), default={None: "bfloat16"}),
    # float16 dtypes; bfloat16 is not one of them (it has float32's range).
    *(_function(name, FLOAT16, framework) for name, framework in (
        ("torch.float16", "torch"), ("torch.half", "torch"), ("torch.HalfTensor", "torch"),
        ("torch.cuda.HalfTensor", "torch"), ("numpy.float16", "numpy"), ("numpy.half", "numpy"),
        ("jax.numpy.float16", "jax"), ("tensorflow.float16", "tensorflow"), ("tensorflow.half", "tensorflow"),
        ("tensorflow.dtypes.float16", "tensorflow"))),
    Api("half", FLOAT16_CAST, "torch", kind=METHOD, input=None, max_args=0),
    # Precision policies: their first argument names the policy ("mixed_float16", "float16").
    *(_function(name, PRECISION_POLICY, "keras", policy=Param("policy", 0)) for name in (
        "keras.mixed_precision.set_global_policy", "keras.mixed_precision.Policy",
        "keras.mixed_precision.experimental.set_policy", "keras.mixed_precision.experimental.Policy",
        "keras.config.set_dtype_policy", "keras.mixed_precision.DTypePolicy", "keras.backend.set_floatx",
        "keras.config.set_floatx")),
    # A training step (NAN303): ``backward()`` with an optimizer ``step()``, or a call that
    # trains by itself (``extra["alone"]``).
    Api("backward", BACKWARD, "torch", kind=METHOD, input=None, max_args=1),
    Api("step", OPTIMIZER_STEP, "torch", kind=METHOD, input=None, max_args=1, extra={"alone": False}),
    *(Api(name, OPTIMIZER_STEP, "keras", kind=METHOD, input=None, extra={"alone": True})
      for name in ("fit", "fit_generator", "train_on_batch", "apply_gradients", "minimize")),
    _function("optax.apply_updates", OPTIMIZER_STEP, "jax", alone=True),
]

ROWS += [
    # What an optimizer updates (NAN302/NAN304: are these float16 parameters?).
    Api("parameters", PARAMETERS, "torch", kind=METHOD, input=None, max_args=1),
    # Reading a dtype's limits is not computing in it: ``torch.finfo(torch.float16).max``.
    *(_function(name, DTYPE_INFO, name.split(".")[0]) for name in (
        "torch.finfo", "torch.iinfo", "numpy.finfo", "numpy.iinfo", "jax.numpy.finfo", "jax.numpy.iinfo")),
    # Command-line defaults (NAN301 resolves ``args.lr`` to the default it parses to).
    Api("add_argument", CLI_ARGUMENT, "argparse", kind=METHOD, input=None,
        extra={"default": Param("default"), "dest": Param("dest"), "type": Param("type")}),
    *(_function(f"{module}.DEFINE_{kind}", CLI_ARGUMENT, "absl", flag=Param("name", 0), default=Param("default", 1))
      for module in ("absl.flags", "tensorflow.app.flags", "tensorflow.flags") for kind in ("float", "integer")),
    Api("set_defaults", CLI_DEFAULTS, "argparse", kind=METHOD, input=None),
    Api("parse_args", CLI_PARSE, "argparse", kind=METHOD, input=None),
    Api("parse_known_args", CLI_PARSE, "argparse", kind=METHOD, input=None),
    *(_function(f"{module}.FLAGS", CLI_FLAGS, "absl") for module in ("absl.flags", "tensorflow.app.flags",
                                                                     "tensorflow.flags")),
]

# Classes whose instances hold their fields' defaults (NAN301 reads ``cfg.lr``).
DATACLASS_DECORATORS = frozenset({"dataclasses.dataclass"})
NAMEDTUPLE_BASES = frozenset({"typing.NamedTuple"})
NAMEDTUPLE_FACTORIES = frozenset({"collections.namedtuple"})
# A tensor's gradient, as an attribute (``p.grad.data.clamp_(-1, 1)`` clips by hand).
GRADIENT_ATTRIBUTES = frozenset({"grad"})
