"""Evidence from experiments: each function reads one lab experiment's numbers."""

from __future__ import annotations

from .erratum import _Numbers

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
