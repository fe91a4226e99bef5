"""gradlab.transforms: scalers and whitening (round trips, covariance ~ identity, against
scikit-learn), image transforms against torchvision's rules written as torch ops, and
reproducibility of the random ones."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as tF
from sklearn.decomposition import PCA
from sklearn.preprocessing import MinMaxScaler as SkMinMax
from sklearn.preprocessing import StandardScaler as SkStandard

import gradlab
import gradlab.transforms as T
from gradlab.utils.data import DataLoader, TensorDataset


def correlated(n=400, f=4, seed=0):
    """Correlated, shifted, unevenly scaled data (N, F)."""
    rng = np.random.default_rng(seed)
    mix = rng.standard_normal((f, f)) + 2 * np.eye(f)
    return rng.standard_normal((n, f)) @ mix * np.array([1.0, 3.0, 0.5, 7.0])[:f] + 5.0


def cov(z):
    return np.cov(np.asarray(z).reshape(-1, np.asarray(z).shape[-1]), rowvar=False)


# ----------------------------------------------------------------------------- scalers

@pytest.mark.parametrize("ours,theirs", [
    (lambda: T.MinMaxScaler(), lambda: SkMinMax()),
    (lambda: T.MinMaxScaler((-1, 1)), lambda: SkMinMax((-1, 1))),
    (lambda: T.StandardScaler(), lambda: SkStandard()),
    (lambda: T.StandardScaler(with_mean=False), lambda: SkStandard(with_mean=False)),
])
def test_scalers_match_sklearn_and_round_trip(ours, theirs):
    x = correlated()
    x[:, 2] = 3.0  # a constant feature: scale 1, no NaN
    train, test = x[:300], x[300:]
    s, k = ours().fit(train), theirs().fit(train)
    np.testing.assert_allclose(s.transform(test), k.transform(test), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(s.transform(train), k.transform(train), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(s.inverse_transform(s.transform(test)), test, rtol=1e-12)
    assert np.isfinite(s.transform(train)).all()


def test_minmax_range_and_clip():
    x = correlated()
    z = T.MinMaxScaler().fit_transform(x)
    np.testing.assert_allclose(z.min(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(z.max(axis=0), 1.0, atol=1e-12)
    s = T.MinMaxScaler((-1, 1), clip=True).fit(x[:100])
    z = s.transform(x)
    assert z.min() >= -1 and z.max() <= 1 and (np.abs(z) == 1).sum() > 8


def test_standard_scaler_moments():
    z = T.StandardScaler().fit_transform(correlated())
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=0), 1.0, rtol=1e-12)


def test_scalers_on_tensors_keep_kind_dtype_and_leading_axes():
    x = correlated(60).reshape(5, 12, 4).astype(np.float32)
    t = gradlab.from_numpy(x)
    for s in (T.MinMaxScaler(), T.StandardScaler(), T.ZCAWhitening()):
        z = s.fit_transform(t)
        assert isinstance(z, gradlab.Tensor) and z.dtype == gradlab.float32
        assert z.shape == (5, 12, 4)
        np.testing.assert_allclose(s.inverse_transform(z).numpy(), x, rtol=1e-4, atol=1e-4)
        za = s.transform(x)
        assert isinstance(za, np.ndarray) and za.dtype == np.float32
    z = T.StandardScaler().fit_transform(np.arange(12).reshape(6, 2))  # ints -> float32
    assert z.dtype == np.float32


def test_scaler_errors():
    with pytest.raises(RuntimeError, match=r"StandardScaler.transform: not fitted yet; call "
                                           r"fit\(X_train\) first"):
        T.StandardScaler().transform(np.zeros((2, 3)))
    s = T.MinMaxScaler().fit(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"MinMaxScaler.transform: X has 2 features \(last "
                                         r"axis\), but 3 were expected"):
        s.transform(np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"feature_range must be \(low, high\) with low < high"):
        T.MinMaxScaler((1, 0))
    with pytest.raises(TypeError, match="StandardScaler.fit: expected a gradlab Tensor or a "
                                        "NumPy array, got list"):
        T.StandardScaler().fit([[1.0]])
    with pytest.raises(ValueError, match="PCAWhitening.fit: whitening needs at least 2 samples"):
        T.PCAWhitening().fit(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="n_components=5 exceeds the 4 features"):
        T.PCAWhitening(n_components=5).fit(correlated())


# ----------------------------------------------------------------------------- whitening

@pytest.mark.parametrize("cls", [T.PCAWhitening, T.ZCAWhitening])
def test_whitened_training_covariance_is_identity(cls):
    x = correlated()
    z = cls(eps=0.0).fit_transform(x)
    np.testing.assert_allclose(cov(z), np.eye(4), atol=1e-10)
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-10)
    # test data whitened with the training statistics is only approximately white
    z2 = cls(eps=0.0).fit(x[:200]).transform(x[200:])
    assert np.abs(cov(z2) - np.eye(4)).max() < 0.4


def test_pca_eps_shrinks_each_axis_by_its_formula():
    x = correlated()
    p = T.PCAWhitening(eps=0.5).fit(x)
    lam = p.explained_variance_
    np.testing.assert_allclose(cov(p.transform(x)), np.diag(lam / (lam + 0.5)), atol=1e-10)
    np.testing.assert_allclose(p.inverse_transform(p.transform(x)), x, rtol=1e-10)


def test_pca_matches_sklearn_up_to_sign():
    x = correlated()
    ours = T.PCAWhitening(n_components=2, eps=0.0).fit(x)
    sk = PCA(n_components=2, whiten=True).fit(x)
    np.testing.assert_allclose(ours.explained_variance_, sk.explained_variance_, rtol=1e-10)
    a, b = ours.transform(x), sk.transform(x)
    assert a.shape == (400, 2)
    signs = np.sign((a * b).sum(axis=0))
    np.testing.assert_allclose(a * signs, b, atol=1e-8)
    np.testing.assert_allclose(ours.components_ @ ours.components_.T, np.eye(2), atol=1e-12)
    np.testing.assert_allclose(cov(a), np.eye(2), atol=1e-10)


def test_zca_is_symmetric_and_closest_to_the_input():
    x = correlated()
    z = T.ZCAWhitening(eps=0.0).fit(x)
    w = z.whitening_matrix_
    np.testing.assert_allclose(w, w.T, atol=1e-12)
    np.testing.assert_allclose(w @ cov(x) @ w.T, np.eye(4), atol=1e-10)
    np.testing.assert_allclose(w @ z.coloring_matrix_, np.eye(4), atol=1e-10)
    xc = x - x.mean(axis=0)
    zca = z.transform(x)
    pca = T.PCAWhitening(eps=0.0).fit_transform(x)
    dist = np.mean((zca - xc) ** 2)
    assert dist < np.mean((pca - xc) ** 2)
    rng = np.random.default_rng(1)
    for _ in range(20):  # every rotation of white data is white; none is closer than ZCA
        q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
        assert dist < np.mean((zca @ q - xc) ** 2)
    np.testing.assert_allclose(z.inverse_transform(zca), x, rtol=1e-10)


# ----------------------------------------------------------------------------- ToTensor / Normalize

def test_to_tensor_matches_torchvision_rule():
    rng = np.random.default_rng(0)
    hwc = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    got = T.ToTensor()(hwc)
    want = torch.from_numpy(hwc).permute(2, 0, 1).contiguous().to(torch.float32).div(255)
    assert got.dtype == gradlab.float32 and got.shape == (3, 5, 7)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    hw = rng.integers(0, 256, (4, 6), dtype=np.uint8)
    np.testing.assert_array_equal(T.ToTensor()(hw).numpy(),
                                  torch.from_numpy(hw)[None].to(torch.float32).div(255).numpy())
    f = rng.random((4, 6, 2))  # non-uint8: channels first, values and dtype kept
    out = T.ToTensor()(f)
    assert out.dtype == gradlab.float64
    np.testing.assert_array_equal(out.numpy(), f.transpose(2, 0, 1))
    assert T.ToTensor()(np.full((2, 2), 255, np.uint8)).numpy().max() == 1.0
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        T.ToTensor()(gradlab.zeros(2, 2))
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 1 dimensions."):
        T.ToTensor()(np.zeros(3, np.uint8))


def test_normalize_matches_torch_ops():
    rng = np.random.default_rng(0)
    mean, std = [0.5, 0.2, 0.1], [0.25, 0.5, 2.0]
    for shape in [(3, 4, 5), (2, 3, 4, 5)]:
        x = rng.random(shape, dtype=np.float32)
        got = T.Normalize(mean, std)(gradlab.from_numpy(x.copy()))
        tx = torch.from_numpy(x)
        want = (tx - torch.tensor(mean).view(-1, 1, 1)) / torch.tensor(std).view(-1, 1, 1)
        np.testing.assert_array_equal(got.numpy(), want.numpy())
        assert got.dtype == gradlab.float32
    x = rng.random((3, 4, 5), dtype=np.float32)
    for m, sd in [(np.array(mean), np.array(std)), (0.5, 0.25), ([0.5], [0.25])]:
        got = T.Normalize(m, sd)(gradlab.from_numpy(x))
        want = (torch.from_numpy(x) - torch.tensor(m, dtype=torch.float32).view(-1, 1, 1)) / \
            torch.tensor(sd, dtype=torch.float32).view(-1, 1, 1)
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    t = gradlab.from_numpy(rng.random((3, 2, 2), dtype=np.float32))
    before = t.numpy().copy()
    out = T.Normalize(mean, std, inplace=True)(t)
    assert out is t and not np.array_equal(t.numpy(), before)


def test_normalize_gradient_and_errors():
    x = gradlab.ones(2, 3, 3, requires_grad=True)
    T.Normalize([0.0, 1.0], [2.0, 4.0])(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy()[:, 0, 0], [0.5, 0.25])
    n = T.Normalize([0.5], [0.5])
    with pytest.raises(TypeError, match="img should be Tensor Image. Got <class 'numpy.ndarray'>"):
        n(np.zeros((1, 2, 2)))
    with pytest.raises(TypeError, match="Input tensor should be a float tensor. Got "
                                        "gradlab.uint8."):
        n(gradlab.zeros(1, 2, 2, dtype=gradlab.uint8))
    with pytest.raises(ValueError, match=r"Expected tensor to be a tensor image of size "
                                         r"\(..., C, H, W\)"):
        n(gradlab.zeros(2, 2))
    with pytest.raises(ValueError, match="std evaluated to zero after conversion to "
                                         "gradlab.float32, leading to division by zero."):
        T.Normalize([0.5], [0.0])(gradlab.zeros(1, 2, 2))


# ----------------------------------------------------------------------------- RandomCrop

def img(c=2, h=6, w=5, seed=0):
    return gradlab.from_numpy(np.random.default_rng(seed).random((c, h, w), dtype=np.float32))


@pytest.mark.parametrize("padding,torch_pad", [
    (2, (2, 2, 2, 2)), ((1, 3), (1, 1, 3, 3)), ((1, 2, 3, 4), (1, 3, 2, 4)),
])
@pytest.mark.parametrize("mode,torch_mode", [("constant", "constant"), ("edge", "replicate"),
                                             ("reflect", "reflect")])
def test_random_crop_padding_matches_torch_pad(padding, torch_pad, mode, torch_mode):
    x = img()
    want = tF.pad(torch.from_numpy(x.numpy())[None], torch_pad, mode=torch_mode,
                  **({"value": 0.5} if mode == "constant" else {}))[0]
    crop = T.RandomCrop(tuple(want.shape[-2:]), padding=padding, fill=0.5, padding_mode=mode)
    state = gradlab.get_rng_state()
    out = crop(x)
    np.testing.assert_array_equal(out.numpy(), want.numpy())
    # the crop already fits: no random draw, as torchvision
    assert gradlab.get_rng_state()["bit_generator"] == state["bit_generator"]


def test_random_crop_symmetric_padding():
    x = np.arange(6.0).reshape(2, 3)
    out = T.RandomCrop((4, 7), padding=(2, 1), padding_mode="symmetric")(x)
    np.testing.assert_array_equal(out, np.pad(x, ((1, 1), (2, 2)), mode="symmetric"))
    assert isinstance(out, np.ndarray)


def test_random_crop_window_and_reproducibility():
    x = img(h=10, w=9)
    crop = T.RandomCrop((4, 3), padding=1)
    gradlab.manual_seed(0)
    outs = [crop(x).numpy() for _ in range(5)]
    gradlab.manual_seed(0)
    assert all(np.array_equal(a, crop(x).numpy()) for a in outs)
    assert len({a.tobytes() for a in outs}) > 1
    gradlab.manual_seed(0)
    padded = np.pad(x.numpy(), ((0, 0), (1, 1), (1, 1)))
    for a in outs:
        i, j, h, w = crop.get_params(12, 11)
        assert (h, w) == (4, 3) and a.shape == (2, 4, 3)
        np.testing.assert_array_equal(a, padded[:, i:i + h, j:j + w])
    g1, g2 = gradlab.Generator().manual_seed(3), gradlab.Generator().manual_seed(3)
    a = T.RandomCrop(5, generator=g1)(x)
    b = T.RandomCrop(5, generator=g2)(x)
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_random_crop_pad_if_needed_and_errors():
    x = img(h=5, w=4)
    out = T.RandomCrop((7, 6), pad_if_needed=True)(x)
    assert out.shape == (2, 7, 6)
    # torchvision pads the shortfall on both sides: a 4-wide image becomes 4 + 2*2 = 8 wide
    gradlab.manual_seed(1)
    crop = T.RandomCrop((7, 6), pad_if_needed=True)
    o = crop(x).numpy()
    gradlab.manual_seed(1)
    i, j, _, _ = crop.get_params(5 + 2 * 2, 4 + 2 * 2)
    np.testing.assert_array_equal(o, np.pad(x.numpy(), ((0, 0), (2, 2), (2, 2)))[:, i:i + 7,
                                                                                   j:j + 6])
    with pytest.raises(ValueError, match=r"Required crop size \(7, 6\) is larger than input "
                                         r"image size \(5, 4\)"):
        T.RandomCrop((7, 6))(x)
    with pytest.raises(ValueError, match="Padding mode should be either constant, edge, "
                                         "reflect or symmetric"):
        T.RandomCrop(3, padding_mode="wrap")
    with pytest.raises(ValueError, match="Padding must be an int or a 1, 2, or 4 element tuple"):
        T.RandomCrop(3, padding=(1, 2, 3))


# ----------------------------------------------------------------------------- flips, noise

def test_flips():
    x = img()
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(x).numpy(),
                                  torch.from_numpy(x.numpy()).flip(-1).numpy())
    np.testing.assert_array_equal(T.RandomVerticalFlip(p=1.0)(x).numpy(),
                                  torch.from_numpy(x.numpy()).flip(-2).numpy())
    assert T.RandomHorizontalFlip(p=0.0)(x) is x
    flip = T.RandomHorizontalFlip()
    gradlab.manual_seed(7)
    a = [flip(x) is x for _ in range(400)]
    gradlab.manual_seed(7)
    assert a == [flip(x) is x for _ in range(400)]
    assert 150 < sum(a) < 250
    with pytest.raises(ValueError, match=r"RandomHorizontalFlip: p must be in \[0, 1\], got 2"):
        T.RandomHorizontalFlip(p=2)


def test_gaussian_noise():
    x = gradlab.full((1, 100, 100), 0.5)
    gradlab.manual_seed(3)
    a = T.GaussianNoise(sigma=0.1, clip=False)(x)
    gradlab.manual_seed(3)
    b = T.GaussianNoise(sigma=0.1, clip=False)(x)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    d = a.numpy() - 0.5
    assert a.dtype == gradlab.float32 and abs(d.std() - 0.1) < 0.005 and abs(d.mean()) < 0.005
    c = T.GaussianNoise(sigma=1.0)(x).numpy()
    assert c.min() == 0.0 and c.max() == 1.0
    np.testing.assert_array_equal(T.GaussianNoise(mean=0.25, sigma=0.0)(x).numpy(), 0.75)
    with pytest.raises(ValueError, match="sigma shouldn't be negative. Got -1"):
        T.GaussianNoise(sigma=-1)
    with pytest.raises(ValueError, match="Input tensor is expected to be in float dtype"):
        T.GaussianNoise()(gradlab.zeros(2, dtype=gradlab.int64))


# ----------------------------------------------------------------------------- composition

def test_compose_and_lambda():
    pipe = T.Compose([T.ToTensor(), T.Normalize([0.5], [0.5]), T.Lambda(lambda t: t * 2)])
    out = pipe(np.full((3, 3), 255, np.uint8))
    assert out.shape == (1, 3, 3)
    np.testing.assert_allclose(out.numpy(), 2.0)
    assert "ToTensor()" in repr(pipe)
    with pytest.raises(TypeError, match="Argument lambd should be callable"):
        T.Lambda(3)


def test_transform_dataset_draws_per_sample():
    x = gradlab.from_numpy(np.tile(np.arange(4, dtype=np.float32), (64, 1, 1, 1)))
    ds = T.TransformDataset(TensorDataset(x, gradlab.arange(64)),
                            transform=T.RandomHorizontalFlip(), target_transform=lambda y: y + 1)
    gradlab.manual_seed(0)
    xb, yb = next(iter(DataLoader(ds, batch_size=64)))
    assert xb.shape == (64, 1, 1, 4) and yb.tolist() == list(range(1, 65))
    flipped = (xb.numpy()[:, 0, 0, 0] == 3).sum()
    assert 16 < flipped < 48  # each sample drew its own flip
    gradlab.manual_seed(0)
    xb2, _ = next(iter(DataLoader(ds, batch_size=64)))
    np.testing.assert_array_equal(xb.numpy(), xb2.numpy())
    assert T.TransformDataset([1, 2], transform=lambda v: v * 10)[1] == 20


def test_spatial_transforms_refuse_an_hwc_array():
    """The crop and flips read (..., H, W): a NumPy (H, W, C) image is refused, clearly."""
    hwc = np.arange(32 * 32 * 3, dtype=np.uint8).reshape(32, 32, 3)
    for t in (T.RandomCrop(28), T.RandomHorizontalFlip(1.0), T.RandomVerticalFlip(1.0)):
        with pytest.raises(ValueError, match=r"\(H, W, C\).*ToTensor"):
            t(hwc)
    # channels first, or through ToTensor, they work; so do 2-D images and tensors
    chw = np.ascontiguousarray(hwc.transpose(2, 0, 1))
    assert T.RandomCrop(28)(chw).shape == (3, 28, 28)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(chw), chw[..., ::-1])
    assert T.Compose([T.ToTensor(), T.RandomCrop(28)])(hwc).shape == (3, 28, 28)
    assert T.RandomVerticalFlip(1.0)(np.zeros((5, 3))).shape == (5, 3)
    assert T.RandomCrop(2)(gradlab.zeros(5, 5, 3)).shape == (5, 2, 2)  # a tensor is (C, H, W)
