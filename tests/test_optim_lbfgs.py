"""optim.LBFGS against torch.optim.LBFGS: the same problems from the same initial values, each
library computing its own loss and gradients, stepped side by side.

Problems: the Rosenbrock function (2-D and 10-D), a least-squares fit of a small tanh MLP
(torch-initialised, its weights loaded into gradlab's) and a curve fit a·sin(b·x) + c (three
0-d parameters), with fixed steps and with the strong-Wolfe line search, over several
``step()`` calls. After each step: the parameters (float64 within 1e-10 relative), the
returned loss (the closure's first value), ``func_evals`` and ``n_iter`` exactly; at the end the
whole state (keys in order, types: Python numbers where torch has them, 0-d Tensors for torch's
0-d tensors). Then the early exits, history truncation, ``max_eval``, state_dict round trips
(through a checkpoint file, and from torch's own state) and the errors. The line search
alone, branch by branch, is in tests/test_optim_lbfgs_line_search.py.

Why these starting points and iteration counts: L-BFGS amplifies rounding differences along
the way (torch's dot products are MKL's ``ddot``, NumPy's OpenBLAS's, with FMA; torch's
``add_(alpha=)`` fuses the multiply-add), about 3x per iteration while the iterates crawl
along Rosenbrock's curved valley. Measured: torch against itself with x₀ changed by 1e-15
relative drifts as far apart as gradlab and torch do (10-D Rosenbrock, fixed steps,
``max_iter=20``: 5e-13 after one step, 4e-9 after two, 2e-5 after three). So the float64 cases
below are ones where that sensitivity stays under 1e-11 (measured gradlab-vs-torch: at most
6e-12), and the float32 ones are short (the same amplification starts from 1e-7).

torch is imported unconditionally: without it these tests must fail, never skip.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import gradlab
import gradlab.nn as gnn
import gradlab.optim as optim
from gradlab.train.checkpoint import load_checkpoint, save_checkpoint

TOL = {"float64": (1e-10, 1e-12), "float32": (1e-5, 1e-6)}


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """torch on one thread for these tiny tensors (as tests/test_optim.py). Restored after."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


# --------------------------------------------------------------------------- problems


class Problem:
    """Parameters in both libraries from the same values and a closure for each."""

    def __init__(self, name: str, dtype: str) -> None:
        self.name, self.dtype = name, dtype
        rng = np.random.default_rng(3)
        if name.startswith("rosenbrock"):
            n = int(name[len("rosenbrock"):])
            start = [-1.2, 1.0] * (n // 2) if n == 2 else np.linspace(-1.0, 1.5, n)
            self.g = [gradlab.tensor(np.array(start, dtype=dtype), requires_grad=True)]
            self.t = [torch.tensor(np.array(start, dtype=dtype), requires_grad=True)]
        elif name == "curve":  # a·sin(b·x) + c, data from a=1.7, b=1.3, c=0.4 plus noise
            self.x = np.linspace(-3, 3, 40).astype(dtype)
            self.y = (1.7 * np.sin(1.3 * self.x) + 0.4
                      + 0.1 * rng.standard_normal(40)).astype(dtype)
            start = [1.0, 1.0, 0.0]
            self.g = [gradlab.tensor(np.array(v, dtype=dtype), requires_grad=True)
                      for v in start]
            self.t = [torch.tensor(np.array(v, dtype=dtype), requires_grad=True)
                      for v in start]
        elif name == "mlp":  # least squares, y = sin(x₁ + x₂ + x₃), a 3-8-1 tanh MLP
            self.x = rng.standard_normal((32, 3)).astype(dtype)
            self.y = np.sin(self.x.sum(1, keepdims=True)).astype(dtype)
            torch.manual_seed(0)
            self.tmodel = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(),
                                              torch.nn.Linear(8, 1)).to(getattr(torch, dtype))
            gdt = getattr(gradlab, dtype)
            self.gmodel = gnn.Sequential(gnn.Linear(3, 8, dtype=gdt), gnn.Tanh(),
                                         gnn.Linear(8, 1, dtype=gdt))
            self.gmodel.load_state_dict({k: v.detach().numpy().copy()
                                         for k, v in self.tmodel.state_dict().items()})
            self.g = list(self.gmodel.parameters())
            self.t = list(self.tmodel.parameters())
        else:
            raise ValueError(name)

    def loss(self, lib, ps):
        if self.name.startswith("rosenbrock"):  # Σ 100 (x_{i+1} - x_i²)² + (1 - x_i)²
            x = ps[0]
            return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()
        if self.name == "curve":
            a, b, c = ps
            return ((a * lib.sin(b * lib.tensor(self.x)) + c - lib.tensor(self.y)) ** 2).mean()
        model = self.gmodel if lib is gradlab else self.tmodel
        x, y = lib.tensor(self.x), lib.tensor(self.y)
        return (gnn if lib is gradlab else torch.nn).MSELoss()(model(x), y)

    def closure(self, lib, opt, calls: list | None = None):
        ps = self.g if lib is gradlab else self.t

        def closure():
            opt.zero_grad()
            loss = self.loss(lib, ps)
            loss.backward()
            if calls is not None:
                calls.append(loss)
            return loss

        return closure

    def pair(self, **kwargs):
        """(gradlab optimizer, torch optimizer, gradlab closure, torch closure)."""
        g_opt, t_opt = optim.LBFGS(self.g, **kwargs), torch.optim.LBFGS(self.t, **kwargs)
        return g_opt, t_opt, self.closure(gradlab, g_opt), self.closure(torch, t_opt)


def params_close(gp, tp, dtype: str, what: str) -> None:
    rtol, atol = TOL[dtype]
    for i, (a, b) in enumerate(zip(gp, tp)):
        assert a.array.dtype == np.dtype(dtype), f"{what}: param {i} became {a.array.dtype}"
        np.testing.assert_allclose(a.array, b.detach().numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"{what}: param {i}")


def state_like_torch(gv, tv, dtype: str, what: str, rtol: float) -> None:
    """gradlab's state value against torch's: same structure and types (int, Python float,
    None, 0-d or 1-D tensor, list), values close (vectors relative to their largest entry)."""
    if isinstance(tv, list):
        assert isinstance(gv, list) and len(gv) == len(tv), f"{what}: {gv!r} vs a list"
        for i, (a, b) in enumerate(zip(gv, tv)):
            state_like_torch(a, b, dtype, f"{what}[{i}]", rtol)
    elif torch.is_tensor(tv):
        assert isinstance(gv, gradlab.Tensor), f"{what}: {type(gv).__name__}, torch a tensor"
        assert gv.array.dtype == np.dtype(dtype) and gv.shape == tuple(tv.shape), what
        b = tv.numpy()
        np.testing.assert_allclose(gv.array, b, rtol=rtol, atol=rtol * np.abs(b).max(),
                                   err_msg=what)
    elif tv is None:
        assert gv is None, f"{what}: {gv!r}, torch None"
    else:
        assert type(gv) is type(tv), f"{what}: {type(gv).__name__}, torch {type(tv).__name__}"
        assert gv == pytest.approx(tv, rel=rtol), f"{what}: {gv} vs {tv}"


def state_matches(g_opt, t_opt, dtype: str, rtol: float) -> None:
    gsd, tsd = g_opt.state_dict(), t_opt.state_dict()
    assert list(gsd["state"]) == list(tsd["state"]) == [0]
    gs, ts = gsd["state"][0], tsd["state"][0]
    assert list(gs) == list(ts), f"state keys {list(gs)} vs torch's {list(ts)}"
    for key in ts:
        state_like_torch(gs[key], ts[key], dtype, f"state '{key}'", rtol)
    assert gsd["param_groups"] == tsd["param_groups"]


# --------------------------------------------------------------------------- vs torch

#: (problem, options, steps): float64, where torch's sensitivity to rounding stays < 1e-11
CASES64 = [
    ("rosenbrock2", {"max_iter": 5}, 4),
    ("rosenbrock2", {"max_iter": 20, "line_search_fn": "strong_wolfe"}, 4),
    ("rosenbrock10", {"max_iter": 5}, 4),
    ("rosenbrock10", {"max_iter": 5, "line_search_fn": "strong_wolfe"}, 4),
    ("mlp", {"max_iter": 5}, 3),
    ("mlp", {"max_iter": 5, "line_search_fn": "strong_wolfe"}, 3),
    ("mlp", {"max_iter": 4, "lr": 0.5}, 3),
    ("curve", {}, 3),
    ("curve", {"line_search_fn": "strong_wolfe"}, 3),
    ("curve", {"max_iter": 3, "lr": 0.8}, 3),
]
#: float32: short runs (rounding differences start at 1e-7 and grow as above), stopped before
#: convergence, where a loss change of 1e-9 is about one float32 ulp and the
#: ``tolerance_change`` exit a coin toss
CASES32 = [
    ("rosenbrock2", {"max_iter": 3}, 3),
    ("rosenbrock2", {"max_iter": 3, "line_search_fn": "strong_wolfe"}, 3),
    ("rosenbrock10", {"max_iter": 3, "line_search_fn": "strong_wolfe"}, 2),
    ("mlp", {"max_iter": 3}, 2),
    ("mlp", {"max_iter": 3, "line_search_fn": "strong_wolfe"}, 2),
    ("curve", {"max_iter": 4}, 2),
    ("curve", {"max_iter": 4, "line_search_fn": "strong_wolfe"}, 2),
]


def _ids(cases):
    return [f"{p}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}"
            for p, kw, _ in cases]


def run_against_torch(problem: str, kwargs: dict, steps: int, dtype: str) -> None:
    prob = Problem(problem, dtype)
    g_opt, t_opt, g_closure, t_closure = prob.pair(**kwargs)
    rtol = TOL[dtype][0]
    for k in range(steps):
        g_loss, t_loss = g_opt.step(g_closure), t_opt.step(t_closure)
        what = f"{problem} step {k + 1}"
        assert isinstance(g_loss, gradlab.Tensor)
        assert float(g_loss) == pytest.approx(t_loss.item(), rel=rtol, abs=1e-15), what
        params_close(prob.g, prob.t, dtype, what)
        gs, ts = g_opt.state[prob.g[0]], t_opt.state[prob.t[0]]
        assert (gs["func_evals"], gs["n_iter"]) == (ts["func_evals"], ts["n_iter"]), what
    state_matches(g_opt, t_opt, dtype, rtol=1e-7 if dtype == "float64" else 1e-3)


@pytest.mark.parametrize("problem, kwargs, steps", CASES64, ids=_ids(CASES64))
def test_matches_torch_float64(problem, kwargs, steps):
    run_against_torch(problem, kwargs, steps, "float64")


@pytest.mark.parametrize("problem, kwargs, steps", CASES32, ids=_ids(CASES32))
def test_matches_torch_float32(problem, kwargs, steps):
    run_against_torch(problem, kwargs, steps, "float32")


def test_minimises_rosenbrock():
    """The strong-Wolfe search reaches the minimum (1, 1) from the classic start."""
    prob = Problem("rosenbrock2", "float64")
    opt, _, closure, _ = prob.pair(line_search_fn="strong_wolfe", tolerance_change=1e-14)
    for _ in range(3):
        opt.step(closure)
    np.testing.assert_allclose(prob.g[0].array, [1.0, 1.0], rtol=0, atol=1e-6)


def test_returns_the_first_closure_value():
    prob = Problem("curve", "float64")
    opt = optim.LBFGS(prob.g, max_iter=4)
    calls: list = []
    loss = opt.step(prob.closure(gradlab, opt, calls))
    assert loss is calls[0] and len(calls) == 4 == opt.state[prob.g[0]]["func_evals"]
    assert float(calls[-1]) < float(calls[0])


def test_closure_runs_with_grad_enabled():
    prob = Problem("rosenbrock2", "float64")
    g_opt, t_opt, g_closure, t_closure = prob.pair(max_iter=3)
    with gradlab.no_grad():
        g_opt.step(g_closure)
    with torch.no_grad():
        t_opt.step(t_closure)
    params_close(prob.g, prob.t, "float64", "under no_grad")


def test_parameter_without_gradient():
    """An unused parameter counts as zeros in ∇f (torch's flat gradient) and stays put."""
    prob = Problem("rosenbrock2", "float64")
    extra = np.array([[0.5, -0.25]])
    gu, tu = gradlab.tensor(extra.copy(), requires_grad=True), torch.tensor(extra.copy(),
                                                                            requires_grad=True)
    g_opt, t_opt = optim.LBFGS([gu, *prob.g], max_iter=6), torch.optim.LBFGS([tu, *prob.t],
                                                                            max_iter=6)
    for _ in range(2):
        g_opt.step(prob.closure(gradlab, g_opt))
        t_opt.step(prob.closure(torch, t_opt))
    assert gu.grad is None and tu.grad is None
    np.testing.assert_array_equal(gu.array, extra)
    params_close(prob.g, prob.t, "float64", "next to an unused parameter")
    state_matches(g_opt, t_opt, "float64", rtol=1e-7)  # state kept under the unused one


# --------------------------------------------------------------------------- exits and limits


def test_tolerance_grad_at_the_minimum_returns_at_once():
    g = gradlab.tensor([1.0, 1.0], requires_grad=True)
    t = torch.tensor([1.0, 1.0], requires_grad=True)
    g_opt, t_opt = optim.LBFGS([g]), torch.optim.LBFGS([t])
    prob = Problem("rosenbrock2", "float64")
    prob.g, prob.t = [g], [t]
    assert float(g_opt.step(prob.closure(gradlab, g_opt))) == 0.0
    t_opt.step(prob.closure(torch, t_opt))
    assert g_opt.state[g] == {"func_evals": 1, "n_iter": 0} == t_opt.state[t]
    np.testing.assert_array_equal(g.array, [1.0, 1.0])


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("problem, kwargs", [
    ("curve", {"tolerance_grad": 1e-3}),  # max|∇f| ≤ tolerance_grad after a move
    ("curve", {"tolerance_change": 1e-4}),  # the loss changed by less than this
    ("rosenbrock2", {"tolerance_change": 1e-2}),  # max|t d| ≤ tolerance_change, or the loss
], ids=["tolerance_grad", "tolerance_change-curve", "tolerance_change-rosenbrock"])
def test_early_exits_match_torch(problem, kwargs, line_search_fn):
    prob = Problem(problem, "float64")
    g_opt, t_opt, g_closure, t_closure = prob.pair(line_search_fn=line_search_fn, **kwargs)
    for k in range(3):
        g_opt.step(g_closure)
        t_opt.step(t_closure)
        gs, ts = g_opt.state[prob.g[0]], t_opt.state[prob.t[0]]
        assert (gs["func_evals"], gs["n_iter"]) == (ts["func_evals"], ts["n_iter"]), k
        params_close(prob.g, prob.t, "float64", f"{kwargs} step {k + 1}")
    assert g_opt.state[prob.g[0]]["n_iter"] < 20, "the exit never triggered"
    state_matches(g_opt, t_opt, "float64", rtol=1e-7)


def test_loss_change_exit():
    """f = 0.99 Σx² from |∇f|₁ < 1: the first (fixed, t = 1) move of -∇f overshoots to
    -0.98 x, a step of 0.5 (> tolerance_change) that changes f by 0.01 |∇f|² = 3e-3
    (< tolerance_change): the loss-change test alone ends the step."""
    start = np.array([0.25, -0.1])
    g, t = gradlab.tensor(start.copy(), requires_grad=True), torch.tensor(start.copy(),
                                                                          requires_grad=True)
    opts = [optim.LBFGS([g], tolerance_change=1e-2), torch.optim.LBFGS([t], tolerance_change=1e-2)]

    def closure(p, opt):
        opt.zero_grad()
        loss = 0.99 * (p**2).sum()
        loss.backward()
        return loss

    for p, opt in zip((g, t), opts):
        opt.step(lambda p=p, opt=opt: closure(p, opt))
    gs, ts = opts[0].state[g], opts[1].state[t]
    assert (gs["n_iter"], gs["func_evals"]) == (ts["n_iter"], ts["func_evals"]) == (1, 2)
    np.testing.assert_allclose(g.array, t.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(g.array, -0.98 * start, rtol=1e-12)


def test_not_a_descent_direction_stops_before_moving():
    """g·d > -tolerance_change: the iteration breaks before its step (n_iter counts it)."""
    prob = Problem("rosenbrock2", "float64")
    g_opt, t_opt, g_closure, t_closure = prob.pair(tolerance_change=1e6)
    g_opt.step(g_closure)
    t_opt.step(t_closure)
    np.testing.assert_array_equal(prob.g[0].array, [-1.2, 1.0])
    gs = g_opt.state[prob.g[0]]
    assert (gs["func_evals"], gs["n_iter"]) == (1, 1)
    np.testing.assert_array_equal(gs["d"].array, -prob.g[0].grad.array)
    state_matches(g_opt, t_opt, "float64", rtol=1e-12)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_history_size_truncates(line_search_fn):
    prob = Problem("rosenbrock10", "float64")
    g_opt, t_opt, g_closure, t_closure = prob.pair(history_size=3, max_iter=8,
                                                   line_search_fn=line_search_fn)
    g_opt.step(g_closure)
    t_opt.step(t_closure)
    gs, ts = g_opt.state[prob.g[0]], t_opt.state[prob.t[0]]
    assert gs["n_iter"] == 8 and len(gs["old_dirs"]) == len(gs["old_stps"]) == 3
    assert len(gs["ro"]) == 3 and len(gs["al"]) == 3
    params_close(prob.g, prob.t, "float64", "history_size=3")
    for key in ("old_dirs", "old_stps"):  # the newest three pairs, as torch keeps
        for a, b in zip(gs[key], ts[key]):
            np.testing.assert_allclose(a.array, b.numpy(), rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_max_eval_bounds_the_evaluations(line_search_fn):
    prob = Problem("rosenbrock10", "float64")
    g_opt, t_opt, g_closure, t_closure = prob.pair(max_iter=20, max_eval=7,
                                                   line_search_fn=line_search_fn)
    assert g_opt.param_groups[0]["max_eval"] == 7
    g_opt.step(g_closure)
    t_opt.step(t_closure)
    gs, ts = g_opt.state[prob.g[0]], t_opt.state[prob.t[0]]
    assert gs["func_evals"] == ts["func_evals"] <= 7 + 1 and gs["n_iter"] == ts["n_iter"]
    params_close(prob.g, prob.t, "float64", "max_eval=7")


def test_defaults_match_torch():
    g_opt = optim.LBFGS([gradlab.zeros(2, requires_grad=True)], max_iter=9)
    t_opt = torch.optim.LBFGS([torch.zeros(2, requires_grad=True)], max_iter=9)
    assert g_opt.param_groups[0]["max_eval"] == 11  # max_iter * 5 // 4
    assert g_opt.state_dict()["param_groups"] == t_opt.state_dict()["param_groups"]
    assert repr(g_opt) == repr(t_opt)


# --------------------------------------------------------------------------- state_dict


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_state_dict_round_trip_through_a_checkpoint(tmp_path, dtype, line_search_fn):
    """2 steps, a checkpoint file, a fresh optimizer loads it, 2 more: bit-identical to the
    run that was never interrupted."""
    kwargs = {"max_iter": 4, "history_size": 5, "line_search_fn": line_search_fn}
    ref = Problem("mlp", dtype)
    ref_opt = optim.LBFGS(ref.g, **kwargs)
    ref_closure = ref.closure(gradlab, ref_opt)
    for _ in range(2):
        ref_opt.step(ref_closure)
    save_checkpoint(tmp_path / "ckpt.safetensors", model=ref.gmodel, optimizer=ref_opt)
    loaded = load_checkpoint(tmp_path / "ckpt.safetensors")
    new = Problem("mlp", dtype)
    new.gmodel.load_state_dict(loaded["model"])
    new_opt = optim.LBFGS(new.g, lr=123.0)  # every option comes from the saved group
    new_opt.load_state_dict(loaded["optimizer"])
    assert new_opt.param_groups[0]["lr"] == 1 and new_opt.param_groups[0]["max_iter"] == 4
    new_closure = new.closure(gradlab, new_opt)
    for _ in range(2):
        assert float(ref_opt.step(ref_closure)) == float(new_opt.step(new_closure))
    for a, b in zip(ref.g, new.g):
        assert a.array.dtype == b.array.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(a.array, b.array)
    rs, ns = ref_opt.state_dict()["state"][0], new_opt.state_dict()["state"][0]
    assert list(rs) == list(ns)
    for key in rs:
        _identical(rs[key], ns[key], key)


def _identical(a, b, what: str) -> None:
    assert type(a) is type(b), what
    if isinstance(a, list):
        assert len(a) == len(b), what
        for i, (x, y) in enumerate(zip(a, b)):
            _identical(x, y, f"{what}[{i}]")
    elif isinstance(a, gradlab.Tensor):
        assert a.array.dtype == b.array.dtype, what
        np.testing.assert_array_equal(a.array, b.array, err_msg=what)
    else:
        assert a == b, what


def _as_numpy(v):
    if torch.is_tensor(v):
        return v.detach().numpy().copy()
    if isinstance(v, list):
        return [_as_numpy(x) for x in v]
    return v


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_loads_torch_state_dict(line_search_fn):
    """torch runs 2 steps; its state_dict (tensors as arrays) loads; both go on alike."""
    prob = Problem("rosenbrock10", "float64")
    kwargs = {"max_iter": 5, "line_search_fn": line_search_fn}
    t_opt = torch.optim.LBFGS(prob.t, **kwargs)
    t_closure = prob.closure(torch, t_opt)
    for _ in range(2):
        t_opt.step(t_closure)
    for gp, tp in zip(prob.g, prob.t):
        gp.array[...] = tp.detach().numpy()
    sd = t_opt.state_dict()
    g_opt = optim.LBFGS(prob.g)
    g_opt.load_state_dict({"state": {i: {k: _as_numpy(v) for k, v in s.items()}
                                     for i, s in sd["state"].items()},
                           "param_groups": sd["param_groups"]})
    g_closure = prob.closure(gradlab, g_opt)
    for k in range(2):
        g_opt.step(g_closure)
        t_opt.step(t_closure)
        params_close(prob.g, prob.t, "float64", f"after loading torch's state, step {k + 1}")
    state_matches(g_opt, t_opt, "float64", rtol=1e-7)


def test_state_dict_shares_the_live_state():
    prob = Problem("curve", "float64")
    opt = optim.LBFGS(prob.g, max_iter=3)
    opt.step(prob.closure(gradlab, opt))
    sd = opt.state_dict()
    assert sd["state"][0] is opt.state[prob.g[0]]
    assert sd["state"][0]["func_evals"] == 3 and sd["state"][0]["prev_loss"] > 0


def test_load_state_dict_checks_vector_sizes():
    prob = Problem("curve", "float64")
    opt = optim.LBFGS(prob.g, max_iter=3)
    opt.step(prob.closure(gradlab, opt))
    sd = opt.state_dict()
    sd["state"][0]["d"] = np.zeros(5)
    other = optim.LBFGS(Problem("curve", "float64").g)
    with pytest.raises(ValueError, match=re.escape("state 'd' has shape [5], but the "
                                                   "parameters have 3 elements")):
        other.load_state_dict(sd)


# --------------------------------------------------------------------------- errors


def test_step_without_closure():
    p = gradlab.zeros(2, requires_grad=True)
    opt = optim.LBFGS([p])
    with pytest.raises(TypeError) as g_err:
        opt.step()
    with pytest.raises(TypeError) as t_err:
        torch.optim.LBFGS([torch.zeros(2, requires_grad=True)]).step()
    assert str(g_err.value) == str(t_err.value)  # missing 1 required positional argument
    with pytest.raises(TypeError, match="LBFGS.step: closure must be a function that "
                                        "re-evaluates the model and returns the loss, got None"):
        opt.step(None)


def test_several_param_groups_are_refused():
    a, b = gradlab.zeros(2, requires_grad=True), gradlab.zeros(3, requires_grad=True)
    msg = "LBFGS doesn't support per-parameter options (parameter groups)"
    with pytest.raises(ValueError) as t_err:
        torch.optim.LBFGS([{"params": [torch.zeros(2, requires_grad=True)]},
                           {"params": [torch.zeros(3, requires_grad=True)]}])
    assert str(t_err.value) == msg
    with pytest.raises(ValueError, match=re.escape(msg)):
        optim.LBFGS([{"params": [a]}, {"params": [b]}])
    opt = optim.LBFGS([a])
    with pytest.raises(ValueError, match=re.escape(msg)):
        opt.add_param_group({"params": [b]})
    assert len(opt.param_groups) == 1


def test_unknown_line_search_fn():
    p = gradlab.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match=re.escape(
            "LBFGS: line_search_fn must be None or 'strong_wolfe', got 'armijo'")):
        optim.LBFGS([p], line_search_fn="armijo")
    # set on the group afterwards: the step raises torch's RuntimeError
    opt = optim.LBFGS([p])
    opt.param_groups[0]["line_search_fn"] = "armijo"
    tp = torch.ones(2, requires_grad=True)
    t_opt = torch.optim.LBFGS([tp], line_search_fn="armijo")
    with pytest.raises(RuntimeError) as t_err:
        t_opt.step(lambda: (tp ** 2).sum().backward() or (tp ** 2).sum())

    def closure():
        opt.zero_grad()
        loss = (p ** 2).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match=re.escape(str(t_err.value))):
        opt.step(closure)


@pytest.mark.parametrize("kwargs, message", [
    ({"lr": -1.0}, "Invalid learning rate: -1.0"),
    ({"history_size": 0}, "LBFGS: history_size must be a positive integer, got 0"),
    ({"history_size": 2.5}, "LBFGS: history_size must be a positive integer, got 2.5"),
])
def test_bad_hyperparameters(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        optim.LBFGS([gradlab.zeros(2, requires_grad=True)], **kwargs)


def test_step_bumps_versions_so_stale_graphs_raise():
    w = gradlab.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
    x = gradlab.tensor([[1.0, 2.0]])
    stale = (x @ w).sum()
    opt = optim.LBFGS([w], max_iter=2)

    def closure():
        opt.zero_grad()
        loss = ((x @ w) ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        stale.backward()
