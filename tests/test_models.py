"""The model zoo against torch-built twins: each gradlab model file is executed a second time
with ``torch.nn`` in place of ``gradlab.nn``, so the twin has exactly the same architecture;
parameter counts, names, outputs and gradients must agree."""

from pathlib import Path

import numpy as np
import pytest
import torch

import gradlab
from gradlab import models

MODELS = Path(models.__file__).parent


def torch_namespace(*files: str) -> dict:
    ns: dict = {"__name__": "torch_twin"}
    for name in files:
        src = (MODELS / f"{name}.py").read_text()
        src = (src.replace("from .. import nn", "import torch.nn as nn")
                  .replace("from ..nn import functional as F", "import torch.nn.functional as F")
                  .replace("from .vgg import VGG16_CFG, make_layers", ""))
        exec(compile(src, f"torch_twin/{name}.py", "exec"), ns)
    return ns


TWINS = {"mlp": torch_namespace("mlp"), "lenet": torch_namespace("lenet"),
         "vgg": torch_namespace("vgg"), "resnet": torch_namespace("resnet"),
         "classic": torch_namespace("vgg", "classic")}


def count(m) -> int:
    return sum(p.numel() for p in m.parameters())


def copy_into(g, t) -> None:
    g.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})


def check_outputs_and_grads(g, t, x, train: bool, grads: bool = True, rtol=2e-4, atol=2e-5):
    if x.dtype == np.float64:
        g, t = g.double(), t.double()
    copy_into(g, t)
    g.train(train)
    t.train(train)
    xg, xt = gradlab.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    og, ot = g(xg), t(xt)
    np.testing.assert_allclose(og.detach().numpy(), ot.detach().numpy(), rtol=rtol, atol=atol)
    if not grads:
        return
    up = np.random.default_rng(0).normal(size=tuple(ot.shape)).astype(x.dtype)
    og.backward(gradlab.tensor(up))
    ot.backward(torch.tensor(up))
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=rtol, atol=atol)
    for (n, pg), (_, pt) in zip(g.named_parameters(), t.named_parameters()):
        np.testing.assert_allclose(pg.grad.numpy(), pt.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=n)


@pytest.mark.parametrize("name,ctor,kwargs,expected", [
    ("lenet", "LeNet5", {}, 61_706),
    ("lenet", "LeNet5", {"input_size": 28, "classic": False}, 61_706),
    ("resnet", "resnet20", {}, 269_722),
    ("resnet", "resnet32", {}, 464_154),
    ("resnet", "resnet56", {}, 853_018),
    ("classic", "AlexNet", {}, 62_378_344),
    ("classic", "VGG16", {}, 138_357_544),
    ("classic", "ZFNet", {}, None),
    ("vgg", "VGG", {}, None),
    ("mlp", "MLP", {"sizes": [784, 512, 256, 10]}, 535_818),
])
def test_parameter_counts_and_names_equal_torch_built_twins(name, ctor, kwargs, expected):
    g = getattr(models, ctor)(**kwargs)
    t = TWINS[name][ctor](**kwargs)
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in g.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert count(g) == count(t)
    if expected is not None:
        assert count(g) == expected
    assert repr(g) == repr(t)


@pytest.mark.parametrize("train", [True, False])
def test_lenet_matches_torch(train):
    torch.manual_seed(0)
    x = np.random.default_rng(1).normal(size=(2, 1, 32, 32)).astype(np.float32)
    check_outputs_and_grads(models.LeNet5(), TWINS["lenet"]["LeNet5"](), x, train)
    x28 = x[:, :, 2:30, 2:30].copy()
    check_outputs_and_grads(models.LeNet5(input_size=28, classic=False),
                            TWINS["lenet"]["LeNet5"](input_size=28, classic=False), x28, train)


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("kwargs", [{}, {"plain": True}, {"shortcut": "B"}])
def test_resnet20_matches_torch(train, kwargs):
    # float64: through 19 train-mode BN layers without shortcuts, float32 rounding differences
    # grow to ~1e-2 in the input gradient for both libraries alike (they agree to 1e-14 here)
    torch.manual_seed(0)
    x = np.random.default_rng(2).normal(size=(2, 3, 32, 32))
    check_outputs_and_grads(models.resnet20(**kwargs), TWINS["resnet"]["resnet20"](**kwargs), x,
                            train, rtol=1e-9, atol=1e-11)


def test_bottleneck_resnet_on_28x28_matches_torch():
    torch.manual_seed(0)
    ns = TWINS["resnet"]
    g = models.ResNet(models.Bottleneck, (1, 1, 1), in_channels=1)
    t = ns["ResNet"](ns["Bottleneck"], (1, 1, 1), in_channels=1)
    x = np.random.default_rng(3).normal(size=(2, 1, 28, 28)).astype(np.float32)
    check_outputs_and_grads(g, t, x, True)


def test_plain_resnet_has_no_shortcuts():
    g = models.resnet20(plain=True)
    assert all(b.shortcut is None for b in g.modules() if isinstance(b, models.BasicBlock))
    assert count(g) == count(models.resnet20())  # option A shortcuts have no parameters


def test_vgg_and_mlp_match_torch_in_eval():
    torch.manual_seed(0)
    x = np.random.default_rng(4).normal(size=(2, 3, 32, 32)).astype(np.float32)
    check_outputs_and_grads(models.VGG(), TWINS["vgg"]["VGG"](), x, False)
    xm = np.random.default_rng(5).normal(size=(4, 20)).astype(np.float32)
    for kw in ({"norm": "batch", "dropout": 0.2}, {"norm": "layer", "activation": "tanh"}):
        check_outputs_and_grads(models.MLP([20, 16, 3], **kw),
                                TWINS["mlp"]["MLP"]([20, 16, 3], **kw), xm, False)


@pytest.mark.parametrize("ctor", ["AlexNet", "ZFNet", "VGG16"])
def test_full_size_classics_run_on_224(ctor):
    gradlab.manual_seed(0)
    g = getattr(models, ctor)()
    t = TWINS["classic"][ctor]()
    x = np.random.default_rng(6).normal(size=(1, 3, 224, 224)).astype(np.float32)
    with gradlab.no_grad(), torch.no_grad():
        check_outputs_and_grads(g, t, x, False, grads=False, rtol=1e-3, atol=1e-4)


def test_model_errors():
    with pytest.raises(ValueError, match="input_size must be 28 or 32"):
        models.LeNet5(input_size=64)
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        models.MLP([2, 3, 1], activation="swish")
    with pytest.raises(ValueError, match="not divisible by 2\\^3"):
        models.VGG(input_size=20)
    with pytest.raises(ValueError, match="shortcut must be 'A'"):
        models.resnet20(shortcut="C")
