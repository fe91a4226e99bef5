"""``gradlab train``: train a zoo model on a data set with gradlab.train and write the run's
files (see :func:`register`).

Nothing is overwritten silently: ``--out DIR`` that already holds a run (``last.safetensors``,
``best.safetensors``, ``history.csv`` or ``metrics.json``) is refused (exit status 2) unless
``--overwrite`` is given, which removes that run's files first; without ``--out`` the run goes
to ``runs/<model>-<data>``, or, if that holds a run, to the first of ``runs/<model>-<data>-2``,
``-3``, ... that does not (the folder is printed). ``--resume`` continues a run in its own
folder. A run whose training loss diverges stops with one line on stderr and exit status 1
(see :class:`gradlab.train.TrainingDiverged`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

import gradlab
from gradlab import backend, nn
from gradlab.cli import launch
from gradlab.cli.common import (
    RUN_KEYS,
    UsageError,
    check_float,
    check_int,
    check_output_folder,
    check_saved_run,
    check_seed,
    one_line,
)

_RESUME_KEYS = RUN_KEYS
#: the files that make a folder hold a run (``--out`` refuses it without ``--overwrite``)
RUN_FILES = ("last.safetensors", "best.safetensors", "history.csv", "metrics.json")
#: what ``--overwrite`` removes before the new run starts: the old run's files
_REPLACED_FILES = RUN_FILES + ("curves.png", "monitor_gradients.png",
                               "monitor_activations.png")


def holds_run(folder: str) -> bool:
    """Whether ``folder`` holds the files of a ``gradlab train`` run."""
    return os.path.isdir(folder) and any(
        os.path.lexists(os.path.join(folder, f)) for f in RUN_FILES)


def _default_out(model: str, data: str) -> str:
    """``runs/<model>-<data>``, or the first of ``-2``, ``-3``, ... that holds no run."""
    base = os.path.join("runs", f"{model}-{data}")
    out, n = base, 1
    while holds_run(out) or (os.path.exists(out) and not os.path.isdir(out)):
        n += 1
        out = f"{base}-{n}"
    return out


def _train_config(args: argparse.Namespace) -> dict:
    """The run's settings: explicit arguments, else the measured recipe for (model, data);
    on --resume, the checkpoint's settings (an explicit argument that differs is an error)."""
    from gradlab.train import load_training_checkpoint, recipes

    saved = None
    if args.resume is not None:
        path = args.resume
        if os.path.isdir(path):
            path = os.path.join(path, "last.safetensors")
        if not os.path.isfile(path):
            raise UsageError(f"--resume: no checkpoint at {path}")
        try:
            ckpt = load_training_checkpoint(path)
        except (ValueError, OSError) as exc:
            raise UsageError(f"--resume: {' '.join(str(exc).split())}") from None
        saved = ckpt["extra"].get("gradlab_train")
        if saved is None:
            raise UsageError(f"--resume: {path} was not written by gradlab train (use "
                             "gradlab.train.fit(..., resume_from=path) in Python)")
        try:
            check_saved_run(saved, path)
        except ValueError as exc:
            raise UsageError(f"--resume: {exc}") from None
        for key in _RESUME_KEYS:
            given = getattr(args, key)
            if given is not None and given != saved[key]:
                flag = "--" + key.replace("_", "-")
                raise UsageError(f"{flag} {given} differs from the checkpoint's {saved[key]}; "
                                 "a resumed run keeps its settings")
        cfg = dict(saved)
        cfg["resume"] = path
        cfg["out"] = args.out or os.path.dirname(os.path.abspath(path))
        cfg.setdefault("recipe_target", None)
        cfg.setdefault("data_dir", None)
    else:
        model = args.model or "lenet5"
        data = args.data or "digits"
        r = recipes.recipe(model, data)
        optimizer = args.optimizer or r.optimizer
        lr = args.lr if args.lr is not None else (
            r.lr if optimizer == r.optimizer else recipes.DEFAULT_LR[optimizer])
        cfg = {"model": model, "data": data,
               "epochs": args.epochs if args.epochs is not None else r.epochs,
               "batch_size": args.batch_size if args.batch_size is not None else r.batch_size,
               "optimizer": optimizer, "lr": lr,
               "momentum": args.momentum if args.momentum is not None else 0.9,
               "weight_decay": args.weight_decay if args.weight_decay is not None else 0.0,
               "scheduler": args.scheduler or r.scheduler,
               "augment": args.augment if args.augment is not None else r.augment,
               "val_fraction": args.val_fraction if args.val_fraction is not None else 0.1,
               "seed": args.seed if args.seed is not None else 0,
               "threads": args.threads if args.threads is not None else 1,
               "resume": None, "out": args.out}
        default_run = (all(cfg[k] == getattr(r, k) for k in ("epochs", "batch_size",
                                                             "optimizer", "lr", "scheduler",
                                                             "augment"))
                       and cfg["weight_decay"] == 0.0 and cfg["val_fraction"] == 0.1)
        cfg["recipe_target"] = r.target if default_run else None
        cfg["data_dir"] = args.data_dir
    if args.data_dir is not None:
        cfg["data_dir"] = args.data_dir
    cfg["target"] = args.target if args.target is not None else cfg["recipe_target"]
    cfg["download"] = args.download
    cfg["plot"] = not args.no_plot
    cfg["monitor"] = args.monitor
    cfg["overwrite"] = args.overwrite
    _check_train_config(cfg)
    _check_out(cfg)
    return cfg


def _check_train_config(cfg: dict) -> None:
    check_int(cfg["threads"], "--threads")
    check_int(cfg["epochs"], "--epochs")
    check_int(cfg["batch_size"], "--batch-size")
    check_float(cfg["lr"], "--lr", 0, low_open=True)
    check_float(cfg["momentum"], "--momentum", 0)
    check_float(cfg["weight_decay"], "--weight-decay", 0)
    check_float(cfg["val_fraction"], "--val-fraction", 0, 1, high_open=True)
    check_seed(cfg["seed"])
    if cfg["target"] is not None:
        check_float(cfg["target"], "--target", 0, 1)
    if cfg["scheduler"] == "plateau" and cfg["val_fraction"] == 0:
        raise UsageError("--scheduler plateau needs a validation split (--val-fraction > 0)")
    if cfg["data"] == "digits":
        if cfg["data_dir"] is not None or cfg["download"]:
            flag = "--data-dir" if cfg["data_dir"] is not None else "--download"
            raise UsageError(f"{flag}: --data digits ships with gradlab: --data-dir and "
                             "--download do not apply")
    else:
        if cfg["data_dir"] is None:
            raise UsageError(f"--data {cfg['data']} needs --data-dir DIR (the folder that holds "
                             f"or will hold the IDX files; add --download to fetch them)")
        if os.path.exists(cfg["data_dir"]) and not os.path.isdir(cfg["data_dir"]):
            raise UsageError(f"--data-dir {cfg['data_dir']}: is a file, not a folder")
        if not os.path.isdir(cfg["data_dir"]) and not cfg["download"]:
            raise UsageError(f"--data-dir {cfg['data_dir']} does not exist (add --download to "
                             "fetch the data set into it)")


def _check_out(cfg: dict) -> None:
    """Settle the output folder before anything runs: the next free ``runs/<model>-<data>[-N]``
    when none was given; a folder that holds another run is refused without ``--overwrite``
    (a resumed run continues in its own folder); the folder must be creatable and writable."""
    if cfg["out"] is None:
        cfg["out"] = (os.path.join("runs", f"{cfg['model']}-{cfg['data']}") if cfg["overwrite"]
                      else _default_out(cfg["model"], cfg["data"]))
    out = cfg["out"]
    own = cfg["resume"] is not None and os.path.abspath(out) == os.path.dirname(
        os.path.abspath(cfg["resume"]))
    if not own and holds_run(out) and not cfg["overwrite"]:
        hint = os.path.join(out, "last.safetensors")
        raise UsageError(f"--out {out}: holds a run already; pass --resume {hint} to continue "
                         "it, --overwrite to replace it, or another --out")
    check_output_folder(out, "--out")
    cfg["replace"] = [] if own or not cfg["overwrite"] else [
        os.path.join(out, f) for f in _REPLACED_FILES
        if os.path.lexists(os.path.join(out, f))]


def _train(args: argparse.Namespace) -> int:
    """Train a zoo model on a data set, report held-out test accuracy, write the run's files."""
    cfg = _train_config(args)
    code = launch.relaunch(args)   # --nproc N: this command again under mpiexec
    if code is not None:
        return code
    # the BLAS thread count changes the float32 sums: part of a run's settings
    with backend.num_threads(cfg["threads"]):
        return _run_training(cfg)


def _run_training(cfg: dict) -> int:
    from gradlab.train import (
        CSVLogger,
        ModelCheckpoint,
        ProgressBar,
        Trainer,
        TrainingDiverged,
        evaluate,
        plot_history,
        recipes,
    )
    from gradlab.utils.data import DataLoader

    ranks = launch.Ranks()
    gradlab.manual_seed(cfg["seed"])
    try:
        splits = recipes.load_data(cfg["data"], cfg["model"], cfg["data_dir"], cfg["download"],
                                   cfg["val_fraction"], cfg["augment"], cfg["seed"])
    except (RuntimeError, OSError, ValueError, ImportError) as exc:
        where = "--data" if cfg["data_dir"] is None else f"--data-dir {cfg['data_dir']}"
        raise UsageError(f"{where}: {one_line(exc)}") from None
    model = ranks.wrap(recipes.build_model(cfg["model"], cfg["data"], len(splits.classes)))
    optimizer = recipes.build_optimizer(cfg["optimizer"], model.parameters(), cfg["lr"],
                                        cfg["momentum"], cfg["weight_decay"])
    scheduler = recipes.build_scheduler(cfg["scheduler"], optimizer, cfg["epochs"])
    train_loader, dist_callbacks = ranks.loader(splits.train, cfg["batch_size"], cfg["seed"])
    val_loader = DataLoader(splits.val, batch_size=512) if splits.val is not None else None
    test_loader = DataLoader(splits.test, batch_size=512)
    out = cfg["out"]
    os.makedirs(out, exist_ok=True)
    for old in cfg.get("replace", ()):  # --overwrite: no file of the old run survives
        os.remove(old)
    has_val = val_loader is not None
    callbacks = dist_callbacks + ranks.callbacks(
        [ProgressBar(), CSVLogger(os.path.join(out, "history.csv")),
         ModelCheckpoint(out, monitor="val_accuracy", save_best=has_val)])
    monitor = None
    if cfg["monitor"]:  # last, so the other callbacks keep their checkpoint keys
        from gradlab.diagnose import Monitor

        monitor = Monitor(model, warn=False, file=sys.stdout)
        callbacks.append(monitor)
    trainer = Trainer(model, nn.CrossEntropyLoss(), optimizer, scheduler, callbacks,
                      metrics=["accuracy"],
                      scheduler_monitor="val_loss" if has_val else "train_loss")
    trainer.extra_state["gradlab_train"] = {k: cfg[k] for k in _RESUME_KEYS + ("recipe_target",)}
    # a resumed run finds its data where it was, from any working directory
    trainer.extra_state["gradlab_train"]["data_dir"] = (
        None if cfg["data_dir"] is None else os.path.abspath(cfg["data_dir"]))
    if cfg["resume"]:  # a checkpoint whose state does not fit its own settings: before training
        trainer.train_loader, trainer.val_loader = train_loader, val_loader
        try:
            trainer.load_checkpoint(cfg["resume"])
        except (ValueError, RuntimeError, KeyError, TypeError, IndexError) as exc:
            raise UsageError(f"--resume: {cfg['resume']}: the checkpoint does not fit its own "
                             f"settings ({cfg['model']} on {cfg['data']}): "
                             f"{one_line(exc)}") from None

    n_params = sum(p.numel() for p in model.parameters())
    shape = "x".join(str(s) for s in splits.shape)
    n_val = len(splits.val) if has_val else 0
    print(f"gradlab train: {cfg['model']} on {cfg['data']} ({len(splits.train):,} train / "
          f"{n_val:,} validation / {len(splits.test):,} test images, {shape}), seed "
          f"{cfg['seed']}, {cfg['threads']} BLAS thread{'s' if cfg['threads'] > 1 else ''}")
    sched = "constant lr" if cfg["scheduler"] == "none" else f"{cfg['scheduler']} schedule"
    extras = ", random 2-pixel shifts" if cfg["augment"] else ""
    print(f"{type(model).__name__}: {n_params:,} parameters; {cfg['optimizer']} "
          f"lr={cfg['lr']:g}, {sched}, batch {cfg['batch_size']}, {cfg['epochs']} epochs"
          f"{extras}{ranks.describe()}")
    if cfg["resume"]:
        print(f"resuming from {cfg['resume']}")
    print(f"writing to {out}", flush=True)
    start = time.perf_counter()
    try:
        # a resumed run's checkpoint is in the trainer already (loaded and checked above)
        history = trainer.fit(train_loader, val_loader, epochs=cfg["epochs"])
    except TrainingDiverged as exc:
        if monitor is not None:
            print(monitor.report(details=False))
        print(f"gradlab train: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        last = os.path.join(out, "last.safetensors")
        hint = (f"; resume with: gradlab train --resume {last}" if os.path.isfile(last)
                else "")
        print(f"\ninterrupted{hint}", file=sys.stderr)
        return 130
    took = time.perf_counter() - start
    test = evaluate(model, nn.CrossEntropyLoss(), test_loader, ["accuracy", "confusion_matrix"])
    correct = int(np.trace(np.array(test["confusion_matrix"])))
    print(f"test accuracy {test['accuracy']:.2%} ({correct}/{len(splits.test)}), test loss "
          f"{test['loss']:.4f} (final weights; training {took:.1f} s)")
    target = cfg["target"]
    reached = None if target is None else test["accuracy"] >= target
    if target is None:
        print("target: none set for this run (pass --target to check one)")
    else:
        print(f"target: test accuracy >= {target:.0%}: {'reached' if reached else 'MISSED'}")
    if not ranks.main:     # rank 0 writes the run's files
        return 0 if reached is not False else 1
    files = ["last.safetensors"] + (["best.safetensors"] if has_val else []) + [
        "history.csv", "metrics.json"]
    metrics = {"model": cfg["model"], "data": cfg["data"], "parameters": n_params,
               "config": {k: cfg[k] for k in _RESUME_KEYS}, "epochs_run": trainer.epoch,
               "train_seconds": took, "test": test, "target": target, "reached": reached,
               "history": history.rows}
    from gradlab.train.checkpoint import atomic_write

    atomic_write(os.path.join(out, "metrics.json"), json.dumps(metrics, indent=1).encode())
    if cfg["plot"]:
        try:
            plot_history(history, os.path.join(out, "curves.png"),
                         title=f"{cfg['model']} on {cfg['data']}")
            files.append("curves.png")
        except ImportError as exc:
            print(f"learning curves not drawn: {exc}")
    if monitor is not None:
        print(monitor.report(details=False))
        try:
            files += [os.path.basename(p) for p in monitor.plot(out)]
        except ImportError as exc:
            print(f"monitor plots not drawn: {exc}")
    print(f"wrote {', '.join(os.path.join(out, f) for f in files)}")
    return 0 if reached is not False else 1


def register(sub) -> None:
    """Add this module's sub-commands to ``sub`` (argparse sub-parsers of ``gradlab``)."""
    from gradlab.train import recipes

    t = sub.add_parser(
        "train", help="train a zoo model (default: LeNet-5 on the bundled digits, offline)",
        description="Train a zoo model on a data set with gradlab.train: per-epoch metrics on "
        "a validation split, held-out test accuracy at the end, and the run's files (training "
        "checkpoints last/best.safetensors, history.csv, metrics.json, curves.png) in --out. "
        "Unset options take the measured recipe for the (model, data) pair; the default run "
        "(LeNet-5 on digits) must reach 97% test accuracy, else the exit status is 1. "
        "Nothing is overwritten silently: an --out folder that holds a run is refused (exit "
        "status 2) unless --overwrite is given; without --out a new runs/<model>-<data>[-N] "
        "folder is used. Training stops with exit status 1 when the loss diverges (NaN/Inf, "
        "or 1000 times the largest loss of the first 10 steps), naming the epoch, step and "
        "loss. Bad arguments: exit status 2 and one line.")
    t.add_argument("--model", choices=recipes.MODELS, default=None,
                   help="zoo model (default lenet5)")
    t.add_argument("--data", choices=recipes.DATASETS, default=None,
                   help="data set (default digits: 1,797 8x8 UCI digits shipped with gradlab)")
    t.add_argument("--data-dir", default=None,
                   help="folder for the MNIST-family IDX files (<dir>/MNIST/raw/...)")
    t.add_argument("--download", action="store_true",
                   help="fetch a missing MNIST-family data set into --data-dir")
    t.add_argument("--epochs", type=int, default=None, help="epochs (recipe: 30 on digits)")
    t.add_argument("--batch-size", type=int, default=None, help="batch size (recipe: 32)")
    t.add_argument("--optimizer", choices=recipes.OPTIMIZERS, default=None,
                   help="optimizer (default adam)")
    t.add_argument("--lr", type=float, default=None,
                   help="learning rate (recipe, or the optimizer's usual default)")
    t.add_argument("--momentum", type=float, default=None, help="SGD momentum (default 0.9)")
    t.add_argument("--weight-decay", type=float, default=None,
                   help="weight decay (default 0; AdamW 0.01)")
    t.add_argument("--scheduler", choices=recipes.SCHEDULERS, default=None,
                   help="learning-rate schedule (default cosine)")
    aug = t.add_mutually_exclusive_group()
    aug.add_argument("--augment", dest="augment", action="store_true", default=None,
                     help="random 2-pixel shifts of the training images (recipe: on for "
                     "lenet5 on digits)")
    aug.add_argument("--no-augment", dest="augment", action="store_false")
    t.add_argument("--val-fraction", type=float, default=None,
                   help="share of the training split held out for validation (default 0.1)")
    t.add_argument("--seed", type=int, default=None, help="random seed (default 0)")
    t.add_argument("--out", default=None,
                   help="output folder (default runs/<model>-<data>, or -2, -3, ... when that "
                   "holds a run already); a folder that holds a run is refused unless "
                   "--overwrite is given")
    t.add_argument("--overwrite", action="store_true",
                   help="replace the run in --out (its checkpoints, history, metrics and "
                   "plots are removed first)")
    t.add_argument("--resume", default=None, metavar="CHECKPOINT",
                   help="continue a run from its last.safetensors (or its folder)")
    t.add_argument("--target", type=float, default=None,
                   help="test accuracy to reach, else exit status 1 (default: the recipe's, "
                   "for the default settings only)")
    t.add_argument("--threads", type=int, default=None,
                   help="BLAS threads (default 1: as fast for these small nets, no "
                   "thread-partitioning differences in the sums (the BLAS kernel still depends "
                   "on the CPU), and no stalls when another process holds a core; more help "
                   "big models on idle cores)")
    t.add_argument("--no-plot", action="store_true", help="do not draw curves.png")
    t.add_argument("--monitor", action="store_true",
                   help="watch per-layer activations and gradients every 20 steps: print "
                   "warnings (vanishing/exploding gradients, dead or saturated units, NaN/Inf) "
                   "and write monitor_gradients.png and monitor_activations.png")
    launch.add_arguments(t)
    t.set_defaults(func=_train)
