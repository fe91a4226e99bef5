"""Optimizers and learning-rate schedules (``torch.optim``): ``Optimizer`` (parameter groups,
per-parameter state, ``state_dict`` in PyTorch's format), one file per algorithm, and
``lr_scheduler``. Every update runs in place on ``p.array`` with reused buffers."""

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .lbfgs import LBFGS
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "LBFGS",
           "lr_scheduler"]
