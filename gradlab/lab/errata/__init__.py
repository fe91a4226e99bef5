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

# The registry in files (each names what it holds): erratum.py, the Erratum class and how an
# evidence function reads an experiment's numbers; quotes.py, the source text the evidence
# quotes; from_experiments.py and computed.py, the evidence functions (from an experiment's
# numbers; computed here with gradlab's tools); entries.py, ERRATA itself; rows.py,
# evidence_for.

from __future__ import annotations

from .computed import (
    _adaptive_steps,
    _alexnet,
    _bn_identity,
    _clipping,
    _conv_equivariant,
    _convex_needs_step,
    _covariance_term,
    _cross_entropy_not_distance,
    _eq14_alpha,
    _gap_features,
    _input_448,
    _iou_does_not_run,
    _iou_y_extent,
    _irnn_w_or_u,
    _laplace_prior,
    _pool_rounding,
    _rf_growth,
    _same_map,
    _standardize,
    _step_is_lr_times_grad,
)
from .entries import ERRATA, _check_unique, _entry
from .erratum import Erratum, _from_numbers, _kept_rng, _Numbers
from .from_experiments import (
    _bn_gaussian,
    _bn_gradient,
    _dropout_scale,
    _iid_layers,
    _l2_sparsity,
    _relu_diag,
    _sigmoid_chain,
    _xavier_swap,
)
from .quotes import (
    _FIXED_UNPACKING,
    _OPTIMIZER_TABLE,
    _QUOTES,
    _SEED_IOU,
    _SEED_IOU_LINE,
    _SEED_UNPACKING,
    _q,
    _seed_iou,
)
from .rows import _experiment_result, evidence_for

__all__ = ["Erratum", "ERRATA", "evidence_for"]
