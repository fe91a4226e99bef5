"""examples/compress_lenet.py runs through main(argv) with small settings; the sizes on disk
rank as the formats promise and the int8 model keeps the float model's accuracy."""

from __future__ import annotations

import importlib.util
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "compress_lenet.py"


def test_compress_lenet_example_small(capsys):
    spec = importlib.util.spec_from_file_location("examples_compress_lenet", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # measured at these settings (seed 0): float 87.2%, int8 87.2%, pruned+ft 90.8%
    r = module.main(["--epochs", "3", "--finetune", "1", "--seed", "0"])
    size = {k: v["bytes"] for k, v in r.items() if k != "seconds"}
    acc = {k: v["accuracy"] for k, v in r.items() if k != "seconds"}
    assert acc["float32"] > 0.75
    assert acc["int8 (post-training)"] >= acc["float32"] - 0.03
    assert acc["pruned 80% + fine-tuned"] > 0.6 and acc["ternary + fine-tuned"] > 0.5
    assert (size["ternary + fine-tuned"] < size["pruned 80% + fine-tuned"]
            < size["int8 (post-training)"] < size["low-rank (80% energy) + ft"]
            < size["float32"])
    assert 0.25 < size["int8 (post-training)"] / size["float32"] < 0.3
    assert r["pruned 80% + fine-tuned"]["params"] == round(0.2 * 61470) + 236  # + biases
    out = capsys.readouterr().out
    assert "half-width, distilled" in out and "CPU seconds" in out
