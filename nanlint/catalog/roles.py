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

# Division and roots (NAN201-NAN204): quantities that can be 0, roots, inverse cosines.
DIVIDE = "divide"  # divide(x, y): x / y
NORM = "norm"
STD = "std"
VAR = "var"
COUNT = "count"  # count_nonzero, bincount
ZEROS = "zeros"  # zeros, zeros_like: a tensor of 0
SQRT = "sqrt"
RSQRT = "rsqrt"
POW = "pow"
SQUARE = "square"
ABS = "abs"
ACOS = "acos"
ASIN = "asin"
COSINE_SIMILARITY = "cosine_similarity"
NORMALIZE = "normalize"  # F.normalize, tf.math.l2_normalize: x / max(norm(x), eps)
DOT = "dot"  # dot, matmul, inner: a sum of products
TOPK = "topk"  # returns (values, indices); the values are elements of the input
CREATE = "create"  # randn, arange, ones, full: a new tensor that needs no gradient
SAME_VALUES = "same_values"  # reshape, cast, expand: every value (and every 0) passes through
STOP_GRADIENT = "stop_gradient"  # detach, stop_gradient: values pass, no gradient flows back

# Data and labels (NAN401-NAN404): where training data comes from, what changes its
# dtype or scale, and where it reaches a model or a loss. Rows in catalog/data.py.
DATASET_LOAD = "dataset_load"  # keras.datasets.mnist.load_data(): ((x, y), (x, y))
IMAGE_READ = "image_read"  # raw 0-255 pixels: cv2.imread, read_image
IMAGE_OPEN = "image_open"  # a PIL image: raw pixels once made an array or tensor
TABULAR_READ = "tabular_read"  # pd.read_csv, np.genfromtxt: may hold nan
TO_ARRAY = "to_array"  # np.array, torch.tensor: the same values, maybe a new dtype
CAST = "cast"  # astype, tf.cast: to the dtype an argument names
CAST_FLOAT = "cast_float"  # .float(), .double()
CAST_INT = "cast_int"  # .long(), .int()
RANDINT = "randint"  # integers in [low, high)
CHOICE = "choice"  # np.random.choice([...])
ARANGE = "arange"  # np.arange, range
CONCAT = "concat"  # np.vstack, np.concatenate, torch.cat
ONE_HOT = "one_hot"  # to_categorical, tf.one_hot
ARGMAX = "argmax"  # class indices from scores
SCALE = "scale"  # a function that scales pixels: convert_image_dtype, preprocess_input
SCALING_LAYER = "scaling_layer"  # Rescaling, Normalization, ToTensor, Normalize, BatchNorm
RAW_TO_TENSOR = "raw_to_tensor"  # PILToTensor: a uint8 tensor, not scaled
COMPOSE = "compose"  # transforms.Compose([...])
SCALER = "scaler"  # StandardScaler(): its fit_transform/transform scale
IMPUTER = "imputer"  # SimpleImputer(): its fit_transform/transform fill nan
IMAGE_GENERATOR = "image_generator"  # ImageDataGenerator(rescale=...)
TRANSFORM_APPLY = "transform_apply"  # scaler.fit_transform(x), scaler.transform(x)
FLOW = "flow"  # generator.flow(x, y)
NAN_FILL = "nan_fill"  # dropna, fillna, nan_to_num
NAN_CHECK = "nan_check"  # np.isnan, df.isna(), check_numerics
SPLIT = "split"  # train_test_split(x, y) -> x_train, x_test, y_train, y_test
MODEL = "model"  # Sequential, Model, nn.Module, DNNClassifier, skorch wrappers
TRAINABLE_LAYER = "trainable_layer"  # Dense, Conv2D, nn.Linear
NEUTRAL_LAYER = "neutral_layer"  # Flatten, Dropout, pooling, activations: neither scale nor learn
CLASS_INDEX_LOSS = "class_index_loss"  # sparse CE, nn.CrossEntropyLoss, F.nll_loss
MODEL_FIT = "model_fit"  # model.fit / train_on_batch / evaluate / predict
MODEL_COMPILE = "model_compile"  # model.compile(loss=...)
MODEL_ADD = "model_add"  # model.add(layer)
TRAIN_STEP = "train_step"  # loss.backward(), tape.gradient, apply_gradients

# NAN3xx: optimisation and precision (catalog/optimizers.py).
OPTIMIZER = "optimizer"  # an optimizer constructor: extra lr/family/short (eps/eps_default)
LR_SCHEDULE = "lr_schedule"  # a learning-rate schedule: extra peak (peak_list, optimizer)
RECURRENT = "recurrent"  # a recurrent layer class
GRAD_CLIP = "grad_clip"  # gradient clipping
LOSS_SCALING = "loss_scaling"  # a GradScaler, or a wrapper that scales the loss
AUTOCAST = "autocast"  # a mixed-precision region: extra device/dtype/enabled/default
FLOAT16 = "float16"  # a float16 dtype
FLOAT16_CAST = "float16_cast"  # ``x.half()``
PRECISION_POLICY = "precision_policy"  # Keras dtype policies: extra policy
BACKWARD = "backward"  # ``loss.backward()``
OPTIMIZER_STEP = "optimizer_step"  # opt.step(), fit, apply_gradients: extra alone (trains by itself)
PARAMETERS = "parameters"  # model.parameters(): what an optimizer updates
DTYPE_INFO = "dtype_info"  # finfo/iinfo: reads a dtype's limits, computes nothing in it
CLI_ARGUMENT = "cli_argument"  # parser.add_argument, flags.DEFINE_float: extra default (dest/type/name)
CLI_PARSE = "cli_parse"  # parser.parse_args(): the namespace holding the defaults
CLI_FLAGS = "cli_flags"  # absl's FLAGS object
CLI_DEFAULTS = "cli_defaults"  # parser.set_defaults(lr=...): another default for a destination

# Log and exp rules (NAN103-NAN106, issue 3): rows in catalog/log_exp.py.
LOG_BASE = "log_base"  # log2 / log10: a log with no log_softmax counterpart
LOG1P = "log1p"
LOGSUMEXP = "logsumexp"
SOFTPLUS = "softplus"
RELU = "relu"  # relu, relu6: exactly 0 for every input <= 0
GATHER = "gather"  # picks elements by index: gather, take_along_axis, tf.gather
ACTIVATION_LAYER = "activation_layer"  # Dense(..., activation=...), Activation(...)
SEQUENTIAL = "sequential"  # a model whose output is its last layer's output
FUNCTIONAL_MODEL = "functional_model"  # keras.Model(inputs, outputs)
LOGIT_LOSS = "logit_loss"  # applies its own softmax/sigmoid: takes logits
PROBABILITY_LOSS = "probability_loss"  # takes probabilities and applies a log (BCELoss)
