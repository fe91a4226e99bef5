"""Pruning by masks (``torch.nn.utils.prune``): zero a share of a parameter's entries and keep
them zero while the network trains on (source 003 "model acceleration": prune by ratio the
weights nearest 0 with a mask, fine-tune, export).

Pruning ``module.weight`` reparametrizes it exactly as PyTorch does: the original tensor
becomes the Parameter ``weight_orig``, the 0/1 mask the buffer ``weight_mask``, and a forward
pre-hook recomputes ``weight = weight_orig * weight_mask`` before every call. The state_dict
keys are therefore PyTorch's (``weight_orig``, ``weight_mask``), the gradient of a pruned entry
is 0 and its effective weight stays 0 through any optimizer step. Pruning the same tensor again
prunes ``amount`` of the entries (or channels) that are still unpruned, as PyTorch's
``PruningContainer`` does. :func:`remove` bakes the mask into a plain ``weight`` Parameter.

``amount``: a float in [0, 1] (the share, ``round(amount * n)`` entries) or an int (a count).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ... import backend
from ...tensor import Tensor, from_numpy
from ..module import Module


class BasePruningMethod:
    """The forward pre-hook that recomputes ``<name> = <name>_orig * <name>_mask``."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, name: str) -> None:
        self._tensor_name = name

    def compute_mask(self, t: np.ndarray, default_mask: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def apply_mask(self, module: Module) -> Tensor:
        orig = getattr(module, self._tensor_name + "_orig")
        mask = getattr(module, self._tensor_name + "_mask")
        return orig * mask

    def __call__(self, module: Module, inputs) -> None:
        object.__setattr__(module, self._tensor_name, self.apply_mask(module))

    def remove(self, module: Module) -> None:
        name = self._tensor_name
        weight = self.apply_mask(module).detach()
        module.__dict__.pop(name, None)
        orig = module._parameters.pop(name + "_orig")
        del module._buffers[name + "_mask"]
        orig.array = np.ascontiguousarray(weight.array)
        orig.grad = None
        module.register_parameter(name, orig)


def _check_amount(fn: str, amount) -> None:
    if isinstance(amount, bool) or not isinstance(amount, (int, float, np.integer, np.floating)):
        raise TypeError(f"{fn}: amount={amount!r} should either be a float in the range [0, 1] "
                        "or a non-negative integer")
    if isinstance(amount, (int, np.integer)):
        if amount < 0:
            raise ValueError(f"{fn}: amount={amount} should either be a float in the range "
                             "[0, 1] or a non-negative integer")
    elif not 0.0 <= float(amount) <= 1.0:
        raise ValueError(f"{fn}: amount={amount} should either be a float in the range [0, 1] "
                         "or a non-negative integer")


def _n_to_prune(fn: str, amount, size: int) -> int:
    if isinstance(amount, (int, np.integer)) and not isinstance(amount, bool):
        if amount > size:
            raise ValueError(f"{fn}: amount={amount} should be smaller than the number of "
                             f"parameters to prune={size}")
        return int(amount)
    return round(float(amount) * size)


def _smallest(scores: np.ndarray, k: int) -> np.ndarray:
    """Flat indices of the k smallest scores (ties: the lower index first, as a stable sort)."""
    return np.argsort(scores, kind="stable")[:k]


class L1Unstructured(BasePruningMethod):
    """Prune the ``amount`` entries of smallest absolute value."""

    def __init__(self, name: str, amount) -> None:
        super().__init__(name)
        _check_amount("l1_unstructured", amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        mask = default_mask.copy()
        k = _n_to_prune("l1_unstructured", self.amount, t.size)
        if k:
            mask.reshape(-1)[_smallest(np.abs(t).reshape(-1), k)] = 0
        return mask


class RandomUnstructured(BasePruningMethod):
    """Prune ``amount`` entries chosen uniformly at random (gradlab's global generator)."""

    def __init__(self, name: str, amount) -> None:
        super().__init__(name)
        _check_amount("random_unstructured", amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        mask = default_mask.copy()
        k = _n_to_prune("random_unstructured", self.amount, t.size)
        if k:
            idx = backend.rng().permutation(t.size)[:k]
            mask.reshape(-1)[idx] = 0
        return mask


class LnStructured(BasePruningMethod):
    """Prune the ``amount`` channels along ``dim`` of smallest L``n`` norm (whole filters for
    ``dim=0`` of a conv weight)."""

    PRUNING_TYPE = "structured"

    def __init__(self, name: str, amount, n, dim: int = -1) -> None:
        super().__init__(name)
        _check_amount("ln_structured", amount)
        self.amount, self.n, self.dim = amount, n, dim

    def compute_mask(self, t, default_mask):
        if t.ndim < 2:
            raise ValueError(f"ln_structured: structured pruning can only be applied to "
                             f"multidimensional tensors; found a tensor of shape "
                             f"{list(t.shape)} with {t.ndim} dims")
        dim = self.dim % t.ndim
        size = t.shape[dim]
        k = _n_to_prune("ln_structured", self.amount, size)
        if k == 0:
            return default_mask.copy()
        flat = np.moveaxis(t, dim, 0).reshape(size, -1)
        norms = np.linalg.norm(flat, ord=self.n, axis=1) if self.n not in ("fro",) else \
            np.sqrt((flat ** 2).sum(1))
        keep = np.argsort(-norms, kind="stable")[:size - k]
        mask = np.zeros_like(default_mask)
        index = [slice(None)] * t.ndim
        index[dim] = keep
        mask[tuple(index)] = 1
        return mask * default_mask


class CustomFromMask(BasePruningMethod):
    """Prune the entries where a given mask is 0."""

    def __init__(self, name: str, mask: np.ndarray) -> None:
        super().__init__(name)
        self.mask = mask

    def compute_mask(self, t, default_mask):
        if self.mask.shape != default_mask.shape:
            raise ValueError(f"custom_from_mask: mask shape {list(self.mask.shape)} does not "
                             f"match the parameter's shape {list(default_mask.shape)}")
        return default_mask * self.mask.astype(default_mask.dtype)


class Identity(BasePruningMethod):
    """A mask of ones: the reparametrization without pruning anything."""

    def compute_mask(self, t, default_mask):
        return default_mask.copy()


def _find_hook(module: Module, name: str) -> tuple[int, BasePruningMethod] | None:
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            return key, hook
    return None


def _restricted_mask(method: BasePruningMethod, t: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Apply ``method`` to the entries (unstructured) or channels (structured) that ``mask``
    still keeps, as PyTorch's PruningContainer does: ``amount`` counts only those."""
    if isinstance(method, (CustomFromMask, Identity)):
        return method.compute_mask(t, mask)
    if method.PRUNING_TYPE == "unstructured":
        keep = mask == 1
        new = mask.copy()
        new[keep] = method.compute_mask(t[keep], mask[keep])
        return new
    dim = method.dim % t.ndim
    other = tuple(i for i in range(t.ndim) if i != dim)
    alive = np.flatnonzero(mask.sum(axis=other) != 0)
    index = [slice(None)] * t.ndim
    index[dim] = alive
    sub = tuple(index)
    new = mask.copy()
    new[sub] = method.compute_mask(t[sub], mask[sub])
    return new


def _apply(method: BasePruningMethod, module: Module, name: str,
           importance_scores: Tensor | None = None) -> Module:
    if not isinstance(module, Module):
        raise TypeError(f"prune: module must be a gradlab.nn.Module, got {type(module).__name__}")
    found = _find_hook(module, name)
    if found is None:
        if name not in module._parameters or module._parameters[name] is None:
            raise AttributeError(f"prune: {type(module).__name__} has no parameter '{name}' "
                                 f"(parameters: {[k for k in module._parameters]})")
        orig = module._parameters[name]
        current = orig.array
    else:
        orig = module._parameters[name + "_orig"]
        current = getattr(module, name).array
    scores = current if importance_scores is None else (
        importance_scores.array if isinstance(importance_scores, Tensor)
        else np.asarray(importance_scores))
    if scores.shape != orig.shape:
        raise ValueError(f"prune: importance_scores shape {list(scores.shape)} should match "
                         f"the parameter '{name}' shape {list(orig.shape)}")
    if found is None:
        default = np.ones(orig.shape, dtype=orig.array.dtype)
        mask = method.compute_mask(scores, default)
        module._parameters.pop(name)
        module.register_parameter(name + "_orig", orig)
        module.register_buffer(name + "_mask", from_numpy(mask.astype(orig.array.dtype)))
        module.register_forward_pre_hook(method)
    else:
        buf = module._buffers[name + "_mask"]
        mask = _restricted_mask(method, scores, buf.array)
        buf.array = mask.astype(orig.array.dtype)
    hook = _find_hook(module, name)[1]
    object.__setattr__(module, name, hook.apply_mask(module))
    return module


def identity(module: Module, name: str) -> Module:
    """Reparametrize ``module.<name>`` with a mask of ones (prunes nothing)."""
    return _apply(Identity(name), module, name)


def random_unstructured(module: Module, name: str, amount) -> Module:
    """Prune ``amount`` randomly chosen entries of ``module.<name>``."""
    return _apply(RandomUnstructured(name, amount), module, name)


def l1_unstructured(module: Module, name: str, amount, importance_scores=None) -> Module:
    """Prune the ``amount`` entries of ``module.<name>`` of smallest |importance score|
    (default: the weight itself, so magnitude pruning)."""
    return _apply(L1Unstructured(name, amount), module, name, importance_scores)


def ln_structured(module: Module, name: str, amount, n, dim: int,
                  importance_scores=None) -> Module:
    """Prune the ``amount`` channels along ``dim`` of smallest L``n`` norm (``dim=0`` of a
    Conv2d weight: whole filters; of a Linear weight: whole output units)."""
    return _apply(LnStructured(name, amount, n, dim), module, name, importance_scores)


def custom_from_mask(module: Module, name: str, mask) -> Module:
    """Prune the entries of ``module.<name>`` where ``mask`` is 0."""
    m = mask.array if isinstance(mask, Tensor) else np.asarray(mask)
    return _apply(CustomFromMask(name, m), module, name)


def global_unstructured(parameters: Iterable[tuple[Module, str]], pruning_method,
                        importance_scores: dict | None = None, **kwargs) -> None:
    """Prune across several tensors at once: the entries with the smallest scores among all
    of ``parameters`` (pairs ``(module, name)``), so layers lose different shares.

    ``pruning_method`` is an unstructured method class (``L1Unstructured``,
    ``RandomUnstructured``) and ``kwargs`` its arguments (``amount=``).
    """
    params = list(parameters)
    if not params:
        raise ValueError("global_unstructured: parameters is empty (expected (module, name) "
                         "pairs)")
    if getattr(pruning_method, "PRUNING_TYPE", None) != "unstructured":
        raise TypeError("global_unstructured: only unstructured methods can be applied "
                        f"globally, got {getattr(pruning_method, '__name__', pruning_method)}")
    importance_scores = importance_scores or {}
    scores, masks = [], []
    for module, name in params:
        t = getattr(module, name)
        s = importance_scores.get((module, name), t)
        scores.append((s.array if isinstance(s, Tensor) else np.asarray(s)).reshape(-1))
        m = module._buffers.get(name + "_mask")
        masks.append(np.ones(t.numel(), t.array.dtype) if m is None else m.array.reshape(-1))
    flat_scores = np.concatenate(scores)
    flat_mask = np.concatenate(masks)
    method = pruning_method("temp", **kwargs)
    final = _restricted_mask(method, flat_scores, flat_mask)
    start = 0
    for module, name in params:
        t = getattr(module, name)
        n = t.numel()
        custom_from_mask(module, name, final[start:start + n].reshape(t.shape))
        start += n


def remove(module: Module, name: str) -> Module:
    """Make the pruning permanent: ``<name>`` becomes a plain Parameter holding
    ``<name>_orig * <name>_mask``; ``<name>_orig``, ``<name>_mask`` and the hook go."""
    found = _find_hook(module, name)
    if found is None:
        raise ValueError(f"Parameter '{name}' of module {type(module).__name__} has to be "
                         "pruned before pruning can be removed")
    key, hook = found
    hook.remove(module)
    del module._forward_pre_hooks[key]
    return module


def is_pruned(module: Module) -> bool:
    """Whether ``module`` or any sub-module carries a pruning mask."""
    return any(isinstance(h, BasePruningMethod)
               for m in module.modules() for h in m._forward_pre_hooks.values())


__all__ = ["BasePruningMethod", "L1Unstructured", "RandomUnstructured", "LnStructured",
           "CustomFromMask", "Identity", "identity", "random_unstructured", "l1_unstructured",
           "ln_structured", "custom_from_mask", "global_unstructured", "remove", "is_pruned"]
