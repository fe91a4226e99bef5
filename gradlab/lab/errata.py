"""Errors in the sources: one registry, fed by the lab's experiments, gradlab's tools and its tests.

Each :class:`Erratum` quotes the source's own words (verbatim, with the source file, section and
line numbers), says in English what is wrong and what is right, names what shows it, and has
an ``evidence`` function that returns the sentence citing the number or output that shows it:

* an entry tied to a lab experiment (``experiment`` is its id) reads that experiment's
  ``numbers`` from a run: the evidence is the error's own measurement, never the experiment's
  verdict;
* an entry without an experiment computes its evidence on the spot with gradlab's own tools
  and modules (all of them together take a fraction of a second), or, for a statement that is
  only a matter of wording, quotes the source's own other line that shows the right form.

:func:`evidence_for` turns the registry into rows for the report.
"""

from __future__ import annotations

import ast
import contextlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

__all__ = ["Erratum", "ERRATA", "evidence_for"]


@dataclass(frozen=True)
class Erratum:
    """One error in the sources.

    ``id`` is a short unique slug; ``source_ref`` the source file number, section and line numbers
    (``"source 004 §3.2 L442-448"``); ``sentence`` the source's own words, verbatim; ``correction``
    what is wrong and what is right (English); ``source`` what shows it (an experiment, a
    gradlab tool or module, a test); ``experiment`` the id of the lab experiment whose numbers
    give the evidence, or None; ``evidence`` returns the sentence citing the measured or
    computed number: it takes that experiment's ``numbers`` (None for entries without one)."""

    id: str
    source_ref: str
    sentence: str
    correction: str
    source: str
    experiment: str | None
    evidence: Callable[[dict | None], str]


# --------------------------------------------------------------------------- numbers access

class _Numbers:
    """Read-only view of an experiment's numbers whose missing keys raise a KeyError naming
    the erratum, the experiment and the key path."""

    def __init__(self, data: Any, erratum: str, experiment: str, path: tuple = ()) -> None:
        self._data, self._erratum, self._experiment, self._path = data, erratum, experiment, path

    def __getitem__(self, key: str) -> Any:
        try:
            value = self._data[key]
        except (KeyError, IndexError, TypeError):
            where = "/".join(map(str, self._path + (key,)))
            raise KeyError(f"erratum {self._erratum!r}: the numbers of experiment "
                           f"{self._experiment!r} have no key {where!r}") from None
        if isinstance(value, dict):
            return _Numbers(value, self._erratum, self._experiment, self._path + (key,))
        return value

    def keys(self) -> list:
        """The keys at this level."""
        return list(self._data)


def _from_numbers(erratum: str, experiment: str,
                  fn: Callable[[_Numbers], str]) -> Callable[[dict | None], str]:
    """``fn`` reading an experiment's numbers through :class:`_Numbers`."""

    def evidence(numbers: dict | None) -> str:
        if numbers is None:
            raise ValueError(f"erratum {erratum!r}: its evidence needs the numbers of "
                             f"experiment {experiment!r} (run `gradlab lab run {experiment}`)")
        return fn(_Numbers(numbers, erratum, experiment))

    evidence.__doc__ = fn.__doc__
    evidence.__name__ = fn.__name__
    return evidence


@contextlib.contextmanager
def _kept_rng() -> Iterator[None]:
    """Seed gradlab's global generator with 0 for the block and restore its state after, so
    that computing evidence neither depends on nor changes the caller's random stream."""
    import gradlab

    state = gradlab.get_rng_state()
    gradlab.manual_seed(0)
    try:
        yield
    finally:
        gradlab.set_rng_state(state)


# ------------------------------------------------------------ source text the evidence quotes

#: source lines quoted as evidence: name -> (source file number, line, verbatim text)
_QUOTES: dict[str, tuple[str, int, str]] = {
    "eq10": ("002", 119, r"$$\theta_j := \theta_j - \alpha \frac{\partial}{\partial \theta_j} "
                         r"J(\theta_0, \theta_1) \quad (10)$$"),
    "alpha_is_lr": ("002", 121, "α 为学习率"),
    "covariance_defined": ("002", 199, "内部协方差指的是由于每一层参数更新使得上一层数据分布改变"),
    "covariate_shift_named": ("004", 488, "这种现象叫做**内部协变量偏移**"),
    "rnn_net_input": ("004", 287, r"$\mathbf{z}_k = U\mathbf{h}_{k-1} + W\mathbf{x}_k + "
                                  r"\mathbf{b}$"),
    "init_u_identity": ("004", 321, "需要将 U 初始化为单位矩阵"),
    "script_floors": ("003", 895, "outsize = (insize - fsize + 2*pad) / stride + 1"),
    "alexnet_specs": ("003", 876, "[[11,4,0],[3,2,0],[5,1,2],[3,2,0],[3,1,1],[3,1,1],[3,1,1],"
                                  "[3,2,0]]"),
    "alexnet_names": ("003", 877, "['conv1','pool1','conv2','pool2','conv3','conv4','conv5',"
                                  "'pool5']"),
}

#: source 003's IoU snippet (L928-941), verbatim: full-width commas and both bugs kept
_SEED_IOU = """def calculateIoU(candidateBound, groundTruthBound):
    cx1， cy1， cx1, cx2 = candidateBound
    gx1, gy1, gx2, gy2 = groundTruthBound

    carea = (cx2 - cx1) * (cy2 - cy1) #C的面积
    garea = (gx2 - gx1) * (gy2 - gy1) #G的面积
    x1, y1, x2, y2 = max(cx1, gx1), min(cy1, gy1), min(cx2, gx2), max(cy2, gy2)
    # 原点为(0, 0)，所以 min(cy1, gy1) 是min不是max
    w, h = max(0, (x2 - x1)), max(0, (y2 - y1))
    area_intersection = w * h
    area_union = carea + garea - area_intersection

    iou = area_intersection / area_union
    return iou"""
_SEED_IOU_LINE = 928  # the line of "def calculateIoU"

#: source 004 §3.3 L454-455, the table that files the methods (a tab between its columns)
_OPTIMIZER_TABLE = ("学习率衰减\t梯度方向优化\n"
                    "AdaGrad、RMSprop、AdaDelta\t动量法、Nesterov 加速梯度、梯度截断")

_SEED_UNPACKING = "cx1， cy1， cx1, cx2 = candidateBound"
_FIXED_UNPACKING = "cx1, cy1, cx2, cy2 = candidateBound"


def _q(name: str) -> str:
    """A quoted source line with its reference: ``source 002 L119: '...'``."""
    doc, line, text = _QUOTES[name]
    return f"source {doc} L{line}: '{text}'"


def _seed_iou(source: str) -> Callable:
    """Define the source's calculateIoU from ``source`` and return it."""
    scope: dict[str, Any] = {}
    exec(compile(source, "<source 003 IoU>", "exec"), scope)  # noqa: S102 (our own constant)
    return scope["calculateIoU"]


# ------------------------------------------------------------- evidence from experiments

def _sigmoid_chain(n: _Numbers) -> str:
    """e02: the source's sigmoid chain with weights 100, and where explosion does happen."""
    depth = n["seed_chain_depth"]
    return (f"The source's example computed (a {depth}-unit chain of sigmoid units with weights "
            f"100 on N(0, 1) inputs, float64): the gradient is 10^{n['seed_chain_log10_grad']:.0f}"
            f", not the (0.25 × 100)^{depth} = 10^{n['seed_arithmetic_log10_grad']:.1f} its "
            f"arithmetic gives, because the mean slope is {n['seed_chain_mean_slope']:.3f}, not "
            f"0.25. Explosion needs non-saturating units: a ReLU net with He × {n['gain']:g} "
            f"weights grows the bias gradient ×{n['growth_per_layer']:.2f} per layer towards the "
            f"input (He weights: ×{n['he_growth_per_layer']:.2f}).")


def _xavier_swap(n: _Numbers) -> str:
    """e04: gradient factor per layer under each assignment of the two Xavier ranges."""
    seed, glorot = n["seed_assignment_log_dev"], n["glorot_assignment_log_dev"]
    return (f"Back-propagated gradient over {n['depth']} layers, factor per layer (1 keeps the "
            f"scale): sigmoid ×{n['sigmoid/xavier grad_ratio']:.2f} with the source's r and "
            f"×{n['sigmoid/xavier x4 grad_ratio']:.2f} with 4r; tanh "
            f"×{n['tanh/xavier x4 grad_ratio']:.2f} with the source's 4r and "
            f"×{n['tanh/xavier grad_ratio']:.2f} with r. |ln factor| under the source's "
            f"assignment: {seed['sigmoid']:.2f} (sigmoid), {seed['tanh']:.2f} (tanh); under "
            f"Glorot's: {glorot['sigmoid']:.2f}, {glorot['tanh']:.2f}. Slopes at 0: sigmoid "
            f"{n['sigmoid_slope_at_0']:g}, tanh {n['tanh_slope_at_0']:g}.")


def _bn_gaussian(n: _Numbers) -> str:
    """e08: shape of BatchNorm's output after a ReLU."""
    return (f"Outputs of the first BatchNorm on the training set, median over units: placed "
            f"after the ReLU, {n['after_bn_mass_at_min']:.1%} of each unit's values sit at one "
            f"point (its minimum) and |skewness| is {n['after_bn_abs_skew']:.2f}; placed before "
            f"it, |skewness| is {n['before_bn_abs_skew']:.2f}. A Gaussian has no point mass and "
            f"skewness 0.")


def _dropout_scale(n: _Numbers) -> str:
    """e14: expected training activation over test activation under each test-time rule."""
    r02, r05 = n["classic_ratio_p0.2"], n["classic_ratio_p0.5"]
    s02, s05 = n["seed_rule_ratio_p0.2"], n["seed_rule_ratio_p0.5"]
    return (f"Expected training activation over test activation, measured over random masks: "
            f"{r02:.3f} at p = 0.2 and {r05:.3f} at p = 0.5 when the test output is scaled by "
            f"the keep probability 1 - p. Scaled by p as the source says (the measured ratio "
            f"× (1 - p) / p), it is {s02:.2f} at p = 0.2, test activations {s02:.1f} times too "
            f"small, and {s05:.3f} at p = 0.5.")


def _bn_gradient(n: _Numbers) -> str:
    """e15: first-layer gradient at the first step of deep BatchNorm MLPs."""
    d, g = n["depths"], n["plain_grad0"]
    return (f"First-layer gradient norm at the first step of plain MLPs with BatchNorm in every "
            f"block: {g[0]:.2f} at {d[0]} layers and {g[-1]:.2f} at {d[-1]} layers, "
            f"×{n['grad_ratio_plain']:.1f}; with identity shortcuts ×"
            f"{n['grad_ratio_residual']:.1f}.")


def _relu_diag(n: _Numbers) -> str:
    """e16: share of IRNN units with ReLU derivative 1 at initialization."""
    active = n["irnn_active_fraction"]
    return (f"In an IRNN (ReLU, U = I) at initialization on the adding problem, {active:.1%} of "
            f"the hidden pre-activations are positive (f'(z) = 1); the other {1 - active:.1%} "
            f"have f'(z) = 0, so diag(f'(z_i)) is not I.")


def _iid_layers(n: _Numbers) -> str:
    """e02: gradient growth of independent ReLU layers at two scales."""
    return (f"Bias-gradient growth per layer towards the input in a ReLU net of {n['depth']} "
            f"layers drawn independently: ×{n['growth_per_layer']:.2f} with He × "
            f"{n['gain']:g} weights and ×{n['he_growth_per_layer']:.2f} with He weights: the same "
            f"independence, a different scale.")


def _l2_sparsity(n: _Numbers) -> str:
    """e13: near-zero weight fractions under L2 and L1 at matched accuracy."""
    return (f"Softmax regression on Digits at matched accuracy: L2 (lambda "
            f"{n['l2_matched_lambda']:g}) leaves {n['l2_matched_zero']:.0%} of the weights near "
            f"zero (|w| below 1% of the largest; accuracy {n['l2_matched_acc']:.1%}), L1 (lambda "
            f"{n['l1_matched_lambda']:g}) {n['l1_matched_zero']:.0%} (accuracy "
            f"{n['l1_matched_acc']:.1%}); without a penalty {n['none_zero']:.0%}.")


# ----------------------------------------------------------------- evidence computed here

def _iou_does_not_run(_: dict | None = None) -> str:
    """The source's IoU function as printed, then with ASCII commas."""
    try:
        _seed_iou(_SEED_IOU)
    except SyntaxError as exc:
        printed = (f"{type(exc).__name__} at line {_SEED_IOU_LINE + exc.lineno - 1} of the source "
                   f"({exc.msg})")
    else:  # pragma: no cover - the constant is the source's text
        raise AssertionError("the source's IoU snippet compiled")
    iou = _seed_iou(_SEED_IOU.replace("，", ","))
    try:
        iou([0, 0, 2, 2], [1, 1, 3, 3])
    except NameError as exc:
        called = f"{type(exc).__name__}: {exc}"
    else:  # pragma: no cover
        raise AssertionError("the source's IoU snippet ran")
    return (f"Compiling the source's calculateIoU as printed: {printed}. With ASCII commas it "
            f"compiles, and calculateIoU([0, 0, 2, 2], [1, 1, 3, 3]) raises {called}.")


def _iou_y_extent(_: dict | None = None) -> str:
    """The source's IoU (unpacking fixed) against gradlab.tools.box_iou."""
    from ..tools import box_iou

    iou = _seed_iou(_SEED_IOU.replace(_SEED_UNPACKING, _FIXED_UNPACKING))
    out = []
    for c, g in (([0, 0, 2, 2], [1, 1, 3, 3]), ([0, 0, 2, 1], [1, 5, 3, 6])):
        right = box_iou(np.array([c], np.float64), np.array([g], np.float64)).item()
        out.append((c, g, iou(c, g), right))
    (c1, g1, w1, r1), (c2, g2, w2, r2) = out
    frac = Fraction(r1).limit_denominator(100)
    return (f"With the unpacking fixed, the source's function gives {w1:.3f} for {c1} and {g1} "
            f"(overlap: the unit square), gradlab.tools.box_iou {r1:.4f} = {frac}; for {c2} "
            f"and {g2}, apart on y, it gives {w2:.1f}{' (below 0)' if w2 < 0 else ''}, box_iou "
            f"{r2:.1f}.")


def _alexnet() -> tuple[list, list]:
    specs = ast.literal_eval(_QUOTES["alexnet_specs"][2])
    names = ast.literal_eval(_QUOTES["alexnet_names"][2])
    return specs, names


def _pool_rounding(_: dict | None = None) -> str:
    """AlexNet's feature-map sizes at 224 with pooling rounded up and down."""
    from ..tools import conv_output_size, pool_output_size, receptive_field

    specs, names = _alexnet()
    floor = {r.name: r.output_size for r in receptive_field(specs, 224, names=names).layers}
    ceil, size = {}, 224
    for (k, s, p), name in zip(specs, names):
        size = (pool_output_size(size, k, s, p, ceil_mode=True) if name.startswith("pool")
                else conv_output_size(size, k, s, p))
        ceil[name] = size
    pools = [nm for nm in names if nm.startswith("pool")]
    return (f"AlexNet at 224 x 224 with the source's own layers ({_q('alexnet_specs')}): rounding "
            f"pooling up (gradlab.tools.pool_output_size, ceil_mode=True) gives "
            f"{', '.join(f'{p} {ceil[p]}' for p in pools)}; the source's script "
            f"({_q('script_floors')}, integer division in Python 2) rounds down, as "
            f"gradlab.tools.receptive_field does: {', '.join(f'{p} {floor[p]}' for p in pools)}.")


def _input_448(_: dict | None = None) -> str:
    """7 x 2^6, and the sizes six halvings leave."""
    from ..tools import receptive_field

    def last(size: int, halvings: int) -> int:
        return receptive_field([(2, 2, 0)] * halvings, size).layers[-1].output_size

    return (f"7 × 2^6 = {7 * 2 ** 6}. Six 2 x 2 stride-2 poolings (gradlab.tools."
            f"receptive_field) take 448 to {last(448, 6)} x {last(448, 6)} and 228 to "
            f"{last(228, 6)} x {last(228, 6)}; five take 224 to {last(224, 5)} x "
            f"{last(224, 5)}.")


def _bn_identity(_: dict | None = None) -> str:
    """BatchNorm1d (eps 0, float64) with gamma, beta set from the batch's statistics."""
    import gradlab
    from gradlab import nn

    x = np.random.default_rng(0).normal([10.0, -3.0, 0.5, 25.0], [5.0, 0.2, 1.0, 4.0],
                                        size=(256, 4))
    mean, std = x.mean(0), x.std(0)
    out = {}
    for name, gamma, beta in (("std", std, mean), ("var", std ** 2, mean),
                              ("order", mean, std ** 2)):
        bn = nn.BatchNorm1d(4, eps=0.0, dtype=gradlab.float64)
        with gradlab.no_grad():
            bn.weight.data[...] = gamma
            bn.bias.data[...] = beta
            y = bn(gradlab.tensor(x)).numpy()
        out[name] = float(np.abs(y - x).max())
    return (f"gradlab's BatchNorm1d (training mode, eps = 0, float64) on a 256 x 4 batch with "
            f"values up to {np.abs(x).max():.1f}: max |y - x| = {out['std']:.1e} with gamma = "
            f"standard deviation and beta = mean; {out['var']:.1f} with gamma = variance; "
            f"{out['order']:.1f} with gamma = mean and beta = variance, the sentence's order.")


def _rf_growth(_: dict | None = None) -> str:
    """Receptive fields of stacked 3x3 layers at stride 1 and 2."""
    from ..tools import receptive_field

    at = [1, 2, 4, 8, 16]
    flat = receptive_field([(3, 1, 1)] * 16, 64).layers
    strided = receptive_field([(3, 2, 1)] * 16, 2 ** 17).layers
    f = ", ".join(str(flat[i - 1].rf) for i in at)
    s = ", ".join(str(strided[i - 1].rf) for i in at)
    return (f"gradlab.tools.receptive_field for 1, 2, 4, 8, 16 stacked 3 x 3 layers: {f} at "
            f"stride 1 (2L + 1, linear); {s} at stride 2 (2^(L+1) - 1).")


def _clipping(_: dict | None = None) -> str:
    """Direction of a gradient before and after norm and value clipping."""
    import gradlab
    from gradlab import nn
    from gradlab.nn.utils import clip_grad_norm_, clip_grad_value_

    rng = np.random.default_rng(0)
    shapes = [(32, 64), (32,), (10, 32), (10,)]
    grads = [rng.standard_normal(s) * 50.0 for s in shapes]

    def clipped(how: Callable) -> tuple[float, float]:
        params = [nn.Parameter(gradlab.zeros(*s, dtype=gradlab.float64)) for s in shapes]
        for p, g in zip(params, grads):
            p.grad = gradlab.tensor(g.copy())
        how(params)
        after = np.concatenate([p.grad.numpy().ravel() for p in params])
        before = np.concatenate([g.ravel() for g in grads])
        cos = float(after @ before / (np.linalg.norm(after) * np.linalg.norm(before)))
        return cos, float(np.linalg.norm(after))

    cos_norm, norm_after = clipped(lambda ps: clip_grad_norm_(ps, 1.0))
    cos_value, _ = clipped(lambda ps: clip_grad_value_(ps, 1.0))
    norm_before = float(np.linalg.norm(np.concatenate([g.ravel() for g in grads])))
    return (f"A gradient of norm {norm_before:.0f} clipped with gradlab's clip_grad_norm_"
            f"(max_norm=1): norm {norm_after:.3f}, cosine with the original {cos_norm:.6f} "
            f"(direction kept). Element-wise clip_grad_value_(1) gives cosine "
            f"{cos_value:.3f}.")


def _adaptive_steps(_: dict | None = None) -> str:
    """The per-coordinate step factor of AdaGrad, RMSprop and AdaDelta over a descent."""
    import gradlab
    from gradlab import nn, optim

    steps = 300

    def factors(name: str, lr: float) -> list[float]:
        x = nn.Parameter(gradlab.tensor([1.0, -2.0, 0.5], dtype=gradlab.float64))
        make = {"AdaGrad": optim.Adagrad, "RMSprop": optim.RMSprop, "AdaDelta": optim.Adadelta}
        opt = make[name]([x], lr=lr)
        eps, out = opt.param_groups[0]["eps"], []
        for _ in range(steps):
            opt.zero_grad()
            (0.5 * x * x).sum().backward()
            opt.step()
            st = opt.state[x]
            if name == "AdaGrad":
                f = lr / (np.sqrt(st["sum"].numpy()) + eps)
            elif name == "RMSprop":
                f = lr / (np.sqrt(st["square_avg"].numpy()) + eps)
            else:
                f = lr * np.sqrt(st["acc_delta"].numpy() + eps) / np.sqrt(
                    st["square_avg"].numpy() + eps)
            out.append(float(np.median(f)))
        return out

    def course(name: str, lr: float) -> str:
        vals = factors(name, lr)
        low = int(np.argmin(vals))
        if all(a >= b for a, b in zip(vals, vals[1:])):
            return f"{name}'s only falls, from {vals[0]:.3g} at step 1 to {vals[-1]:.3g}"
        if low < len(vals) - 1:
            return (f"{name}'s falls to {vals[low]:.3g} at step {low + 1} and rises to "
                    f"{vals[-1]:.3g} by step {steps}")
        return f"{name}'s goes from {vals[0]:.3g} at step 1 to {vals[-1]:.3g}"

    return (f"gradlab.optim on the quadratic f(x) = |x|^2 / 2 from x = (1, -2, 0.5), {steps} "
            f"steps, median per-coordinate step factor (the multiplier of the gradient): "
            f"{course('RMSprop', 0.01)}; {course('AdaDelta', 1.0)}; {course('AdaGrad', 0.1)}.")


def _covariance_term(_: dict | None = None) -> str:
    """The sources' own naming of internal covariate shift."""
    return (f"The source's own definition ({_q('covariance_defined')}) describes a change of a "
            f"layer's input distribution, and source 004 names it ({_q('covariate_shift_named')}).")


def _eq14_alpha(_: dict | None = None) -> str:
    """The source's own update rule with the learning rate."""
    return (f"The same source's gradient-descent update has the learning rate ({_q('eq10')}; "
            f"{_q('alpha_is_lr')}); eq. (14) is eq. (10) with alpha = 1.")


def _irnn_w_or_u(_: dict | None = None) -> str:
    """The source's own RNN notation."""
    return (f"The source's own notation makes U the recurrent matrix ({_q('rnn_net_input')}), "
            f"and the same paragraph first says so ({_q('init_u_identity')}).")


def _standardize(_: dict | None = None) -> str:
    """Shape of standardized non-normal features."""
    from ..transforms import StandardScaler

    rng = np.random.default_rng(0)
    x = np.stack([np.maximum(rng.standard_normal(10_000), 0.0), rng.exponential(1.0, 10_000)],
                 axis=1)
    z = StandardScaler().fit_transform(x)
    skew = (z ** 3).mean(0)
    at_min = float((z[:, 0] <= z[:, 0].min() + 1e-9).mean())
    return (f"gradlab.transforms.StandardScaler on 10,000 samples of relu(N(0, 1)) and of "
            f"Exp(1): means {abs(z.mean(0)).max():.3f}, variances {z.var(0).min():.3f}, yet "
            f"{at_min:.1%} of the ReLU feature sits at one value and the skewnesses stay "
            f"{skew[0]:.2f} and {skew[1]:.2f} (a normal variable: no point mass, skewness 0).")


def _same_map(_: dict | None = None) -> str:
    """A train/test shift before and after standardization fitted on the training set."""
    from ..transforms import StandardScaler

    rng = np.random.default_rng(0)
    train = rng.normal(0.0, 1.0, (5000, 1))
    test = rng.normal(1.0, 2.0, (5000, 1))
    scaler = StandardScaler().fit(train)
    a, b = scaler.transform(train), scaler.transform(test)
    return (f"Training data N(0, 1), test data N(1, 2^2); after gradlab.transforms."
            f"StandardScaler fitted on the training set: training mean {a.mean():.2f}, sd "
            f"{a.std():.2f}; test mean {b.mean():.2f}, sd {b.std():.2f}: the shift is still "
            f"there.")


def _step_is_lr_times_grad(_: dict | None = None) -> str:
    """One SGD step at two learning rates on the same gradient."""
    import gradlab
    from gradlab import nn, optim
    from gradlab.nn import functional as F

    moved, slope = {}, 0.0
    for lr in (0.1, 1.0):
        w = nn.Parameter(gradlab.tensor([2.0], dtype=gradlab.float64))
        opt = optim.SGD([w], lr=lr)
        F.sigmoid(w).sum().backward()
        slope = float(w.grad.item())
        opt.step()
        moved[lr] = 2.0 - float(w.item())
    return (f"One gradlab.optim.SGD step on a weight whose sigmoid slope (gradient) is "
            f"{slope:.4f}: learning rate 0.1 moves it by {moved[0.1]:.5f}, learning rate 1 by "
            f"{moved[1.0]:.4f}: the step is learning rate × gradient.")


def _convex_needs_step(_: dict | None = None) -> str:
    """Gradient descent on the convex f(x) = 2 x^2 with two learning rates."""
    import gradlab
    from gradlab import nn, optim

    curvature, steps = 4.0, 50
    final = {}
    for lr in (0.4, 0.6):
        x = nn.Parameter(gradlab.tensor([1.0], dtype=gradlab.float64))
        opt = optim.SGD([x], lr=lr)
        for _ in range(steps):
            opt.zero_grad()
            (0.5 * curvature * x * x).sum().backward()
            opt.step()
        final[lr] = abs(float(x.item()))
    return (f"gradlab.optim.SGD on the convex f(x) = 2 x^2 (curvature L = {curvature:g}, 2/L = "
            f"{2 / curvature:g}) from x = 1, {steps} steps: learning rate 0.4 reaches |x| = "
            f"{final[0.4]:.1e}, learning rate 0.6 ends at |x| = {final[0.6]:.1e}.")


def _gap_features(_: dict | None = None) -> str:
    """Width of the vector global average pooling gives."""
    import gradlab
    from gradlab import nn

    classes = 10
    with _kept_rng(), gradlab.no_grad():
        body = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU())
        gap = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        x = gradlab.ones(2, 3, 8, 8)
        plain = tuple(gap(body(x)).shape)
        nin = tuple(gap(nn.Conv2d(16, classes, 1)(body(x))).shape)
    return (f"For a {classes}-class problem, gradlab's AdaptiveAvgPool2d(1) + Flatten after a "
            f"16-channel Conv2d gives features of shape {plain}; after a further 1 x 1 Conv2d "
            f"to {classes} channels (Network in Network), {nin}.")


def _cross_entropy_not_distance(_: dict | None = None) -> str:
    """H(p, q) from gradlab's cross_entropy with probability targets, on logits log q."""
    import gradlab
    from gradlab.nn import functional as F

    p, q = np.array([0.5, 0.5]), np.array([0.9, 0.1])

    def h(a: np.ndarray, b: np.ndarray) -> float:
        return float(F.cross_entropy(gradlab.tensor(np.log(b)), gradlab.tensor(a)).item())

    def kl(a: np.ndarray, b: np.ndarray) -> float:
        return float(F.kl_div(gradlab.tensor(np.log(b)), gradlab.tensor(a),
                              reduction="sum").item())

    return (f"gradlab.nn.functional.cross_entropy with probability targets p on logits log q: "
            f"for p = (0.5, 0.5), H(p, p) = {h(p, p):.3f} (ln 2, the entropy of p), not 0; with "
            f"q = (0.9, 0.1), H(p, q) = {h(p, q):.3f} and H(q, p) = {h(q, p):.3f}. The KL "
            f"divergence H(p, q) - H(p) (gradlab.nn.functional.kl_div) is {abs(kl(p, p)):.3f} "
            f"at q = p, but KL(p || q) = {kl(p, q):.3f} and KL(q || p) = {kl(q, p):.3f}.")


def _conv_equivariant(_: dict | None = None) -> str:
    """A Conv2d's output on an input and on the input shifted by one pixel."""
    import gradlab
    from gradlab import nn

    x = np.random.default_rng(0).standard_normal((1, 1, 16, 16))
    shifted = np.zeros_like(x)
    shifted[..., 1:] = x[..., :-1]  # one pixel to the right, a zero column enters
    with _kept_rng(), gradlab.no_grad():
        conv = nn.Conv2d(1, 4, 3, dtype=gradlab.float64)
        gap = nn.AdaptiveAvgPool2d(1)
        y, ys = conv(gradlab.tensor(x)), conv(gradlab.tensor(shifted))
        pooled = float(np.abs(gap(ys).numpy() - gap(y).numpy()).max())
        y, ys = y.numpy(), ys.numpy()
    equi = float(np.abs(ys[..., 1:] - y[..., :-1]).max())
    change = float(np.abs(ys - y).max())
    return (f"gradlab's nn.Conv2d(1, 4, 3) (float64) on a 16 x 16 input and on the input "
            f"shifted one pixel to the right: the new output is the old one shifted one pixel, "
            f"max |difference| {equi:.1e} away from the border, while the output itself "
            f"changes by up to {change:.2f} (max |output| {np.abs(y).max():.2f}). After "
            f"nn.AdaptiveAvgPool2d(1) the four channel means change by at most {pooled:.3f}.")


def _laplace_prior(_: dict | None = None) -> str:
    """-log of a Laplace and a Gaussian density against the L1 and L2 penalties."""
    import gradlab
    from gradlab import nn
    from gradlab.nn.utils import l1_penalty, l2_penalty

    b, sigma, grid = 2.0, 1.5, np.linspace(-3.0, 3.0, 61)
    rows = {}
    for name, scale, penalty in (("laplace", 1.0 / b, l1_penalty),
                                 ("gauss", 1.0 / sigma ** 2, l2_penalty)):
        w = nn.Parameter(gradlab.tensor(grid, dtype=gradlab.float64))
        if name == "laplace":
            density = (-(w.abs()) / b).exp() / (2.0 * b)
        else:
            density = (-(w * w) / (2.0 * sigma ** 2)).exp() / (sigma * np.sqrt(2.0 * np.pi))
        nll = -density.log()
        nll.sum().backward()
        grad_nll = w.grad.numpy().copy()
        w.grad = None
        (penalty(w) * scale).backward()
        pen = np.array([penalty(gradlab.tensor(v)).item() * scale for v in grid])
        gap = nll.detach().numpy() - pen
        rows[name] = (float(gap.mean()), float(np.ptp(gap)),
                      float(np.abs(grad_nll - w.grad.numpy()).max()))
    (lc, ls, lg), (gc, gs, gg) = rows["laplace"], rows["gauss"]
    return (f"On {grid.size} weights w in [-3, 3] (gradlab autograd, float64): -log of the "
            f"Laplace density exp(-|w|/b)/(2b), b = {b:g}, minus the L1 penalty |w|/b "
            f"(gradlab.nn.utils.l1_penalty / b) is {lc:.3f} = log(2b) at every w (spread "
            f"{ls:.1e}), and its gradient differs from the penalty's, sign(w)/b, by at most "
            f"{lg:.1e}; -log of the Gaussian N(0, sigma^2), sigma = {sigma:g}, minus w^2/"
            f"(2 sigma^2) (l2_penalty / sigma^2) is {gc:.3f} = log(sigma sqrt(2 pi)) (spread "
            f"{gs:.1e}, gradients apart by at most {gg:.1e}).")


# ------------------------------------------------------------------------------ registry

def _entry(id: str, source_ref: str, sentence: str, correction: str, source: str,
           experiment: str | None, fn: Callable) -> Erratum:
    evidence = fn if experiment is None else _from_numbers(id, experiment, fn)
    return Erratum(id, source_ref, sentence, correction, source, experiment, evidence)


ERRATA: tuple[Erratum, ...] = (
    # ----- the errors the experiments found
    _entry("sigmoid-weights-100-explode", "source 000 Q64 L229",
           "假如激活层斜率均为最大值0.25，所有层的权值为100，这样梯度就会指数增加。",
           "A sigmoid's slope is 0.25 only at pre-activation 0, and weights of 100 on outputs in "
           "(0, 1) push the next unit deep into saturation, so the source's chain vanishes instead "
           "of exploding. Exploding gradients need |w sigmoid'(z)| > 1 layer after layer, as "
           "with non-saturating units and large weights.",
           "experiment exploding-gradients", "exploding-gradients", _sigmoid_chain),
    _entry("xavier-ranges-swapped", "source 004 §3.2 L442-448",
           "对于sigmoid 型激活函数：\n\n$$r = \\sqrt{\\frac{6}{n^{l-1} + n^l}}$$\n\n"
           "对于tanh函数：\n\n$$r = 4\\sqrt{\\frac{6}{n^{l-1} + n^l}}$$",
           "The two ranges are swapped: Glorot & Bengio (2010) derive r = sqrt(6/(n_in + n_out)) "
           "for tanh (tanh'(0) = 1) and 4 times it for sigmoid (sigmoid'(0) = 1/4).",
           "experiment init-scale", "init-scale", _xavier_swap),
    _entry("bn-gaussian", "source 003 BN L251", "BN 将输入归一化到高斯分布",
           "BatchNorm shifts and scales each unit to mean 0 and variance 1 over the batch; the "
           "shape of the distribution is kept, so its output is not Gaussian unless its input "
           "was.",
           "experiment bn-placement", "bn-placement", _bn_gaussian),
    _entry("dropout-test-scale", "source 003 dropout L792, L801",
           "每个神经单元的权重参数要乘以概率 p",
           "The source defines p as the drop probability (L792: 随机失活概率 p), so at test time "
           "the weights must be multiplied by the keep probability 1 - p, the mean of the "
           "training mask; p is right only at p = 0.5. Its '输入层 0.8，隐层 0.5' are keep "
           "probabilities (Srivastava et al. 2014).",
           "experiment dropout", "dropout", _dropout_scale),
    _entry("bn-keeps-gradient-stable", "source 004 §1.8 L197",
           "BN层能对各层的输出做归一化，这样梯度在反向层层传递后仍能保持大小稳定，"
           "不会出现过小或过大的情况。",
           "BatchNorm normalizes the forward activations, not the gradients: in a deep plain "
           "network with BatchNorm in every layer the gradient at initialization grows towards "
           "the input with depth (Yang et al. 2019).",
           "experiment residual-degradation", "residual-degradation", _bn_gradient),
    _entry("relu-derivative-identity", "source 004 §2.5 L319",
           "$\\text{diag}(f'(z_i)) = I$ ，只要 U 不是单位矩阵，梯度还是会出现消失或者爆炸的现象。",
           "ReLU's derivative is 1 only where the pre-activation is positive and 0 elsewhere, so "
           "diag(f'(z_i)) is a 0/1 diagonal, not I, and the product is diag(0/1) U^T, not U^T.",
           "experiment gated-rnn-adding", "gated-rnn-adding", _relu_diag),
    _entry("irnn-init-w-not-u", "source 004 §2.5 L321", "初始化W为单位矩阵并使用ReLU激活函数",
           "It is U, the recurrent matrix, that the IRNN initializes to the identity (Le et al. "
           "2015); W is the input matrix in the source's notation.",
           "the source's own notation (source 004 L287, L321)", None, _irnn_w_or_u),
    # ----- found by gradlab's tools and their tests
    _entry("iou-snippet-does-not-run", "source 003 IoU L929", _SEED_UNPACKING,
           "The snippet cannot run: its first line has full-width commas (a SyntaxError), and "
           "with ASCII commas it unpacks x1 into cx1 twice and never assigns cy2. The unpacking "
           "must be cx1, cy1, cx2, cy2.",
           "tests/test_tools_boxes.py::test_seed_snippet_as_printed_does_not_parse, "
           "::test_seed_snippet_bugs", None, _iou_does_not_run),
    _entry("iou-snippet-y-extent", "source 003 IoU L934-935",
           "x1, y1, x2, y2 = max(cx1, gx1), min(cy1, gy1), min(cx2, gx2), max(cy2, gy2)",
           "The intersection spans the larger of the two lower edges to the smaller of the two "
           "upper edges on both axes: max(cy1, gy1) and min(cy2, gy2) on y, as on x. The snippet "
           "takes the union's y-extent; the origin (its comment) does not change this.",
           "gradlab.tools.box_iou; tests/test_tools_boxes.py::test_seed_snippet_bugs", None,
           _iou_y_extent),
    _entry("pooling-rounding", "source 003 feature-map size L179; appendix script L876, L895",
           "池化： $out = (input - kernel) / {strid} + 1 \\quad$   *（向上取整）*",
           "Rounding is a framework's convention, not a rule: Caffe rounds pooling up, PyTorch "
           "and gradlab round down unless ceil_mode=True. The source's own appendix script rounds "
           "every layer down, so its receptive-field tables do not follow this formula.",
           "gradlab.tools.pool_output_size, gradlab.tools.receptive_field; tests/"
           "test_tools_receptive_field.py::test_seed_pooling_rule_disagrees_with_its_script",
           None, _pool_rounding),
    _entry("input-7x2-6", "source 003 input 224 L67", "下采样 $1 / 6$，输入是 $7 \\times  2^6=228$",
           "7 × 2^6 = 448, not 228. The downsampling factors the line calls 1/4, 1/5, 1/6 are "
           "1/2^4, 1/2^5, 1/2^6.",
           "gradlab.tools.receptive_field", None, _input_448),
    # ----- review part C.3
    _entry("bn-identity-needs-std", "source 003 BN L262",
           "当二者恰好为数据的均值和方差时，就相当于没有归一化",
           "BatchNorm outputs gamma (x - mean) / std + beta, so it is the identity when gamma is "
           "the standard deviation and beta the mean; not with the variance, and not in the "
           "order the sentence gives (gamma, beta = mean, variance).",
           "gradlab.nn.BatchNorm1d", None, _bn_identity),
    _entry("receptive-field-exponential", "source 003 receptive field L191",
           "感受野在 `CNN` 中是呈指数级增加的",
           "Without downsampling the receptive field grows linearly: each 3 x 3 stride-1 layer "
           "adds 2 (2L + 1). It grows exponentially only when the layers have strides above 1.",
           "gradlab.tools.receptive_field; tests/test_tools_receptive_field.py::"
           "test_stacked_small_kernels_and_growth", None, _rf_growth),
    _entry("clipping-keeps-direction", "source 004 §3.3 L454-455",
           _OPTIMIZER_TABLE,
           "Gradient clipping is listed as a direction method, but norm clipping rescales the "
           "whole gradient by one factor: it changes the step's length and keeps its direction. "
           "Only element-wise value clipping bends it, as a side effect.",
           "gradlab.nn.utils.clip_grad_norm_", None, _clipping),
    _entry("adaptive-methods-not-decay", "source 004 §3.3 L454-455",
           _OPTIMIZER_TABLE,
           "RMSprop and AdaDelta are listed as learning-rate decay, but their step follows a "
           "moving average of squared gradients and grows again when the gradients shrink; only "
           "AdaGrad's accumulated "
           "sum makes the step fall for good.",
           "gradlab.optim.RMSprop, Adadelta, Adagrad", None, _adaptive_steps),
    _entry("iid-weights-cancel", "source 004 §2.5 L337",
           "因为他们每一层的 W 不同，且在初始化时是独立同分布的，因此可以在一定程度相互抵消。"
           "即使多层之后一般也不会出现数值问题。",
           "Independent layers do not cancel: products of independent random layers still grow "
           "or shrink geometrically with depth. What protects feedforward ReLU nets is the "
           "scale of the initialization (He, Xavier), not the independence.",
           "experiment exploding-gradients", "exploding-gradients", _iid_layers),
    _entry("l2-sparsifies", "source 002 Q2 L46",
           "加入正则项可以削弱特征之间的耦合关系，即特征稀疏化；",
           "Sparsity comes from the L1 term, not from the L2 term the source derives next: L2 "
           "shrinks weights in proportion and leaves few at zero.",
           "experiment l2-l1-regularization", "l2-l1-regularization", _l2_sparsity),
    _entry("eq14-missing-lr", "source 002 Q4 L143",
           "$$\\theta'_j = \\theta_j - \\frac{1}{m} \\sum_{i=1}^m (h_{\\theta}(x^{(i)}) - y^{(i)})"
           " x_j^i \\quad (14)$$",
           "The update omits the learning rate: theta'_j = theta_j - alpha (1/m) sum_i "
           "(h(x_i) - y_i) x_ij.",
           "the source's own eq. (10) (source 002 L119, L121)", None, _eq14_alpha),
    _entry("internal-covariance", "source 002 Q6 L186, L197, L199",
           "通过归一化操作减少内部协方差的变化",
           "The term is internal covariate shift (内部协变量偏移, Ioffe & Szegedy 2015): the "
           "change of a layer's input distribution during training, not a covariance.",
           "the sources' own definitions (source 002 L199, source 004 L488)", None,
           _covariance_term),
    _entry("standardize-is-not-normal", "source 000 Q64 L173",
           "数据进行标准化（个人认为称作正态化也可以）",
           "Standardization (x - mean) / std is an affine map: it gives mean 0 and variance 1 "
           "but keeps the shape of the distribution, so it does not make data normal.",
           "gradlab.transforms.StandardScaler", None, _standardize),
    _entry("slope-is-not-learning-rate", "source 000 Q64 L215",
           "其斜率（梯度）在反向传播中是权值学习速率",
           "The gradient is not the learning rate: gradient descent moves a weight by learning "
           "rate × gradient, so a small slope makes a small step at any learning rate.",
           "gradlab.optim.SGD", None, _step_is_lr_times_grad),
    _entry("normalization-same-distribution", "source 000 Q64 L118",
           "使训练数据与测试数据的分布相同",
           "Input normalization applies one affine map, fitted on the training data, to both "
           "sets; it cannot remove a difference between their distributions.",
           "gradlab.transforms.StandardScaler", None, _same_map),
    _entry("convex-gd-global", "source 002 Q4 L115",
           "当目标函数是凸函数时，梯度下降法的解是全局解。",
           "Only with a suitable step: on a convex function whose gradient is L-Lipschitz, "
           "gradient descent converges for a learning rate below 2/L and diverges above it.",
           "gradlab.optim.SGD", None, _convex_needs_step),
    _entry("gap-dimension", "source 002 Q7 L246",
           "经过全局平均池化之后就得到一个维度等于类别数的特征向量",
           "Global average pooling gives one value per channel of the last feature map; the "
           "vector has as many entries as the number of classes only when the last convolution "
           "has that many channels (as in Network in Network).",
           "gradlab.nn.AdaptiveAvgPool2d", None, _gap_features),
    _entry("cross-entropy-not-distance", "source 003 cross-entropy L139",
           "交叉熵刻画了两个概率分布之间的距离",
           "Cross-entropy is not a distance: H(p, p) is the entropy of p, above 0 unless p is "
           "one-hot, and H(p, q) differs from H(q, p). The gap H(p, q) - H(p) is the KL "
           "divergence, 0 only at q = p, but it is not symmetric either.",
           "gradlab.nn.functional.cross_entropy", None, _cross_entropy_not_distance),
    _entry("conv-equivariant-not-invariant", "source 003 convolution L152",
           "卷积神经网络学到的模式具有平移不变性（translation invariant）",
           "A stride-1 convolution is translation-equivariant, not invariant: shifting the input "
           "shifts the feature map by the same amount (away from the borders). Only pooling "
           "and the layers after it make the output approximately invariant to small shifts.",
           "gradlab.nn.Conv2d, gradlab.nn.AdaptiveAvgPool2d", None, _conv_equivariant),
    _entry("l1-laplace-prior", "source 003 regularization L508",
           "L1／L2 正则化与高斯先验／对数先验的 MAP 贝叶斯推断的关系",
           "L1 corresponds to a Laplace prior, not a 'log prior': -log of a Laplace density "
           "with scale b is |w|/b + log(2b), whose gradient is the L1 penalty's sign(w)/b; "
           "-log of a Gaussian N(0, sigma^2) is w^2/(2 sigma^2) + a constant, the L2 penalty. "
           "A log appears in every MAP penalty.",
           "gradlab.nn.utils.l1_penalty, gradlab.nn.utils.l2_penalty", None, _laplace_prior),
)


def _experiment_result(results: Iterable[Any], experiment: str) -> Any | None:
    """The first result of ``experiment`` that did not raise, or None."""
    for r in results:
        if getattr(r, "id", None) != experiment:
            continue
        if getattr(r, "errored", False) or getattr(r, "verdict", None) == "error":
            continue
        if not getattr(r, "numbers", None):
            continue
        return r
    return None


def evidence_for(results: Iterable[Any] | None) -> list[dict[str, Any]]:
    """For the report: each erratum as a dict with ``id``, ``source_ref``, ``sentence``,
    ``correction``, ``source``, ``experiment``, ``evidence`` and ``shown``.

    An entry tied to an experiment computes its evidence from that experiment's ``numbers``
    in ``results`` (objects with ``.id``, ``.numbers`` and ``.verdict``; with several seeds,
    the first result that did not raise); when the experiment raised or is not in ``results``,
    ``shown`` is False and the evidence says which experiment to run. Entries without an
    experiment compute their evidence here with gradlab's tools (``shown`` True). A result
    whose numbers lack a key the evidence reads raises KeyError naming the erratum and key."""
    results = list(results or ())
    rows = []
    for e in ERRATA:
        shown = True
        if e.experiment is None:
            text = e.evidence(None)
        else:
            r = _experiment_result(results, e.experiment)
            if r is None:
                shown = False
                text = (f"Not measured in this run: run `gradlab lab run {e.experiment}` for "
                        f"the numbers.")
            else:
                text = e.evidence(r.numbers)
                seed = getattr(r, "seed", None)
                if isinstance(seed, int):
                    mode = {True: "quick", False: "full"}.get(getattr(r, "quick", None))
                    text = f"Seed {seed}{f', {mode} run' if mode else ''}: {text}"
        rows.append({"id": e.id, "source_ref": e.source_ref, "sentence": e.sentence,
                     "correction": e.correction, "source": e.source,
                     "experiment": e.experiment, "evidence": text, "shown": shown})
    return rows


def _check_unique() -> None:
    seen: set[str] = set()
    for e in ERRATA:
        if e.id in seen:
            raise ValueError(f"gradlab.lab.errata: duplicate erratum id {e.id!r}")
        seen.add(e.id)


_check_unique()
