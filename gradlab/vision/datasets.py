"""torchvision.datasets' names for the image sets gradlab has: the MNIST family (the same
classes as :mod:`gradlab.datasets`, torchvision's signature ``root, train=True,
transform=None, target_transform=None, download=False``) and gradlab's shipped Digits.

A sample's image is a uint8 NumPy array (28, 28) where torchvision gives a PIL image:
``transforms.ToTensor()`` turns either into float32 (1, 28, 28), and the transforms of
:mod:`gradlab.vision.transforms` take such arrays where torchvision's take PIL images.
"""

from ..datasets import KMNIST, MNIST, Digits, FashionMNIST

__all__ = ["KMNIST", "MNIST", "Digits", "FashionMNIST"]
