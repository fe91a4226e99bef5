"""``gradlab.device`` against ``torch.device``: parsing, equality, hash, printing, pickling;
gradlab.cuda / accelerator / backends answering as torch's CPU build does (its refusals raised
as both RuntimeError and AssertionError); the default device and ``with device(...)``; the
Generator's device. The placement of data (``device=``, ``.to``, ``.cuda``) is in
tests/test_device_placement.py."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
import torch
from devicechecks import REFUSED, describe, outcome

import gradlab
from gradlab._device import DeviceUnavailableError

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
        cpu = gradlab.device("cpu")
        with cpu, cpu:  # nested, the same object twice
            assert describe(gradlab.get_default_device()) == describe(cpu)
        assert describe(gradlab.get_default_device()) == describe(d)
        with pytest.raises(RuntimeError, match=REFUSED.format("set_default_device", "cuda")), \
                gradlab.device("cuda"):
            pass
        assert describe(gradlab.get_default_device()) == describe(d)
    assert describe(gradlab.get_default_device()) == describe(torch.get_default_device())


def test_generator_device():
    assert describe(gradlab.Generator().device) == describe(torch.Generator().device)
    assert describe(gradlab.Generator("cpu").device) == describe(torch.Generator("cpu").device)
    assert outcome(lambda: torch.Generator("cuda"))[:2] == ("raises", RuntimeError)
    with pytest.raises(RuntimeError, match=REFUSED.format("Generator", "cuda")):
        gradlab.Generator(device="cuda")
