"""The roles catalog rows map callables to. Rules ask about these, not about names."""

SOFTMAX = "softmax"
LOG_SOFTMAX = "log_softmax"
SIGMOID = "sigmoid"
LOG_SIGMOID = "log_sigmoid"
LOG = "log"

# Guards: operations that keep a value away from a bad domain.
CLAMP = "clamp"  # clamp/clip(x, min, max)
CLAMP_MIN = "clamp_min"  # clamp_min(x, min)
MAXIMUM = "maximum"  # maximum(x, eps)
EPSILON = "epsilon"  # K.epsilon(), a framework's machine epsilon
DIVIDE_NO_NAN = "divide_no_nan"
WHERE = "where"

# Elementwise and reductions shared by several rule families.
EXP = "exp"
SUM = "sum"
MEAN = "mean"
