"""MNIST, Fashion-MNIST and Kuzushiji-MNIST from their IDX files (torchvision's classes).

Files live in ``root/<ClassName>/raw/``: ``train-images-idx3-ubyte``, ``train-labels-idx1-
ubyte``, ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each either uncompressed or
as the ``.gz`` that the mirrors serve (read directly, no extraction needed). ``download=True``
fetches the missing ``.gz`` files from the mirrors in order and checks each against the MD5
that torchvision publishes for it; a file whose checksum does not match is discarded and the
next mirror tried.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence

import numpy as np

from ..tensor import from_numpy
from ._labelled import LabelledImages
from .idx import read_idx

_CHUNK = 1 << 20


def _fetch(url: str, dest: str, md5: str, timeout: float) -> str | None:
    """Download ``url`` to ``dest`` if its MD5 is ``md5``; returns None on success, else why
    not (the partial file is removed)."""
    part = dest + ".part"
    digest = hashlib.md5()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r, open(part, "wb") as f:
            while chunk := r.read(_CHUNK):
                digest.update(chunk)
                f.write(chunk)
    except (urllib.error.URLError, OSError, ValueError) as e:
        if os.path.exists(part):
            os.remove(part)
        reason = getattr(e, "reason", e)
        return f"{url}: {reason} (offline, or the mirror is down?)"
    if digest.hexdigest() != md5:
        os.remove(part)
        return f"{url}: checksum mismatch: MD5 {digest.hexdigest()}, expected {md5}"
    os.replace(part, dest)
    return None


class MNIST(LabelledImages):
    """The MNIST handwritten digits: 60,000 training and 10,000 test grey 28x28 images.

    Args:
        root: the directory holding ``MNIST/raw/`` (``FashionMNIST/raw/``, ``KMNIST/raw/``).
        train: the training files (``train-*``) or the test files (``t10k-*``).
        transform: applied to each image, a uint8 NumPy array (28, 28) (torchvision gives a
            PIL image; ``transforms.ToTensor()`` turns either into float32 (1, 28, 28)).
        target_transform: applied to each int label.
        download: fetch missing files from ``mirrors`` and verify their MD5 checksums.
        mirrors: base URLs to try in order instead of the class's official ``mirrors``
            (``https://``, ``http://`` or ``file://``).

    Attributes:
        data: uint8 Tensor (N, 28, 28); targets: int64 Tensor (N,); classes: the label names.

    Shape:
        a sample is ``(image, label)``; a DataLoader batch without a transform is
        ``[uint8 (B, 28, 28), int64 (B,)]``.

    Reference: LeCun, Bottou, Bengio & Haffner, "Gradient-based learning applied to document
    recognition" (1998).
    """

    mirrors = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]
    timeout = 60.0

    def __init__(self, root: str | os.PathLike, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False, *, mirrors: Sequence[str] | None = None) -> None:
        self.root = os.path.expanduser(os.fspath(root))
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        if mirrors is not None:
            self.mirrors = list(mirrors)
        if download:
            self.download()
        images, labels = self._load()
        self.data = from_numpy(images)
        self.targets = from_numpy(labels.astype(np.int64))

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, type(self).__name__, "raw")

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.classes)}

    def _find(self, name: str) -> str | None:
        """The file ``name`` (as uncompressed ``name`` or ``name.gz``) in raw_folder, or None."""
        base = os.path.join(self.raw_folder, name.removesuffix(".gz"))
        for p in (base, base + ".gz"):
            if os.path.isfile(p):
                return p
        return None

    def _check_exists(self) -> bool:
        return all(self._find(name) is not None for name, _ in self.resources)

    def download(self) -> None:
        """Fetch each missing file from the first mirror that serves it with the right MD5."""
        os.makedirs(self.raw_folder, exist_ok=True)
        for name, md5 in self.resources:
            if self._find(name) is not None:
                continue
            errors = []
            for mirror in self.mirrors:
                err = _fetch(mirror.rstrip("/") + "/" + name,
                             os.path.join(self.raw_folder, name), md5, self.timeout)
                if err is None:
                    break
                errors.append(err)
            else:
                raise RuntimeError(
                    f"{type(self).__name__}: could not download {name}:\n  "
                    + "\n  ".join(errors)
                    + f"\nWithout network access, copy the files {self._names()} (or their "
                    f"uncompressed forms) into {self.raw_folder}")

    def _names(self) -> str:
        return ", ".join(name for name, _ in self.resources)

    def _load(self) -> tuple[np.ndarray, np.ndarray]:
        split = "train" if self.train else "t10k"
        paths = [self._find(f"{split}-{kind}") for kind in ("images-idx3-ubyte",
                                                            "labels-idx1-ubyte")]
        if None in paths:
            raise RuntimeError(
                f"Dataset not found. {type(self).__name__} looked for {split}-images-idx3-"
                f"ubyte[.gz] and {split}-labels-idx1-ubyte[.gz] in {self.raw_folder}. You can "
                f"use download=True to download it (from {self.mirrors[0]}), or copy the files "
                f"{self._names()} there")
        images, labels = (read_idx(p) for p in paths)
        for arr, p, nd in ((images, paths[0], 3), (labels, paths[1], 1)):
            if arr.dtype != np.uint8:
                raise TypeError(f"{type(self).__name__}: {p} holds {arr.dtype} data, expected "
                                "uint8")
            if arr.ndim != nd:
                raise ValueError(f"{type(self).__name__}: {p} holds a {arr.ndim}-d array, "
                                 f"expected {nd}-d")
        if len(images) != len(labels):
            raise ValueError(f"{type(self).__name__}: {paths[0]} holds {len(images)} images "
                             f"but {paths[1]} holds {len(labels)} labels")
        return images, labels

    def __repr__(self) -> str:
        return (f"Dataset {type(self).__name__}\n    Number of datapoints: {len(self)}\n"
                f"    Root location: {self.root}\n    Split: {'Train' if self.train else 'Test'}")


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 28x28 grey images of 10 kinds of clothing, MNIST's format and
    sizes (Xiao, Rasul & Vollgraf 2017). Arguments as :class:`MNIST`."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


class KMNIST(MNIST):
    """Kuzushiji-MNIST: 28x28 grey images of 10 cursive Japanese characters, MNIST's format
    and sizes (Clanuwat et al. 2018). Arguments as :class:`MNIST`."""

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
        ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
        ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
        ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134"),
    ]
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]
