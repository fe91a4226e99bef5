"""Reference models: MLP, LeNet-5, a small VGG, CIFAR-style ResNets (with a plain switch), and
full-size AlexNet, VGG16 and ZF-5 definitions for shape and receptive-field tables; recurrent
models for the sequence patterns (classifier, tagger, encoder-decoder, character LM)."""

from .classic import VGG16, AlexNet, ZFNet
from .lenet import LeNet5
from .mlp import MLP
from .rbm import RBM
from .recurrent import CharLM, Seq2Seq, SequenceClassifier, SequenceTagger
from .resnet import BasicBlock, Bottleneck, ResNet, resnet20, resnet32, resnet56
from .vgg import VGG

__all__ = ["MLP", "LeNet5", "VGG", "ResNet", "BasicBlock", "Bottleneck", "resnet20",
           "resnet32", "resnet56", "AlexNet", "VGG16", "ZFNet", "SequenceClassifier",
           "SequenceTagger", "Seq2Seq", "CharLM", "RBM"]
