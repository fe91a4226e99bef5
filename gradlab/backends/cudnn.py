"""``gradlab.backends.cudnn``: torch.backends.cudnn's switches (torch's defaults); cuDNN is not
available (``is_available()`` False, ``version()`` None) and the switches change nothing in
gradlab, which computes on the CPU without cuDNN."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

__all__ = ["allow_tf32", "benchmark", "benchmark_limit", "deterministic", "enabled", "flags",
           "is_acceptable", "is_available", "version"]

#: torch.backends.cudnn's defaults (``benchmark_limit``: None, as torch's CPU build reads it);
#: a script may set them (read back, used by nothing)
enabled = True
benchmark = False
benchmark_limit = None
deterministic = False
allow_tf32 = True

_FLAGS = ("enabled", "benchmark", "benchmark_limit", "deterministic", "allow_tf32")


def is_available() -> bool:
    """False: gradlab does not use cuDNN."""
    return False


def version() -> int | None:
    """None: no cuDNN library is loaded."""
    return None


def is_acceptable(tensor: Any) -> bool:
    """False: cuDNN would accept no tensor here (there is none)."""
    return False


@contextlib.contextmanager
def flags(enabled: bool = False, benchmark: bool = False, benchmark_limit: int = 10,
          deterministic: bool = False, allow_tf32: bool = True) -> Iterator[None]:
    """``with flags(enabled=False): ...``: the switches set for the block (torch's defaults
    for this function), the previous values restored afterwards, even on an error."""
    here = globals()
    before = {name: here[name] for name in _FLAGS}
    here.update(enabled=enabled, benchmark=benchmark, benchmark_limit=benchmark_limit,
                deterministic=deterministic, allow_tf32=allow_tf32)
    try:
        yield
    finally:
        here.update(before)
