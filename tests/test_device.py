"""The device idiom against torch's CPU build: ``gradlab.device``'s parsing, equality, hash,
printing and pickling; gradlab.cuda / accelerator / backends answering as torch's CPU build
does; ``device=`` on the factory functions, ``Tensor.new_*`` and the layers; ``Tensor.device``,
``.to``'s forms, ``.cuda()``, ``.cpu()``, ``pin_memory``; ``Module.to``; the DataLoader's
``pin_memory`` warnings; and the script line ``device = torch.device("cuda" if
torch.cuda.is_available() else "cpu")`` run unchanged. Where torch (with CUDA) would place data
on a GPU, gradlab raises its one RuntimeError, message checked."""

from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest
import torch

import gradlab
import gradlab.nn as nn
from gradlab._device import DeviceUnavailableError

REFUSED = r"{}: device '{}' is not available: gradlab computes on the CPU"


def outcome(fn):
    """``('ok', value)`` or ``('raises', exception type, message)`` of ``fn()``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ("ok", fn())
    except Exception as exc:  # noqa: BLE001 - the exception is the answer compared
        return ("raises", type(exc), str(exc))


def describe(d) -> tuple:
    return (repr(d), str(d), d.type, d.index, hash(d))


# ----------------------------------------------------------------------------- parsing

PARSED = [
    ("cpu",), ("cuda",), ("cuda:0",), ("cuda:1",), ("cuda", 0), ("cuda", 3), ("cpu", 0),
    ("cpu:0",), ("cpu:1",), ("mps",), ("mps:0",), ("meta",), ("xpu:1",), ("hip:2",),
    ("privateuseone",), ("cuda:10",), ("cpu", None), ("cuda", np.int64(2)),
]
BAD_STRINGS = ["", "cuda:", "cuda:-1", "cuda:a", "cuda:0:1", "cuda: 0", "cuda:01", "cuda:00",
               "cuda:1.0", "cuda:+1", " cpu", "cuda:0 ", ":0", "1cuda", "cuda0", "cu da",
               "a:b:c", "foo", "gpu", "CUDA", "CPU", "cuda_x", "foo:0", "metal"]


@pytest.mark.parametrize("args", PARSED, ids=str)
def test_device_parses_as_torch(args):
    g, t = gradlab.device(*args), torch.device(*args)
    assert describe(g) == describe(t)
    assert isinstance(g.index, (int, type(None))) and not isinstance(g.index, np.integer)


def test_device_keywords_and_copies_as_torch():
    for kw in ({"type": "cuda", "index": 0}, {"type": "cuda"}, {"type": "cpu", "index": 3}):
        assert describe(gradlab.device(**kw)) == describe(torch.device(**kw))
    d = gradlab.device("cuda:1")
    assert gradlab.device(d) == d and describe(gradlab.device(d)) == describe(torch.device(
        torch.device("cuda:1")))


@pytest.mark.parametrize("s", BAD_STRINGS)
def test_bad_device_strings_raise_torchs_runtime_error(s):
    g, t = outcome(lambda: gradlab.device(s)), outcome(lambda: torch.device(s))
    assert t[0] == "raises" and t[1] is RuntimeError
    assert g == t


@pytest.mark.parametrize("args", [("cuda:0", 0), ("cuda", -1), (-1,), ("cpu", -2)], ids=str)
def test_bad_indices_raise_torchs_runtime_error(args):
    g, t = outcome(lambda: gradlab.device(*args)), outcome(lambda: torch.device(*args))
    assert t[0] == "raises" and g == t


@pytest.mark.parametrize("args", [(1.5,), (None,), (True,), (2.0,), ("cuda", 1.0),
                                  ("cuda", "0"), ("cuda", True), ("device", 1)], ids=str)
def test_non_device_arguments_are_type_errors_as_in_torch(args):
    if args[0] == "device":  # device(device, index)
        g = outcome(lambda: gradlab.device(gradlab.device("cpu"), 1))
        t = outcome(lambda: torch.device(torch.device("cpu"), 1))
    else:
        g, t = outcome(lambda: gradlab.device(*args)), outcome(lambda: torch.device(*args))
    assert t[:2] == g[:2] == ("raises", TypeError)
    assert "device()" in g[2]


@pytest.mark.parametrize("n", [0, 1, np.int64(0)])
def test_an_int_means_an_accelerator_and_none_is_available(n):
    t = outcome(lambda: torch.device(n))
    assert t[:2] == ("raises", RuntimeError)
    with pytest.raises(RuntimeError, match=r"^Cannot access accelerator device when none is "
                                           r"available\. device\(.*\): an int names an "
                                           r"accelerator device"):
        gradlab.device(n)
    with pytest.raises(RuntimeError, match="Device index must not be negative"):
        gradlab.device(-3)


# ----------------------------------------------------------------------------- equality

PAIRS = [("cpu", "cpu"), ("cpu", "cpu:0"), ("cuda", "cuda:0"), ("cuda:0", "cuda:0"),
         ("cuda:0", "cuda:1"), ("cuda", "cpu"), ("mps", "mps:0"), ("cuda:1", "xpu:1")]


@pytest.mark.parametrize("a,b", PAIRS)
def test_equality_and_hash_as_torch(a, b):
    ga, gb, ta, tb = gradlab.device(a), gradlab.device(b), torch.device(a), torch.device(b)
    assert (ga == gb, ga != gb) == (ta == tb, ta != tb)
    assert (hash(ga) == hash(gb)) == (hash(ta) == hash(tb))
    assert len({ga, gb}) == len({ta, tb})
    assert ({ga: 1}.get(gradlab.device(b)) == 1) == ({ta: 1}.get(torch.device(b)) == 1)


def test_a_device_is_not_equal_to_its_string_nor_ordered_as_in_torch():
    for lib in (gradlab, torch):
        d = lib.device("cpu")
        assert (d == "cpu", d != "cpu", d == 0, d.__eq__("cpu")) == (False, True, False,
                                                                      NotImplemented)
        with pytest.raises(TypeError):
            d < lib.device("cuda")  # noqa: B015


def test_device_pickles_copies_and_is_read_only():
    for s in ("cpu", "cuda:1", "mps"):
        g = gradlab.device(s)
        back = pickle.loads(pickle.dumps(g))
        assert back == g and type(back) is gradlab.device and describe(back) == describe(g)
        assert copy.deepcopy(g) == g and copy.copy(g) == g
        assert g.__reduce__()[1] == torch.device(s).__reduce__()[1]
    d = gradlab.device("cpu")
    with pytest.raises(AttributeError):
        d.type = "cuda"
    with pytest.raises(AttributeError):
        d.index = 0
    with pytest.raises(AttributeError):
        d.foo = 1


# ----------------------------------------------------------------------------- cuda & co

SAME_ANSWERS = [
    ("cuda.is_available", lambda L: L.cuda.is_available()),
    ("cuda.device_count", lambda L: L.cuda.device_count()),
    ("cuda.is_initialized", lambda L: L.cuda.is_initialized()),
    ("cuda.manual_seed", lambda L: L.cuda.manual_seed(3)),
    ("cuda.manual_seed float", lambda L: L.cuda.manual_seed(1.5)),
    ("cuda.manual_seed_all", lambda L: L.cuda.manual_seed_all(3)),
    ("cuda.seed", lambda L: L.cuda.seed()),
    ("cuda.seed_all", lambda L: L.cuda.seed_all()),
    ("cuda.empty_cache", lambda L: L.cuda.empty_cache()),
    ("cuda.memory_allocated", lambda L: L.cuda.memory_allocated()),
    ("cuda.memory_allocated(0)", lambda L: L.cuda.memory_allocated(0)),
    ("cuda.max_memory_allocated", lambda L: L.cuda.max_memory_allocated()),
    ("cuda.memory_reserved", lambda L: L.cuda.memory_reserved()),
    ("cuda.max_memory_reserved", lambda L: L.cuda.max_memory_reserved()),
    ("cuda.is_bf16_supported", lambda L: L.cuda.is_bf16_supported()),
    ("cuda.is_bf16_supported(False)", lambda L: L.cuda.is_bf16_supported(False)),
    ("cuda.is_tf32_supported", lambda L: L.cuda.is_tf32_supported()),
    ("cuda.get_arch_list", lambda L: L.cuda.get_arch_list()),
    ("cuda.get_rng_state_all", lambda L: L.cuda.get_rng_state_all()),
    ("cuda.set_rng_state_all", lambda L: L.cuda.set_rng_state_all([])),
    ("accelerator.is_available", lambda L: L.accelerator.is_available()),
    ("accelerator.current_accelerator", lambda L: L.accelerator.current_accelerator()),
    ("accelerator.current_accelerator(True)",
     lambda L: L.accelerator.current_accelerator(check_available=True)),
    ("accelerator.device_count", lambda L: L.accelerator.device_count()),
    ("backends.cudnn.is_available", lambda L: L.backends.cudnn.is_available()),
    ("backends.cudnn.version", lambda L: L.backends.cudnn.version()),
    ("backends.cudnn.enabled", lambda L: L.backends.cudnn.enabled),
    ("backends.cudnn.benchmark", lambda L: L.backends.cudnn.benchmark),
    ("backends.cudnn.benchmark_limit", lambda L: L.backends.cudnn.benchmark_limit),
    ("backends.cudnn.deterministic", lambda L: L.backends.cudnn.deterministic),
    ("backends.cudnn.allow_tf32", lambda L: L.backends.cudnn.allow_tf32),
    ("backends.cudnn.is_acceptable", lambda L: L.backends.cudnn.is_acceptable(L.ones(1))),
    ("backends.mps.is_available", lambda L: L.backends.mps.is_available()),
    ("backends.mps.is_built", lambda L: L.backends.mps.is_built()),
    ("backends.cuda.is_built", lambda L: L.backends.cuda.is_built()),
    ("backends.cuda.matmul.allow_tf32", lambda L: L.backends.cuda.matmul.allow_tf32),
    ("matmul.allow_fp16_reduced_precision_reduction",
     lambda L: L.backends.cuda.matmul.allow_fp16_reduced_precision_reduction),
    ("matmul.allow_bf16_reduced_precision_reduction",
     lambda L: L.backends.cuda.matmul.allow_bf16_reduced_precision_reduction),
]


@pytest.mark.parametrize("name,fn", SAME_ANSWERS, ids=[r[0] for r in SAME_ANSWERS])
def test_answers_as_torchs_cpu_build(name, fn):
    g, t = outcome(lambda: fn(gradlab)), outcome(lambda: fn(torch))
    assert t[0] == "ok" and g == t


REFUSALS = [
    ("cuda.current_device", lambda L: L.cuda.current_device()),
    ("cuda.synchronize", lambda L: L.cuda.synchronize()),
    ("cuda.init", lambda L: L.cuda.init()),
    ("cuda.initial_seed", lambda L: L.cuda.initial_seed()),
    ("cuda.get_rng_state", lambda L: L.cuda.get_rng_state()),
    ("cuda.get_device_name", lambda L: L.cuda.get_device_name(0)),
    ("cuda.get_device_capability", lambda L: L.cuda.get_device_capability()),
    ("cuda.get_device_properties", lambda L: L.cuda.get_device_properties(0)),
    ("cuda.mem_get_info", lambda L: L.cuda.mem_get_info()),
    ("cuda.set_device", lambda L: L.cuda.set_device(0)),
    ("accelerator.current_device_index", lambda L: L.accelerator.current_device_index()),
    ("accelerator.set_device_index", lambda L: L.accelerator.set_device_index(0)),
    ("accelerator.synchronize", lambda L: L.accelerator.synchronize()),
    ("accelerator.empty_cache", lambda L: L.accelerator.empty_cache()),
]


@pytest.mark.parametrize("name,fn", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals_as_torchs_cpu_build(name, fn):
    """torch's CPU build raises (AssertionError for torch.cuda, RuntimeError for
    torch.accelerator; its CUDA build without a GPU raises RuntimeError): gradlab's error is
    both, and names the function."""
    t = outcome(lambda: fn(torch))
    assert t[0] == "raises" and t[1] in (AssertionError, RuntimeError, AttributeError)
    with pytest.raises(DeviceUnavailableError, match=f"gradlab.{name}: ") as info:
        fn(gradlab)
    assert isinstance(info.value, RuntimeError) and isinstance(info.value, AssertionError)
    if name.startswith("accelerator"):
        assert t[2] in str(info.value)  # torch's sentence


def test_cuda_manual_seed_converts_as_torch_and_leaves_the_cpu_stream_alone():
    gradlab.manual_seed(5)
    a = gradlab.rand(3).tolist()
    gradlab.manual_seed(5)
    gradlab.cuda.manual_seed_all(123)
    gradlab.cuda.manual_seed(7)
    assert gradlab.rand(3).tolist() == a
    g, t = outcome(lambda: gradlab.cuda.manual_seed("a")), outcome(
        lambda: torch.cuda.manual_seed("a"))
    assert g == t and g[1] is ValueError


def test_backend_switches_are_set_and_read_back():
    cudnn = gradlab.backends.cudnn
    before = (cudnn.benchmark, cudnn.deterministic, cudnn.enabled)
    try:
        cudnn.benchmark, cudnn.deterministic = True, True
        assert (cudnn.benchmark, cudnn.deterministic) == (True, True)
        with cudnn.flags(enabled=False, benchmark=False):
            assert (cudnn.enabled, cudnn.benchmark) == (False, False)
        assert (cudnn.enabled, cudnn.benchmark) == (True, True)
        with pytest.raises(ValueError), cudnn.flags(enabled=False):
            raise ValueError
        assert cudnn.enabled is True
    finally:
        cudnn.benchmark, cudnn.deterministic, cudnn.enabled = before
    import gradlab.backends.cudnn as imported  # the script form

    assert imported is cudnn
    m = gradlab.backends.cuda.matmul
    try:
        m.allow_tf32 = True
        assert m.allow_tf32 is True
    finally:
        m.allow_tf32 = False
    for lib in (gradlab, torch):
        with pytest.raises(AttributeError, match="^Unknown attribute nope$"):
            lib.backends.cuda.matmul.nope  # noqa: B018
        with pytest.raises(AttributeError, match="^Unknown attribute nope$"):
            lib.backends.cuda.matmul.nope = True
        with pytest.raises(RuntimeError, match="expects a bool, but got int"):
            lib.backends.cuda.matmul.allow_tf32 = 1


# ----------------------------------------------------------------------------- default device


def test_default_device_as_torch():
    try:
        for d in ("cpu", "cpu:0", gradlab.device("cpu", 0), None):
            gradlab.set_default_device(d)
            torch.set_default_device(d if not isinstance(d, gradlab.device) else str(d))
            assert describe(gradlab.get_default_device()) == describe(
                torch.get_default_device())
            assert gradlab.zeros(1).device == gradlab.device("cpu")
    finally:
        gradlab.set_default_device(None)
        torch.set_default_device(None)


@pytest.mark.parametrize("d", ["cuda", "cuda:0", "mps", "meta"])
def test_a_default_device_off_the_cpu_is_refused(d):
    with pytest.raises(RuntimeError, match=REFUSED.format("set_default_device", d)):
        gradlab.set_default_device(d)
    with pytest.raises(RuntimeError, match=REFUSED.format("set_default_device", d)), \
            gradlab.device(d):
        pass
    assert gradlab.get_default_device() == gradlab.device("cpu")
    with pytest.raises(RuntimeError, match="an int names an accelerator device"):
        gradlab.set_default_device(0)


def test_device_as_a_context_manager_sets_and_restores_the_default():
    with gradlab.device("cpu", 0) as d:
        assert d == gradlab.device("cpu:0") and gradlab.get_default_device() == d
        assert gradlab.ones(2).device == gradlab.device("cpu")
    assert describe(gradlab.get_default_device()) == describe(torch.get_default_device())


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
#: CPU devices in every spelling: fn(lib) -> the device argument
CPUS = {"cpu": lambda L: "cpu", "cpu:0": lambda L: "cpu:0", "device(cpu)": lambda L:
        L.device("cpu"), "device(cpu, 0)": lambda L: L.device("cpu", 0), "None": lambda L: None}


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


def test_generator_device():
    assert describe(gradlab.Generator().device) == describe(torch.Generator().device)
    assert describe(gradlab.Generator("cpu").device) == describe(torch.Generator("cpu").device)
    assert outcome(lambda: torch.Generator("cuda"))[:2] == ("raises", RuntimeError)
    with pytest.raises(RuntimeError, match=REFUSED.format("Generator", "cuda")):
        gradlab.Generator(device="cuda")


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
