"""Evidence computed here, with gradlab's own tools and modules (or the sources' own other
lines, for a matter of wording)."""

from __future__ import annotations

import ast
from collections.abc import Callable
from fractions import Fraction

import numpy as np

from .erratum import _kept_rng
from .quotes import (
    _FIXED_UNPACKING,
    _QUOTES,
    _SEED_IOU,
    _SEED_IOU_LINE,
    _SEED_UNPACKING,
    _q,
    _seed_iou,
)

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
    from ...tools import box_iou

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
    from ...tools import conv_output_size, pool_output_size, receptive_field

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
    from ...tools import receptive_field

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
            bn.weight.array[...] = gamma
            bn.bias.array[...] = beta
            y = bn(gradlab.tensor(x)).numpy()
        out[name] = float(np.abs(y - x).max())
    return (f"gradlab's BatchNorm1d (training mode, eps = 0, float64) on a 256 x 4 batch with "
            f"values up to {np.abs(x).max():.1f}: max |y - x| = {out['std']:.1e} with gamma = "
            f"standard deviation and beta = mean; {out['var']:.1f} with gamma = variance; "
            f"{out['order']:.1f} with gamma = mean and beta = variance, the sentence's order.")


def _rf_growth(_: dict | None = None) -> str:
    """Receptive fields of stacked 3x3 layers at stride 1 and 2."""
    from ...tools import receptive_field

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
    from ...transforms import StandardScaler

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
    from ...transforms import StandardScaler

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
