"""gradlab against the hand-written NumPy design, step by step in ONE process.

    python -m benchmarks.paired_designs                     # lenet, lstm, resnet_ish, mlp, mlp_raw
    python -m benchmarks.paired_designs --workloads lenet --pairs 200 --threads 1

Both designs are NumPy programs on the same OpenBLAS, so unlike gradlab and torch (whose thread
pools contend, which is why ``benchmarks/fair.py`` gives each library its own process) they can
share a process fairly: one step of each, in turn, the order swapped every pair, on the same
allocator settings (``gradlab.backend.use_tuned_allocator``, the settings the NumPy design's
child gets in ``fair.py``). The machine's drift, which moves separate processes' medians by tens
of percent from one minute to the next, then moves both steps of a pair alike, and the ratio of
the two steps of each pair is a steadier measure than a ratio of two processes' medians.

Printed per workload: both medians, the median of the per-pair ratios gradlab / NumPy design
(< 1: gradlab faster) with its quartiles, and in how many pairs gradlab was slower.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from fair_workloads import EXTRAS, make_extra_step, make_step  # noqa: E402


def pair(workload: str, pairs: int, warmup: int = 3, size: str = "full") -> dict:
    """Time ``pairs`` pairs of steps (gradlab, NumPy design; the order swapped every pair)
    after ``warmup`` untimed steps of each. Returns both medians (ms), the per-pair ratios
    gradlab / design, their median and quartiles, and the first losses of both."""
    if pairs < 2 or warmup < 0:
        raise ValueError(f"pair: expected pairs >= 2 and warmup >= 0, got pairs={pairs}, "
                         f"warmup={warmup}")
    g = make_step("gradlab", workload, size)
    n = make_extra_step("numpy", workload, size)
    losses = {"gradlab": g(), "numpy": n()}
    for _ in range(warmup):
        g()
        n()
    tg, tn = [], []
    for i in range(pairs):
        for f, out in (((g, tg), (n, tn)) if i % 2 == 0 else ((n, tn), (g, tg))):
            t0 = time.perf_counter()
            f()
            out.append((time.perf_counter() - t0) * 1e3)
    ratios = [a / b for a, b in zip(tg, tn)]
    q1, _, q3 = statistics.quantiles(ratios, n=4)
    return {"workload": workload, "pairs": pairs, "gradlab_ms": statistics.median(tg),
            "numpy_ms": statistics.median(tn), "ratios": ratios,
            "ratio": statistics.median(ratios), "ratio_q1": q1, "ratio_q3": q3,
            "gradlab_slower": sum(r > 1 for r in ratios), "first_losses": losses}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workloads", default="lenet,lstm,resnet_ish,mlp,mlp_raw",
                   help=f"comma-separated, from {', '.join(EXTRAS['numpy'])}")
    p.add_argument("--pairs", type=int, default=0,
                   help="pairs of steps per workload (default: 100, 30 for resnet_ish)")
    p.add_argument("--threads", type=int, default=2, help="BLAS threads (default 2)")
    args = p.parse_args(argv)
    workloads = [w for w in args.workloads.split(",") if w]
    unknown = [w for w in workloads if w not in EXTRAS["numpy"]]
    if unknown:
        p.error(f"no hand-written NumPy design of {unknown}; written: {EXTRAS['numpy']}")
    from threadpoolctl import threadpool_limits

    import gradlab

    threadpool_limits(args.threads)
    gradlab.set_num_threads(args.threads)
    gradlab.backend.use_tuned_allocator()
    info = gradlab.backend.blas_info()
    print(f"gradlab {gradlab.__version__}; {args.threads} BLAS threads; "
          f"{info.get('name')} {info.get('version')} ({info.get('core')} kernels)")
    print("| workload | gradlab ms | NumPy design ms | pair ratio (q1-q3) | gradlab slower |")
    print("|---|---|---|---|---|")
    for w in workloads:
        r = pair(w, args.pairs or (30 if w == "resnet_ish" else 100))
        print(f"| {w} | {r['gradlab_ms']:.2f} | {r['numpy_ms']:.2f} | {r['ratio']:.3f} "
              f"({r['ratio_q1']:.3f}-{r['ratio_q3']:.3f}) | {r['gradlab_slower']}/{r['pairs']} |",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
