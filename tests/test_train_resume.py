"""Checkpoint and resume: a run stopped after k epochs (or killed mid-epoch) and resumed from its
last end-of-epoch checkpoint ends with weights bit-identical to a run that was never stopped.

In play: shuffled batches (from gradlab's global stream, or from a DataLoader generator),
dropout (global stream), an LR schedule, SGD with momentum or Adam, EarlyStopping's patience
count and a CSV log. Before each resume every random stream is deliberately scrambled, so the
checkpoint has to restore them all.
"""

from __future__ import annotations

import csv
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gradlab
from gradlab import nn, optim
from gradlab.datasets import Digits
from gradlab.models import MLP
from gradlab.train import (
    CSVLogger,
    EarlyStopping,
    LambdaCallback,
    ModelCheckpoint,
    Trainer,
    load_checkpoint,
)
from gradlab.utils.data import DataLoader

EPOCHS = 4
TRAIN, TEST = Digits(train=True), Digits(train=False)


def make_run(opt_name: str, gen_seed: int | None, ckdir, extra=()):
    """A trainer with everything that carries state across epochs, and its loaders."""
    model = MLP([64, 64, 10], dropout=0.2)
    if opt_name == "sgd":
        opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
        sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)
    else:
        opt = optim.Adam(model.parameters(), lr=2e-3)
        sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=EPOCHS)
    gen = None if gen_seed is None else gradlab.Generator().manual_seed(gen_seed)
    train = DataLoader(TRAIN, batch_size=64, shuffle=True, generator=gen)
    val = DataLoader(TEST, batch_size=512)
    callbacks = [EarlyStopping(patience=10), CSVLogger(Path(ckdir) / "log.csv"),
                 ModelCheckpoint(ckdir), *extra]
    trainer = Trainer(model, nn.CrossEntropyLoss(), opt, sched, callbacks,
                      metrics=["accuracy"])
    return trainer, train, val


def scramble_random_streams():
    gradlab.manual_seed(987654)
    np.random.seed(4321)
    random.seed(99)


def straight_run(opt_name, gen_seed, tmp_path):
    gradlab.manual_seed(0)
    trainer, train, val = make_run(opt_name, gen_seed, tmp_path / "straight")
    trainer.fit(train, val, epochs=EPOCHS)
    return trainer


def resumed_run(opt_name, gen_seed, ckdir):
    """Fresh objects (other initial weights, another loader generator seed), scrambled
    streams, then resume from the last checkpoint in ``ckdir`` and finish."""
    scramble_random_streams()
    trainer, train, val = make_run(opt_name, None if gen_seed is None else gen_seed + 1, ckdir)
    trainer.fit(train, val, epochs=EPOCHS, resume_from=Path(ckdir) / "last.safetensors")
    return trainer


def without_time(rows):
    return [{k: v for k, v in r.items() if k != "time"} for r in rows]


def assert_same_run(a: Trainer, b: Trainer):
    wa, wb = a.model.state_dict(), b.model.state_dict()
    assert list(wa) == list(wb)
    for k in wa:
        assert np.array_equal(wa[k].array, wb[k].array), f"weights differ: {k}"
    sa, sb = a.optimizer.state_dict(), b.optimizer.state_dict()
    assert sa["param_groups"] == sb["param_groups"]
    for i in sa["state"]:
        for k, v in sa["state"][i].items():
            w = sb["state"][i][k]
            if isinstance(v, gradlab.Tensor):
                assert np.array_equal(v.array, w.array), f"optimizer state {i}/{k} differs"
            else:
                assert v == w
    assert a.scheduler.state_dict() == b.scheduler.state_dict()
    assert without_time(a.history) == without_time(b.history)
    assert a.callbacks[0].state_dict() == b.callbacks[0].state_dict()  # EarlyStopping
    assert (a.epoch, a.global_step) == (b.epoch, b.global_step) == (EPOCHS, EPOCHS * 23)


def csv_rows(path):
    return [{k: v for k, v in r.items() if k != "time"} for r in csv.DictReader(open(path))]


@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
@pytest.mark.parametrize("gen_seed", [None, 5], ids=["global-stream", "loader-generator"])
def test_stop_after_k_epochs_and_resume_is_bit_identical(tmp_path, opt_name, gen_seed):
    straight = straight_run(opt_name, gen_seed, tmp_path)
    ckdir = tmp_path / "stopped"
    gradlab.manual_seed(0)
    first, train, val = make_run(opt_name, gen_seed, ckdir)
    first.fit(train, val, epochs=2)
    assert load_checkpoint(ckdir / "last.safetensors")["epoch"] == 2
    resumed = resumed_run(opt_name, gen_seed, ckdir)
    assert_same_run(straight, resumed)
    assert csv_rows(ckdir / "log.csv") == csv_rows(tmp_path / "straight" / "log.csv")
    assert len(csv_rows(ckdir / "log.csv")) == EPOCHS
    # the run really changed the weights, and the schedule the rate
    assert straight.history["lr"][0] != straight.history["lr"][-1]
    assert straight.history["val_accuracy"][-1] > 0.8
    assert sorted(os.listdir(ckdir)) == ["best.safetensors", "last.safetensors", "log.csv"]


@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
def test_interrupted_mid_epoch_resumes_from_the_last_epoch_checkpoint(tmp_path, opt_name):
    straight = straight_run(opt_name, None, tmp_path)
    ckdir = tmp_path / "interrupted"

    def interrupt(trainer, batch_idx):
        if trainer.epoch == 2 and batch_idx == 7:  # in epoch 3, after 7 optimizer steps
            raise KeyboardInterrupt

    gradlab.manual_seed(0)
    trainer, train, val = make_run(opt_name, None, ckdir,
                                   extra=[LambdaCallback(on_batch_start=interrupt)])
    with pytest.raises(KeyboardInterrupt):
        trainer.fit(train, val, epochs=EPOCHS)
    assert trainer.global_step == 2 * 23 + 7
    assert load_checkpoint(ckdir / "last.safetensors")["epoch"] == 2
    resumed = resumed_run(opt_name, None, ckdir)
    assert_same_run(straight, resumed)


CHILD = """
import os, signal, sys
sys.path.insert(0, {tests!r})
import gradlab
from gradlab.train import LambdaCallback
import test_train_resume as T

def kill(trainer, batch_idx):
    if trainer.epoch == 2 and batch_idx == 11:
        os.kill(os.getpid(), signal.SIGKILL)

gradlab.manual_seed(0)
trainer, train, val = T.make_run({opt!r}, 5, {ckdir!r},
                                 extra=[LambdaCallback(on_batch_start=kill)])
trainer.fit(train, val, epochs=T.EPOCHS)
"""


def test_process_killed_by_signal_mid_epoch_resumes_bit_identical(tmp_path):
    straight = straight_run("adam", 5, tmp_path)
    ckdir = tmp_path / "killed"
    code = CHILD.format(tests=str(Path(__file__).parent), opt="adam", ckdir=str(ckdir))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert sorted(os.listdir(ckdir)) == ["best.safetensors", "last.safetensors", "log.csv"]
    assert load_checkpoint(ckdir / "last.safetensors")["epoch"] == 2
    resumed = resumed_run("adam", 5, ckdir)
    assert_same_run(straight, resumed)


def test_resume_of_a_finished_run_trains_nothing(tmp_path):
    straight = straight_run("sgd", None, tmp_path)
    trainer, train, val = make_run("sgd", None, tmp_path / "again")
    h = trainer.fit(train, val, epochs=EPOCHS,
                    resume_from=tmp_path / "straight" / "last.safetensors")
    assert len(h) == EPOCHS and trainer.global_step == straight.global_step
    assert_same_run(straight, trainer)


def test_resume_with_other_random_generators_warns(tmp_path):
    gradlab.manual_seed(0)
    trainer, train, val = make_run("sgd", 5, tmp_path)
    trainer.fit(train, val, epochs=1)
    other, train2, val2 = make_run("sgd", None, tmp_path)  # no loader generator now
    with pytest.warns(UserWarning, match=r"different random generators than the checkpoint "
                                         r"\(in the checkpoint only: \['train_loader"):
        other.fit(train2, val2, epochs=1, resume_from=tmp_path / "last.safetensors")
    model = MLP([64, 64, 10], dropout=0.2)
    bare = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1))
    with pytest.warns(UserWarning, match="only the checkpoint has a scheduler"):
        bare.fit(train, val, epochs=1, resume_from=tmp_path / "last.safetensors")
