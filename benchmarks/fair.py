"""Fair gradlab vs PyTorch training-step benchmarks: each library in its own process.

Run from the repository root::

    python -m benchmarks.fair                       # every workload, 3 rounds, 2 threads
    python -m benchmarks.fair --workloads mlp,lstm --rounds 5 --json /tmp/fair.json

For every workload (``benchmarks/fair_workloads.py``) the parent starts one child process per
library and round, alternating gradlab, torch, gradlab, torch, ... for ``--rounds`` rounds. A
child imports only the library it measures, sets the thread count (below), builds the model
from the seed's weights and batch, runs ``--warmup`` untimed steps and then ``--steps`` timed
steps, and writes to a JSON file: every step time, the first two losses, its peak RSS growth
and its thread pools. The parent reports per workload

* the median step time of each library: the median over rounds of each round's median,
* the ratio gradlab / torch of those medians and its spread: the min-max of the per-round
  ratios (round i's gradlab median / round i's torch median),
* the peak RSS growth of each library: the peak RSS (:func:`peak_rss_kib`) after the timed
  steps minus before the first step, in the child (median over rounds). Before that
  baseline the child runs one step of the workload at its toy size (``size="tiny"``), so
  that what a library loads on first use rather than at import (gradlab's numba kernels with
  LLVM: about 130 MiB; torch's lazily initialised parts) counts as loading, as an import
  does, not as the step's memory; that load's RSS growth and time are recorded apart
  (``load_rss_kib``, ``load_s``),
* a correctness guard: the first-step loss (from the initial weights) and the second-step
  loss (after one SGD update, so gradients and update count too) of every child must agree
  with torch's to ``--loss-rtol``; a mismatch is flagged in the table and in the JSON.

Threads: the child's environment gets ``OMP_NUM_THREADS`` and ``MKL_NUM_THREADS`` set to
``--threads`` before anything is imported (OpenBLAS's pthreads build sizes its pool from
``OMP_NUM_THREADS`` when no OpenBLAS-specific count is set, and any inherited OpenBLAS or GotoBLAS
count is removed from the child's environment so that it cannot override it); after import the
child calls ``threadpoolctl.threadpool_limits(threads)`` and the library's ``set_num_threads``
(``torch.set_num_threads`` / ``gradlab.set_num_threads``). The child records the thread counts it
ends up with; the parent flags any pool that is not at ``--threads``.

``--extras mygrad,numpy`` adds other designs of the same step on the workloads they are written
for (``fair_workloads.EXTRAS``), where they are installed: MyGrad (autograd on NumPy) and a
hand-written NumPy forward/backward (``benchmarks/fair_numpy.py``: MLPs, LeNet-5, LSTM,
ResNet-ish). Their children alternate with gradlab's and torch's, get the same thread settings
(environment and threadpoolctl) and the same loss check; their ratio is to torch.

gradlab's child tunes the C allocator (``gradlab.backend.use_tuned_allocator()``) as gradlab's
command line, ``Trainer.fit`` and the other benchmarks do, and the hand-written NumPy design's
child gets the same glibc ``mallopt`` settings (``fair_numpy.tune_allocator``, without importing
gradlab), so that the two NumPy designs run on the same allocator (``--no-tune-malloc``: leave
it in both); the record's ``tuned_allocator`` says which child had it. torch's and MyGrad's
children run as shipped.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(HERE) not in sys.path:  # fair_workloads next to this file, however it is started
    sys.path.insert(0, str(HERE))

from fair_workloads import EXTRAS, LIBRARIES, WORKLOADS, make_extra_step, make_step  # noqa: E402

DEFAULT_ROUNDS = 3
DEFAULT_STEPS = 30
DEFAULT_WARMUP = 5
DEFAULT_THREADS = 2
LOSS_RTOL = 1e-4
CHILD_TIMEOUT_S = 900
THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")
INHERITED_BLAS_ENV = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS")  # removed, never set


# ----------------------------------------------------------------------------- child


def _pools() -> list[dict]:
    """threadpoolctl's view of the thread pools loaded in this process."""
    from threadpoolctl import threadpool_info

    keys = ("user_api", "internal_api", "prefix", "version", "architecture", "num_threads",
            "threading_layer")
    out = []
    for p in threadpool_info():
        d = {k: p.get(k) for k in keys}
        d["library"] = os.path.basename(p.get("filepath") or "") or None
        out.append(d)
    return out


def peak_rss_kib() -> int:
    """This process's peak resident memory in KiB: ``VmHWM`` of ``/proc/self/status`` (Linux),
    else ``ru_maxrss``. Not ``ru_maxrss`` on Linux: it carries over an ``exec``, so a child
    started from a large process (a test run with torch loaded) reports the parent's peak
    until it grows past it, and growth under that mark reads as 0."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def worker(library: str, workload: str, threads: int, steps: int, warmup: int,
           size: str = "full", seed: int = 0, tune_malloc: bool = True) -> dict:
    """Measure ``workload`` in ``library`` in THIS process: set the threads, build the step,
    run ``warmup`` untimed then ``steps`` timed steps. Returns the record the parent reads
    (step times in ms, the first two losses, peak RSS growth in KiB, thread pools)."""
    if steps < 1 or warmup < 0 or threads < 1:
        raise ValueError(f"worker: expected steps >= 1, warmup >= 0, threads >= 1, got "
                         f"steps={steps}, warmup={warmup}, threads={threads}")
    import numpy as np
    from threadpoolctl import threadpool_limits

    lib = __import__(library)
    threadpool_limits(threads)
    if library in LIBRARIES:
        lib.set_num_threads(threads)
    info: dict = {"library": library, "workload": workload, "size": size, "seed": seed,
                  "threads": threads, "steps": steps, "warmup": warmup,
                  "version": lib.__version__, "numpy": np.__version__,
                  "module_file": getattr(lib, "__file__", None)}
    if library == "gradlab":
        from gradlab import backend

        info["tuned_allocator"] = backend.use_tuned_allocator() if tune_malloc else False
        info["blas"] = backend.blas_info()
    elif library == "torch":
        info["tuned_allocator"] = False
        info["torch_parallel_info"] = lib.__config__.parallel_info().strip().splitlines()
        info["torch_cpu_capability"] = lib.backends.cpu.get_cpu_capability()
    elif library == "numpy":   # the same allocator as gradlab's child, without gradlab
        from fair_numpy import tune_allocator

        info["tuned_allocator"] = tune_allocator() if tune_malloc else False
    else:
        info["tuned_allocator"] = False
    # the library's own thread count (None: another design, whose BLAS pool is in "pools")
    info["lib_num_threads"] = lib.get_num_threads() if library in LIBRARIES else None
    info["env"] = {k: os.environ.get(k) for k in THREAD_ENV + INHERITED_BLAS_ENV}

    def build(which: str):
        if library in LIBRARIES:
            return make_step(library, workload, which, seed)
        return make_extra_step(library, workload, which, seed)

    # the library's one-time loads, before the memory baseline: one step of the workload at
    # its toy size runs the same code paths, so whatever a library loads on first use (torch's
    # lazily initialised kernels, gradlab's numba kernels and LLVM) is loaded here, as an
    # import would; its time and RSS growth are recorded apart (load_s, load_rss_kib)
    rss_load0 = peak_rss_kib()
    t0 = time.perf_counter()
    build("tiny")()
    info["load_s"] = time.perf_counter() - t0
    info["load_rss_kib"] = peak_rss_kib() - rss_load0
    info["numba_before_baseline"] = "numba" in sys.modules

    t0 = time.perf_counter()
    step = build(size)
    info["setup_s"] = time.perf_counter() - t0
    info["pools"] = _pools()   # after the model is built: every library the step uses is loaded

    rss_before = peak_rss_kib()
    losses, warm_ms = [], []
    for _ in range(warmup):
        t = time.perf_counter()
        losses.append(step())
        warm_ms.append((time.perf_counter() - t) * 1e3)
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        loss = step()
        times.append((time.perf_counter() - t) * 1e3)
        if len(losses) < 2:
            losses.append(loss)
    ru2 = resource.getrusage(resource.RUSAGE_SELF)
    rss_after = peak_rss_kib()
    other = [x for x in LIBRARIES + tuple(EXTRAS) if x not in (library, "numpy")]
    info["other_libraries_loaded"] = [x for x in other if x in sys.modules]
    info.update({
        "times_ms": times, "warmup_ms": warm_ms, "median_ms": statistics.median(times),
        "first_loss": losses[0], "second_loss": losses[1] if len(losses) > 1 else None,
        "last_loss": loss,
        "rss_before_kib": rss_before, "rss_after_kib": rss_after,
        "rss_growth_kib": rss_after - rss_before,
        "user_ms_per_step": (ru2.ru_utime - ru1.ru_utime) * 1e3 / steps,
        "sys_ms_per_step": (ru2.ru_stime - ru1.ru_stime) * 1e3 / steps,
        "minflt_per_step": (ru2.ru_minflt - ru1.ru_minflt) / steps,
        "invcsw_per_step": (ru2.ru_nivcsw - ru1.ru_nivcsw) / steps,
    })
    return info


def child_env(threads: int, base: dict | None = None) -> dict:
    """The environment of a benchmark child: the thread-count variables set to ``threads``,
    inherited OpenBLAS/GotoBLAS thread counts removed, this repository first on PYTHONPATH."""
    env = dict(os.environ if base is None else base)
    for k in INHERITED_BLAS_ENV:
        env.pop(k, None)
    for k in THREAD_ENV:
        env[k] = str(threads)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + [p for p in
                                         env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env


def run_child(library: str, workload: str, threads: int, steps: int, warmup: int,
              size: str = "full", seed: int = 0, tune_malloc: bool = True,
              timeout: float = CHILD_TIMEOUT_S) -> dict:
    """Run :func:`worker` in a fresh Python process; its record, or {"ok": False, "error"}."""
    with tempfile.TemporaryDirectory(prefix="gradlab-fair-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, str(HERE / "fair.py"), "--worker", "--library", library,
               "--workload", workload, "--threads", str(threads), "--steps", str(steps),
               "--warmup", str(warmup), "--size", size, "--seed", str(seed), "--out", str(out)]
        if not tune_malloc:
            cmd.append("--no-tune-malloc")
        t0 = time.perf_counter()
        try:
            p = subprocess.run(cmd, env=child_env(threads), cwd=str(REPO), capture_output=True,
                               text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"ok": False, "library": library, "workload": workload,
                    "error": f"timed out after {timeout:g} s"}
        wall = time.perf_counter() - t0
        if p.returncode != 0 or not out.exists():
            tail = (p.stderr or p.stdout).strip().splitlines()[-5:]
            return {"ok": False, "library": library, "workload": workload,
                    "error": f"exit code {p.returncode}: " + " | ".join(tail)}
        rec = json.loads(out.read_text())
    rec["ok"] = True
    rec["wall_s"] = wall
    return rec


# ----------------------------------------------------------------------------- parent


def alternate(workload: str, libraries: list[str], rounds: int,
              runner: Callable[[str, str], dict]) -> dict[str, list[dict]]:
    """Run ``runner(library, workload)`` ``rounds`` times per library, alternating
    (lib0, lib1, ..., lib0, lib1, ...). Returns each library's records in round order."""
    if rounds < 1:
        raise ValueError(f"alternate: rounds must be >= 1, got {rounds}")
    runs: dict[str, list[dict]] = {lib: [] for lib in libraries}
    for _ in range(rounds):
        for lib in libraries:
            runs[lib].append(runner(lib, workload))
    return runs


def losses_agree(a: float | None, b: float | None, rtol: float) -> bool:
    """Whether two losses agree: |a - b| <= rtol * |b| (both finite)."""
    if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
        return False
    return abs(a - b) <= rtol * abs(b)


def aggregate(runs: dict[str, list[dict]], ref: str = "torch", rtol: float = LOSS_RTOL,
              threads: int | None = None) -> dict:
    """Summarise one workload's child records (``runs[library]``: one record per round).

    Per library: ``round_medians_ms`` (median of each round's step times), ``median_ms``
    (median of those), ``rss_growth_mib`` (median over rounds) and its per-round values,
    ``load_rss_mib`` (median RSS growth of the toy-size step run before the baseline).
    Per library other than ``ref``: ``ratio`` = median_ms / ref's median_ms, ``round_ratios``
    (round i's median over ref's round i median), ``ratio_min``/``ratio_max``. ``loss_check``:
    every record's first- and second-step loss against ref's first record (``rtol``);
    ``process_check`` (when ``threads`` is given): every thread pool of every record at
    ``threads``, and no child imported the other library.
    A library with a failed round gets its errors and no numbers.
    """
    out: dict = {"libraries": {}, "loss_check": {"ok": True, "rtol": rtol, "mismatches": []},
                 "process_check": {"ok": True, "mismatches": []}}
    for lib, recs in runs.items():
        errors = [r.get("error", "?") for r in recs if not r.get("ok")]
        if errors:
            out["libraries"][lib] = {"ok": False, "errors": errors}
            continue
        meds = [statistics.median(r["times_ms"]) for r in recs]
        growth = [r["rss_growth_kib"] / 1024 for r in recs]
        load = [r["load_rss_kib"] / 1024 for r in recs]
        out["libraries"][lib] = {"ok": True, "round_medians_ms": meds,
                                 "median_ms": statistics.median(meds),
                                 "rss_growth_mib": statistics.median(growth),
                                 "round_rss_growth_mib": growth,
                                 "load_rss_mib": statistics.median(load),
                                 "first_loss": recs[0]["first_loss"],
                                 "second_loss": recs[0].get("second_loss")}
    refs = out["libraries"].get(ref, {})
    if not refs.get("ok"):
        out["loss_check"]["ok"] = None   # nothing to compare against
        return out
    ref0 = runs[ref][0]
    for lib, s in out["libraries"].items():
        if not s["ok"]:
            continue
        if lib != ref:
            rr = [a / b for a, b in zip(s["round_medians_ms"], refs["round_medians_ms"])]
            s.update(ratio=s["median_ms"] / refs["median_ms"], round_ratios=rr,
                     ratio_min=min(rr), ratio_max=max(rr))
        for i, r in enumerate(runs[lib]):
            for key in ("first_loss", "second_loss"):
                if r.get(key) is None and ref0.get(key) is None:
                    continue
                if not losses_agree(r.get(key), ref0.get(key), rtol):
                    out["loss_check"]["ok"] = False
                    out["loss_check"]["mismatches"].append(
                        f"{lib} round {i + 1} {key} {r.get(key)!r} vs {ref} {ref0.get(key)!r}")
            if threads is not None:
                bad = [f"{p.get('internal_api')}={p.get('num_threads')}"
                       for p in r.get("pools", []) if p.get("num_threads") != threads]
                if r.get("lib_num_threads") not in (None, threads):
                    bad.append(f"{lib}.get_num_threads()={r.get('lib_num_threads')}")
                bad += [f"{x} was imported too" for x in r.get("other_libraries_loaded", [])]
                if bad:
                    out["process_check"]["ok"] = False
                    out["process_check"]["mismatches"].append(
                        f"{lib} round {i + 1}: " + ", ".join(bad))
    return out


# ----------------------------------------------------------------------------- report


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _loadavg() -> list[float] | None:
    try:
        return list(os.getloadavg())
    except OSError:
        return None


def _steal_s() -> float | None:
    try:
        with open("/proc/stat") as f:
            return int(f.readline().split()[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def environment(results: dict, threads: int) -> dict:
    """Versions, BLAS and CPU: from the children's records where they know best."""
    first = {lib: next((r for w in results.values() for r in w["runs"].get(lib, [])
                        if r.get("ok")), None) for lib in LIBRARIES}
    g, t = first["gradlab"], first["torch"]
    env = {"python": platform.python_version(), "implementation": platform.python_implementation(),
           "gradlab": g and g["version"], "torch": t and t["version"],
           "numpy": (g or t or {}).get("numpy"), "cpu": _cpu_model(), "cpu_count": os.cpu_count(),
           "machine": platform.machine(), "threads": threads,
           "gradlab_blas_pools": g and [p for p in g["pools"] if p["user_api"] == "blas"],
           "gradlab_blas_info": g and g.get("blas"),
           "torch_pools": t and t["pools"],
           "torch_cpu_capability": t and t.get("torch_cpu_capability"),
           "gradlab_tuned_allocator": g and g.get("tuned_allocator")}
    for e in EXTRAS:
        rec = next((r for w in results.values() for r in w["runs"].get(e, []) if r.get("ok")),
                   None)
        if rec is not None and e != "numpy":
            env[e] = rec["version"]
    return env


def _ms(x: float) -> str:
    return f"{x:.1f}" if x >= 100 else f"{x:.2f}"


def format_designs(results: dict, extras: list[str]) -> str:
    """The markdown table of gradlab against each other design that ran: the ratio of the
    medians gradlab / design (< 1: gradlab faster) and the min-max of the per-round ratios
    (round i's gradlab median over round i's design median: two processes run one after the
    other in the same round). Empty when no other design ran."""
    lines = []
    for name, w in results.items():
        libs = w["summary"]["libraries"]
        g = libs.get("gradlab", {})
        for e in extras:
            x = libs.get(e, {})
            if not (g.get("ok") and x.get("ok")):
                continue
            rounds = [a / b for a, b in zip(g["round_medians_ms"], x["round_medians_ms"])]
            lines.append(f"| {w.get('title', WORKLOADS[name].title)} | {e} | "
                         f"{g['median_ms'] / x['median_ms']:.2f} | "
                         f"{min(rounds):.2f}-{max(rounds):.2f} |")
    if not lines:
        return ""
    head = ["| workload | design | gradlab / design | min-max (rounds) |", "|---|---|---|---|"]
    return "\n".join(head + lines)


def format_table(results: dict, extras: list[str]) -> str:
    """The markdown table of every workload's summary."""
    head = ["workload", "gradlab ms", "torch ms", "gradlab/torch", "ratio min-max (rounds)",
            "gradlab RSS +MiB", "torch RSS +MiB"]
    head += [f"{e} ms (÷torch)" for e in extras] + ["checks (first-step loss)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, w in results.items():
        s = w["summary"]["libraries"]
        g, t = s.get("gradlab", {}), s.get("torch", {})
        cells = [w.get("title", WORKLOADS[name].title)]
        cells += [_ms(g["median_ms"]) if g.get("ok") else "FAIL",
                  _ms(t["median_ms"]) if t.get("ok") else "FAIL"]
        if g.get("ok") and t.get("ok"):
            cells += [f"{g['ratio']:.2f}", f"{g['ratio_min']:.2f}-{g['ratio_max']:.2f}"]
        else:
            cells += ["n/a", "n/a"]
        cells += [f"{g['rss_growth_mib']:.1f}" if g.get("ok") else "-",
                  f"{t['rss_growth_mib']:.1f}" if t.get("ok") else "-"]
        for e in extras:
            x = s.get(e)
            if x is None:
                cells.append("-")
            elif x.get("ok"):
                cells.append(_ms(x["median_ms"]) + (f" ({x['ratio']:.2f})" if "ratio" in x else ""))
            else:
                cells.append("FAIL")
        lc, pc = w["summary"]["loss_check"], w["summary"]["process_check"]
        if lc["ok"] is None:
            check = "n/a (torch failed)"
        elif lc["ok"]:
            check = f"ok ({g['first_loss']:.5f})" if g.get("ok") else "ok"
        else:
            check = "LOSS MISMATCH"
        if not pc["ok"]:
            check += "; PROCESS CHECK FAILED"
        cells.append(check)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.fair",
        description="gradlab vs PyTorch training steps, each library in its own process, "
                    "alternating libraries over rounds.")
    p.add_argument("--workloads", default=",".join(WORKLOADS),
                   help=f"comma-separated, from {','.join(WORKLOADS)} (default: all)")
    p.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS,
                   help=f"child processes per library and workload (default {DEFAULT_ROUNDS})")
    p.add_argument("--steps", type=int, default=DEFAULT_STEPS,
                   help=f"timed steps per child (default {DEFAULT_STEPS})")
    p.add_argument("--warmup", type=int, default=DEFAULT_WARMUP,
                   help=f"untimed steps per child before timing (default {DEFAULT_WARMUP})")
    p.add_argument("--threads", type=int, default=DEFAULT_THREADS,
                   help=f"threads for both libraries (default {DEFAULT_THREADS})")
    p.add_argument("--size", choices=("full", "tiny"), default="full",
                   help="'tiny': toy sizes of the same models (checks the machinery only)")
    p.add_argument("--seed", type=int, default=0, help="weights and batch seed (default 0)")
    p.add_argument("--loss-rtol", type=float, default=LOSS_RTOL,
                   help=f"tolerance of the first/second-step loss check (default {LOSS_RTOL})")
    p.add_argument("--extras", default="",
                   help="also measure other designs where written and installed: "
                        f"{','.join(EXTRAS)} (comma-separated; default none)")
    p.add_argument("--no-tune-malloc", action="store_true",
                   help="do not tune the C allocator in gradlab's and the numpy design's children")
    p.add_argument("--json", default="fair_results.json",
                   help="where to write the JSON record (default ./fair_results.json)")
    p.add_argument("--note", default="",
                   help="free text stored in the JSON and printed (e.g. the machine's load)")
    # the child
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--library", choices=LIBRARIES + tuple(EXTRAS), help=argparse.SUPPRESS)
    p.add_argument("--workload", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    return p


def run(args: argparse.Namespace, runner: Callable[..., dict] = run_child) -> dict:
    """The parent: every workload, rounds of alternating children; prints the table, writes
    the JSON and returns the record."""
    names = [w.strip() for w in args.workloads.split(",") if w.strip()]
    unknown = [w for w in names if w not in WORKLOADS]
    if unknown:
        raise SystemExit(f"fair: unknown workload(s) {unknown}; expected some of "
                         f"{sorted(WORKLOADS)}")
    if args.rounds < 1 or args.steps < 1 or args.warmup < 0 or args.threads < 1:
        raise SystemExit("fair: expected --rounds >= 1, --steps >= 1, --warmup >= 0, "
                         "--threads >= 1")
    libs = list(LIBRARIES)
    extras = [e.strip() for e in args.extras.split(",") if e.strip()]
    bad = [e for e in extras if e not in EXTRAS]
    if bad:
        raise SystemExit(f"fair: unknown --extras {bad}; expected some of {list(EXTRAS)}")
    missing = [e for e in extras if importlib.util.find_spec(e) is None]
    extras = [e for e in extras if e not in missing]
    started = datetime.datetime.now(datetime.timezone.utc)
    load0, steal0 = _loadavg(), _steal_s()
    log = lambda *a: print(*a, file=sys.stderr, flush=True)  # noqa: E731
    for e in missing:
        log(f"fair: note: {e} is not installed; its column is left out")
    if args.steps < 30 or args.rounds < 3:
        log(f"fair: note: --steps {args.steps} --rounds {args.rounds} is below the protocol "
            "(>= 30 steps, >= 3 rounds); the figures are only indicative")
    results: dict = {}
    for name in names:
        def one(lib: str, wl: str) -> dict:
            r = runner(lib, wl, args.threads, args.steps, args.warmup, size=args.size,
                       seed=args.seed, tune_malloc=not args.no_tune_malloc)
            msg = (f"median {_ms(r['median_ms'])} ms, RSS +{r['rss_growth_kib'] / 1024:.1f} MiB"
                   if r.get("ok") else f"FAILED: {r.get('error')}")
            log(f"fair: {wl:10s} {lib:8s} {msg}")
            return r

        runs = alternate(name, libs + [e for e in extras if name in EXTRAS[e]],
                         args.rounds, one)
        title = WORKLOADS[name].title + (" [tiny sizes]" if args.size == "tiny" else "")
        results[name] = {"title": title, "sizes": WORKLOADS[name].size(args.size),
                         "summary": aggregate(runs, "torch", args.loss_rtol, args.threads),
                         "runs": runs}
    load1, steal1 = _loadavg(), _steal_s()
    env = environment(results, args.threads)
    env.update(date=started.isoformat(timespec="seconds"),
               loadavg_start=load0, loadavg_end=load1,
               cpu_steal_s=None if steal0 is None or steal1 is None else round(steal1 - steal0, 2))
    record = {"environment": env, "note": args.note,
              "protocol": {"rounds": args.rounds, "steps": args.steps, "warmup": args.warmup,
                           "threads": args.threads, "size": args.size, "seed": args.seed,
                           "order": "per workload: " + ", ".join(libs + extras)
                                    + " (those written for it) repeated per round",
                           "loss_rtol": args.loss_rtol, "each_library_own_process": True,
                           "extras": extras},
             "workloads": results}
    table = format_table(results, extras)
    print(f"gradlab {env['gradlab']}, torch {env['torch']}, numpy {env['numpy']}, python "
          f"{env['python']}; {env['cpu']} ({env['cpu_count']} logical CPUs); "
          f"{args.threads} threads; {started:%Y-%m-%d %H:%M} UTC")
    blas = (env.get("gradlab_blas_pools") or [{}])[0]
    print(f"NumPy BLAS: {blas.get('internal_api')} {blas.get('version')} "
          f"({blas.get('architecture')} kernels); each library in its own process, "
          f"{args.rounds} rounds alternating {', '.join(libs + extras)}; per round the median of "
          f"{args.steps} steps after {args.warmup} warm-up steps")
    if args.note:
        print(f"note: {args.note}")
    print()
    print(table)
    designs = format_designs(results, extras)
    if designs:
        print()
        print(designs)
    print()
    print("ms: median over rounds of each round's median step time. gradlab/torch: ratio of "
          "those medians (> 1: gradlab slower); min-max: the per-round ratios. RSS +MiB: peak "
          "RSS growth from before the first step to after the timed steps (median over rounds), "
          "after one toy-size step that loads what each library loads on first use (gradlab's "
          "numba kernels: the record's load_rss_kib). "
          f"Loss check: first- and second-step losses agree with torch's to rtol "
          f"{args.loss_rtol:g}.")
    print(f"load average start {load0}, end {load1}; CPU steal during the run: "
          f"{env['cpu_steal_s']} s")
    for name, w in results.items():
        for m in w["summary"]["loss_check"]["mismatches"]:
            print(f"LOSS MISMATCH {name}: {m}")
        for m in w["summary"]["process_check"]["mismatches"]:
            print(f"PROCESS CHECK FAILED {name}: {m}")
    if args.json:
        Path(args.json).write_text(json.dumps(record, indent=1))
        print(f"wrote {args.json}")
    return record


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.worker:
        if not (args.library and args.workload and args.out):
            raise SystemExit("fair --worker: needs --library, --workload and --out")
        rec = worker(args.library, args.workload, args.threads, args.steps, args.warmup,
                     args.size, args.seed, tune_malloc=not args.no_tune_malloc)
        Path(args.out).write_text(json.dumps(rec))
        return 0
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
