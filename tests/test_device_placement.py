"""Placing data, against torch's CPU build: ``device=`` on the factory functions,
``Tensor.new_*`` and the layers (any CPU spelling accepted, results as torch's); ``Tensor.device``
and its flags; ``.to``'s three forms, ``.cuda()``, ``.cpu()``, ``pin_memory``; ``Module.to``;
the DataLoader's ``pin_memory`` warnings; and a typical script's ``device = torch.device("cuda"
if torch.cuda.is_available() else "cpu")`` run unchanged. Where torch with CUDA would put data on
a GPU, gradlab raises its one RuntimeError, message checked."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from devicechecks import CPUS, REFUSED, describe, outcome

import gradlab
import gradlab.nn as nn
from gradlab._device import DeviceUnavailableError

# ----------------------------------------------------------------------------- factories

#: (name, fn(lib, **device_kwargs)): deterministic values compared, random ones by shape/dtype
FACTORIES = [
    ("tensor", lambda L, **k: L.tensor([[1.5, 2.0]], **k)),
    ("as_tensor", lambda L, **k: L.as_tensor([1, 2, 3], **k)),
    ("zeros", lambda L, **k: L.zeros(2, 3, **k)),
    ("ones", lambda L, **k: L.ones((2,), dtype=L.float64, **k)),
    ("empty", lambda L, **k: L.empty(2, 3, **k).fill_(0)),
    ("full", lambda L, **k: L.full((2, 2), 7, **k)),
    ("zeros_like", lambda L, **k: L.zeros_like(L.ones(2, 3), **k)),
    ("ones_like", lambda L, **k: L.ones_like(L.ones(2, dtype=L.int64), **k)),
    ("empty_like", lambda L, **k: L.empty_like(L.ones(2), **k).fill_(1)),
    ("full_like", lambda L, **k: L.full_like(L.ones(3), 2.5, **k)),
    ("arange", lambda L, **k: L.arange(0, 5, 2, **k)),
    ("linspace", lambda L, **k: L.linspace(0, 1, 5, **k)),
    ("eye", lambda L, **k: L.eye(3, 2, **k)),
    ("rand", lambda L, **k: L.rand(2, 3, **k)),
    ("randn", lambda L, **k: L.randn(4, dtype=L.float64, **k)),
    ("randint", lambda L, **k: L.randint(0, 5, (3, 2), **k)),
    ("randperm", lambda L, **k: L.randperm(6, **k)),
    ("rand_like", lambda L, **k: L.rand_like(L.ones(2, 2), **k)),
    ("randn_like", lambda L, **k: L.randn_like(L.ones(3, dtype=L.float64), **k)),
    ("randint_like", lambda L, **k: L.randint_like(L.ones(4), 0, 3, **k)),
    ("new_zeros", lambda L, **k: L.ones(2).new_zeros(3, **k)),
    ("new_ones", lambda L, **k: L.ones(2).new_ones(2, 2, **k)),
    ("new_empty", lambda L, **k: L.ones(2).new_empty(2, **k).fill_(3)),
    ("new_full", lambda L, **k: L.ones(2).new_full((2,), 4.0, **k)),
    ("new_tensor", lambda L, **k: L.ones(2).new_tensor([1, 2], **k)),
]
RANDOM = {"rand", "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like"}
@pytest.mark.parametrize("cpu", CPUS)
@pytest.mark.parametrize("name,fn", FACTORIES, ids=[r[0] for r in FACTORIES])
def test_factories_take_a_cpu_device_as_torch(name, fn, cpu):
    g, t = fn(gradlab, device=CPUS[cpu](gradlab)), fn(torch, device=CPUS[cpu](torch))
    assert tuple(g.shape) == tuple(t.shape) and str(g.dtype)[8:] == str(t.dtype)[6:]
    assert repr(g.device) == repr(t.device) == "device(type='cpu')"
    if name not in RANDOM:
        np.testing.assert_array_equal(g.numpy(), t.numpy())


@pytest.mark.parametrize("name,fn", FACTORIES, ids=[r[0] for r in FACTORIES])
@pytest.mark.parametrize("dev", ["cuda:0", "cuda", "mps", "meta", "xpu:1"])
def test_factories_refuse_other_devices(name, fn, dev):
    with pytest.raises(DeviceUnavailableError, match=REFUSED.format(name, dev)):
        fn(gradlab, device=dev)
    with pytest.raises(DeviceUnavailableError, match=REFUSED.format(name, dev)):
        fn(gradlab, device=gradlab.device(dev))


@pytest.mark.parametrize("name,fn", FACTORIES, ids=[r[0] for r in FACTORIES])
def test_factories_refuse_an_accelerator_index_and_non_devices(name, fn):
    assert outcome(lambda: fn(torch, device=0))[:2] == ("raises", RuntimeError)
    with pytest.raises(RuntimeError, match=f"{name}: device 0 is not available: an int names "
                                           "an accelerator device"):
        fn(gradlab, device=0)
    assert outcome(lambda: fn(torch, device=3.0))[:2] == ("raises", TypeError)
    with pytest.raises(TypeError, match=f"{name}: argument 'device' must be a device, a string "
                                        "such as 'cpu' or an int, not float"):
        fn(gradlab, device=3.0)
    t = outcome(lambda: fn(torch, device="gpu"))
    with pytest.raises(RuntimeError) as info:
        fn(gradlab, device="gpu")
    assert str(info.value) == f"{name}: {t[2]}"


def test_factories_on_the_cpu_torch_refuses_off_it():
    for name, fn in FACTORIES:
        assert outcome(lambda fn=fn: fn(torch, device="cuda"))[0] == "raises", name


def test_random_factories_take_requires_grad_as_torch():
    for name in ("rand_like", "randn_like"):
        fn = dict(FACTORIES)[name]
        assert fn(gradlab, requires_grad=True).requires_grad
        assert fn(torch, requires_grad=True).requires_grad
    for lib in (gradlab, torch):
        assert lib.randint(0, 3, (2,), dtype=lib.float32, requires_grad=True).requires_grad
        with pytest.raises(RuntimeError, match="(?i)only Tensors of floating point"):
            lib.randperm(3, requires_grad=True)


# ----------------------------------------------------------------------------- modules

#: (name, fn(lib, **device_and_dtype)): the torch layers that take device= and dtype=
MODULES = [
    ("Linear", lambda L, **k: L.nn.Linear(3, 2, **k)),
    ("Linear", lambda L, **k: L.nn.Linear(3, 2, False, **k)),
    ("Conv1d", lambda L, **k: L.nn.Conv1d(2, 4, 3, **k)),
    ("Conv2d", lambda L, **k: L.nn.Conv2d(2, 4, 3, padding=1, **k)),
    ("ConvTranspose2d", lambda L, **k: L.nn.ConvTranspose2d(2, 3, 2, stride=2, **k)),
    ("BatchNorm1d", lambda L, **k: L.nn.BatchNorm1d(4, **k)),
    ("BatchNorm2d", lambda L, **k: L.nn.BatchNorm2d(3, affine=False, **k)),
    ("LayerNorm", lambda L, **k: L.nn.LayerNorm((2, 3), **k)),
    ("GroupNorm", lambda L, **k: L.nn.GroupNorm(2, 4, **k)),
    ("InstanceNorm2d", lambda L, **k: L.nn.InstanceNorm2d(3, affine=True,
                                                          track_running_stats=True, **k)),
    ("PReLU", lambda L, **k: L.nn.PReLU(3, **k)),
    ("Embedding", lambda L, **k: L.nn.Embedding(5, 2, padding_idx=0, **k)),
    ("MultiheadAttention", lambda L, **k: L.nn.MultiheadAttention(4, 2, **k)),
    ("TransformerEncoderLayer", lambda L, **k: L.nn.TransformerEncoderLayer(4, 2, 8, **k)),
    ("RNN", lambda L, **k: L.nn.RNN(3, 4, 2, nonlinearity="relu", **k)),
    ("LSTM", lambda L, **k: L.nn.LSTM(3, 4, bidirectional=True, **k)),
    ("GRU", lambda L, **k: L.nn.GRU(3, 4, batch_first=True, **k)),
    ("RNNCell", lambda L, **k: L.nn.RNNCell(3, 4, **k)),
    ("LSTMCell", lambda L, **k: L.nn.LSTMCell(3, 4, bias=False, **k)),
    ("GRUCell", lambda L, **k: L.nn.GRUCell(3, 4, **k)),
]
MODULE_IDS = [f"{r[0]}{i}" for i, r in enumerate(MODULES)]


def _state(m) -> dict:
    return {k: (tuple(v.shape), str(v.dtype).split(".")[1], repr(v.device))
            for k, v in m.state_dict().items()}


@pytest.mark.parametrize("cpu", CPUS)
@pytest.mark.parametrize("name,fn", MODULES, ids=MODULE_IDS)
def test_modules_take_a_cpu_device_as_torch(name, fn, cpu):
    for dtype in (None, "float64"):
        kg = {"device": CPUS[cpu](gradlab)} | ({"dtype": gradlab.float64} if dtype else {})
        kt = {"device": CPUS[cpu](torch)} | ({"dtype": torch.float64} if dtype else {})
        g, t = fn(gradlab, **kg), fn(torch, **kt)
        assert repr(g) == repr(t)
        assert _state(g) == _state(t)
        assert all(repr(p.device) == "device(type='cpu')" for p in g.parameters())


@pytest.mark.parametrize("name,fn", MODULES, ids=MODULE_IDS)
def test_modules_refuse_other_devices(name, fn):
    assert outcome(lambda: fn(torch, device="cuda:0"))[0] == "raises"
    for dev in ("cuda:0", "mps"):
        with pytest.raises(DeviceUnavailableError, match=REFUSED.format(name, dev)):
            fn(gradlab, device=dev)
        with pytest.raises(DeviceUnavailableError, match=REFUSED.format(name, dev)):
            fn(gradlab, device=gradlab.device(dev))


def test_device_and_dtype_positions_are_torchs():
    """torch's layers put device before dtype, positionally too."""
    for lib in (gradlab, torch):
        bn = lib.nn.BatchNorm1d(4, 1e-5, 0.1, True, True, "cpu", lib.float64)
        gn = lib.nn.GroupNorm(2, 4, 1e-5, True, "cpu", lib.float64)
        ln = lib.nn.LayerNorm(3, 1e-5, True, True, "cpu", lib.float64)
        lin = lib.nn.Linear(2, 3, True, "cpu", lib.float64)
        conv = lib.nn.Conv2d(1, 2, 3, 1, 0, 1, 1, True, "zeros", "cpu", lib.float64)
        for m in (bn, gn, ln, lin, conv):
            assert str(m.weight.dtype).endswith("float64")


# ----------------------------------------------------------------------------- Tensor


def test_tensor_device_and_flags_as_torch():
    g, t = gradlab.ones(2), torch.ones(2)
    assert describe(g.device) == describe(t.device)
    assert str(g.device) == str(t.device) == "cpu"
    assert g.device == gradlab.device("cpu") and g.device != gradlab.device("cpu:0")
    assert g.device.type == "cpu" and g.device.index is None
    for attr in ("is_cpu", "is_cuda", "is_mps", "is_meta"):
        assert getattr(g, attr) == getattr(t, attr), attr
    assert g.get_device() == t.get_device() == -1
    assert g.is_pinned() == t.is_pinned() is False
    assert g.cpu() is g and t.cpu() is t
    p = nn.Parameter(gradlab.ones(1))
    assert next(nn.Linear(1, 1).parameters()).device == p.device == gradlab.device("cpu")


#: .to(...) forms torch accepts: fn(lib, x) -> the result
TO_FORMS = {
    "()": lambda L, x: x.to(),
    "(None)": lambda L, x: x.to(None),
    "(None, None)": lambda L, x: x.to(None, None),
    "('cpu')": lambda L, x: x.to("cpu"),
    "(device('cpu'))": lambda L, x: x.to(L.device("cpu")),
    "(device=cpu)": lambda L, x: x.to(device="cpu"),
    "('cpu', non_blocking=True)": lambda L, x: x.to("cpu", non_blocking=True),
    "('cpu', copy=True)": lambda L, x: x.to("cpu", copy=True),
    "('cpu', float64)": lambda L, x: x.to("cpu", L.float64),
    "(device=cpu, dtype=float64)": lambda L, x: x.to(device="cpu", dtype=L.float64),
    "(dtype=float64)": lambda L, x: x.to(dtype=L.float64),
    "(float64)": lambda L, x: x.to(L.float64),
    "(float32)": lambda L, x: x.to(L.float32),
    "(float32, copy=True)": lambda L, x: x.to(L.float32, copy=True),
    "(float64, True)": lambda L, x: x.to(L.float64, True),
    "(int64)": lambda L, x: x.to(L.int64),
    "(other f64)": lambda L, x: x.to(L.ones(1, dtype=L.float64)),
    "(other f32, False, True)": lambda L, x: x.to(L.ones(1), False, True),
    "(None, int32, False, False)": lambda L, x: x.to(None, L.int32, False, False),
}


@pytest.mark.parametrize("form", TO_FORMS)
def test_tensor_to_forms_as_torch(form):
    xg, xt = gradlab.tensor([1.5, -2.0], requires_grad=True), torch.tensor([1.5, -2.0],
                                                                           requires_grad=True)
    g, t = TO_FORMS[form](gradlab, xg), TO_FORMS[form](torch, xt)
    assert (g is xg) == (t is xt)
    assert str(g.dtype)[8:] == str(t.dtype)[6:] and g.tolist() == t.tolist()
    assert g.requires_grad == t.requires_grad and repr(g.device) == repr(t.device)
    if g.requires_grad:
        g.sum().backward()
        t.sum().backward()
        assert xg.grad.tolist() == xt.grad.tolist()


BAD_TO = {
    "('cpu', 'cpu')": lambda L, x: x.to("cpu", "cpu"),
    "(float64, float32)": lambda L, x: x.to(L.float64, L.float32),
    "(float64, device=cpu)": lambda L, x: x.to(L.float64, device="cpu"),
    "(foo=1)": lambda L, x: x.to(foo=1),
    "('cpu', float64, False, False, 1)": lambda L, x: x.to("cpu", L.float64, False, False, 1),
    "(other, dtype=float64)": lambda L, x: x.to(L.ones(1), dtype=L.float64),
}


@pytest.mark.parametrize("form", BAD_TO)
def test_tensor_to_refuses_what_torch_refuses(form):
    g = outcome(lambda: BAD_TO[form](gradlab, gradlab.ones(2)))
    t = outcome(lambda: BAD_TO[form](torch, torch.ones(2)))
    assert t[:2] == g[:2] == ("raises", TypeError)
    assert g[2].startswith("Tensor.to") and ("expected to(device=None" in g[2]
                                             or "multiple values" in g[2])


@pytest.mark.parametrize("dev", ["cuda", "cuda:0", "cuda:1", "mps", "meta"])
def test_tensor_to_a_gpu_is_refused(dev):
    x = gradlab.ones(2)
    assert outcome(lambda: torch.ones(2).to(dev))[0] == "raises" or dev == "meta"
    for call in (lambda: x.to(dev), lambda: x.to(gradlab.device(dev)),
                 lambda: x.to(dev, gradlab.float64), lambda: x.to(device=dev, dtype=None),
                 lambda: x.to(dev, non_blocking=True)):
        with pytest.raises(DeviceUnavailableError, match=REFUSED.format("Tensor.to", dev)):
            call()
    with pytest.raises(RuntimeError, match=r"Tensor.to: device 0 is not available"):
        x.to(0)
    with pytest.raises(RuntimeError, match="Tensor.to: Expected one of cpu, cuda"):
        x.to("gpu")
    assert outcome(lambda: torch.ones(2).to([1]))[:2] == ("raises", TypeError)
    with pytest.raises(TypeError, match="Tensor.to: argument 'device' must be a device, a "
                                        "string such as 'cpu' or an int, not list"):
        x.to([1])


def test_tensor_cuda_and_pin_memory_are_refused():
    x, xt = gradlab.ones(2), torch.ones(2)
    for args, name in (((), "cuda"), ((1,), "cuda:1"), (("cuda:2",), "cuda:2"),
                       ((gradlab.device("cuda", 0),), "cuda:0")):
        assert outcome(lambda a=args: xt.cuda(*[str(v) if isinstance(v, gradlab.device) else v
                                                for v in a]))[0] == "raises"
        with pytest.raises(DeviceUnavailableError, match=REFUSED.format("Tensor.cuda", name)):
            x.cuda(*args)
    with pytest.raises(RuntimeError, match="Tensor.cuda: Invalid device, must be cuda device"):
        x.cuda("cpu")
    t = outcome(xt.pin_memory)
    assert t[:2] == ("raises", RuntimeError)
    with pytest.raises(RuntimeError, match=r"^Tensor.pin_memory: Cannot access accelerator "
                                           r"device when none is available\."):
        x.pin_memory()


# ----------------------------------------------------------------------------- Module.to

MODULE_TO = {
    "('cpu')": lambda L, m: m.to("cpu"),
    "(device('cpu'))": lambda L, m: m.to(L.device("cpu")),
    "(device=cpu)": lambda L, m: m.to(device="cpu"),
    "('cpu', non_blocking=True)": lambda L, m: m.to("cpu", non_blocking=True),
    "(float64)": lambda L, m: m.to(L.float64),
    "(dtype=float64)": lambda L, m: m.to(dtype=L.float64),
    "('cpu', float64)": lambda L, m: m.to("cpu", L.float64),
    "(other f64)": lambda L, m: m.to(L.ones(1, dtype=L.float64)),
    "()": lambda L, m: m.to(),
    "(int64)": lambda L, m: m.to(L.int64),
    "(other int64)": lambda L, m: m.to(L.ones(1, dtype=L.int64)),
    "('cpu', copy=True)": lambda L, m: m.to("cpu", copy=True),
    "(float64, float32)": lambda L, m: m.to(L.float64, L.float32),
}


@pytest.mark.parametrize("form", MODULE_TO)
def test_module_to_forms_as_torch(form):
    mg, mt = gradlab.nn.BatchNorm1d(2), torch.nn.BatchNorm1d(2)
    g, t = outcome(lambda: MODULE_TO[form](gradlab, mg)), outcome(
        lambda: MODULE_TO[form](torch, mt))
    assert g[0] == t[0]
    if t[0] == "ok":
        assert (g[1] is mg) and (t[1] is mt) and _state(mg) == _state(mt)
    else:
        assert g[1] is t[1]
        if t[1] is not TypeError or "nn.Module.to only" in t[2]:
            assert g[2] == t[2].replace("torch.", "gradlab.")


def test_module_gpu_moves_are_refused():
    m = gradlab.nn.Linear(2, 2)
    for dev in ("cuda", "cuda:0", gradlab.device("cuda", 1), "mps"):
        with pytest.raises(DeviceUnavailableError, match=REFUSED.format("Module.to", dev)):
            m.to(dev)
        with pytest.raises(DeviceUnavailableError, match=REFUSED.format("Module.to", dev)):
            m.to(dev, gradlab.float64)
    assert str(m.weight.dtype) == "gradlab.float32"  # nothing cast before the refusal
    for args, name in (((), "cuda"), ((0,), "cuda:0"), (("cuda:1",), "cuda:1")):
        assert outcome(lambda a=args: torch.nn.Linear(2, 2).cuda(*a))[0] == "raises"
        with pytest.raises(DeviceUnavailableError, match=REFUSED.format("Module.cuda", name)):
            m.cuda(*args)
    assert m.cpu() is m


# ----------------------------------------------------------------------------- DataLoader


def _loader_warnings(lib, **kwargs) -> list:
    ds = lib.utils.data.TensorDataset(lib.arange(6.0).reshape(3, 2), lib.arange(3))
    loader = lib.utils.data.DataLoader(ds, batch_size=2, **kwargs)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        batches = [b[1].tolist() for b in loader]
        [b[1].tolist() for b in loader]
    return [(w.category, str(w.message), w.filename) for w in seen], batches


@pytest.mark.parametrize("kwargs", [{}, {"pin_memory": True},
                                    {"pin_memory": True, "pin_memory_device": "cuda"},
                                    {"pin_memory": False, "pin_memory_device": "cuda"}], ids=str)
def test_dataloader_pin_memory_warns_as_torch(kwargs):
    (g, gb), (t, tb) = _loader_warnings(gradlab, **kwargs), _loader_warnings(torch, **kwargs)
    assert gb == tb
    assert [w[:2] for w in g] == [w[:2] for w in t]
    assert all(w[2] == __file__ for w in g)  # pointed at the loop, not at gradlab


# ----------------------------------------------------------------------------- the idiom


def _script(torch, x0, y0, tmp_path):
    """A typical script, written for torch: only the import differs."""
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(0)
    torch.cuda.manual_seed_all(0)
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(),
                                torch.nn.Linear(4, 2)).to(device)
    with torch.no_grad():
        for p, v in zip(model.parameters(), (0.1, -0.2, 0.3, 0.05)):
            p.copy_(torch.full(tuple(p.shape), v) * torch.arange(p.numel(), device=device,
                                                                 dtype=torch.float32)
                    .reshape(p.shape) / p.numel())
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.tensor(x0).to(device)
    y = torch.tensor(y0).to(device, non_blocking=True)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        out = model(x.to(device))
        loss = torch.nn.functional.cross_entropy(out, y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    h = torch.zeros(2, 4, device=device) + torch.ones(1, device=x.device)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save(state, tmp_path / "m.pt")
    back = torch.load(tmp_path / "m.pt", map_location=device)
    return (str(device), repr(device), repr(out.device), next(model.parameters()).device.type,
            losses, h.tolist(), sorted(back), device == torch.device("cpu"))


def test_the_device_idiom_runs_unchanged(tmp_path):
    x0 = np.linspace(-1, 1, 15, dtype=np.float32).reshape(5, 3)
    y0 = np.array([0, 1, 1, 0, 1])
    (tmp_path / "g").mkdir()
    (tmp_path / "t").mkdir()
    g = _script(gradlab, x0, y0, tmp_path / "g")
    t = _script(torch, x0, y0, tmp_path / "t")
    assert g[:4] == t[:4] == ("cpu", "device(type='cpu')", "device(type='cpu')", "cpu")
    np.testing.assert_allclose(g[4], t[4], rtol=1e-5)
    assert g[5:] == t[5:]
