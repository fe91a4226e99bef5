"""Asynchronous sequence to sequence (seed 004 §2.2): an encoder-decoder LSTM learns to write
a short digit sequence backwards.

The encoder reads the digits; its final (h, c) starts the decoder. Training uses teacher
forcing (the decoder reads the true previous digit, behind a start token); the test uses
greedy decoding (the decoder reads its own previous arg-max). Prints the per-digit and
whole-sequence accuracy of greedy decoding on fresh sequences.

    python examples/seq2seq_reverse.py [--length 5] [--steps 1500] [--seed 0]
"""

from __future__ import annotations

import argparse
import time

import gradlab
import gradlab.nn.functional as F
from gradlab import nn
from gradlab.models import Seq2Seq
from gradlab.optim import Adam

DIGITS = 10
START = DIGITS  # the decoder's start token, after the ten digits


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--length", type=int, default=5, help="digits per sequence")
    p.add_argument("--cell", choices=["lstm", "gru", "rnn"], default="lstm")
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--steps", type=int, default=1500, help="training steps")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--clip", type=float, default=1.0, help="max gradient norm")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1,
                   help="BLAS threads (one: these GEMMs are too small to gain from two, and a "
                        "second thread costs 2-8x on a busy machine)")
    return p.parse_args(argv)


def batch(n: int, length: int, gen: gradlab.Generator):
    """Source digits (n, length), decoder input [START, y_1..y_{L-1}] and target y = reversed
    source."""
    src = gradlab.randint(0, DIGITS, (n, length), generator=gen)
    tgt = src.index_select(1, gradlab.arange(length - 1, -1, -1))
    tgt_in = gradlab.cat([gradlab.full((n, 1), START, dtype=gradlab.int64), tgt[:, :-1]], 1)
    return src, tgt_in, tgt


def main(argv=None) -> dict:
    """Return {'token_accuracy', 'sequence_accuracy' (greedy decoding on 1000 fresh
    sequences), 'chance': 1 / 10, 'seconds'}."""
    args = parse_args(argv)
    with gradlab.backend.num_threads(args.threads):
        return _run(args)


def _run(args: argparse.Namespace) -> dict:
    t0 = time.perf_counter()
    gradlab.manual_seed(args.seed)
    gen = gradlab.Generator().manual_seed(args.seed)
    src_te, _, tgt_te = batch(1000, args.length, gen)
    model = Seq2Seq(DIGITS, DIGITS + 1, embedding_dim=16, hidden_size=args.hidden,
                    cell=args.cell)
    opt = Adam(model.parameters(), lr=args.lr)
    for _ in range(args.steps):
        src, tgt_in, tgt = batch(args.batch, args.length, gen)
        loss = F.cross_entropy(model(src, tgt_in).reshape(-1, DIGITS + 1), tgt.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        opt.step()
    model.eval()
    hit = (model.greedy_decode(src_te, args.length, START) == tgt_te).numpy()
    result = {"token_accuracy": float(hit.mean()), "sequence_accuracy": float(hit.all(1).mean()),
              "chance": 1.0 / DIGITS, "seconds": time.perf_counter() - t0}
    example = src_te[0].tolist()
    decoded = model.greedy_decode(src_te[:1], args.length, START)[0].tolist()
    print(f"reverse {example} -> {decoded}")
    print(f"seq2seq reverse ({args.cell.upper()}, {args.length} digits, {args.steps} steps): "
          f"greedy decoding accuracy per digit {result['token_accuracy']:.3f}, per sequence "
          f"{result['sequence_accuracy']:.3f} (chance per digit 0.100), "
          f"{result['seconds']:.1f} s")
    return result


if __name__ == "__main__":
    main()
