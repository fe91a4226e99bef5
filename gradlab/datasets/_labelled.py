"""The sample and batch access shared by the image datasets (Digits, the MNIST family)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import from_numpy
from ..utils.data import Dataset


class LabelledImages(Dataset):
    """``self.data`` (images) and ``self.targets`` (int64 labels) Tensors, with optional
    ``transform`` / ``target_transform``; subclasses set them and ``_sample`` (what one image
    is handed out as)."""

    transform = None
    target_transform = None

    @staticmethod
    def _sample(img: np.ndarray):
        return img

    def __len__(self) -> int:
        return self.data.shape[0]

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        # a copy, so that an in-place transform cannot change the dataset
        img = self._sample(self.data.array[index].copy())
        target = int(self.targets.array[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def _batch(self, indices: np.ndarray):
        """The DataLoader's whole-batch fast path: one fancy index per tensor, unless a
        transform or an overridden ``__getitem__`` must see each sample."""
        if (self.transform is not None or self.target_transform is not None
                or type(self).__getitem__ is not LabelledImages.__getitem__):
            return NotImplemented
        return [from_numpy(self.data.array[indices]), from_numpy(self.targets.array[indices])]
