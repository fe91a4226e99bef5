"""``gradlab.cuda``: torch.cuda's answers on a machine without CUDA, as torch's CPU build gives
them.

gradlab computes on the CPU, so ``is_available()`` is False and ``device_count()`` 0. What
torch's CPU build answers without a GPU, this module answers the same way: the seeding
functions and ``empty_cache`` do nothing (a script that seeds "every device" runs unchanged),
the memory counters are 0, ``is_bf16_supported()`` is False. What torch's CPU build refuses
(``current_device``, ``synchronize``, ``get_device_name``, ``init``, ...) raises
:class:`gradlab._device.DeviceUnavailableError`: an AssertionError as torch's CPU build raises
("Torch not compiled with CUDA enabled") and a RuntimeError as its CUDA build raises on a
machine without a GPU.
"""

from __future__ import annotations

from typing import Any

from ._device import DeviceUnavailableError

__all__ = ["current_device", "device_count", "empty_cache", "get_arch_list",
           "get_device_capability", "get_device_name", "get_device_properties",
           "get_rng_state", "get_rng_state_all", "init", "initial_seed", "is_available",
           "is_bf16_supported", "is_initialized", "is_tf32_supported", "manual_seed",
           "manual_seed_all", "max_memory_allocated", "max_memory_reserved", "mem_get_info",
           "memory_allocated", "memory_reserved", "seed", "seed_all", "set_device",
           "set_rng_state", "set_rng_state_all", "synchronize"]


def _no_cuda(where: str) -> DeviceUnavailableError:
    return DeviceUnavailableError(f"gradlab.cuda.{where}: Torch not compiled with CUDA enabled: "
                                  "gradlab computes on the CPU and has no CUDA device "
                                  "(gradlab.cuda.is_available() is False)")


def is_available() -> bool:
    """False: gradlab computes on the CPU."""
    return False


def device_count() -> int:
    """0 CUDA devices."""
    return 0


def is_initialized() -> bool:
    """False: there is no CUDA state to initialise."""
    return False


def init() -> None:
    """Raises, as torch's CPU build does."""
    raise _no_cuda("init")


def manual_seed(seed: int) -> None:
    """Does nothing (no CUDA generator), as torch's CPU build; ``seed`` must convert to int."""
    int(seed)


def manual_seed_all(seed: int) -> None:
    """Does nothing (no CUDA generators), as torch's CPU build; ``seed`` must convert to int."""
    int(seed)


def seed() -> None:
    """Does nothing (no CUDA generator), as torch's CPU build."""


def seed_all() -> None:
    """Does nothing (no CUDA generators), as torch's CPU build."""


def initial_seed() -> int:
    """Raises, as torch's CPU build does: there is no CUDA generator."""
    raise _no_cuda("initial_seed")


def get_rng_state(device: Any = "cuda") -> Any:
    """Raises, as torch's CPU build does: there is no CUDA generator."""
    raise _no_cuda("get_rng_state")


def set_rng_state(new_state: Any, device: Any = "cuda") -> None:
    """Does nothing, as torch's CPU build (it defers the call until CUDA starts, never)."""


def get_rng_state_all() -> list:
    """``[]``: one state per CUDA device, and there are none."""
    return []


def set_rng_state_all(new_states: Any) -> None:
    """Does nothing: there are no CUDA devices to restore."""


def empty_cache() -> None:
    """Does nothing: there is no CUDA memory cache."""


def synchronize(device: Any = None) -> None:
    """Raises, as torch's CPU build does."""
    raise _no_cuda("synchronize")


def current_device() -> int:
    """Raises, as torch's CPU build does: there is no current CUDA device."""
    raise _no_cuda("current_device")


def set_device(device: Any) -> None:
    """Raises: there is no CUDA device to select."""
    raise _no_cuda("set_device")


def get_device_name(device: Any = None) -> str:
    """Raises, as torch's CPU build does."""
    raise _no_cuda("get_device_name")


def get_device_capability(device: Any = None) -> tuple[int, int]:
    """Raises, as torch's CPU build does."""
    raise _no_cuda("get_device_capability")


def get_device_properties(device: Any = None) -> Any:
    """Raises, as torch's CPU build does."""
    raise _no_cuda("get_device_properties")


def mem_get_info(device: Any = None) -> tuple[int, int]:
    """Raises, as torch's CPU build does."""
    raise _no_cuda("mem_get_info")


def memory_allocated(device: Any = None) -> int:
    """0 bytes, as torch's CPU build answers."""
    return 0


def max_memory_allocated(device: Any = None) -> int:
    """0 bytes, as torch's CPU build answers."""
    return 0


def memory_reserved(device: Any = None) -> int:
    """0 bytes, as torch's CPU build answers."""
    return 0


def max_memory_reserved(device: Any = None) -> int:
    """0 bytes, as torch's CPU build answers."""
    return 0


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """False: no CUDA device."""
    return False


def is_tf32_supported() -> bool:
    """False: no CUDA device."""
    return False


def get_arch_list() -> list:
    """``[]``: no CUDA architectures compiled in."""
    return []
