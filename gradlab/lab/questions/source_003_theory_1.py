"""The answer index: source 003, part 3 理论, L319-448 (003-optimization-algorithms ...
003-non-gradient-costs): its first questions, then those on the *Deep Learning* book's applied
math and machine-learning basics."""

from __future__ import annotations

from .entry import Question

# ----------------------------------------------------------------------------- 3 理论

_THEORY_1 = (
    Question(
        id="003-optimization-algorithms", source="003", ref="source 003 L319-325",
        topic="optimization",
        question_zh="优化算法",
        question_en="Optimization algorithms: which are adaptive (Adam, AdaGrad, RMSProp)?",
        answer="AdaGrad, RMSProp and Adam give every parameter its own step size, computed "
        "from the history of its gradients, while SGD and momentum use one learning rate "
        "for all. AdaGrad divides by the root of the sum of all past squared gradients, so "
        "its steps only shrink; RMSProp uses a moving average of the squared gradients "
        "instead, so its steps can grow again; Adam adds a moving average of the gradient "
        "itself (momentum) and corrects both averages for their start at zero. optimizers "
        "compares them on an ill-conditioned quadratic and follows AdaGrad's shrinking step "
        "on Digits. The 121 under the source's heading is a stray number, not content.",
        experiments=("optimizers",),
        code=("gradlab.optim.SGD", "gradlab.optim.Adagrad", "gradlab.optim.RMSprop",
              "gradlab.optim.Adam", "gradlab.optim.Adadelta"),
        tests=("tests/test_optim.py::test_matches_torch_on_gradient_sequence",
               "tests/test_lab_e09_e10_e12.py::"
               "test_adagrad_effective_step_matches_its_accumulator")),
    Question(
        id="003-rnn", source="003", ref="source 003 L327-334", topic="recurrent",
        question_zh="RNN",
        question_en="What is a recurrent neural network?",
        answer="An RNN applies the same cell at every time step: h_t = tanh(W x_t + U h_(t-1) "
        "+ b), so its inputs are the current sample and the previous state, as the source "
        "says. Because the weights are shared across time, the parameter count does not "
        "depend on the sequence length: `gradlab summary lstm-classifier` gives 27,818 "
        "parameters for sequences of 20 and of 200 tokens. Training unrolls the loop and "
        "backpropagates through time, summing each weight's gradient over the steps. Plain "
        "RNNs lose or blow up gradients over long spans, which the gated cells (LSTM, GRU) "
        "address (gated-rnn-adding).",
        experiments=("gated-rnn-adding",),
        code=("gradlab.nn.RNN", "gradlab.nn.RNNCell", "gradlab.nn.LSTM", "gradlab.nn.GRU"),
        commands=("gradlab summary lstm-classifier --input 20",
                  "gradlab summary lstm-classifier --input 200"),
        tests=("tests/test_nn_rnn.py::test_cell_unrolled_equals_layer",
               "tests/test_nn_rnn.py::test_layer_matches_torch")),
    Question(
        id="003-audio-video-fusion", source="003", ref="source 003 L337-343", topic="general",
        question_zh="视频信息包括图片和音频，这两种特征怎么融合",
        question_en="A video has images and audio: how can the two kinds of features be "
        "fused?",
        answer="Encode each modality with a network suited to it, a 2-D CNN for the frames and "
        "a 1-D convolution or RNN over the waveform (or a 2-D CNN over its spectrogram), then "
        "combine the features. Concatenation needs no common size; addition or weighted "
        "sums need both projected to the same dimension first, as the source says. The "
        "combination can happen early (inputs), in the middle (features, the usual choice) "
        "or late (averaging the two models' predictions), and attention can weight the "
        "modalities per sample. The streams must also be aligned in time, since frames and "
        "audio samples come at different rates. gradlab has the pieces (Conv1d, Conv2d, "
        "cat) but no multimodal model or experiment.",
        code=("gradlab.nn.Conv1d", "gradlab.nn.Conv2d", "gradlab.cat")),
    Question(
        id="003-compute-feature-map-size", source="003", ref="source 003 L345-353",
        topic="convolution",
        question_zh="计算 feature map 大小",
        question_en="Compute the size of a feature map.",
        answer="H_out = floor((H_in + 2 pad - kernel) / stride) + 1, and the same for W; the "
        "source's formula omits the floor, which matters whenever the division is not exact: "
        "a 7 x 7 stride-2 convolution with padding 3 on 224 gives floor(223 / 2) + 1 = 112 "
        "(gradlab.tools.conv_output_size). With dilation d the kernel spans d (kernel - 1) "
        "+ 1 pixels. The source's note is right for odd kernels: at stride 1, pad = "
        "(kernel - 1) / 2 keeps the size (gradlab.tools.same_padding).",
        code=("gradlab.tools.conv_output_size", "gradlab.tools.same_padding"),
        tests=("tests/test_tools_shapes.py::test_conv_grid",
               "tests/test_tools_shapes.py::test_same_padding_keeps_size_at_stride_1")),
    Question(
        id="003-two-3x3-vs-5x5", source="003", ref="source 003 L356-366",
        topic="architectures",
        question_zh="VGG使用 2 个 3\\*3 代替 5\\*5 卷积的优势",
        question_en="Why does VGG use two 3 x 3 convolutions instead of one 5 x 5?",
        answer="Two stacked 3 x 3 stride-1 convolutions see the same 5 x 5 region as one "
        "5 x 5 convolution. With C channels in and out they have 2 x 9 C^2 weights against "
        "25 C^2, the ratio 0.72 the source gives, and gradlab.tools.stacked_3x3_vs_5x5 shows "
        "the multiply-adds fall by the same 0.72, which answers the source's question: the "
        "computation goes down, not up. They also put a second nonlinearity in between. "
        "The price is one more intermediate feature map to store for the backward pass; "
        "whether the change lowers or raises overfitting, the source's other question, is not "
        "measured by gradlab. Three 3 x 3 layers replace a 7 x 7 one with 27/49 of its "
        "weights.",
        code=("gradlab.tools.stacked_3x3_vs_5x5", "gradlab.tools.receptive_field"),
        tests=("tests/test_tools_summary.py::"
               "test_stacked_3x3_vs_5x5_is_072_and_matches_real_layers",
               "tests/test_tools_receptive_field.py::test_stacked_small_kernels_and_growth")),
    Question(
        id="003-bayesian-frequentist", source="003", ref="source 003 L368-374", topic="general",
        question_zh="简单介绍一下贝叶斯概率与频率派概率，以及在统计中对于真实参数的假设。",
        question_en="Bayesian versus frequentist probability, and what each assumes about "
        "the true parameter.",
        answer="Frequentist probability is the long-run frequency of an outcome in repeatable "
        "experiments; Bayesian probability is a degree of belief, which also applies to "
        "events that happen once. A frequentist treats the true parameter as fixed but "
        "unknown, and the estimator as a random variable through the random data set "
        "(hence bias and variance of estimators). A Bayesian treats the parameter itself as "
        "random, with a prior distribution that Bayes' rule turns into a posterior given "
        "the data. Maximum likelihood is the frequentist workhorse; MAP estimation and "
        "posterior averaging are Bayesian, and training with an L2 penalty is MAP under a "
        "Gaussian prior."),
    Question(
        id="003-jacobian-hessian", source="003", ref="source 003 L376-380",
        topic="backpropagation",
        question_zh="Jacobian，Hessian 矩阵及其在深度学习中的重要性",
        question_en="The Jacobian and Hessian matrices and their importance in deep learning.",
        answer="The Jacobian of f: R^n -> R^m holds all first derivatives dF_i / dx_j; "
        "backpropagation multiplies the layers' Jacobians by the chain rule, one "
        "vector-Jacobian product per operation, without ever forming them. The Hessian of a "
        "scalar loss holds its second derivatives, the curvature: by the second-order "
        "Taylor expansion a gradient step of size eps changes the loss by -eps g^T g + "
        "eps^2 g^T H g / 2, so steep curvature makes a step overshoot, and gradient descent "
        "on a quadratic needs a learning rate below 2 / lambda_max. The Hessian's "
        "eigenvalues tell minima from saddles and give the condition number (whitening). "
        "gradlab.autograd.functional.jacobian forms a small net's Jacobian row by row from "
        "vector-Jacobian products, with torch.autograd.functional's API and results. "
        "gradlab's autograd is first order (grad refuses create_graph=True, so there is no "
        "hessian), and saddle-points forms its Hessians by finite differences of autograd "
        "gradients.",
        experiments=("saddle-points", "whitening", "newton-vs-gd"),
        code=("gradlab.autograd.functional.jacobian", "gradlab.autograd.functional.vjp",
              "gradlab.autograd.grad", "gradlab.autograd.backward"),
        tests=("tests/test_engine.py::test_backward_on_non_scalar_needs_gradient",
               "tests/test_autograd_functional.py::test_mlp_jacobian_wrt_input_matches_torch",
               "tests/test_autograd_functional.py::"
               "test_mlp_jacobian_matches_finite_differences_float64")),
    Question(
        id="003-kl-intuition", source="003", ref="source 003 L383-385", topic="losses",
        question_zh="KL 散度在信息论中度量的是那个直观量",
        question_en="What intuitive quantity does the KL divergence measure in information "
        "theory?",
        answer="KL(P || Q) = E_P[log P(x) - log Q(x)] is the expected number of extra bits "
        "(nats with the natural log) needed to encode samples drawn from P with the code "
        "that is optimal for Q instead of the one optimal for P. It is never negative and "
        "is 0 only when P and Q are equal. It is not a distance: KL(P || Q) and KL(Q || P) "
        "differ in general, and the choice of direction changes which approximation is "
        "preferred. gradlab.nn.functional.kl_div computes it from log-probabilities.",
        code=("gradlab.nn.functional.kl_div", "gradlab.nn.KLDivLoss"),
        tests=("tests/test_nn_loss.py::test_vs_torch",)),
    Question(
        id="003-overflow-underflow", source="003", ref="source 003 L388-390", topic="losses",
        question_zh="数值计算中的计算上溢与下溢问题，如 softmax 中的处理方式",
        question_en="Numerical overflow and underflow, and how softmax handles them.",
        answer="Overflow turns large numbers into inf (e^x exceeds the float32 range for x "
        "above about 88.7), and underflow rounds tiny ones to 0, after which log(0) gives "
        "-inf and a division by 0 gives nan. softmax is unchanged when one constant is "
        "subtracted from every input, so it is computed from x - max(x): the largest "
        "exponential is e^0 = 1, nothing overflows, and the denominator is at least 1. An "
        "output probability can still underflow to 0, so the log-softmax is computed "
        "directly as x - logsumexp(x), and the cross-entropy is fused with it. "
        "softmax-overflow shows the naive formula failing where the shifted one does not.",
        experiments=("softmax-overflow",),
        code=("gradlab.nn.functional.softmax", "gradlab.nn.functional.log_softmax",
              "gradlab.logsumexp", "gradlab.nn.functional.cross_entropy"),
        tests=("tests/test_nn_activation.py::test_vs_torch",)),
    Question(
        id="003-condition-number", source="003", ref="source 003 L393-395",
        topic="optimization",
        question_zh="与矩阵的特征值相关联的条件数 (病态条件) 指什么，与梯度爆炸与梯度弥散的关系",
        question_en="What is the condition number of a matrix (ill-conditioning), and how does "
        "it relate to exploding and vanishing gradients?",
        answer="The condition number is the ratio of the largest to the smallest singular "
        "value (eigenvalue magnitude for a symmetric matrix); when it is large, small "
        "changes of the input give large changes of the output, and the matrix is "
        "ill-conditioned. For the Hessian of a loss, gradient descent must keep its "
        "learning rate below 2 / lambda_max while the flattest direction shrinks only by a "
        "factor 1 - lambda_min / lambda_max per step at lr = 1 / lambda_max, so the steps "
        "needed grow in proportion to the condition number (whitening measures this). "
        "Exploding and vanishing gradients are about scale rather than ratio: "
        "backpropagation multiplies one Jacobian per layer or time step, and the product "
        "grows or shrinks geometrically when their singular values are above or below 1. "
        "Both come from the spread of singular values of products of matrices, and "
        "momentum and adaptive methods address the conditioning (optimizers).",
        experiments=("whitening", "optimizers", "exploding-gradients"),
        code=("gradlab.transforms.PCAWhitening", "gradlab.transforms.ZCAWhitening")),
    Question(
        id="003-critical-points", source="003", ref="source 003 L397-400",
        topic="optimization",
        question_zh="在基于梯度的优化问题中，如何判断一个梯度为 0 的零界点"
        "为局部极大值／全局极小值还是鞍点，Hessian 矩阵的条件数与梯度下降法的关系",
        question_en="At a critical point (zero gradient), how do you tell a local maximum, a "
        "minimum or a saddle point; how does the Hessian's condition number affect gradient "
        "descent?",
        answer="Look at the Hessian's eigenvalues there: all positive is a local minimum, all "
        "negative a local maximum, and mixed signs a saddle point; a zero eigenvalue leaves "
        "the test inconclusive. Local information cannot tell a global minimum from a "
        "local one, except for convex functions. In high dimensions saddles far outnumber "
        "local minima, and saddle-points computes the Hessian's smallest eigenvalue on the "
        "plateaus of a deep linear net to see which it meets. A large condition number of "
        "the Hessian forces gradient descent to a learning rate set by the steepest "
        "direction, so it crawls along the flattest one (whitening); momentum and adaptive "
        "steps reduce the cost (optimizers).",
        experiments=("saddle-points", "whitening", "optimizers", "newton-vs-gd")),
    Question(
        id="003-kkt", source="003", ref="source 003 L402-406", topic="optimization",
        question_zh="KTT 方法与约束优化问题，活跃约束的定义",
        question_en="The KKT method for constrained optimization, and what an active "
        "constraint is.",
        answer="The source's KTT is the Karush-Kuhn-Tucker (KKT) method. To minimize f(x) "
        "subject to g_i(x) = 0 and h_j(x) <= 0, form the generalized Lagrangian f + sum "
        "lambda_i g_i + sum alpha_j h_j; minimizing over x the maximum over lambda and "
        "alpha >= 0 gives the constrained optimum. At a solution (under regularity "
        "conditions) the KKT conditions hold: the Lagrangian's gradient is 0, all "
        "constraints are met, alpha_j >= 0, and alpha_j h_j(x) = 0 (complementary "
        "slackness). A constraint h_j is active when h_j(x) = 0 at the solution; an "
        "inactive one has alpha_j = 0 and could be dropped without moving the local "
        "solution. gradlab has no constrained optimizer."),
    Question(
        id="003-capacity", source="003", ref="source 003 L408-412", topic="general",
        question_zh="模型容量，表示容量，有效容量，最优容量概念",
        question_en="Model capacity, representational capacity, effective capacity, optimal "
        "capacity.",
        answer="Capacity is a model's ability to fit a wide variety of functions. The "
        "representational capacity is the family of functions the model class can express; "
        "the effective capacity is what the learning algorithm actually reaches, usually "
        "less, because optimization is imperfect and regularization restricts it. The "
        "optimal capacity is where the generalization error is lowest: below it the model "
        "underfits (high training error), above it the gap between test and training error "
        "grows and it overfits. The VC dimension is one formal measure of capacity for "
        "binary classifiers. optimal-capacity shows the classical picture with polynomials "
        "fitted to 15 noisy points of sin(pi x): the median training error falls from 0.47 "
        "at degree 0 to 0.006 at degree 12, while the test error is lowest at degree 3 (0.13)"
        " and 186,000 times that at degree 12 (seed 0; d* = 3 for seeds 0-2); a ridge "
        "penalty at degree 12 lowers the effective degrees of freedom from 12.9 to 5.6 and "
        "the median test error from 2,453 to 0.185, the effective capacity falling below the "
        "representational one. "
        "Very large networks can generalize well beyond this classical picture, which "
        "gradlab does not measure.",
        experiments=("optimal-capacity",)),
    Question(
        id="003-weight-decay-prior", source="003", ref="source 003 L414-418",
        topic="regularization",
        question_zh="正则化中的权重衰减与加入先验知识在某些条件下的等价性",
        question_en="When is weight decay equivalent to adding prior knowledge?",
        answer="When the loss is a negative log-likelihood, adding (lambda / 2) |w|^2 equals "
        "adding -log p(w) for a Gaussian prior w ~ N(0, I / lambda), up to a constant, so "
        "minimizing the penalized loss is MAP estimation under that prior. Other penalties "
        "are other priors (L1 is a Laplace prior). For plain SGD the penalty's gradient "
        "lambda w is exactly weight decay, w <- (1 - lr lambda) w - lr g; for Adam it is "
        "not, because the adaptive scaling also divides the penalty's gradient, which is "
        "why AdamW decays the weights separately. l2-l1-regularization measures both "
        "cases.",
        experiments=("l2-l1-regularization",),
        code=("gradlab.nn.utils.l2_penalty", "gradlab.optim.SGD", "gradlab.optim.AdamW"),
        tests=("tests/test_clip_penalty.py::test_l2_penalty_in_loss_equals_sgd_weight_decay",)),
    Question(
        id="003-gaussian-ubiquity", source="003", ref="source 003 L420-424", topic="general",
        question_zh="高斯分布的广泛应用的缘由",
        question_en="Why is the Gaussian distribution so widely used?",
        answer="By the central limit theorem, a sum of many independent small effects is "
        "approximately normal, so many kinds of noise are. Among all distributions with a "
        "given mean and variance the Gaussian has the largest entropy, so choosing it adds "
        "the least prior knowledge. It is also convenient: it has closed forms, and linear "
        "maps, sums of independent Gaussians and conditioning keep it Gaussian. In deep "
        "learning the mean squared error is the negative log-likelihood under Gaussian "
        "noise, L2 weight decay corresponds to a Gaussian prior, and weights are often "
        "initialized from a Gaussian. central-limit measures how fast sums become Gaussian: "
        "64 skewed exponential terms are 0.019 from N(0, 1) in Kolmogorov-Smirnov distance, "
        "and a unit's pre-activation terms under a uniform init (w * relu(g)) 0.004 (seed "
        "0), but 64 "
        "Bernoulli(0.1) terms, discrete and skewed, are still 0.10-0.11 away (seeds 0-2).",
        experiments=("central-limit",),
        code=("gradlab.nn.init.normal_", "gradlab.nn.functional.mse_loss")),
    Question(
        id="003-mle-kl-cross-entropy", source="003", ref="source 003 L426-430", topic="losses",
        question_zh="最大似然估计中最小化 KL 散度与最小化分布之间的交叉熵的关系",
        question_en="In maximum likelihood, how are minimizing the KL divergence and "
        "minimizing the cross-entropy related?",
        answer="Maximum likelihood maximizes the mean of log p_model(x_i; theta) over the "
        "training data, which is minimizing the cross-entropy H(p_data, p_model) between the "
        "empirical distribution and the model. KL(p_data || p_model) = H(p_data, p_model) - "
        "H(p_data), and H(p_data) does not depend on theta, so the two have the same "
        "minimizer; their values differ by the data's entropy. Every negative "
        "log-likelihood is such a cross-entropy: the mean squared error is the one of a "
        "Gaussian model. gradlab's cross_entropy, nll_loss and kl_div compute these "
        "quantities.",
        code=("gradlab.nn.functional.cross_entropy", "gradlab.nn.functional.nll_loss",
              "gradlab.nn.functional.kl_div")),
    Question(
        id="003-map-linear-regression", source="003", ref="source 003 L432-438",
        topic="regularization",
        question_zh="在线性回归问题，具有高斯先验权重的 MAP 贝叶斯推断与权重衰减的关系，"
        "与正则化的关系",
        question_en="In linear regression, how does MAP inference with a Gaussian prior on "
        "the weights relate to weight decay and to regularization?",
        answer="With y = w^T x + noise, noise ~ N(0, sigma^2) and prior w ~ N(0, tau^2 I), "
        "the log posterior is -|y - X w|^2 / (2 sigma^2) - |w|^2 / (2 tau^2) + const. "
        "Maximizing it is ridge regression with lambda = sigma^2 / tau^2, whose solution is "
        "w = (X^T X + lambda I)^-1 X^T y. So MAP with a Gaussian prior is L2 regularization, "
        "which under SGD is weight decay, and a broader prior (larger tau) means weaker "
        "decay. The posterior here is Gaussian, so its mean equals the MAP estimate; the "
        "full Bayesian treatment adds the posterior's covariance.",
        code=("gradlab.nn.utils.l2_penalty",),
        tests=("tests/test_clip_penalty.py::test_l2_penalty_in_loss_equals_sgd_weight_decay",)),
    Question(
        id="003-sparse-lowdim-independent", source="003", ref="source 003 L440-442",
        topic="general",
        question_zh="稀疏表示，低维表示，独立表示",
        question_en="Sparse, low-dimensional and independent representations.",
        answer="These are three common goals for a learned representation of x. A "
        "low-dimensional one compresses x into fewer dimensions; a sparse one has most "
        "entries 0 for most inputs, often in more dimensions than x; an independent one "
        "disentangles the sources of variation so that its dimensions are statistically "
        "independent. PCA gives a low-dimensional representation whose components are "
        "uncorrelated, which is weaker than independent except for Gaussian data; "
        "gradlab.transforms.PCAWhitening computes it. k-means gives the sparsest code, a "
        "one-hot cluster index, and an L1 penalty on activations encourages sparse codes.",
        code=("gradlab.transforms.PCAWhitening",),
        tests=("tests/test_transforms.py::test_whitened_training_covariance_is_identity",)),
    Question(
        id="003-non-gradient-costs", source="003", ref="source 003 L444-448",
        topic="optimization",
        question_zh="列举一些无法基于地图 (梯度？) 的优化来最小化的代价函数及其具有的特点",
        question_en="Which cost functions cannot be minimized by gradient-based optimization, "
        "and what characterizes them?",
        answer="The source's 地图 is a garbled 梯度 (gradient), as its own question mark "
        "suggests. Costs that are piecewise constant have zero gradient almost everywhere "
        "and none at their jumps: the 0-1 classification error, counts such as the number "
        "of non-zero weights, and anything that passes through argmax, rounding or "
        "sampling. They are replaced by a differentiable surrogate (the cross-entropy for "
        "the error rate, L1 for the count), handled with a straight-through estimator, or "
        "optimized with score-function gradients or gradient-free search. gradlab's "
        "binarized weights use the straight-through estimator: sign() has zero gradient "
        "almost everywhere, so the backward pass passes the gradient through unchanged "
        "inside [-1, 1].",
        code=("gradlab.compress.Binarize", "gradlab.compress.Ternarize"),
        tests=("tests/test_compress_quantize.py::test_binary_weights_and_ste",)),
)
