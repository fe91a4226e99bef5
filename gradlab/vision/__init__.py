"""torchvision's layout over gradlab: ``import gradlab.vision as torchvision`` and
``from gradlab.vision import datasets, transforms, utils`` work in torchvision-style
programs.

* :mod:`.datasets`: MNIST, FashionMNIST, KMNIST (torchvision's classes) and Digits;
* :mod:`.transforms`: ToTensor, Normalize, Compose, Lambda, Resize, CenterCrop, Pad,
  RandomCrop, RandomResizedCrop, flips, Grayscale, ConvertImageDtype, ``functional``;
* :mod:`.utils`: ``make_grid`` and ``save_image`` (PNG, written without Pillow);
* :mod:`.ops`: ``box_area``, ``box_iou``, ``box_convert``, ``nms``, ``batched_nms``.

There is no ``models``: gradlab's reference nets (:mod:`gradlab.models`) are not
torchvision's architectures (its AlexNet is the 2012 paper's, its ResNets the CIFAR ones).
"""

from . import datasets, ops, transforms, utils

__all__ = ["datasets", "ops", "transforms", "utils"]
