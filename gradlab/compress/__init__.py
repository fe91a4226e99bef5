"""Compression: pruning, quantization, distillation, low-rank factorization, efficient convs
(SCOPE L; source 003 "model acceleration").

    from gradlab import compress
    compress.magnitude_prune(model, 0.8)               # masks; fine-tune; remove_masks
    compress.quantize_model(model, calibration_batches) # int8 layers, integer arithmetic
    compress.distill(student, teacher, train_loader)   # Hinton et al. 2015
    compress.factorize_model(model, energy=0.9)        # SVD of Linear / Conv2d
"""

from ._util import clone_module, saved_size
from .distill import DistillationLoss, Distiller, distill, distillation_loss
from .efficient import CostTable, DepthwiseSeparableConv2d, Fire, ShuffleUnit, compare_costs
from .lowbit import (
    Binarize,
    Ternarize,
    binarize,
    freeze_low_bit_weights_,
    low_bit_size,
    low_bit_weights_,
    pack_low_bit,
    ternarize,
    ternary_threshold,
    unpack_low_bit,
)
from .lowrank import (
    Factorization,
    factorize_conv2d,
    factorize_linear,
    factorize_model,
    rank_for_energy,
    svd,
)
from .pruning import (
    SparsityReport,
    count_parameters,
    dense_state_dict,
    iterative_prune,
    l1_sparsity_penalty,
    magnitude_prune,
    prunable_layers,
    prune_channels_,
    remove_masks,
    sparse_state_dict,
    sparsity_report,
    with_l1_penalty,
)
from .qat import (
    FakeQuantize,
    QATConv2d,
    QATLinear,
    convert_qat,
    fake_quantize,
    prepare_qat,
)
from .quantize import (
    MinMaxObserver,
    PercentileObserver,
    QParams,
    QuantizedConv2d,
    QuantizedLinear,
    calibrate,
    fixed_point_multiplier,
    int_conv2d,
    int_linear,
    model_size,
    qparams_from_range,
    quantize_model,
    quantize_weight,
    requantize,
)
from .saved import load_compressed

__all__ = ["distillation_loss", "distill", "Distiller", "DistillationLoss",
           "DepthwiseSeparableConv2d", "ShuffleUnit", "Fire", "compare_costs", "CostTable",
           "Factorization", "svd",
           "rank_for_energy", "factorize_linear", "factorize_conv2d", "factorize_model",
           "magnitude_prune", "iterative_prune", "remove_masks", "prune_channels_",
           "prunable_layers", "sparsity_report", "SparsityReport", "l1_sparsity_penalty",
           "with_l1_penalty", "count_parameters", "sparse_state_dict", "dense_state_dict",
           "QParams", "qparams_from_range",
           "quantize_weight", "MinMaxObserver", "PercentileObserver", "int_linear",
           "int_conv2d", "requantize", "fixed_point_multiplier", "QuantizedLinear",
           "QuantizedConv2d", "calibrate",
           "quantize_model", "model_size", "FakeQuantize", "fake_quantize", "QATLinear",
           "QATConv2d", "prepare_qat", "convert_qat", "Binarize", "Ternarize", "binarize",
           "ternarize", "ternary_threshold", "low_bit_weights_", "freeze_low_bit_weights_",
           "pack_low_bit", "unpack_low_bit", "low_bit_size", "clone_module", "saved_size"]
