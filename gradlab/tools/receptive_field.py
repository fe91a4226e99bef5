"""Receptive fields, two ways: the closed-form recurrence over (kernel, stride, padding,
dilation) layer specs or a model's layers, and a measurement with autograd (the input pixels
whose gradient is non-zero for one output unit of a positive-weight copy of the model).

The recurrence (Dumoulin & Visin 2016; Araujo et al. 2019; source 003 "receptive field"), with
``k' = d (k - 1) + 1`` the dilated kernel and input pixels indexed 0..n-1:

* output size  ``n_out = floor((n_in + 2 p - k') / s) + 1`` (ceil for ``ceil_mode`` pools)
* jump         ``j_out = j_in s``                    (distance in input pixels between units)
* field size   ``r_out = r_in + (k' - 1) j_in``  (source 003: RF_n = RF_{n-1} + (k_n - 1) prod s)
* first centre ``c_out = c_in + ((k' - 1) / 2 - p) j_in``

starting from ``n_0 = input size, j_0 = 1, r_0 = 1, c_0 = 0``. Unit ``u`` of a layer is centred
on input pixel ``c + u j`` and sees ``[c + u j - (r - 1) / 2, c + u j + (r - 1) / 2]`` (clipped
to the image).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .. import backend, nn
from ..autograd import enable_grad, grad, no_grad, observe
from ..creation import from_numpy, ones
from ..tensor import Tensor
from .shapes import pool_output_size

__all__ = ["receptive_field", "measure_receptive_field", "RFLayer", "RFTable", "MeasuredRF"]


@dataclass(frozen=True)
class _Geom:
    """Per-axis (H, W) geometry of a feature map relative to the input image."""

    size: tuple
    jump: tuple
    rf: tuple
    start: tuple


def _collapse(v: tuple):
    return v[0] if v[0] == v[1] else v


@dataclass
class RFLayer:
    """One row of a receptive-field table; values are ints, or (H, W) pairs where the two axes
    differ. ``start`` is the input coordinate of the first unit's centre (may be x.5)."""

    name: str
    type: str
    kernel_size: int | tuple
    stride: int | tuple
    padding: int | tuple
    dilation: int | tuple
    output_size: int | tuple
    jump: int | tuple
    rf: int | tuple
    start: float | tuple
    _geom: _Geom | None = field(default=None, repr=False)
    _image: tuple | None = field(default=None, repr=False)

    def region(self, unit=None) -> tuple:
        """Input rows and columns ``((r0, r1), (c0, c1))`` (inclusive, clipped to the image)
        that unit ``(i, j)`` of this layer sees; default the central unit ``(n // 2, n // 2)``."""
        g = self._geom
        if unit is None:
            unit = tuple(n // 2 for n in g.size)
        if len(unit) != 2 or not all(0 <= u < n for u, n in zip(unit, g.size)):
            raise ValueError(f"RFLayer.region: unit {tuple(unit)} is outside the "
                             f"output of layer {self.name!r}, of size {g.size}")
        out = []
        for ax in range(2):
            centre = g.start[ax] + unit[ax] * g.jump[ax]
            lo = centre - (g.rf[ax] - 1) / 2
            hi = centre + (g.rf[ax] - 1) / 2
            out.append((max(int(round(lo)), 0), min(int(round(hi)), self._image[ax] - 1)))
        return tuple(out)


@dataclass
class RFTable:
    """Per-layer receptive-field table: ``.layers`` (list of :class:`RFLayer`); ``str()``
    prints it; ``table["conv5"]`` gets a row by name."""

    input_size: tuple
    layers: list

    def __getitem__(self, name: str) -> RFLayer:
        for r in self.layers:
            if r.name == name:
                return r
        raise KeyError(f"RFTable: no layer named {name!r} (layers: "
                       f"{', '.join(r.name for r in self.layers)})")

    def __str__(self) -> str:
        head = ("Layer", "Type", "k", "s", "p", "Output", "Jump", "RF", "Start")
        rows = []
        for r in self.layers:
            rows.append((r.name, r.type, _fmt(r.kernel_size), _fmt(r.stride), _fmt(r.padding),
                         _fmt(r.output_size), _fmt(r.jump), _fmt(r.rf), _fmt(r.start)))
        widths = [max([len(h)] + [len(x[i]) for x in rows]) for i, h in enumerate(head)]

        def line(cells):
            return "  ".join([cells[0].ljust(widths[0]), cells[1].ljust(widths[1])]
                             + [c.rjust(w) for c, w in zip(cells[2:], widths[2:])])

        h, w = self.input_size
        return "\n".join([f"receptive fields for a {h}x{w} input", line(head),
                          "-" * len(line(head))] + [line(x) for x in rows])


def _fmt(v) -> str:
    if isinstance(v, tuple):
        return "(" + ", ".join(_fmt(x) for x in v) + ")"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _pair(v) -> tuple:
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _step(fn: str, g: _Geom, k, s, p, d, ceil_mode: bool, pool: bool) -> _Geom:
    """The recurrence for one layer on both axes."""
    size, jump, rf, start = [], [], [], []
    for ax in range(2):
        keff = d[ax] * (k[ax] - 1) + 1
        if pool:
            n = pool_output_size(g.size[ax], k[ax], s[ax], p[ax], d[ax], ceil_mode)
        else:
            span = g.size[ax] + 2 * p[ax] - keff
            if span < 0:
                raise ValueError(f"{fn}: kernel {k[ax]} (dilated {keff}) is larger than the "
                                 f"padded input {g.size[ax]} + 2 x {p[ax]}")
            n = span // s[ax] + 1
        size.append(n)
        jump.append(g.jump[ax] * s[ax])
        rf.append(g.rf[ax] + (keff - 1) * g.jump[ax])
        c = g.start[ax] + ((keff - 1) / 2 - p[ax]) * g.jump[ax]
        start.append(int(c) if float(c).is_integer() else c)
    return _Geom(tuple(size), tuple(jump), tuple(rf), tuple(start))


def _row(name, type_, k, s, p, d, g: _Geom, image: tuple) -> RFLayer:
    return RFLayer(name, type_, _collapse(k), _collapse(s), _collapse(p), _collapse(d),
                   _collapse(g.size), _collapse(g.jump), _collapse(g.rf), _collapse(g.start),
                   g, image)


def _layer_spec(m: nn.Module):
    """(kernel, stride, padding, dilation, ceil_mode, is_pool) of a geometric layer, or None."""
    if isinstance(m, nn.Conv2d):
        k, s, d = _pair(m.kernel_size), _pair(m.stride), _pair(m.dilation)
        if isinstance(m.padding, str):
            # 'same' pads d (k - 1) in total, the smaller half first; 'valid' pads nothing
            p = tuple((dd * (kk - 1)) // 2 for kk, dd in zip(k, d)) if m.padding == "same" \
                else (0, 0)
        else:
            p = _pair(m.padding)
        return k, s, p, d, False, False
    if isinstance(m, nn.MaxPool2d):
        return (_pair(m.kernel_size), _pair(m.stride), _pair(m.padding), _pair(m.dilation),
                m.ceil_mode, True)
    if isinstance(m, nn.AvgPool2d):
        return (_pair(m.kernel_size), _pair(m.stride), _pair(m.padding), (1, 1), m.ceil_mode,
                True)
    if isinstance(m, nn.StochasticPool2d):
        return _pair(m.kernel_size), _pair(m.stride), (0, 0), (1, 1), False, True
    return None


def _image_size(fn: str, input_size) -> tuple:
    size = _pair(input_size)
    if len(size) != 2 or not all(isinstance(v, (int, np.integer)) and v >= 1 for v in size):
        raise ValueError(f"{fn}: input_size must be a positive int or an (H, W) pair, got "
                         f"{input_size!r}")
    return tuple(int(v) for v in size)


def _in_channels(fn: str, model: nn.Module, in_channels) -> int:
    if in_channels is not None:
        return in_channels
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            return m.in_channels
    raise ValueError(f"{fn}: {type(model).__name__} has no Conv2d to take the input channels "
                     "from; pass in_channels=")


def receptive_field(model_or_specs, input_size, names: Sequence[str] | None = None,
                    in_channels: int | None = None) -> RFTable:
    """Per-layer table of output size, jump (cumulative stride), receptive-field size and the
    centre of the first unit, by the recurrence in the module docstring.

    ``model_or_specs`` is a list of ``(kernel, stride, padding[, dilation])`` tuples (source 003's
    ``[filter size, stride, padding]``; ``names`` labels them), or a Module: one forward pass
    on ones of shape ``(1, in_channels, H, W)`` (channels taken from the first Conv2d) records
    every Conv2d, MaxPool2d, AvgPool2d and StochasticPool2d call in forward order, following
    the data flow (residual branches merge, taking the larger field). Rows end where the
    spatial layout ends (Flatten, Linear, adaptive pools); geometric layers must be modules
    (a functional ``F.conv2d`` inside ``forward`` is not seen).

    Shape: ``input_size`` is ``N`` (square) or ``(H, W)``.
    """
    fn = "receptive_field"
    image = _image_size(fn, input_size)
    base = _Geom(image, (1, 1), (1, 1), (0, 0))
    if isinstance(model_or_specs, nn.Module):
        return _from_model(fn, model_or_specs, image, base, in_channels)
    specs = list(model_or_specs)
    if names is not None and len(names) != len(specs):
        raise ValueError(f"{fn}: {len(names)} names for {len(specs)} layer specs")
    rows, g = [], base
    for i, spec in enumerate(specs):
        if not isinstance(spec, (tuple, list)) or len(spec) not in (3, 4):
            raise ValueError(f"{fn}: layer spec {i} must be (kernel, stride, padding[, "
                             f"dilation]), got {spec!r}")
        k, s, p = _pair(spec[0]), _pair(spec[1]), _pair(spec[2])
        d = _pair(spec[3]) if len(spec) == 4 else (1, 1)
        if min(k + s + d) < 1 or min(p) < 0:
            raise ValueError(f"{fn}: layer spec {i} {tuple(spec)} needs kernel, stride, "
                             "dilation >= 1 and padding >= 0")
        g = _step(fn, g, k, s, p, d, False, False)
        rows.append(_row(names[i] if names is not None else f"layer{i + 1}", "spec", k, s, p,
                         d, g, image))
    return RFTable(image, rows)


def _from_model(fn: str, model: nn.Module, image: tuple, base: _Geom,
                in_channels) -> RFTable:
    c = _in_channels(fn, model, in_channels)
    geoms: dict[int, tuple] = {}  # id(tensor) -> (tensor, geometry or None); keeps ids unique
    rows: list[RFLayer] = []
    names = {id(m): n for n, m in model.named_modules()}

    def spatial(t) -> tuple | None:
        return tuple(t.shape[-2:]) if isinstance(t, Tensor) and t.dim() == 4 else None

    def merged(ts) -> _Geom | None:
        known = [geoms[id(t)][1] for t in ts if isinstance(t, Tensor) and id(t) in geoms]
        known = [g for g in known if g is not None]
        return max(known, key=lambda g: g.rf) if known else None

    def on_apply(cls, args, kwargs, results):
        g = merged(list(args) + list(kwargs.values()))
        for t in results:
            if isinstance(t, Tensor):
                keep = g is not None and spatial(t) == g.size
                geoms[id(t)] = (t, g if keep else None)

    def post_hook(module, args, output):
        spec = _layer_spec(module)
        if spec is None or not isinstance(output, Tensor):
            return
        x = args[0] if args else None
        g = merged([x])
        if g is None or spatial(x) != g.size:
            geoms[id(output)] = (output, None)
            return
        k, s, p, d, ceil_mode, pool = spec
        g = _step(fn, g, k, s, p, d, ceil_mode, pool)
        geoms[id(output)] = (output, g if spatial(output) == g.size else None)
        if geoms[id(output)][1] is not None:
            rows.append(_row(names.get(id(module), type(module).__name__),
                             type(module).__name__, k, s, p, d, g, image))

    x = ones(1, c, *image)
    geoms[id(x)] = (x, base)
    handles = [m.register_forward_hook(post_hook) for m in model.modules()
               if _layer_spec(m) is not None]
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with no_grad(), observe(on_apply):
            _forward(fn, model, x)
    finally:
        for h in handles:
            h.remove()
        for m, mode in modes:
            m.training = mode
    return RFTable(image, rows)


class _Done(Exception):
    """Stops a forward pass once every layer to measure has run."""


def _forward(fn: str, model: nn.Module, x: Tensor) -> None:
    try:
        model(x)
    except _Done:
        raise
    except Exception as exc:
        raise RuntimeError(f"{fn}: the forward pass of {type(model).__name__} failed on an input "
                           f"of shape {tuple(x.shape)} (give a size the model accepts, or pass "
                           f"its convolutional part, e.g. model.features): {exc}") from exc


# ---------------------------------------------------------------------- measured with autograd

@dataclass
class MeasuredRF:
    """The input region (inclusive rows ``(r0, r1)``, columns ``(c0, c1)``) whose gradient is
    non-zero for output unit ``unit`` of layer ``name``; ``size`` = its height and width."""

    name: str
    unit: tuple
    rows: tuple
    cols: tuple

    @property
    def region(self) -> tuple:
        return self.rows, self.cols

    @property
    def size(self) -> tuple:
        return self.rows[1] - self.rows[0] + 1, self.cols[1] - self.cols[0] + 1


def _positive_copy(model: nn.Module) -> nn.Module:
    """float64 copy in eval mode with weights 1 / fan_in (1 for 1-D scales), biases 0,
    BatchNorm statistics (0, 1), and max pools replaced by average pools of the same geometry
    (a max pool sends the gradient to one pixel of its window; an average pool to all, which
    is what a receptive field counts)."""
    # tensors refuse pickling, so deepcopy is handed the new parameters and buffers, made
    # directly in float64 (no copy of the trained values is needed)
    memo: dict = {}
    for name, prm in model.named_parameters():
        if name.rsplit(".", 1)[-1].startswith("bias"):
            value = 0.0
        elif prm.dim() >= 2:
            value = 1.0 / int(np.prod(prm.shape[1:]))
        else:
            value = 1.0
        # no weight gradients: only the input's is measured
        memo[id(prm)] = nn.Parameter(from_numpy(np.full(prm.shape, value)), requires_grad=False)
    for mod in model.modules():
        for bname, buf in mod._buffers.items():
            if buf is None:
                continue
            arr = buf.array.copy()
            if np.issubdtype(arr.dtype, np.floating):
                # BatchNorm statistics (0, 1): eval-mode BN is then x / sqrt(1 + eps)
                fill = 1.0 if bname == "running_var" else 0.0
                arr = np.full(arr.shape, fill)
            memo[id(buf)] = from_numpy(arr)
    try:
        m = copy.deepcopy(model, memo).eval()
    except TypeError as exc:
        raise TypeError(f"measure_receptive_field: cannot copy {type(model).__name__} (a tensor "
                        f"that is neither a parameter nor a buffer?): {exc}") from None
    for parent in list(m.modules()):
        for cname, child in list(parent._modules.items()):
            if isinstance(child, nn.MaxPool2d) and _pair(child.dilation) == (1, 1):
                # in place: re-assigning the attribute would move it to the end of a
                # Sequential's order
                parent._modules[cname] = nn.AvgPool2d(child.kernel_size, child.stride,
                                                      child.padding, child.ceil_mode)
    return m


def measure_receptive_field(model: nn.Module, input_size, layers: Sequence[str] | None = None,
                            in_channels: int | None = None, units: dict | None = None) -> dict:
    """Receptive fields measured with autograd: for each layer, the input region whose
    gradient is non-zero for one output unit (default the central one, ``(n // 2, n // 2)``).

    Works on a float64 copy of ``model`` with positive weights (1 / fan_in), zero biases and
    max pools turned into average pools (see :func:`_positive_copy`), on an all-ones input of
    shape ``(1, in_channels, H, W)``; ``model`` itself is left alone. ``layers`` names the
    modules to measure (default: every Conv2d/pooling layer). Returns ``{name: MeasuredRF}``.
    An independent check of :func:`receptive_field` (they agree on the zoo; see the tests).

    Shape: ``input_size`` is ``N`` (square) or ``(H, W)``.
    """
    fn = "measure_receptive_field"
    image = _image_size(fn, input_size)
    c = _in_channels(fn, model, in_channels)
    m = _positive_copy(model)
    found = dict(m.named_modules())
    if layers is None:
        layers = [n for n, mod in found.items() if _layer_spec(mod) is not None
                  or isinstance(mod, nn.AvgPool2d)]
    missing = [n for n in layers if n not in found]
    if missing:
        raise ValueError(f"{fn}: no module named {', '.join(map(repr, missing))} in "
                         f"{type(model).__name__}")
    outputs: dict[str, Tensor] = {}
    handles = []
    for n in layers:
        def hook(mod, args, out, n=n):
            if n not in outputs:  # the first call of a module that is called twice
                outputs[n] = out
            if len(outputs) == len(layers):
                raise _Done  # the rest of the network (a classifier) is not needed
        handles.append(found[n].register_forward_hook(hook))
    x = ones(1, c, *image, dtype=backend.float64, requires_grad=True)
    try:
        with enable_grad():
            _forward(fn, m, x)
    except _Done:
        pass
    finally:
        for h in handles:
            h.remove()
    result = {}
    for n in layers:
        y = outputs.get(n)
        if y is None or not isinstance(y, Tensor) or y.dim() != 4:
            raise ValueError(f"{fn}: layer {n!r} gave no 4-D output (N, C, H, W) to measure")
        unit = tuple((units or {}).get(n, (y.shape[2] // 2, y.shape[3] // 2)))
        (g,) = grad(y[0, :, unit[0], unit[1]].sum(), x, retain_graph=True)
        hit = np.abs(g.array[0]).sum(axis=0) > 0
        rows, cols = np.nonzero(hit.any(axis=1))[0], np.nonzero(hit.any(axis=0))[0]
        result[n] = MeasuredRF(n, unit, (int(rows[0]), int(rows[-1])),
                               (int(cols[0]), int(cols[-1])))
    return result
