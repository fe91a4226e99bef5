"""Pruning a whole model: magnitude pruning to a target sparsity (global or per layer, one shot
or in steps with fine-tuning between them), structured pruning that physically removes
filters / units, kernel sparsification by an L1 penalty, and a per-layer sparsity report.

Source 003 "model acceleration": pruning removes by ratio the weights closest to 0 (a mask, then
fine-tuning, then export); kernel sparsification induces sparsity during training with a
regularizer so that pruning can follow. Masks are :mod:`gradlab.nn.utils.prune`'s, so they stay
applied while the pruned model trains.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import nn
from ..nn.utils import l1_penalty, prune
from ..tensor import Tensor, from_numpy

#: the layer types whose weights are pruned by default
PRUNABLE = (nn.Linear, nn.Conv2d, nn.Conv1d)


def prunable_layers(model: nn.Module, types: tuple = PRUNABLE) -> list[tuple[str, nn.Module]]:
    """The (name, module) pairs of ``model`` whose ``weight`` is pruned: Linear and Conv
    layers by default, in registration order."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, types)]


def _check_fraction(fn: str, name: str, value: float) -> None:
    if not isinstance(value, (int, float)) or not 0.0 <= float(value) < 1.0:
        raise ValueError(f"{fn}: {name} must be a fraction in [0, 1), got {value!r}")


def _current_zeros(layers) -> int:
    return sum(int((m.weight.array == 0).sum()) for _, m in layers)


def magnitude_prune(model: nn.Module, amount: float, scope: str = "global",
                    types: tuple = PRUNABLE) -> nn.Module:
    """Prune the smallest-magnitude weights of every Linear / Conv layer so that a share
    ``amount`` of those weights is zero (biases are kept).

    ``scope="global"`` ranks all weights together (layers lose different shares, the big
    fully-connected ones most); ``scope="layer"`` prunes ``amount`` of each layer. Weights
    already zero-masked count toward the target, so calling this again with a larger amount
    continues the schedule. The masks are ``weight_mask`` buffers (see
    :mod:`gradlab.nn.utils.prune`); :func:`remove_masks` bakes them in.
    """
    _check_fraction("magnitude_prune", "amount", amount)
    if scope not in ("global", "layer"):
        raise ValueError(f"magnitude_prune: scope must be 'global' or 'layer', got {scope!r}")
    layers = prunable_layers(model, types)
    if not layers:
        raise ValueError(f"magnitude_prune: {type(model).__name__} has no layer of type "
                         f"{', '.join(t.__name__ for t in types)} to prune")
    if scope == "layer":
        for _, m in layers:
            n = m.weight.numel()
            masked = n - int(m.weight_mask.array.sum()) if prune.is_pruned(m) else 0
            prune.l1_unstructured(m, "weight", amount=max(round(amount * n) - masked, 0))
        return model
    total = sum(m.weight.numel() for _, m in layers)
    masked = sum(m.weight.numel() - int(m.weight_mask.array.sum())
                 for _, m in layers if prune.is_pruned(m))
    prune.global_unstructured([(m, "weight") for _, m in layers], prune.L1Unstructured,
                              amount=max(round(amount * total) - masked, 0))
    return model


def iterative_prune(model: nn.Module, amount: float, steps: int,
                    finetune: Callable[[nn.Module, int], None] | None = None,
                    scope: str = "global") -> list[float]:
    """Prune to ``amount`` in ``steps`` rounds, calling ``finetune(model, step)`` after each
    round so the remaining weights adapt before the next cut.

    The sparsity after round i is s_i = 1 - (1 - amount)^(i / steps): each round removes the
    same share of the surviving weights, and the last round lands exactly on ``amount``.
    Returns the sparsity reached after each round.
    """
    _check_fraction("iterative_prune", "amount", amount)
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"iterative_prune: steps must be a positive int, got {steps!r}")
    reached = []
    for i in range(1, steps + 1):
        target = amount if i == steps else 1 - (1 - amount) ** (i / steps)
        magnitude_prune(model, target, scope)
        if finetune is not None:
            finetune(model, i)
        reached.append(sparsity_report(model).sparsity)
    return reached


def remove_masks(model: nn.Module) -> nn.Module:
    """Bake every pruning mask into its weight (``prune.remove`` on each pruned tensor)."""
    for m in model.modules():
        for hook in list(m._forward_pre_hooks.values()):
            if isinstance(hook, prune.BasePruningMethod):
                prune.remove(m, hook._tensor_name)
    return model


def l1_sparsity_penalty(model: nn.Module, strength: float, types: tuple = PRUNABLE) -> Tensor:
    """strength * Σ|w| over the weights of the Linear / Conv layers: added to the loss during
    training it drives weights to exactly 0 (kernel sparsification, source 003), so a later
    magnitude pruning costs less accuracy. Call it after the forward pass (a pruned layer's
    effective weight is recomputed there)."""
    if strength < 0:
        raise ValueError(f"l1_sparsity_penalty: strength must be >= 0, got {strength}")
    return l1_penalty([m.weight for _, m in prunable_layers(model, types)]) * strength


def with_l1_penalty(loss_fn: Callable, model: nn.Module, strength: float) -> Callable:
    """``loss_fn(out, y) + strength * Σ|w|``: a loss for :class:`gradlab.train.Trainer` that
    sparsifies the model's kernels while it trains."""
    def loss(out, target):
        return loss_fn(out, target) + l1_sparsity_penalty(model, strength)
    return loss


@dataclass
class LayerSparsity:
    name: str
    kind: str
    params: int
    zeros: int

    @property
    def sparsity(self) -> float:
        return self.zeros / self.params if self.params else 0.0


@dataclass
class SparsityReport:
    """Per-layer zero counts of the weights; ``str()`` is a table."""

    layers: list[LayerSparsity]

    @property
    def params(self) -> int:
        return sum(r.params for r in self.layers)

    @property
    def zeros(self) -> int:
        return sum(r.zeros for r in self.layers)

    @property
    def sparsity(self) -> float:
        return self.zeros / self.params if self.params else 0.0

    def __str__(self) -> str:
        width = max([len(r.name) for r in self.layers] + [5])
        lines = [f"{'layer':<{width}}  {'type':<8} {'weights':>9} {'zeros':>9} {'sparsity':>8}"]
        for r in self.layers:
            lines.append(f"{r.name:<{width}}  {r.kind:<8} {r.params:>9,} {r.zeros:>9,} "
                         f"{r.sparsity:>8.1%}")
        lines.append(f"{'total':<{width}}  {'':<8} {self.params:>9,} {self.zeros:>9,} "
                     f"{self.sparsity:>8.1%}")
        return "\n".join(lines)


def sparsity_report(model: nn.Module, types: tuple = PRUNABLE) -> SparsityReport:
    """Weights and zeros of each Linear / Conv layer (the effective, masked weight)."""
    rows = []
    for name, m in prunable_layers(model, types):
        w = m.weight.array
        rows.append(LayerSparsity(name, type(m).__name__, int(w.size), int((w == 0).sum())))
    return SparsityReport(rows)


# ----------------------------------------------------------------------------- structured


def _chain(model: nn.Module) -> list[tuple[str, nn.Module, list[nn.Module]]]:
    """Linear / Conv2d layers in order, each with the BatchNorms that follow it before the
    next such layer."""
    out: list = []
    for name, m in model.named_modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            out.append((name, m, []))
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) and out:
            out[-1][2].append(m)
    return out


def _keep_channels(weight: np.ndarray, amount: float, n) -> np.ndarray:
    size = weight.shape[0]
    k = min(round(amount * size), size - 1)
    norms = np.linalg.norm(weight.reshape(size, -1), ord=n, axis=1)
    return np.sort(np.argsort(-norms, kind="stable")[:size - k])


def prune_channels_(model: nn.Module, amount: float, n=2) -> dict[str, int]:
    """Remove the share ``amount`` of output channels (conv filters, linear units) of smallest
    L``n`` norm from every Linear / Conv2d layer but the last, and the matching input channels
    of the layer after it, so the model physically shrinks (fewer parameters and FLOPs).

    The model must be a chain: each layer feeds the next one in registration order, possibly
    through activations, pooling, flattening and BatchNorm (whose statistics are sliced too),
    as LeNet, VGG and MLPs are; residual nets are not. Returns the new channel count per
    layer name.
    """
    _check_fraction("prune_channels_", "amount", amount)
    chain = _chain(model)
    if len(chain) < 2:
        raise ValueError(f"prune_channels_: {type(model).__name__} needs at least two "
                         f"Linear / Conv2d layers in a chain, found {len(chain)}")
    for name, m, _ in chain:
        if prune.is_pruned(m):
            raise ValueError(f"prune_channels_: layer '{name}' carries a pruning mask; call "
                             "remove_masks(model) first")
        if isinstance(m, nn.Conv2d) and m.groups != 1:
            raise ValueError(f"prune_channels_: layer '{name}' is a grouped conv (groups="
                             f"{m.groups}); only groups=1 can be shrunk")
    sizes = {}
    for (name, layer, bns), (next_name, nxt, _) in zip(chain[:-1], chain[1:]):
        out = layer.weight.shape[0]
        n_in = nxt.weight.shape[1]
        if n_in % out:
            raise ValueError(f"prune_channels_: '{next_name}' takes {n_in} inputs, not a "
                             f"multiple of the {out} outputs of '{name}': the model is not a "
                             "chain of these layers")
        keep = _keep_channels(layer.weight.array, amount, n)
        layer.weight = nn.Parameter(layer.weight.array[keep].copy())
        if layer.bias is not None:
            layer.bias = nn.Parameter(layer.bias.array[keep].copy())
        if isinstance(layer, nn.Linear):
            layer.out_features = len(keep)
        else:
            layer.out_channels = len(keep)
        for bn in bns:
            if bn.num_features != out:
                raise ValueError(f"prune_channels_: a BatchNorm after '{name}' has "
                                 f"{bn.num_features} features, expected {out}")
            for key in ("weight", "bias"):
                if bn._parameters.get(key) is not None:
                    setattr(bn, key, nn.Parameter(bn._parameters[key].array[keep].copy()))
            for key in ("running_mean", "running_var"):
                if bn._buffers.get(key) is not None:
                    bn._buffers[key] = from_numpy(bn._buffers[key].array[keep].copy())
            bn.num_features = len(keep)
        w = nxt.weight.array
        per = n_in // out  # spatial positions per channel when a conv feeds a Linear
        cols = (keep[:, None] * per + np.arange(per)[None, :]).reshape(-1)
        nxt.weight = nn.Parameter(np.ascontiguousarray(w[:, cols]))
        if isinstance(nxt, nn.Linear):
            nxt.in_features = len(cols)
        else:
            nxt.in_channels = len(cols)
        sizes[name] = len(keep)
    return sizes


def count_parameters(model: nn.Module) -> int:
    """Number of parameter entries (the masked entries of a pruned model included)."""
    return sum(p.numel() for p in model.parameters())



# ----------------------------------------------------------------------------- sparse storage


def sparse_state_dict(state: dict, min_sparsity: float = 0.5) -> dict:
    """A pruned model's state for storage: each floating tensor with at least ``min_sparsity``
    zeros becomes ``<key>.values`` (its non-zeros, in order), ``<key>.mask`` (one bit per entry,
    ``np.packbits``) and ``<key>.shape``; other tensors stay as they are. The inverse is
    :func:`dense_state_dict`. With 80% zeros a float32 weight takes 0.2 + 1/32 of its bytes."""
    out: dict = {}
    for k, v in state.items():
        a = v.array if isinstance(v, Tensor) else np.asarray(v)
        if a.dtype.kind == "f" and a.size and (a == 0).mean() >= min_sparsity:
            nz = a != 0
            out[f"{k}.values"] = np.ascontiguousarray(a[nz])
            out[f"{k}.mask"] = np.packbits(nz.reshape(-1))
            out[f"{k}.shape"] = np.asarray(a.shape, np.int64)
        else:
            out[k] = a
    return out


def dense_state_dict(sparse: dict) -> dict:
    """Undo :func:`sparse_state_dict`: ``{key: ndarray}`` with the zeros back in place."""
    out: dict = {}
    for k, v in sparse.items():
        a = v.array if isinstance(v, Tensor) else np.asarray(v)
        if k.endswith(".values"):
            base = k[:-len(".values")]
            shape = tuple(int(s) for s in np.asarray(
                getattr(sparse[f"{base}.shape"], "data", sparse[f"{base}.shape"])))
            n = int(np.prod(shape))
            bits = getattr(sparse[f"{base}.mask"], "data", sparse[f"{base}.mask"])
            nz = np.unpackbits(np.asarray(bits))[:n].astype(bool)
            dense = np.zeros(n, a.dtype)
            dense[nz] = a
            out[base] = dense.reshape(shape)
        elif not (k.endswith(".mask") or k.endswith(".shape")):
            out[k] = a
    return out
