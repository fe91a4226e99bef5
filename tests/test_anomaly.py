"""Anomaly mode: a NaN/Inf made by some node's backward is reported with the op's name and the
line of user code that created the node; clean graphs run unchanged; the mode nests and is
restored on exit."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import gradlab
from gradlab import nn
from gradlab.autograd import (
    detect_anomaly,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_detect_anomaly,
)
from gradlab.autograd.anomaly_mode import _record_creation_site
from gradlab.autograd.observers import _apply_observers

HERE = __file__


def _line_below() -> int:
    """The line number just after the caller's line."""
    return inspect.currentframe().f_back.f_lineno + 1


@pytest.fixture(autouse=True)
def _quiet_numpy():
    with np.errstate(all="ignore"), warnings.catch_warnings():
        yield


def test_log_of_zero_names_log_and_the_creating_line():
    x = gradlab.zeros(3, requires_grad=True)
    with detect_anomaly():
        line = _line_below()
        y = gradlab.log(x) * 0  # forward is finite-looking: -inf * 0 is NaN only in backward
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
    msg = str(info.value)
    assert msg.startswith("Function 'LogBackward0' returned nan values in its 0th output.")
    assert f"The Log op was created at {HERE}:{line} in " \
           "test_log_of_zero_names_log_and_the_creating_line:" in msg
    assert "    y = gradlab.log(x) * 0" in msg
    assert "Traceback of the forward call that created it (most recent call last):" in msg
    # the traceback goes down into gradlab, innermost frame last (as Python prints them)
    tb = msg.split("most recent call last):\n")[1]
    assert tb.index(f'File "{HERE}", line {line}') < tb.index("gradlab/tensor.py")
    assert x.grad is None  # the engine stopped before writing leaf gradients


def test_infinity_counts_and_names_sqrt():
    x = gradlab.tensor([0.0, 4.0], requires_grad=True)
    with detect_anomaly():
        line = _line_below()
        y = x.sqrt().sum()
        with pytest.raises(RuntimeError, match=r"'SqrtBackward0' returned inf values") as info:
            y.backward()
    assert f"{HERE}:{line}" in str(info.value)


def test_site_inside_a_user_module_and_past_gradlab_layers():
    class LogHead(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            h = self.fc(x)
            return (h - h.detach() - 1.0).abs().log() + (h * 0).log()  # 0 -> -inf

    gradlab.manual_seed(0)
    model = LogHead()
    src_lines, first = inspect.getsourcelines(LogHead.forward)
    log_line = first + next(i for i, s in enumerate(src_lines) if "(h * 0).log()" in s)
    with detect_anomaly():
        with pytest.raises(RuntimeError) as info:
            model(gradlab.ones(1, 2)).sum().backward()
    msg = str(info.value)
    assert "'LogBackward0' returned" in msg
    assert f"{HERE}:{log_line} in forward:" in msg

    # a NaN made inside a gradlab layer points at the user's line that called the layer
    fc = nn.Linear(2, 1)
    with detect_anomaly():
        x = gradlab.tensor([[float("inf"), 1.0]], requires_grad=True)
        line = _line_below()
        out = fc(x) * 0
        with pytest.raises(RuntimeError) as info:
            out.sum().backward()
    assert f"{HERE}:{line} in test_site_inside_a_user_module_and_past_gradlab_layers:" \
        in str(info.value)
    assert "    out = fc(x) * 0" in str(info.value)


def test_clean_graph_runs_unchanged():
    gradlab.manual_seed(1)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    x = gradlab.randn(5, 4)
    y = gradlab.tensor([0, 1, 2, 1, 0])

    def grads():
        model.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        return loss.item(), [p.grad.array.copy() for p in model.parameters()]

    ref_loss, ref = grads()
    with detect_anomaly():
        loss, got = grads()
    assert loss == ref_loss
    for a, b in zip(ref, got):
        np.testing.assert_array_equal(a, b)


def test_off_by_default_nan_passes_silently():
    assert not is_anomaly_enabled()
    x = gradlab.zeros(2, requires_grad=True)
    (gradlab.log(x) * 0).sum().backward()
    assert np.isnan(x.grad.array).all()
    assert _record_creation_site not in _apply_observers
    assert "_anomaly_stack" not in gradlab.log(x)._ctx.__dict__


def test_mode_restored_on_exit_nested_and_after_an_error():
    assert not is_anomaly_enabled()
    with detect_anomaly():
        assert is_anomaly_enabled() and is_anomaly_check_nan_enabled()
        with detect_anomaly(check_nan=False):
            assert is_anomaly_enabled() and not is_anomaly_check_nan_enabled()
            x = gradlab.zeros(2, requires_grad=True)
            (gradlab.log(x) * 0).sum().backward()  # sites recorded, NaN not checked
            assert np.isnan(x.grad.array).all()
        assert is_anomaly_check_nan_enabled()
        with detect_anomaly():
            pass
        assert is_anomaly_enabled()
        assert _apply_observers.count(_record_creation_site) == 1
    assert not is_anomaly_enabled()
    assert _record_creation_site not in _apply_observers

    with pytest.raises(KeyError), detect_anomaly():
        raise KeyError("boom")
    assert not is_anomaly_enabled()


def test_set_detect_anomaly_now_and_as_context():
    try:
        set_detect_anomaly(True)
        assert is_anomaly_enabled()
        with set_detect_anomaly(False):
            assert not is_anomaly_enabled()
        assert is_anomaly_enabled() and is_anomaly_check_nan_enabled()
        with set_detect_anomaly(True, check_nan=False):
            assert not is_anomaly_check_nan_enabled()
        assert is_anomaly_check_nan_enabled()
    finally:
        set_detect_anomaly(False)
    assert not is_anomaly_enabled()
    assert _record_creation_site not in _apply_observers


def test_node_made_before_the_mode_has_no_site():
    x = gradlab.zeros(2, requires_grad=True)
    y = gradlab.log(x) * 0
    with detect_anomaly(), pytest.raises(RuntimeError) as info:
        y.sum().backward()
    assert "The Log op was created before anomaly mode was switched on" in str(info.value)
