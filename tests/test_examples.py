"""Each script in examples/ runs through its main(argv) with small settings and returns sane
metrics. Thresholds are measured at these settings (seed 0), with margin."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import gradlab

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"examples_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_adding_problem_lstm_beats_the_mean_and_the_vanilla_rnn(capsys):
    # measured: LSTM 0.0064, RNN 0.149, baseline 0.162 (length 20, 400 steps)
    threads = gradlab.get_num_threads()
    r = _load("adding_problem").main(["--seq-len", "20", "--steps", "400", "--seed", "0"])
    assert gradlab.get_num_threads() == threads
    assert 0.14 < r["baseline_mse"] < 0.2
    assert r["lstm_mse"] < 0.03
    assert math.isfinite(r["rnn_mse"]) and r["lstm_mse"] < r["rnn_mse"] / 4
    out = capsys.readouterr().out
    assert "LSTM: test MSE" in out and "RNN: test MSE" in out


def test_copy_task_example_learns_the_symbols(capsys):
    # measured: 0.64-0.76 over seeds 0-2 (chance 0.125)
    r = _load("copy_task").main(["--steps", "300", "--seq-len", "3", "--delay", "2",
                                 "--hidden", "32", "--seed", "0"])
    assert r["chance"] == 0.125 and r["accuracy"] > 0.5
    assert "per-symbol test accuracy" in capsys.readouterr().out


def test_seq2seq_reverse_greedy_decoding_is_right(capsys):
    # measured: per-digit and per-sequence accuracy 1.000 over seeds 0-2
    r = _load("seq2seq_reverse").main(["--length", "3", "--steps", "300", "--hidden", "32",
                                       "--seed", "0"])
    assert r["token_accuracy"] > 0.9 and r["sequence_accuracy"] > 0.75
    assert "greedy decoding accuracy" in capsys.readouterr().out


def test_char_lm_beats_the_unigram_model_and_samples_both_temperatures(capsys):
    # measured: training loss 2.13-2.19 nats/char after 60 steps (unigram 2.80, uniform 3.37)
    module = _load("char_lm")
    r = module.main(["--steps", "60", "--hidden", "64", "--window", "24", "--length", "20",
                     "--seed", "0"])
    assert abs(r["uniform_loss"] - math.log(len(set(module.TEXT)))) < 1e-12
    assert r["loss"] < r["unigram_loss"] - 0.3
    assert set(r["samples"]) == {0.5, 1.0}
    for text in r["samples"].values():
        assert text.startswith("the ") and len(text) == 4 + 20
        assert set(text) <= set(module.TEXT)
    out = capsys.readouterr().out
    assert "--- temperature 0.5" in out and "--- temperature 1.0" in out
