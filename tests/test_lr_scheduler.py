"""Learning-rate schedules against torch.optim.lr_scheduler: the same rates, as the same floats.

Each schedule runs 50 epochs on two parameter groups with different base rates in both
libraries (``optimizer.step()`` then ``scheduler.step()``, PyTorch's order) and every epoch's
rates must be equal (==, not close: the recursive forms are the same arithmetic).
ReduceLROnPlateau is fed the same metric sequence. state_dict round trips go through JSON.

torch is imported unconditionally: without it these tests must fail, never skip.
"""

from __future__ import annotations

import json
import math
import re
import warnings

import numpy as np
import pytest
import torch

import gradlab
import gradlab.optim as optim
from gradlab.optim import lr_scheduler as gls

EPOCHS = 50
BASE_LRS = (0.1, 0.02)


def make_opts(momentum: float = 0.0):
    """A gradlab and a torch SGD, two groups each with lrs BASE_LRS."""
    gp = [gradlab.zeros(2, requires_grad=True), gradlab.zeros(3, requires_grad=True)]
    tp = [torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)]
    g = optim.SGD([{"params": [gp[0]], "lr": BASE_LRS[0]}, {"params": [gp[1]],
                                                            "lr": BASE_LRS[1]}],
                  momentum=momentum)
    t = torch.optim.SGD([{"params": [tp[0]], "lr": BASE_LRS[0]}, {"params": [tp[1]],
                                                                  "lr": BASE_LRS[1]}],
                        momentum=momentum)
    return g, t


class Halving:
    """A callable object (not a function): LambdaLR saves its __dict__."""

    def __init__(self, every: int) -> None:
        self.every = every

    def __call__(self, epoch: int) -> float:
        return 0.5 ** (epoch // self.every)


def _lambda(epoch):
    return 1.0 / (1.0 + 0.1 * epoch)


#: (id, builder(lib, optimizer) -> scheduler); lib is gls or torch.optim.lr_scheduler
SCHEDULES = [
    ("StepLR", lambda m, o: m.StepLR(o, step_size=7, gamma=0.5)),
    ("StepLR-default-gamma", lambda m, o: m.StepLR(o, step_size=3)),
    ("MultiStepLR", lambda m, o: m.MultiStepLR(o, milestones=[5, 12, 12, 30], gamma=0.3)),
    ("ExponentialLR", lambda m, o: m.ExponentialLR(o, gamma=0.93)),
    ("CosineAnnealingLR-T15", lambda m, o: m.CosineAnnealingLR(o, T_max=15, eta_min=0.001)),
    ("CosineAnnealingLR-T50", lambda m, o: m.CosineAnnealingLR(o, T_max=50)),
    ("LambdaLR-function", lambda m, o: m.LambdaLR(o, _lambda)),
    ("LambdaLR-list", lambda m, o: m.LambdaLR(o, [_lambda, Halving(10)])),
    ("LinearLR-warmup", lambda m, o: m.LinearLR(o, start_factor=0.25, total_iters=8)),
    ("LinearLR-decay", lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.1,
                                               total_iters=20)),
    ("SequentialLR-warmup-cosine", lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=5), m.CosineAnnealingLR(o, T_max=45)],
        milestones=[5])),
    ("SequentialLR-three", lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.5, total_iters=4), m.StepLR(o, step_size=5, gamma=0.5),
            m.ExponentialLR(o, gamma=0.9)], milestones=[6, 20])),
]

#: (id, options, metric sequence) for ReduceLROnPlateau
_rng = np.random.default_rng(0)
_NOISY_DECREASE = list(np.round(1.0 / np.arange(1, EPOCHS + 1) + 0.05 * _rng.random(EPOCHS), 4))
PLATEAUS = [
    ("min-rel", {"patience": 2}, _NOISY_DECREASE),
    ("min-abs-cooldown", {"patience": 1, "threshold": 0.01, "threshold_mode": "abs",
                          "cooldown": 3, "factor": 0.5}, _NOISY_DECREASE),
    ("max-rel-minlr", {"mode": "max", "patience": 0, "factor": 0.5, "min_lr": 0.004},
     [math.sin(0.3 * i) for i in range(EPOCHS)]),
    ("max-abs-minlr-list", {"mode": "max", "patience": 1, "threshold": 0.05,
                            "threshold_mode": "abs", "min_lr": [0.01, 0.0]},
     [0.5 + 0.01 * (i % 7) for i in range(EPOCHS)]),
    ("eps-stops-tiny-changes", {"patience": 0, "factor": 0.5, "eps": 1e-3},
     [1.0] * EPOCHS),
]


def run(sched, opt, epochs: int, metrics=None) -> list[list[float]]:
    """Rates after each epoch: optimizer.step(), then scheduler.step()."""
    out = []
    for e in range(epochs):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[e])
        lrs = sched.get_last_lr()
        assert lrs == [g["lr"] for g in opt.param_groups]
        out.append(list(lrs))
    return out


@pytest.mark.parametrize("build", [b for _, b in SCHEDULES], ids=[n for n, _ in SCHEDULES])
def test_rates_equal_torch(build):
    g_opt, t_opt = make_opts()
    g_s, t_s = build(gls, g_opt), build(torch.optim.lr_scheduler, t_opt)
    assert g_s.get_last_lr() == t_s.get_last_lr()  # the constructor's step (epoch 0)
    assert g_s.last_epoch == t_s.last_epoch
    assert run(g_s, g_opt, EPOCHS) == run(t_s, t_opt, EPOCHS)
    assert g_s.last_epoch == t_s.last_epoch == EPOCHS
    assert [g["initial_lr"] for g in g_opt.param_groups] == list(BASE_LRS)


@pytest.mark.parametrize("options, metrics", [(o, m) for _, o, m in PLATEAUS],
                         ids=[n for n, _, _ in PLATEAUS])
def test_reduce_on_plateau_equals_torch(options, metrics):
    g_opt, t_opt = make_opts()
    g_s = gls.ReduceLROnPlateau(g_opt, **options)
    t_s = torch.optim.lr_scheduler.ReduceLROnPlateau(t_opt, **options)
    g_lrs, t_lrs = run(g_s, g_opt, EPOCHS, metrics), run(t_s, t_opt, EPOCHS, metrics)
    assert g_lrs == t_lrs
    assert g_lrs[-1] != g_lrs[0], "the sequence never reduced the rate: a useless test row"
    assert (g_s.best, g_s.num_bad_epochs, g_s.cooldown_counter) == (
        t_s.best, t_s.num_bad_epochs, t_s.cooldown_counter)


def test_reduce_on_plateau_takes_a_tensor_metric():
    g_opt, _ = make_opts()
    s = gls.ReduceLROnPlateau(g_opt, patience=0)
    s.step(gradlab.tensor(1.0))
    s.step(gradlab.tensor(2.0))
    assert s.get_last_lr() == [BASE_LRS[0] * 0.1, BASE_LRS[1] * 0.1]


@pytest.mark.parametrize("build", [b for _, b in SCHEDULES], ids=[n for n, _ in SCHEDULES])
def test_state_dict_round_trip_through_json(build):
    """10 epochs, save scheduler and optimizer as JSON, rebuild, load, 20 more == torch's
    uninterrupted 30."""
    g_opt, t_opt = make_opts()
    g_s, t_s = build(gls, g_opt), build(torch.optim.lr_scheduler, t_opt)
    run(g_s, g_opt, 10)
    expected = run(t_s, t_opt, 30)[10:]
    s_text = json.dumps(g_s.state_dict())
    o_text = json.dumps(g_opt.state_dict())
    g_opt2, _ = make_opts()
    g_s2 = build(gls, g_opt2)  # constructing first, as torch's docs say, then loading
    g_opt2.load_state_dict(json.loads(o_text))
    g_s2.load_state_dict(json.loads(s_text))
    assert g_s2.get_last_lr() == g_s.get_last_lr()
    assert run(g_s2, g_opt2, 20) == expected


@pytest.mark.parametrize("options, metrics", [(o, m) for _, o, m in PLATEAUS],
                         ids=[n for n, _, _ in PLATEAUS])
def test_reduce_on_plateau_state_dict_round_trip(options, metrics):
    g_opt, t_opt = make_opts()
    g_s = gls.ReduceLROnPlateau(g_opt, **options)
    t_s = torch.optim.lr_scheduler.ReduceLROnPlateau(t_opt, **options)
    run(g_s, g_opt, 10, metrics)
    expected = run(t_s, t_opt, EPOCHS, metrics)[10:]
    s_text, o_text = json.dumps(g_s.state_dict()), json.dumps(g_opt.state_dict())
    g_opt2, _ = make_opts()
    g_s2 = gls.ReduceLROnPlateau(g_opt2)
    g_opt2.load_state_dict(json.loads(o_text))
    g_s2.load_state_dict(json.loads(s_text))
    assert run(g_s2, g_opt2, EPOCHS - 10, metrics[10:]) == expected


def test_state_dict_is_plain_data():
    g_opt, _ = make_opts()
    s = gls.MultiStepLR(g_opt, milestones=[3, 3, 8])
    sd = s.state_dict()
    assert sd["milestones"] == [3, 3, 8] and "optimizer" not in sd
    assert sd["base_lrs"] == list(BASE_LRS) and sd["last_epoch"] == 0
    lam = gls.LambdaLR(g_opt, [_lambda, Halving(4)]).state_dict()
    assert lam["lr_lambdas"] == [None, {"every": 4}]  # functions left out, as torch does
    json.dumps(lam)
    seq = gls.SequentialLR(g_opt, [gls.ExponentialLR(g_opt, 0.9), gls.StepLR(g_opt, 2)], [4])
    assert isinstance(seq.state_dict()["_schedulers"][1], dict)
    json.dumps(seq.state_dict())


def test_lambda_lr_restores_callable_object_state():
    g_opt, _ = make_opts()
    s = gls.LambdaLR(g_opt, [_lambda, Halving(4)])
    sd = json.loads(json.dumps(s.state_dict()))
    sd["lr_lambdas"][1]["every"] = 9
    other = Halving(4)
    s2 = gls.LambdaLR(g_opt, [_lambda, other])
    s2.load_state_dict(sd)
    assert other.every == 9


def test_step_with_epoch_uses_closed_form_like_torch():
    for build in (lambda m, o: m.StepLR(o, 4, 0.5), lambda m, o: m.ExponentialLR(o, 0.9),
                  lambda m, o: m.CosineAnnealingLR(o, 10), lambda m, o: m.MultiStepLR(o, [2, 5]),
                  lambda m, o: m.LinearLR(o, 0.2, total_iters=6)):
        g_opt, t_opt = make_opts()
        g_s, t_s = build(gls, g_opt), build(torch.optim.lr_scheduler, t_opt)
        for epoch in (3, 7, 1, 12):
            g_opt.step()
            t_opt.step()
            with pytest.warns(UserWarning, match="epoch parameter"):
                g_s.step(epoch)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t_s.step(epoch)
            assert g_s.get_last_lr() == t_s.get_last_lr()


def test_resume_with_last_epoch():
    g_opt, t_opt = make_opts()
    for o in (g_opt, t_opt):
        for group in o.param_groups:
            group["initial_lr"] = group["lr"]
    g_s = gls.ExponentialLR(g_opt, 0.5, last_epoch=4)
    t_s = torch.optim.lr_scheduler.ExponentialLR(t_opt, 0.5, last_epoch=4)
    assert g_s.get_last_lr() == t_s.get_last_lr()
    assert run(g_s, g_opt, 5) == run(t_s, t_opt, 5)


def test_resume_without_initial_lr_raises():
    g_opt, _ = make_opts()
    with pytest.raises(KeyError, match=re.escape("param 'initial_lr' is not specified in "
                                                 "param_groups[0] when resuming scheduler")):
        gls.StepLR(g_opt, 3, last_epoch=5)


def test_warns_when_scheduler_steps_before_optimizer():
    g_opt, _ = make_opts()
    s = gls.StepLR(g_opt, 3)
    with pytest.warns(UserWarning, match=re.escape("`lr_scheduler.step()` before "
                                                   "`optimizer.step()`")):
        s.step()
    g_opt2, _ = make_opts()
    s2 = gls.StepLR(g_opt2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g_opt2.step()
        s2.step()


def test_get_lr_outside_step_warns():
    g_opt, _ = make_opts()
    s = gls.StepLR(g_opt, 3)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        s.get_lr()


def test_errors():
    g_opt, t_opt = make_opts()
    with pytest.raises(ValueError, match="Starting multiplicative factor expected to be greater "
                                         "than 0 and less or equal to 1"):
        gls.LinearLR(g_opt, start_factor=0)
    with pytest.raises(ValueError, match="Ending multiplicative factor expected to be between "
                                         "0 and 1"):
        gls.LinearLR(g_opt, end_factor=1.5)
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        gls.ReduceLROnPlateau(g_opt, factor=1.0)
    with pytest.raises(ValueError, match="mode maximum is unknown!"):
        gls.ReduceLROnPlateau(g_opt, mode="maximum")
    with pytest.raises(ValueError, match="threshold mode relative is unknown!"):
        gls.ReduceLROnPlateau(g_opt, threshold_mode="relative")
    with pytest.raises(ValueError, match="expected 2 min_lrs, got 3"):
        gls.ReduceLROnPlateau(g_opt, min_lr=[0, 0, 0])
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        gls.StepLR([], 3)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        gls.LambdaLR(g_opt, [_lambda])
    a, b = gls.StepLR(g_opt, 3), gls.StepLR(g_opt, 4)
    with pytest.raises(ValueError, match="Sequential Schedulers expects number of schedulers "
                                         "provided to be one more than the number of milestone "
                                         "points, but got number of schedulers 2 and the number "
                                         "of milestones to be equal to 2"):
        gls.SequentialLR(g_opt, [a, b], milestones=[3, 6])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        gls.SequentialLR(g_opt, [a, gls.ReduceLROnPlateau(g_opt)], milestones=[3])
    other, _ = make_opts()
    with pytest.raises(ValueError, match="expects all schedulers to belong to the same "
                                         "optimizer"):
        gls.SequentialLR(g_opt, [a, gls.StepLR(other, 2)], milestones=[3])
    with pytest.raises(ValueError, match="expects at least one scheduler"):
        gls.SequentialLR(g_opt, [], milestones=[])


def test_scheduler_drives_training_lr():
    """The optimizer really uses the scheduled rate: SGD steps scale with it."""
    w = gradlab.zeros(1, dtype=gradlab.float64, requires_grad=True)
    opt = optim.SGD([w], lr=1.0)
    sched = gls.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(4):
        w.grad = gradlab.ones(1, dtype=gradlab.float64)
        opt.step()
        sched.step()
    assert w.array.tolist() == [-(1 + 0.5 + 0.25 + 0.125)]
