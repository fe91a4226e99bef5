"""What tuning the C allocator is worth: ResNet-20 training steps (batch 32, one BLAS thread)
with glibc's default allocator and with ``gradlab.backend.use_tuned_allocator()``, each mode in
its own process, alternating rounds; prints the median step time and the minor page faults per
step of each run.

    python benchmarks/bench_allocator.py [--rounds 2] [--steps 15]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time


def run(mode: str, steps: int) -> None:
    import numpy as np

    import gradlab
    from gradlab import backend, optim
    from gradlab.nn import functional as F

    if mode == "tuned":
        backend.use_tuned_allocator()
    backend.set_num_threads(1)
    gradlab.manual_seed(0)
    model = gradlab.models.resnet20()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, y = gradlab.randn(32, 3, 32, 32), gradlab.randint(0, 10, (32,))

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    for _ in range(3):
        step()
    times = []
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / steps
    print(f"{mode:6s} median step {1000 * np.median(times):7.1f} ms, "
          f"{faults:8.0f} page faults per step", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--steps", type=int, default=15)
    p.add_argument("--mode", choices=("plain", "tuned"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.mode:
        run(args.mode, args.steps)
        return
    for _ in range(args.rounds):
        for mode in ("plain", "tuned"):
            subprocess.run([sys.executable, __file__, "--mode", mode, "--steps",
                            str(args.steps)], check=True)


if __name__ == "__main__":
    main()
