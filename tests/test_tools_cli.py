"""`gradlab summary` and `gradlab rf` through gradlab.cli.main: the tables, and bad arguments
exiting 2 with one line."""

import pytest
from clitools import run_main as run


def test_summary_lenet5(capsys):
    rc, out, err = run(["summary", "lenet5", "--input", "1", "32", "32"], capsys)
    assert rc == 0 and err == ""
    assert out.splitlines()[0] == "LeNet5 (lenet5), input (1, 1, 32, 32)"
    assert "features.0 (Conv2d)" in out and "[1, 6, 28, 28]" in out
    assert "Total params: 61,706" in out and "Total mult-adds: 416,520" in out


def test_summary_batch_and_depth(capsys):
    rc, out, _ = run(["summary", "resnet20", "--input", "3", "16", "16", "--batch", "2",
                      "--depth", "1", "--classes", "5"], capsys)
    assert rc == 0
    assert "layer1 (Sequential)" in out and "layer1.0 (BasicBlock)" not in out
    fc = next(line for line in out.splitlines() if line.startswith("  fc (Linear)"))
    assert fc.split()[2:] == ["[2,", "5]", "325", "325", "640", "40"]  # 2 x 64 x 5 MACs
    assert "Total params: 269,397" in out  # 269,722 - 65 x 5 for the smaller classifier


def test_summary_text_model(capsys):
    rc, out, _ = run(["summary", "charlm", "--input", "20", "--batch", "3"], capsys)
    assert rc == 0
    assert out.splitlines()[0] == "CharLM (charlm), token ids (3, 20), vocabulary 65"
    assert "rnn (LSTM)" in out and "[3, 20, 128]" in out


def test_rf_table(capsys):
    rc, out, _ = run(["rf", "lenet5", "--input", "32"], capsys)
    assert rc == 0
    lines = out.splitlines()
    assert lines[:2] == ["LeNet5 (lenet5)", "receptive fields for a 32x32 input"]
    assert lines[-1].split() == ["features.5", "AvgPool2d", "2", "2", "0", "5", "4", "16", "7.5"]


def test_rf_measure(capsys):
    rc, out, _ = run(["rf", "vgg", "--input", "32", "--measure"], capsys)
    assert rc == 0
    assert "features.6   MaxPool2d  2  2  0      16     2   6    0.5  6x6 ok" in out
    assert out.splitlines()[-1].startswith("closed form and autograd measurement agree")


@pytest.mark.parametrize("argv,message", [
    (["summary", "nope", "--input", "1"], "argument MODEL: invalid choice: 'nope'"),
    (["summary", "vgg", "--input", "3", "32"], "--input takes three values C H W for vgg, "
     "got 2"),
    (["summary", "lenet5", "--input", "1", "30", "30"], "LeNet5: input_size must be 28 or 32, "
     "got 30"),
    (["summary", "vgg", "--input", "3", "20", "20"], "VGG: input_size 20 is not divisible by "
     "2^3"),
    (["summary", "alexnet", "--input", "1", "224", "224"], "alexnet takes 3-channel (RGB) "
     "images, got 1 channels"),
    (["summary", "charlm", "--input", "3", "8", "8"], "charlm reads token ids: --input takes one "
     "value, the sequence length L, got 3 values"),
    (["summary", "mlp", "--input", "1", "8", "8", "--depth", "-1"], "--depth must be >= 0, "
     "got -1"),
    (["summary", "mlp", "--input", "1", "0", "8"], "argument --input: expected a positive "
     "integer, got '0'"),
    (["rf", "mlp", "--input", "8"], "receptive fields need a convolutional model"),
    (["rf", "vgg", "--input", "8", "8", "8"], "--input takes N (square) or H W, got 3 values"),
])
def test_bad_arguments(capsys, argv, message):
    rc, out, err = run(argv, capsys)
    assert rc == 2 and out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"gradlab {argv[0]}: error: ") and message in err
