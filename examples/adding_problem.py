"""The adding problem (Hochreiter & Schmidhuber 1997; Le, Jaitly & Hinton 2015; seed 004
§2.4-2.6): an LSTM and a vanilla tanh RNN, same size, same optimizer, same gradient clipping,
must add the two marked numbers of a long sequence.

The vanilla RNN's gradient through many steps is a product of ``diag(f'(z_k)) U^T`` factors
(seed 004 §2.3-2.4) and vanishes, so it stays near the baseline of predicting the mean (test
MSE about 1/6); the LSTM's additive cell state carries the marked values and it gets close to
zero. Prints both test MSEs and the baseline.

    python examples/adding_problem.py [--seq-len 50] [--steps 800] [--seed 0]
"""

from __future__ import annotations

import argparse
import time

import gradlab
from gradlab import nn
from gradlab.datasets import adding_problem
from gradlab.models import SequenceClassifier
from gradlab.optim import Adam


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seq-len", type=int, default=50)
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--steps", type=int, default=800, help="training steps per model")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--clip", type=float, default=1.0, help="max gradient norm")
    p.add_argument("--cells", default="lstm,rnn", help="comma-separated: lstm, gru, rnn")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1,
                   help="BLAS threads (one: these GEMMs are too small to gain from two, and a "
                        "second thread costs 2-8x on a busy machine)")
    return p.parse_args(argv)


def train(cell: str, args: argparse.Namespace, xte, yte) -> float:
    """Train one regressor ``Linear(h_L)`` on fresh batches; return its test MSE."""
    gradlab.manual_seed(args.seed)
    gen = gradlab.Generator().manual_seed(args.seed + 1)
    model = SequenceClassifier(1, input_size=2, hidden_size=args.hidden, cell=cell)
    opt = Adam(model.parameters(), lr=args.lr)
    for _ in range(args.steps):
        x, y = adding_problem(args.batch, args.seq_len, generator=gen)
        loss = ((model(x) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        opt.step()
    with gradlab.no_grad():
        return float(((model(xte) - yte) ** 2).mean().item())


def main(argv=None) -> dict:
    """Return {'<cell>_mse': test MSE per cell, 'baseline_mse': MSE of predicting the mean
    target, 'seconds': wall time}."""
    args = parse_args(argv)
    with gradlab.backend.num_threads(args.threads):
        return _run(args)


def _run(args: argparse.Namespace) -> dict:
    t0 = time.perf_counter()
    xte, yte = adding_problem(1000, args.seq_len,
                              generator=gradlab.Generator().manual_seed(10_000 + args.seed))
    result = {"baseline_mse": float(((yte - yte.mean()) ** 2).mean().item())}
    for cell in args.cells.split(","):
        result[f"{cell}_mse"] = train(cell, args, xte, yte)
        print(f"{cell.upper():>4}: test MSE {result[f'{cell}_mse']:.4f}")
    result["seconds"] = time.perf_counter() - t0
    print(f"adding problem, length {args.seq_len}, {args.steps} steps per model: baseline "
          f"(predict the mean) MSE {result['baseline_mse']:.4f}; {result['seconds']:.1f} s")
    return result


if __name__ == "__main__":
    main()
