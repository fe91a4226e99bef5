"""``nn.Parameter``: a tensor that a Module registers as a learnable parameter."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor, as_array


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and is registered when assigned to a Module
    attribute (``self.weight = Parameter(...)``), so it shows up in ``parameters()`` and
    ``state_dict()``."""

    def __init__(self, data=None, requires_grad: bool = True) -> None:
        if data is None:
            arr = np.empty((0,), dtype=np.float32)
        elif isinstance(data, Tensor):
            arr = data.data  # shares memory, like torch.nn.Parameter(tensor)
        else:
            arr = as_array(data)
        super().__init__(np.empty(0))
        self.data = arr
        if isinstance(data, Tensor):
            self._version = data._version
        self.requires_grad_(requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
