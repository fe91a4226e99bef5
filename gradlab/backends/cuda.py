"""``gradlab.backends.cuda``: torch.backends.cuda's ``is_built()`` (False) and its ``matmul``
switches (torch's defaults), which a script may set and read back; they change nothing in
gradlab, which computes on the CPU."""

from __future__ import annotations

from typing import Any

__all__ = ["is_built", "matmul"]


def is_built() -> bool:
    """False: gradlab is not built with CUDA."""
    return False


class cuBLASModule:
    """``matmul``: cuBLAS's switches (``allow_tf32`` False,
    ``allow_fp16_reduced_precision_reduction`` and ``allow_bf16_reduced_precision_reduction``
    True). Any other attribute, read or set, raises AttributeError as torch's does."""

    _DEFAULTS = {"allow_tf32": False, "allow_fp16_reduced_precision_reduction": True,
                 "allow_bf16_reduced_precision_reduction": True}

    def __init__(self) -> None:
        object.__setattr__(self, "_values", dict(self._DEFAULTS))

    def __getattr__(self, name: str) -> Any:
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        raise AttributeError("Unknown attribute " + name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._DEFAULTS:
            raise AttributeError("Unknown attribute " + name)
        if not isinstance(value, bool):
            raise RuntimeError(f"backends.cuda.matmul.{name} expects a bool, but got "
                               f"{type(value).__name__}")
        self._values[name] = value


matmul = cuBLASModule()
