"""torchvision.transforms' names: the image transforms of :mod:`gradlab.transforms` (the same
objects: ToTensor, Normalize, Compose, Lambda, RandomCrop, RandomHorizontalFlip,
RandomVerticalFlip, GaussianNoise) and the ones added here (Resize, CenterCrop, Pad,
RandomResizedCrop, ConvertImageDtype, Grayscale), with ``functional`` and
``InterpolationMode`` as in torchvision."""

from ...transforms import (
    Compose,
    GaussianNoise,
    Lambda,
    Normalize,
    RandomCrop,
    RandomHorizontalFlip,
    RandomVerticalFlip,
    ToTensor,
)
from . import functional
from .functional import InterpolationMode
from .transforms import (
    CenterCrop,
    ConvertImageDtype,
    Grayscale,
    Pad,
    RandomResizedCrop,
    Resize,
)

__all__ = ["CenterCrop", "Compose", "ConvertImageDtype", "GaussianNoise", "Grayscale",
           "InterpolationMode", "Lambda", "Normalize", "Pad", "RandomCrop",
           "RandomHorizontalFlip", "RandomResizedCrop", "RandomVerticalFlip", "Resize",
           "ToTensor", "functional"]
