"""Lazy modules (``torch.nn.modules.lazy``): layers whose input size is read from the first
batch they see, so a model is written without computing ``in_features`` by hand.

A lazy layer (``nn.LazyLinear(out_features)``, ``nn.LazyConv2d(out_channels, k)``) holds
:class:`~gradlab.nn.parameter.UninitializedParameter` s until its first call; a forward pre-hook
then reads the input's size, materializes the parameters in place, initializes them as the
eager layer would (the same draws from the same stream as ``nn.Linear(in, out)`` made at that
moment) and turns the module into that layer (``cls_to_become``: ``type(m)`` is ``nn.Linear``
afterwards, as in torch). The usual pattern is a dry run, then the optimizer::

    model = nn.Sequential(nn.LazyLinear(64), nn.ReLU(), nn.LazyLinear(10))
    model(torch.zeros(1, 784))              # dry run: in_features = 784, then 64
    opt = optim.SGD(model.parameters(), lr=0.1)

An optimizer built before the dry run works too (the parameters are materialized in place, so
it holds the right objects), as torch's. ``load_state_dict`` of initialized weights into a lazy
module materializes its parameters to the loaded shapes.
"""

from __future__ import annotations

from ..autograd import no_grad
from .parameter import UninitializedParameter


def is_lazy(param) -> bool:
    """Whether ``param`` is still an :class:`UninitializedParameter`."""
    return isinstance(param, UninitializedParameter)


def _infer_parameters(module, args: tuple) -> None:
    """The forward pre-hook of a lazy module: initialize from ``args``, then become
    ``cls_to_become`` and drop the hook."""
    with no_grad():
        module.initialize_parameters(*args)
    if module.has_uninitialized_params():
        raise RuntimeError(f"module {module._get_name()} has not been fully initialized")
    module._initialize_hook.remove()
    del module._initialize_hook
    if module.cls_to_become is not None:
        module.__class__ = module.cls_to_become


class LazyModuleMixin:
    """Mixed in before a layer class (``class LazyLinear(LazyModuleMixin, Linear)``): registers
    the hook that initializes the parameters at the first call. Subclasses define
    ``initialize_parameters(input)`` and ``cls_to_become``."""

    #: the class the module turns into once its parameters are initialized
    cls_to_become: type | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(_infer_parameters)

    def has_uninitialized_params(self) -> bool:
        """Whether a parameter or buffer of this module (not its children) is still lazy."""
        return any(is_lazy(p) for p in (*self._parameters.values(), *self._buffers.values()))

    def initialize_parameters(self, *args, **kwargs) -> None:
        """Materialize and initialize the parameters from the first input."""
        raise NotImplementedError(f"initialize_parameters is not implemented for "
                                  f"{type(self).__name__}")
