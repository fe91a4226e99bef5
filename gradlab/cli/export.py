"""Sub-commands of ``gradlab`` defined by this package (see ``gradlab.cli.build_parser``):
``gradlab export CHECKPOINT --onnx out.onnx``."""

from __future__ import annotations

import argparse
import os

import numpy as np

from ..tensor import from_numpy


def register(sub) -> None:
    """Add this package's sub-commands to ``sub`` (argparse sub-parsers of ``gradlab``)."""
    e = sub.add_parser(
        "export", help="write a gradlab train checkpoint as ONNX, checked by onnxruntime",
        description="Rebuild the model of a `gradlab train` checkpoint, write it as an ONNX "
                    "file with a dynamic batch axis, then run the checkpoint's test set through "
                    "onnxruntime and gradlab: prints the file size, the largest difference "
                    "between their outputs and the accuracy of both. An existing --onnx file "
                    "is not replaced unless --overwrite is given. Bad arguments: exit status "
                    "2, one line.")
    e.add_argument("checkpoint", help="a checkpoint written by gradlab train "
                                      "(best.safetensors or last.safetensors)")
    e.add_argument("--onnx", required=True, metavar="PATH",
                   help="the ONNX file to write (its folder must exist); an existing file is "
                   "refused unless --overwrite is given")
    e.add_argument("--overwrite", action="store_true",
                   help="replace the --onnx file if it exists")
    e.add_argument("--opset", type=int, default=17, help="ONNX opset version (17-21, default "
                                                         "17)")
    e.set_defaults(func=_export)


def _export(args: argparse.Namespace) -> int:
    """``gradlab export``: the model of a training checkpoint as ONNX, compared in onnxruntime."""
    from gradlab import backend
    from gradlab.cli.common import UsageError, check_output_file, check_saved_run, one_line

    if not 17 <= args.opset <= 21:
        raise UsageError(f"--opset must be between 17 and 21, got {args.opset}")
    from gradlab.train.recipes import load_trained

    try:
        path, ckpt, cfg = load_trained(args.checkpoint)
        check_saved_run(cfg, path)
    except ValueError as exc:
        raise UsageError(f"CHECKPOINT: {one_line(exc)}") from None
    check_output_file(args.onnx, "--onnx", args.overwrite)
    with backend.num_threads(int(cfg.get("threads", 1))):
        return _run_export(args, ckpt, cfg, UsageError)


def _run_export(args, ckpt: dict, cfg: dict, UsageError) -> int:
    from gradlab import no_grad
    from gradlab.cli.common import one_line
    from gradlab.io.onnx import ExportError, export
    from gradlab.train import load_model_state, recipes

    try:
        splits = recipes.load_data(cfg["data"], cfg["model"], cfg.get("data_dir"), False,
                                   cfg["val_fraction"], False, cfg["seed"])
    except (RuntimeError, OSError, ValueError, ImportError) as exc:
        raise UsageError(f"CHECKPOINT: {args.checkpoint}: cannot load the run's data set: "
                         f"{one_line(exc)}") from None
    model = recipes.build_model(cfg["model"], cfg["data"], len(splits.classes))
    try:
        load_model_state(model, ckpt, args.checkpoint)
    except ValueError as exc:
        raise UsageError(f"CHECKPOINT: {exc}") from None
    model.eval()
    xs, ys = _test_arrays(splits.test)
    out = args.onnx
    try:
        export(model, from_numpy(xs[:2]), out, input_names=["input"],
               output_names=["logits"], dynamic_axes={"input": {0: "batch"},
                                                       "logits": {0: "batch"}},
               opset_version=args.opset)
    except (ExportError, ImportError) as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"--onnx {out}: {exc.strerror or exc}") from None
    size = os.path.getsize(out)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"gradlab export: {cfg['model']} trained on {cfg['data']} ({n_params:,} parameters, "
          f"epoch {ckpt['epoch']}) from {args.checkpoint}")
    print(f"wrote {out}: {size / 1024:.1f} KiB ({size:,} bytes), ONNX opset {args.opset}, "
          f"input {list(xs.shape[1:])} with a dynamic batch axis")
    try:
        import onnxruntime as ort
    except ImportError:
        print("onnxruntime is not installed: the file was not run (pip install onnxruntime)")
        return 0
    sess = ort.InferenceSession(out, providers=["CPUExecutionProvider"])
    ours, theirs = [], []
    for i in range(0, len(xs), 512):
        batch = xs[i:i + 512]
        with no_grad():
            ours.append(model(from_numpy(batch)).numpy())
        theirs.append(sess.run(None, {"input": batch})[0])
    ours, theirs = np.concatenate(ours), np.concatenate(theirs)
    diff = float(np.abs(ours - theirs).max())
    p_ours, p_theirs = ours.argmax(1), theirs.argmax(1)
    n = len(ys)
    print(f"test set, {n} images: max |onnxruntime - gradlab| = {diff:.2e} on the logits "
          f"(largest |logit| {float(np.abs(ours).max()):.1f}); predictions agree on "
          f"{int((p_ours == p_theirs).sum())}/{n}")
    print(f"accuracy: gradlab {np.mean(p_ours == ys):.2%}, onnxruntime "
          f"{np.mean(p_theirs == ys):.2%}")
    return 0


def _test_arrays(ds) -> tuple[np.ndarray, np.ndarray]:
    """The whole test split as (images, labels) arrays."""
    from gradlab.utils.data import DataLoader

    xs, ys = [], []
    for x, y in DataLoader(ds, batch_size=1024):
        xs.append(x.numpy())
        ys.append(y.numpy())
    return (np.ascontiguousarray(np.concatenate(xs), dtype=np.float32),
            np.concatenate(ys).astype(np.int64))
