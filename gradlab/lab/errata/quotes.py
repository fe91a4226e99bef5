"""The source text the evidence quotes: lines of the sources, source 003's IoU snippet and
source 004's table of optimization methods, verbatim."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# ------------------------------------------------------------ source text the evidence quotes

#: source lines quoted as evidence: name -> (source file number, line, verbatim text)
_QUOTES: dict[str, tuple[str, int, str]] = {
    "eq10": ("002", 119, r"$$\theta_j := \theta_j - \alpha \frac{\partial}{\partial \theta_j} "
                         r"J(\theta_0, \theta_1) \quad (10)$$"),
    "alpha_is_lr": ("002", 121, "α 为学习率"),
    "covariance_defined": ("002", 199, "内部协方差指的是由于每一层参数更新使得上一层数据分布改变"),
    "covariate_shift_named": ("004", 488, "这种现象叫做**内部协变量偏移**"),
    "rnn_net_input": ("004", 287, r"$\mathbf{z}_k = U\mathbf{h}_{k-1} + W\mathbf{x}_k + "
                                  r"\mathbf{b}$"),
    "init_u_identity": ("004", 321, "需要将 U 初始化为单位矩阵"),
    "script_floors": ("003", 895, "outsize = (insize - fsize + 2*pad) / stride + 1"),
    "alexnet_specs": ("003", 876, "[[11,4,0],[3,2,0],[5,1,2],[3,2,0],[3,1,1],[3,1,1],[3,1,1],"
                                  "[3,2,0]]"),
    "alexnet_names": ("003", 877, "['conv1','pool1','conv2','pool2','conv3','conv4','conv5',"
                                  "'pool5']"),
}

#: source 003's IoU snippet (L928-941), verbatim: full-width commas and both bugs kept
_SEED_IOU = """def calculateIoU(candidateBound, groundTruthBound):
    cx1， cy1， cx1, cx2 = candidateBound
    gx1, gy1, gx2, gy2 = groundTruthBound

    carea = (cx2 - cx1) * (cy2 - cy1) #C的面积
    garea = (gx2 - gx1) * (gy2 - gy1) #G的面积
    x1, y1, x2, y2 = max(cx1, gx1), min(cy1, gy1), min(cx2, gx2), max(cy2, gy2)
    # 原点为(0, 0)，所以 min(cy1, gy1) 是min不是max
    w, h = max(0, (x2 - x1)), max(0, (y2 - y1))
    area_intersection = w * h
    area_union = carea + garea - area_intersection

    iou = area_intersection / area_union
    return iou"""
_SEED_IOU_LINE = 928  # the line of "def calculateIoU"

#: source 004 §3.3 L454-455, the table that files the methods (a tab between its columns)
_OPTIMIZER_TABLE = ("学习率衰减\t梯度方向优化\n"
                    "AdaGrad、RMSprop、AdaDelta\t动量法、Nesterov 加速梯度、梯度截断")

_SEED_UNPACKING = "cx1， cy1， cx1, cx2 = candidateBound"
_FIXED_UNPACKING = "cx1, cy1, cx2, cy2 = candidateBound"


def _q(name: str) -> str:
    """A quoted source line with its reference: ``source 002 L119: '...'``."""
    doc, line, text = _QUOTES[name]
    return f"source {doc} L{line}: '{text}'"


def _seed_iou(source: str) -> Callable:
    """Define the source's calculateIoU from ``source`` and return it."""
    scope: dict[str, Any] = {}
    exec(compile(source, "<source 003 IoU>", "exec"), scope)  # noqa: S102 (our own constant)
    return scope["calculateIoU"]
