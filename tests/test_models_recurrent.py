"""gradlab.models.recurrent: shapes and behaviour of the sequence-pattern models, temperature
sampling, state_dict round trips, and a seeded copy-task convergence test."""

from __future__ import annotations

import numpy as np
import pytest

import gradlab
import gradlab.nn.functional as F
from gradlab import nn
from gradlab.datasets import copy_task
from gradlab.models import CharLM, Seq2Seq, SequenceClassifier, SequenceTagger
from gradlab.optim import Adam


def _tokens(shape, high, seed=0):
    return gradlab.randint(0, high, shape, generator=gradlab.Generator().manual_seed(seed))


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_classifier_and_tagger_shapes(cell, bidirectional):
    gradlab.manual_seed(0)
    x = _tokens((4, 7), 11)
    clf = SequenceClassifier(3, vocab_size=11, embedding_dim=8, hidden_size=16, cell=cell,
                             bidirectional=bidirectional, num_layers=2)
    assert clf(x).shape == (4, 3)
    tag = SequenceTagger(5, input_size=6, hidden_size=16, cell=cell,
                         bidirectional=bidirectional)
    assert tag(gradlab.randn(4, 7, 6)).shape == (4, 7, 5)
    assert clf(x).dtype == gradlab.float32


def test_classifier_lengths_read_each_sequence_up_to_its_own_end():
    gradlab.manual_seed(0)
    clf = SequenceClassifier(3, vocab_size=11, embedding_dim=8, hidden_size=16,
                             bidirectional=True)
    x = _tokens((3, 6), 11)
    lengths = [4, 6, 2]
    batched = clf(x, lengths=lengths).detach().numpy()
    for i, n in enumerate(lengths):
        alone = clf(x[i:i + 1, :n]).detach().numpy()
        np.testing.assert_allclose(batched[i:i + 1], alone, rtol=1e-5, atol=1e-6)
    # padding is never read
    y = x.clone()
    y[2, 2:] = 0
    again = clf(y, lengths=lengths).detach().numpy()
    np.testing.assert_allclose(again, batched, rtol=1e-6, atol=1e-7)


def test_tagger_bidirectional_labels_see_the_future_and_unidirectional_do_not():
    gradlab.manual_seed(0)
    x = gradlab.randn(2, 5, 3)
    late = x.clone()
    late[:, 4] += 1.0
    uni = SequenceTagger(4, input_size=3, hidden_size=8)
    bi = SequenceTagger(4, input_size=3, hidden_size=8, bidirectional=True)
    np.testing.assert_array_equal(uni(x).detach().numpy()[:, :4], uni(late).detach().numpy()[:, :4])
    assert not np.allclose(bi(x).detach().numpy()[:, 0], bi(late).detach().numpy()[:, 0])


def test_front_end_errors():
    with pytest.raises(ValueError, match="SequenceClassifier: give exactly one of vocab_size"):
        SequenceClassifier(3, vocab_size=5, input_size=4, embedding_dim=2)
    with pytest.raises(ValueError, match="SequenceTagger: give exactly one of vocab_size"):
        SequenceTagger(3)
    with pytest.raises(ValueError, match="SequenceTagger: embedding_dim is needed"):
        SequenceTagger(3, vocab_size=5)
    with pytest.raises(ValueError, match="unknown cell 'lstmm' \\(choose from lstm, gru, rnn\\)"):
        CharLM(5, cell="lstmm")


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_seq2seq_teacher_forcing_and_greedy_decoding_agree(cell):
    gradlab.manual_seed(0)
    model = Seq2Seq(10, 12, embedding_dim=8, hidden_size=16, num_layers=2, cell=cell).eval()
    src = _tokens((5, 7), 10)
    assert model(src, _tokens((5, 4), 12, 1)).shape == (5, 4, 12)
    greedy = model.greedy_decode(src, 6, start_token=11)
    assert greedy.shape == (5, 6) and greedy.dtype == gradlab.int64
    # fed back as the teacher-forced input, the greedy tokens are each step's arg-max
    tgt_in = gradlab.cat([gradlab.full((5, 1), 11, dtype=gradlab.int64), greedy[:, :-1]], 1)
    with gradlab.no_grad():
        forced = model(src, tgt_in).argmax(-1).numpy()
    np.testing.assert_array_equal(forced, greedy.numpy())
    with pytest.raises(ValueError, match="greedy_decode: max_len must be >= 1, got 0"):
        model.greedy_decode(src, 0, 11)


def test_seq2seq_encoder_state_reaches_the_decoder():
    gradlab.manual_seed(0)
    model = Seq2Seq(10, 12, embedding_dim=8, hidden_size=16)
    tgt_in = _tokens((2, 3), 12, 1)
    a = model(_tokens((2, 5), 10, 2), tgt_in).detach().numpy()
    b = model(_tokens((2, 5), 10, 3), tgt_in).detach().numpy()
    assert not np.allclose(a, b)
    out = model(_tokens((2, 5), 10, 2), tgt_in)
    out.sum().backward()
    assert float(np.abs(model.encoder.weight_hh_l0.grad.detach().numpy()).sum()) > 0


def _argmax_rollout(model: CharLM, prompt: list[int], length: int) -> list[int]:
    tokens, out = list(prompt), []
    with gradlab.no_grad():
        for _ in range(length):
            logits, _ = model(gradlab.tensor([tokens]))
            tokens.append(int(logits[0, -1].argmax().item()))
            out.append(tokens[-1])
    return out


def test_char_lm_shapes_and_sampling_reproducible_with_a_generator():
    gradlab.manual_seed(0)
    model = CharLM(9, embedding_dim=8, hidden_size=16, cell="gru")
    logits, h = model(_tokens((3, 5), 9))
    assert logits.shape == (3, 5, 9) and h.shape == (1, 3, 16)
    a = model.sample([1, 2], 30, temperature=1.0, generator=gradlab.Generator().manual_seed(7))
    b = model.sample([1, 2], 30, temperature=1.0, generator=gradlab.Generator().manual_seed(7))
    c = model.sample([1, 2], 30, temperature=1.0, generator=gradlab.Generator().manual_seed(8))
    assert a.shape == (30,) and a.dtype == gradlab.int64
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(a.numpy(), c.numpy())
    batch = model.sample(gradlab.tensor([[1, 2], [3, 4]]), 6, generator=gradlab.Generator())
    assert batch.shape == (2, 6) and 0 <= batch.numpy().min() and batch.numpy().max() < 9
    assert model.training  # sample switches to eval and back


def test_char_lm_low_temperature_is_the_argmax():
    gradlab.manual_seed(0)
    model = CharLM(9, embedding_dim=8, hidden_size=16)
    greedy = _argmax_rollout(model, [3], 25)
    for seed in range(3):
        s = model.sample(3, 25, temperature=1e-4, generator=gradlab.Generator().manual_seed(seed))
        assert s.tolist() == greedy


@pytest.mark.parametrize("temperature", [0.5, 1.0, 2.0])
def test_char_lm_sampling_frequencies_follow_softmax_of_logits_over_t(temperature):
    gradlab.manual_seed(0)
    model = CharLM(6, embedding_dim=4, hidden_size=8)
    with gradlab.no_grad():
        model.fc.weight.mul_(8.0)  # a peaked distribution, so temperature matters
        z = model(gradlab.tensor([[2]]))[0][0, -1].detach().numpy().astype(np.float64)
    p = np.exp(z / temperature - (z / temperature).max())
    p /= p.sum()
    n = 20000
    draws = model.sample(gradlab.full((n, 1), 2, dtype=gradlab.int64), 1, temperature,
                         generator=gradlab.Generator().manual_seed(1)).detach().numpy()[:, 0]
    freq = np.bincount(draws, minlength=6) / n
    # 5 standard errors of a binomial proportion
    np.testing.assert_allclose(freq, p, atol=5 * np.sqrt(p * (1 - p) / n).max() + 1e-3)


def test_char_lm_sample_errors():
    model = CharLM(5, embedding_dim=4, hidden_size=8)
    with pytest.raises(ValueError, match="temperature must be > 0, got 0"):
        model.sample(1, 3, temperature=0)
    with pytest.raises(ValueError, match="length must be >= 1, got 0"):
        model.sample(1, 0)
    with pytest.raises(ValueError, match=r"prompt tokens must lie in \[0, 5\), got 1..7"):
        model.sample([1, 7], 3)
    with pytest.raises(ValueError, match="at least one token"):
        model.sample([], 3)


@pytest.mark.parametrize("make", [
    lambda: SequenceClassifier(3, vocab_size=7, embedding_dim=4, hidden_size=8,
                               bidirectional=True),
    lambda: SequenceTagger(3, vocab_size=7, embedding_dim=4, hidden_size=8, cell="gru"),
    lambda: Seq2Seq(7, 7, embedding_dim=4, hidden_size=8, cell="rnn"),
    lambda: CharLM(7, embedding_dim=4, hidden_size=8, num_layers=2),
], ids=["classifier", "tagger", "seq2seq", "charlm"])
def test_state_dict_round_trip(make):
    gradlab.manual_seed(0)
    a = make().eval()
    gradlab.manual_seed(1)
    b = make().eval()
    x = _tokens((2, 5), 7)

    def run(m):
        out = m(x, x) if isinstance(m, Seq2Seq) else m(x)
        return (out[0] if isinstance(out, tuple) else out).detach().numpy()

    assert not np.allclose(run(a), run(b))
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(run(a), run(b))
    assert sorted(a.state_dict()) == sorted(b.state_dict())


def test_gru_tagger_learns_the_copy_task():
    """Seeded: a GRU tagger (hidden 32, Adam 1e-2, clip 1.0, 600 steps of 32) copies 3 of 8
    symbols across a delay of 3: measured per-symbol test accuracy 0.807, chance 0.125."""
    gradlab.manual_seed(0)
    threads = gradlab.get_num_threads()
    gradlab.set_num_threads(1)  # small GEMMs; a second BLAS thread thrashes on a busy machine
    try:
        gen = gradlab.Generator().manual_seed(0)
        task = dict(seq_len=3, delay=3, n_symbols=8, generator=gen)
        xte, yte = copy_task(500, **task)
        model = SequenceTagger(10, vocab_size=10, embedding_dim=16, hidden_size=32, cell="gru")
        opt = Adam(model.parameters(), lr=1e-2)
        for _ in range(600):
            x, y = copy_task(32, **task)
            loss = F.cross_entropy(model(x).reshape(-1, 10), y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        with gradlab.no_grad():
            pred = model(xte).argmax(-1).detach().numpy()[:, -3:]
    finally:
        gradlab.set_num_threads(threads)
    acc = float((pred == yte.detach().numpy()[:, -3:]).mean())
    assert acc > 0.65, f"per-symbol accuracy {acc:.3f} (chance 0.125)"
