"""``nn.Parameter``: a tensor that a Module registers as a learnable parameter;
``nn.UninitializedParameter``: one whose shape a lazy module learns at its first forward."""

from __future__ import annotations

import numpy as np

from .. import creation
from ..tensor import Tensor, as_array


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and is registered when assigned to a Module
    attribute (``self.weight = Parameter(...)``), so it shows up in ``parameters()`` and
    ``state_dict()``."""

    def __init__(self, data=None, requires_grad: bool = True) -> None:
        if data is None:
            arr = np.empty((0,), dtype=np.float32)
        elif isinstance(data, Tensor):
            arr = data.array  # shares memory, like torch.nn.Parameter(tensor)
        else:
            arr = as_array(data)
        if requires_grad and (np.issubdtype(arr.dtype, np.integer) or arr.dtype == np.bool_):
            raise RuntimeError(f"Parameter: only Tensors of floating point dtype can require "
                               f"gradients (got data of dtype {arr.dtype}; pass "
                               "requires_grad=False for an integer parameter)")
        super().__init__(np.empty(0))
        self.array = arr
        if isinstance(data, Tensor):
            self._version = data._version
        self.requires_grad_(requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


_UNINIT_USE = ("Attempted to use an uninitialized parameter in {}. This error happens when you "
               "are using a LazyModule (nn.LazyLinear, nn.LazyConv2d) before its first forward, "
               "or an UninitializedParameter directly: call forward with a dummy batch to "
               "initialize the parameters first")


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet (torch's ``nn.UninitializedParameter``): the
    weights of a lazy module (``nn.LazyLinear``) until its first ``forward``, which calls
    :meth:`materialize`; the object then becomes a plain :class:`Parameter` in place, so an
    optimizer built before the first forward holds the materialized parameter.

    Its shape, size and element count raise until then, as torch's.
    """

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device=None, dtype=None) -> None:
        super().__init__(creation.empty(0, dtype=dtype), requires_grad)

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give the parameter uninitialized memory of ``shape`` (and ``dtype``, by default the
        one it was made with) and turn it into a :class:`Parameter`; the caller initializes."""
        dt = self.array.dtype if dtype is None else creation.empty(0, dtype=dtype).array.dtype
        self.array = np.empty(tuple(shape), dtype=dt)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(
            "UninitializedParameter: Can't access the shape of an uninitialized parameter or "
            "buffer. This error usually happens in `load_state_dict` when trying to load an "
            "uninitialized parameter into an initialized one. Call `forward` to initialize the "
            "parameters before accessing their attributes.")

    @property
    def ndim(self) -> int:
        raise ValueError(_UNINIT_USE.format("ndim"))

    def size(self, dim: int | None = None):
        raise ValueError(_UNINIT_USE.format("size()"))

    def numel(self) -> int:
        raise ValueError(_UNINIT_USE.format("numel()"))

    nelement = numel

    def dim(self) -> int:
        raise ValueError(_UNINIT_USE.format("dim()"))

    def detach(self) -> UninitializedParameter:
        """Another uninitialized parameter (what ``state_dict()`` holds for it, as torch's)."""
        return UninitializedParameter(requires_grad=False, dtype=self.array.dtype)

    def __repr__(self) -> str:
        return "<UninitializedParameter>"
