"""gradlab.distributions against torch.distributions: log_prob, entropy, mean/variance/stddev,
the normalised parameters, and the gradients of all of them w.r.t. probs/logits/loc/scale
(same inputs in both libraries, float32 and float64, the oracle's tolerances) plus a float64
finite-difference gradcheck of each; Normal.rsample's gradient through loc + eps * scale with
the eps gradlab drew; sample/batch/event shapes and dtypes; argument and value errors (torch's
exception types and messages); a REINFORCE step whose gradient equals torch's for the same
weights and sampled actions. The samplers' statistics are in test_distributions_sampling.py."""

import math

import numpy as np
import pytest
import torch
from oracle import Const, Float, Row, assert_same, cases, check_row, fd_cases, gradcheck_row

import gradlab
import gradlab.distributions as D


def cat_p(fn):
    return lambda m, p, *rest: fn(m.distributions.Categorical(probs=p), *rest)


def cat_l(fn):
    return lambda m, lg, *rest: fn(m.distributions.Categorical(logits=lg), *rest)


def bern_p(fn):
    return lambda m, p, *rest: fn(m.distributions.Bernoulli(probs=p), *rest)


def bern_l(fn):
    return lambda m, lg, *rest: fn(m.distributions.Bernoulli(logits=lg), *rest)


def normal(fn):
    return lambda m, loc, scale, *rest: fn(m.distributions.Normal(loc, scale), *rest)


def log_prob(d, v):
    return d.log_prob(v)


def entropy(d):
    return d.entropy()


NO_GRAD = "no gradient: these outputs are constants (NaN) or piecewise constant (the mode)"

PROBS = Float((3, 4), lo=0.1, hi=2.0)          # unnormalised weights
LOGITS = Float((3, 4), lo=-3.0, hi=3.0)
# a category of probability 0 (logit -inf): log_prob of the others and the entropy stay finite
# (torch's entropy gradient on that row is NaN where |upstream| > 1: the clamped logit
# times the upstream overflows to -inf, then 0 * -inf in softmax's backward; gradlab's too)
NEG_INF = Float(values=[[-math.inf, 0.3, -1.2], [0.5, -math.inf, 2.0]])
IDX = Const([[0, 3, 1], [2, 2, 0]])            # (2, 3) against batch (3,): broadcasts
UNIT = Float((2, 3), lo=0.05, hi=0.95)
BITS = Float(values=[[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]], grad=False)
LOC = Float((3,), lo=-2.0, hi=2.0)
SCALE = Float((2, 1), lo=0.5, hi=2.0)
VALUE = Float((4, 2, 3), lo=-3.0, hi=3.0)

ROWS = [
    Row("categorical_probs_log_prob", cat_p(log_prob), (PROBS, IDX)),
    Row("categorical_logits_log_prob", cat_l(log_prob), (LOGITS, IDX)),
    Row("categorical_logits_log_prob_1d", cat_l(log_prob), (Float((5,)), Const([[4], [0]]))),
    Row("categorical_probs_entropy", cat_p(entropy), (PROBS,)),
    Row("categorical_logits_entropy", cat_l(entropy), (LOGITS,)),
    Row("categorical_neg_inf_logit_entropy", cat_l(entropy), (NEG_INF,)),
    Row("categorical_neg_inf_logit_log_prob", cat_l(log_prob), (NEG_INF, Const([2, 0]))),
    # the normalised parameter and the one computed from it on demand
    Row("categorical_probs_params", cat_p(lambda d: (d.probs, d.logits)), (PROBS,)),
    Row("categorical_logits_params", cat_l(lambda d: (d.logits, d.probs)), (LOGITS,)),
    Row("categorical_moments", cat_p(lambda d: (d.mean, d.variance, d.mode)), (PROBS,),
        fd=False, why=NO_GRAD),
    Row("bernoulli_probs_log_prob", bern_p(log_prob), (UNIT, BITS)),
    Row("bernoulli_logits_log_prob", bern_l(log_prob), (Float((2, 3), lo=-4.0, hi=4.0), BITS)),
    Row("bernoulli_logits_log_prob_broadcast", bern_l(log_prob),
        (Float((3,), lo=-4.0, hi=4.0), BITS)),
    Row("bernoulli_probs_entropy", bern_p(entropy), (UNIT,)),
    Row("bernoulli_logits_entropy", bern_l(entropy), (Float((2, 3), lo=-4.0, hi=4.0),)),
    Row("bernoulli_probs_params", bern_p(lambda d: (d.probs, d.logits, d.mean, d.variance)),
        (UNIT,)),
    Row("bernoulli_logits_params", bern_l(lambda d: (d.logits, d.probs, d.variance)),
        (Float((2, 3), lo=-4.0, hi=4.0),)),
    Row("bernoulli_mode", bern_p(lambda d: d.mode), (Float(values=[0.2, 0.5, 0.7]),),
        fd=False, why=NO_GRAD),
    Row("normal_log_prob", normal(log_prob), (LOC, SCALE, VALUE)),
    Row("normal_log_prob_number_loc", lambda m, s, v: m.distributions.Normal(0.5, s).log_prob(v),
        (SCALE, VALUE)),
    Row("normal_entropy", normal(lambda d: (d.entropy(), d.perplexity())), (LOC, SCALE)),
    Row("normal_moments", normal(lambda d: (d.mean, d.variance, d.stddev, d.mode)),
        (LOC, SCALE)),
]


@pytest.mark.parametrize("row, dtype", cases(ROWS))
def test_against_torch(row, dtype):
    check_row(row, dtype)


@pytest.mark.parametrize("row", fd_cases(ROWS))
def test_gradcheck(row):
    gradcheck_row(row)


def test_batch_and_event_shapes_and_flags_match_torch():
    made = [
        (lambda m: m.distributions.Categorical(probs=m.ones(2, 3, 4)), True),
        (lambda m: m.distributions.Categorical(logits=m.zeros(5)), False),
        (lambda m: m.distributions.Normal(m.zeros(3, 1), m.ones(4)), False),
        (lambda m: m.distributions.Normal(0.0, 1.0), False),
        (lambda m: m.distributions.Normal(m.zeros(()), 1.0), False),
        (lambda m: m.distributions.Bernoulli(0.3), False),
        (lambda m: m.distributions.Bernoulli(logits=m.zeros(2, 1)), False),
    ]
    for make, _ in made:
        g, t = make(gradlab), make(torch)
        assert tuple(g.batch_shape) == tuple(t.batch_shape)
        assert tuple(g.event_shape) == tuple(t.event_shape)
        assert isinstance(g.batch_shape, gradlab.Size)
        assert (g.has_rsample, g.has_enumerate_support) == (t.has_rsample,
                                                            t.has_enumerate_support)
        assert repr(g) == repr(t).replace("torch.", "gradlab.")
        for shape in [(), (5,), (2, 3)]:
            gs, ts = g.sample(shape), t.sample(shape)
            assert tuple(gs.shape) == tuple(ts.shape)
            assert gs.array.dtype == ts.numpy().dtype
            assert not gs.requires_grad
            assert tuple(g.log_prob(gs).shape) == tuple(t.log_prob(ts).shape)
        assert tuple(g.entropy().shape) == tuple(t.entropy().shape)
        assert_same(g.enumerate_support() if g.has_enumerate_support else gradlab.zeros(()),
                    t.enumerate_support() if t.has_enumerate_support else torch.zeros(()),
                    f"enumerate_support of {t!r}")
        if t.has_enumerate_support:
            assert_same(g.enumerate_support(expand=False), t.enumerate_support(expand=False),
                        f"enumerate_support(expand=False) of {t!r}")


def test_sample_from_a_graph_is_outside_it_and_log_prob_flows_back():
    logits = gradlab.randn(4, 3, requires_grad=True)
    loc = gradlab.zeros(2, requires_grad=True)
    for d in (D.Categorical(logits=logits), D.Bernoulli(logits=logits), D.Normal(loc, 1.0)):
        s = d.sample((2,))
        assert not s.requires_grad and s.grad_fn is None
        assert d.log_prob(s).requires_grad
    assert D.Normal(loc, 1.0).rsample((2,)).requires_grad


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_normal_rsample_is_loc_plus_eps_scale_and_its_gradient_matches_torch(dtype):
    rng = np.random.default_rng(3)
    loc_np = rng.uniform(-1, 1, (2, 3)).astype(dtype)
    scale_np = rng.uniform(0.5, 2, (3,)).astype(dtype)
    loc = gradlab.tensor(loc_np, requires_grad=True)
    scale = gradlab.tensor(scale_np, requires_grad=True)
    gradlab.manual_seed(11)
    eps = gradlab.randn(4, 2, 3, dtype=loc.dtype)
    gradlab.manual_seed(11)
    x = D.Normal(loc, scale).rsample((4,))
    assert x.dtype == loc.dtype and tuple(x.shape) == (4, 2, 3)
    np.testing.assert_array_equal(x.array, (loc_np + eps.array * scale_np))
    up = rng.standard_normal((4, 2, 3)).astype(dtype)
    x.backward(gradlab.tensor(up))
    tl = torch.tensor(loc_np, requires_grad=True)
    ts = torch.tensor(scale_np, requires_grad=True)
    (tl + torch.from_numpy(eps.array) * ts).backward(torch.from_numpy(up))
    assert_same(loc.grad, tl.grad, "d rsample / d loc")
    assert_same(scale.grad, ts.grad, "d rsample / d scale")


def test_rsample_only_where_reparameterizable():
    for make in (lambda m: m.distributions.Categorical(logits=m.zeros(3)),
                 lambda m: m.distributions.Bernoulli(0.5)):
        with pytest.raises(NotImplementedError):
            make(torch).rsample()
        with pytest.raises(NotImplementedError, match="has no reparameterized sample"):
            make(gradlab).rsample()


def _raise(fn, lib):
    try:
        fn(lib)
    except Exception as exc:  # noqa: BLE001  (the type is what is compared)
        return exc
    raise AssertionError(f"{lib.__name__} raised nothing")


def t_(m, *a, **k):
    return m.tensor(*a, **k)


#: (name, call): gradlab raises torch's exception type with torch's message ('torch.' read
#: as 'gradlab.')
SAME_ERRORS = [
    ("cat_neither", lambda m: m.distributions.Categorical()),
    ("cat_both", lambda m: m.distributions.Categorical(t_(m, [0.5, 0.5]), t_(m, [0.0, 0.0]))),
    ("cat_probs_0d", lambda m: m.distributions.Categorical(t_(m, 1.0))),
    ("cat_logits_0d", lambda m: m.distributions.Categorical(logits=t_(m, 1.0))),
    ("cat_negative", lambda m: m.distributions.Categorical(t_(m, [-1.0, 2.0]))),
    ("cat_all_zero", lambda m: m.distributions.Categorical(t_(m, [[1.0, 1.0], [0.0, 0.0]]))),
    ("cat_nan_logit", lambda m: m.distributions.Categorical(logits=t_(m, [math.nan, 0.0]))),
    ("cat_inf_logit", lambda m: m.distributions.Categorical(logits=t_(m, [math.inf, 0.0]))),
    ("cat_value_range", lambda m: m.distributions.Categorical(t_(m, [0.2, 0.8]))
     .log_prob(t_(m, [2]))),
    ("cat_value_fraction", lambda m: m.distributions.Categorical(t_(m, [0.2, 0.8]))
     .log_prob(t_(m, [0.5]))),
    ("cat_value_not_tensor", lambda m: m.distributions.Categorical(t_(m, [0.2, 0.8]))
     .log_prob([0])),
    ("cat_value_shape", lambda m: m.distributions.Categorical(m.ones(3, 2))
     .log_prob(t_(m, [0, 1]))),
    ("normal_scale_negative", lambda m: m.distributions.Normal(0.0, -1.0)),
    ("normal_scale_zero", lambda m: m.distributions.Normal(t_(m, [0.0, 1.0]),
                                                           t_(m, [1.0, 0.0]))),
    ("normal_loc_nan", lambda m: m.distributions.Normal(t_(m, [math.nan]), 1.0)),
    ("normal_value_nan", lambda m: m.distributions.Normal(0.0, 1.0).log_prob(t_(m, math.nan))),
    ("normal_value_number", lambda m: m.distributions.Normal(0.0, 1.0).log_prob(0.5)),
    ("normal_value_shape", lambda m: m.distributions.Normal(m.zeros(2), 1.0)
     .log_prob(m.zeros(3))),
    ("bern_neither", lambda m: m.distributions.Bernoulli()),
    ("bern_both", lambda m: m.distributions.Bernoulli(t_(m, [0.2]), t_(m, [0.0]))),
    ("bern_probs_above_1", lambda m: m.distributions.Bernoulli(1.5)),
    ("bern_probs_negative", lambda m: m.distributions.Bernoulli(t_(m, [0.5, -0.1]))),
    ("bern_logits_nan", lambda m: m.distributions.Bernoulli(logits=t_(m, [math.nan]))),
    ("bern_value_half", lambda m: m.distributions.Bernoulli(t_(m, [0.2, 0.4]))
     .log_prob(t_(m, [0.5, 1.0]))),
    ("bern_value_two", lambda m: m.distributions.Bernoulli(t_(m, [0.2, 0.4]))
     .log_prob(t_(m, [2.0, 1.0]))),
]


@pytest.mark.parametrize("call", [pytest.param(c, id=n) for n, c in SAME_ERRORS])
def test_errors_match_torch(call):
    te, ge = _raise(call, torch), _raise(call, gradlab)
    assert type(ge) is type(te), f"gradlab raised {type(ge).__name__}: {ge}; torch {te!r}"
    first, _, values = str(ge).partition("\n")
    tfirst, _, tvalues = str(te).replace("torch.", "gradlab.").partition("\n")
    assert first == tfirst, f"gradlab said {ge}"
    # the invalid values as printed: gradlab pads 'nan' before '-inf' where torch does not
    assert values.replace(" ", "") == tvalues.replace(" ", ""), f"gradlab printed {values}"


#: (name, call, exception type, pattern): where torch's message names torch's internals,
#: gradlab raises the same type with a message of its own (or torch's with the values added)
OWN_ERRORS = [
    ("cat_sample_zero", lambda m: m.distributions.Categorical(t_(m, [0.2, 0.8])).sample((0,)),
     RuntimeError, r"cannot sample n_sample <= 0 samples \(num_samples=0\)"),
    ("normal_shapes", lambda m: m.distributions.Normal(m.zeros(2), m.ones(3)), RuntimeError,
     r"shapes \[2\] and \[3\] cannot be broadcast"),
    ("normal_string", lambda m: m.distributions.Normal("a", 1.0), ValueError,
     "Input arguments must all be instances of Number"),
    ("sample_shape_int", lambda m: m.distributions.Normal(0.0, 1.0).sample(3), TypeError,
     r"sample_shape must be a tuple.*write \(n,\)"),
]


@pytest.mark.parametrize("call, exc, match", [pytest.param(c, e, r, id=n)
                                              for n, c, e, r in OWN_ERRORS])
def test_errors_of_the_same_type_as_torch(call, exc, match):
    assert isinstance(_raise(call, torch), exc)
    with pytest.raises(exc, match=match):
        call(gradlab)


def test_validate_args_false_and_the_default_switch():
    for lib in (gradlab, torch):
        d = lib.distributions.Normal(0.0, -1.0, validate_args=False)   # no error
        assert math.isnan(float(d.log_prob(lib.tensor([0.5])).item()))
        v = lib.distributions.Normal(0.0, 1.0, validate_args=False).log_prob(lib.tensor([math.nan]))
        assert math.isnan(float(v.item()))
    assert D.Distribution._validate_args is True
    D.Distribution.set_default_validate_args(False)
    try:
        D.Bernoulli(2.0)                      # accepted now
        with pytest.raises(ValueError, match="unit_interval|Interval"):
            D.Bernoulli(2.0, validate_args=True)
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError, match="Interval"):
        D.Bernoulli(2.0)
    with pytest.raises(ValueError, match="expected True or False"):
        D.Distribution.set_default_validate_args("yes")


def test_categorical_probs_normalisation_and_dtypes_follow_torch():
    for probs in ([1, 2, 5], [[1.0, 3.0], [2.0, 2.0]]):
        g = D.Categorical(probs=gradlab.tensor(probs))
        t = torch.distributions.Categorical(probs=torch.tensor(probs))
        assert_same(g.probs, t.probs, "normalised probs")
    for dt in ("float32", "float64"):
        loc = gradlab.zeros(2, dtype=getattr(gradlab, dt))
        tl = torch.zeros(2, dtype=getattr(torch, dt))
        assert_same(D.Normal(loc, 1.0).scale, torch.distributions.Normal(tl, 1.0).scale,
                    "number scale takes the loc's dtype")
        assert D.Normal(loc, 1.0).rsample().dtype == loc.dtype
    assert D.Normal(0.0, 1.0).loc.dtype == gradlab.float32


def test_reinforce_gradient_equals_torch_for_the_same_actions():
    """A policy-gradient step: actions sampled by gradlab, loss -log pi(a|x) * reward minus an
    entropy bonus; torch, given the same weights, inputs and actions, gives the same gradient."""
    rng = np.random.default_rng(7)
    x_np = rng.standard_normal((6, 4)).astype(np.float32)
    reward = rng.uniform(-1, 1, 6).astype(np.float32)
    net = gradlab.nn.Sequential(gradlab.nn.Linear(4, 8), gradlab.nn.Tanh(),
                                gradlab.nn.Linear(8, 3))
    tnet = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    tnet.load_state_dict({k: torch.from_numpy(v.array.copy())
                          for k, v in net.state_dict().items()})
    gradlab.manual_seed(5)
    dist = D.Categorical(logits=net(gradlab.tensor(x_np)))
    actions = dist.sample()
    assert tuple(actions.shape) == (6,) and actions.dtype == gradlab.int64
    loss = (-dist.log_prob(actions) * gradlab.tensor(reward)).mean() - 0.01 * dist.entropy().mean()
    loss.backward()
    tdist = torch.distributions.Categorical(logits=tnet(torch.from_numpy(x_np)))
    tloss = ((-tdist.log_prob(torch.from_numpy(actions.array)) * torch.from_numpy(reward)).mean()
             - 0.01 * tdist.entropy().mean())
    tloss.backward()
    assert_same(loss, tloss, "REINFORCE loss")
    for (name, p), (_, tp) in zip(net.named_parameters(), tnet.named_parameters(), strict=True):
        assert_same(p.grad, tp.grad, f"gradient of {name}")
