"""Named models, datasets and optimizers, and the measured default recipes of ``gradlab train``.

``build_model("lenet5", "digits")`` etc. turn command-line names into objects; each dataset is
prepared so that the DataLoader keeps its whole-batch fast path where it can (MNIST's uint8
images are scaled to [0, 1] once, up front). :data:`RECIPES` holds the settings whose held-out
accuracy was measured on this project's machines; a run with exactly those settings is held to
the recipe's target.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import backend, nn, optim
from ..tensor import from_numpy

MODELS = ("mlp", "lenet5", "vgg", "resnet20", "resnet32", "resnet56")
DATASETS = ("digits", "mnist", "fashion-mnist", "kmnist")
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta")
SCHEDULERS = ("cosine", "step", "plateau", "none")

#: the learning rate used when ``--optimizer`` is given without ``--lr``
DEFAULT_LR = {"sgd": 0.05, "adam": 1e-3, "adamw": 1e-3, "rmsprop": 1e-3, "adagrad": 1e-2,
              "adadelta": 1.0}


@dataclass(frozen=True)
class Recipe:
    epochs: int
    batch_size: int
    optimizer: str
    lr: float
    scheduler: str
    augment: bool
    target: float | None  # held-out test accuracy the default run reaches (measured)


#: measured defaults; other (model, data) pairs use GENERIC and have no target
RECIPES: dict[tuple[str, str], Recipe] = {
    # `gradlab train --seed s` (1 BLAS thread), s = 0..4: 99.2, 97.2, 98.9, 98.6, 99.2% test
    # accuracy; 0.6-0.7 s an epoch on the 2-core development machines, about 25 s a run
    ("lenet5", "digits"): Recipe(30, 32, "adam", 2e-3, "cosine", True, 0.97),
    # seeds 0..4: 96.1-96.9% test accuracy; about 2 s a run
    ("mlp", "digits"): Recipe(30, 32, "adam", 3e-3, "cosine", False, 0.95),
}
GENERIC = Recipe(10, 64, "adam", 1e-3, "cosine", False, None)


def recipe(model: str, data: str) -> Recipe:
    return RECIPES.get((model, data), GENERIC)


def image_size(model: str, data: str) -> int:
    """The side of the images a model gets: Digits comes in 8, 28 or 32; the MNIST family is
    28x28 (a VGG zero-pads it to 32 itself, see :func:`build_model`)."""
    if data == "digits":
        return {"mlp": 8, "lenet5": 28}.get(model, 32)
    return 28


class _ZeroPad(nn.Module):
    """Pads the last two dims with zeros (28x28 MNIST -> 32x32 for a VGG)."""

    def __init__(self, pad: int) -> None:
        super().__init__()
        self.pad = pad

    def forward(self, x):
        return nn.functional.pad(x, (self.pad,) * 4)

    def extra_repr(self) -> str:
        return f"pad={self.pad}"


def build_model(model: str, data: str, num_classes: int = 10) -> nn.Module:
    from .. import models

    side = image_size(model, data)
    if model == "mlp":
        return models.MLP([side * side, 512, num_classes], dropout=0.3)
    if model == "lenet5":
        return models.LeNet5(num_classes, in_channels=1, input_size=side, classic=False)
    if model == "vgg":
        vgg = models.VGG(num_classes=num_classes, in_channels=1, input_size=32)
        return vgg if side == 32 else nn.Sequential(_ZeroPad((32 - side) // 2), vgg)
    if model in ("resnet20", "resnet32", "resnet56"):
        return getattr(models, model)(num_classes=num_classes, in_channels=1)
    raise ValueError(f"unknown model '{model}' (choose from {', '.join(MODELS)})")


def build_optimizer(name: str, params, lr: float, momentum: float = 0.9,
                    weight_decay: float = 0.0):
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    cls = {"adam": optim.Adam, "adamw": optim.AdamW, "rmsprop": optim.RMSprop,
           "adagrad": optim.Adagrad, "adadelta": optim.Adadelta}.get(name)
    if cls is None:
        raise ValueError(f"unknown optimizer '{name}' (choose from {', '.join(OPTIMIZERS)})")
    if name == "adamw":
        return cls(params, lr=lr, weight_decay=weight_decay or 1e-2)
    return cls(params, lr=lr, weight_decay=weight_decay)


def build_scheduler(name: str, optimizer, epochs: int):
    if name == "cosine":
        return optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    if name == "step":
        return optim.lr_scheduler.StepLR(optimizer, step_size=max(epochs // 3, 1), gamma=0.1)
    if name == "plateau":
        return optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=2)
    if name == "none":
        return None
    raise ValueError(f"unknown scheduler '{name}' (choose from {', '.join(SCHEDULERS)})")


@dataclass
class Splits:
    train: Any  # a Dataset (augmented if asked)
    val: Any | None
    test: Any
    shape: tuple  # one image, (C, H, W)
    classes: list


def load_data(data: str, model: str, data_dir: str | os.PathLike | None = None,
              download: bool = False, val_fraction: float = 0.1, augment: bool = False,
              seed: int = 0) -> Splits:
    """Training, validation and test sets for ``data``.

    The validation set is ``val_fraction`` of the training split, drawn with a generator seeded
    by ``seed`` and never augmented; the test split is the dataset's own and is used once, at
    the end. ``augment`` adds random 2-pixel shifts (``RandomCrop(size, padding=2)``) to the
    training images.
    """
    from .. import datasets, transforms
    from ..backend import Generator
    from ..utils.data import Subset, TensorDataset

    side = image_size(model, data)
    crop = transforms.RandomCrop(side, padding=2) if augment else None
    if data == "digits":
        plain = datasets.Digits(train=True, size=side)
        train = datasets.Digits(train=True, size=side, transform=crop) if augment else plain
        test = datasets.Digits(train=False, size=side)
        classes = list(datasets.Digits.classes)
    else:
        cls = {"mnist": datasets.MNIST, "fashion-mnist": datasets.FashionMNIST,
               "kmnist": datasets.KMNIST}.get(data)
        if cls is None:
            raise ValueError(f"unknown data set '{data}' (choose from {', '.join(DATASETS)})")
        raw_train = cls(data_dir, train=True, download=download)
        raw_test = cls(data_dir, train=False)

        def scaled(ds):
            x = ds.data.array.astype(np.float32)[:, None] / np.float32(255.0)
            return TensorDataset(from_numpy(x), ds.targets)

        plain, test = scaled(raw_train), scaled(raw_test)
        train = (transforms.TransformDataset(plain, transform=crop) if augment else plain)
        classes = list(cls.classes)
    n = len(plain)
    n_val = int(round(val_fraction * n))
    if n_val:
        perm = backend.rng(Generator().manual_seed(seed)).permutation(n)
        train_idx, val_idx = np.sort(perm[n_val:]), np.sort(perm[:n_val])
        train, val = Subset(train, train_idx.tolist()), Subset(plain, val_idx.tolist())
    else:
        val = None
    shape = tuple(plain[0][0].shape)
    return Splits(train, val, test, shape, classes)


def load_trained(path: str | os.PathLike) -> tuple[str, dict, dict]:
    """A checkpoint written by ``gradlab train``: (its path, the checkpoint, the run's
    configuration). ``path`` is the file or the run folder (then best.safetensors, else
    last.safetensors). Raises ValueError, in one line, for a missing file, a damaged one or a
    checkpoint without the run's configuration (its model and data set cannot be rebuilt)."""
    from .checkpoint import load_checkpoint

    path = os.fspath(path)
    if os.path.isdir(path):
        found = [os.path.join(path, n) for n in ("best.safetensors", "last.safetensors")
                 if os.path.isfile(os.path.join(path, n))]
        if not found:
            raise ValueError(f"no best.safetensors or last.safetensors in {path}")
        path = found[0]
    elif not os.path.isfile(path):
        raise ValueError(f"no checkpoint at {path}")
    try:
        ckpt = load_checkpoint(path)
    except (ValueError, OSError) as exc:
        raise ValueError(" ".join(str(exc).split())) from None
    cfg = ckpt["extra"].get("gradlab_train")
    if cfg is None:
        raise ValueError(f"{path} was not written by gradlab train: its model and data set "
                         "cannot be rebuilt from the checkpoint alone")
    return path, ckpt, cfg
