"""Variable-length sequences (``torch.nn.utils.rnn``): padding and PyTorch's packed layout.

A :class:`PackedSequence` stores a batch of sequences of different lengths time step by time
step: ``data`` (sum of lengths, *) holds step 0 of every sequence, then step 1 of every
sequence still running, and so on; ``batch_sizes[t]`` says how many sequences are running at
step t. The sequences are sorted longest first (``sorted_indices`` maps sorted positions to
the caller's batch order, ``unsorted_indices`` back). ``nn.RNN``/``LSTM``/``GRU`` accept it:
each step then updates only its running sequences, so padded steps neither change a state nor
receive gradient, and ``h_n`` is each sequence's state after its own last step.

Shape: padded (T, N, *) or (N, T, *) with ``batch_first``; packed data (sum(lengths), *).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ...autograd import ArrayFunction
from ...tensor import Tensor, from_numpy


class PackedSequence(NamedTuple):
    """A packed batch: ``data`` (sum(lengths), *), ``batch_sizes`` (T,) int64,
    ``sorted_indices`` / ``unsorted_indices`` (N,) int64 or None when the caller's batch was
    already sorted by decreasing length."""

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None


def _positions(batch_sizes, n: int) -> np.ndarray:
    """Flat positions t * n + i, in packed order, of the running rows in a (T, n) grid."""
    bs = np.asarray(batch_sizes, dtype=np.intp)
    steps = np.repeat(np.arange(len(bs)), bs)
    starts = np.repeat(np.cumsum(bs) - bs, bs)
    return steps * n + (np.arange(int(bs.sum())) - starts)


class _PadPacked(ArrayFunction):
    """Packed data (S, *) -> padded time-major (T, N, *), ``value`` where padded."""

    # d(padded)/d(data): the gradient at each packed row's position
    @staticmethod
    def forward(ctx, data, *, batch_sizes, total_length: int, value: float = 0.0):
        n = int(batch_sizes[0])
        pos = _positions(batch_sizes, n)
        out = np.full((total_length * n, *data.shape[1:]), value, dtype=data.dtype)
        out[pos] = data
        ctx.pos = pos
        return out.reshape(total_length, n, *data.shape[1:])

    @staticmethod
    def backward(ctx, g):
        return g.reshape(-1, *g.shape[2:])[ctx.pos]


class _PackPadded(ArrayFunction):
    """Padded time-major (T, N, *) -> packed data (S, *)."""

    # d(data)/d(padded): scatter back to the packed rows' positions, zero elsewhere
    @staticmethod
    def forward(ctx, x, *, batch_sizes):
        T, n = x.shape[:2]
        pos = _positions(batch_sizes, n)
        ctx.pos, ctx.shape = pos, x.shape
        return np.ascontiguousarray(x.reshape(T * n, *x.shape[2:])[pos])

    @staticmethod
    def backward(ctx, g):
        out = np.zeros((ctx.shape[0] * ctx.shape[1], *ctx.shape[2:]), dtype=g.dtype)
        out[ctx.pos] = g
        return out.reshape(ctx.shape)


def _pad_packed(data: Tensor, batch_sizes, total_length: int | None = None,
                value: float = 0.0) -> Tensor:
    bs = [int(b) for b in batch_sizes]
    return _PadPacked.apply(data, batch_sizes=bs, total_length=total_length or len(bs),
                            value=value)


def _pack_padded(x: Tensor, batch_sizes) -> Tensor:
    return _PackPadded.apply(x[:len(batch_sizes)], batch_sizes=[int(b) for b in batch_sizes])


def _lengths(lengths) -> np.ndarray:
    if isinstance(lengths, Tensor):
        lengths = lengths.array
    return np.asarray(lengths, dtype=np.int64).reshape(-1)


def _long(a) -> Tensor:
    return from_numpy(np.asarray(a, dtype=np.int64))


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (T, N, *) (or (N, T, *) with ``batch_first``) of sequences with the
    given lengths. With ``enforce_sorted`` the lengths must be decreasing; otherwise the batch
    is sorted here and ``sorted_indices``/``unsorted_indices`` remember the order.

    Shape: input (T, N, *) -> PackedSequence with data (sum(lengths), *).
    """
    lengths = _lengths(lengths)
    bdim = 0 if batch_first else 1
    n, T = input.shape[bdim], input.shape[1 - bdim]
    if len(lengths) != n:
        raise ValueError(f"pack_padded_sequence: got {len(lengths)} lengths for a batch of "
                         f"{n} sequences (input shape {list(input.shape)}, "
                         f"batch_first={batch_first})")
    if enforce_sorted:
        if np.any(lengths[:-1] < lengths[1:]):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                               "`enforce_sorted` is True. You can pass `enforce_sorted=False` "
                               "to pack_padded_sequence and/or pack_sequence to sidestep this "
                               "requirement if you do not need ONNX exportability.")
        sorted_idx = unsorted_idx = None
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_idx, unsorted_idx = _long(order), _long(np.argsort(order))
        input = input.index_select(bdim, sorted_idx)
        lengths = lengths[order]
    if np.any(lengths <= 0):
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if lengths.max() > T:
        raise RuntimeError(f"pack_padded_sequence: a length of {lengths.max()} exceeds the "
                           f"{T} time steps of the input (shape {list(input.shape)}, "
                           f"batch_first={batch_first})")
    if batch_first:
        input = input.transpose(0, 1)
    batch_sizes = (lengths[None, :] > np.arange(lengths.max())[:, None]).sum(1)
    data = _pack_padded(input, batch_sizes)
    return PackedSequence(data, _long(batch_sizes), sorted_idx, unsorted_idx)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Inverse of :func:`pack_padded_sequence`: the padded batch in the caller's order and the
    lengths (int64).

    Shape: data (S, *) -> (T, N, *) (or (N, T, *) with ``batch_first``), lengths (N,);
    T = ``total_length`` if given.
    """
    bs = [int(b) for b in np.asarray(sequence.batch_sizes.array)]
    T = len(bs)
    if total_length is not None:
        if total_length < T:
            raise ValueError("Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {T}")
        T = total_length
    padded = _pad_packed(sequence.data, bs, T, padding_value)
    lengths = (np.asarray(bs)[None, :] > np.arange(bs[0])[:, None]).sum(1)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices.array]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, _long(lengths)


class _PadSequence(ArrayFunction):
    """Sequences (L_i, *) -> one padded (L_max, N, *) array."""

    # d(padded)/d(seq_i): seq_i's slice of the gradient
    @staticmethod
    def forward(ctx, *seqs, padding_value: float = 0.0, left: bool = False):
        L = max(s.shape[0] for s in seqs)
        out = np.full((L, len(seqs), *seqs[0].shape[1:]), padding_value,
                      dtype=np.result_type(*seqs))
        spans = []
        for i, s in enumerate(seqs):
            a = L - s.shape[0] if left else 0
            out[a:a + s.shape[0], i] = s
            spans.append((a, a + s.shape[0]))
        ctx.spans = spans
        return out

    @staticmethod
    def backward(ctx, g):
        return tuple(g[a:b, i] for i, (a, b) in enumerate(ctx.spans))


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack sequences of different lengths into one padded tensor.

    Shape: sequences each (L_i, *) -> (L_max, N, *), or (N, L_max, *) with ``batch_first``.
    """
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    seqs = list(sequences) if not isinstance(sequences, Tensor) else list(sequences.unbind(0))
    if not seqs:
        raise RuntimeError("received an empty list of sequences")
    trail = tuple(seqs[0].shape[1:])
    for i, s in enumerate(seqs):
        if tuple(s.shape[1:]) != trail:
            raise RuntimeError(f"pad_sequence: sequence {i} has shape {list(s.shape)}; all "
                               f"sequences must share the trailing shape {list(trail)}")
    out = _PadSequence.apply(*seqs, padding_value=padding_value,
                             left=padding_side == "left")
    return out.transpose(0, 1) if batch_first else out


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences (L_i, *) (pad, then :func:`pack_padded_sequence`)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths,
                                enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list:
    """Split a padded batch back into its sequences (L_i, *)."""
    lengths = _lengths(lengths)
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [x[i, :int(n)] for i, n in enumerate(lengths)]
