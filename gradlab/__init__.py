"""gradlab: a deep-learning library written from scratch on NumPy, with PyTorch's interface.

Every mechanism is implemented in readable Python, verified against PyTorch and by finite
differences. ``import gradlab as torch`` runs plain PyTorch code over the covered subset.
"""

from . import (
    accelerator,  # torch.accelerator: none here
    autograd,
    backend,
    backends,  # torch.backends.cudnn / cuda / mps switches, answered for the CPU
    cuda,  # torch.cuda as torch's CPU build answers it: is_available() is False
    linalg,  # torch.linalg's vector_norm
    multiprocessing,  # torch.multiprocessing: Python's, with tensors in shared memory
    nn,  # noqa: E402  (needs Tensor)
    onnx,  # gradlab.onnx.export, as torch.onnx.export (onnx itself is imported on use)
    optim,
    train,  # fit / evaluate / callbacks / training checkpoints (gradlab's own, not torch's)
    utils,  # torch.utils.data names (needs Tensor)
)
from ._device import device, get_default_device, set_default_device
from .autograd import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .backend import (
    Generator,
    bool_,
    default_generator,
    dtype,
    float16,
    float32,
    float64,
    get_default_dtype,
    get_num_threads,
    get_rng_state,
    initial_seed,
    int8,
    int16,
    int32,
    int64,
    manual_seed,
    set_default_dtype,
    set_num_threads,
    set_rng_state,
    uint8,
)
from .creation import (
    arange,
    as_tensor,
    bernoulli,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .functions import (
    abs,
    add,
    all,
    allclose,
    amax,
    amin,
    any,
    argmax,
    argmin,
    bmm,
    cat,
    chunk,
    clamp,
    clip,
    clone,
    concat,
    concatenate,
    cos,
    cumsum,
    div,
    divide,
    dot,
    eq,
    equal,
    exp,
    flatten,
    floor_divide,
    gather,
    ge,
    gt,
    index_select,
    is_tensor,
    isfinite,
    isinf,
    isnan,
    le,
    log,
    log1p,
    log_softmax,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    logsumexp,
    lt,
    masked_fill,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mm,
    mul,
    multinomial,
    narrow,
    ne,
    neg,
    norm,
    numel,
    permute,
    pow,
    prod,
    relu,
    reshape,
    roll,
    rsqrt,
    scatter_add,
    sigmoid,
    sign,
    sin,
    softmax,
    split,
    sqrt,
    squeeze,
    stack,
    std,
    sub,
    sum,
    t,
    tanh,
    transpose,
    tril,
    triu,
    true_divide,
    unbind,
    unflatten,
    unsqueeze,
    var,
    where,
)
from .io import load, save
from .tensor import Size, Tensor

__version__ = "0.1.0"

# PyTorch's dtype aliases
float = float32  # noqa: A001
double = float64
half = float16
long = int64
int = int32  # noqa: A001
short = int16
bool = bool_  # noqa: A001

#: Sub-packages that ``import gradlab`` does not load (they pull in more: datasets, matplotlib,
#: the lab's experiments) but that are reachable as attributes, as ``torch.utils`` is:
#: ``gradlab.models.resnet20()`` works after a plain ``import gradlab``.
_LAZY_SUBMODULES = frozenset({"compress", "datasets", "diagnose", "distributed", "distributions",
                              "lab", "models", "tools", "transforms", "vision"})


def __getattr__(name: str):
    if name in _LAZY_SUBMODULES:
        import importlib

        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module     # later lookups skip this function
        return module
    raise AttributeError(f"module 'gradlab' has no attribute {name!r}")


def __dir__() -> list:
    return sorted(set(globals()) | _LAZY_SUBMODULES)
