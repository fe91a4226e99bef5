"""Turning a list of samples into a batch: ``default_collate`` and ``default_convert``
(``torch.utils.data.default_collate``), with torch's type rules.

==========================  =============================================================
sample element              batch
==========================  =============================================================
gradlab Tensor (*)          Tensor (B, *) of the same dtype (stacked)
NumPy array (*)             Tensor (B, *) of the array's dtype (float32 stays float32)
NumPy scalar                Tensor (B,) of its dtype
Python float                float64 Tensor (B,)  (torch's rule, not the default dtype)
Python int / bool           int64 / bool Tensor (B,)
str, bytes                  the list, unchanged
Mapping                     the same mapping type, each key collated
namedtuple                  the same namedtuple, each field collated
tuple / list / Sequence     a list (tuple) or the same sequence type, position-wise
==========================  =============================================================
"""

from __future__ import annotations

import collections.abc
import copy
import re
from typing import Any

import numpy as np

from ...tensor import Tensor, as_array, from_numpy

_np_str_obj = re.compile(r"[SaUO]")

default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
    "found {}"
)


def _stack(tensors: list[Tensor]) -> Tensor:
    first = tensors[0].shape
    for i, t in enumerate(tensors):
        if t.shape != first:
            raise RuntimeError("stack expects each tensor to be equal size, but got "
                               f"{list(first)} at entry 0 and {list(t.shape)} at entry {i}")
    if any(t.requires_grad for t in tensors):
        from ...functions import stack

        return stack(tensors, 0)
    return from_numpy(np.stack([t.array for t in tensors]))


def _is_numpy(x) -> bool:
    t = type(x)
    return t.__module__ == "numpy" and t.__name__ not in ("str_", "bytes_", "string_")


def default_collate(batch: list) -> Any:
    """Stack a list of samples into a batch, recursing into mappings and sequences.

    See the module docstring for the type table; shapes gain a leading batch dim of size B.
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack(batch)
    if isinstance(elem, np.ndarray):
        if _np_str_obj.search(elem.dtype.str) is not None:
            raise TypeError(default_collate_err_msg_format.format(elem.dtype))
        shapes = {b.shape for b in batch}
        if len(shapes) > 1:
            return _stack([from_numpy(np.asarray(b)) for b in batch])  # raises with sizes
        return from_numpy(as_array(np.stack(batch)))
    if isinstance(elem, (np.bool_, np.number, np.object_)):
        return from_numpy(as_array(np.asarray(batch)))
    if isinstance(elem, float):
        return from_numpy(np.array(batch, dtype=np.float64))
    if isinstance(elem, int):
        return from_numpy(as_array(batch))  # ints -> int64, bools -> bool, like torch.tensor
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        for j, d in enumerate(batch):
            missing = [k for k in elem if k not in d]
            if missing:
                raise KeyError(f"default_collate: sample {j} has no key {missing[0]!r} (the "
                               f"first sample's keys: {list(elem)})")
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                clone = copy.copy(elem)
                clone.update({k: default_collate([d[k] for d in batch]) for k in elem})
                return clone
            return type(elem)({k: default_collate([d[k] for d in batch]) for k in elem})
        except TypeError:
            return {k: default_collate([d[k] for d in batch]) for k in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if not all(len(e) == size for e in batch):
            raise RuntimeError("default_collate: each element in list of batch should be of "
                               f"equal size, got sizes {[len(e) for e in batch]}")
        transposed = [list(s) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return [default_collate(s) for s in transposed]
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                clone = copy.copy(elem)
                for i, s in enumerate(transposed):
                    clone[i] = default_collate(s)
                return clone
            return type(elem)([default_collate(s) for s in transposed])
        except TypeError:
            return [default_collate(s) for s in transposed]
    raise TypeError(default_collate_err_msg_format.format(type(elem)))


def default_convert(data: Any) -> Any:
    """Convert NumPy arrays and scalars inside one sample to Tensors (no batch dim); used when
    automatic batching is off (``batch_size=None``)."""
    if isinstance(data, Tensor):
        return data
    if _is_numpy(data):
        if isinstance(data, np.ndarray) and _np_str_obj.search(data.dtype.str) is not None:
            return data
        return from_numpy(as_array(np.asarray(data)))
    if isinstance(data, collections.abc.Mapping):
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)
                clone.update({k: default_convert(data[k]) for k in data})
                return clone
            return type(data)({k: default_convert(data[k]) for k in data})
        except TypeError:
            return {k: default_convert(data[k]) for k in data}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                for i, d in enumerate(data):
                    clone[i] = default_convert(d)
                return clone
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data
