"""Reference recurrent models for the three sequence patterns of source 004 §2.2 and a
character-level language model: sequence to class, synchronous sequence to sequence (a label
per step), asynchronous sequence to sequence (encoder-decoder), next-character prediction.

All take batch-first inputs: token ids (N, L) int64 when built with ``vocab_size`` (an
``nn.Embedding`` comes first), or features (N, L, input_size) when built with ``input_size``
(the recurrent layer's ``W_ih`` is then the input projection). ``cell`` picks ``nn.LSTM``,
``nn.GRU`` or ``nn.RNN`` (tanh); training is BPTT through the layer (source 004 §2.3).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import backend, nn
from ..autograd import no_grad
from ..functions import cat
from ..nn.utils.rnn import pack_padded_sequence
from ..tensor import Tensor, from_numpy

_CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


def _recurrent(cell: str, input_size: int, hidden_size: int, num_layers: int, dropout: float,
               bidirectional: bool = False) -> nn.Module:
    if cell not in _CELLS:
        raise ValueError(f"unknown cell {cell!r} (choose from {', '.join(_CELLS)})")
    return _CELLS[cell](input_size, hidden_size, num_layers, batch_first=True,
                        dropout=dropout if num_layers > 1 else 0.0,
                        bidirectional=bidirectional)


def _front(who: str, vocab_size: int | None, input_size: int | None,
           embedding_dim: int | None) -> tuple[nn.Module, int]:
    """The input stage: an Embedding for token ids, or nothing for feature vectors."""
    if (vocab_size is None) == (input_size is None):
        raise ValueError(f"{who}: give exactly one of vocab_size (token-id inputs) and "
                         f"input_size (feature inputs), got vocab_size={vocab_size}, "
                         f"input_size={input_size}")
    if vocab_size is not None:
        if embedding_dim is None:
            raise ValueError(f"{who}: embedding_dim is needed with vocab_size")
        return nn.Embedding(vocab_size, embedding_dim), embedding_dim
    return nn.Identity(), input_size


def _last_hidden(h_n: Tensor, bidirectional: bool) -> Tensor:
    """The top layer's final hidden state (N, D * H): both directions' concatenated."""
    if bidirectional:
        return cat([h_n[-2], h_n[-1]], dim=1)
    return h_n[-1]


def _hidden_of(state) -> Tensor:
    return state[0] if isinstance(state, tuple) else state


class SequenceClassifier(nn.Module):
    """Sequence to class (source 004 §2.2, first pattern): read the whole sequence, classify it
    from the final hidden state.

    ``logits = W_out h_L + b_out`` with ``h_L`` the top layer's state after the last step (for
    ``bidirectional``, ``[h_L(forward); h_1(backward)]``). With ``lengths``, the batch is packed
    so each sequence's state is taken after its own last step and padding is never read.

    Shape: x (N, L) int64 (with ``vocab_size``) or (N, L, input_size); lengths (N,) ->
    logits (N, num_classes).
    """

    def __init__(self, num_classes: int, *, vocab_size: int | None = None,
                 input_size: int | None = None, embedding_dim: int | None = None,
                 hidden_size: int = 64, num_layers: int = 1, cell: str = "lstm",
                 bidirectional: bool = False, dropout: float = 0.0) -> None:
        super().__init__()
        self.embed, rnn_in = _front("SequenceClassifier", vocab_size, input_size,
                                    embedding_dim)
        self.rnn = _recurrent(cell, rnn_in, hidden_size, num_layers, dropout, bidirectional)
        self.bidirectional = bidirectional
        self.fc = nn.Linear(hidden_size * (2 if bidirectional else 1), num_classes)

    def forward(self, x: Tensor, lengths=None) -> Tensor:
        e = self.embed(x)
        if lengths is not None:
            e = pack_padded_sequence(e, lengths, batch_first=True, enforce_sorted=False)
        _, state = self.rnn(e)
        return self.fc(_last_hidden(_hidden_of(state), self.bidirectional))


class SequenceTagger(nn.Module):
    """Synchronous sequence to sequence (source 004 §2.2, second pattern): one label per step,
    ``logits_t = W_out h_t + b_out``; with ``bidirectional``, ``h_t`` is the forward and
    backward states at step t concatenated, so each label sees the whole sequence.

    Shape: x (N, L) int64 (with ``vocab_size``) or (N, L, input_size) -> logits
    (N, L, num_tags); for ``F.cross_entropy`` flatten to (N * L, num_tags).
    """

    def __init__(self, num_tags: int, *, vocab_size: int | None = None,
                 input_size: int | None = None, embedding_dim: int | None = None,
                 hidden_size: int = 64, num_layers: int = 1, cell: str = "lstm",
                 bidirectional: bool = False, dropout: float = 0.0) -> None:
        super().__init__()
        self.embed, rnn_in = _front("SequenceTagger", vocab_size, input_size, embedding_dim)
        self.rnn = _recurrent(cell, rnn_in, hidden_size, num_layers, dropout, bidirectional)
        self.fc = nn.Linear(hidden_size * (2 if bidirectional else 1), num_tags)

    def forward(self, x: Tensor) -> Tensor:
        out, _ = self.rnn(self.embed(x))
        return self.fc(out)


class Seq2Seq(nn.Module):
    """Asynchronous sequence to sequence (source 004 §2.2, third pattern; Sutskever, Vinyals &
    Le 2014; Cho et al. 2014): an encoder RNN reads the source, its final state (h, and c for
    an LSTM) initialises a decoder RNN that emits the target one token at a time.

    Training uses teacher forcing: the decoder reads the true previous tokens ``tgt_in``
    (the target shifted right behind a start token) and predicts
    ``p(y_t | y_<t, x) = softmax(W_out s_t + b_out)``. :meth:`greedy_decode` feeds back its
    own arg-max instead, ``y_t = argmax p(. | y_<t, x)``, starting from ``start_token``.

    Shape: src (N, S) int64, tgt_in (N, T) int64 -> logits (N, T, tgt_vocab);
    greedy_decode -> tokens (N, max_len) int64 (the start token not included).
    """

    def __init__(self, src_vocab: int, tgt_vocab: int, embedding_dim: int = 32,
                 hidden_size: int = 64, num_layers: int = 1, cell: str = "lstm",
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.src_embed = nn.Embedding(src_vocab, embedding_dim)
        self.tgt_embed = nn.Embedding(tgt_vocab, embedding_dim)
        self.encoder = _recurrent(cell, embedding_dim, hidden_size, num_layers, dropout)
        self.decoder = _recurrent(cell, embedding_dim, hidden_size, num_layers, dropout)
        self.fc = nn.Linear(hidden_size, tgt_vocab)
        self.tgt_vocab = tgt_vocab

    def encode(self, src: Tensor):
        """The encoder's final state: h_n (num_layers, N, H), or (h_n, c_n) for an LSTM."""
        _, state = self.encoder(self.src_embed(src))
        return state

    def forward(self, src: Tensor, tgt_in: Tensor) -> Tensor:
        out, _ = self.decoder(self.tgt_embed(tgt_in), self.encode(src))
        return self.fc(out)

    def greedy_decode(self, src: Tensor, max_len: int, start_token: int) -> Tensor:
        """Decode ``max_len`` tokens, each the arg-max given the ones before (no gradient)."""
        if max_len < 1:
            raise ValueError(f"Seq2Seq.greedy_decode: max_len must be >= 1, got {max_len}")
        with no_grad():
            state = self.encode(src)
            tok = np.full((src.shape[0], 1), int(start_token), dtype=np.int64)
            steps = []
            for _ in range(max_len):
                out, state = self.decoder(self.tgt_embed(from_numpy(tok)), state)
                tok = self.fc(out).array.argmax(-1)
                steps.append(tok)
        return from_numpy(np.concatenate(steps, axis=1).astype(np.int64))


class CharLM(nn.Module):
    """Character-level language model (source 004 §2.2, synchronous pattern with the input
    shifted by one; Karpathy's char-rnn): ``p(x_{t+1} | x_<=t) = softmax(W_out h_t + b_out)``.

    :meth:`sample` draws text with a temperature ``T > 0`` dividing the logits:
    ``p_i = exp(z_i / T) / sum_j exp(z_j / T)``. ``T = 1`` samples the model's distribution,
    ``T < 1`` sharpens it (``T -> 0`` tends to the arg-max), ``T > 1`` flattens it toward
    uniform.

    Shape: x (N, L) int64 -> logits (N, L, vocab_size) and the final state (h_n, or
    (h_n, c_n) for an LSTM, each (num_layers, N, H)).
    """

    def __init__(self, vocab_size: int, embedding_dim: int = 32, hidden_size: int = 128,
                 num_layers: int = 1, cell: str = "lstm", dropout: float = 0.0) -> None:
        super().__init__()
        self.vocab_size = vocab_size
        self.embed = nn.Embedding(vocab_size, embedding_dim)
        self.rnn = _recurrent(cell, embedding_dim, hidden_size, num_layers, dropout)
        self.fc = nn.Linear(hidden_size, vocab_size)

    def forward(self, x: Tensor, state=None):
        out, state = self.rnn(self.embed(x), state)
        return self.fc(out), state

    def sample(self, start: int | Sequence[int] | Tensor, length: int,
               temperature: float = 1.0, generator: backend.Generator | None = None) -> Tensor:
        """Draw ``length`` tokens after the prompt ``start``, each from
        ``softmax(logits / temperature)`` given everything before it (no gradient).

        ``start``: a token id, a sequence of ids (L0,), or a batch of prompts (N, L0).
        Returns int64 (length,) for a single prompt, (N, length) for a batch; the prompt is
        not included. The same ``generator`` state gives the same text.
        """
        if not temperature > 0:
            raise ValueError(f"CharLM.sample: temperature must be > 0, got {temperature}")
        if length < 1:
            raise ValueError(f"CharLM.sample: length must be >= 1, got {length}")
        prompt = np.asarray(start.array if isinstance(start, Tensor) else start, dtype=np.int64)
        single = prompt.ndim < 2
        prompt = prompt.reshape(1, -1) if single else prompt
        if prompt.shape[1] == 0:
            raise ValueError("CharLM.sample: the prompt needs at least one token")
        if prompt.min() < 0 or prompt.max() >= self.vocab_size:
            raise ValueError(f"CharLM.sample: prompt tokens must lie in [0, "
                             f"{self.vocab_size}), got {prompt.min()}..{prompt.max()}")
        rng = backend.rng(generator)
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                logits, state = self(from_numpy(prompt))
                z = logits.array[:, -1]
                drawn = []
                for _ in range(length):
                    # in float64 so that a small T cannot overflow exp
                    z = z.astype(np.float64) / temperature
                    p = np.exp(z - z.max(axis=1, keepdims=True))
                    cdf = np.cumsum(p, axis=1)
                    u = rng.random((len(cdf), 1)) * cdf[:, -1:]
                    tok = np.minimum((cdf < u).sum(axis=1), self.vocab_size - 1)[:, None]
                    drawn.append(tok)
                    logits, state = self(from_numpy(tok.astype(np.int64)), state)
                    z = logits.array[:, -1]
        finally:
            self.train(was_training)
        out = np.concatenate(drawn, axis=1).astype(np.int64)
        return from_numpy(out[0] if single else out)
