"""Copy task (Hochreiter & Schmidhuber 1997; seed 004 §2.4-2.8): an LSTM or GRU reads a few
symbols, waits through a run of blanks, and after the delimiter writes the symbols back.

A synchronous tagger (one output per step, :class:`gradlab.models.SequenceTagger`) trained
with per-step cross-entropy and gradient clipping. Prints the per-symbol accuracy on fresh
test sequences over the ``seq_len`` recall steps, against the 1 / n_symbols of guessing.

    python examples/copy_task.py [--cell gru] [--steps 2000] [--seq-len 5] [--delay 5]
"""

from __future__ import annotations

import argparse
import time

import gradlab
import gradlab.nn.functional as F
from gradlab import nn
from gradlab.datasets import copy_task
from gradlab.models import SequenceTagger
from gradlab.optim import Adam


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cell", choices=["lstm", "gru", "rnn"], default="lstm")
    p.add_argument("--seq-len", type=int, default=5, help="symbols to copy")
    p.add_argument("--delay", type=int, default=5, help="blanks between symbols and delimiter")
    p.add_argument("--symbols", type=int, default=8, help="alphabet size")
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--steps", type=int, default=2000, help="training steps")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--clip", type=float, default=1.0, help="max gradient norm")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1,
                   help="BLAS threads (one: these GEMMs are too small to gain from two, and a "
                        "second thread costs 2-8x on a busy machine)")
    return p.parse_args(argv)


def main(argv=None) -> dict:
    """Train, then return {'accuracy': per-symbol test accuracy over the recall steps,
    'chance': 1 / n_symbols, 'loss': last training loss, 'seconds': wall time}."""
    args = parse_args(argv)
    with gradlab.backend.num_threads(args.threads):
        return _run(args)


def _run(args: argparse.Namespace) -> dict:
    t0 = time.perf_counter()
    gradlab.manual_seed(args.seed)
    gen = gradlab.Generator().manual_seed(args.seed)
    task = dict(seq_len=args.seq_len, delay=args.delay, n_symbols=args.symbols, generator=gen)
    xte, yte = copy_task(500, **task)
    vocab = args.symbols + 2
    model = SequenceTagger(vocab, vocab_size=vocab, embedding_dim=16, hidden_size=args.hidden,
                           cell=args.cell)
    opt = Adam(model.parameters(), lr=args.lr)
    loss = None
    for _ in range(args.steps):
        x, y = copy_task(args.batch, **task)
        loss = F.cross_entropy(model(x).reshape(-1, vocab), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        opt.step()
    model.eval()
    with gradlab.no_grad():
        pred = model(xte).argmax(-1).numpy()[:, -args.seq_len:]
    acc = float((pred == yte.numpy()[:, -args.seq_len:]).mean())
    result = {"accuracy": acc, "chance": 1.0 / args.symbols,
              "loss": float(loss.item()) if loss is not None else float("nan"),
              "seconds": time.perf_counter() - t0}
    print(f"copy task ({args.cell.upper()}, {args.seq_len} symbols, delay {args.delay}, "
          f"{args.steps} steps): per-symbol test accuracy {acc:.3f} (chance "
          f"{result['chance']:.3f}), {result['seconds']:.1f} s")
    return result


if __name__ == "__main__":
    main()
