"""Conv, pooling and normalization layers against torch.nn with copied weights: forward, input
and parameter gradients, train and eval mode, over option grids; running statistics; the
layers torch lacks by gradcheck and their defining properties; error messages."""

import itertools
import warnings

import numpy as np
import pytest
import torch

import gradlab
import gradlab.nn as nn
import gradlab.nn.functional as F
from gradlab.autograd import gradcheck

RTOL = {np.float64: 1e-10, np.float32: 2e-4}
ATOL = {np.float64: 1e-10, np.float32: 2e-5}


def compare_module(gmod, tmod, x0, dtype=np.float64, train=True, steps=1, seed=0):
    """Copy tmod's state into gmod; compare outputs and all gradients for ``steps`` calls."""
    tmod = tmod.double() if dtype == np.float64 else tmod.float()
    gmod.load_state_dict({k: v.detach().numpy() for k, v in tmod.state_dict().items()})
    gmod = gmod.double() if dtype == np.float64 else gmod.float()
    gmod.train(train)
    tmod.train(train)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        x = x0.astype(dtype)
        xg = gradlab.tensor(x, requires_grad=True)
        xt = torch.tensor(x, requires_grad=True)
        og, ot = gmod(xg), tmod(xt)
        og, ot = (og[0], ot[0]) if isinstance(og, tuple) else (og, ot)
        up = rng.normal(size=tuple(ot.shape)).astype(dtype)
        og.backward(gradlab.tensor(up))
        ot.backward(torch.tensor(up))
        tol = dict(rtol=RTOL[dtype], atol=ATOL[dtype])
        np.testing.assert_allclose(og.detach().numpy(), ot.detach().numpy(), **tol)
        np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), **tol)
        for (name, pg), (_, pt) in zip(gmod.named_parameters(), tmod.named_parameters()):
            np.testing.assert_allclose(pg.grad.numpy(), pt.grad.numpy(), err_msg=name, **tol)
        gmod.zero_grad()
        tmod.zero_grad()
    for (name, bg), (_, bt) in zip(gmod.named_buffers(), tmod.named_buffers()):
        np.testing.assert_allclose(bg.numpy().astype(np.float64),
                                   bt.numpy().astype(np.float64), err_msg=name, rtol=1e-5,
                                   atol=1e-6)


CONV_GRID = [
    # (in, out, k, stride, padding, dilation, groups, bias, H, W, N)
    (c, o, k, s, p, d, g, b, h, w, n)
    for (c, o, g), k, s, p, d, b, (h, w), n in itertools.product(
        [(3, 4, 1), (4, 6, 2), (4, 4, 4), (2, 8, 2)], [1, 3, (2, 3)], [1, 2, (2, 1)],
        [0, 1, (2, 1)], [1, 2], [True], [(7, 6)], [2])
    if not (k == 1 and d == 2)
][::3] + [
    (3, 5, 3, 1, "same", 1, 1, True, 5, 5, 1),
    (3, 5, 4, 1, "same", 2, 1, False, 6, 7, 2),
    (3, 5, 3, 1, "valid", 1, 1, True, 5, 4, 1),
    (1, 6, 5, 1, 0, 1, 1, True, 28, 28, 2),   # LeNet's first layer
    (16, 16, 3, 1, 1, 1, 1, False, 8, 8, 2),  # ResNet block
    (16, 32, 1, 2, 0, 1, 1, False, 8, 8, 2),  # ResNet projection shortcut
]


@pytest.mark.parametrize("cfg", CONV_GRID, ids=[str(c) for c in CONV_GRID])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_conv2d_matches_torch(cfg, dtype):
    c, o, k, s, p, d, g, b, h, w, n = cfg
    x = np.random.default_rng(1).normal(size=(n, c, h, w))
    compare_module(nn.Conv2d(c, o, k, s, p, d, g, b), torch.nn.Conv2d(c, o, k, s, p, d, g, b),
                   x, dtype)


TCONV_GRID = [
    # (in, out, k, stride, padding, output_padding, groups, dilation, H, W)
    (3, 4, 3, 1, 0, 0, 1, 1, 5, 4), (3, 4, 3, 2, 1, 1, 1, 1, 4, 5), (4, 6, 3, 2, 0, 1, 2, 1, 3, 3),
    (4, 4, 2, 2, 0, 0, 4, 1, 4, 4), (2, 3, (3, 2), (3, 2), (1, 0), (2, 1), 1, 1, 3, 4),
    (2, 2, 3, 2, 2, 1, 1, 2, 4, 4),
    (2, 3, 3, 1, 0, 1, 1, 2, 4, 4),  # output_padding >= stride (allowed below the dilation)
]


@pytest.mark.parametrize("cfg", TCONV_GRID, ids=[str(c) for c in TCONV_GRID])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_conv_transpose2d_matches_torch(cfg, dtype):
    c, o, k, s, p, op, g, d, h, w = cfg
    x = np.random.default_rng(2).normal(size=(2, c, h, w))
    compare_module(nn.ConvTranspose2d(c, o, k, s, p, op, g, True, d),
                   torch.nn.ConvTranspose2d(c, o, k, s, p, op, g, True, d), x, dtype)


@pytest.mark.parametrize("cfg", [(3, 4, 3, 1, 0, 1, 1), (4, 6, 5, 2, 2, 1, 2),
                                 (2, 2, 3, 1, 2, 2, 2), (3, 3, 3, 1, "same", 1, 1)])
def test_conv1d_matches_torch(cfg):
    c, o, k, s, p, d, g = cfg
    x = np.random.default_rng(3).normal(size=(2, c, 11))
    compare_module(nn.Conv1d(c, o, k, s, p, d, g), torch.nn.Conv1d(c, o, k, s, p, d, g), x)


def test_unbatched_conv_and_gradcheck():
    w = gradlab.randn(4, 3, 3, 3, dtype=gradlab.float64, requires_grad=True)
    x = gradlab.randn(3, 5, 5, dtype=gradlab.float64, requires_grad=True)
    assert F.conv2d(x, w).shape == (4, 3, 3)
    b = gradlab.randn(4, dtype=gradlab.float64, requires_grad=True)
    assert gradcheck(lambda x, w, b: F.conv2d(x[None], w, b, 2, 1, 1, 1), (x, w, b))
    wt = gradlab.randn(3, 2, 3, 3, dtype=gradlab.float64, requires_grad=True)
    assert gradcheck(lambda x, w: F.conv_transpose2d(x[None], w, None, 2, 1, 1), (x, wt))


def test_conv_outputs_are_contiguous_like_torchs():
    x, w = gradlab.randn(2, 3, 5, 5, requires_grad=True), gradlab.randn(4, 3, 3, 3)
    y = F.conv2d(x, w, gradlab.zeros(4), padding=1)
    assert y.is_contiguous() and y.stride() == (100, 25, 5, 1)
    assert y.view(2, -1).shape == (2, 100)  # the classic flatten before a Linear layer
    y.sum().backward()
    assert x.grad.is_contiguous()
    t = F.conv_transpose2d(x, gradlab.randn(3, 2, 3, 3), stride=2, padding=1)
    assert t.is_contiguous()


def test_stacked_convs_match_torch():
    # the conv kernels work on channel-major copies inside; chained with BatchNorm and ReLU,
    # outputs and gradients must still match
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3, 2, 6, 5))
    w1, w2 = rng.normal(size=(4, 2, 3, 3)), rng.normal(size=(6, 2, 1, 3))
    gm, gv = np.zeros(4), np.ones(4)
    g = [gradlab.tensor(a, requires_grad=True) for a in (x, w1, w2)]
    t = [torch.tensor(a, requires_grad=True) for a in (x, w1, w2)]
    out_g = F.conv2d(F.relu(F.batch_norm(F.conv2d(g[0], g[1], padding=1), gradlab.tensor(gm),
                                         gradlab.tensor(gv), training=True)), g[2],
                     stride=(1, 2), groups=2)
    out_t = torch.nn.functional.conv2d(torch.relu(torch.nn.functional.batch_norm(
        torch.nn.functional.conv2d(t[0], t[1], padding=1), torch.tensor(gm), torch.tensor(gv),
        training=True)), t[2], stride=(1, 2), groups=2)
    up = rng.normal(size=tuple(out_t.shape))
    out_g.backward(gradlab.tensor(up))
    out_t.backward(torch.tensor(up))
    np.testing.assert_allclose(out_g.detach().numpy(), out_t.detach().numpy(), rtol=1e-10)
    for a, b in zip(g, t):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-12)
    assert gradcheck(lambda x, w1, w2: F.conv2d(F.conv2d(x, w1, padding=1).tanh(), w2,
                                                groups=2), tuple(g))


POOL_GRID = [  # (kernel, stride, padding, dilation, ceil_mode)
    (2, None, 0, 1, False), (3, 2, 1, 1, False), (3, 2, 1, 1, True), (3, 2, 0, 1, True),
    (2, 1, 0, 1, False), ((3, 2), (2, 1), (1, 0), 1, True), (3, 1, 1, 2, False),
    (2, 2, 1, 1, True), ((2, 3), None, 0, 1, False), (3, None, 0, 1, True),
]


@pytest.mark.parametrize("k", [2, (2, 3)])
def test_max_pool_ties_and_nans_match_torch(k):
    # after a ReLU whole windows are 0: the gradient goes to one tap, the first, as in torch;
    # a NaN wins its window
    x = np.maximum(np.random.default_rng(5).normal(size=(2, 3, 8, 9)), 0)
    x[0, 0, 0, 0] = x[1, 2, 3, 4] = x[1, 2, 3, 5] = np.nan
    xg, xt = gradlab.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    og, ig = F.max_pool2d(xg, k, return_indices=True)
    ot, it = torch.nn.functional.max_pool2d(xt, k, return_indices=True)
    np.testing.assert_array_equal(ig.numpy(), it.numpy())
    np.testing.assert_array_equal(og.detach().numpy(), ot.detach().numpy())
    up = np.random.default_rng(6).normal(size=tuple(ot.shape))
    og.backward(gradlab.tensor(up))
    ot.backward(torch.tensor(up))
    np.testing.assert_array_equal(xg.grad.numpy(), xt.grad.numpy())


@pytest.mark.parametrize("cfg", POOL_GRID, ids=[str(c) for c in POOL_GRID])
@pytest.mark.parametrize("shape", [(2, 3, 7, 6), (1, 2, 5, 5)])
def test_max_pool_matches_torch(cfg, shape):
    k, s, p, d, c = cfg
    x = np.random.default_rng(4).normal(size=shape)
    compare_module(nn.MaxPool2d(k, s, p, d, False, c), torch.nn.MaxPool2d(k, s, p, d, False, c),
                   x)
    gi = nn.MaxPool2d(k, s, p, d, True, c)(gradlab.tensor(x))[1]
    ti = torch.nn.MaxPool2d(k, s, p, d, True, c)(torch.tensor(x))[1]
    np.testing.assert_array_equal(gi.numpy(), ti.numpy())


@pytest.mark.parametrize("cfg", [(2, None, 0, False, True), (3, 2, 1, False, True),
                                 (3, 2, 1, True, True), (3, 2, 1, True, False),
                                 (3, 1, 1, False, False), ((3, 2), (2, 1), (1, 1), True, True),
                                 (2, 2, 1, True, False)])
@pytest.mark.parametrize("shape", [(2, 3, 7, 6), (1, 2, 5, 5)])
def test_avg_pool_matches_torch(cfg, shape):
    k, s, p, c, cip = cfg
    x = np.random.default_rng(5).normal(size=shape)
    compare_module(nn.AvgPool2d(k, s, p, c, cip), torch.nn.AvgPool2d(k, s, p, c, cip), x)


def test_avg_pool_divisor_override():
    x = np.random.default_rng(5).normal(size=(1, 2, 6, 6))
    compare_module(nn.AvgPool2d(3, 2, 1, divisor_override=4),
                   torch.nn.AvgPool2d(3, 2, 1, divisor_override=4), x)


@pytest.mark.parametrize("size", [1, (1, 1), (3, 4), (2, None), 5, (7, 6)])
def test_adaptive_pools_match_torch(size):
    x = np.random.default_rng(6).normal(size=(2, 3, 7, 6))
    compare_module(nn.AdaptiveAvgPool2d(size), torch.nn.AdaptiveAvgPool2d(size), x)
    compare_module(nn.AdaptiveMaxPool2d(size), torch.nn.AdaptiveMaxPool2d(size), x)


def test_max_pool_routes_gradient_to_argmax_and_avg_spreads_evenly():
    # source 002 Q8: max routes each gradient to one position, average spreads 1/k^2 each
    x = gradlab.tensor([[[[1.0, 5.0], [3.0, 2.0]]]], requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    assert x.grad.tolist() == [[[[0.0, 1.0], [0.0, 0.0]]]]
    x.grad = None
    F.avg_pool2d(x, 2).sum().backward()
    assert x.grad.tolist() == [[[[0.25, 0.25], [0.25, 0.25]]]]


@pytest.mark.parametrize("mod", ["BatchNorm1d", "BatchNorm2d"])
@pytest.mark.parametrize("momentum", [0.1, None, 0.5])
@pytest.mark.parametrize("affine,track", [(True, True), (False, True), (True, False)])
def test_batchnorm_train_then_eval_matches_torch(mod, momentum, affine, track):
    shape = (4, 3) if mod == "BatchNorm1d" else (4, 3, 5, 4)
    x = np.random.default_rng(7).normal(loc=2.0, scale=3.0, size=shape)
    g = getattr(nn, mod)(3, momentum=momentum, affine=affine, track_running_stats=track)
    t = getattr(torch.nn, mod)(3, momentum=momentum, affine=affine, track_running_stats=track)
    compare_module(g, t, x, train=True, steps=3)  # running statistics compared after 3 steps
    compare_module(g, t, x * 0.5 + 1, train=False)


def test_batchnorm1d_on_sequences_and_float32():
    x = np.random.default_rng(8).normal(size=(4, 3, 6))
    compare_module(nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3), x, dtype=np.float32, steps=2)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_layer_group_instance_norm_match_torch(dtype):
    x = np.random.default_rng(9).normal(size=(3, 4, 5, 6)) * 2 + 1
    compare_module(nn.LayerNorm((5, 6)), torch.nn.LayerNorm((5, 6)), x, dtype)
    compare_module(nn.LayerNorm(6, bias=False), torch.nn.LayerNorm(6, bias=False), x, dtype)
    compare_module(nn.GroupNorm(2, 4), torch.nn.GroupNorm(2, 4), x, dtype)
    compare_module(nn.GroupNorm(1, 4, affine=False), torch.nn.GroupNorm(1, 4, affine=False), x,
                   dtype)
    compare_module(nn.InstanceNorm2d(4), torch.nn.InstanceNorm2d(4), x, dtype)
    compare_module(nn.InstanceNorm2d(4, affine=True), torch.nn.InstanceNorm2d(4, affine=True),
                   x, dtype)


def test_instance_norm_running_stats_match_torch():
    x = np.random.default_rng(10).normal(size=(3, 2, 4, 5)) + 3
    g = nn.InstanceNorm2d(2, track_running_stats=True)
    t = torch.nn.InstanceNorm2d(2, track_running_stats=True)
    compare_module(g, t, x, train=True, steps=2)
    compare_module(g, t, x, train=False)


def test_norm_gradchecks():
    x = gradlab.randn(3, 4, 2, 2, dtype=gradlab.float64, requires_grad=True)
    w = gradlab.randn(4, dtype=gradlab.float64, requires_grad=True)
    b = gradlab.randn(4, dtype=gradlab.float64, requires_grad=True)
    assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, True), (x, w, b))
    assert gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (x, w, b))
    assert gradcheck(lambda x: F.layer_norm(x, (2, 2)), (x,))


def test_bn_before_or_after_activation_both_build():
    for order in ([nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU() if hasattr(nn, "ReLU")
                   else nn.Identity()],
                  [nn.Conv2d(1, 4, 3), nn.Identity(), nn.BatchNorm2d(4)]):
        out = nn.Sequential(*order)(gradlab.randn(2, 1, 5, 5))
        assert out.shape == (2, 4, 3, 3)


def test_stochastic_pool_properties_and_gradients():
    gradlab.manual_seed(0)
    x = gradlab.tensor(np.abs(np.random.default_rng(11).normal(size=(2, 3, 4, 4))),
                       requires_grad=True)
    pool = nn.StochasticPool2d(2)
    out = pool(x)
    assert out.shape == (2, 3, 2, 2)
    win = x.detach().numpy().reshape(2, 3, 2, 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(
        2, 3, 2, 2, 4)
    # every output is one of its window's values
    assert np.all(np.isclose(out.detach().numpy()[..., None], win).any(-1))
    out.sum().backward()
    assert sorted(set(x.grad.numpy().ravel().tolist())) == [0.0, 1.0]
    assert x.grad.sum().item() == out.numel()
    # sampling frequency is proportional to the activation
    one = gradlab.tensor([[[[1.0, 3.0], [0.0, 0.0]]]])
    draws = [nn.StochasticPool2d(2)(one).item() for _ in range(2000)]
    assert 0.70 < np.mean(np.array(draws) == 3.0) < 0.80
    # eval: the probability-weighted average sum(a^2) / sum(a)
    pool.eval()
    assert pool(one).item() == pytest.approx(10 / 4)
    xd = gradlab.tensor(np.abs(np.random.default_rng(12).normal(size=(1, 2, 4, 4))) + 0.1,
                        dtype=gradlab.float64, requires_grad=True)
    assert gradcheck(lambda v: F.stochastic_pool2d(v, 2, training=False), (xd,))
    assert F.stochastic_pool2d(gradlab.zeros(1, 1, 2, 2), 2).item() == 0.0
    with pytest.raises(ValueError, match="non-negative inputs"):
        pool(gradlab.tensor([[[[-1.0, 0.0], [0.0, 0.0]]]]))


def test_stochastic_pool_stride_as_torch_pools_take_it():
    x = gradlab.tensor(np.abs(np.random.default_rng(13).normal(size=(1, 2, 6, 6))))
    want = F.stochastic_pool2d(x, 2, training=False)  # stride None: the kernel size
    for stride in ([], (), 2, (2, 2)):  # torch's max_pool2d: an empty stride is kernel_size
        got = F.stochastic_pool2d(x, 2, stride=stride, training=False)
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert F.stochastic_pool2d(x, 2, stride=(1,), training=False).shape == (1, 2, 5, 5)
    assert nn.StochasticPool2d(2, stride=[]).eval()(x).shape == (1, 2, 3, 3)
    for stride, words in ((0, "stride must be positive"), (-1, "stride must be positive"),
                          ([2, 2, 2], "stride must either be a single int")):
        with pytest.raises(RuntimeError, match=words):
            F.stochastic_pool2d(x, 2, stride=stride)
    with pytest.raises(RuntimeError, match="stochastic_pool2d: kernel_size"):
        F.stochastic_pool2d(x, 0)


def test_cosine_linear_properties():
    m = nn.CosineLinear(5, 3).double()
    x = gradlab.randn(4, 5, dtype=gradlab.float64, requires_grad=True)
    y = m(x)
    assert (y.abs() <= 1 + 1e-12).all()
    # invariant to the input's scale, up to the eps=1e-8 the denominator carries
    np.testing.assert_allclose(m(x * 7.0).detach().numpy(), y.detach().numpy(), rtol=1e-7)
    w = m.weight.detach().numpy()
    xv = w[1] * 2.5  # an input parallel to weight row 1 has cosine 1 with it
    assert m(gradlab.tensor(xv[None])).detach().numpy()[0, 1] == pytest.approx(1.0)
    assert gradcheck(lambda v: m(v), (x,))


def test_weight_norm_matches_torch():
    t = torch.nn.Linear(4, 3)
    g = nn.Linear(4, 3)
    g.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = torch.nn.utils.weight_norm(t)
    g = nn.utils.weight_norm(g)
    assert sorted(n for n, _ in g.named_parameters()) == sorted(n for n, _ in
                                                                t.named_parameters())
    compare_module(g.float(), t.float(), np.random.default_rng(13).normal(size=(2, 4)),
                   dtype=np.float32)
    nn.utils.remove_weight_norm(g)
    assert [n for n, _ in g.named_parameters()] == ["bias", "weight"]
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        nn.utils.remove_weight_norm(g)
    c = nn.utils.weight_norm(nn.Conv2d(2, 3, 3), dim=0)
    assert c.weight_g.shape == (3, 1, 1, 1) and c(gradlab.randn(1, 2, 4, 4)).shape == (1, 3, 2, 2)


ERRORS = [
    (lambda: nn.Conv2d(3, 4, 3)(gradlab.ones(1, 2, 5, 5)), RuntimeError,
     r"Given groups=1, weight of size \[4, 3, 3, 3\], expected input\[1, 2, 5, 5\] to have 3 "
     r"channels, but got 2 channels instead"),
    (lambda: nn.Conv2d(3, 4, 3)(gradlab.ones(5, 5)), RuntimeError,
     r"conv2d: expected a 3-D \(unbatched\) or 4-D \(batched\) input"),
    (lambda: nn.Conv2d(3, 4, 5)(gradlab.ones(1, 3, 3, 3)), RuntimeError,
     r"Kernel size can't be greater than actual input size"),
    (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError, r"in_channels must be divisible by "
                                                       r"groups"),
    (lambda: nn.Conv2d(3, 4, 3, stride=2, padding="same"), ValueError,
     r"padding='same' is not supported for strided convolutions"),
    (lambda: nn.ConvTranspose2d(3, 4, 3, stride=2, output_padding=2)(gradlab.ones(1, 3, 2, 2)),
     RuntimeError,
     r"output padding must be smaller than either stride or dilation"),
    (lambda: nn.BatchNorm2d(3)(gradlab.ones(2, 3, 4)), ValueError,
     r"BatchNorm2d: expected 4D input \(got 3D input"),
    (lambda: nn.BatchNorm1d(3)(gradlab.ones(2, 4)), RuntimeError,
     r"BatchNorm1d\(3\): input has 4 channels"),
    (lambda: nn.BatchNorm1d(4)(gradlab.ones(1, 4)), ValueError,
     r"Expected more than 1 value per channel when training, got input size \[1, 4\]"),
    (lambda: nn.LayerNorm(4)(gradlab.ones(2, 3)), RuntimeError,
     r"Given normalized_shape=\[4\], expected input with shape \[\*, 4\], but got input of "
     r"size\[2, 3\]"),
    (lambda: F.group_norm(gradlab.ones(2, 6, 3), 4), RuntimeError,
     r"Expected number of channels in input \(6\) to be divisible by num_groups \(4\)"),
    (lambda: nn.MaxPool2d(2, padding=2)(gradlab.ones(1, 1, 4, 4)), RuntimeError,
     r"pad should be at most half of effective kernel size"),
    (lambda: nn.MaxPool2d(3)(gradlab.ones(1, 1, 2, 2)), RuntimeError,
     r"max_pool2d: given input size \[1, 2, 2\], the calculated output size \(0 x 0\) is too "
     r"small"),
    (lambda: nn.AvgPool2d(2)(gradlab.ones(2, 2)), RuntimeError,
     r"avg_pool2d: expected a 3-D \(unbatched\) or 4-D \(batched\) input"),
]


@pytest.mark.parametrize("fn,exc,pattern", ERRORS, ids=[e[2][:40] for e in ERRORS])
def test_layer_errors(fn, exc, pattern):
    with pytest.raises(exc, match=pattern):
        fn()


@pytest.mark.parametrize("k,d,p", [(3, 2, 2), (3, 2, 3), (3, 1, 2), (2, 3, 2)])
def test_max_pool_padding_limits_as_torch(k, d, p):
    x = np.random.default_rng(0).standard_normal((1, 1, 9, 9)).astype(np.float32)
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.functional.max_pool2d(torch.from_numpy(x), k, 1, p, d)
    with pytest.raises(RuntimeError, match="max_pool2d: pad should be") as ours:
        gradlab.nn.functional.max_pool2d(gradlab.tensor(x), k, 1, p, d)
    assert str(theirs.value).split(",")[0] in str(ours.value)


@pytest.mark.parametrize("cfg", [dict(stride=1, padding=1), dict(stride=2, padding=1),
                                 dict(stride=1, padding=2, dilation=2, groups=2)])
def test_conv2d_regathered_columns_give_torchs_gradients(cfg):
    """The forward saves only x; the backward builds the grid and gathers the window columns
    again (another conv in between reuses the workspace); the gradients match torch's, also
    on a second backward through a retained graph."""
    from gradlab.ops import conv as conv_ops

    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4, 9, 9))
    w = rng.standard_normal((6, 4 // cfg.get("groups", 1), 3, 3))
    geo = conv_ops.geometry(x.shape, w.shape, (cfg["stride"],) * 2, (cfg["padding"],) * 4,
                            (cfg.get("dilation", 1),) * 2, cfg.get("groups", 1))
    assert not geo.per_tap_weight_grad  # the column path is the one under test
    gx, gw = gradlab.tensor(x, requires_grad=True), gradlab.tensor(w, requires_grad=True)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    out = F.conv2d(gx, gw, **cfg)
    ref = torch.nn.functional.conv2d(tx, tw, **cfg)
    F.conv2d(gradlab.tensor(rng.standard_normal(x.shape)), gw, **cfg)  # reuses the workspace
    g = rng.standard_normal(tuple(ref.shape))
    for _ in range(2):
        out.backward(gradlab.tensor(g), retain_graph=True)
        ref.backward(torch.tensor(g), retain_graph=True)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(gw.grad.numpy(), tw.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_max_pool_nan_and_ties_as_torch():
    # ties: the first position; a NaN wins and a later NaN replaces an earlier one (torch's
    # CPU kernel); overlapping windows, padding
    import torch

    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 1] = x[0, 0, 2, 2] = np.nan
    want_out, want_idx = torch.nn.functional.max_pool2d(torch.tensor(x), 3, 1, 1,
                                                        return_indices=True)
    out, idx = gradlab.nn.functional.max_pool2d(gradlab.tensor(x), 3, 1, 1, return_indices=True)
    np.testing.assert_array_equal(out.numpy(), want_out.numpy())
    np.testing.assert_array_equal(idx.numpy(), want_idx.numpy())


@pytest.mark.parametrize("cfg", [
    # (in, out, k, stride, padding, dilation, groups)
    (6, 16, 5, 1, 0, 1, 1),        # LeNet-5's second layer
    (2, 8, 3, 2, 1, 1, 2),         # grouped, strided
    (3, 5, (2, 3), (2, 1), (2, 1), 2, 1),
    (4, 4, 3, 1, 1, 1, 1),         # C = O: the full correlation
])
def test_conv_input_grad_scatter_and_full_correlation_agree(cfg, monkeypatch):
    """The two input-gradient paths of ``ops.conv.conv_input_grad`` give the same gradient
    (float64) on the same geometry, and the choice follows ``Geometry.scatters_input_grad``
    (fewer input than output channels); the conv oracle grid covers both."""
    from gradlab.ops import conv as conv_ops

    c, o, k, s, p, d, groups = cfg

    def pair(v):
        return v if isinstance(v, tuple) else (v, v)

    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, c, 9, 8))
    w = rng.standard_normal((o, c // groups, *pair(k)))
    (ph, pw) = pair(p)
    geo = conv_ops.geometry(x.shape, w.shape, pair(s), (ph, ph, pw, pw), pair(d), groups)
    assert geo.scatters_input_grad == (c < o)
    g = rng.standard_normal((2, o, geo.ho, geo.wo))
    got = {}
    for scatter in (False, True):
        monkeypatch.setattr(conv_ops.Geometry, "scatters_input_grad", scatter)
        got[scatter] = conv_ops.crop_padding(conv_ops.conv_input_grad(g, w, geo), geo)
    np.testing.assert_allclose(got[True], got[False], rtol=1e-12, atol=1e-12)
    ref = torch.nn.grad.conv2d_input(x.shape, torch.tensor(w), torch.tensor(g), stride=pair(s),
                                     padding=pair(p), dilation=pair(d), groups=groups)
    np.testing.assert_allclose(got[True], ref.numpy(), rtol=1e-10, atol=1e-10)


def test_conv_oracle_grid_covers_both_input_grad_paths():
    from gradlab.ops import conv as conv_ops

    kinds = {conv_ops.geometry((n, c, h, w), (o, c // g, *(k if isinstance(k, tuple) else (k, k))),
                               (1, 1), (0, 0, 0, 0), (1, 1), g).scatters_input_grad
             for c, o, k, s, p, d, g, b, h, w, n in CONV_GRID}
    assert kinds == {True, False}


@pytest.mark.parametrize("cfg", [
    # (in, out, k, stride, padding, dilation, groups): every path of the conv backward
    (6, 16, 5, 1, 0, 1, 1),        # scattered input grad, column weight grad
    (4, 4, 3, 1, 1, 1, 1),         # full-correlation input grad, per-tap weight grad
    (4, 6, 3, 2, 1, 1, 2),         # strided, grouped
    (3, 5, (2, 3), 1, (2, 1), 2, 1),
])
@pytest.mark.parametrize("chunk_bytes", [1, 5000])
def test_conv_in_runs_of_images_matches_torch(cfg, chunk_bytes, monkeypatch):
    """With a small ``CHUNK_BYTES`` the forward, both gradients and the transposed conv run
    over the batch in several runs of images (one image a run with 1 byte); each result
    matches torch's (float64), as with the whole batch at once."""
    from gradlab.ops import conv as conv_ops

    monkeypatch.setattr(conv_ops, "CHUNK_BYTES", chunk_bytes)
    c, o, k, s, p, d, groups = cfg
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, c, 9, 8))
    w = rng.standard_normal((o, c // groups) + (k if isinstance(k, tuple) else (k, k)))
    b = rng.standard_normal(o)
    kw = dict(stride=s, padding=p, dilation=d, groups=groups)
    gx, gw, gb = (gradlab.tensor(a, requires_grad=True) for a in (x, w, b))
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    out, ref = F.conv2d(gx, gw, gb, **kw), torch.nn.functional.conv2d(tx, tw, tb, **kw)
    up = rng.standard_normal(tuple(ref.shape))
    out.backward(gradlab.tensor(up))
    ref.backward(torch.tensor(up))
    for mine, theirs in ((out, ref), (gx.grad, tx.grad), (gw.grad, tw.grad), (gb.grad, tb.grad)):
        np.testing.assert_allclose(mine.detach().numpy(), theirs.detach().numpy(), rtol=1e-10,
                                   atol=1e-10)
    # the transposed convolution's forward is the input-gradient map
    wt = rng.standard_normal((o, c // groups) + tuple(w.shape[2:]))
    yt = F.conv_transpose2d(gradlab.tensor(up), gradlab.tensor(wt), stride=s, padding=p,
                            dilation=d, groups=groups)
    rt = torch.nn.functional.conv_transpose2d(torch.tensor(up), torch.tensor(wt), stride=s,
                                              padding=p, dilation=d, groups=groups)
    np.testing.assert_allclose(yt.numpy(), rt.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("cfg", [(3, 4, 3, 1), (6, 16, 5, 0)])  # per-tap / column weight grads
def test_conv_on_an_empty_batch_matches_torch(cfg):
    c, o, k, p = cfg
    w = np.random.default_rng(0).standard_normal((o, c, k, k))
    gx, gw = gradlab.zeros(0, c, 14, 14, dtype=gradlab.float64, requires_grad=True), \
        gradlab.tensor(w, requires_grad=True)
    tx, tw = torch.zeros(0, c, 14, 14, dtype=torch.float64, requires_grad=True), \
        torch.tensor(w, requires_grad=True)
    out, ref = F.conv2d(gx, gw, padding=p), torch.nn.functional.conv2d(tx, tw, padding=p)
    assert tuple(out.shape) == tuple(ref.shape)
    out.sum().backward()
    ref.sum().backward()
    assert tuple(gx.grad.shape) == tuple(tx.grad.shape)
    np.testing.assert_array_equal(gw.grad.numpy(), tw.grad.numpy())


@pytest.mark.parametrize("c, o", [(2, 4), (3, 3)])  # scattered / full-correlation input grad
def test_conv_in_runs_of_one_image_passes_gradcheck(c, o, monkeypatch):
    from gradlab.ops import conv as conv_ops

    monkeypatch.setattr(conv_ops, "CHUNK_BYTES", 1)
    x = gradlab.randn(3, c, 5, 4, dtype=gradlab.float64, requires_grad=True)
    w = gradlab.randn(o, c, 3, 3, dtype=gradlab.float64, requires_grad=True)
    b = gradlab.randn(o, dtype=gradlab.float64, requires_grad=True)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, 1, 1), (x, w, b))
