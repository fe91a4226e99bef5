"""A character-level language model (seed 004 §2.2; Karpathy's char-rnn) trained on a few
sentences written below, then sampled at temperatures 0.5 and 1.0.

The model predicts each next character, ``p(x_{t+1} | x_<=t) = softmax(W h_t + b)``, trained
on random windows of the text with cross-entropy (truncated BPTT over the window). Sampling
divides the logits by the temperature T before the softmax, ``p_i ∝ exp(z_i / T)``: T = 0.5
gives safer, more repetitive text, T = 1.0 the model's own distribution. Prints the training
loss against the unigram baseline (a model that ignores context) and the samples.

    python examples/char_lm.py [--steps 250] [--seed 0] [--length 150]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

import gradlab
import gradlab.nn.functional as F
from gradlab import nn
from gradlab.models import CharLM
from gradlab.optim import Adam

TEXT = (
    "a recurrent network reads a sequence one step at a time and keeps a hidden state. "
    "the state is a summary of everything the network has read so far. "
    "at each step the network mixes the new input with the old state and writes a new state. "
    "a language model reads the text one character at a time and guesses the next character. "
    "the long short-term memory keeps a cell state that changes by addition, so the gradient "
    "can flow back through many steps without fading away. "
    "the gated recurrent unit uses two gates instead of three and often learns just as well. "
    "training unrolls the network through time and sends the error back through every step. "
    "when the gradient grows too large we clip its norm, and when it fades we use gates. "
)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cell", choices=["lstm", "gru", "rnn"], default="lstm")
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--window", type=int, default=48, help="characters per training window")
    p.add_argument("--steps", type=int, default=250, help="training steps")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=5e-3)
    p.add_argument("--clip", type=float, default=1.0, help="max gradient norm")
    p.add_argument("--length", type=int, default=150, help="characters per sample")
    p.add_argument("--prompt", default="the ")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1,
                   help="BLAS threads (one: these GEMMs are too small to gain from two, and a "
                        "second thread costs 2-8x on a busy machine)")
    return p.parse_args(argv)


def main(argv=None) -> dict:
    """Return {'loss': mean training cross-entropy over the last 50 steps (nats per
    character), 'unigram_loss': the entropy of the character frequencies, 'uniform_loss':
    log(vocabulary size), 'samples': {0.5: text, 1.0: text}, 'seconds'}."""
    args = parse_args(argv)
    with gradlab.backend.num_threads(args.threads):
        return _run(args)


def _run(args: argparse.Namespace) -> dict:
    t0 = time.perf_counter()
    chars = sorted(set(TEXT))
    index = {c: i for i, c in enumerate(chars)}
    unknown = sorted(set(args.prompt) - set(chars))
    if unknown:
        raise SystemExit(f"char_lm: the prompt has characters not in the text: {unknown}")
    data = np.array([index[c] for c in TEXT], dtype=np.int64)
    freq = np.bincount(data, minlength=len(chars)) / len(data)
    unigram = float(-(freq * np.log(freq)).sum())

    gradlab.manual_seed(args.seed)
    gen = gradlab.Generator().manual_seed(args.seed)
    model = CharLM(len(chars), embedding_dim=32, hidden_size=args.hidden, cell=args.cell)
    opt = Adam(model.parameters(), lr=args.lr)
    offsets = np.arange(args.window + 1)
    losses = []
    for _ in range(args.steps):
        starts = gradlab.randint(0, len(data) - args.window - 1, (args.batch,),
                                 generator=gen).numpy()
        win = gradlab.tensor(data[starts[:, None] + offsets])
        logits, _ = model(win[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, len(chars)), win[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        opt.step()
        losses.append(float(loss.item()))
    result = {"loss": float(np.mean(losses[-50:])) if losses else float("nan"),
              "unigram_loss": unigram, "uniform_loss": math.log(len(chars)), "samples": {}}
    print(f"char LM ({args.cell.upper()} {args.hidden}, {len(TEXT)} characters, {len(chars)} "
          f"symbols, {args.steps} steps): training loss {result['loss']:.3f} nats/char "
          f"(unigram {unigram:.3f}, uniform {result['uniform_loss']:.3f})")
    prompt = [index[c] for c in args.prompt]
    for t in (0.5, 1.0):
        out = model.sample(prompt, args.length, temperature=t,
                           generator=gradlab.Generator().manual_seed(args.seed))
        text = args.prompt + "".join(chars[i] for i in out.tolist())
        result["samples"][t] = text
        print(f"--- temperature {t}:\n{text}")
    result["seconds"] = time.perf_counter() - t0
    print(f"({result['seconds']:.1f} s)")
    return result


if __name__ == "__main__":
    main()
