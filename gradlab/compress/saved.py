"""Loading what ``gradlab compress`` saved: the compressed model back as a working module."""

from __future__ import annotations

import json
import os

from .. import nn
from ..io import load
from ._util import replace_layers
from .lowrank import factorize_conv2d, factorize_linear
from .pruning import dense_state_dict
from .quantize import QuantizedConv2d, QuantizedLinear, qparams_from_range


def _quantized_shell(layer: nn.Module, activation: str) -> nn.Module:
    """A Quantized* layer of ``layer``'s shape; its buffers are then loaded from the file."""
    qp = qparams_from_range(-1.0, 1.0, activation)
    cls = QuantizedLinear if isinstance(layer, nn.Linear) else QuantizedConv2d
    return cls(layer, qp, qp)


def load_compressed(path: str | os.PathLike, model: nn.Module | None = None) -> nn.Module:
    """The model of a file written by ``gradlab compress`` (pruned, int8 or low-rank).

    ``model``: the float architecture to fill (default: rebuilt from the file's metadata, the
    ``gradlab train`` model and data set it came from). Pruned weights get their zeros back;
    int8 files give the model with its ``QuantizedLinear`` / ``QuantizedConv2d`` layers (the
    integer inference path); low-rank files the factorized layers with the saved ranks.
    Returns the model in eval mode. Raises ValueError for a file without that metadata.
    """
    state, meta = load(path, with_metadata=True)
    text = (meta or {}).get("gradlab.compress")
    if text is None:
        raise ValueError(f"load_compressed: {os.fspath(path)} was not written by gradlab "
                         "compress (no 'gradlab.compress' metadata)")
    info = json.loads(text)
    if model is None:
        from ..train.recipes import build_model

        model = build_model(info["model"], info["data"], int(info.get("classes", 10)))
    method = info.get("method")
    if method == "prune":
        state = dense_state_dict(state)
    elif method == "quantize":
        names = {k[:-len(".weight_scale")] for k in state if k.endswith(".weight_scale")}
        activation = info.get("activation", "uint8")
        replace_layers(model, lambda name, m: _quantized_shell(m, activation)
                       if name in names else None)
    elif method == "lowrank":
        ranks, scheme = info["ranks"], info.get("scheme", "channel")

        def shell(name, m):
            if name not in ranks:
                return None
            if isinstance(m, nn.Linear):
                return factorize_linear(m, rank=ranks[name])
            return factorize_conv2d(m, rank=ranks[name], scheme=scheme)
        replace_layers(model, shell)
    else:
        raise ValueError(f"load_compressed: unknown method {method!r} in {os.fspath(path)}")
    model.load_state_dict(state)
    return model.eval()
