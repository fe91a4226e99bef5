"""Recurrent layers (``torch.nn.RNN``, ``LSTM``, ``GRU``) and their single-step cells.

A layer holds PyTorch's parameters, named and shaped as PyTorch's (``weight_ih_l{k}``,
``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}``, ``_reverse`` for the backward
direction; gate rows LSTM (i, f, g, o), GRU (r, z, n)), so a torch ``state_dict`` loads and gives
the same outputs. Each layer and direction runs over the whole sequence as one autograd
Function of ``gradlab.ops.rnn`` (all-steps input GEMM, one hidden GEMM per step, BPTT written
out). Sources: 004 §2 (RNN §2.1-2.3, IRNN §2.5, LSTM §2.6, GRU §2.8), §3.5 (dropout in RNNs);
003 (RNN).

Beyond PyTorch (keyword-only, off by default): ``variational_dropout=True`` draws one dropout
mask per sequence between layers (locked dropout, Gal & Ghahramani 2016); ``GRU(cho=True)``
applies the reset gate before the hidden matmul (Cho et al. 2014; its own Function,
``GRUChoLayer``); :func:`irnn_init_` gives a ReLU RNN the identity initialization of Le, Jaitly
& Hinton (2015).
"""

from __future__ import annotations

import math

import numpy as np

from .. import creation
from .._device import check_device
from ..functions import cat, stack
from ..ops.rnn import GRUChoLayer, GRULayer, LSTMLayer, RNNLayer
from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter
from .utils.rnn import PackedSequence, _pack_padded, _pad_packed

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _check_dropout(dropout, owner: str = "RNN") -> float:
    if (not isinstance(dropout, (int, float)) or isinstance(dropout, bool)
            or not 0 <= dropout <= 1):
        raise ValueError(f"{owner}: dropout should be a number in range [0, 1] representing "
                         f"the probability of an element being zeroed, got dropout={dropout!r}")
    return float(dropout)


def _check_proj_size(owner: str, mode: str, proj_size, hidden_size: int) -> None:
    """torch's checks of ``proj_size``; a valid non-zero one (LSTM only) is not supported."""
    if not isinstance(proj_size, int) or isinstance(proj_size, bool):
        raise TypeError(f"{owner}: proj_size should be of type int, got: "
                        f"{type(proj_size).__name__}")
    if proj_size < 0:
        raise ValueError(f"{owner}: proj_size should be a positive integer or zero to disable "
                         f"projections, got proj_size={proj_size}")
    if proj_size == 0:
        return
    if proj_size >= hidden_size:
        raise ValueError(f"{owner}: proj_size has to be smaller than hidden_size, got "
                         f"proj_size={proj_size}, hidden_size={hidden_size}")
    if mode != "LSTM":
        raise ValueError(f"{owner}: proj_size argument is only supported for LSTM, not RNN or "
                         f"GRU (got proj_size={proj_size})")
    raise NotImplementedError(f"{owner}: proj_size={proj_size} (projected LSTM) is not "
                              "supported by gradlab; use proj_size=0")


class RNNBase(Module):
    """Common machinery of RNN, LSTM and GRU: parameters, shape checks, layers, directions."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device=None, dtype=None, *,
                 variational_dropout: bool = False, proj_size: int = 0) -> None:
        check_device(device, type(self).__name__)
        super().__init__()
        name = type(self).__name__
        for what, v in (("input_size", input_size), ("hidden_size", hidden_size),
                        ("num_layers", num_layers)):
            if not isinstance(v, int) or isinstance(v, bool):
                raise TypeError(f"{name}: {what} should be of type int, got: "
                                f"{type(v).__name__}")
        if hidden_size <= 0:
            raise ValueError(f"{name}: hidden_size must be greater than zero, got "
                             f"hidden_size={hidden_size}")
        if num_layers <= 0:
            raise ValueError(f"{name}: num_layers must be greater than zero, got "
                             f"num_layers={num_layers}")
        _check_proj_size(name, mode, proj_size, hidden_size)
        self.proj_size = 0
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bias, batch_first
        self.dropout = _check_dropout(dropout, name)
        self.bidirectional = bidirectional
        self.variational_dropout = variational_dropout
        if dropout > 0 and num_layers == 1:
            import warnings

            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=3)
        gates = _GATES[mode] * hidden_size
        dirs = 2 if bidirectional else 1
        self._flat_weights_names = []
        for layer in range(num_layers):
            in_size = input_size if layer == 0 else hidden_size * dirs
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                shapes = [("weight_ih", (gates, in_size)), ("weight_hh", (gates, hidden_size))]
                if bias:
                    shapes += [("bias_ih", (gates,)), ("bias_hh", (gates,))]
                for pname, shape in shapes:
                    setattr(self, pname + sfx, Parameter(creation.empty(*shape, dtype=dtype)))
                    self._flat_weights_names.append(pname + sfx)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's init: every weight and bias U(-1/sqrt(hidden), 1/sqrt(hidden))."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -stdv, stdv)

    @property
    def all_weights(self) -> list:
        return [[getattr(self, n) for n in self._flat_weights_names[i:i + (4 if self.bias else 2)]]
                for i in range(0, len(self._flat_weights_names), 4 if self.bias else 2)]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ------------------------------------------------------------------ checks

    def _check_input(self, x: Tensor) -> None:
        name = type(self).__name__
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {x.shape[-1]}")
        w = self.weight_ih_l0
        if x.dtype != w.dtype:
            raise ValueError(f"{name}: input dtype ({x.dtype}) does not match weight dtype "
                             f"({w.dtype}). Convert input: input.to({w.dtype}), or convert "
                             f"model: model.to({x.dtype})")

    def _check_hidden(self, h: Tensor, expected: tuple, what: str) -> None:
        if tuple(h.shape) != expected:
            raise RuntimeError(f"{type(self).__name__}: Expected {what} size {expected}, got "
                               f"{list(h.shape)}")

    # ------------------------------------------------------------------ the layers

    def _run_layer(self, fn, x, states, layer: int, d: int, batch_sizes):
        sfx = f"_l{layer}" + ("_reverse" if d else "")
        w = [getattr(self, "weight_ih" + sfx), getattr(self, "weight_hh" + sfx)]
        b = ([getattr(self, "bias_ih" + sfx), getattr(self, "bias_hh" + sfx)] if self.bias
             else [None, None])
        kw = {"reverse": bool(d), "batch_sizes": batch_sizes}
        if self.mode.startswith("RNN"):
            kw["nonlinearity"] = "relu" if self.mode == "RNN_RELU" else "tanh"
        return fn.apply(x, *states, *w, *b, **kw)

    def _between_layers(self, out: Tensor) -> Tensor:
        if not (self.training and self.dropout > 0):
            return out
        if not self.variational_dropout:
            return F.dropout(out, self.dropout, True)
        # one mask per sequence, shared by all time steps (source 004 §3.5): dropout of ones
        # of the shape (1, N, features) is the mask, broadcast over time
        mask = F.dropout(creation.ones(1, *out.shape[1:], dtype=out.dtype), self.dropout, True)
        return out * mask

    def _forward(self, input, hx):
        """Shared body; ``hx`` is a tuple of initial states (h0,) or (h0, c0), or None."""
        x, batch_sizes, unbatched = self._time_major_input(input)
        hx = self._initial_states(hx, input, x.shape[1], x.dtype, unbatched)
        output, states = self._run_layers(x, hx, batch_sizes)
        return self._in_input_layout(output, states, input, batch_sizes, unbatched)

    def _time_major_input(self, input) -> tuple:
        """(x, batch_sizes, unbatched): the input as a (T, N, I) tensor (a PackedSequence
        padded, batch_first transposed, an unbatched (T, I) given N = 1) and its packed
        lengths per step (None unless packed)."""
        if isinstance(input, PackedSequence):
            self._check_input(input.data)
            batch_sizes = [int(b) for b in np.asarray(input.batch_sizes.array)]
            return _pad_packed(input.data, batch_sizes), batch_sizes, False
        if input.dim() not in (2, 3):
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got "
                             f"{input.dim()}D instead")
        self._check_input(input)
        unbatched = input.dim() == 2
        if unbatched:
            input = input.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        if input.shape[0] == 0:
            raise RuntimeError(f"{type(self).__name__}: Expected sequence length to be larger "
                               "than 0 in RNN")
        return input, None, unbatched

    def _initial_states(self, hx, input, n: int, dtype, unbatched: bool) -> tuple:
        """The initial states, each (layers * directions, N, H): zeros when ``hx`` is None,
        else ``hx`` checked (and in a packed input's sorted order, or given N = 1)."""
        lstm, name = self.mode == "LSTM", type(self).__name__
        dirs = 2 if self.bidirectional else 1
        expected = (self.num_layers * dirs, n, self.hidden_size)
        if hx is None:
            return tuple(creation.zeros(*expected, dtype=dtype) for _ in range(2 if lstm else 1))
        packed = isinstance(input, PackedSequence)
        if packed and input.sorted_indices is not None:
            hx = tuple(h.index_select(1, input.sorted_indices) for h in hx)
        if unbatched:
            if any(h.dim() != 2 for h in hx):
                got = ", ".join(f"{h.dim()}-D" for h in hx)
                if lstm:
                    raise RuntimeError(f"{name}: For unbatched 2-D input, hx and cx should also be "
                                       f"2-D but got ({got}) tensors")
                raise RuntimeError(f"{name}: For unbatched 2-D input, hx should also be 2-D but "
                                   f"got {got} tensor")
            hx = tuple(h.unsqueeze(1) for h in hx)
        elif not packed and any(h.dim() != 3 for h in hx):
            got = ", ".join(f"{h.dim()}-D" for h in hx)
            if lstm:
                raise RuntimeError(f"{name}: For batched 3-D input, hx and cx should also be 3-D "
                                   f"but got ({got}) tensors")
            raise RuntimeError(f"{name}: For batched 3-D input, hx should also be 3-D but got "
                               f"{got} tensor")
        for k, h in enumerate(hx):
            self._check_hidden(h, expected, f"hidden[{k}]" if lstm else "hidden")
            if h.dtype != dtype:
                raise RuntimeError(f"{name}: hx dtype {h.dtype} does not match the input and "
                                   f"weight dtype {dtype} (mat1 and mat2 must have the same "
                                   "dtype)")
        return hx

    def _run_layers(self, x: Tensor, hx: tuple, batch_sizes) -> tuple:
        """(output, states): the layers in turn, both directions of each on the previous
        layer's (concatenated) output, dropout between layers; states stacked like ``hx``."""
        fn = {"LSTM": LSTMLayer, "GRU": GRUChoLayer if getattr(self, "cho", False)
              else GRULayer}.get(self.mode, RNNLayer)
        dirs = 2 if self.bidirectional else 1
        finals = [[] for _ in hx]
        for layer in range(self.num_layers):
            if layer > 0:
                x = self._between_layers(x)
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                res = self._run_layer(fn, x, [h[k] for h in hx], layer, d, batch_sizes)
                outs.append(res[0])
                for s, f in zip(res[1:], finals):
                    f.append(s)
            x = outs[0] if dirs == 1 else cat(outs, dim=2)
        return x, tuple(stack(f, 0) for f in finals)

    def _in_input_layout(self, output: Tensor, states: tuple, input, batch_sizes,
                         unbatched: bool) -> tuple:
        """(output, states) back in the input's layout: packed (states in the caller's batch
        order), unbatched or batch first."""
        if batch_sizes is not None:
            packed = PackedSequence(_pack_padded(output, batch_sizes), input.batch_sizes,
                                    input.sorted_indices, input.unsorted_indices)
            if input.unsorted_indices is not None:
                states = tuple(s.index_select(1, input.unsorted_indices) for s in states)
            return packed, states
        if unbatched:
            return output.squeeze(1), tuple(s.squeeze(1) for s in states)
        return (output.transpose(0, 1) if self.batch_first else output), states

    def flatten_parameters(self) -> None:
        """Does nothing, as torch's off the GPU: torch packs the weights into one cuDNN buffer
        there; gradlab's weights are already what its kernels read. Kept so code written for
        CUDA (``self.lstm.flatten_parameters()`` at the top of ``forward``) runs unchanged."""
        return None


class RNN(RNNBase):
    """Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act = tanh or relu.

    Source 004 §2.1-2.3. Layer k > 0 takes the (concatenated, for bidirectional) outputs of
    layer k - 1, with dropout p between layers in training.

    Shape: input (L, N, H_in), (N, L, H_in) with batch_first, (L, H_in) unbatched, or a
    PackedSequence; h_0 (D * num_layers, N, H_out) -> output (L, N, D * H_out) (or batch first,
    or packed), h_n (D * num_layers, N, H_out); D = 2 if bidirectional else 1.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None, dtype=None, *,
                 variational_dropout: bool = False, proj_size: int = 0) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"{type(self).__name__}: Unknown nonlinearity '{nonlinearity}'. "
                             "Select from 'tanh' or 'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype, variational_dropout=variational_dropout,
                         proj_size=proj_size)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx: Tensor | None = None):
        output, (h_n,) = self._forward(input, None if hx is None else (hx,))
        return output, h_n


class LSTM(RNNBase):
    """Long short-term memory (Hochreiter & Schmidhuber 1997; source 004 §2.6).

    i, f, o = sigma(x W_i*^T + b_i* + h_{t-1} W_h*^T + b_h*), g = tanh(same),
    c_t = f * c_{t-1} + i * g, h_t = o * tanh(c_t); gate rows (i, f, g, o) as PyTorch's.

    Shape: input as RNN; (h_0, c_0) each (D * num_layers, N, H_out) -> output
    (L, N, D * H_out), (h_n, c_n) each (D * num_layers, N, H_out). ``proj_size`` is checked
    as torch checks it; a non-zero one (a projected LSTM) raises NotImplementedError.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None, dtype=None, *,
                 variational_dropout: bool = False) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device=device, dtype=dtype,
                         variational_dropout=variational_dropout, proj_size=proj_size)

    def forward(self, input, hx: tuple | None = None):
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise RuntimeError("LSTM: hx must be a tuple (h_0, c_0) of two tensors")
        output, (h_n, c_n) = self._forward(input, None if hx is None else tuple(hx))
        return output, (h_n, c_n)


class GRU(RNNBase):
    """Gated recurrent unit (Cho et al. 2014; source 004 §2.8), PyTorch's form by default:

    r, z = sigma(x W_i*^T + b_i* + h_{t-1} W_h*^T + b_h*),
    n = tanh(x W_in^T + b_in + r * (h_{t-1} W_hn^T + b_hn)), h_t = (1 - z) * n + z * h_{t-1}.

    ``cho=True`` (beyond PyTorch): the original form, the reset gate applied to h before the
    hidden matmul, n = tanh(x W_in^T + b_in + (r * h_{t-1}) W_hn^T + b_hn), as source 004 §2.8
    writes it (the source's z is this 1 - z: h_t = (1 - z) h_{t-1} + z n there; relabelling the
    gate is a sign flip of its weights). Same parameters, different function.

    Shape: as RNN.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device=None, dtype=None, *, cho: bool = False,
                 variational_dropout: bool = False, proj_size: int = 0) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device=device, dtype=dtype,
                         variational_dropout=variational_dropout, proj_size=proj_size)
        self.cho = cho

    def extra_repr(self) -> str:
        return super().extra_repr() + (", cho=True" if self.cho else "")

    def forward(self, input, hx: Tensor | None = None):
        output, (h_n,) = self._forward(input, None if hx is None else (hx,))
        return output, h_n


def irnn_init_(module: RNN, scale: float = 1.0, input_std: float = 0.001) -> RNN:
    """IRNN init (Le, Jaitly & Hinton 2015; source 004 §2.5): recurrent weights ``scale * I``,
    biases 0, input weights N(0, input_std^2); for ReLU RNNs, so that at the start the state is
    carried unchanged and gradients neither vanish nor explode through time.

    Works on an ``RNN`` (all layers and directions) or an ``RNNCell``; returns the module.
    """
    for name, p in module.named_parameters():
        if "weight_hh" in name:
            init.eye_(p)
            if scale != 1.0:
                init._fill(p, p.array * scale)
        elif "weight_ih" in name:
            init.normal_(p, 0.0, input_std)
        elif "bias" in name:
            init.zeros_(p)
    return module


# ---------------------------------------------------------------------------- cells


class RNNCellBase(Module):
    """One time step; parameters ``weight_ih`` (G H, I), ``weight_hh`` (G H, H), biases (G H,)."""

    _gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device=None, dtype=None) -> None:
        check_device(device, type(self).__name__)
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        g = self._gates * hidden_size
        self.weight_ih = Parameter(creation.empty(g, input_size, dtype=dtype))
        self.weight_hh = Parameter(creation.empty(g, hidden_size, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(creation.empty(g, dtype=dtype))
            self.bias_hh = Parameter(creation.empty(g, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, input: Tensor, hx: tuple | None, n_states: int):
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input has inconsistent input_size: got "
                               f"{input.shape[-1]} expected {self.input_size}")
        if input.dtype != self.weight_ih.dtype:
            raise RuntimeError(f"{name}: input dtype {input.dtype} does not match weight dtype "
                               f"{self.weight_ih.dtype} (mat1 and mat2 must have the same "
                               "dtype)")
        unbatched = input.dim() == 1
        if unbatched:
            input = input.unsqueeze(0)
        n = input.shape[0]
        if hx is None:
            hx = tuple(creation.zeros(n, self.hidden_size, dtype=input.dtype)
                       for _ in range(n_states))
        else:
            if unbatched:
                hx = tuple(h.unsqueeze(0) if h.dim() == 1 else h for h in hx)
            for k, h in enumerate(hx):
                if h.dim() != 2:
                    raise RuntimeError(f"{name}: Expected hidden{k} to be "
                                       f"{1 if unbatched else 2}D, got {h.dim()}D instead")
                if h.shape[0] != n:
                    raise RuntimeError(f"{name}: Input batch size {n} doesn't match "
                                       f"hidden{k} batch size {h.shape[0]}")
                if h.dtype != input.dtype:
                    raise RuntimeError(f"{name}: hidden{k} dtype {h.dtype} does not match the "
                                       f"input dtype {input.dtype} (mat1 and mat2 must have "
                                       "the same dtype)")
                if h.shape[1] != self.hidden_size:
                    raise RuntimeError(f"{name}: hidden{k} has inconsistent hidden_size: got "
                                       f"{h.shape[1]}, expected {self.hidden_size}")
        b = [self.bias_ih, self.bias_hh]
        return input.unsqueeze(0), hx, [self.weight_ih, self.weight_hh, *b], unbatched


class RNNCell(RNNCellBase):
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act = tanh or relu.

    Shape: input (N, H_in) or (H_in,); hidden (N, H_out) or (H_out,) -> h' like hidden.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"RNNCell: Unknown nonlinearity: {nonlinearity} (expected 'tanh' "
                               "or 'relu')")
        super().__init__(input_size, hidden_size, bias, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, hx, w, unb = self._prepare(input, None if hx is None else (hx,), 1)
        _, h = RNNLayer.apply(x, *hx, *w, nonlinearity=self.nonlinearity)
        return h.squeeze(0) if unb else h


class LSTMCell(RNNCellBase):
    """One LSTM step (gates i, f, g, o): c' = f * c + i * g, h' = o * tanh(c').

    Shape: input (N, H_in) or (H_in,); (h, c) each (N, H_out) -> (h', c') the same.
    """

    _gates = 4

    def forward(self, input: Tensor, hx: tuple | None = None) -> tuple:
        x, hx, w, unb = self._prepare(input, None if hx is None else tuple(hx), 2)
        _, h, c = LSTMLayer.apply(x, *hx, *w)
        return (h.squeeze(0), c.squeeze(0)) if unb else (h, c)


class GRUCell(RNNCellBase):
    """One GRU step in PyTorch's form: n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn)),
    h' = (1 - z) * n + z * h.

    Shape: input (N, H_in) or (H_in,); hidden (N, H_out) or (H_out,) -> h' like hidden.
    """

    _gates = 3

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, hx, w, unb = self._prepare(input, None if hx is None else (hx,), 1)
        _, h = GRULayer.apply(x, *hx, *w)
        return h.squeeze(0) if unb else h
