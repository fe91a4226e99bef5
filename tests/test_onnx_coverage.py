"""Every array-level op of gradlab (``ArrayFunction``) either has an ONNX exporter or is listed
in ``gradlab.io.onnx.NOT_EXPORTABLE`` with the reason; exporting one of the listed ops fails with
an error that names the op and gives that reason. A user's ``autograd.Function`` is traced
through: the file holds the ops its forward ran."""

from __future__ import annotations

import importlib
import io
import pkgutil
import re

import numpy as np
import onnx
import pytest
from onnx.reference import ReferenceEvaluator

import gradlab
from gradlab import nn
from gradlab.autograd import ArrayFunction, Function
from gradlab.compress import binarize, fake_quantize
from gradlab.io.onnx import EXPORTERS, NOT_EXPORTABLE, ExportError
from gradlab.nn import functional as F
from gradlab.nn.utils.rnn import pad_sequence


def _qualname(cls) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _subclasses(cls) -> set:
    found = set()
    for sub in cls.__subclasses__():
        found.add(sub)
        found |= _subclasses(sub)
    return found


def _functions(prefix: str) -> list:
    """The ArrayFunction subclasses (the ops a trace records) defined in modules whose name
    starts with ``prefix``."""
    return sorted((c for c in _subclasses(ArrayFunction) if c.__module__.startswith(prefix)),
                  key=_qualname)


def _import_all_of_gradlab() -> None:
    for mod in pkgutil.walk_packages(gradlab.__path__, "gradlab."):
        if not mod.name.endswith("__main__"):
            importlib.import_module(mod.name)


def _uncovered(classes) -> list:
    """The Functions among ``classes`` with neither an exporter nor a NOT_EXPORTABLE reason."""
    return [_qualname(c) for c in classes
            if c not in EXPORTERS and _qualname(c) not in NOT_EXPORTABLE]


def test_every_function_has_an_exporter_or_a_reason():
    _import_all_of_gradlab()
    functions = _functions("gradlab.")
    assert len(functions) > 70  # the walk found the ops, the layers' and the lab's Functions
    assert _uncovered(functions) == [], (
        "add an exporter (gradlab/io/onnx/ops_*.py) or a NOT_EXPORTABLE entry with the reason "
        "(gradlab/io/onnx/registry.py)")


def test_a_new_function_without_either_is_caught():
    class Twice(ArrayFunction):
        @staticmethod
        def forward(ctx, x):
            return 2 * x

        @staticmethod
        def backward(ctx, g):
            return 2 * g

    assert Twice in _functions(__name__)
    assert _uncovered(_functions(__name__)) == [_qualname(Twice)]
    # and exporting it names it, with no reason to give
    with pytest.raises(ExportError, match=re.escape(f"cannot export {_qualname(Twice)}: no "
                                                    "ONNX mapping for this op (supported: ")):
        _export(_Lambda(lambda m, x: Twice.apply(x)), gradlab.randn(2, 3))



class _ClampTwice(Function):
    """A user's Function on Tensors: traced through (its clamp and mul are in the file)."""

    @staticmethod
    def forward(ctx, x, lo):
        ctx.save_for_backward(x)
        return x.clamp(min=lo) * 2

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 2 * (x > 0), None


class _ThroughNumpy(Function):
    @staticmethod
    def forward(ctx, x):
        return gradlab.from_numpy(np.tanh(x.detach().numpy()))

    @staticmethod
    def backward(ctx, g):
        return g


def test_a_user_function_is_traced_through():
    assert _ClampTwice not in _functions(__name__)
    model = _Lambda(lambda m, x: _ClampTwice.apply(m.lin(x), 0.0), lin=nn.Linear(3, 4))
    x = gradlab.randn(2, 3)
    proto = _export(model, x)
    ops = [n.op_type for n in proto.graph.node]
    assert "Max" in ops and "Mul" in ops  # clamp(min=) is written as Max
    (got,) = ReferenceEvaluator(proto).run(None, {proto.graph.input[0].name: x.numpy()})
    np.testing.assert_allclose(got, model(x).detach().numpy(), rtol=1e-6, atol=1e-6)


def test_a_user_function_computed_outside_gradlabs_ops_is_refused():
    with pytest.raises(ExportError, match=re.escape(f"cannot export {_qualname(_ThroughNumpy)}: "
                                                    "its forward computes an output outside "
                                                    "gradlab's ops")):
        _export(_Lambda(lambda m, x: _ThroughNumpy.apply(x)), gradlab.randn(2, 3))

def test_not_exportable_lists_only_functions_without_an_exporter():
    _import_all_of_gradlab()
    by_name = {_qualname(c): c for c in _functions("gradlab.")}
    for name, reason in NOT_EXPORTABLE.items():
        assert name in by_name, f"{name} is not a gradlab Function"
        assert by_name[name] not in EXPORTERS, f"{name} has an exporter"
        assert reason and "\n" not in reason


class _Lambda(nn.Module):
    def __init__(self, fn, **children) -> None:
        super().__init__()
        self.fn = fn
        for k, v in children.items():
            setattr(self, k, v)

    def forward(self, x):
        return self.fn(self, x)


def _export(model, x):
    return gradlab.onnx.export(model, x, io.BytesIO())


def _scatter_add(m, x):
    return x.scatter_add(1, gradlab.tensor([[0, 1, 0]] * 2), x)


def _quantized(m, x):
    return fake_quantize(x, 0.1, 0, -128, 127)


def _rbf(m, x):
    return F.rbf(x, m.centers, m.log_sigma)


# one model per listed op that a forward can reach with a value computed from the input
# (IndexPut and _PackPadded are refused in test_onnx.py; the losses, _PadPacked, Binarize,
# Ternarize and the lab's kernels have no forward of a model to export that reaches them first)
_REFUSED = [
    ("gradlab.ops.shape.ScatterAdd", _Lambda(_scatter_add), (2, 3)),
    ("gradlab.ops.pool.StochasticPool2d",
     _Lambda(lambda m, x: F.stochastic_pool2d(F.relu(x), 2, training=False)), (1, 2, 4, 4)),
    ("gradlab.ops.activation.RBF", _Lambda(_rbf, centers=nn.Parameter(gradlab.randn(4, 3)),
                                           log_sigma=nn.Parameter(gradlab.zeros(4))), (2, 3)),
    ("gradlab.ops.loss.CrossEntropy",
     _Lambda(lambda m, x: F.cross_entropy(x, gradlab.tensor([0, 2]))), (2, 3)),
    ("gradlab.nn.utils.rnn._PadSequence", _Lambda(lambda m, x: pad_sequence([x, x[:1]])),
     (2, 3)),
    ("gradlab.compress.qat.FakeQuantize", _Lambda(_quantized), (2, 3)),
    ("gradlab.compress.lowbit.Binarize", _Lambda(lambda m, x: binarize(x)), (2, 3)),
]


@pytest.mark.parametrize("name,model,shape", _REFUSED, ids=[r[0].rsplit(".", 1)[1]
                                                               for r in _REFUSED])
def test_exporting_a_listed_op_names_it_and_gives_the_reason(name, model, shape):
    with pytest.raises(ExportError, match=re.escape(f"cannot export {name}: no ONNX mapping for "
                                                    f"this op ({NOT_EXPORTABLE[name]})")):
        _export(model, gradlab.randn(*shape))


def test_binarized_weights_are_folded():
    # the reason given for Binarize: on a parameter it is folded into an initializer
    lin = nn.Linear(3, 2)
    model = _Lambda(lambda m, x: F.linear(x, binarize(m.lin.weight), m.lin.bias), lin=lin)
    proto = _export(model, gradlab.randn(2, 3))
    w = binarize(lin.weight).detach().numpy()
    inits = [onnx.numpy_helper.to_array(t) for t in proto.graph.initializer]
    assert any(a.shape == w.T.shape and np.array_equal(a, w.T) for a in inits)
    assert not any(a.shape == w.shape and np.array_equal(a, lin.weight.detach().numpy())
                   for a in inits)
