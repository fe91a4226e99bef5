"""Analysis tools: shape and receptive-field calculators, model summary, boxes (source 003)."""

from .boxes import batched_nms, box_area, box_convert, box_iou, nms
from .receptive_field import (
    MeasuredRF,
    RFLayer,
    RFTable,
    measure_receptive_field,
    receptive_field,
)
from .shapes import conv_output_size, conv_transpose_output_size, pool_output_size, same_padding
from .summary import (
    LayerRow,
    ModelSummary,
    conv_cost,
    depthwise_separable_vs_standard,
    stacked_3x3_vs_5x5,
    summary,
)

__all__ = ["conv_output_size", "conv_transpose_output_size", "pool_output_size", "same_padding",
           "receptive_field", "measure_receptive_field", "RFTable", "RFLayer", "MeasuredRF",
           "summary", "ModelSummary", "LayerRow", "conv_cost", "stacked_3x3_vs_5x5",
           "depthwise_separable_vs_standard", "box_area", "box_iou", "box_convert", "nms",
           "batched_nms"]
