"""benchmarks/fair.py: the child process, the parent's alternation and arithmetic, and that
gradlab and torch really run the same workloads (no timing is asserted anywhere)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch  # the oracle: these tests fail, not skip, without it
from threadpoolctl import threadpool_limits

from benchmarks import fair
from benchmarks.fair import (
    LOSS_RTOL,
    WORKLOADS,
    aggregate,
    alternate,
    format_table,
    losses_agree,
    make_step,
    run_child,
)

fw = __import__("fair_workloads")  # the module fair.py itself uses (benchmarks/ on sys.path)


# ----------------------------------------------------------------------------- the child


@pytest.fixture(scope="module")
def children():
    """One tiny MLP child per library, one thread, in its own process."""
    return {lib: run_child(lib, "mlp", threads=1, steps=3, warmup=2, size="tiny", timeout=300)
            for lib in ("gradlab", "torch")}


@pytest.mark.parametrize("lib", ["gradlab", "torch"])
def test_child_reports_times_rss_and_threads(children, lib):
    r = children[lib]
    assert r["ok"], r.get("error")
    assert r["library"] == lib and r["workload"] == "mlp" and r["size"] == "tiny"
    assert len(r["times_ms"]) == 3 and all(t > 0 for t in r["times_ms"])
    assert len(r["warmup_ms"]) == 2
    assert r["median_ms"] == pytest.approx(float(np.median(r["times_ms"])))
    assert r["rss_after_kib"] >= r["rss_before_kib"] > 0
    assert r["rss_growth_kib"] == r["rss_after_kib"] - r["rss_before_kib"]
    assert r["load_s"] > 0 and r["load_rss_kib"] >= 0
    assert math.isfinite(r["first_loss"]) and math.isfinite(r["second_loss"])
    # the thread count reached every pool, through the environment and the library
    assert r["env"]["OMP_NUM_THREADS"] == "1" and r["env"]["MKL_NUM_THREADS"] == "1"
    assert r["env"]["OPENBLAS_NUM_THREADS"] is None
    assert r["lib_num_threads"] == 1
    assert r["pools"] and all(p["num_threads"] == 1 for p in r["pools"])
    assert any(p["user_api"] == "blas" for p in r["pools"])
    # each library alone in its process
    assert r["other_libraries_loaded"] == []


def test_what_loads_on_first_use_is_not_the_steps_memory():
    """gradlab's recurrent layers import numba (and LLVM) on their first step: the toy-size
    step before the baseline takes that load, so the step's own RSS growth stays small."""
    r = run_child("gradlab", "lstm", threads=1, steps=2, warmup=1, size="tiny", timeout=300)
    assert r["ok"], r.get("error")
    assert r["numba_before_baseline"] is True
    assert r["load_rss_kib"] > 40 * 1024, r["load_rss_kib"]
    assert r["rss_growth_kib"] < 20 * 1024, r["rss_growth_kib"]


def test_children_agree_on_the_loss(children):
    g, t = children["gradlab"], children["torch"]
    assert losses_agree(g["first_loss"], t["first_loss"], LOSS_RTOL)
    assert losses_agree(g["second_loss"], t["second_loss"], LOSS_RTOL)
    assert g["first_loss"] != g["second_loss"]   # the update happened
    assert g["tuned_allocator"] is True and t["tuned_allocator"] is False


def test_child_failure_is_reported_not_raised():
    r = run_child("gradlab", "no_such_workload", threads=1, steps=1, warmup=0, size="tiny",
                  timeout=120)
    assert r["ok"] is False
    assert "no_such_workload" in r["error"]


def test_child_env_sets_thread_counts_and_drops_inherited_blas_counts():
    env = fair.child_env(3, {"OPENBLAS_NUM_THREADS": "7", "GOTO_NUM_THREADS": "5",
                             "PYTHONPATH": "/elsewhere", "HOME": "/h"})
    assert env["OMP_NUM_THREADS"] == "3" and env["MKL_NUM_THREADS"] == "3"
    assert "OPENBLAS_NUM_THREADS" not in env and "GOTO_NUM_THREADS" not in env
    assert env["PYTHONPATH"].split(":") == [str(fair.REPO), "/elsewhere"]
    assert env["HOME"] == "/h"


def test_worker_rejects_bad_counts():
    with pytest.raises(ValueError, match="steps >= 1"):
        fair.worker("gradlab", "mlp", threads=1, steps=0, warmup=0, size="tiny")


# ----------------------------------------------------------------------------- the parent


def _rec(lib, times, growth_kib=1024, first=2.0, second=1.9, threads=2, ok=True):
    if not ok:
        return {"ok": False, "library": lib, "error": "exit code 1: boom"}
    return {"ok": True, "library": lib, "times_ms": times, "median_ms": float(np.median(times)),
            "rss_growth_kib": growth_kib, "load_rss_kib": 4 * growth_kib, "first_loss": first,
            "second_loss": second,
            "lib_num_threads": threads, "other_libraries_loaded": [],
            "pools": [{"user_api": "blas", "internal_api": "openblas", "num_threads": threads,
                       "version": "0.3", "architecture": "Haswell"}],
            "version": "9.9", "numpy": "2.0", "tuned_allocator": lib == "gradlab"}


def test_alternate_runs_libraries_in_turn():
    calls = []

    def runner(lib, wl):
        calls.append((lib, wl))
        return {"lib": lib, "n": len(calls)}

    runs = alternate("lstm", ["gradlab", "torch"], 3, runner)
    assert calls == [("gradlab", "lstm"), ("torch", "lstm")] * 3
    assert [r["n"] for r in runs["gradlab"]] == [1, 3, 5]
    assert [r["n"] for r in runs["torch"]] == [2, 4, 6]
    with pytest.raises(ValueError, match="rounds must be >= 1"):
        alternate("lstm", ["gradlab", "torch"], 0, runner)


def test_aggregate_medians_ratio_and_spread():
    runs = {"gradlab": [_rec("gradlab", [1.0, 2.0, 3.0], 1024),    # round median 2
                        _rec("gradlab", [4.0, 4.0, 5.0], 3072),    # 4
                        _rec("gradlab", [3.0], 2048)],             # 3
            "torch": [_rec("torch", [1.0, 1.0, 9.0], 512),         # 1
                      _rec("torch", [4.0], 512),                   # 4
                      _rec("torch", [1.0, 2.0], 1536)]}            # 1.5
    s = aggregate(runs, "torch", LOSS_RTOL, threads=2)
    g, t = s["libraries"]["gradlab"], s["libraries"]["torch"]
    assert g["round_medians_ms"] == [2.0, 4.0, 3.0] and g["median_ms"] == 3.0
    assert t["round_medians_ms"] == [1.0, 4.0, 1.5] and t["median_ms"] == 1.5
    assert g["ratio"] == 2.0                      # ratio of the medians, not median of ratios
    assert g["round_ratios"] == [2.0, 1.0, 2.0]
    assert (g["ratio_min"], g["ratio_max"]) == (1.0, 2.0)
    assert g["rss_growth_mib"] == 2.0 and g["round_rss_growth_mib"] == [1.0, 3.0, 2.0]
    assert t["rss_growth_mib"] == 0.5
    assert g["load_rss_mib"] == 8.0 and t["load_rss_mib"] == 2.0
    assert "ratio" not in t
    assert s["loss_check"]["ok"] is True and s["process_check"]["ok"] is True


def test_aggregate_flags_a_loss_mismatch():
    runs = {"gradlab": [_rec("gradlab", [1.0], first=2.0), _rec("gradlab", [1.0], first=2.01)],
            "torch": [_rec("torch", [1.0], first=2.0), _rec("torch", [1.0], first=2.0)]}
    s = aggregate(runs, "torch", 1e-4)
    assert s["loss_check"]["ok"] is False
    assert s["loss_check"]["mismatches"] == ["gradlab round 2 first_loss 2.01 vs torch 2.0"]
    # the second-step loss is checked too: a wrong gradient or update shows there
    runs["gradlab"][1]["first_loss"] = 2.0
    runs["gradlab"][0]["second_loss"] = 1.95
    s = aggregate(runs, "torch", 1e-4)
    assert s["loss_check"]["mismatches"] == ["gradlab round 1 second_loss 1.95 vs torch 1.9"]
    assert "LOSS MISMATCH" in format_table({"mlp": {"summary": s}}, [])


def test_losses_agree():
    assert losses_agree(2.0, 2.0 + 1.9e-4, 1e-4)
    assert not losses_agree(2.0, 2.0 + 2.1e-4, 1e-4)
    assert not losses_agree(float("nan"), 2.0, 1e-4)
    assert not losses_agree(None, 2.0, 1e-4)


def test_aggregate_flags_threads_and_isolation():
    bad = _rec("gradlab", [1.0], threads=1)
    bad["other_libraries_loaded"] = ["torch"]
    s = aggregate({"gradlab": [bad], "torch": [_rec("torch", [1.0])]}, "torch", threads=2)
    assert s["process_check"]["ok"] is False
    (m,) = s["process_check"]["mismatches"]
    assert "openblas=1" in m and "gradlab.get_num_threads()=1" in m and "torch was imported" in m
    assert "PROCESS CHECK FAILED" in format_table({"mlp": {"summary": s}}, [])


def test_aggregate_with_a_failed_library():
    runs = {"gradlab": [_rec("gradlab", [1.0]), _rec("gradlab", [1.0], ok=False)],
            "torch": [_rec("torch", [1.0]), _rec("torch", [1.0])]}
    s = aggregate(runs, "torch")
    assert s["libraries"]["gradlab"] == {"ok": False, "errors": ["exit code 1: boom"]}
    row = format_table({"mlp": {"summary": s}}, []).splitlines()[-1]
    assert "| FAIL |" in row and "n/a" in row
    runs["torch"][0] = _rec("torch", [1.0], ok=False)
    assert aggregate(runs, "torch")["loss_check"]["ok"] is None


def test_run_alternates_prints_and_writes_json(tmp_path, capsys):
    calls = []

    def runner(lib, wl, threads, steps, warmup, size, seed, tune_malloc):
        calls.append((lib, wl, threads, steps, warmup, size, seed, tune_malloc))
        return _rec(lib, [2.0] if lib == "gradlab" else [1.0], threads=threads)

    out = tmp_path / "fair.json"
    args = fair.parser().parse_args(["--workloads", "mlp,gru_lm", "--rounds", "3", "--steps",
                                     "31", "--warmup", "4", "--json", str(out), "--note", "busy"])
    record = fair.run(args, runner=runner)
    assert [c[:2] for c in calls] == ([("gradlab", "mlp"), ("torch", "mlp")] * 3
                                      + [("gradlab", "gru_lm"), ("torch", "gru_lm")] * 3)
    assert {c[2:] for c in calls} == {(2, 31, 4, "full", 0, True)}
    saved = json.loads(out.read_text())
    assert saved == json.loads(json.dumps(record))
    assert saved["note"] == "busy" and saved["protocol"]["rounds"] == 3
    env = saved["environment"]
    assert env["gradlab"] == "9.9" and env["threads"] == 2 and env["date"]
    assert env["gradlab_blas_pools"][0]["architecture"] == "Haswell"
    assert saved["workloads"]["mlp"]["summary"]["libraries"]["gradlab"]["ratio"] == 2.0
    text = capsys.readouterr().out
    assert "| MLP 784-512-256-10, B128, nn.Linear + SGD | 2.00 | 1.00 | 2.00 | 2.00-2.00 |" in text
    assert "note: busy" in text


def test_run_refuses_unknown_workloads():
    args = fair.parser().parse_args(["--workloads", "mlp,vgg"])
    with pytest.raises(SystemExit, match="vgg"):
        fair.run(args, runner=lambda *a, **k: pytest.fail("must not run"))


# ----------------------------------------------------------------------------- same workload


@pytest.fixture(scope="module")
def one_thread():
    """In-process checks on one thread, torch's and NumPy's BLAS alike (two OpenMP or OpenBLAS
    threads crawl on a busy 2-core machine)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("wl", [w for w in WORKLOADS if w != "mlp_raw"])  # raw: no model
def test_same_parameters_in_both_libraries(wl):
    sizes = WORKLOADS[wl].size("tiny")
    g = fw.param_specs(fw.build_model("gradlab", wl, sizes))
    t = fw.param_specs(fw.build_model("torch", wl, sizes))
    assert g == t
    ga, ta = fw.init_arrays(g, 0), fw.init_arrays(t, 0)
    assert ga.keys() == ta.keys()
    assert all(np.array_equal(ga[k], ta[k]) for k in ga)


@pytest.mark.parametrize("wl", list(WORKLOADS))
def test_first_step_losses_agree(wl, one_thread):
    g, t = make_step("gradlab", wl, "tiny"), make_step("torch", wl, "tiny")
    gl_losses = [g(), g()]
    t_losses = [t(), t()]
    assert all(math.isfinite(v) for v in gl_losses + t_losses)
    assert losses_agree(gl_losses[0], t_losses[0], LOSS_RTOL), (gl_losses, t_losses)
    assert losses_agree(gl_losses[1], t_losses[1], LOSS_RTOL), (gl_losses, t_losses)
    assert gl_losses[0] != gl_losses[1]


def test_a_different_workload_is_caught(one_thread):
    """The guard can fail: another seed's weights give another first-step loss."""
    a = make_step("gradlab", "lenet", "tiny", seed=0)()
    b = make_step("torch", "lenet", "tiny", seed=1)()
    assert not losses_agree(a, b, LOSS_RTOL)


def test_make_step_rejects_unknowns():
    with pytest.raises(ValueError, match="library must be one of"):
        make_step("jax", "mlp", "tiny")
    with pytest.raises(ValueError, match="unknown workload 'vgg'"):
        make_step("gradlab", "vgg", "tiny")
    with pytest.raises(ValueError, match="expected 'full' or 'tiny'"):
        WORKLOADS["mlp"].size("huge")


def test_parser_defaults_follow_the_protocol():
    a = fair.parser().parse_args([])
    assert (a.rounds, a.steps, a.warmup, a.threads) == (3, 30, 5, 2)
    assert a.workloads.split(",") == list(WORKLOADS)


# ----------------------------------------------------------------------------- other designs


@pytest.mark.parametrize("wl", [w for w in WORKLOADS if w not in ("mlp_raw", "resnet20")])
def test_other_designs_get_the_same_parameters(wl):
    sizes = WORKLOADS[wl].size("tiny")
    assert (sorted(fw.named_specs(wl, sizes))
            == sorted(fw.param_specs(fw.build_model("torch", wl, sizes))))


NUMPY_RTOL = 1e-5   # the hand-written design against torch at tiny sizes (seen: ~1e-7)


@pytest.mark.parametrize("wl", fair.EXTRAS["numpy"])
def test_hand_written_numpy_step_agrees_with_torch(wl, one_thread):
    n, t = fw.make_extra_step("numpy", wl, "tiny"), make_step("torch", wl, "tiny")
    n_losses, t_losses = [n(), n(), n()], [t(), t(), t()]
    # the second and third losses: the backward and the update are right, not only the forward
    for a, b in zip(n_losses, t_losses):
        assert losses_agree(a, b, NUMPY_RTOL), (n_losses, t_losses)
    assert n_losses[0] != n_losses[1]


@pytest.mark.parametrize("wl", ["lenet", "lstm", "resnet_ish"])
def test_hand_written_numpy_step_agrees_with_torch_at_full_size(wl, one_thread):
    """The benchmark's own check, at the benchmark's sizes: first two losses to LOSS_RTOL."""
    n, t = fw.make_extra_step("numpy", wl, "full"), make_step("torch", wl, "full")
    n_losses, t_losses = [n(), n()], [t(), t()]
    for a, b in zip(n_losses, t_losses):
        assert losses_agree(a, b, LOSS_RTOL), (n_losses, t_losses)
    assert n_losses[0] != n_losses[1]


def test_hand_written_batchnorm_running_statistics_follow_torch(one_thread):
    """ResNet-ish: the running statistics after two training steps, as torch's BatchNorm2d
    updates them (momentum 0.1, unbiased variance), though they do not enter the loss."""
    sizes = WORKLOADS["resnet_ish"].size("tiny")
    n = fw.make_extra_step("numpy", "resnet_ish", "tiny")
    model = fw.build_model("torch", "resnet_ish", sizes)
    state = model.state_dict()
    for name, a in fw.init_arrays(fw.param_specs(model), 0).items():
        state[name] = torch.from_numpy(a.copy())
    model.load_state_dict(state)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=fw.LR)
    x, y = (torch.from_numpy(a) for a in fw.make_batch("resnet_ish", sizes, 0))
    for _ in range(2):
        n()
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    buffers = dict(model.named_buffers())
    assert sorted(n.running) == sorted(k[:-len(".running_mean")] for k in buffers
                                       if k.endswith(".running_mean"))
    for name, (mean, var) in n.running.items():
        np.testing.assert_allclose(mean, buffers[name + ".running_mean"].numpy(),
                                   rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(var, buffers[name + ".running_var"].numpy(),
                                   rtol=1e-4, atol=1e-6)
        assert not np.array_equal(var, np.ones_like(var))   # they did move


def test_extra_step_refuses_unwritten_workloads():
    with pytest.raises(ValueError, match="no 'numpy' version of workload 'gru_lm'"):
        fw.make_extra_step("numpy", "gru_lm", "tiny")
    fn = __import__("fair_numpy")
    with pytest.raises(ValueError, match="no hand-written NumPy step for workload 'resnet20'"):
        fn.make_numpy_step("resnet20", {}, np.zeros(1), np.zeros(1))


@pytest.mark.parametrize("tune", [True, False])
def test_numpy_child_gets_gradlab_allocator_settings(tune):
    """The hand-written NumPy design's child tunes glibc's allocator as gradlab's child does
    (``--no-tune-malloc``: neither), and never imports gradlab."""
    r = run_child("numpy", "lenet", threads=1, steps=1, warmup=1, size="tiny",
                  tune_malloc=tune, timeout=120)
    assert r["ok"], r.get("error")
    assert r["tuned_allocator"] is tune
    assert r["other_libraries_loaded"] == []
    assert math.isfinite(r["first_loss"]) and r["second_loss"] != r["first_loss"]


@pytest.mark.parametrize("installed", [True, False])
def test_run_with_extras(monkeypatch, capsys, tmp_path, installed):
    real = fair.importlib.util.find_spec
    monkeypatch.setattr(fair.importlib.util, "find_spec",
                        lambda name: (real("numpy") if installed else None)
                        if name == "mygrad" else real(name))
    calls = []

    def runner(lib, wl, threads, steps, warmup, size, seed, tune_malloc):
        calls.append((lib, wl))
        rec = _rec(lib, [{"gradlab": 2.0, "torch": 1.0, "mygrad": 4.0}[lib]], threads=threads)
        if lib == "mygrad":
            rec["lib_num_threads"] = None   # as the child reports another design
        return rec

    args = fair.parser().parse_args(["--workloads", "mlp,resnet20", "--rounds", "2",
                                     "--extras", "mygrad", "--json", str(tmp_path / "f.json")])
    record = fair.run(args, runner=runner)
    out = capsys.readouterr()
    if installed:
        assert calls == ([("gradlab", "mlp"), ("torch", "mlp"), ("mygrad", "mlp")] * 2
                         + [("gradlab", "resnet20"), ("torch", "resnet20")] * 2)
        s = record["workloads"]["mlp"]["summary"]
        assert s["libraries"]["mygrad"]["ratio"] == 4.0 and s["process_check"]["ok"]
        assert "| 4.00 (4.00) |" in out.out                       # mlp row: mygrad ms (÷torch)
        assert "| 2.00 | 1.00 | 2.00 | 2.00-2.00 | 1.0 | 1.0 | - |" in out.out  # resnet20 row
    else:
        assert all(lib != "mygrad" for lib, _ in calls)
        assert "mygrad is not installed" in out.err
        assert record["protocol"]["extras"] == []



def test_format_designs_ratios_gradlab_to_each_design_per_round():
    runs = {"gradlab": [_rec("gradlab", [2.0]), _rec("gradlab", [3.0]), _rec("gradlab", [4.0])],
            "torch": [_rec("torch", [1.0])] * 3,
            "numpy": [_rec("numpy", [4.0]), _rec("numpy", [2.0]), _rec("numpy", [4.0])]}
    s = aggregate(runs, "torch", LOSS_RTOL, threads=2)
    table = fair.format_designs({"mlp": {"summary": s}}, ["numpy", "mygrad"])
    # medians 3.0 / 4.0; rounds 0.5, 1.5, 1.0; mygrad did not run: no row
    assert table.splitlines()[-1] == f"| {WORKLOADS['mlp'].title} | numpy | 0.75 | 0.50-1.50 |"
    assert len(table.splitlines()) == 3
    assert fair.format_designs({"mlp": {"summary": s}}, []) == ""
