"""Op translation for shapes and indexing: reshape/view, permute, expand, indexing with ints,
slices, None, ... and one integer array, cat/stack, pad, index_select/gather, and the identity
ops of modules' backward hooks. Reshapes along the dynamic axes copy (``0``) or infer (``-1``)
those dims."""

from __future__ import annotations

import numpy as np

from ...nn.module import _HookInputs, _HookOutputs
from ...ops import shape as S
from .graph import Op
from .registry import maps

_INT64_MAX = np.iinfo(np.int64).max


# ---- shapes


@maps(S.Reshape, S.View)
def _reshape(op: Op) -> None:
    t1, t2 = op.py_pair(1)
    in1, in2 = op.in_shapes(0)
    target = []
    for j, (a, b) in enumerate(zip(t1, t2)):
        if a == b:
            target.append(int(a))
        elif j < len(in1) and in1[j] == a and in2[j] == b:
            target.append(0)  # copied from the input's dim j (a dynamic axis kept in place)
        else:
            target.append(-1)
    if target.count(-1) > 1:
        raise op.fail(f"reshape from {list(in1)} to {list(t1)} mixes several dynamic "
                      "dims; export with fewer dynamic_axes")
    if 0 in t1:
        raise op.fail(f"reshape to an empty shape {list(t1)}")
    op.emit("Reshape", [op.inp(0), op.g.ints(target, "shape")])


@maps(S.Permute)
def _permute(op: Op) -> None:
    op.emit("Transpose", [op.inp(0)], perm=[int(d) for d in op.py(1)])


@maps(S.Expand)
def _expand(op: Op) -> None:
    t1, t2 = op.py_pair(1)
    in1, in2 = op.in_shapes(0)
    lead = len(t1) - len(in1)
    target = []
    for j, (a, b) in enumerate(zip(t1, t2)):
        i = j - lead
        if i >= 0 and in1[i] == a and in2[i] == b:
            target.append(1)  # keeps the input's size, whatever it is at run time
        elif a == b:
            target.append(int(a))
        else:
            raise op.fail(f"expand of {list(in1)} to a size {list(t1)} that changes with the "
                          "input")
    op.emit("Expand", [op.inp(0), op.g.ints(target, "shape")])


@maps(S.Index)
def _index(op: Op) -> None:
    idx = op.py(1)
    shape = op.in_shapes(0)[0]
    ndim = len(shape)
    n_real = sum(1 for i in idx if i is not None and i is not Ellipsis)
    full = []
    for i in idx:
        if i is Ellipsis:
            full += [slice(None)] * (ndim - n_real)
        else:
            full.append(i)
    full += [slice(None)] * (ndim - sum(1 for i in full if i is not None))
    starts, ends, axes, steps = [], [], [], []
    squeeze, unsqueeze, gathers = [], [], []
    d = 0  # input dim
    kept = 0  # dims of the final result so far (Nones and dims that are not squeezed)
    for i in full:
        if i is None:
            unsqueeze.append(kept)
            kept += 1
            continue
        if isinstance(i, slice):
            if i != slice(None):
                st = 1 if i.step is None else int(i.step)
                if st <= 0:
                    raise op.fail(f"slice step {st} (only positive steps)")
                starts.append(0 if i.start is None else int(i.start))
                ends.append(_INT64_MAX if i.stop is None else int(i.stop))
                axes.append(d)
                steps.append(st)
        elif isinstance(i, (int, np.integer)):
            i = int(i)
            starts.append(i)
            ends.append(_INT64_MAX if i == -1 else i + 1)
            axes.append(d)
            steps.append(1)
            squeeze.append(d)
            kept -= 1
        elif isinstance(i, np.ndarray) and i.dtype.kind in "iu" and i.ndim == 1:
            gathers.append((d, i))
        else:
            raise op.fail(f"indexing with {type(i).__name__} {getattr(i, 'dtype', '')} "
                          "(supported: ints, slices, None, ..., one 1-D integer array)")
        d += 1
        kept += 1
    if gathers and (len(gathers) > 1 or unsqueeze):
        raise op.fail("indexing with more than one index array, or with arrays and None")
    g, x = op.g, op.inp(0)
    if axes:
        x = g.one("Slice", [x, g.ints(starts, "starts"), g.ints(ends, "ends"),
                            g.ints(axes, "axes"), g.ints(steps, "steps")])
    for d_, arr in gathers:
        x = g.one("Gather", [x, g.ints(arr, "indices")], axis=d_)
    if squeeze:
        x = g.squeeze(x, squeeze)
    if unsqueeze:
        x = g.unsqueeze(x, unsqueeze)
    op.emit("Identity", [x])


@maps(S.Cat)
def _cat(op: Op) -> None:
    n = len(op.r1.args)
    op.emit("Concat", [op.inp(k) for k in range(n)], axis=int(op.r1.kwargs["dim"]))


@maps(S.Stack)
def _stack(op: Op) -> None:
    n = len(op.r1.args)
    dim = int(op.r1.kwargs["dim"])
    op.emit("Concat", [op.g.unsqueeze(op.inp(k), [dim]) for k in range(n)], axis=dim)


@maps(S.Pad)
def _pad(op: Op) -> None:
    pad, value = op.py(1), op.py(2)
    ndim = len(op.in_shapes(0)[0])
    begin, end = [0] * ndim, [0] * ndim
    for k in range(len(pad) // 2):
        d = ndim - 1 - k
        begin[d], end[d] = int(pad[2 * k]), int(pad[2 * k + 1])
    op.emit("Pad", [op.inp(0), op.g.ints(begin + end, "pads"),
                    op.g.const(np.asarray(value, dtype=op.out_dtype()), "pad_value")],
            mode="constant")


@maps(S.IndexSelect)
def _index_select(op: Op) -> None:
    idx = op.const_array(2)
    op.emit("Gather", [op.inp(0), op.g.ints(idx, "indices")], axis=int(op.py(1)))


@maps(S.Gather)
def _gather(op: Op) -> None:
    idx = op.const_array(2)
    op.emit("GatherElements", [op.inp(0), op.g.ints(idx, "indices")], axis=int(op.py(1)))


@maps(_HookInputs, _HookOutputs)
def _hook_identity(op: Op) -> None:
    # a module's backward hooks: the identity on the tensors after the hook state
    for k in range(len(op.outs)):
        op.emit("Identity", [op.inp(k + 1)], k)



@maps(S.Tril, S.Triu)
def _trilu(op: Op) -> None:
    op.emit("Trilu", [op.inp(0), op.g.ints(int(op.py(1)), "diagonal")],
            upper=int(op.r1.cls is S.Triu))


@maps(S.Roll)
def _roll(op: Op) -> None:
    # a cyclic shift by s along a dim of size n: the last s entries, then the first n - s
    shifts, dims = op.py(1), op.py(2)
    g, x = op.g, op.inp(0)
    if dims is None:  # torch rolls the flattened tensor and restores the shape
        n = int(np.prod(op.static_in_shape(0, "the shape of a roll without dims")))
        x = g.one("Reshape", [x, g.ints([-1], "shape")])
        x = _roll_dim(g, x, shifts[0], 0, n)
        op.emit("Reshape", [x, g.one("Shape", [op.inp(0)])])
        return
    for s, d in zip(shifts, dims):
        n = op.static_in_shape(0, "the rolled dims", [d])[d]
        x = _roll_dim(g, x, s, d, n)
    op.emit("Identity", [x])


def _roll_dim(g, x: str, shift: int, dim: int, n: int) -> str:
    s = shift % n if n else 0
    if s == 0:
        return x

    def part(lo, hi):
        return g.one("Slice", [x, g.ints([lo], "starts"), g.ints([hi], "ends"),
                               g.ints([dim], "axes")])

    return g.one("Concat", [part(n - s, n), part(0, n - s)], axis=int(dim))
