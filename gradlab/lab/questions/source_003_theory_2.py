"""The answer index: source 003, part 3 理论, L450-576 (003-hidden-layers-nonconvex ...
003-hessian-normalization): feedforward networks, regularization and optimization."""

from __future__ import annotations

from .entry import Question

# ----------------------------------------------------------------------------- 3 理论

_THEORY_2 = (
    Question(
        id="003-hidden-layers-nonconvex", source="003", ref="source 003 L450-454",
        topic="general",
        question_zh="在深度神经网络中，引入了隐藏层，放弃了训练问题的凸性，其意义何在",
        question_en="Hidden layers give up the convexity of the training problem: what is "
        "gained?",
        answer="A linear model with a convex loss has one global optimum, but it can only "
        "represent linear functions of features someone designed. Hidden layers let the "
        "network learn the features itself; with enough units it can approximate any "
        "continuous function on a bounded domain, and depth lets it represent some "
        "functions with far fewer units. The price is a non-convex loss whose result "
        "depends on the initialization, with many equivalent minima (the hidden units can "
        "be permuted) and many saddle points. In practice gradient methods reach good "
        "solutions in large networks, and saddle-points looks at what a deep linear net "
        "meets on its way to the optimum.",
        experiments=("saddle-points",)),
    Question(
        id="003-saturation-smoothness", source="003", ref="source 003 L456-460",
        topic="gradients",
        question_zh="函数在某个区间的饱和与平滑性对基于梯度的学习的影响",
        question_en="How do saturation and smoothness of a function affect gradient-based "
        "learning?",
        answer="Where a function saturates its derivative is close to 0, so gradients passing "
        "through it carry almost no signal and learning stalls even when the output is "
        "wrong. That is why saturating units need inputs kept in their sensitive range "
        "(tanh-saturation), why deep sigmoid stacks lose gradient (sigmoid-depth), and why "
        "sigmoid and softmax outputs are trained with the log-likelihood, whose log undoes "
        "the exponential's saturation (softmax-overflow). Smoothness matters because a "
        "gradient step trusts a local linear approximation: where the gradient changes "
        "quickly only small steps are safe. Isolated kinks such as ReLU's at 0 cause no "
        "trouble in practice.",
        experiments=("tanh-saturation", "sigmoid-depth", "softmax-overflow")),
    Question(
        id="003-exploding-remedies", source="003", ref="source 003 L462-468", topic="gradients",
        question_zh="梯度爆炸的一些解决办法",
        question_en="Some remedies for exploding gradients.",
        answer="Clip the gradient: rescale it when its norm exceeds a threshold, which keeps "
        "its direction, or clip each element. Initialize at a scale that keeps the "
        "backpropagated signal's size from layer to layer (He or Xavier, orthogonal for "
        "recurrent weights), lower the learning rate, and use residual connections, "
        "normalization layers or gated recurrent cells. Truncated backpropagation through "
        "time and weight penalties limit the growth in recurrent nets. exploding-gradients "
        "shows large weights exploding the gradient of a deep net and clipping restoring "
        "training.",
        experiments=("exploding-gradients", "init-scale"),
        code=("gradlab.nn.utils.clip_grad_norm_", "gradlab.nn.utils.clip_grad_value_"),
        tests=("tests/test_clip_penalty.py::test_clip_grad_norm_result_has_max_norm",
               "tests/test_diagnose.py::test_exploding_gradients_from_large_weights")),
    Question(
        id="003-depth-vs-width", source="003", ref="source 003 L470-474",
        topic="architectures",
        question_zh="在前馈网络中，深度与宽度的关系及表示能力的差异",
        question_en="In feedforward networks, how do depth and width relate, and how do "
        "their representational powers differ?",
        answer="One hidden layer with enough units can approximate any continuous function on "
        "a bounded domain (the universal approximation theorem), but the width needed can "
        "grow exponentially with the input dimension. Depth can be exponentially more "
        "efficient for some functions: the number of linear regions of a ReLU network can "
        "grow exponentially with its depth and only polynomially with its width (Montufar "
        "et al. 2014). Depth also encodes the prior that the function is a composition of "
        "simpler ones. Deeper plain networks are harder to optimize, which residual "
        "connections address (residual-degradation); gradlab does not compare depth and "
        "width at equal parameter counts.",
        experiments=("residual-degradation",)),
    Question(
        id="003-ce-vs-mse-outputs", source="003", ref="source 003 L476-480", topic="losses",
        question_zh="为什么交叉熵损失可以提高具有 sigmoid 和 softmax 输出的模型的性能，"
        "而使用均方误差损失则会存在很多问题",
        question_en="Why does the cross-entropy suit sigmoid and softmax outputs better than "
        "the mean squared error; and what are the pros and cons of piecewise-linear hidden "
        "units?",
        answer="Behind a sigmoid or softmax, the MSE's gradient with respect to the logit "
        "carries the output's slope, which is near 0 when the output saturates, even on the "
        "wrong class; the cross-entropy's gradient is simply q - y, so a confident mistake "
        "gets a large correction. softmax-overflow measures both gradients at a saturated "
        "start and trains from one. Piecewise-linear hidden units such as ReLU have slope 1 "
        "wherever they are active, so they do not shrink the gradient with depth as "
        "sigmoids do (sigmoid-depth), and they are cheap. Their drawbacks are zero slope "
        "for negative inputs, so units can die (dying-relu), outputs that are unbounded and "
        "not zero-centred, and a kink at 0 that is harmless in practice.",
        experiments=("softmax-overflow", "sigmoid-depth", "dying-relu")),
    Question(
        id="003-representation-learning", source="003", ref="source 003 L482-486",
        topic="architectures",
        question_zh="表示学习的发展的初衷？并介绍其典型例子: 自编码器",
        question_en="Why was representation learning developed? Describe its typical example, "
        "the autoencoder.",
        answer="Designing features by hand is slow, needs expert knowledge and does not carry "
        "over between tasks; representation learning learns features from data so that the "
        "task after them becomes easy, often a linear classifier on top. An autoencoder "
        "has an encoder h = f(x) and a decoder r = g(h) and is trained to reconstruct its "
        "input, minimizing a loss L(x, g(f(x))). It is kept from copying the input by a "
        "bottleneck (a code smaller than x), a sparsity penalty on h, or noise on the input, "
        "so the code has to capture the data's main structure. gradlab has no autoencoder "
        "model; linear-autoencoder-pca builds a linear one from two weight matrices and an "
        "MSE loss.",
        experiments=("linear-autoencoder-pca",)),
    Question(
        id="003-no-bias-penalty", source="003", ref="source 003 L488-492",
        topic="regularization",
        question_zh="在做正则化过程中，为什么只对权重做正则惩罚，而不对偏置做权重惩罚",
        question_en="Why do penalties apply to the weights only and not to the biases?",
        answer="A bias controls a single unit's offset and interacts with no other variable, "
        "so it needs little data to be fitted well and adds little variance when left "
        "free. A weight couples two variables, and there are far more of them. Penalizing "
        "biases can cause underfitting by pulling offsets towards 0 where the data need "
        "them large. In gradlab, nn.utils.l2_penalty penalizes exactly the parameters it is "
        "given, and the optimizers take parameter groups, so the biases can be put in a "
        "group with weight_decay=0.",
        code=("gradlab.nn.utils.l2_penalty", "gradlab.optim.SGD"),
        tests=("tests/test_optim.py::test_added_param_group_matches_torch",)),
    Question(
        id="003-same-weight-decay", source="003", ref="source 003 L494-498",
        topic="regularization",
        question_zh="在深度学习神经网络中，所有的层中考虑使用相同的权重衰减的利弊",
        question_en="Pros and cons of using the same weight decay in every layer.",
        answer="One coefficient for all layers keeps the search for hyperparameters small, "
        "which is the main reason it is common. But layers differ in size, fan-in and role, "
        "so the same coefficient restrains them unequally relative to their scale, and a "
        "per-layer search could do better at a much higher tuning cost. A layer followed by "
        "BatchNorm computes the same function at any scale of its weights, so decay there "
        "does not restrict capacity; it only raises the effective learning rate "
        "(van Laarhoven 2017). gradlab's optimizers take a weight_decay per parameter "
        "group; gradlab does not measure the trade-off.",
        code=("gradlab.optim.SGD", "gradlab.optim.AdamW")),
    Question(
        id="003-weight-decay-hessian", source="003", ref="source 003 L500-506",
        topic="regularization",
        question_zh="正则化过程中，权重衰减与 Hessian 矩阵中特征值的一些关系，"
        "以及与梯度弥散，梯度爆炸的关系",
        question_en="How does weight decay relate to the Hessian's eigenvalues, and to "
        "vanishing and exploding gradients?",
        answer="Near the unregularized optimum w*, with Hessian H = Q Lambda Q^T, an L2 "
        "penalty alpha moves the optimum to Q (Lambda + alpha I)^-1 Lambda Q^T w*: the "
        "component along eigenvector i is scaled by lambda_i / (lambda_i + alpha). "
        "Directions of high curvature (lambda_i much larger than alpha) are kept and flat "
        "ones, which the data barely determine, are shrunk towards 0. The penalized "
        "Hessian is H + alpha I, so every eigenvalue rises by alpha and the condition "
        "number falls. Decay keeps weights small, which limits how far backpropagated "
        "products can grow, but it also lowers each layer's gain and so can deepen "
        "vanishing; it is not a remedy for either, which initialization, normalization, "
        "residual connections and clipping address. weight-decay-eigendirections measures "
        "the factor lambda_i / (lambda_i + alpha) along each eigenvector.",
        experiments=("weight-decay-eigendirections",)),
    Question(
        id="003-l1-l2-map", source="003", ref="source 003 L506-512", topic="regularization",
        question_zh="L1／L2 正则化与高斯先验／对数先验的 MAP 贝叶斯推断的关系",
        question_en="How do L1 and L2 regularization relate to MAP inference with a Gaussian "
        "or Laplace prior?",
        answer="MAP maximizes log p(y | X, w) + log p(w), so a penalty is the negative log of "
        "a prior. (alpha / 2) |w|^2 is -log of a Gaussian prior N(0, I / alpha) and "
        "alpha |w|_1 is -log of an isotropic Laplace prior with scale 1 / alpha, each up to a "
        "constant. The source's 对数先验 should be the Laplace prior; a log appears in every "
        "MAP penalty. The Laplace density has a sharp peak at 0, which is why L1 sets many "
        "weights exactly to 0 while L2 only shrinks them; l2-l1-regularization measures the "
        "near-zero shares.",
        experiments=("l2-l1-regularization",),
        code=("gradlab.nn.utils.l1_penalty", "gradlab.nn.utils.l2_penalty"),
        tests=("tests/test_clip_penalty.py::test_l1_penalty_value_and_gradient_is_sign",
               "tests/test_clip_penalty.py::test_l2_penalty_value_and_gradient_is_w"),
        errata=("l1-laplace-prior",)),
    Question(
        id="003-under-constrained", source="003", ref="source 003 L512-518",
        topic="regularization",
        question_zh="什么是欠约束，为什么大多数的正则化可以使欠约束下的欠定问题在迭代过程中收敛",
        question_en="What is an under-constrained problem, and why does regularization make "
        "iterative methods converge on it?",
        answer="A problem is under-constrained when the data do not determine a unique "
        "solution: linear regression with more features than samples (X^T X singular), or "
        "logistic regression on linearly separable data, where scaling w up keeps lowering "
        "the loss, so there is no finite minimizer and gradient descent grows w without end. "
        "An L2 penalty makes X^T X + alpha I invertible and the objective strongly convex, "
        "so there is exactly one minimizer and gradient descent with a suitable step "
        "converges to it. For the separable logistic case the penalty grows faster than the "
        "loss can fall, which stops the growth. As alpha goes to 0 the ridge solution tends "
        "to the Moore-Penrose pseudo-inverse solution, the smallest-norm one. "
        "under-constrained measures both cases (seeds 0-2): plain gradient descent's "
        "logistic weights still grow 1.11-1.13x between steps 2,000 and 4,000, and five "
        "starts of a 50-parameter least-squares fit to 20 samples end 1.03-1.18 (relative) "
        "apart, differing only in X's null space; with weight decay both settle (norm change "
        "below 1e-9, spread below 1e-14).",
        experiments=("under-constrained",),
        code=("gradlab.optim.SGD",)),
    Question(
        id="003-noise-as-regularizer", source="003", ref="source 003 L518-524",
        topic="regularization",
        question_zh="为什么考虑在模型训练时对输入 (隐藏单元／权重) 添加方差较小的噪声，"
        "与正则化的关系",
        question_en="Why add small-variance noise to the inputs (hidden units, weights) in "
        "training, and how is it related to regularization?",
        answer="Noise makes the model fit a neighbourhood of each example instead of the point, "
        "which favours smooth functions. For a linear model with squared error it is exactly "
        "L2: the expected loss with input noise of variance sigma^2 is the clean loss plus "
        "sigma^2 |w|^2. For nonlinear models small input noise approximates a penalty on "
        "the squared gradient of the output with respect to the input (Bishop 1995). Noise "
        "on the weights penalizes the output's sensitivity to them and so favours flat "
        "minima, and noise on hidden units is what dropout adds (dropout). "
        "gradlab.transforms.GaussianNoise adds input noise as a transform.",
        experiments=("dropout",),
        code=("gradlab.transforms.GaussianNoise", "gradlab.nn.Dropout"),
        tests=("tests/test_transforms.py::test_gaussian_noise",)),
    Question(
        id="003-parameter-sharing", source="003", ref="source 003 L524-530",
        topic="architectures",
        question_zh="共享参数的概念及在深度学习中的广泛影响",
        question_en="Parameter sharing and its broad influence in deep learning.",
        answer="Parameter sharing forces several parts of a model to use the same parameters, "
        "the hard form of parameter tying (which only penalizes their differences). "
        "Convolutions share a kernel across positions and recurrent nets a cell across "
        "time steps, so the parameter count does not depend on the image size or the "
        "sequence length (`gradlab summary lstm-classifier`: 27,818 parameters at 20 and "
        "at 200 tokens). Sharing builds in prior knowledge, translation equivariance for "
        "convolutions and the same rule at every step for RNNs, and lets one model process "
        "inputs of any size. Siamese networks, tied autoencoder weights and shared input "
        "and output embeddings use it too.",
        experiments=("cnn-local-correlation",),
        code=("gradlab.nn.Conv2d", "gradlab.nn.RNN"),
        commands=("gradlab summary lstm-classifier --input 20",
                  "gradlab summary lstm-classifier --input 200")),
    Question(
        id="003-dropout-bagging", source="003", ref="source 003 L530-536",
        topic="regularization",
        question_zh="Dropout 与 Bagging 集成方法的关系，以及 Dropout 带来的意义与其强大的原因",
        question_en="How is dropout related to bagging, and why is dropout so effective?",
        answer="Bagging trains several models on bootstrap samples and averages their "
        "predictions. Dropout trains the exponentially many subnetworks obtained by removing "
        "units, each step a different one on a different mini-batch, but unlike bagging "
        "they share all their parameters. At test time the full network with weights scaled "
        "by the keep probability approximates the ensemble's average in one pass (exactly "
        "for a single softmax layer, for the geometric mean). Its strength is an ensemble "
        "for the price of one model, and that units cannot rely on particular other units "
        "being present. ensembles-bagging compares an ensemble with its members and Monte "
        "Carlo averaging of masks with weight scaling, and dropout measures the train/test "
        "gap.",
        experiments=("ensembles-bagging", "dropout"),
        code=("gradlab.nn.Dropout", "gradlab.nn.functional.dropout"),
        tests=("tests/test_nn_dropout_embedding.py::test_dropout_statistics_and_gradient",)),
    Question(
        id="003-batch-size-stability", source="003", ref="source 003 L536-542",
        topic="optimization",
        question_zh="批量梯度下降法更新过程中，批量的大小与各种更新的稳定性关系",
        question_en="How does the batch size affect the stability of the updates?",
        answer="The mini-batch gradient is an average of B per-sample gradients, so its "
        "standard error falls as 1 / sqrt(B): a batch 4 times larger halves the noise for 4 "
        "times the cost per step. Small batches give noisy updates that need a smaller "
        "learning rate and can act as a regularizer; large batches give steadier steps, use "
        "parallel hardware better, but take fewer steps per epoch. batch-size measures the "
        "cost of full-batch, mini-batch and single-sample steps as the data grow. Layers "
        "that use batch statistics add their own dependence on B: BatchNorm degrades at "
        "tiny batches where LayerNorm does not (layernorm-batch-size).",
        experiments=("batch-size", "layernorm-batch-size"),
        code=("gradlab.utils.data.DataLoader", "gradlab.optim.SGD")),
    Question(
        id="003-avoid-pathologies", source="003", ref="source 003 L542-548",
        topic="optimization",
        question_zh="如何避免深度学习中的病态，鞍点，梯度爆炸，梯度弥散",
        question_en="How to avoid ill-conditioning, saddle points, exploding and vanishing "
        "gradients in deep learning?",
        answer="Ill-conditioning: normalize or whiten the inputs (whitening), normalize layer "
        "inputs, and use momentum or adaptive optimizers (optimizers). Saddle points: the "
        "noise of SGD and momentum carry the iterate off them, and saddle-points looks at "
        "the plateaus where plain gradient descent lingers. Exploding gradients: clipping, "
        "a smaller learning rate and a well-scaled initialization (exploding-gradients, "
        "init-scale). Vanishing gradients: non-saturating units such as ReLU, He or Xavier "
        "initialization, residual connections and gated recurrent cells (sigmoid-depth, "
        "residual-degradation, gated-rnn-adding).",
        experiments=("whitening", "optimizers", "saddle-points", "exploding-gradients",
                     "init-scale", "sigmoid-depth", "residual-degradation",
                     "gated-rnn-adding"),
        code=("gradlab.nn.utils.clip_grad_norm_", "gradlab.diagnose.Monitor")),
    Question(
        id="003-sgd-lr-momentum", source="003", ref="source 003 L548-554",
        topic="optimization",
        question_zh="SGD 以及学习率的选择方法，带动量的 SGD 对"
        "于 Hessian 矩阵病态条件及随机梯度方差的影响",
        question_en="SGD and how to choose its learning rate; what momentum does about an "
        "ill-conditioned Hessian and the variance of the stochastic gradient.",
        answer="SGD steps along the negative mini-batch gradient; because that gradient stays "
        "noisy at a minimum, the learning rate must decay, and sum eps_k = infinity with "
        "sum eps_k^2 < infinity suffices for convergence. In practice one picks the largest "
        "rate that is stable over the first few hundred steps and decays it by steps, "
        "linearly or by a cosine (gradlab.optim.lr_scheduler). Momentum keeps a velocity "
        "v <- alpha v - eps g: components that flip sign across a steep valley cancel, "
        "while consistent ones along the flat direction build up to a step of about "
        "eps |g| / (1 - alpha). It therefore damps the zig-zag of an ill-conditioned Hessian and "
        "averages out part of the gradient noise; optimizers measures it on an "
        "ill-conditioned quadratic.",
        experiments=("optimizers",),
        code=("gradlab.optim.SGD", "gradlab.optim.lr_scheduler.StepLR",
              "gradlab.optim.lr_scheduler.CosineAnnealingLR"),
        tests=("tests/test_lr_scheduler.py::test_rates_equal_torch",
               "tests/test_optim.py::test_matches_torch_on_gradient_sequence")),
    Question(
        id="003-initialization", source="003", ref="source 003 L554-560",
        topic="initialization",
        question_zh="初始化权重过程中，权重大小在各种网络结构中的影响，"
        "以及一些初始化的方法；偏置的初始化",
        question_en="How does the size of the initial weights matter in various architectures; "
        "which initialization methods exist; how are biases initialized?",
        answer="Weights must differ to break the symmetry between units (symmetry), and their "
        "scale decides whether activations and gradients keep their size through depth: "
        "too large saturates or explodes, too small vanishes and makes a sigmoid net nearly "
        "linear (init-scale, tiny-weights-linear). Xavier initialization uses variance "
        "2 / (n_in + n_out) for tanh, He initialization 2 / n_in for ReLU, and recurrent "
        "nets use orthogonal matrices or, for ReLU RNNs, the identity (rnn-tanh-relu). "
        "Biases usually start at 0; exceptions are a small positive value for ReLU units, "
        "1 for an LSTM's forget gate so that it remembers at first, and output biases set to "
        "the marginal statistics of the targets.",
        experiments=("symmetry", "init-scale", "tiny-weights-linear", "rnn-tanh-relu"),
        code=("gradlab.nn.init.xavier_uniform_", "gradlab.nn.init.kaiming_normal_",
              "gradlab.nn.init.orthogonal_", "gradlab.nn.irnn_init_"),
        tests=("tests/test_nn_module.py::test_init_distributions",
               "tests/test_nn_rnn.py::test_irnn_init_keeps_state_without_input")),
    Question(
        id="003-adaptive-learning-rates", source="003", ref="source 003 L560-566",
        topic="optimization",
        question_zh="自适应学习率算法: AdaGrad，RMSProp，Adam 等算法的做法",
        question_en="How do the adaptive learning-rate algorithms AdaGrad, RMSProp and Adam "
        "work?",
        answer="AdaGrad accumulates r <- r + g * g and steps by -eps g / (delta + sqrt(r)), "
        "element-wise, so parameters with large past gradients take small steps and every "
        "step shrinks as r grows. RMSProp replaces the sum by a moving average, r <- rho r "
        "+ (1 - rho) g * g, so old gradients are forgotten and the step can grow again. "
        "Adam keeps moving averages of both g and g * g, divides each by 1 - rho^t to undo "
        "their start at 0, and steps by -eps s_hat / (sqrt(r_hat) + delta). optimizers "
        "compares them on an ill-conditioned quadratic and follows AdaGrad's decaying step "
        "on Digits; gradlab's implementations match PyTorch's step for step.",
        experiments=("optimizers",),
        code=("gradlab.optim.Adagrad", "gradlab.optim.RMSprop", "gradlab.optim.Adam"),
        tests=("tests/test_optim.py::test_matches_torch_on_gradient_sequence",
               "tests/test_lab_e09_e10_e12.py::"
               "test_adagrad_effective_step_matches_its_accumulator")),
    Question(
        id="003-second-order-methods", source="003", ref="source 003 L566-572",
        topic="optimization",
        question_zh="二阶近似方法: 牛顿法，共轭梯度，BFGS 等的做法",
        question_en="How do the second-order methods work: Newton's method, conjugate "
        "gradients, BFGS?",
        answer="Newton's method steps by -H^-1 g, which minimizes a quadratic in one step "
        "whatever its conditioning; but inverting the Hessian costs O(k^3) for k "
        "parameters, and near a saddle (negative eigenvalues) it moves towards it unless "
        "regularized as H + alpha I. Conjugate gradients line-search along directions that "
        "are conjugate with respect to H, so a step does not undo the previous ones, and "
        "solve a k-dimensional quadratic in at most k steps without forming H. BFGS builds "
        "an approximation of H^-1 from successive gradient differences by rank-two updates, "
        "with O(k^2) memory; L-BFGS keeps only the last few pairs. gradlab.optim.LBFGS is "
        "L-BFGS with PyTorch's interface (a closure, optional strong-Wolfe line search), "
        "checked step by step against PyTorch's; newton-vs-gd compares Newton's step with "
        "gradient descent on ill-conditioned quadratics and shows Newton heading to a saddle "
        "where the Hessian is indefinite.",
        experiments=("newton-vs-gd",), code=("gradlab.optim.LBFGS",),
        tests=("tests/test_optim_lbfgs.py::test_matches_torch_float64",)),
    Question(
        id="003-hessian-normalization", source="003", ref="source 003 L572-576",
        topic="normalization",
        question_zh="Hessian 的标准化对于高阶优化算法的意义",
        question_en="What does normalization mean for higher-order effects in optimization "
        "(the source's 'Hessian normalization')?",
        answer="The wording is garbled; the book pages the source cites (section 8.7.1 of "
        "Goodfellow et al.) are on batch normalization and its effect on higher-order "
        "interactions between layers. Gradient descent updates all layers at once, each as "
        "if the others stayed fixed, but the effect of one layer's update depends on the "
        "others through second- and higher-order terms that a first-order method ignores "
        "and that second-order methods capture only in part, at a high cost. BatchNorm "
        "reparametrizes each layer so that the mean and variance of its units no longer "
        "depend on the layers below, which removes most of these interactions and makes the "
        "network easier to train. The lab measures the faster training and larger usable "
        "learning rates (batchnorm).",
        experiments=("batchnorm",),
        code=("gradlab.nn.BatchNorm1d", "gradlab.nn.BatchNorm2d")),
)
