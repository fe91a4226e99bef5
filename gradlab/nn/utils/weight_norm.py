"""Weight normalization (Salimans & Kingma 2016): w = g * v / ||v||, so the direction (v) and
the length (g) of each weight vector are learned separately (source 004 §3.4)."""

from __future__ import annotations

from ...tensor import Tensor
from ..module import Module
from ..parameter import Parameter


def _norm_except_dim(v: Tensor, dim: int | None) -> Tensor:
    if dim is None:
        return (v * v).sum().sqrt()
    d = dim % v.ndim
    axes = tuple(i for i in range(v.ndim) if i != d)
    return (v * v).sum(axes, keepdim=True).sqrt()


class _WeightNorm:
    def __init__(self, name: str, dim: int | None) -> None:
        self.name, self.dim = name, dim

    def compute(self, module: Module) -> Tensor:
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return v * (g / _norm_except_dim(v, self.dim))

    def __call__(self, module: Module, args) -> None:
        object.__setattr__(module, self.name, self.compute(module))


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Replace ``module.<name>`` by ``<name>_g`` (the norms, shape keeping ``dim``) and
    ``<name>_v`` (the direction); the weight is recomputed before every forward.

    ``dim=0`` gives one norm per output unit / filter; ``dim=None`` one for the whole tensor.
    """
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, _WeightNorm) and hook.name == name:
            raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter "
                               f"{name}")
    if name not in module._parameters or module._parameters[name] is None:
        raise AttributeError(f"weight_norm: {type(module).__name__} has no parameter '{name}'")
    w = module._parameters.pop(name)
    fn = _WeightNorm(name, dim)
    module.register_parameter(name + "_g", Parameter(_norm_except_dim(w.detach(), dim)))
    module.register_parameter(name + "_v", Parameter(w.detach().clone()))
    object.__setattr__(module, name, fn.compute(module))
    module.register_forward_pre_hook(fn)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Bake ``g * v / ||v||`` back into a single parameter ``<name>``."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, _WeightNorm) and hook.name == name:
            w = hook.compute(module).detach()
            del module._forward_pre_hooks[key]
            del module._parameters[name + "_g"]
            del module._parameters[name + "_v"]
            module.__dict__.pop(name, None)
            module.register_parameter(name, Parameter(w.clone()))
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
