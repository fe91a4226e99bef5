"""gradlab.tools.boxes: IoU against pixel counting and a scalar loop, NMS against a plain greedy
loop, conversions, gradients against torch, and source 003's IoU snippet with its two bugs."""

import numpy as np
import pytest
import torch

import gradlab
from gradlab.tools.boxes import batched_nms, box_area, box_convert, box_iou, nms


def _random_int_boxes(rng, n, grid=16):
    x = np.sort(rng.choice(grid + 1, size=(n, 2), replace=True), axis=1)
    y = np.sort(rng.choice(grid + 1, size=(n, 2), replace=True), axis=1)
    x[:, 1] += x[:, 0] == x[:, 1]  # at least one pixel wide and high
    y[:, 1] += y[:, 0] == y[:, 1]
    return np.stack([x[:, 0], y[:, 0], x[:, 1], y[:, 1]], axis=1).astype(np.float32)


def _masks(boxes, grid=17):
    """Each box as the set of unit pixels [x, x+1) x [y, y+1) it covers."""
    ys, xs = np.mgrid[0:grid, 0:grid]
    return np.stack([(xs >= b[0]) & (xs < b[2]) & (ys >= b[1]) & (ys < b[3])
                     for b in boxes]).reshape(len(boxes), -1).astype(np.float64)


def test_iou_and_area_against_pixel_counting():
    rng = np.random.default_rng(0)
    a, b = _random_int_boxes(rng, 40), _random_int_boxes(rng, 30)
    ma, mb = _masks(a), _masks(b)
    inter = ma @ mb.T
    union = ma.sum(1)[:, None] + mb.sum(1)[None, :] - inter
    np.testing.assert_allclose(box_iou(a, b).array, inter / union, rtol=1e-6)
    np.testing.assert_array_equal(box_area(a).array, ma.sum(1))
    assert (inter == 0).any() and (inter > 0).any()


def _iou_loop(p, q):
    """A plain scalar IoU of two xyxy boxes (the reference for float boxes)."""
    ix = max(0.0, min(p[2], q[2]) - max(p[0], q[0]))
    iy = max(0.0, min(p[3], q[3]) - max(p[1], q[1]))
    inter = ix * iy
    return inter / ((p[2] - p[0]) * (p[3] - p[1]) + (q[2] - q[0]) * (q[3] - q[1]) - inter)


def _random_float_boxes(rng, n):
    xy = rng.uniform(0, 10, size=(n, 2))
    wh = rng.uniform(0.1, 5, size=(n, 2))
    return np.concatenate([xy, xy + wh], axis=1)


def test_iou_float_boxes_against_loop():
    rng = np.random.default_rng(1)
    a, b = _random_float_boxes(rng, 12), _random_float_boxes(rng, 9)
    expect = np.array([[_iou_loop(p, q) for q in b] for p in a])
    got = box_iou(gradlab.tensor(a), gradlab.tensor(b))
    assert got.shape == (12, 9) and got.dtype == gradlab.float64
    np.testing.assert_allclose(got.array, expect, rtol=1e-12, atol=1e-15)


def test_iou_hand_cases():
    a = gradlab.tensor([[0.0, 0, 2, 2]])
    b = gradlab.tensor([[0.0, 0, 2, 2], [1, 1, 3, 3], [2, 0, 4, 2], [5, 5, 6, 6],
                        [0.5, 0.5, 1.5, 1.5]])
    np.testing.assert_allclose(box_iou(a, b).array, [[1, 1 / 7, 0, 0, 0.25]], rtol=1e-6)
    assert box_iou(a, gradlab.zeros(0, 4)).shape == (1, 0)


def test_iou_gradient_matches_torch():
    rng = np.random.default_rng(2)
    a, b = _random_float_boxes(rng, 5), _random_float_boxes(rng, 4)
    a[1] = b[2] + 0.3  # an overlapping pair
    ga = gradlab.tensor(a, requires_grad=True)
    gb = gradlab.tensor(b, requires_grad=True)
    box_iou(ga, gb).sum().backward()
    ta = torch.tensor(a, requires_grad=True)
    tb = torch.tensor(b, requires_grad=True)
    lt = torch.maximum(ta[:, None, :2], tb[None, :, :2])
    rb = torch.minimum(ta[:, None, 2:], tb[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    area = lambda t: (t[:, 2] - t[:, 0]) * (t[:, 3] - t[:, 1])  # noqa: E731
    (inter / (area(ta)[:, None] + area(tb)[None, :] - inter)).sum().backward()
    np.testing.assert_allclose(ga.grad.array, ta.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gb.grad.array, tb.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_box_convert():
    xyxy = np.array([[1.0, 2, 5, 8], [0, 0, 1, 1]], np.float32)
    xywh = np.array([[1.0, 2, 4, 6], [0, 0, 1, 1]], np.float32)
    cxcywh = np.array([[3.0, 5, 4, 6], [0.5, 0.5, 1, 1]], np.float32)
    forms = {"xyxy": xyxy, "xywh": xywh, "cxcywh": cxcywh}
    for fi, src in forms.items():
        for fo, dst in forms.items():
            out = box_convert(gradlab.tensor(src), fi, fo)
            np.testing.assert_allclose(out.array, dst, err_msg=f"{fi} -> {fo}")
    rng = np.random.default_rng(3)
    b = _random_float_boxes(rng, 20)
    back = box_convert(box_convert(b, "xyxy", "cxcywh"), "cxcywh", "xywh")
    np.testing.assert_allclose(box_convert(back, "xywh", "xyxy").array, b, rtol=1e-12)


def _greedy_nms(boxes, scores, thr):
    """The plain loop: best first; keep a box unless it overlaps a kept one by more than thr."""
    order = sorted(range(len(boxes)), key=lambda i: -scores[i])
    kept = []
    for i in order:
        if all(_iou_loop(boxes[i], boxes[k]) <= thr for k in kept):
            kept.append(i)
    return kept


@pytest.mark.parametrize("thr", [0.0, 0.3, 0.5, 0.7, 1.0])
def test_nms_against_greedy_loop(thr):
    rng = np.random.default_rng(int(thr * 10))
    for trial in range(6):
        b = _random_float_boxes(rng, 40)
        s = rng.uniform(size=40)
        if trial == 0:
            s = np.round(s, 1)  # ties: lower index first in both
        keep = nms(gradlab.tensor(b), gradlab.tensor(s), thr)
        assert keep.dtype == gradlab.int64
        assert keep.tolist() == _greedy_nms(b, s, thr)


def test_nms_hand_case_and_numpy_input():
    b = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 9]], np.float32)
    s = np.array([0.9, 0.8, 0.7, 0.95], np.float32)
    # 3 (best) suppresses 0 (IoU 0.9) and 1 (IoU 0.61); 2 is far away
    assert nms(b, s, 0.5).tolist() == [3, 2]
    assert nms(b, s, 0.95).tolist() == [3, 0, 1, 2]
    assert nms(np.zeros((0, 4)), np.zeros(0), 0.5).tolist() == []


def test_batched_nms_against_per_class_loop():
    rng = np.random.default_rng(7)
    b = _random_float_boxes(rng, 50)
    s = rng.uniform(size=50)
    cls = rng.integers(0, 3, size=50)
    expect = []
    for c in range(3):
        idx = np.nonzero(cls == c)[0]
        expect += [int(idx[k]) for k in _greedy_nms(b[idx], s[idx], 0.4)]
    expect.sort(key=lambda i: -s[i])
    assert batched_nms(b, s, cls, 0.4).tolist() == expect
    assert len(expect) > len(nms(b, s, 0.4).tolist())  # classes do not suppress each other


# ------------------------------------------------------------------ source 003's IoU snippet

SEED_LINE = "cx1， cy1， cx1, cx2 = candidateBound"


def test_seed_snippet_as_printed_does_not_parse():
    # its first line uses full-width commas
    with pytest.raises(SyntaxError):
        compile(SEED_LINE, "<source 003>", "exec")


def _seed_iou(candidateBound, groundTruthBound):
    """Source 003's calculateIoU with ASCII commas, otherwise verbatim (its two bugs kept)."""
    cx1, cy1, cx1, cx2 = candidateBound  # noqa: F841  (bug 1: unpacks x1 into cx1 twice)
    gx1, gy1, gx2, gy2 = groundTruthBound

    carea = (cx2 - cx1) * (cy2 - cy1)  # noqa: F821  (cy2 was never assigned)
    garea = (gx2 - gx1) * (gy2 - gy1)
    x1, y1, x2, y2 = max(cx1, gx1), min(cy1, gy1), min(cx2, gx2), max(cy2, gy2)  # noqa: F821
    w, h = max(0, (x2 - x1)), max(0, (y2 - y1))
    area_intersection = w * h
    area_union = carea + garea - area_intersection

    iou = area_intersection / area_union
    return iou


def _seed_iou_unpacking_fixed(candidateBound, groundTruthBound):
    """The same with bug 1 fixed, bug 2 kept: min of the lower y edges, max of the upper ones
    (the union's y-extent, not the intersection's)."""
    cx1, cy1, cx2, cy2 = candidateBound
    gx1, gy1, gx2, gy2 = groundTruthBound
    carea = (cx2 - cx1) * (cy2 - cy1)
    garea = (gx2 - gx1) * (gy2 - gy1)
    x1, y1, x2, y2 = max(cx1, gx1), min(cy1, gy1), min(cx2, gx2), max(cy2, gy2)
    w, h = max(0, (x2 - x1)), max(0, (y2 - y1))
    area_intersection = w * h
    area_union = carea + garea - area_intersection
    return area_intersection / area_union


def test_seed_snippet_bugs():
    c, g = [0, 0, 2, 2], [1, 1, 3, 3]  # overlap: the unit square [1, 2] x [1, 2]
    with pytest.raises(NameError, match="cy2"):
        _seed_iou(c, g)
    wrong = _seed_iou_unpacking_fixed(c, g)
    right = box_iou(gradlab.tensor([c], dtype=gradlab.float64),
                    gradlab.tensor([g], dtype=gradlab.float64)).item()
    assert right == pytest.approx(1 / 7) == _iou_loop(c, g)
    assert wrong == pytest.approx(3 / 5)  # height 3 (0..3) instead of 1
    # boxes apart on y but overlapping on x: no intersection, yet the snippet finds one
    c, g = [0, 0, 2, 1], [1, 5, 3, 6]
    assert box_iou(np.array([c], np.float64), np.array([g], np.float64)).item() == 0.0
    assert _seed_iou_unpacking_fixed(c, g) == pytest.approx(6 / (2 + 2 - 6))  # -3: nonsense


def test_errors():
    with pytest.raises(ValueError, match=r"box_iou: boxes2 must have shape \(N, 4\), got "
                       r"\(3, 5\)"):
        box_iou(np.zeros((2, 4)), np.zeros((3, 5)))
    with pytest.raises(TypeError, match="box_area: boxes must be a gradlab Tensor or a NumPy "
                       "array, got list"):
        box_area([[0, 0, 1, 1]])
    with pytest.raises(TypeError, match="box_iou: boxes1 must be numeric, got dtype <U1"):
        box_iou(np.full((1, 4), "a"), np.zeros((1, 4)))
    with pytest.raises(ValueError, match="box_convert: out_fmt must be one of xyxy, xywh, "
                       "cxcywh, got 'yxyx'"):
        box_convert(np.zeros((1, 4)), "xyxy", "yxyx")
    with pytest.raises(ValueError, match=r"nms: scores must have shape \(N,\) = \(2,\) to "
                       r"match the boxes, got \(3,\)"):
        nms(np.zeros((2, 4)), np.zeros(3), 0.5)
    with pytest.raises(ValueError, match=r"batched_nms: idxs must have shape \(N,\) = \(2,\), "
                       r"got \(1,\)"):
        batched_nms(np.zeros((2, 4)), np.zeros(2), np.zeros(1), 0.5)


def test_iou_gradcheck_float64():
    from gradlab.autograd import gradcheck

    # every pair overlaps and no two coordinates tie (min/max are smooth there)
    a = gradlab.tensor([[0.0, 0.0, 4.0, 4.0], [1.1, 0.9, 5.0, 6.0], [0.5, 0.2, 3.0, 3.5]],
                       dtype=gradlab.float64, requires_grad=True)
    b = gradlab.tensor([[1.2, 1.3, 3.5, 3.1], [2.0, 0.5, 4.5, 4.2]], dtype=gradlab.float64,
                       requires_grad=True)
    assert box_iou(a, b).detach().numpy().min() > 0
    assert gradcheck(box_iou, (a, b))
