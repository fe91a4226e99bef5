"""``gradlab.accelerator``: torch.accelerator's answers where there is no accelerator.

gradlab computes on the CPU: ``is_available()`` is False, ``current_accelerator()`` None,
``device_count()`` 0; what needs an accelerator raises RuntimeError with torch's sentence
("Cannot access accelerator device when none is available."), as torch does without one.
"""

from __future__ import annotations

from typing import Any

from ._device import NO_ACCELERATOR, DeviceUnavailableError, device

__all__ = ["current_accelerator", "current_device_index", "device_count", "empty_cache",
           "is_available", "set_device_index", "synchronize"]


def _none(where: str) -> DeviceUnavailableError:
    return DeviceUnavailableError(f"gradlab.accelerator.{where}: {NO_ACCELERATOR} gradlab "
                                  "computes on the CPU (gradlab.accelerator.is_available() is "
                                  "False)")


def is_available() -> bool:
    """False: gradlab computes on the CPU."""
    return False


def current_accelerator(check_available: bool = False) -> device | None:
    """None: there is no accelerator (with or without ``check_available``)."""
    return None


def device_count() -> int:
    """0 accelerator devices."""
    return 0


def current_device_index() -> int:
    """Raises RuntimeError, as torch does without an accelerator."""
    raise _none("current_device_index")


def set_device_index(device: Any, /) -> None:
    """Raises RuntimeError, as torch does without an accelerator."""
    raise _none("set_device_index")


def synchronize(device: Any = None, /) -> None:
    """Raises RuntimeError, as torch does without an accelerator."""
    raise _none("synchronize")


def empty_cache() -> None:
    """Raises RuntimeError, as torch does without an accelerator."""
    raise _none("empty_cache")
