"""gradlab.vision against torchvision's rules. torchvision is not installable here (its PyPI
wheel for torch 2.13 is a CUDA build that does not import over the CPU torch), so each
reference is torchvision's algorithm written as torch ops (``F.interpolate``, ``F.pad``,
its make_grid loop, its save_image rounding) or Pillow (for NumPy images, torchvision's PIL
path)."""

from __future__ import annotations

import inspect
import io
import math
import struct
import zlib

import numpy as np
import pytest
import torch
import torch.nn.functional as tF
from PIL import Image

import gradlab
import gradlab.datasets
import gradlab.tools
import gradlab.transforms
import gradlab.vision as torchvision
from gradlab.vision import datasets, ops, transforms, utils
from gradlab.vision.transforms import InterpolationMode
from gradlab.vision.transforms import functional as VF

RNG = np.random.default_rng(0)
SIZES = [(7, 9, 13, 5), (20, 17, 6, 31), (5, 5, 11, 11), (32, 28, 15, 14), (12, 40, 12, 9)]


def img(shape, dtype=np.float32, seed=0):
    a = np.random.default_rng(seed).random(shape) * 255
    return a.astype(dtype)


def t_ref_resize(x: np.ndarray, hw, mode="bilinear", antialias=False) -> np.ndarray:
    """torchvision.transforms._functional_tensor.resize as torch ops."""
    t = torch.from_numpy(x)
    dt = t.dtype
    if dt not in (torch.float32, torch.float64):
        t = t.to(torch.float32)
    kw = {"align_corners": False} if mode == "bilinear" else {}
    out = tF.interpolate(t, size=list(hw), mode=mode, antialias=antialias and
                         mode == "bilinear", **kw)
    if dt not in (torch.float32, torch.float64):
        out = torch.round(out).to(dt)
    return out.numpy()


# ----------------------------------------------------------------------------- layout

def test_layout_and_same_objects():
    assert gradlab.vision is torchvision and torchvision.transforms is transforms
    for name in ("MNIST", "FashionMNIST", "KMNIST", "Digits"):
        assert getattr(datasets, name) is getattr(gradlab.datasets, name)
    for name in ("box_area", "box_iou", "box_convert", "nms", "batched_nms"):
        assert getattr(ops, name) is getattr(gradlab.tools, name)
    for name in ("ToTensor", "Normalize", "Compose", "Lambda", "RandomCrop",
                 "RandomHorizontalFlip", "RandomVerticalFlip"):
        assert getattr(transforms, name) is getattr(gradlab.transforms, name)
    assert {"make_grid", "save_image"} <= set(utils.__all__)


@pytest.mark.parametrize("cls", [datasets.MNIST, datasets.FashionMNIST, datasets.KMNIST,
                                 datasets.Digits])
def test_dataset_signatures_start_as_torchvisions(cls):
    params = list(inspect.signature(cls.__init__).parameters.values())[1:6]
    assert [(p.name, p.default) for p in params][1:] == [
        ("train", True), ("transform", None), ("target_transform", None), ("download", False)]
    assert params[0].name == "root"


def test_torchvision_style_pipeline_on_digits():
    tf = transforms.Compose([transforms.Resize(16), transforms.CenterCrop(12),
                             transforms.Normalize((0.5,), (0.5,))])
    ds = torchvision.datasets.Digits("unused", train=False, transform=tf, download=True)
    x, y = ds[0]
    assert tuple(x.shape) == (1, 12, 12) and x.dtype == gradlab.float32 and isinstance(y, int)


# ----------------------------------------------------------------------------- resize

@pytest.mark.parametrize("antialias", [False, True])
@pytest.mark.parametrize("size", SIZES)
def test_resize_weight_tables_are_torchs_exactly(size, antialias):
    """One-hot images along one axis give the interpolation weights themselves: torch's bit
    for bit in float32; in float64 (antialias off) torch's source index sometimes rounds
    twice, a last-bit difference."""
    h, w, oh, ow = size
    for dt in (np.float32, np.float64):
        tol = 1e-15 if dt == np.float64 and not antialias else 0
        eye_w = np.eye(w, dtype=dt)[:, None, None, :].repeat(2, axis=2)   # (w, 1, 2, w)
        got = VF.resize(gradlab.from_numpy(eye_w), [2, ow], antialias=antialias).numpy()
        np.testing.assert_allclose(got, t_ref_resize(eye_w, (2, ow), antialias=antialias),
                                   rtol=0, atol=tol)
        eye_h = np.eye(h, dtype=dt)[:, None, :, None].repeat(3, axis=3)   # (h, 1, h, 3)
        got = VF.resize(gradlab.from_numpy(eye_h), [oh, 3], antialias=antialias).numpy()
        np.testing.assert_allclose(got, t_ref_resize(eye_h, (oh, 3), antialias=antialias),
                                   rtol=0, atol=tol)


@pytest.mark.parametrize("antialias", [False, True])
@pytest.mark.parametrize("size", SIZES)
def test_resize_float_images_match_interpolate(size, antialias):
    """Both axes at once: the tables are torch's; torch's compiled sums order their float
    additions differently (and fuse them), so float32 agrees to a few ulp."""
    h, w, oh, ow = size
    for dt, rtol in ((np.float64, 1e-13), (np.float32, 1e-6)):
        x = img((2, 3, h, w), dt)
        got = transforms.Resize((oh, ow), antialias=antialias)(gradlab.from_numpy(x))
        assert got.dtype == gradlab.from_numpy(x).dtype and tuple(got.shape) == (2, 3, oh, ow)
        np.testing.assert_allclose(got.numpy(), t_ref_resize(x, (oh, ow), antialias=antialias),
                                   rtol=rtol, atol=rtol * 255)


@pytest.mark.parametrize("antialias", [False, True])
def test_resize_uint8_tensors_round_as_torchvision(antialias):
    """uint8 goes through float32 and rounds half to even; a pixel differs from torch's only
    where torch's own float32 value is within float32 rounding of a half."""
    for h, w, oh, ow in SIZES:
        x = img((2, 3, h, w), np.uint8, seed=h)
        got = VF.resize(gradlab.from_numpy(x), [oh, ow], antialias=antialias).numpy()
        assert got.dtype == np.uint8
        ref = t_ref_resize(x, (oh, ow), antialias=antialias)
        raw = tF.interpolate(torch.from_numpy(x).float(), size=(oh, ow), mode="bilinear",
                             align_corners=False, antialias=antialias).numpy()
        off = got != ref
        assert np.abs(got.astype(int) - ref)[off].max(initial=0) <= 1
        assert np.all(np.abs(raw[off] - np.floor(raw[off]) - 0.5) < 1e-4)


def test_resize_nearest_matches_interpolate_exactly():
    for h, w, oh, ow in SIZES:
        x = img((1, 2, h, w))
        got = VF.resize(gradlab.from_numpy(x), [oh, ow], InterpolationMode.NEAREST)
        np.testing.assert_array_equal(got.numpy(), t_ref_resize(x, (oh, ow), "nearest"))


def test_resize_sizes_as_torchvision():
    x = gradlab.from_numpy(img((3, 10, 25)))
    assert tuple(VF.resize(x, 5).shape) == (3, 5, 12)          # int(5 * 25 / 10) = 12
    assert tuple(VF.resize(x, [4]).shape) == (3, 4, 10)
    assert tuple(VF.resize(x, (7, 3)).shape) == (3, 7, 3)
    assert tuple(VF.resize(x, 8, max_size=15).shape) == (3, 6, 15)  # 20 > 15: rescale
    assert VF.resize(x, 10) is x                                # already the size: the input
    y = gradlab.from_numpy(img((2, 1, 25, 10)))
    assert tuple(transforms.Resize(5)(y).shape) == (2, 1, 12, 5)
    assert repr(transforms.Resize(5)) == ("Resize(size=5, interpolation=bilinear, "
                                          "max_size=None, antialias=True)")
    with pytest.raises(ValueError, match="max_size = 5 must be strictly greater"):
        VF.resize(x, 5, max_size=5)
    with pytest.raises(ValueError, match="max_size should only be passed"):
        VF.resize(x, [5, 6], max_size=9)
    with pytest.raises(ValueError, match="1 or 2 values"):
        transforms.Resize((1, 2, 3))
    with pytest.raises(TypeError, match="Size should be int or sequence"):
        transforms.Resize(2.5)
    with pytest.raises(ValueError, match="BICUBIC.*not implemented"):
        transforms.Resize(4, InterpolationMode.BICUBIC)
    with pytest.raises(TypeError, match="img should be a gradlab Tensor or a NumPy image"):
        VF.resize([[1.0]], 3)


@pytest.mark.parametrize("shape", [(20, 17), (20, 17, 3), (28, 28)])
@pytest.mark.parametrize("out", [(20, 31), (6, 17), (13, 17), (32, 32), (9, 5)])
def test_resize_numpy_images_as_pillow(shape, out):
    """uint8 NumPy images (PIL's stand-in) follow Pillow's bilinear resize: each pass bit for
    bit, the width pass first (Pillow's ImagingResampleInner)."""
    a = img(shape, np.uint8, seed=len(shape))
    got = VF.resize(a, list(out))
    pil = Image.fromarray(a)
    if out[1] != shape[1]:
        pil = pil.resize((out[1], shape[0]), Image.BILINEAR)
    if out[0] != shape[0]:
        pil = pil.resize((out[1], out[0]), Image.BILINEAR)
    ref = np.asarray(pil)
    assert isinstance(got, np.ndarray) and got.shape == ref.shape
    np.testing.assert_array_equal(got, ref)
    if out[0] == shape[0] or out[1] == shape[1]:     # one axis: one Pillow call
        np.testing.assert_array_equal(
            got, np.asarray(Image.fromarray(a).resize(out[::-1], Image.BILINEAR)))
    with pytest.raises(TypeError, match="must be uint8"):
        VF.resize(a.astype(np.float32), [4, 4])


# ----------------------------------------------------------------------------- crop and pad

@pytest.mark.parametrize("size", [4, (3, 5), (9, 2), (12, 13), [6]])
def test_center_crop_matches_torchvision_rule(size):
    x = img((2, 3, 8, 7))
    hw = (size, size) if isinstance(size, int) else (size[0], size[0]) if len(size) == 1 \
        else size
    t = torch.from_numpy(x)
    ch, cw = hw
    if cw > 7 or ch > 8:
        t = tF.pad(t, [(cw - 7) // 2 if cw > 7 else 0, (cw - 7 + 1) // 2 if cw > 7 else 0,
                       (ch - 8) // 2 if ch > 8 else 0, (ch - 8 + 1) // 2 if ch > 8 else 0])
    top, left = int(round((t.shape[-2] - ch) / 2.0)), int(round((t.shape[-1] - cw) / 2.0))
    ref = t[..., top:top + ch, left:left + cw].numpy()
    got = transforms.CenterCrop(size)(gradlab.from_numpy(x))
    np.testing.assert_array_equal(got.numpy(), ref)
    a = img((8, 7, 3), np.uint8)
    np.testing.assert_array_equal(VF.center_crop(a, size), np.moveaxis(
        VF.center_crop(gradlab.from_numpy(np.moveaxis(a, 2, 0).copy()), size).numpy(), 0, 2))


@pytest.mark.parametrize("padding", [2, (1, 3), (0, 1, 2, 3), [2], (-1, 2, 1, -2)])
@pytest.mark.parametrize("mode, torch_mode", [("constant", "constant"), ("edge", "replicate"),
                                              ("reflect", "reflect")])
def test_pad_matches_torch_pad(padding, mode, torch_mode):
    x = img((2, 3, 6, 5))
    p = VF._ltrb(padding, "test")
    kw = {"value": 7.0} if mode == "constant" else {}
    t = torch.from_numpy(x)
    if min(p) < 0 and mode != "constant":      # torchvision crops, then pads (PIL path)
        t = t[..., max(-p[1], 0):6 - max(-p[3], 0), max(-p[0], 0):5 - max(-p[2], 0)]
        p = [max(v, 0) for v in p]
    ref = tF.pad(t, [p[0], p[2], p[1], p[3]], mode=torch_mode, **kw).numpy()
    got = transforms.Pad(padding, fill=7, padding_mode=mode)(gradlab.from_numpy(x))
    np.testing.assert_array_equal(got.numpy(), ref)


def test_pad_symmetric_numpy_fill_and_errors():
    x = img((1, 4, 5))
    # torchvision's _pad_symmetric: mirrored indices including the edge pixel
    rows = [1, 0] + list(range(4)) + [3]
    cols = [0] + list(range(5)) + [4, 3, 2]
    ref = torch.from_numpy(x)[:, torch.tensor(rows)[:, None], torch.tensor(cols)[None]]
    got = VF.pad(gradlab.from_numpy(x), [1, 2, 3, 1], padding_mode="symmetric")
    np.testing.assert_array_equal(got.numpy(), ref.numpy())
    a = img((4, 5, 3), np.uint8)
    out = VF.pad(a, 2, fill=(1, 2, 3))
    assert out.shape == (8, 9, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(out[0, 0], [1, 2, 3])
    np.testing.assert_array_equal(out[2:-2, 2:-2], a)
    assert repr(transforms.Pad(3)) == "Pad(padding=3, fill=0, padding_mode=constant)"
    with pytest.raises(RuntimeError, match="Padding size should be less than"):
        VF.pad(gradlab.from_numpy(x), 4, padding_mode="reflect")
    with pytest.raises(ValueError, match="1, 2, or 4 element tuple"):
        transforms.Pad((1, 2, 3))
    with pytest.raises(ValueError, match="Padding mode should be"):
        transforms.Pad(1, padding_mode="wrap")
    with pytest.raises(TypeError, match="inappropriate fill"):
        VF.pad(gradlab.from_numpy(x), 1, fill=(1, 2))


def test_crop_outside_the_image_is_zero():
    x = img((2, 4, 5)) + 1
    got = VF.crop(gradlab.from_numpy(x), -1, 3, 4, 4).numpy()
    ref = np.zeros((2, 4, 4), np.float32)
    ref[:, 1:4, 0:2] = x[:, 0:3, 3:5]
    np.testing.assert_array_equal(got, ref)


# ----------------------------------------------------------------------------- RandomResizedCrop

def test_random_resized_crop_draws_as_torchvision_and_repeats():
    x = gradlab.from_numpy(img((3, 20, 30)))
    scale, ratio = (0.08, 1.0), (3 / 4, 4 / 3)
    rng = gradlab.Generator().manual_seed(5).rng     # the same stream, by hand
    for _ in range(10):
        ta = 600 * rng.uniform(*scale)
        ar = math.exp(rng.uniform(math.log(ratio[0]), math.log(ratio[1])))
        w, h = int(round(math.sqrt(ta * ar))), int(round(math.sqrt(ta / ar)))
        if 0 < w <= 30 and 0 < h <= 20:
            want = (int(rng.integers(0, 20 - h + 1)), int(rng.integers(0, 30 - w + 1)), h, w)
            break
    got = transforms.RandomResizedCrop.get_params(x, scale, ratio,
                                                  gradlab.Generator().manual_seed(5))
    assert got == want
    t = transforms.RandomResizedCrop((8, 6), generator=gradlab.Generator().manual_seed(5))
    i, j, h, w = want
    np.testing.assert_array_equal(t(x).numpy(), VF.resize(VF.crop(x, i, j, h, w), [8, 6])
                                  .numpy())
    gradlab.manual_seed(3)
    a = transforms.RandomResizedCrop(8)(x).numpy()
    gradlab.manual_seed(3)
    np.testing.assert_array_equal(transforms.RandomResizedCrop(8)(x).numpy(), a)
    assert repr(transforms.RandomResizedCrop(8)) == (
        "RandomResizedCrop(size=(8, 8), scale=(0.08, 1.0), ratio=(0.75, 1.3333), "
        "interpolation=bilinear, antialias=True)")


def test_random_resized_crop_fallback_is_the_clamped_centre():
    x = gradlab.from_numpy(img((1, 10, 40)))   # ratio 4 > 4/3; scale > 1 never fits
    assert transforms.RandomResizedCrop.get_params(x, (2.0, 3.0), (3 / 4, 4 / 3)) == \
        (0, 13, 10, 13)                         # w = round(10 * 4/3) = 13, left = 27 // 2
    with pytest.raises(TypeError, match="Scale should be a sequence"):
        transforms.RandomResizedCrop(4, scale=0.5)
    with pytest.warns(UserWarning, match="Scale and ratio should be of kind"):
        transforms.RandomResizedCrop(4, scale=(1.0, 0.5))
    with pytest.raises(TypeError, match="gradlab.Generator"):
        transforms.RandomResizedCrop(4, generator=np.random.default_rng(0))(x)


# ----------------------------------------------------------------------------- dtype and grey

def tv_convert(t: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """torchvision's _functional_tensor.convert_image_dtype (the cases tested)."""
    def mx(d):
        return {torch.uint8: 255, torch.int8: 127, torch.int16: 32767,
                torch.int32: 2147483647}.get(d, 1)
    if t.is_floating_point():
        if dtype.is_floating_point:
            return t.to(dtype)
        return t.mul(mx(dtype) + 1.0 - 1e-3).to(dtype)
    if dtype.is_floating_point:
        return t.to(dtype) / float(mx(t.dtype))
    if mx(t.dtype) > mx(dtype):
        return torch.div(t, (mx(t.dtype) + 1) // (mx(dtype) + 1), rounding_mode="floor").to(dtype)
    return t.to(dtype) * ((mx(dtype) + 1) // (mx(t.dtype) + 1))


@pytest.mark.parametrize("src, dst", [
    ("uint8", "float32"), ("uint8", "float64"), ("float32", "uint8"), ("float64", "uint8"),
    ("float32", "int16"), ("int16", "uint8"), ("uint8", "int32"), ("int32", "int8"),
    ("float32", "float64")])
def test_convert_image_dtype_matches_torchvision(src, dst):
    rng = np.random.default_rng(1)
    if src.startswith("float"):
        x = rng.random((2, 3, 4)).astype(src)
        x[0, 0, :2] = [0.0, 1.0]
    else:
        x = rng.integers(0, np.iinfo(src).max, (2, 3, 4), endpoint=True).astype(src)
    got = transforms.ConvertImageDtype(getattr(gradlab, dst))(gradlab.from_numpy(x))
    ref = tv_convert(torch.from_numpy(x), getattr(torch, dst)).numpy()
    assert got.numpy().dtype == ref.dtype
    np.testing.assert_array_equal(got.numpy(), ref)


def test_convert_image_dtype_errors():
    with pytest.raises(RuntimeError, match="cannot be performed safely"):
        VF.convert_image_dtype(gradlab.rand(2, 2), gradlab.int32)
    with pytest.raises(TypeError, match="should be Tensor Image"):
        VF.convert_image_dtype(np.zeros((2, 2)), gradlab.float32)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8])
@pytest.mark.parametrize("k", [1, 3])
def test_grayscale_tensors_match_torchvision_formula(dtype, k):
    x = img((2, 3, 4, 5), dtype)
    r, g, b = torch.from_numpy(x).unbind(dim=-3)
    ref = (0.2989 * r + 0.587 * g + 0.114 * b).to(torch.from_numpy(x).dtype).unsqueeze(-3)
    ref = ref.expand(x.shape) if k == 3 else ref
    got = transforms.Grayscale(k)(gradlab.from_numpy(x))
    np.testing.assert_array_equal(got.numpy(), ref.numpy())


def test_grayscale_numpy_as_pillow_and_errors():
    a = img((6, 7, 3), np.uint8)
    np.testing.assert_array_equal(VF.to_grayscale(a), np.asarray(Image.fromarray(a).convert("L")))
    three = transforms.Grayscale(3)(a)
    assert three.shape == (6, 7, 3) and (three == three[..., :1]).all()
    assert repr(transforms.Grayscale(3)) == "Grayscale(num_output_channels=3)"
    with pytest.raises(TypeError, match=r"permitted channel values are \[1, 3\], but found 2"):
        VF.rgb_to_grayscale(gradlab.rand(2, 4, 4))
    with pytest.raises(ValueError, match="num_output_channels should be either 1 or 3"):
        VF.rgb_to_grayscale(gradlab.rand(3, 4, 4), 2)


# ------------------------------------------------------------------------ make_grid, save_image

def tv_make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None,
                 scale_each=False, pad_value=0.0):
    """torchvision.utils.make_grid, as torch ops (its code, minus logging)."""
    if isinstance(tensor, list):
        tensor = torch.stack(tensor, dim=0)
    if tensor.dim() == 2:
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 3:
        if tensor.size(0) == 1:
            tensor = torch.cat((tensor, tensor, tensor), 0)
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 4 and tensor.size(1) == 1:
        tensor = torch.cat((tensor, tensor, tensor), 1)
    if normalize is True:
        tensor = tensor.clone()

        def norm_ip(t, low, high):
            t.clamp_(min=low, max=high)
            t.sub_(low).div_(max(high - low, 1e-5))

        def norm_range(t, vr):
            norm_ip(t, *(vr if vr is not None else (float(t.min()), float(t.max()))))
        if scale_each is True:
            for t in tensor:
                norm_range(t, value_range)
        else:
            norm_range(tensor, value_range)
    if tensor.size(0) == 1:
        return tensor.squeeze(0)
    nmaps = tensor.size(0)
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = int(tensor.size(2) + padding), int(tensor.size(3) + padding)
    grid = tensor.new_full((tensor.size(1), height * ymaps + padding,
                            width * xmaps + padding), pad_value)
    k = 0
    for y in range(ymaps):
        for x in range(xmaps):
            if k >= nmaps:
                break
            grid.narrow(1, y * height + padding, height - padding).narrow(
                2, x * width + padding, width - padding).copy_(tensor[k])
            k = k + 1
    return grid


GRIDS = [((5, 3, 4, 6), {}), ((5, 1, 4, 6), {"nrow": 2, "padding": 1, "pad_value": 0.5}),
         ((7, 3, 3, 3), {"nrow": 3, "padding": 0}),
         ((4, 3, 5, 5), {"normalize": True}),
         ((4, 3, 5, 5), {"normalize": True, "scale_each": True, "nrow": 3}),
         ((4, 2, 5, 5), {"normalize": True, "value_range": (0.2, 0.9)}),
         ((1, 3, 4, 4), {}), ((1, 4, 4), {}), ((4, 4), {"padding": 3})]


@pytest.mark.parametrize("shape, kw", GRIDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_make_grid_matches_torchvision(shape, kw, dtype):
    x = (np.random.default_rng(2).standard_normal(shape) * 3).astype(dtype)
    got = utils.make_grid(gradlab.from_numpy(x), **kw)
    ref = tv_make_grid(torch.from_numpy(x), **kw)
    np.testing.assert_array_equal(got.numpy(), ref.numpy())
    np.testing.assert_array_equal(x, (np.random.default_rng(2).standard_normal(shape) * 3)
                                  .astype(dtype))         # the input is left alone


def test_make_grid_list_input_and_errors():
    xs = [gradlab.from_numpy(img((3, 4, 4), seed=s)) for s in range(3)]
    ref = tv_make_grid([torch.from_numpy(x.numpy()) for x in xs], nrow=2)
    np.testing.assert_array_equal(utils.make_grid(xs, nrow=2).numpy(), ref.numpy())
    with pytest.raises(TypeError, match="tensor or list of tensors expected"):
        utils.make_grid([np.zeros((3, 2, 2))])
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        utils.make_grid(xs[0], normalize=True, value_range=[0, 1])


def read_png(data: bytes) -> np.ndarray:
    """Decode an 8-bit, filter-0-per-row PNG with zlib and struct (what save_image writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        assert struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0] == zlib.crc32(kind + body)
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    c = {0: 1, 4: 2, 2: 3, 6: 4}[ctype]
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(h, 1 + w * c)
    assert depth == 8 and (rows[:, 0] == 0).all()
    return rows[:, 1:].reshape(h, w, c)


@pytest.mark.parametrize("shape, kw", [((5, 3, 4, 6), {"nrow": 3}), ((2, 1, 5, 5), {}),
                                       ((3, 7, 6), {}), ((4, 4, 4), {}), ((1, 2, 3, 3), {})])
def test_save_image_pixels_as_torchvision(tmp_path, shape, kw):
    x = np.random.default_rng(3).random(shape).astype(np.float32) * 1.2 - 0.1  # some clipped
    path = tmp_path / "out.png"
    utils.save_image(gradlab.from_numpy(x), path, **kw)
    grid = tv_make_grid(torch.from_numpy(x), **kw)
    want = grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to("cpu", torch.uint8)
    got = read_png(path.read_bytes())
    np.testing.assert_array_equal(got, want.numpy())
    buf = io.BytesIO()                     # torchvision's writer: Pillow, from the same array
    Image.fromarray(want.numpy().squeeze(-1) if want.shape[-1] == 1 else want.numpy()).save(
        buf, format="PNG")
    np.testing.assert_array_equal(np.asarray(Image.open(path)),
                                  np.asarray(Image.open(io.BytesIO(buf.getvalue()))))


def test_save_image_file_objects_and_errors(tmp_path):
    x = gradlab.rand(3, 4, 5)
    buf = io.BytesIO()
    utils.save_image(x, buf, format="PNG")
    assert read_png(buf.getvalue()).shape == (4, 5, 3)
    with pytest.raises(ValueError, match="PNG files only"):
        utils.save_image(x, tmp_path / "a.jpg")
    with pytest.raises(ValueError, match="pass format='png'"):
        utils.save_image(x, io.BytesIO())
    with pytest.raises(TypeError, match="floating-point tensor"):
        utils.save_image(gradlab.from_numpy(np.zeros((3, 2, 2), np.uint8)), tmp_path / "b.png")
