"""``nn.utils``: weight normalization, gradient clipping, weight penalties and pruning."""

from . import prune, rnn
from .clip_grad import clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm
from .penalty import l1_penalty, l2_penalty
from .weight_norm import remove_weight_norm, weight_norm

__all__ = ["prune", "rnn", "weight_norm", "remove_weight_norm", "clip_grad_norm_",
           "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm", "l1_penalty",
           "l2_penalty"]
