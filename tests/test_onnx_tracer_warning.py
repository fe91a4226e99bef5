"""gradlab.onnx.export and the values that leave the trace: a tensor computed from the input
that ``forward`` turns into a Python value (``.item()``, ``bool()``, ``int()``, ``float()``,
``operator.index``, ``.tolist()``, ``.numpy()``, ``numpy.asarray``) warns ``TracerWarning`` at
the converting line (``strict=True``: ``ExportError``); constants, ``len()`` and iteration do not
warn; a forward with no conversion exports without a warning; outside an export the methods are
Tensor's own."""

from __future__ import annotations

import io
import operator
import threading
import warnings

import numpy as np
import onnxruntime as ort
import pytest

import gradlab
import gradlab.onnx
from gradlab import nn
from gradlab.onnx import ExportError, TracerWarning


def _line(fn, offset: int = 1) -> int:
    """The line ``offset`` lines below ``def fn``."""
    return fn.__code__.co_firstlineno + offset


def _export(model, x, **kw) -> bytes:
    buf = io.BytesIO()
    gradlab.onnx.export(model, x, buf, **kw)
    return buf.getvalue()


def _tracer_warnings(model, x, **kw) -> tuple[bytes, list]:
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        data = _export(model, x, **kw)
    return data, [w for w in rec if issubclass(w.category, TracerWarning)]


def _run(data: bytes, x: np.ndarray) -> np.ndarray:
    sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    return sess.run(None, {"input": x})[0]


class Branchy(nn.Module):
    def forward(self, x):
        if x.mean().item() > 0:
            return x * 2
        return x - 1


class Apply(nn.Module):
    """forward: ``convert(x)`` for its side effect, then ``x * 2``."""

    def __init__(self, convert) -> None:
        super().__init__()
        self.convert = convert

    def forward(self, x):
        self.convert(x)
        return x * 2


def test_tracer_warning_is_a_warning_exported_by_gradlab_onnx():
    assert issubclass(TracerWarning, Warning)
    assert gradlab.onnx.TracerWarning is gradlab.io.onnx.TracerWarning
    assert "TracerWarning" in gradlab.onnx.__all__


def test_branch_on_item_warns_at_the_forward_line_and_the_file_is_wrong_for_the_other_branch():
    x = gradlab.full((2, 3), 5.0)
    data, ws = _tracer_warnings(Branchy(), x)
    line = _line(Branchy.forward)
    assert len(ws) == 1  # one warning for the line, over both traced runs
    w = ws[0]
    assert w.category is TracerWarning
    assert (w.filename, w.lineno) == (__file__, line)
    msg = str(w.message)
    assert msg.startswith("Converting a tensor to a Python number might cause the trace to be "
                          "incorrect.")
    assert f"Tensor.item() at {__file__}:{line}" in msg
    assert "strict=True" in msg
    # the warning matters: the file froze the branch the example input took
    pos = np.full((2, 3), 4.0, np.float32)
    neg = np.full((2, 3), -3.0, np.float32)
    np.testing.assert_allclose(_run(data, pos), Branchy()(gradlab.tensor(pos)).numpy())
    eager = Branchy()(gradlab.tensor(neg)).numpy()
    np.testing.assert_allclose(eager, neg - 1)
    np.testing.assert_allclose(_run(data, neg), neg * 2)
    assert not np.allclose(_run(data, neg), eager)


def _item(x):
    return x.mean().item()


def _bool(x):
    return bool(x.mean() > 0)


def _if(x):
    if x.sum() > 0:
        return 1
    return 0


def _int(x):
    return int(x.mean())


def _float(x):
    return float(x.mean())


def _tolist(x):
    return x.tolist()


def _numpy(x):
    return x.detach().numpy()


def _asarray(x):
    return np.asarray(x)


def _format(x):
    return f"{x.mean():.3f}"


CONVERSIONS = [  # (function, what torch's message says it converts to, the call named)
    (_item, "a Python number", "Tensor.item()"),
    (_bool, "a Python boolean", "bool(tensor)"),
    (_if, "a Python boolean", "bool(tensor)"),
    (_int, "a Python integer", "int(tensor)"),
    (_float, "a Python float", "float(tensor)"),
    (_tolist, "a Python list", "Tensor.tolist()"),
    (_numpy, "a NumPy array", "Tensor.numpy()"),
    (_asarray, "a NumPy array", "numpy.asarray(tensor)"),
    (_format, "a Python number", "Tensor.item()"),  # format(t) of a 0-d tensor calls item()
]
IDS = [c[0].__name__.strip("_") for c in CONVERSIONS]


@pytest.mark.parametrize("fn,what,call", CONVERSIONS, ids=IDS)
def test_each_conversion_warns_once_at_its_line(fn, what, call):
    x = gradlab.tensor(np.random.default_rng(0).uniform(0.5, 1.5, (2, 3)).astype(np.float32))
    data, ws = _tracer_warnings(Apply(fn), x)
    assert len(ws) == 1, [str(w.message) for w in ws]
    line = _line(fn)
    assert (ws[0].filename, ws[0].lineno) == (__file__, line)
    msg = str(ws[0].message)
    assert msg.startswith(f"Converting a tensor to {what} might cause the trace to be incorrect")
    assert f"{call}" in msg and f"at {__file__}:{line}" in msg
    np.testing.assert_allclose(_run(data, x.numpy()), x.numpy() * 2)


def _index(tokens):
    return [10, 20, 30][tokens[0, 0]]


def test_a_tensor_used_as_an_index_warns():
    tokens = gradlab.tensor([[1, 2], [0, 1]])
    _, ws = _tracer_warnings(Apply(_index), tokens)
    assert [(w.lineno, str(w.message)[:40]) for w in ws] == [
        (_line(_index), "Converting a tensor to a Python index mi")]
    assert "operator.index(tensor)" in str(ws[0].message)


@pytest.mark.parametrize("fn,what,call", CONVERSIONS, ids=IDS)
def test_strict_refuses_each_conversion_naming_the_line(fn, what, call):
    x = gradlab.tensor(np.random.default_rng(0).uniform(0.5, 1.5, (2, 3)).astype(np.float32))
    line = _line(fn)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        with pytest.raises(ExportError) as err:
            _export(Apply(fn), x, strict=True)
    assert isinstance(err.value, RuntimeError)
    msg = str(err.value)
    assert msg.startswith(f"cannot export (strict=True): {__file__}:{line} converts a tensor ")
    assert f" to {what} ({call}" in msg
    assert "compute it with gradlab's tensor ops" in msg.lower()
    assert not [w for w in rec if issubclass(w.category, TracerWarning)]


def test_strict_refuses_the_branch_on_item():
    with pytest.raises(ExportError, match=rf"{__file__}:{_line(Branchy.forward)} converts a "
                                          r"tensor computed from the input to a Python number "
                                          r"\(Tensor\.item\(\)\)"):
        _export(Branchy(), gradlab.full((2, 3), 5.0), strict=True)


def test_numpy_of_a_value_that_requires_grad_is_refused_naming_the_line():
    def fn(m, x):
        return x + float(x.numpy().sum())

    class M(nn.Module):
        def forward(self, x):
            return fn(self, x)

    with pytest.raises(ExportError, match=rf"cannot export: the forward reads a value computed "
                                          rf"from the input as a NumPy array, outside gradlab's "
                                          rf"ops \(Tensor\.numpy\(\) at {__file__}:"
                                          rf"{_line(fn)}\)"):
        _export(M(), gradlab.randn(2, 3))


class Clean(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 4)

    def forward(self, x):
        h = self.fc(x).relu()
        return h * 2 + h.mean(dim=1, keepdim=True)


def test_a_model_without_conversions_exports_without_any_warning():
    x = gradlab.randn(2, 3)
    model = Clean()
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        data = _export(model, x, dynamic_axes={"input": {0: "batch"}})
        _export(model, x, strict=True)
    assert rec == []
    other = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32)
    with gradlab.no_grad():
        want = model(gradlab.tensor(other)).numpy()
    np.testing.assert_allclose(_run(data, other), want, rtol=1e-5, atol=1e-6)


class Constants(nn.Module):
    """Conversions of parameters and of what gradlab's ops compute from them alone, len() and
    iteration."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(gradlab.tensor(3.0))
        self.register_buffer("offset", gradlab.tensor([1.0, 2.0]))

    def forward(self, x):
        s = self.scale.item()  # a parameter: the same for every input
        k = int(self.offset.sum())  # computed from a buffer alone
        s += float(self.scale * 2 - 5)  # computed from a parameter alone
        rows = [r * s for r in x]  # iteration: unbind, one op per row
        return gradlab.stack(rows) + k + float(len(x))


def test_constants_len_and_iteration_do_not_warn_and_the_file_is_right():
    x = gradlab.randn(2, 3)
    model = Constants()
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        data = _export(model, x)
        _export(model, x, strict=True)
    assert rec == []
    other = np.random.default_rng(2).standard_normal((2, 3)).astype(np.float32)
    np.testing.assert_allclose(_run(data, other), other * 4 + 3 + 2, rtol=1e-6)  # s = 3 + 1


def _made_in_forward(x):
    return int(gradlab.tensor([1.0, 2.0]).sum())


def _argmax(x):
    return x.argmax().item()


def _any(x):
    return bool((x > 1).any())


@pytest.mark.parametrize("fn", [_made_in_forward, _argmax, _any], ids=lambda f: f.__name__)
def test_values_the_trace_cannot_tell_from_the_input_warn(fn):
    # a comparison, argmax or any() computes outside gradlab's traced ops, and a tensor made in
    # forward is not known to be a constant: they warn, as torch warns for every conversion
    x = gradlab.tensor(np.random.default_rng(0).uniform(0.5, 1.5, (2, 3)).astype(np.float32))
    _, ws = _tracer_warnings(Apply(fn), x)
    assert [(w.filename, w.lineno) for w in ws] == [(__file__, _line(fn))]
    assert "on a tensor that may come from the input (the trace cannot tell" in \
        str(ws[0].message)


def test_len_and_iteration_along_a_dynamic_axis_are_refused_by_the_second_run():
    x = gradlab.randn(2, 3)
    dyn = {"input": {0: "batch"}}

    class ByLen(nn.Module):
        def forward(self, x):
            return x * len(x)

    with pytest.raises(ExportError, match=r"cannot export gradlab\.ops\.elementwise\.Mul: "
                                          r"argument 1 \(2\) is a Python value that changes with "
                                          r"the model's input \(3 in the second run\)"):
        _export(ByLen(), x, dynamic_axes=dyn)

    class ByRows(nn.Module):
        def forward(self, x):
            return gradlab.stack([r * 2 for r in x])

    with pytest.raises(ExportError, match="the forward ran different ops for another input"):
        _export(ByRows(), x, dynamic_axes=dyn)

    class Reshape(nn.Module):  # len() as a size that follows the dynamic axis is fine
        def forward(self, x):
            return x.reshape(len(x), 1, -1) * 2

    data = _export(Reshape(), x, dynamic_axes=dyn)
    other = np.ones((4, 3), np.float32)
    np.testing.assert_allclose(_run(data, other), other.reshape(4, 1, 3) * 2)


def test_a_python_value_from_item_that_changes_is_refused_after_the_warning():
    class Scale(nn.Module):
        def forward(self, x):
            return x * x.mean().item()

    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        with pytest.raises(ExportError, match=r"argument 1 \(\S+\) is a Python value that "
                                              r"changes with the model's input"):
            _export(Scale(), gradlab.full((2, 3), 5.0))
    assert [w.category for w in rec] == [TracerWarning]


def test_outside_an_export_the_methods_are_tensors_own_and_silent():
    originals = {name: gradlab.Tensor.__dict__[name] for name in (
        "item", "__bool__", "__int__", "__float__", "__index__", "tolist", "numpy", "__array__")}
    with pytest.warns(TracerWarning):
        _export(Branchy(), gradlab.full((2, 3), 5.0), strict=False)
    with pytest.raises(ExportError):
        _export(Branchy(), gradlab.full((2, 3), 5.0), strict=True)
    assert {n: gradlab.Tensor.__dict__[n] for n in originals} == originals
    t = gradlab.tensor([[1.5, -2.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert t[0, 0].item() == 1.5 and bool(t[0, 0]) and int(t[0, 0]) == 1
        assert float(t[0, 1]) == -2.0 and t.tolist() == [[1.5, -2.0]]
        assert operator.index(gradlab.tensor(3)) == 3
        assert t.numpy() is t.array and np.asarray(t) is t.array
        assert Branchy()(t).tolist() == [[0.5, -3.0]]  # mean -0.25: x - 1


def test_conversions_in_another_thread_during_an_export_are_not_the_exports():
    seen = []

    def other_thread():
        t = gradlab.tensor([2.0]) * 3  # not a constant the trace knows
        seen.append((float(t), t.tolist(), bool(t > 1)))

    class Threaded(nn.Module):
        def forward(self, x):
            th = threading.Thread(target=other_thread)
            th.start()
            th.join()
            return x * 2

    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        _export(Threaded(), gradlab.randn(2, 3), strict=True)
    assert seen == [(6.0, [6.0], True)] * 2  # both traced runs
    assert rec == []
