"""Compressing LeNet-5 on the bundled digits (seed 003 "model acceleration"): one float model
trained with the `gradlab train` recipe, then six smaller versions of it, each with its test
accuracy and its size on disk (safetensors bytes):

- 80% of the weights pruned by global magnitude, fine-tuned, stored sparse (non-zeros + a bit
  mask);
- int8 post-training quantization (integer arithmetic, calibrated on 512 training images);
- ternary weights {-α, 0, +α} (Ternary Weight Networks), fine-tuned through the
  straight-through estimator, stored at 2 bits a weight;
- a half-width LeNet-5 trained on the labels alone, and the same student distilled from the
  float model (Hinton et al. 2015, T = 4, alpha = 0.9);
- low-rank: every layer SVD-factorized keeping 80% of its energy, fine-tuned.

    python examples/compress_lenet.py [--epochs 30] [--finetune 3] [--seed 0]
"""

from __future__ import annotations

import argparse
import time

import gradlab
from gradlab import compress, nn, optim
from gradlab.train import Trainer, evaluate, recipes
from gradlab.utils.data import DataLoader


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=30,
                   help="epochs of the float model and of the students (recipe: 30)")
    p.add_argument("--finetune", type=int, default=3,
                   help="fine-tuning epochs after pruning, ternarization and factorization")
    p.add_argument("--prune", type=float, default=0.8, help="share of weights pruned")
    p.add_argument("--energy", type=float, default=0.8, help="SVD energy kept by low-rank")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="BLAS threads")
    return p.parse_args(argv)


class HalfLeNet5(nn.Module):
    """LeNet-5 at half width: 3 and 8 filters, 60 and 42 hidden units (15,5xx parameters).

    Shape: (N, 1, 28, 28) -> (N, 10).
    """

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 3, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(3, 8, 5), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(8 * 25, 60), nn.ReLU(),
                                        nn.Linear(60, 42), nn.ReLU(), nn.Linear(42, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def _train(model, loader, epochs, lr, loss_fn=None, wrapped=None):
    opt = optim.Adam(model.parameters(), lr=lr)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    Trainer(wrapped or model, loss_fn or nn.CrossEntropyLoss(), opt, sched).fit(
        loader, epochs=epochs)
    return model


def main(argv=None) -> dict:
    """Train and compress; returns {row name: {'accuracy', 'bytes', 'params'}} plus
    'seconds' (CPU seconds)."""
    args = parse_args(argv)
    with gradlab.backend.num_threads(args.threads):
        return _run(args)


def _run(args: argparse.Namespace) -> dict:
    t0 = time.process_time()
    gradlab.manual_seed(args.seed)
    splits = recipes.load_data("digits", "lenet5", val_fraction=0.1, augment=True,
                               seed=args.seed)
    gen = gradlab.Generator().manual_seed(args.seed)
    train = DataLoader(splits.train, batch_size=32, shuffle=True, generator=gen)
    test = DataLoader(splits.test, batch_size=512)
    rows: dict = {}

    def acc(model) -> float:
        return evaluate(model, None, test, ["accuracy"])["accuracy"]

    def record(name, model, size, params=None):
        rows[name] = {"accuracy": acc(model), "bytes": int(size),
                      "params": params if params is not None else
                      compress.count_parameters(model)}
        r = rows[name]
        print(f"  {name:<32} {r['accuracy']:.2%}", flush=True)

    print(f"LeNet-5 on digits ({len(splits.train)} train / {len(splits.test)} test), seed "
          f"{args.seed}")
    teacher = _train(recipes.build_model("lenet5", "digits"), train, args.epochs, 2e-3)
    record("float32", teacher, compress.saved_size(teacher.state_dict()))

    pruned = compress.clone_module(teacher)
    compress.magnitude_prune(pruned, args.prune)
    one_shot = acc(pruned)
    _train(pruned, train, args.finetune, 5e-4)
    compress.remove_masks(pruned)
    nonzero = sum(int((p.data != 0).sum()) for p in pruned.parameters())
    record(f"pruned {args.prune:.0%} + fine-tuned", pruned,
           compress.saved_size(compress.sparse_state_dict(pruned.state_dict())), nonzero)
    rows[f"pruned {args.prune:.0%} + fine-tuned"]["one_shot_accuracy"] = one_shot

    calib = [x for x, _ in DataLoader(splits.train, batch_size=256, shuffle=True,
                                      generator=gradlab.Generator().manual_seed(1))][:2]
    q = compress.quantize_model(compress.clone_module(teacher), calib)
    record("int8 (post-training)", q, compress.model_size(q),
           compress.count_parameters(teacher))

    tern = compress.low_bit_weights_(compress.clone_module(teacher), "ternary")
    _train(tern, train, args.finetune, 5e-4)
    compress.freeze_low_bit_weights_(tern)
    record("ternary + fine-tuned", tern, compress.low_bit_size(tern, "ternary"))

    gradlab.manual_seed(args.seed + 1)
    alone = _train(HalfLeNet5(), train, args.epochs, 2e-3)
    record("half-width, labels only", alone, compress.saved_size(alone.state_dict()))
    gradlab.manual_seed(args.seed + 1)
    student = HalfLeNet5()
    pair = compress.Distiller(student, teacher)
    _train(student, train, args.epochs, 2e-3, compress.DistillationLoss(pair, 4.0, 0.9), pair)
    record("half-width, distilled", student, compress.saved_size(student.state_dict()))

    low = compress.clone_module(teacher)
    ranks = compress.factorize_model(low, energy=args.energy)
    _train(low, train, args.finetune, 5e-4)
    record(f"low-rank ({args.energy:.0%} energy) + ft", low,
           compress.saved_size(low.state_dict()))
    rows[f"low-rank ({args.energy:.0%} energy) + ft"]["ranks"] = ranks

    base = rows["float32"]
    print()
    print(f"{'model':<32} {'params':>8} {'bytes':>9} {'size':>6} {'test acc':>9} {'change':>7}")
    for name, r in rows.items():
        print(f"{name:<32} {r['params']:>8,} {r['bytes']:>9,} {r['bytes'] / base['bytes']:>6.2f} "
              f"{r['accuracy']:>9.2%} {(r['accuracy'] - base['accuracy']) * 100:>+7.1f}")
    first = rows[f"pruned {args.prune:.0%} + fine-tuned"]["one_shot_accuracy"]
    print(f"(pruned {args.prune:.0%} before fine-tuning: {first:.2%}; params column: non-zero "
          f"weights for the pruned model; low-rank ranks: "
          f"{', '.join(f'{k} {v}' for k, v in ranks.items())})")
    rows["seconds"] = time.process_time() - t0
    print(f"{rows['seconds']:.0f} CPU seconds")
    return rows


if __name__ == "__main__":
    main()
