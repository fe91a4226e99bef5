"""Model summary like torchinfo: per layer name, type, output shape, parameters (trainable and
frozen), multiply-accumulates and activation memory, with totals; and source 003's cost
comparisons (two stacked 3x3 convs vs one 5x5, depthwise-separable vs standard conv).

The layers are found by running one forward pass with hooks on every module, so containers,
the zoo and any user Module work; rows come in call order (a container before its children).

MAC rules (one multiply-accumulate = one product added to a sum; FLOPs = 2 x MACs; bias adds
and elementwise nonlinearities are not counted):

* ``Linear``: ``output.numel() * in_features``
* ``Conv1d``/``Conv2d``: ``output.numel() * in_channels / groups * prod(kernel_size)``
* ``ConvTranspose2d``: ``input.numel() * out_channels / groups * prod(kernel_size)``
* ``RNN``/``LSTM``/``GRU``: ``gates * hidden * (input + hidden)`` per layer, direction, sample
  and time step (gates = 1, 4, 3); the cells: the same for one step
* BatchNorm, LayerNorm, GroupNorm, InstanceNorm: ``output.numel()`` (one scale per element)
* pooling, activations, dropout, embeddings, reshapes: 0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import backend, nn
from ..autograd import no_grad
from ..creation import as_tensor, zeros
from ..nn.rnn import RNNCellBase
from ..tensor import Tensor

__all__ = ["summary", "ModelSummary", "LayerRow", "conv_cost", "stacked_3x3_vs_5x5",
           "depthwise_separable_vs_standard"]


@dataclass
class LayerRow:
    """One call of one module during the summary's forward pass."""

    name: str  # dotted path from the model, e.g. "features.0"
    type: str  # class name, e.g. "Conv2d"
    depth: int  # 0 for the model itself, 1 for its children, ...
    output_shape: Any  # tuple for one output tensor, list of tuples for several, None for none
    params: int  # all parameters of the module (its sub-modules' included)
    trainable_params: int  # those with requires_grad
    macs: int  # multiply-accumulates of this call (a container: the sum over its children)
    activation_bytes: int  # bytes of the output tensors
    is_leaf: bool = True  # a module without sub-modules

    @property
    def frozen_params(self) -> int:
        return self.params - self.trainable_params


@dataclass
class ModelSummary:
    """The result of :func:`summary`; ``str()`` gives the table."""

    model_name: str
    layers: list[LayerRow]  # the rows up to ``depth`` (those the table shows)
    all_layers: list[LayerRow]  # every call, however deep
    total_params: int
    trainable_params: int
    total_macs: int
    activation_bytes: int  # outputs of the leaf modules, summed: the forward pass's memory
    param_bytes: int
    input_bytes: int
    input_shapes: list = field(default_factory=list)

    @property
    def frozen_params(self) -> int:
        return self.total_params - self.trainable_params

    def __str__(self) -> str:
        header = ("Layer (type)", "Output Shape", "Param #", "Trainable", "Mult-Adds",
                  "Act. bytes")
        body = []
        for r in self.layers:
            label = "  " * r.depth + (f"{r.name} ({r.type})" if r.name else r.type)
            body.append((label, _shape_str(r.output_shape), f"{r.params:,}",
                         f"{r.trainable_params:,}", f"{r.macs:,}", f"{r.activation_bytes:,}"))
        widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h)
                  for i, h in enumerate(header)]
        widths[0] = max(widths[0], 20)

        def line(cells):
            first = cells[0].ljust(widths[0])
            return "  ".join([first] + [c.rjust(w) for c, w in zip(cells[1:], widths[1:])])

        rule = "=" * len(line(header))
        out = [rule, line(header), rule] + [line(b) for b in body] + [rule]
        mb = 1024 ** 2
        out += [f"Total params: {self.total_params:,}",
                f"Trainable params: {self.trainable_params:,}",
                f"Non-trainable params: {self.frozen_params:,}",
                f"Total mult-adds: {self.total_macs:,} ({_si(self.total_macs)})",
                rule,
                f"Input size (MB): {self.input_bytes / mb:.2f}",
                f"Forward pass size (MB): {self.activation_bytes / mb:.2f}",
                f"Params size (MB): {self.param_bytes / mb:.2f}",
                f"Estimated total size (MB): "
                f"{(self.input_bytes + self.activation_bytes + self.param_bytes) / mb:.2f}",
                rule]
        return "\n".join(out)


def _si(n: float) -> str:
    for unit, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.2f} {unit}"
    return f"{n:g}"


def _shape_str(shape) -> str:
    if shape is None:
        return "--"
    if isinstance(shape, list):
        return "[" + ", ".join(_shape_str(s) for s in shape) + "]"
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _tensors(obj) -> list[Tensor]:
    """The tensors inside a module's output (tuples, lists, dicts, PackedSequence)."""
    if isinstance(obj, Tensor):
        return [obj]
    if isinstance(obj, dict):
        obj = list(obj.values())
    if isinstance(obj, (tuple, list)):
        return [t for o in obj for t in _tensors(o)]
    return []


def _first_tensor(args) -> Tensor | None:
    found = _tensors(args)
    return found[0] if found else None


def _rnn_steps(module: nn.RNNBase, x) -> int:
    """Samples x time steps that the recurrent layer processes."""
    from ..nn.utils.rnn import PackedSequence

    if isinstance(x, PackedSequence):
        return int(x.data.shape[0])  # one row per (sample, step) that is not padding
    if x is None:
        return 0
    shape = x.shape
    if len(shape) == 2:  # unbatched (L, H_in)
        return int(shape[0])
    return int(shape[0] * shape[1])


_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _macs(module: nn.Module, args: tuple, output) -> int:
    """Multiply-accumulates of one call, by the rules in the module docstring."""
    outs = _tensors(output)
    out = outs[0] if outs else None
    if isinstance(module, (nn.Linear, nn.CosineLinear)) and out is not None:
        return int(out.numel() * module.in_features)
    if isinstance(module, nn.ConvTranspose2d):
        x = _first_tensor(args)
        return int(x.numel() * module.out_channels // module.groups
                   * math.prod(module.kernel_size))
    if isinstance(module, (nn.Conv1d, nn.Conv2d)) and out is not None:
        return int(out.numel() * module.in_channels // module.groups
                   * math.prod(module.kernel_size))
    if isinstance(module, nn.RNNBase):
        x = args[0] if args else None
        gates = _GATES.get(module.mode, _GATES.get(type(module).__name__.upper(), 1))
        h = module.hidden_size
        dirs = 2 if module.bidirectional else 1
        per_step = 0
        for layer in range(module.num_layers):
            inp = module.input_size if layer == 0 else h * dirs
            per_step += dirs * gates * h * (inp + h)
        return int(per_step * _rnn_steps(module, x))
    if isinstance(module, RNNCellBase):
        x = _first_tensor(args)
        n = x.shape[0] if x.dim() == 2 else 1
        return int(n * module._gates * module.hidden_size
                   * (module.input_size + module.hidden_size))
    if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm, nn.GroupNorm,
                           nn.InstanceNorm2d)) and out is not None:
        return int(out.numel())
    return 0


def _count(params) -> tuple[int, int]:
    seen, total, trainable = set(), 0, 0
    for p in params:
        if id(p) in seen:
            continue
        seen.add(id(p))
        total += p.numel()
        trainable += p.numel() if p.requires_grad else 0
    return total, trainable


def _make_inputs(fn: str, input_size, dtypes) -> list[Tensor]:
    if isinstance(input_size, (int, np.integer)):
        raise ValueError(f"{fn}: input_size must be a shape with the batch dimension first, "
                         f"e.g. (1, 3, 32, 32), got {input_size!r}")
    sizes = list(input_size)
    multi = len(sizes) > 0 and all(isinstance(s, (tuple, list)) for s in sizes)
    if not multi:
        sizes = [tuple(sizes)]
    for s in sizes:
        if not all(isinstance(d, (int, np.integer)) and d >= 1 for d in s):
            raise ValueError(f"{fn}: input_size must hold positive integer dimensions "
                             f"(batch first), got {tuple(s)}")
    if dtypes is None:
        dtypes = [backend.get_default_dtype()] * len(sizes)
    elif not isinstance(dtypes, (list, tuple)):
        dtypes = [dtypes]
    if len(dtypes) != len(sizes):
        raise ValueError(f"{fn}: {len(dtypes)} dtypes for {len(sizes)} inputs")
    # zeros: valid token ids for an Embedding, and any float input runs the same layers
    return [zeros(*s, dtype=dt) for s, dt in zip(sizes, dtypes)]


def summary(model: nn.Module, input_size: Sequence | None = None, input_data: Any = None,
            dtypes: Sequence | None = None, depth: int = 3) -> ModelSummary:
    """Summarize ``model`` by running one forward pass (in eval mode, without gradients) on
    ``input_data`` or on zeros of ``input_size``, recording every module call.

    ``input_size`` includes the batch dimension, as torchinfo's: ``(1, 3, 32, 32)``; a list of
    shapes gives several positional inputs, with ``dtypes`` one per input (default float32;
    pass ``gradlab.int64`` for token ids). ``input_data`` is a Tensor or array, a list/tuple of
    them (positional arguments) or a dict (keyword arguments). ``depth`` limits the rows in
    ``.layers`` and the table (0: the model alone); totals always cover every layer.
    A container's row sums the MACs of the calls made inside it.

    Totals: ``total_params`` = sum of ``numel()`` over ``model.parameters()`` (shared ones
    once); ``total_macs`` = sum over all module calls of their own MACs (see the module
    docstring for the rules); ``activation_bytes`` = sum of the leaf modules' output bytes.

    Shape: any inputs the model accepts. Reference: source 003 (parameter count of a conv layer:
    C_in x K_w x K_h x C_out + C_out).
    """
    fn = "summary"
    if not isinstance(model, nn.Module):
        raise TypeError(f"{fn}: model must be a gradlab.nn.Module, got {type(model).__name__}")
    if (input_size is None) == (input_data is None):
        raise ValueError(f"{fn}: give exactly one of input_size and input_data")
    if not isinstance(depth, int) or depth < 0:
        raise ValueError(f"{fn}: depth must be an integer >= 0, got {depth!r}")
    kwargs: dict = {}
    if input_data is not None:
        if isinstance(input_data, dict):
            args, kwargs = [], {k: _as_input(v) for k, v in input_data.items()}
        elif isinstance(input_data, (list, tuple)):
            args = [_as_input(v) for v in input_data]
        else:
            args = [_as_input(input_data)]
    else:
        args = _make_inputs(fn, input_size, dtypes)

    rows: list[LayerRow] = []
    stack: list[int] = []  # indices into rows of the calls in progress
    parent: list[int] = []  # index of the enclosing call, -1 for the outermost
    own_macs: list[int] = []
    handles = []
    names = {}
    for name, m in model.named_modules():
        names.setdefault(id(m), name)

    def pre_hook(module, a):
        name = names[id(module)]
        total, trainable = _count(module.parameters())
        row = LayerRow(name=name, type=type(module).__name__,
                       depth=0 if name == "" else name.count(".") + 1, output_shape=None,
                       params=total, trainable_params=trainable, macs=0, activation_bytes=0,
                       is_leaf=not module._modules)
        parent.append(stack[-1] if stack else -1)
        own_macs.append(0)
        rows.append(row)
        stack.append(len(rows) - 1)

    def post_hook(module, a, output):
        i = stack.pop()
        row = rows[i]
        outs = _tensors(output)
        if outs:
            shapes = [tuple(int(d) for d in t.shape) for t in outs]
            row.output_shape = shapes[0] if len(shapes) == 1 else shapes
        row.activation_bytes = int(sum(t.numel() * t.array.itemsize for t in outs))
        own_macs[i] = _macs(module, a, output)
        row.macs = own_macs[i] + sum(rows[j].macs for j in range(i + 1, len(rows))
                                     if parent[j] == i)

    for m in model.modules():
        handles.append(m.register_forward_pre_hook(pre_hook))
        handles.append(m.register_forward_hook(post_hook))
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with no_grad():
            model(*args, **kwargs)
    except Exception as exc:
        shapes = [tuple(t.shape) for t in _tensors(list(args) + list(kwargs.values()))]
        raise RuntimeError(f"{fn}: the forward pass of {type(model).__name__} failed on inputs "
                           f"of shapes {shapes}: {exc}") from exc
    finally:
        for h in handles:
            h.remove()
        for m, mode in modes:
            m.training = mode

    total, trainable = _count(model.parameters())
    leaves = [r for r in rows if r.is_leaf]
    inputs = _tensors(list(args) + list(kwargs.values()))
    return ModelSummary(
        model_name=type(model).__name__,
        layers=[r for r in rows if r.depth <= depth],
        all_layers=rows,
        total_params=total,
        trainable_params=trainable,
        total_macs=int(sum(own_macs)),
        activation_bytes=int(sum(r.activation_bytes for r in leaves)),
        param_bytes=int(sum(p.numel() * p.array.itemsize for p in _unique(model.parameters()))),
        input_bytes=int(sum(t.numel() * t.array.itemsize for t in inputs)),
        input_shapes=[tuple(t.shape) for t in inputs])


def _unique(params):
    seen = set()
    for p in params:
        if id(p) not in seen:
            seen.add(id(p))
            yield p


def _as_input(v):
    if isinstance(v, Tensor):
        return v
    if isinstance(v, np.ndarray):
        return as_tensor(v)
    return v


# ---------------------------------------------------------------------- source 003's comparisons

def conv_cost(in_channels: int, out_channels: int, kernel_size: int, out_size: int | tuple,
              groups: int = 1, bias: bool = False) -> dict:
    """Parameters, multiply-accumulates and FLOPs of one conv layer for one image.

    ``params = C_in / groups x k x k x C_out (+ C_out)``; ``macs = H_out x W_out x C_out x
    C_in / groups x k x k``; ``flops = 2 x macs``. Reference: source 003, conv parameter count.
    """
    fn = "conv_cost"
    for what, v in (("in_channels", in_channels), ("out_channels", out_channels),
                    ("kernel_size", kernel_size), ("groups", groups)):
        if not isinstance(v, int) or v < 1:
            raise ValueError(f"{fn}: {what} must be a positive integer, got {v!r}")
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"{fn}: in_channels ({in_channels}) and out_channels ({out_channels}) "
                         f"must be divisible by groups ({groups})")
    h, w = (out_size, out_size) if isinstance(out_size, int) else tuple(out_size)
    weights = in_channels // groups * kernel_size * kernel_size * out_channels
    macs = h * w * weights
    return {"params": weights + (out_channels if bias else 0), "macs": macs, "flops": 2 * macs}


def stacked_3x3_vs_5x5(channels: int, size: int) -> dict:
    """Two stacked 3x3 convs (stride 1, padding 1) against one 5x5 conv (padding 2), both
    ``channels -> channels`` on a ``size x size`` map, no bias: the same 5x5 receptive field.

    ``params: 2 x 9 C^2`` vs ``25 C^2``, ratio ``2 x 9 / 25 = 0.72``; the MACs have the same
    ratio since both keep the map size. Reference: source 003, "VGG uses two 3x3 instead of 5x5".
    Returns ``{"stacked": conv_cost, "single": conv_cost, "params_ratio", "macs_ratio"}``.
    """
    two = conv_cost(channels, channels, 3, size)
    stacked = {k: 2 * v for k, v in two.items()}
    single = conv_cost(channels, channels, 5, size)
    return {"stacked": stacked, "single": single,
            "params_ratio": stacked["params"] / single["params"],
            "macs_ratio": stacked["macs"] / single["macs"]}


def depthwise_separable_vs_standard(in_channels: int, out_channels: int, kernel_size: int,
                                    size: int) -> dict:
    """A depthwise-separable conv (k x k depthwise with ``groups=C_in``, then 1x1 pointwise)
    against a standard k x k conv, ``C_in -> C_out`` on a ``size x size`` map ('same' padding,
    stride 1, no bias).

    ``params: C_in k^2 + C_in C_out`` vs ``C_in C_out k^2``, ratio ``1/C_out + 1/k^2``; the
    MACs have the same ratio. Reference: source 003 "model acceleration" (MobileNet, Xception).
    Returns ``{"separable": ..., "standard": ..., "params_ratio", "macs_ratio"}``.
    """
    dw = conv_cost(in_channels, in_channels, kernel_size, size, groups=in_channels)
    pw = conv_cost(in_channels, out_channels, 1, size)
    sep = {k: dw[k] + pw[k] for k in dw}
    std = conv_cost(in_channels, out_channels, kernel_size, size)
    return {"separable": sep, "standard": std,
            "params_ratio": sep["params"] / std["params"],
            "macs_ratio": sep["macs"] / std["macs"]}
