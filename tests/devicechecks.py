"""Helpers shared by the device tests (tests/test_device.py, tests/test_device_placement.py)."""

from __future__ import annotations

import warnings

#: the start of gradlab's one message for data placed off the CPU: .format(where, device)
REFUSED = r"{}: device '{}' is not available: gradlab computes on the CPU"

#: CPU devices in every spelling: fn(lib) -> the device argument
CPUS = {"cpu": lambda L: "cpu", "cpu:0": lambda L: "cpu:0", "device(cpu)": lambda L:
        L.device("cpu"), "device(cpu, 0)": lambda L: L.device("cpu", 0), "None": lambda L: None}


def outcome(fn):
    """``('ok', value)`` or ``('raises', exception type, message)`` of ``fn()``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ("ok", fn())
    except Exception as exc:  # noqa: BLE001 - the exception is the answer compared
        return ("raises", type(exc), str(exc))


def describe(d) -> tuple:
    """What a device shows: repr, str, type, index and hash."""
    return (repr(d), str(d), d.type, d.index, hash(d))
