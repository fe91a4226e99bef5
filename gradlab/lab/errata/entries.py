"""The registry: :data:`ERRATA`, every error in the sources with its evidence function."""

from __future__ import annotations

from collections.abc import Callable

from .computed import (
    _adaptive_steps,
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
from .erratum import Erratum, _from_numbers
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
from .quotes import _OPTIMIZER_TABLE, _SEED_UNPACKING

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


def _check_unique() -> None:
    seen: set[str] = set()
    for e in ERRATA:
        if e.id in seen:
            raise ValueError(f"gradlab.lab.errata: duplicate erratum id {e.id!r}")
        seen.add(e.id)


_check_unique()
