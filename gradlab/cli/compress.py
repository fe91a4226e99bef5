"""``gradlab compress``: prune, quantize or factorize a model trained by ``gradlab train`` and
report its size and test accuracy before and after (see ``gradlab.cli.build_parser``, which
calls :func:`register`).

    gradlab compress runs/lenet5-digits --prune 0.8 [--finetune 3]
    gradlab compress runs/lenet5-digits/best.safetensors --quantize int8
    gradlab compress runs/lenet5-digits --lowrank 0.9 [--out PATH]

The checkpoint's saved settings (model, data set, validation split, seed) rebuild the model and
its data: accuracy is measured on the data set's test split, calibration and fine-tuning use
the training split. Sizes are the bytes of safetensors files: the float32 weights before, the
compressed file after (pruned: non-zeros plus a bit mask; int8: integer weights, int32 biases
and scales; low-rank: the factor weights).

The output file (``--out``, or the default name next to the checkpoint) is never replaced
silently: an existing file is refused unless ``--overwrite`` is given, and the checkpoint itself
is never the output.

Exit status 0, or 2 for bad arguments (one line).
"""

from __future__ import annotations

import argparse
import json
import os

from gradlab.cli.common import (
    UsageError,
    check_output_file,
    check_saved_run,
    one_line,
)


def _check_args(args: argparse.Namespace) -> None:
    err = UsageError
    if args.prune is not None and not 0.0 < args.prune < 1.0:
        raise err(f"--prune is the share of weights to zero, in (0, 1); got {args.prune}")
    if args.lowrank is not None and not 0.0 < args.lowrank <= 1.0:
        raise err(f"--lowrank is the share of singular-value energy to keep, in (0, 1]; got "
                  f"{args.lowrank}")
    if args.finetune < 0:
        raise err(f"--finetune must be >= 0 epochs, got {args.finetune}")
    if args.finetune and args.quantize:
        raise err("--finetune applies to --prune and --lowrank (post-training quantization "
                  "does not train)")
    if args.calibration < 1:
        raise err(f"--calibration must be >= 1 images, got {args.calibration}")


def _default_out(args: argparse.Namespace, path: str) -> str:
    """The output next to the checkpoint: ``best-pruned80``, ``best-int8``, ``best-lowrank90``."""
    stem = os.path.splitext(path)[0]
    if args.prune is not None:
        return f"{stem}-pruned{round(args.prune * 100)}.safetensors"
    if args.quantize is not None:
        return f"{stem}-int8.safetensors"
    return f"{stem}-lowrank{round(args.lowrank * 100)}.safetensors"


def _check_out(args: argparse.Namespace, path: str) -> None:
    """Settle ``args.out`` before anything runs: writable, not a folder, not the checkpoint,
    and an existing file only with --overwrite."""
    if args.out is None:
        args.out = _default_out(args, path)
    if os.path.abspath(args.out) == os.path.abspath(path) or (
            os.path.exists(args.out) and os.path.samefile(args.out, path)):
        raise UsageError(f"--out {args.out}: is the checkpoint being compressed; give another "
                         "file")
    check_output_file(args.out, "--out", args.overwrite)


def _compress(args: argparse.Namespace) -> int:
    from gradlab import backend

    _check_args(args)
    from gradlab.train.recipes import load_trained

    try:
        path, ckpt, cfg = load_trained(args.checkpoint)
        check_saved_run(cfg, path)
    except ValueError as exc:
        raise UsageError(f"CHECKPOINT: {one_line(exc)}") from None
    _check_out(args, path)
    with backend.num_threads(cfg.get("threads", 1)):
        return _run(args, path, ckpt, cfg)


def _finetune(model, splits, epochs: int, seed: int) -> None:
    import gradlab
    from gradlab import nn, optim
    from gradlab.train import fit
    from gradlab.utils.data import DataLoader

    gradlab.manual_seed(seed)
    loader = DataLoader(splits.train, batch_size=32, shuffle=True)
    fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-3), loader,
        epochs=epochs)


def _run(args, path: str, ckpt: dict, cfg: dict) -> int:
    import gradlab
    from gradlab.compress import (
        count_parameters,
        factorize_model,
        magnitude_prune,
        quantize_model,
        remove_masks,
        saved_size,
        sparse_state_dict,
        sparsity_report,
    )
    from gradlab.io import save
    from gradlab.train import evaluate, load_model_state, recipes
    from gradlab.utils.data import DataLoader

    try:
        splits = recipes.load_data(cfg["data"], cfg["model"], cfg.get("data_dir"), False,
                                   cfg["val_fraction"], cfg["augment"], cfg["seed"])
    except (RuntimeError, OSError, ValueError, ImportError) as exc:
        raise UsageError(f"CHECKPOINT: {path}: cannot load the run's data set: "
                         f"{one_line(exc)}") from None
    model = recipes.build_model(cfg["model"], cfg["data"], len(splits.classes))
    try:
        load_model_state(model, ckpt, path)
    except ValueError as exc:
        raise UsageError(f"CHECKPOINT: {exc}") from None
    test_loader = DataLoader(splits.test, batch_size=512)

    def accuracy(m) -> float:
        return evaluate(m, None, test_loader, ["accuracy"])["accuracy"]

    n_params = count_parameters(model)
    size_before = saved_size(model.state_dict())
    acc_before = accuracy(model)
    print(f"gradlab compress: {cfg['model']} on {cfg['data']} from {path} "
          f"({len(splits.test):,} test images)")
    print(f"before: float32, {n_params:,} parameters, {size_before:,} bytes, test accuracy "
          f"{acc_before:.2%}")
    meta = {"source": os.path.abspath(path), "model": cfg["model"], "data": cfg["data"],
            "classes": len(splits.classes)}
    tune = f", fine-tuned {args.finetune} epoch{'s' if args.finetune != 1 else ''}" \
        if args.finetune else ""
    if args.prune is not None:
        magnitude_prune(model, args.prune)
        if args.finetune:
            _finetune(model, splits, args.finetune, cfg["seed"])
        remove_masks(model)
        rep = sparsity_report(model)
        state = sparse_state_dict(model.state_dict())
        out = args.out
        meta.update(method="prune", amount=args.prune, finetune=args.finetune)
        print(f"prune: {args.prune:.0%} of the Linear/Conv weights by global magnitude{tune}; "
              f"{rep.zeros:,} of {rep.params:,} weights are zero")
        what = "sparse (non-zeros + bit mask)"
    elif args.quantize is not None:
        gen = gradlab.Generator().manual_seed(cfg["seed"])
        calib = DataLoader(splits.train, batch_size=256, shuffle=True, generator=gen)
        batches, seen = [], 0
        for x, _ in calib:
            batches.append(x)
            seen += len(x)
            if seen >= args.calibration:
                break
        quantize_model(model, batches, activation="uint8", per_channel=True)
        n_q = sum(1 for m in model.modules() if type(m).__name__.startswith("Quantized"))
        state = model.state_dict()
        out = args.out
        meta.update(method="quantize", dtype="int8", activation="uint8",
                    calibration_images=seen)
        print(f"quantize: {n_q} Linear/Conv2d layers to int8 (per-channel weights, uint8 "
              f"activations calibrated on {seen:,} training images)")
        what = "int8"
    else:
        ranks = factorize_model(model, energy=args.lowrank)
        if args.finetune:
            _finetune(model, splits, args.finetune, cfg["seed"])
        state = model.state_dict()
        out = args.out
        meta.update(method="lowrank", energy=args.lowrank, ranks=ranks, scheme="channel",
                    finetune=args.finetune)
        shown = ", ".join(f"{k} r={r}" for k, r in ranks.items()) or "none"
        print(f"lowrank: SVD keeping {args.lowrank:.0%} of each layer's energy{tune}; "
              f"factorized {shown}")
        what = f"{count_parameters(model):,} parameters"
    save(state, out, metadata={"gradlab.compress": json.dumps(meta)})
    size_after = os.path.getsize(out)
    acc_after = accuracy(model)
    print(f"after:  {what}, {size_after:,} bytes ({size_after / size_before:.2f}x), test "
          f"accuracy {acc_after:.2%} ({(acc_after - acc_before) * 100:+.1f} points)")
    print(f"wrote {out}")
    return 0


def register(sub) -> None:
    """Add ``gradlab compress`` to ``sub`` (argparse sub-parsers of ``gradlab``)."""
    c = sub.add_parser(
        "compress", help="prune, quantize (int8) or factorize (SVD) a gradlab train model",
        description="Compress a model trained by gradlab train and print its size and test "
        "accuracy before and after. The checkpoint's settings rebuild the model and its data "
        "set; the compressed weights are written as safetensors. An existing output file is "
        "not replaced unless --overwrite is given. Bad arguments: exit status 2, one line.")
    c.add_argument("checkpoint", metavar="CHECKPOINT",
                   help="a gradlab train checkpoint, or its run folder (best.safetensors, "
                   "else last.safetensors)")
    how = c.add_mutually_exclusive_group(required=True)
    how.add_argument("--prune", type=float, default=None, metavar="FRACTION",
                     help="zero this share of the Linear/Conv weights (global magnitude "
                     "pruning); stored sparse")
    how.add_argument("--quantize", choices=("int8",), default=None,
                     help="post-training int8 quantization with integer arithmetic")
    how.add_argument("--lowrank", type=float, default=None, metavar="ENERGY",
                     help="SVD-factorize each Linear/Conv2d keeping this share of the "
                     "squared singular values, where that saves parameters")
    c.add_argument("--finetune", type=int, default=0, metavar="EPOCHS",
                   help="epochs of fine-tuning on the training split after --prune or "
                   "--lowrank (Adam, lr 1e-3; default 0)")
    c.add_argument("--calibration", type=int, default=512, metavar="N",
                   help="training images that calibrate the activation ranges of --quantize "
                   "(default 512)")
    c.add_argument("--out", default=None,
                   help="output file (default: next to the checkpoint, e.g. "
                   "best-pruned80.safetensors); an existing file is refused unless "
                   "--overwrite is given")
    c.add_argument("--overwrite", action="store_true",
                   help="replace the output file if it exists")
    c.set_defaults(func=_compress)
