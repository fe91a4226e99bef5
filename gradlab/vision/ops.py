"""torchvision.ops' box functions: the same objects as :mod:`gradlab.tools.boxes`
(``box_area``, ``box_iou``, ``box_convert``, ``nms``, ``batched_nms``)."""

from ..tools.boxes import batched_nms, box_area, box_convert, box_iou, nms

__all__ = ["batched_nms", "box_area", "box_convert", "box_iou", "nms"]
