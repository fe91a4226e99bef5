"""The samplers: gradlab.multinomial (with and without replacement), Categorical, Normal and
Bernoulli sampling. Statistical tests run at a fixed seed (deterministic) and can fail: 20,000
draws per row, Pearson's chi-square statistic below the 0.999 quantile for its degrees of
freedom; without replacement no repeats per row and the first two draws distributed as
sequential draws (first p_j, second sum_i p_i p_j / (1 - p_i)); sample means and standard
deviations within 4 standard errors. Then reproducibility under gradlab.manual_seed and a
Generator, shapes and dtypes against torch, and the argument errors (torch's exception types,
its messages inside gradlab's)."""

import math

import numpy as np
import pytest
import torch

import gradlab
import gradlab.distributions as D

N = 20_000

#: the 0.999 quantile of the chi-square distribution with df degrees of freedom
#: (scipy.stats.chi2.ppf(0.999, df))
CHI2_999 = {1: 10.828, 2: 13.816, 3: 16.266, 4: 18.467, 5: 20.515, 6: 22.458, 7: 24.322}


def assert_frequencies(draws: np.ndarray, probs: np.ndarray, what: str) -> None:
    """Categories of probability 0 never drawn; Pearson's chi-square over the others below
    the 0.999 quantile."""
    probs = np.asarray(probs, dtype=np.float64) / np.sum(probs)
    counts = np.bincount(draws.ravel(), minlength=probs.size)
    assert counts.size == probs.size, f"{what}: drew category {counts.size - 1}"
    assert counts[probs == 0].sum() == 0, f"{what}: drew a category of probability 0: {counts}"
    nz = probs > 0
    expected = draws.size * probs[nz]
    stat = float(((counts[nz] - expected) ** 2 / expected).sum())
    df = int(nz.sum()) - 1
    if df == 0:
        return
    assert stat < CHI2_999[df], (f"{what}: chi-square {stat:.1f} >= {CHI2_999[df]} (df {df}); "
                                 f"counts {counts.tolist()}, expected {expected.round().tolist()}")


WEIGHTS = np.array([[1.0, 0.0, 2.0, 0.0, 7.0],
                    [0.0, 0.0, 0.0, 0.0, 1.0],      # one possible category, the last
                    [3.0, 1.0, 4.0, 1.0, 5.0],
                    [1e-30, 2e-30, 0.0, 0.0, 0.0]], dtype=np.float32)   # tiny but positive


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_multinomial_with_replacement_frequencies(dtype):
    gradlab.manual_seed(0)
    draws = gradlab.multinomial(gradlab.tensor(WEIGHTS.astype(dtype)), N, True)
    assert tuple(draws.shape) == (4, N) and draws.dtype == gradlab.int64
    for r, w in enumerate(WEIGHTS):
        assert_frequencies(draws.array[r], w, f"row {r}")
    one = gradlab.tensor(WEIGHTS[2].astype(dtype)).multinomial(N, replacement=True)
    assert tuple(one.shape) == (N,)
    assert_frequencies(one.array, WEIGHTS[2], "1-D input")


def test_multinomial_with_replacement_keeps_rows_apart():
    """Many rows, each with weight on two categories of its own: every draw lies in its row's
    support (the one-searchsorted-for-all-rows shift must not leak into a neighbour row),
    including rows whose only weight is on the last or the first category."""
    rows, k = 3000, 7
    r = np.arange(rows)
    w = np.zeros((rows, k), dtype=np.float64)
    w[r, r % k] = 1.0
    w[r, (r + 3) % k] = (r % 5).astype(np.float64)       # 0 for every fifth row
    gradlab.manual_seed(1)
    draws = gradlab.multinomial(gradlab.tensor(w), 50, True).array
    picked = np.take_along_axis(w, draws, axis=1)
    assert (picked > 0).all()
    only_one = r % 5 == 0
    assert (draws[only_one] == (r[only_one] % k)[:, None]).all()


class _AlmostOne:
    """A stand-in for the NumPy generator whose uniforms are all the largest double below 1."""

    def random(self, shape):
        return np.full(shape, np.nextafter(1.0, 0.0))


def test_multinomial_uniform_next_to_one_draws_the_last_non_zero_category():
    """u + r can round up to r + 1 (the end of row r's shifted CDF); the draw must still be the
    row's last category of non-zero weight, not one past the row."""
    g = gradlab.Generator()
    g.rng = _AlmostOne()
    w = gradlab.tensor([[1.0, 1.0, 0.0]] * 3 + [[0.0, 2.0, 3.0]])
    np.testing.assert_array_equal(gradlab.multinomial(w, 2, True, generator=g).array,
                                  [[1, 1], [1, 1], [1, 1], [2, 2]])


def _sequential_second_draw(p: np.ndarray) -> np.ndarray:
    """P(second draw = j) without replacement: sum over i != j of p_i p_j / (1 - p_i)."""
    pair = p[:, None] * p[None, :] / (1 - p[:, None])
    np.fill_diagonal(pair, 0.0)
    return pair.sum(axis=0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_multinomial_without_replacement(dtype):
    w = np.array([4.0, 0.0, 1.0, 2.0, 0.5, 2.5])
    gradlab.manual_seed(2)
    draws = gradlab.multinomial(gradlab.tensor(np.tile(w, (N, 1)).astype(dtype)), 3).array
    assert draws.shape == (N, 3) and draws.dtype == np.int64
    srt = np.sort(draws, axis=1)
    assert (np.diff(srt, axis=1) > 0).all(), "a category drawn twice in one row"
    p = w / w.sum()
    assert_frequencies(draws[:, 0], p, "first draw")
    assert_frequencies(draws[:, 1], _sequential_second_draw(p), "second draw")


def test_multinomial_all_categories_without_replacement_is_a_permutation():
    gradlab.manual_seed(3)
    draws = gradlab.multinomial(gradlab.ones(500, 6) + gradlab.rand(500, 6), 6).array
    assert (np.sort(draws, axis=1) == np.arange(6)).all()
    one = gradlab.multinomial(gradlab.tensor([1.0, 2.0, 3.0]), 3).array
    assert sorted(one.tolist()) == [0, 1, 2]


def test_categorical_sample_frequencies_per_batch_member():
    probs = np.array([[0.1, 0.2, 0.3, 0.4], [0.7, 0.0, 0.0, 0.3]], dtype=np.float32)
    gradlab.manual_seed(4)
    s = D.Categorical(probs=gradlab.tensor(probs)).sample((N,))
    assert tuple(s.shape) == (N, 2) and s.dtype == gradlab.int64
    for b in range(2):
        assert_frequencies(s.array[:, b], probs[b], f"batch member {b}")
    gradlab.manual_seed(4)
    s = D.Categorical(logits=gradlab.tensor(np.log(probs[0]))).sample((100, 200))
    assert tuple(s.shape) == (100, 200)
    assert_frequencies(s.array, probs[0], "from logits")


def test_normal_sample_mean_and_std_within_four_standard_errors():
    loc = np.array([1.0, -2.0, 0.0], dtype=np.float32)
    scale = np.array([0.5, 3.0, 1e-3], dtype=np.float32)
    d = D.Normal(gradlab.tensor(loc), gradlab.tensor(scale))
    gradlab.manual_seed(5)
    for x in (d.sample((N,)), d.rsample((N,))):
        assert tuple(x.shape) == (N, 3) and x.dtype == gradlab.float32
        m, s = x.array.astype(np.float64).mean(0), x.array.astype(np.float64).std(0)
        assert (np.abs(m - loc) < 4 * scale / math.sqrt(N)).all(), m
        assert (np.abs(s - scale) < 4 * scale / math.sqrt(2 * N)).all(), s


def test_bernoulli_sample_frequencies_within_four_standard_errors():
    p = np.array([0.1, 0.5, 0.9, 0.0, 1.0])
    gradlab.manual_seed(6)
    x = D.Bernoulli(gradlab.tensor(p)).sample((N,))
    assert tuple(x.shape) == (N, 5) and x.dtype == gradlab.float64
    assert set(np.unique(x.array).tolist()) <= {0.0, 1.0}
    assert (np.abs(x.array.mean(0) - p) <= 4 * np.sqrt(p * (1 - p) / N)).all(), x.array.mean(0)
    y = D.Bernoulli(logits=gradlab.tensor([2.0])).sample((N,))
    q = 1 / (1 + math.exp(-2.0))
    assert abs(float(y.array.mean()) - q) < 4 * math.sqrt(q * (1 - q) / N)


SAMPLERS = [
    ("multinomial_replacement", lambda: gradlab.multinomial(gradlab.tensor(WEIGHTS), 7, True)),
    ("multinomial", lambda: gradlab.multinomial(gradlab.tensor(WEIGHTS[[0, 2]]), 3)),
    ("categorical", lambda: D.Categorical(logits=gradlab.zeros(3, 5)).sample((4,))),
    ("normal", lambda: D.Normal(gradlab.zeros(3), 1.0).sample((4,))),
    ("normal_rsample", lambda: D.Normal(gradlab.zeros(3), 1.0).rsample((4,))),
    ("bernoulli", lambda: D.Bernoulli(gradlab.full((3,), 0.5)).sample((4,))),
]


@pytest.mark.parametrize("draw", [pytest.param(f, id=n) for n, f in SAMPLERS])
def test_samples_repeat_under_manual_seed(draw):
    gradlab.manual_seed(123)
    a = draw().array.copy()
    b = draw().array.copy()
    gradlab.manual_seed(123)
    np.testing.assert_array_equal(draw().array, a)
    assert not np.array_equal(a, b), "two draws in a row gave the same values"
    gradlab.manual_seed(124)
    assert not np.array_equal(draw().array, a)


def test_multinomial_generator_argument():
    w = gradlab.tensor(WEIGHTS[[0, 2]])
    a = gradlab.multinomial(w, 3, generator=gradlab.Generator().manual_seed(9))
    gradlab.manual_seed(0)
    before = gradlab.get_rng_state()
    b = w.multinomial(3, generator=gradlab.Generator().manual_seed(9))
    np.testing.assert_array_equal(a.array, b.array)
    assert gradlab.get_rng_state()["bit_generator"] == before["bit_generator"]


@pytest.mark.parametrize("shape, n, replacement", [((5,), 3, False), ((5,), 8, True),
                                                   ((4, 5), 2, False), ((4, 5), 9, True),
                                                   ((0, 5), 2, True), ((4, 5), 5, False)])
def test_multinomial_shape_and_dtype_match_torch(shape, n, replacement):
    w = np.random.default_rng(0).uniform(0.1, 1, shape).astype(np.float32)
    g = gradlab.multinomial(gradlab.tensor(w, requires_grad=True), n, replacement)
    t = torch.multinomial(torch.tensor(w, requires_grad=True), n, replacement)
    assert tuple(g.shape) == tuple(t.shape)
    assert g.array.dtype == t.numpy().dtype == np.int64
    assert g.requires_grad is t.requires_grad is False


def _raise(fn, lib):
    try:
        fn(lib)
    except Exception as exc:  # noqa: BLE001  (the type is what is compared)
        return exc
    raise AssertionError(f"{lib.__name__} raised nothing")


#: (name, call, torch's message is in gradlab's): same exception type as torch
MULTINOMIAL_ERRORS = [
    ("negative", lambda m: m.multinomial(m.tensor([1.0, -2.0, 0.0]), 1), True),
    ("inf", lambda m: m.multinomial(m.tensor([1.0, math.inf]), 1, True), True),
    ("nan", lambda m: m.multinomial(m.tensor([[1.0, 2.0], [math.nan, 0.0]]), 1), True),
    ("all_zero", lambda m: m.multinomial(m.tensor([0.0, 0.0]), 1, True), True),
    ("all_zero_row", lambda m: m.multinomial(m.tensor([[1.0, 1.0], [0.0, 0.0]]), 1), True),
    ("three_dims", lambda m: m.multinomial(m.ones(2, 2, 2), 1), True),
    ("zero_dims", lambda m: m.multinomial(m.tensor(1.0), 1), True),
    ("integer_weights", lambda m: m.multinomial(m.tensor([1, 2]), 1), False),
    ("zero_samples", lambda m: m.multinomial(m.tensor([1.0, 2.0]), 0), True),
    ("negative_samples", lambda m: m.multinomial(m.tensor([1.0, 2.0]), -1), True),
    ("more_than_categories", lambda m: m.multinomial(m.tensor([1.0, 2.0]), 3), True),
    ("no_categories", lambda m: m.multinomial(m.ones(3, 0), 1, True), False),
    ("float_samples", lambda m: m.multinomial(m.tensor([1.0, 2.0]), 1.5), True),
    ("bool_samples", lambda m: m.multinomial(m.tensor([1.0, 2.0]), True), True),
    ("int_replacement", lambda m: m.multinomial(m.tensor([1.0, 2.0]), 1, replacement=2), True),
    ("int_generator", lambda m: m.multinomial(m.tensor([1.0, 2.0]), 1, generator=3), False),
    ("list_input", lambda m: m.multinomial([1.0, 2.0], 1), False),
]


@pytest.mark.parametrize("call, same_words", [pytest.param(c, s, id=n)
                                              for n, c, s in MULTINOMIAL_ERRORS])
def test_multinomial_errors_match_torch(call, same_words):
    te, ge = _raise(call, torch), _raise(call, gradlab)
    assert type(ge) is type(te), f"gradlab raised {type(ge).__name__}: {ge}; torch {te!r}"
    if same_words:
        assert str(te) in str(ge), f"gradlab said {ge}; torch {te}"
    assert "multinomial" in str(ge)


def test_multinomial_without_replacement_needs_enough_non_zero_weights():
    """torch's documentation requires num_samples <= the non-zero weights of every row without
    replacement (its CPU kernel does not check, and fills with zero-weight categories); gradlab
    raises, naming the row."""
    with pytest.raises(RuntimeError, match=r"cannot sample 3 samples without replacement from 2 "
                                           r"categories of non-zero probability \(row 1\)"):
        gradlab.multinomial(gradlab.tensor([[1.0, 1.0, 1.0], [1.0, 0.0, 2.0]]), 3)
    with pytest.raises(RuntimeError, match="at row 1, element 0: nan"):
        gradlab.multinomial(gradlab.tensor([[1.0, 2.0], [math.nan, 0.0]]), 1)
