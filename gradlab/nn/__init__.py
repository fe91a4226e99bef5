"""Neural-network building blocks (``torch.nn``): Module, Parameter, layers, containers, init.

Modules are thin: they hold Parameters and call ``gradlab.nn.functional``, where the math lives.
"""

from . import functional, init
from .container import ModuleDict, ModuleList, Sequential
from .flatten import Flatten, Unflatten
from .linear import Identity, Linear
from .module import Module, RemovableHandle
from .parameter import Parameter

__all__ = ["functional", "init", "Module", "Parameter", "RemovableHandle", "Sequential",
           "ModuleList", "ModuleDict", "Identity", "Linear", "Flatten", "Unflatten"]
