"""Bounding boxes with torchvision.ops' names and semantics: ``box_area``, ``box_iou``,
``box_convert`` (xyxy / xywh / cxcywh), ``nms`` and ``batched_nms`` (source 003 "IoU").

Boxes are (N, 4) gradlab Tensors or NumPy arrays; results are Tensors. ``box_area``,
``box_iou`` and ``box_convert`` are built from differentiable tensor ops, so an IoU can be a
loss; ``nms`` returns indices.
"""

from __future__ import annotations

import numpy as np

from ..creation import as_tensor
from ..functions import maximum, minimum, stack
from ..tensor import Tensor

__all__ = ["box_area", "box_iou", "box_convert", "nms", "batched_nms"]

_FORMATS = ("xyxy", "xywh", "cxcywh")


def _boxes(fn: str, boxes, what: str = "boxes") -> Tensor:
    if isinstance(boxes, np.ndarray):
        if not np.issubdtype(boxes.dtype, np.number):
            raise TypeError(f"{fn}: {what} must be numeric, got dtype {boxes.dtype}")
        boxes = as_tensor(boxes)
    if not isinstance(boxes, Tensor):
        raise TypeError(f"{fn}: {what} must be a gradlab Tensor or a NumPy array, got "
                        f"{type(boxes).__name__}")
    if boxes.dim() != 2 or boxes.shape[1] != 4:
        raise ValueError(f"{fn}: {what} must have shape (N, 4), got {tuple(boxes.shape)}")
    return boxes


def box_area(boxes) -> Tensor:
    """Areas of boxes in (x1, y1, x2, y2) format: ``(x2 - x1) (y2 - y1)``.

    Shape: boxes (N, 4) -> (N,).
    """
    b = _boxes("box_area", boxes)
    return (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])


def box_iou(boxes1, boxes2) -> Tensor:
    """Pairwise intersection over union of two sets of (x1, y1, x2, y2) boxes.

    ``IoU = |A n B| / (|A| + |B| - |A n B|)``, the intersection
    ``max(0, min(x2) - max(x1)) * max(0, min(y2) - max(y1))``: the larger of the two *lower*
    edges and the smaller of the two *upper* edges on both axes (source 003's snippet takes the
    min and max the wrong way round on y). Two zero-area boxes give 0/0 = nan, as torchvision.

    Shape: boxes1 (N, 4), boxes2 (M, 4) -> (N, M).
    """
    a = _boxes("box_iou", boxes1, "boxes1")
    b = _boxes("box_iou", boxes2, "boxes2")
    lt = maximum(a[:, None, :2], b[None, :, :2])
    rb = minimum(a[:, None, 2:], b[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[:, :, 0] * wh[:, :, 1]
    union = box_area(a)[:, None] + box_area(b)[None, :] - inter
    return inter / union


def box_convert(boxes, in_fmt: str, out_fmt: str) -> Tensor:
    """Convert boxes between 'xyxy' (corners), 'xywh' (top-left corner, width, height) and
    'cxcywh' (centre, width, height).

    ``xywh -> xyxy: (x, y, x + w, y + h)``; ``cxcywh -> xyxy: (cx - w/2, cy - h/2, cx + w/2,
    cy + h/2)``; the inverses accordingly. Shape: boxes (N, 4) -> (N, 4).
    """
    fn = "box_convert"
    for what, f in (("in_fmt", in_fmt), ("out_fmt", out_fmt)):
        if f not in _FORMATS:
            raise ValueError(f"{fn}: {what} must be one of {', '.join(_FORMATS)}, got {f!r}")
    b = _boxes(fn, boxes)
    if in_fmt == out_fmt:
        return b.clone()
    c0, c1, c2, c3 = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    if in_fmt == "xywh":
        x1, y1, x2, y2 = c0, c1, c0 + c2, c1 + c3
    elif in_fmt == "cxcywh":
        x1, y1, x2, y2 = c0 - 0.5 * c2, c1 - 0.5 * c3, c0 + 0.5 * c2, c1 + 0.5 * c3
    else:
        x1, y1, x2, y2 = c0, c1, c2, c3
    if out_fmt == "xyxy":
        cols = (x1, y1, x2, y2)
    elif out_fmt == "xywh":
        cols = (x1, y1, x2 - x1, y2 - y1)
    else:
        cols = ((x1 + x2) * 0.5, (y1 + y2) * 0.5, x2 - x1, y2 - y1)
    return stack(cols, dim=1)


def _np_boxes(fn: str, boxes) -> np.ndarray:
    return np.asarray(_boxes(fn, boxes).array, dtype=np.float64)


def _np_scores(fn: str, scores, n: int) -> np.ndarray:
    s = scores.array if isinstance(scores, Tensor) else np.asarray(scores)
    if s.shape != (n,):
        raise ValueError(f"{fn}: scores must have shape (N,) = ({n},) to match the boxes, got "
                         f"{tuple(s.shape)}")
    return s.astype(np.float64)


def nms(boxes, scores, iou_threshold: float) -> Tensor:
    """Non-maximum suppression: visit boxes by decreasing score; keep one unless its IoU with
    a box already kept is greater than ``iou_threshold``.

    Returns the int64 indices of the kept boxes, by decreasing score (equal scores: lower
    index first). Boxes are (x1, y1, x2, y2), as torchvision.ops.nms.

    Shape: boxes (N, 4), scores (N,) -> (K,).
    """
    fn = "nms"
    b = _np_boxes(fn, boxes)
    s = _np_scores(fn, scores, b.shape[0])
    order = np.argsort(-s, kind="stable")
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    suppressed = np.zeros(len(b), dtype=bool)
    keep = []
    for pos, i in enumerate(order):
        if suppressed[i]:
            continue
        keep.append(i)
        rest = order[pos + 1:]
        rest = rest[~suppressed[rest]]
        if rest.size == 0:
            continue
        # IoU of box i with every remaining candidate, vectorized
        w = np.clip(np.minimum(b[i, 2], b[rest, 2]) - np.maximum(b[i, 0], b[rest, 0]), 0, None)
        h = np.clip(np.minimum(b[i, 3], b[rest, 3]) - np.maximum(b[i, 1], b[rest, 1]), 0, None)
        inter = w * h
        with np.errstate(invalid="ignore", divide="ignore"):
            iou = inter / (area[i] + area[rest] - inter)
        suppressed[rest[iou > iou_threshold]] = True
    return as_tensor(np.asarray(keep, dtype=np.int64))


def batched_nms(boxes, scores, idxs, iou_threshold: float) -> Tensor:
    """NMS within each category: boxes with different ``idxs`` never suppress each other.

    Returns the kept indices by decreasing score (equal scores: lower index first), as
    torchvision.ops.batched_nms.
    Shape: boxes (N, 4), scores (N,), idxs (N,) integer -> (K,).
    """
    fn = "batched_nms"
    b = _np_boxes(fn, boxes)
    s = _np_scores(fn, scores, b.shape[0])
    ids = idxs.array if isinstance(idxs, Tensor) else np.asarray(idxs)
    if ids.shape != (b.shape[0],):
        raise ValueError(f"{fn}: idxs must have shape (N,) = ({b.shape[0]},), got "
                         f"{tuple(ids.shape)}")
    keep = []
    for c in np.unique(ids):
        members = np.nonzero(ids == c)[0]
        kept = nms(b[members], s[members], iou_threshold).array
        keep.extend(members[kept].tolist())
    keep = np.asarray(keep, dtype=np.int64)
    keep = keep[np.lexsort((keep, -s[keep]))]  # by score, then index
    return as_tensor(keep)
