"""Output-size calculators for convolution, transposed convolution and pooling, and the padding
that keeps a size (source 003 "feature-map size"; the formulas are PyTorch's, which these layers
follow).

Each function takes ints or per-dimension tuples (``size=(32, 28)``, ``kernel_size=3``) and
returns an int when every argument is an int, else a tuple.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["conv_output_size", "conv_transpose_output_size", "pool_output_size",
           "same_padding"]

IntOrSeq = int | Sequence[int]


def _broadcast(fn: str, **named) -> tuple[int, list[dict]]:
    """Per-dimension values of the named arguments: (number of dims, one dict per dim)."""
    n = None
    for v in named.values():
        if isinstance(v, (tuple, list)):
            if n is not None and len(v) != n:
                lens = {k: len(x) for k, x in named.items() if isinstance(x, (tuple, list))}
                raise ValueError(f"{fn}: per-dimension arguments disagree in length: {lens}")
            n = len(v)
    dims = 1 if n is None else n
    out = [{} for _ in range(dims)]
    for key, v in named.items():
        vals = list(v) if isinstance(v, (tuple, list)) else [v] * dims
        for i, x in enumerate(vals):
            if isinstance(x, bool) or not isinstance(x, int):
                raise TypeError(f"{fn}: {key} must be an int or a tuple of ints, got {v!r}")
            out[i][key] = x
    return (0 if n is None else n), out


def _result(n: int, values: list[int]):
    return values[0] if n == 0 else tuple(values)


def _check_positive(fn: str, d: dict, *keys: str) -> None:
    for k in keys:
        if d[k] < 1:
            raise ValueError(f"{fn}: {k} must be >= 1, got {d[k]}")


def conv_output_size(size: IntOrSeq, kernel_size: IntOrSeq, stride: IntOrSeq = 1,
                     padding: IntOrSeq | str = 0, dilation: IntOrSeq = 1):
    """Output size of a convolution (Conv1d/Conv2d, per spatial dimension).

    ``out = floor((size + 2 padding - dilation (kernel_size - 1) - 1) / stride) + 1``; with
    ``padding='same'`` (stride 1 only, as in PyTorch) ``out = size``, with ``'valid'``
    padding 0. Source 003: ``out = (input + 2 padding - kernel) / stride + 1``, rounded down.

    Shape: ``size`` is H (or (H, W)) of the input; the result is Ho (or (Ho, Wo)).
    Raises ValueError when the dilated kernel is larger than the padded input.
    """
    fn = "conv_output_size"
    if isinstance(padding, str):
        if padding == "valid":
            padding = 0
        elif padding == "same":
            n, dims = _broadcast(fn, size=size, kernel_size=kernel_size, stride=stride,
                                 dilation=dilation)
            for d in dims:
                _check_positive(fn, d, "kernel_size", "stride", "dilation")
                if d["stride"] != 1:
                    raise ValueError(f"{fn}: padding='same' is not supported for strided "
                                     f"convolutions (stride={stride}); use same_padding(..., "
                                     "size=...) for the padding that gives ceil(size / stride)")
            return _result(n, [d["size"] for d in dims])
        else:
            raise ValueError(f"{fn}: padding must be an int, a tuple, 'same' or 'valid', got "
                             f"{padding!r}")
    n, dims = _broadcast(fn, size=size, kernel_size=kernel_size, stride=stride,
                         padding=padding, dilation=dilation)
    out = []
    for d in dims:
        _check_positive(fn, d, "size", "kernel_size", "stride", "dilation")
        if d["padding"] < 0:
            raise ValueError(f"{fn}: padding must be >= 0, got {d['padding']}")
        span = d["size"] + 2 * d["padding"] - d["dilation"] * (d["kernel_size"] - 1) - 1
        if span < 0:
            raise ValueError(
                f"{fn}: kernel_size {d['kernel_size']} (dilation {d['dilation']}: effective "
                f"{d['dilation'] * (d['kernel_size'] - 1) + 1}) is larger than the padded input "
                f"{d['size']} + 2 x {d['padding']} = {d['size'] + 2 * d['padding']}")
        out.append(span // d["stride"] + 1)
    return _result(n, out)


def conv_transpose_output_size(size: IntOrSeq, kernel_size: IntOrSeq, stride: IntOrSeq = 1,
                               padding: IntOrSeq = 0, output_padding: IntOrSeq = 0,
                               dilation: IntOrSeq = 1):
    """Output size of a transposed convolution (ConvTranspose2d, per spatial dimension).

    ``out = (size - 1) stride - 2 padding + dilation (kernel_size - 1) + output_padding + 1``.
    Source 003: ``out = (in - 1) stride - 2 padding + kernel``. ``output_padding`` must be
    smaller than the stride or the dilation (PyTorch's rule).

    Shape: ``size`` is H (or (H, W)) of the input; the result is Ho (or (Ho, Wo)).
    """
    fn = "conv_transpose_output_size"
    n, dims = _broadcast(fn, size=size, kernel_size=kernel_size, stride=stride,
                         padding=padding, output_padding=output_padding, dilation=dilation)
    out = []
    for d in dims:
        _check_positive(fn, d, "size", "kernel_size", "stride", "dilation")
        if d["padding"] < 0 or d["output_padding"] < 0:
            raise ValueError(f"{fn}: padding and output_padding must be >= 0, got "
                             f"{d['padding']} and {d['output_padding']}")
        if d["output_padding"] >= max(d["stride"], d["dilation"]):
            raise ValueError(f"{fn}: output_padding ({d['output_padding']}) must be smaller "
                             f"than either stride ({d['stride']}) or dilation "
                             f"({d['dilation']})")
        o = ((d["size"] - 1) * d["stride"] - 2 * d["padding"]
             + d["dilation"] * (d["kernel_size"] - 1) + d["output_padding"] + 1)
        if o < 1:
            raise ValueError(f"{fn}: output size {o} is too small (size {d['size']}, kernel "
                             f"{d['kernel_size']}, stride {d['stride']}, padding "
                             f"{d['padding']}): reduce the padding")
        out.append(o)
    return _result(n, out)


def pool_output_size(size: IntOrSeq, kernel_size: IntOrSeq, stride: IntOrSeq | None = None,
                     padding: IntOrSeq = 0, dilation: IntOrSeq = 1, ceil_mode: bool = False):
    """Output size of max or average pooling (MaxPool2d/AvgPool2d, per spatial dimension).

    ``out = floor((size + 2 padding - dilation (kernel_size - 1) - 1) / stride) + 1``, or
    ``ceil(...) + 1`` with ``ceil_mode``; in ceil mode the last window must start inside the
    input or the left padding: if ``(out - 1) stride >= size + padding`` it is dropped
    (``out - 1``). ``stride`` defaults to ``kernel_size``; ``padding`` may be at most half the
    kernel. Source 003 writes ``(input - kernel) / stride + 1`` rounded up (Caffe's rule); PyTorch
    rounds down unless ``ceil_mode=True``.

    Shape: ``size`` is H (or (H, W)) of the input; the result is Ho (or (Ho, Wo)).
    """
    fn = "pool_output_size"
    if stride is None:
        stride = kernel_size
    n, dims = _broadcast(fn, size=size, kernel_size=kernel_size, stride=stride,
                         padding=padding, dilation=dilation)
    out = []
    for d in dims:
        _check_positive(fn, d, "size", "kernel_size", "stride", "dilation")
        k, s, p, dl = d["kernel_size"], d["stride"], d["padding"], d["dilation"]
        if p < 0 or p > k // 2:
            raise ValueError(f"{fn}: padding ({p}) must be between 0 and half the kernel size "
                             f"({k} // 2 = {k // 2})")
        span = d["size"] + 2 * p - dl * (k - 1) - 1
        o = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (o - 1) * s >= d["size"] + p:
            o -= 1
        if o < 1:  # ceil mode keeps one window that overhangs a too-small input
            raise ValueError(f"{fn}: kernel_size {k} (dilation {dl}: effective "
                             f"{dl * (k - 1) + 1}) is larger than the padded input "
                             f"{d['size']} + 2 x {p} = {d['size'] + 2 * p}")
        out.append(o)
    return _result(n, out)


def same_padding(kernel_size: IntOrSeq, stride: IntOrSeq = 1, dilation: IntOrSeq = 1,
                 size: IntOrSeq | None = None):
    """The padding that keeps the size: ``out = size`` at stride 1, ``out = ceil(size /
    stride)`` in general (TensorFlow's 'SAME').

    Total padding ``t = dilation (kernel_size - 1)`` at stride 1, else ``t = max((ceil(size /
    s) - 1) s + dilation (kernel_size - 1) + 1 - size, 0)`` (needs ``size``). Returns ``t / 2``
    per side (an int or a tuple of ints) when ``t`` is even; when some ``t`` is odd a tuple of
    ``(left, right)`` pairs per dimension with the extra pixel on the right, as PyTorch's
    ``padding='same'`` does (pass it to ``F.pad``). Source 003: ``(kernel - 1) / 2`` at stride 1.
    """
    fn = "same_padding"
    named = {"kernel_size": kernel_size, "stride": stride, "dilation": dilation}
    if size is not None:
        named["size"] = size
    n, dims = _broadcast(fn, **named)
    totals = []
    for d in dims:
        _check_positive(fn, d, "kernel_size", "stride", "dilation")
        eff = d["dilation"] * (d["kernel_size"] - 1) + 1
        if d["stride"] == 1:
            totals.append(eff - 1)
            continue
        if size is None:
            raise ValueError(f"{fn}: with stride {d['stride']} the padding depends on the input "
                             "size; pass size=")
        _check_positive(fn, d, "size")
        out = -(-d["size"] // d["stride"])
        totals.append(max((out - 1) * d["stride"] + eff - d["size"], 0))
    if all(t % 2 == 0 for t in totals):
        return _result(n, [t // 2 for t in totals])
    pairs = [(t // 2, t - t // 2) for t in totals]
    return pairs[0] if n == 0 else tuple(pairs)
