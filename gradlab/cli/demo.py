"""``gradlab demo`` (a raw-tensor MLP on two spirals, offline, seconds) and ``gradlab info``
(versions, BLAS library and threads)."""

from __future__ import annotations

import argparse
import platform
import sys
import time

import numpy as np

import gradlab
from gradlab import backend
from gradlab.cli.common import check_float, check_int, check_seed
from gradlab.datasets import two_spirals
from gradlab.nn import functional as F


def _info(args: argparse.Namespace) -> int:
    blas = backend.blas_info()
    threads = blas["threads"] if blas["threads"] is not None else "unknown"
    print(f"gradlab  {gradlab.__version__}")
    print(f"python   {platform.python_version()} ({sys.executable})")
    print(f"numpy    {np.__version__}")
    core = f", {blas['core']} kernel" if blas.get("core") else ""
    print(f"BLAS     {blas['name']} {blas['version']}{core}, {threads} threads")
    print(f"dtype    {backend.get_default_dtype()} (default)")
    try:
        import torch  # only reported; gradlab never needs it at run time

        print(f"torch    {torch.__version__} (the test oracle)")
    except ImportError:
        print("torch    not installed (needed only for the tests)")
    return 0


def _mlp_forward(params: list, x: gradlab.Tensor) -> gradlab.Tensor:
    h = x
    for i in range(0, len(params), 2):
        h = h @ params[i] + params[i + 1]
        if i < len(params) - 2:
            h = h.tanh()
    return h


def _demo(args: argparse.Namespace) -> int:
    """Train an MLP written with raw tensors on two spirals, full batch, plain SGD."""
    check_int(args.steps, "--steps")
    check_float(args.lr, "--lr", 0, low_open=True)
    check_int(args.hidden, "--hidden")
    check_int(args.n, "--n", 5)  # n // 5 validation points: at least one
    check_float(args.noise, "--noise", 0)
    check_seed(args.seed)
    check_float(args.target, "--target", 0, 1)
    gradlab.manual_seed(args.seed)
    x, y = two_spirals(args.n + args.n // 5, noise=args.noise)
    n = args.n
    x_train, y_train, x_val, y_val = x[:n], y[:n], x[n:], y[n:]
    sizes = [2, args.hidden, args.hidden, 2]
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        params.append((gradlab.randn(fan_in, fan_out) * (2 / fan_in) ** 0.5).requires_grad_())
        params.append(gradlab.zeros(fan_out, requires_grad=True))
    n_params = sum(p.numel() for p in params)
    print(f"gradlab demo: two spirals, {n} training and {len(y_val)} validation points")
    print(f"MLP 2-{args.hidden}-{args.hidden}-2 (tanh), {n_params} parameters, full-batch SGD "
          f"lr={args.lr}, {args.steps} steps, seed {args.seed}")
    start = time.perf_counter()
    every = max(args.steps // 10, 1)
    for step in range(1, args.steps + 1):
        loss = F.cross_entropy(_mlp_forward(params, x_train), y_train)
        loss.backward()
        with gradlab.no_grad():
            for p in params:
                p -= args.lr * p.grad
                p.grad = None
        if step % every == 0 or step == 1:
            print(f"  step {step:5d}  loss {loss.item():.4f}")
    with gradlab.no_grad():
        train_acc = (_mlp_forward(params, x_train).argmax(1) == y_train).float().mean().item()
        val_acc = (_mlp_forward(params, x_val).argmax(1) == y_val).float().mean().item()
    took = time.perf_counter() - start
    print(f"train accuracy {train_acc:.1%}, validation accuracy {val_acc:.1%} "
          f"({took:.1f} s)")
    ok = val_acc >= args.target
    print(f"target: validation accuracy >= {args.target:.0%}: {'reached' if ok else 'MISSED'}")
    return 0 if ok else 1


def register(sub) -> None:
    """Add this module's sub-commands to ``sub`` (argparse sub-parsers of ``gradlab``)."""
    d = sub.add_parser("demo", help="train a raw-tensor MLP on two spirals (offline, seconds)")
    d.add_argument("--steps", type=int, default=1000, help="SGD steps (default 1000)")
    d.add_argument("--lr", type=float, default=0.5, help="learning rate (default 0.5)")
    d.add_argument("--hidden", type=int, default=64, help="hidden units per layer (default 64)")
    d.add_argument("--n", type=int, default=1000, help="training points, >= 5 (default 1000; "
                   "a fifth as many more for validation)")
    d.add_argument("--noise", type=float, default=0.2, help="spiral noise (default 0.2)")
    d.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    d.add_argument("--target", type=float, default=0.97,
                   help="validation accuracy to reach; exit status 1 if missed (default 0.97)")
    d.set_defaults(func=_demo)
    i = sub.add_parser("info", help="versions, BLAS library and threads")
    i.set_defaults(func=_info)
