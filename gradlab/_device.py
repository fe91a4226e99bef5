"""Devices: ``gradlab.device`` (torch.device's parsing, equality, hash and printing), the default
device, and the one check every ``device=`` argument goes through.

gradlab computes on the CPU. A device object for any type torch knows can be made and compared
(``device('cuda:0')``, as torch allows it without a GPU), so the usual script line
``device = torch.device("cuda" if torch.cuda.is_available() else "cpu")`` runs unchanged and
picks ``'cpu'``; only placing data on a device other than the CPU raises, with one message,
from :func:`check_device`. That error is a :class:`DeviceUnavailableError`, both a RuntimeError
(torch's CUDA build on a machine without a GPU raises that) and an AssertionError (torch's CPU
build raises "Torch not compiled with CUDA enabled"), so an ``except`` written for either works.
"""

from __future__ import annotations

import re
from typing import Any

#: torch's device types and their ``c10::DeviceType`` numbers (the high bits of the hash), in
#: the order torch's parse error lists them
_TYPE_IDS = {"cpu": 0, "cuda": 1, "ipu": 18, "xpu": 12, "mkldnn": 2, "opengl": 3, "opencl": 4,
             "ideep": 5, "hip": 6, "ve": 16, "fpga": 7, "maia": 8, "xla": 9, "lazy": 17,
             "vulkan": 10, "mps": 13, "meta": 14, "hpu": 15, "mtia": 19, "privateuseone": 20}

# c10::Device's grammar: a type, then optionally ':' and an index without a leading zero
_DEVICE_RE = re.compile(r"([a-zA-Z_]+)(?::([1-9][0-9]*|0))?")

NO_ACCELERATOR = "Cannot access accelerator device when none is available."


class DeviceUnavailableError(RuntimeError, AssertionError):
    """Raised where data would go to a device other than the CPU, or where a CUDA or
    accelerator query has no answer without one. A RuntimeError and an AssertionError: torch
    raises the one or the other depending on its build."""


def _type_name(value: Any) -> str:
    return type(value).__name__


def _index(value: Any, where: str) -> int:
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(f"{where}: argument 'index' (position 2) must be int, not "
                        f"{_type_name(value)}")
    return value.__index__()


class device:
    """A device: a ``type`` (``'cpu'``, ``'cuda'``, ``'mps'``, ...) and an ``index`` (an int,
    or None for "the current one"), as ``torch.device``.

    ``device('cuda:1')``, ``device('cuda', 1)``, ``device(type='cuda', index=1)`` and
    ``device(other_device)`` are torch's forms; a bare int means an accelerator index, and with
    none available (always, here) it raises RuntimeError as torch does. A malformed string
    raises torch's RuntimeError. Devices compare equal when type and index are equal
    (``device('cuda') != device('cuda:0')``), hash as torch's, print as torch's
    (``device(type='cuda', index=0)``, ``str``: ``'cuda:0'``) and pickle.

    As a context manager, ``with device('cpu'):`` sets the default device for the block (see
    :func:`set_default_device`); any other type raises there.
    """

    __slots__ = ("_type", "_index")

    def __init__(self, type: Any, index: Any = None) -> None:
        if type is None:
            raise TypeError("device(): expected a device string such as 'cpu' or 'cuda:0', a "
                            "device, or a device index, got None")
        idx = None if index is None else _index(index, "device()")
        if idx is not None and idx < 0:
            raise RuntimeError("Device index must not be negative")
        if isinstance(type, device):
            if index is not None:
                raise TypeError("device(): argument 'type' (position 1) must be str, not "
                                "device")
            self._type, self._index = type._type, type._index
        elif isinstance(type, str):
            kind, parsed = _parse(type)
            if parsed is not None and idx is not None:
                raise RuntimeError("type (string) must not include an index because index was "
                                   f"passed explicitly: {type}")
            self._type, self._index = kind, parsed if idx is None else idx
        elif hasattr(type, "__index__") and not isinstance(type, bool) and index is None:
            if type.__index__() < 0:
                raise RuntimeError("Device index must not be negative")
            raise DeviceUnavailableError(
                f"{NO_ACCELERATOR} device({type!r}): an int names an accelerator device, and "
                "gradlab computes on the CPU (gradlab.accelerator.is_available() is False); "
                "use device('cpu')")
        else:
            raise TypeError("device(): expected a device string such as 'cpu' or 'cuda:0', a "
                            f"device, or a device index, got {_type_name(type)}")

    @property
    def type(self) -> str:
        """The device type: ``'cpu'``, ``'cuda'``, ``'mps'``, ..."""
        return self._type

    @property
    def index(self) -> int | None:
        """The device's index, or None where none was given."""
        return self._index

    def __repr__(self) -> str:
        if self._index is None:
            return f"device(type='{self._type}')"
        return f"device(type='{self._type}', index={self._index})"

    def __str__(self) -> str:
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __eq__(self, other: object):
        if not isinstance(other, device):
            return NotImplemented
        return self._type == other._type and self._index == other._index

    def __hash__(self) -> int:
        return (_TYPE_IDS[self._type] << 16) | ((-1 if self._index is None else self._index)
                                                 & 0xFF)

    def __reduce__(self):
        return (device, (self._type,) if self._index is None else (self._type, self._index))

    def __enter__(self) -> device:
        before = _default_device
        set_default_device(self)
        _entered.append(before)
        return self

    def __exit__(self, *exc) -> None:
        set_default_device(_entered.pop())


def _parse(s: str) -> tuple[str, int | None]:
    """``'cuda:1'`` -> ``('cuda', 1)``, with torch's RuntimeErrors for malformed strings."""
    if not s:
        raise RuntimeError("Device string must not be empty")
    m = _DEVICE_RE.fullmatch(s)
    if m is None:
        raise RuntimeError(f"Invalid device string: '{s}'")
    if m.group(1) not in _TYPE_IDS:
        raise RuntimeError(f"Expected one of {', '.join(_TYPE_IDS)} device type at start of "
                           f"device string: {m.group(1)}")
    return m.group(1), None if m.group(2) is None else int(m.group(2))


CPU = device("cpu")


def as_device(d: Any, where: str) -> device:
    """``d`` (a device, a string or an int) as a :class:`device`; anything else is a
    TypeError naming ``where``."""
    if isinstance(d, device):
        return d
    if isinstance(d, bool) or not isinstance(d, str) and not hasattr(d, "__index__"):
        raise TypeError(f"{where}: argument 'device' must be a device, a string such as 'cpu' "
                        f"or an int, not {_type_name(d)}")
    return device(d)


def check_device(d: Any, where: str) -> None:
    """Accept ``d`` if it is None or names the CPU (``'cpu'``, ``'cpu:0'``, ``device('cpu')``);
    otherwise raise the one error for data placed off the CPU, naming ``where`` (the function
    or module that was called) and the device.

    Raises DeviceUnavailableError (a RuntimeError) for a device of another type or an int
    (an accelerator index), torch's RuntimeError for a malformed string, TypeError for a value
    that is not a device at all.
    """
    if d is None or d is CPU:
        return
    try:
        dev = as_device(d, where)
    except DeviceUnavailableError:
        raise DeviceUnavailableError(
            f"{where}: device {d!r} is not available: an int names an accelerator device and "
            "gradlab computes on the CPU (gradlab.cuda.is_available() is False); use "
            "device='cpu'") from None
    except RuntimeError as exc:
        raise RuntimeError(f"{where}: {exc}") from None
    if dev._type != "cpu":
        raise unavailable(where, str(dev))


def unavailable(where: str, name: str) -> DeviceUnavailableError:
    """The error for data placed on device ``name`` (``'cuda:0'``) by ``where``."""
    return DeviceUnavailableError(
        f"{where}: device '{name}' is not available: gradlab computes on the CPU "
        "(gradlab.cuda.is_available() is False); pick the device with "
        "device = 'cuda' if gradlab.cuda.is_available() else 'cpu'")


def cuda_refusal(d: Any, where: str) -> DeviceUnavailableError:
    """The error ``.cuda(d)`` raises (``d``: None, an index, or a device naming CUDA)."""
    if d is None:
        return unavailable(where, "cuda")
    if isinstance(d, int) and not isinstance(d, bool):
        return unavailable(where, f"cuda:{d}")
    dev = as_device(d, where)
    if dev.type != "cuda":
        return DeviceUnavailableError(f"{where}: Invalid device, must be cuda device, got "
                                      f"'{dev}'")
    return unavailable(where, str(dev))


# --------------------------------------------------------------------------- default device

_default_device: device | None = None
_entered: list = []  # the defaults that ``with device(...)`` blocks replaced, innermost last


def set_default_device(d: Any) -> None:
    """Set the device factory functions use without ``device=`` (``torch.set_default_device``).

    ``'cpu'`` (any index) or None (back to the CPU) are accepted; any other device raises, as
    gradlab computes on the CPU.
    """
    global _default_device
    if d is not None:
        check_device(d, "set_default_device")
        d = as_device(d, "set_default_device")
    _default_device = d


def get_default_device() -> device:
    """The default device: ``device(type='cpu')`` unless set to ``'cpu:N'``."""
    return CPU if _default_device is None else _default_device
