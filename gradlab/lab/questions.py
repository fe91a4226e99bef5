"""The answer index: every question and heading of the sources, answered for gradlab.

Each :class:`Question` holds the source's question verbatim (Chinese) and in English, a short
correct answer written for this project (correcting the source where it is wrong, citing the ids
of :mod:`gradlab.lab.errata`), and pointers to what in gradlab shows it: lab experiments,
importable code, ``gradlab`` command lines and tests.

This one file holds the entries of every source: 000 (source 001 repeats it: ``also_in``), 002,
003 and 004; :data:`QUESTIONS` holds them in source order.
:func:`search` finds entries by words (``gradlab ask WORDS``), :func:`unresolved` says which
pointers of an entry do not resolve, and ``gradlab lab --question ID`` runs an entry's
experiments. ``questions.html`` and ``questions.md`` beside the lab report render the index.
"""

from __future__ import annotations

import ast
import importlib
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Question", "TOPICS", "QUESTIONS", "get_question", "search",
           "unresolved", "related_commands"]

#: The topics an entry can belong to (a short fixed list).
TOPICS: tuple[str, ...] = (
    "activations",
    "initialization",
    "gradients",
    "normalization",
    "regularization",
    "optimization",
    "convolution",
    "pooling",
    "recurrent",
    "losses",
    "backpropagation",
    "architectures",
    "data",
    "general",
)


@dataclass(frozen=True)
class Question:
    """One question or heading of a source, with its answer and pointers into gradlab."""

    id: str                  # stable slug, unique: "000-q64-batchnorm", "003-receptive-field"
    source: str              # "000", "002", "003", "004"; source 001 repeats 000: also_in=("001",)
    ref: str                 # where: "source 003 L185-203" (line numbers of the source file)
    topic: str               # one of TOPICS
    question_zh: str         # the source's question or heading, verbatim
    question_en: str         # the same in English
    answer: str              # 3-8 sentences in English, written for gradlab, correct
    experiments: tuple[str, ...] = ()   # lab experiment ids that give evidence
    code: tuple[str, ...] = ()          # importable dotted paths
    commands: tuple[str, ...] = ()      # gradlab command lines
    tests: tuple[str, ...] = ()         # "tests/test_x.py::test_name"
    errata: tuple[str, ...] = ()        # ids of gradlab.lab.errata.ERRATA
    also_in: tuple[str, ...] = ()


# ----------------------------------------------------------------------- sources 000 and 001
# Source 001 is a machine-rewritten copy of source 000 Q61-65: its entries are these (also_in).

_S000 = (
    Question(
        id="000-q61-faster-convergence", source="000", ref="source 000 Q61 L6-20",
        topic="optimization",
        question_zh="深度学习中有什么加快收敛/降低训练难度的方法？",
        question_en="What speeds up convergence or makes deep networks easier to train?",
        answer="The source lists bottleneck blocks, residual connections, the learning rate and "
        "momentum, the choice of optimizer, and pretraining. Residual connections let deep "
        "nets train where plain ones of the same depth degrade (residual-degradation). "
        "Momentum and adaptive optimizers cut the steps needed on ill-conditioned problems "
        "(optimizers), and so do normalized or whitened inputs (whitening). BatchNorm lets a "
        "net train at learning rates that stall it without (batchnorm), and starting from "
        "pretrained weights is measured by pretraining. Bottleneck blocks (1x1 convolutions "
        "around the 3x3 one) make each step cheaper; gradlab measures their cost, not a "
        "faster convergence per step.",
        experiments=("residual-degradation", "optimizers", "whitening", "batchnorm",
                     "pretraining"),
        code=("gradlab.models.ResNet", "gradlab.models.Bottleneck", "gradlab.optim.SGD",
              "gradlab.optim.Adam"),
        commands=("gradlab summary resnet20 --input 3 32 32",),
        also_in=("001",)),
    Question(
        id="000-q62-computational-graph", source="000", ref="source 000 Q62 L22-32",
        topic="backpropagation",
        question_zh="请简单说下计算流图的前向和反向传播",
        question_en="Explain the forward and backward pass of a computational graph.",
        answer="The forward pass evaluates the nodes in topological order and records, for "
        "each operation, the inputs and intermediate values its derivative needs. The "
        "backward pass seeds the output with gradient 1 and visits the nodes in reverse "
        "topological order: each node multiplies the incoming gradient by its local "
        "derivative (a vector-Jacobian product) and adds the result to its inputs' gradients. "
        "A value used twice receives the sum of both contributions. gradlab's engine "
        "(gradlab.autograd) works this way and is checked against PyTorch and against finite "
        "differences (gradcheck). The source's own answer is only an image.",
        code=("gradlab.autograd.backward", "gradlab.autograd.grad", "gradlab.autograd.gradcheck"),
        tests=("tests/test_engine.py::test_diamond_graph_matches_torch",
               "tests/test_engine.py::test_reused_tensor_accumulates_within_one_backward",
               "tests/test_engine.py::test_next_functions_walk_the_graph"),
        also_in=("001",)),
    Question(
        id="000-q63-chain-rule", source="000", ref="source 000 Q63 L34-76", topic="backpropagation",
        question_zh="请写出链式法则并证明",
        question_en="State the chain rule and prove it.",
        answer="For y = f(u) with u = g(x), dy/dx = f'(g(x)) g'(x). Proof: g(x + h) = g(x) + "
        "g'(x) h + o(h) and f(u + k) = f(u) + f'(u) k + o(k); putting k = g(x + h) - g(x) = "
        "g'(x) h + o(h) gives f(g(x + h)) = f(g(x)) + f'(g(x)) g'(x) h + o(h), so the "
        "derivative is f'(g(x)) g'(x). In several variables the Jacobians multiply: J of f o g "
        "at x is J_f(g(x)) J_g(x). Backpropagation evaluates this product from the output "
        "side, one vector-Jacobian product per operation. gradlab.autograd.gradcheck compares "
        "the product with central finite differences for every operation of the library.",
        code=("gradlab.autograd.gradcheck", "gradlab.autograd.grad"),
        tests=("tests/test_engine.py::test_gradcheck_reports_the_failing_input_and_element",
               "tests/test_nn_activation.py::test_gradcheck"),
        also_in=("001",)),
    Question(
        id="000-q64-batchnorm", source="000", ref="source 000 Q64 L80-195", topic="normalization",
        question_zh="请写出Batch Normalization的计算方法及其应用",
        question_en="How is Batch Normalization computed, and what is it used for?",
        answer="For each feature (each channel in BatchNorm2d) BatchNorm takes the mini-batch "
        "mean and biased variance, normalizes x_hat = (x - mean) / sqrt(var + eps) and "
        "outputs y = gamma x_hat + beta with learnable gamma and beta. In training it also "
        "keeps running averages of the mean and the unbiased variance, which eval mode uses "
        "instead of the batch statistics. Gradients flow through the batch mean and variance "
        "as well as through gamma and beta, by the chain rule as the source says. The lab "
        "measures faster training and larger usable learning rates (batchnorm) and placement "
        "before or after the activation (bn-placement). Standardizing is an affine map: it "
        "does not make a distribution normal (the source's 正态化 is wrong), and BatchNorm alone "
        "does not keep gradients stable in deep plain nets (residual-degradation).",
        experiments=("batchnorm", "bn-placement", "residual-degradation"),
        code=("gradlab.nn.BatchNorm1d", "gradlab.nn.BatchNorm2d", "gradlab.ops.norm.Normalize"),
        tests=("tests/test_nn_layers.py::test_batchnorm_train_then_eval_matches_torch",
               "tests/test_nn_layers.py::test_norm_gradchecks"),
        errata=("standardize-is-not-normal", "bn-keeps-gradient-stable"),
        also_in=("001",)),
    Question(
        id="000-q64-workflow", source="000", ref="source 000 Q64 L86-114", topic="general",
        question_zh="机器学习流程简介",
        question_en="The workflow of training a network: one-time setup, training dynamics, "
        "evaluation.",
        answer="The source's list follows the Stanford CS231n outline. One-time setup: the "
        "activation functions are in gradlab.nn, preprocessing in gradlab.transforms, weight "
        "initialization in gradlab.nn.init, regularization as penalties, weight decay and "
        "dropout, and gradient checking is gradlab.autograd.gradcheck. Training dynamics: "
        "gradlab.diagnose.Monitor babysits a run (vanishing or exploding gradients, dead or "
        "saturated units), the optimizers and schedules are in gradlab.optim, and BatchNorm "
        "is gradlab.nn.BatchNorm1d. Evaluation by a model ensemble (averaging independently "
        "trained models) is measured by ensembles-bagging.",
        experiments=("ensembles-bagging",),
        code=("gradlab.autograd.gradcheck", "gradlab.diagnose.Monitor", "gradlab.nn.init",
              "gradlab.transforms.StandardScaler", "gradlab.optim.lr_scheduler"),
        commands=("gradlab train --monitor",),
        tests=("tests/test_diagnose.py::"
               "test_deep_sigmoid_mlp_reports_vanishing_gradients_in_its_early_layers",),
        also_in=("001",)),
    Question(
        id="000-q64-why-normalize-inputs", source="000", ref="source 000 Q64 L116-136",
        topic="data",
        question_zh="为什么输入数据需要归一化（Normalized Data），或者说，归一化后有什么好处呢？",
        question_en="Why should input data be normalized; what does normalization buy?",
        answer="Features on very different scales make the loss surface ill-conditioned, so "
        "gradient descent needs a small learning rate and many steps; standardizing or "
        "whitening the inputs lowers the condition number and the step count (whitening). "
        "Inputs of large magnitude also push tanh or sigmoid units into saturation where "
        "their slope is near zero; normalized inputs keep them in their sensitive range "
        "(tanh-saturation), which is the source's x = 20 example. Normalization does not make "
        "the training and test distributions the same: one affine map fitted on the "
        "training data is applied to both, so any difference between them remains.",
        experiments=("whitening", "tanh-saturation"),
        code=("gradlab.transforms.StandardScaler", "gradlab.transforms.MinMaxScaler",
              "gradlab.transforms.PCAWhitening", "gradlab.transforms.ZCAWhitening"),
        tests=("tests/test_transforms.py::test_whitened_training_covariance_is_identity",),
        errata=("normalization-same-distribution",),
        also_in=("001",)),
    Question(
        id="000-q64-vanishing", source="000", ref="source 000 Q64 L197-225", topic="gradients",
        question_zh="梯度消失",
        question_en="Vanishing gradients: why do the first layers of a deep sigmoid net "
        "learn slowly?",
        answer="Backpropagation multiplies, layer by layer, the activation's slope and the "
        "weights; the sigmoid's slope is at most 0.25 (at input 0), so with weights of "
        "moderate size the gradient shrinks geometrically towards the first layer "
        "(sigmoid-depth). The bound 0.25^n holds for the product of slopes alone; the weights "
        "multiply in too. The slope is not the learning rate, as the source says: the step is "
        "the learning rate times the gradient, so a small gradient gives a small step at any "
        "learning rate. With sigmoid layers at the default init the ratio is about 0.14 per "
        "layer (sigmoid-depth), so ten layers pass on about 1e-8 of the last layer's gradient "
        "and such a net trained by plain SGD may not learn at all. The source's consequence, "
        "that the shallow layers barely learn while the last layers come to represent the "
        "net, is half shown (vanishing-shallow-layers): in a ten-layer sigmoid net the first "
        "layer moves less than a millionth as much as the last, but the whole net then stays at "
        "chance, so the last layers represent nothing.",
        experiments=("sigmoid-depth", "vanishing-shallow-layers"),
        code=("gradlab.diagnose.Monitor", "gradlab.nn.Sigmoid"),
        tests=("tests/test_diagnose.py::"
               "test_deep_sigmoid_mlp_reports_vanishing_gradients_in_its_early_layers",),
        errata=("slope-is-not-learning-rate",),
        also_in=("001",)),
    Question(
        id="000-q64-exploding", source="000", ref="source 000 Q64 L227-229", topic="gradients",
        question_zh="梯度爆炸",
        question_en="Exploding gradients: how do they arise?",
        answer="The gradient reaching the first layer is a product of one slope-times-weight "
        "factor per layer, so it grows geometrically when those factors exceed 1 in size. The "
        "source's example is wrong: with sigmoid slopes of 0.25 and weights of 100, the "
        "pre-activations become huge, the sigmoids saturate and their slopes collapse, so the "
        "chain vanishes instead of exploding. Exploding needs |w sigmoid'(z)| > 1 at every "
        "layer, which for a sigmoid requires |w| > 4 and pre-activations kept near 0. "
        "exploding-gradients shows large weights exploding in a ReLU net and gradient "
        "clipping restoring training.",
        experiments=("exploding-gradients",),
        code=("gradlab.nn.utils.clip_grad_norm_", "gradlab.diagnose.Monitor"),
        tests=("tests/test_diagnose.py::test_exploding_gradients_from_large_weights",),
        errata=("sigmoid-weights-100-explode",),
        also_in=("001",)),
    Question(
        id="000-q65-bgd-sgd", source="000", ref="source 000 Q65 L231-241", topic="optimization",
        question_zh="神经网络中会用到批量梯度下降（BGD）吗？为什么用随机梯度下降（SGD）?",
        question_en="Is batch gradient descent used for neural networks? Why use stochastic "
        "gradient descent?",
        answer="Full-batch gradient descent is rarely used: each step costs a pass over the "
        "whole training set, while a mini-batch gives an unbiased estimate of the same "
        "gradient for a fraction of the cost, so far more steps fit in the same time "
        "(batch-size). The noise of the estimate is the source's second reason: a stochastic "
        "gradient is not zero at a local minimum, so SGD can leave a shallow basin, and it can "
        "also leave the global one (sgd-noise-escape). Restarts from several initializations "
        "and annealing are other ways round local minima. In practice mini-batches of tens to "
        "hundreds of samples are the norm rather than single samples.",
        experiments=("batch-size", "sgd-noise-escape"),
        code=("gradlab.optim.SGD", "gradlab.utils.data.DataLoader"),
        also_in=("001",)),
)

# --------------------------------------------------------------------------------- source 002

_S002 = (
    Question(
        id="002-q1-activations", source="002", ref="source 002 Q1 L3-40", topic="activations",
        question_zh="Q1: 常见的激活函数有哪些，它们的特点以及适用的场景？",
        question_en="Which activation functions are common, what are their properties and "
        "where is each used?",
        answer="The sigmoid maps to (0, 1) with slope at most 0.25, so deep sigmoid stacks "
        "lose gradient with depth (sigmoid-depth); it suits outputs that are probabilities. "
        "tanh maps to (-1, 1), is zero-centred with slope at most 1, and still saturates for "
        "large inputs (tanh-saturation). ReLU passes positive inputs with slope 1 and is "
        "cheap, which removes the slope factor below 1 that makes sigmoid nets vanish; it "
        "does not remove vanishing caused by the weights, and units whose input is always "
        "negative stop learning (dying-relu). Whether zero-centred outputs train faster is "
        "measured by zero-centred-activations. The source's claim that ReLU's sparsity fits the "
        "data better is not tested here.",
        experiments=("sigmoid-depth", "tanh-saturation", "dying-relu",
                     "zero-centred-activations"),
        code=("gradlab.nn.Sigmoid", "gradlab.nn.Tanh", "gradlab.nn.ReLU", "gradlab.nn.LeakyReLU",
              "gradlab.nn.ELU", "gradlab.nn.GELU"),
        tests=("tests/test_nn_activation.py::test_vs_torch",)),
    Question(
        id="002-q1-logistic-sigmoid", source="002", ref="source 002 Q1 L18", topic="activations",
        question_zh="Logistic Regression 选取 Sigmoid 作为激活函数难道仅因为其形状可以满足"
        "对条件概率的要求嘛？",
        question_en="Does logistic regression use the sigmoid only because its shape fits a "
        "conditional probability?",
        answer="No: the sigmoid is the inverse of the log-odds, so logistic regression is the "
        "model in which log p(y=1|x) / p(y=0|x) is linear in x. That holds exactly when the "
        "class-conditional densities are Gaussians with a shared covariance, or more generally "
        "members of one exponential family, so the form is derived, not only chosen for its "
        "shape. Paired with the cross-entropy (the negative log-likelihood of a Bernoulli), "
        "the loss is convex in the weights and its gradient is (sigmoid(z) - y) x, which does "
        "not vanish when the sigmoid saturates on a wrong answer. softmax-overflow compares "
        "this with a mean squared error behind a sigmoid.",
        experiments=("softmax-overflow",),
        code=("gradlab.nn.functional.binary_cross_entropy_with_logits",
              "gradlab.nn.BCEWithLogitsLoss")),
    Question(
        id="002-q2-regularization", source="002", ref="source 002 Q2 L42-74",
        topic="regularization",
        question_zh="Q2：正则化的本质是什么以及常用的正则化方法有哪些？",
        question_en="What is regularization at heart, and which regularization methods are "
        "common?",
        answer="Regularization restricts or biases the solution (a penalty, a prior, noise, "
        "less training time) so that the model's variance over training sets falls at the "
        "cost of some bias. For SGD, adding (alpha / 2) w^T w to the loss is exactly weight "
        "decay, w <- (1 - eta alpha) w - eta grad J, as the source derives; with Adam the two "
        "differ (l2-l1-regularization). Sparsity comes from the L1 penalty, not from the L2 "
        "term the source derives next: L2 shrinks weights in proportion and leaves few at zero. "
        "The other methods the source names are measured by dropout and "
        "early-stopping-augmentation.",
        experiments=("l2-l1-regularization", "dropout", "early-stopping-augmentation"),
        code=("gradlab.nn.utils.l1_penalty", "gradlab.nn.utils.l2_penalty", "gradlab.optim.SGD",
              "gradlab.train.EarlyStopping", "gradlab.transforms.RandomCrop",
              "gradlab.nn.Dropout"),
        tests=("tests/test_clip_penalty.py::test_l2_penalty_in_loss_equals_sgd_weight_decay",
               "tests/test_clip_penalty.py::"
               "test_l1_penalty_in_loss_moves_weights_toward_zero_by_sign"),
        errata=("l2-sparsifies",)),
    Question(
        id="002-q3-gradients", source="002", ref="source 002 Q3 L76-111", topic="gradients",
        question_zh="Q3: 梯度是什么，发生梯度消失、梯度爆炸可能的原因有哪些？",
        question_en="What is the gradient, and what can make gradients vanish or explode?",
        answer="The gradient is the vector of partial derivatives of the loss with respect to "
        "the parameters; it points in the direction of steepest increase. By the chain rule "
        "the gradient at an early layer is a product of one factor per later layer, the "
        "activation's slope times the weight, as in the source's eq. 8. When those factors are "
        "below 1 in size the product vanishes geometrically with depth (sigmoid-depth); when "
        "they are above 1 it explodes (exploding-gradients). The causes are depth, saturating "
        "activations and an initialization scale that is too small or too large (init-scale); "
        "the source's recipe for exploding, large weights with biases that keep sigmoid'(z) near "
        "its maximum, is right in principle but needs |w| > 4.",
        experiments=("sigmoid-depth", "exploding-gradients", "init-scale",
                     "residual-degradation"),
        code=("gradlab.diagnose.Monitor",),
        tests=("tests/test_diagnose.py::"
               "test_deep_sigmoid_mlp_reports_vanishing_gradients_in_its_early_layers",
               "tests/test_diagnose.py::test_exploding_gradients_from_large_weights")),
    Question(
        id="002-q4-gradient-descent", source="002", ref="source 002 Q4 L113-149",
        topic="optimization",
        question_zh="Q4：梯度下降的原理是什么？有哪几种梯度下降的方式？",
        question_en="How does gradient descent work, and which kinds of gradient descent are "
        "there?",
        answer="Gradient descent moves the parameters against the gradient, theta <- theta - "
        "alpha grad J, the direction of steepest local decrease. On a convex function it "
        "reaches the global minimum only with a suitable step: with an L-Lipschitz gradient, "
        "a learning rate below 2 / L converges and one above diverges. The source's eq. 14 "
        "drops the learning rate alpha. Batch gradient descent uses the whole training set "
        "per step, stochastic gradient descent one sample, and mini-batch gradient descent "
        "(which the source omits, and which is what is used in practice) a few dozen to a few "
        "hundred. batch-size measures their cost and noise; whitening shows how the step "
        "count grows with the condition number.",
        experiments=("batch-size", "whitening"),
        code=("gradlab.optim.SGD",),
        tests=("tests/test_optim.py::test_converges_on_a_quadratic",),
        errata=("convex-gd-global", "eq14-missing-lr")),
    Question(
        id="002-q5-backprop", source="002", ref="source 002 Q5 L151-178", topic="backpropagation",
        question_zh="Q5：模型反向传播的原理是什么？",
        question_en="What is the principle of backpropagation?",
        answer="Backpropagation computes the gradient of the loss with respect to every "
        "parameter by the chain rule, layer by layer from the output back, reusing each "
        "layer's error term for the layer below; its cost is a small multiple of the forward "
        "pass. For the source's single neuron, dL/dw = dL/da * sigma'(z) * x and dL/db = dL/da * "
        "sigma'(z). The parameter update that follows, w <- w - eta dL/dw, is gradient descent, "
        "a separate step. gradlab.autograd does the backward pass for any graph of its "
        "operations and is checked against PyTorch and finite differences.",
        code=("gradlab.autograd.backward", "gradlab.autograd.gradcheck"),
        tests=("tests/test_engine.py::test_diamond_graph_matches_torch",
               "tests/test_engine.py::test_raw_sgd_loop_under_no_grad")),
    Question(
        id="002-q6-normalization", source="002", ref="source 002 Q6 L180-230",
        topic="normalization",
        question_zh="Q6: 归一化方法有哪些？为什么要对数据进行归一化处理？",
        question_en="Which normalization methods are there, and why normalize data?",
        answer="Normalizing the inputs puts features on comparable scales, which lowers the "
        "condition number of the problem so gradient descent converges in fewer steps "
        "(whitening). Inside the network, BatchNorm normalizes each feature over the batch, "
        "LayerNorm each sample over its features, InstanceNorm each sample and channel over "
        "its pixels, and GroupNorm each sample over groups of channels. The source's "
        "'internal covariance' is internal covariate shift, the change of a layer's input "
        "distribution during training; whether it grows with depth is measured by "
        "covariate-shift-depth. BatchNorm's dependence on the batch size, which LayerNorm "
        "avoids, is measured by layernorm-batch-size, and its effect on training by "
        "batchnorm.",
        experiments=("whitening", "batchnorm", "layernorm-batch-size", "covariate-shift-depth"),
        code=("gradlab.transforms.StandardScaler", "gradlab.transforms.ZCAWhitening",
              "gradlab.nn.BatchNorm1d", "gradlab.nn.LayerNorm", "gradlab.nn.InstanceNorm2d",
              "gradlab.nn.GroupNorm"),
        tests=("tests/test_nn_layers.py::test_layer_group_instance_norm_match_torch",),
        errata=("internal-covariance",)),
    Question(
        id="002-q7-pooling", source="002", ref="source 002 Q7 L232-252", topic="pooling",
        question_zh="Q7：池化方法有哪些？原理、区别、使用场景？",
        question_en="Which pooling methods are there; how do they work, differ, and where is "
        "each used?",
        answer="Average pooling outputs the mean of each window, a smoothed summary of all its "
        "values; max pooling outputs the largest, the strongest response such as an edge or "
        "a texture detector firing, which is the sense of the source's 'background' versus "
        "'texture' (a heuristic, not measured here). Global average pooling averages each "
        "channel over the whole map; its vector has as many entries as classes only when the "
        "last convolution has that many channels, and it then replaces the fully connected "
        "layer with no parameters. Stochastic pooling draws one activation per window with "
        "probability proportional to its value in training and uses the probability-weighted "
        "mean at test time; its effect on generalization is not tested here. Max pooling "
        "also makes a CNN's output more tolerant of small shifts of the input, since a "
        "maximum moved within its window is unchanged; shift-tolerance measures how much "
        "more (on 8 x 8 digits moved by one pixel, 33-43 pt lost against the unpooled "
        "CNN's 43-49 pt).",
        experiments=("shift-tolerance",),
        code=("gradlab.nn.MaxPool2d", "gradlab.nn.AvgPool2d", "gradlab.nn.AdaptiveAvgPool2d",
              "gradlab.nn.StochasticPool2d"),
        tests=("tests/test_nn_layers.py::test_stochastic_pool_properties_and_gradients",
               "tests/test_nn_layers.py::test_adaptive_pools_match_torch"),
        errata=("gap-dimension",)),
    Question(
        id="002-q8-pooling-backward", source="002", ref="source 002 Q8 L254-268", topic="pooling",
        question_zh="Q8: 池化的前向过程和反向过程有什么区别？",
        question_en="How do the forward and backward passes of pooling differ?",
        answer="The forward pass shrinks each window to one value; the backward pass maps each "
        "output gradient back onto the input's full size. Max pooling remembers where each "
        "maximum was and sends the whole gradient there, zero elsewhere. Average pooling "
        "spreads each output gradient evenly, dividing it by the number of elements in the "
        "window. Where windows overlap, an input receives the sum of the gradients of every "
        "window it belongs to. gradlab's pooling operations are tested against PyTorch, "
        "including ties and padding.",
        code=("gradlab.ops.pool.MaxPool2d", "gradlab.ops.pool.AvgPool2d"),
        tests=("tests/test_nn_layers.py::"
               "test_max_pool_routes_gradient_to_argmax_and_avg_spreads_evenly",
               "tests/test_nn_layers.py::test_max_pool_ties_and_nans_match_torch")),
)

# --------------------------------------------------------------------------------- source 004

_S004 = (
    Question(
        id="004-s1-1-relu-vs-sigmoid", source="004", ref="source 004 §1.1 L36-66",
        topic="activations",
        question_zh="神经网络中的激活函数：对比ReLU与Sigmoid、Tanh的优缺点？ReLU有哪些变种？",
        question_en="Activation functions: the pros and cons of ReLU against sigmoid and tanh; "
        "which variants of ReLU are there?",
        answer="ReLU needs only a comparison instead of an exponential, and for positive inputs "
        "its slope is 1, so it does not shrink the gradient the way the sigmoid's slope of at "
        "most 0.25 does (sigmoid-depth). Its outputs, like the sigmoid's, are not zero-centred, "
        "which the source calls a minor nuisance; zero-centred-activations measures how much it "
        "costs. A unit whose pre-activation is negative on every input gets no gradient and "
        "never recovers, the dying ReLU (dying-relu). Leaky ReLU and PReLU keep a small "
        "slope for negative inputs, ELU a smooth negative part, and Softplus is a smooth "
        "ReLU whose slope, the sigmoid, is never exactly 0.",
        experiments=("sigmoid-depth", "zero-centred-activations", "dying-relu"),
        code=("gradlab.nn.ReLU", "gradlab.nn.LeakyReLU", "gradlab.nn.PReLU", "gradlab.nn.ELU",
              "gradlab.nn.Softplus"),
        tests=("tests/test_nn_activation.py::test_vs_torch",)),
    Question(
        id="004-s1-2-architectures", source="004", ref="source 004 §1.2 L68-78",
        topic="architectures",
        question_zh="神经网络结构哪几种？各自都有什么特点？",
        question_en="Which kinds of neural network structure are there, and what marks each?",
        answer="Feedforward networks pass information one way and form a directed acyclic "
        "graph: fully connected MLPs and CNNs. Feedback (recurrent) networks feed a unit's "
        "output back to itself or earlier units, so they carry a state over time: RNNs, "
        "Hopfield networks, Boltzmann machines. Graph networks work on graph-structured "
        "data, each node updating from its neighbours. gradlab has the first two kinds: MLP, "
        "LeNet-5, VGG and ResNet in gradlab.models, and RNN, LSTM and GRU layers with sequence "
        "models built on them; it has no graph networks, Hopfield nets or Boltzmann machines.",
        code=("gradlab.models.MLP", "gradlab.models.LeNet5", "gradlab.models.ResNet",
              "gradlab.nn.RNN", "gradlab.models.SequenceClassifier"),
        commands=("gradlab summary lenet5 --input 1 28 28",)),
    Question(
        id="004-s1-3-mlp-name", source="004", ref="source 004 §1.3 L80-82", topic="architectures",
        question_zh="前馈神经网络叫做多层感知机是否合适？",
        question_en="Is 'multi-layer perceptron' a fitting name for a feedforward network?",
        answer="Not strictly, and the source says why. A perceptron applies a step function, "
        "which has no useful derivative, while the layers of a 'multi-layer perceptron' apply "
        "continuous, differentiable nonlinearities (sigmoid, tanh, ReLU) so that the whole "
        "network can be trained by backpropagation. Each unit is therefore closer to a "
        "logistic-regression unit than to a perceptron. The name is historical and is used "
        "everywhere, gradlab's gradlab.models.MLP included.",
        code=("gradlab.models.MLP",),
        commands=("gradlab summary mlp --input 1 8 8",)),
    Question(
        id="004-s1-4-layers", source="004", ref="source 004 §1.4 L84-86", topic="architectures",
        question_zh="前馈神经网络怎么划分层？",
        question_en="How is a feedforward network divided into layers?",
        answer="Layer 0 is the input, the last layer is the output, and the ones between are "
        "hidden layers; each takes the previous layer's output and feeds the next, with no "
        "feedback. When a network is called 'L-layer', the count is usually of the layers with "
        "weights, so the input layer is not counted: gradlab.models.MLP([64, 128, 10]) has "
        "two Linear layers and one hidden layer. In code, an activation or a normalization is "
        "often its own module, so a summary lists more rows than there are layers in this "
        "sense.",
        code=("gradlab.models.MLP", "gradlab.tools.summary"),
        commands=("gradlab summary mlp --input 1 8 8",)),
    Question(
        id="004-s1-5-universal-approximation", source="004", ref="source 004 §1.5 L88-110",
        topic="architectures",
        question_zh="如何理解通用近似定理？",
        question_en="How should the universal approximation theorem be understood?",
        answer="It says that one hidden layer with enough units approximates any continuous "
        "function on a compact set to any accuracy: Cybenko and Hornik proved it for bounded "
        "squashing activations, and it holds for any non-polynomial activation, ReLU "
        "included. It is an existence result: the number of units needed can be very large, "
        "and it says nothing about whether gradient descent finds such weights or whether they "
        "generalize from finite data. The source's eq. 4.34 writes I_n where it means I_d. "
        "gradlab demo illustrates the capacity on a small scale, a two-hidden-layer tanh net "
        "fitting two spirals, without testing the theorem.",
        code=("gradlab.models.MLP",),
        commands=("gradlab demo",)),
    Question(
        id="004-s1-6-backprop", source="004", ref="source 004 §1.6 L112-156",
        topic="backpropagation",
        question_zh="怎么理解前馈神经网络中的反向传播? 具体计算流程是怎样的?",
        question_en="How does backpropagation work in a feedforward network; what is the "
        "procedure step by step?",
        answer="The error term of layer l is delta_l = f'(z_l) * (W_{l+1}^T delta_{l+1}), "
        "computed from the output back; the gradients are then dL/dW_l = delta_l a_{l-1}^T and "
        "dL/db_l = delta_l, as the source writes. The source's procedure is stochastic gradient "
        "descent over shuffled samples with an L2 term lambda W in the update (weight decay), "
        "stopped when the validation error no longer falls (early stopping). gradlab.autograd "
        "computes the same gradients for any graph of operations, checked by gradcheck, and "
        "the README's raw training loop writes the update by hand.",
        code=("gradlab.autograd.backward", "gradlab.autograd.gradcheck", "gradlab.optim.SGD",
              "gradlab.train.EarlyStopping"),
        tests=("tests/test_engine.py::test_raw_sgd_loop_under_no_grad",
               "tests/test_clip_penalty.py::test_l2_penalty_in_loss_equals_sgd_weight_decay")),
    Question(
        id="004-s1-7-cnn-parts", source="004", ref="source 004 §1.7 L160-186", topic="convolution",
        question_zh="卷积神经网络哪些部分构成？各部分作用分别是什么？",
        question_en="What are the parts of a convolutional network, and what does each do?",
        answer="A CNN stacks convolution layers, pooling (subsampling) layers and, at the end, "
        "fully connected layers. A convolution connects each output to a small window "
        "(local connectivity) and uses the same kernel at every position (weight sharing), so "
        "it has far fewer parameters than a fully connected layer and its output shifts with "
        "its input. Pooling has no parameters itself: it shrinks the feature maps, which "
        "cuts the computation and the size of the layers after it, and adds some tolerance to "
        "small shifts (shift-tolerance measures how little at 8 x 8). These structural "
        "assumptions pay off only when nearby inputs are related (cnn-local-correlation).",
        experiments=("cnn-local-correlation", "shift-tolerance"),
        code=("gradlab.nn.Conv2d", "gradlab.nn.MaxPool2d", "gradlab.models.LeNet5",
              "gradlab.tools.summary"),
        commands=("gradlab summary lenet5 --input 1 28 28",)),
    Question(
        id="004-s1-8-depth-resnet", source="004", ref="source 004 §1.8 L189-235",
        topic="architectures",
        question_zh="在深度学习中，网络层数增多会伴随哪些问题，怎么解决？为什么要采取残差网络ResNet？",
        question_en="What problems come with more layers, how are they solved, and why use "
        "residual networks?",
        answer="More layers cost more computation, overfit more easily, make gradients vanish "
        "or explode, and degrade: past some depth a plain net reaches a higher training loss "
        "than a shallower one, which is not overfitting. A residual block computes x + F(x), "
        "so it only has to learn the residual and represents the identity with F = 0; "
        "residual-degradation shows the plain net degrading and the residual one not. "
        "BatchNorm does not keep gradients stable in deep plain nets, against the source's "
        "item 3: there the gradient at initialization grows towards the input with depth. The "
        "source's 'no vanishing in residual nets' is derived for x_L = x_l + sum F, which needs "
        "nothing after the addition; with a ReLU after it the identity path is not pure, so "
        "the derivation does not cover it.",
        experiments=("residual-degradation", "dropout", "batchnorm"),
        code=("gradlab.models.ResNet", "gradlab.models.BasicBlock"),
        commands=("gradlab summary resnet20 --input 3 32 32",),
        tests=("tests/test_models.py::test_plain_resnet_has_no_shortcuts",),
        errata=("bn-keeps-gradient-stable",)),
    Question(
        id="004-s2-1-rnn-structure", source="004", ref="source 004 §2.1 L239-249",
        topic="recurrent",
        question_zh="什么是循环神经网络？循环神经网络的基本结构是怎样的？",
        question_en="What is a recurrent neural network, and what is its basic structure?",
        answer="An RNN keeps a hidden state h_t = f(U h_{t-1} + W x_t + b) that it updates at "
        "every step from the new input and its previous state, with the same U, W and b at "
        "every step, so it reads sequences of any length. It is trained by backpropagation "
        "through time, and on long sequences its gradients through time vanish or explode, "
        "the long-term dependency problem that gated cells address (gated-rnn-adding). "
        "gradlab.nn.RNN is this Elman network with tanh or ReLU, matched against PyTorch.",
        experiments=("gated-rnn-adding",),
        code=("gradlab.nn.RNN", "gradlab.nn.RNNCell", "gradlab.ops.rnn.RNNLayer"),
        tests=("tests/test_nn_rnn.py::test_cell_unrolled_equals_layer",
               "tests/test_nn_rnn.py::test_layer_matches_torch")),
    Question(
        id="004-s2-2-rnn-patterns", source="004", ref="source 004 §2.2 L251-269", topic="recurrent",
        question_zh="循环神经网络RNN常见的几种设计模式是怎样的？",
        question_en="What are the common design patterns of recurrent networks?",
        answer="Sequence to class: the whole sequence is read and one output comes from the "
        "last state (or a pooling of all states), as in sentiment classification. Synchronous "
        "sequence to sequence: one output per input step, as in tagging. Asynchronous "
        "sequence to sequence (encoder-decoder): an encoder reads the input and a decoder "
        "writes an output of another length from its state, as in translation. gradlab.models "
        "has one of each: SequenceClassifier, SequenceTagger and Seq2Seq.",
        code=("gradlab.models.SequenceClassifier", "gradlab.models.SequenceTagger",
              "gradlab.models.Seq2Seq"),
        commands=("gradlab summary seq2seq --input 12",),
        tests=("tests/test_models_recurrent.py::test_classifier_and_tagger_shapes",
               "tests/test_models_recurrent.py::"
               "test_seq2seq_teacher_forcing_and_greedy_decoding_agree")),
    Question(
        id="004-s2-3-bptt", source="004", ref="source 004 §2.3 L271-297", topic="recurrent",
        question_zh="循环神经网络RNN怎样进行参数学习？",
        question_en="How are the parameters of a recurrent network learned?",
        answer="By backpropagation through time: the network is unrolled over the sequence "
        "into a feedforward net with one layer per time step, and ordinary backpropagation is "
        "run through it. Because every unrolled layer shares the same U, W and b, their true "
        "gradients are the sums of the per-step gradients, as in the source's formulas. On long "
        "sequences the unrolling is often truncated to a fixed number of steps to bound "
        "memory and cost. gradlab's recurrent layers write this backward pass out and are "
        "checked against finite differences and PyTorch.",
        code=("gradlab.ops.rnn.RNNLayer", "gradlab.nn.RNN"),
        tests=("tests/test_nn_rnn.py::test_layer_function_gradcheck",
               "tests/test_nn_rnn.py::test_cell_unrolled_equals_layer")),
    Question(
        id="004-s2-4-long-term-dependencies", source="004", ref="source 004 §2.4 L299-313",
        topic="recurrent",
        question_zh="循环神经网络RNN长期依赖问题产生的原因是怎样的？",
        question_en="What causes the long-term dependency problem of recurrent networks?",
        answer="The error at step t reaches step k through the product of t - k factors "
        "diag(f'(z_i)) U^T, so its size behaves roughly like gamma^(t-k): it vanishes when the "
        "factors shrink vectors and can explode when they stretch them. A norm below 1 for "
        "every factor guarantees vanishing; a norm above 1 only makes explosion possible. As "
        "the source says, what vanishes is the contribution of distant steps, not the whole "
        "gradient of U, so U is learned from nearby steps only. gated-rnn-adding measures "
        "the gradient through time of a plain RNN against gated cells on the adding problem.",
        experiments=("gated-rnn-adding",),
        code=("gradlab.nn.RNN", "gradlab.datasets.adding_problem")),
    Question(
        id="004-s2-5-tanh-vs-relu-rnn", source="004", ref="source 004 §2.5 L315-337",
        topic="recurrent",
        question_zh="RNN中为什么要采用tanh而不是ReLU作为激活函数？为什么普通的前馈网络或 CNN "
        "中采取ReLU不会出现问题？",
        question_en="Why do RNNs use tanh rather than ReLU, and why is ReLU no problem in "
        "feedforward nets and CNNs?",
        answer="An RNN applies the same U at every step, so with an unbounded ReLU the state "
        "and the gradient grow geometrically whenever U stretches them, while tanh keeps the "
        "state in (-1, 1); rnn-tanh-relu counts the blow-ups of each. ReLU's derivative is 1 "
        "only for positive inputs and 0 elsewhere, so diag(f'(z)) is a 0/1 diagonal, not the "
        "identity as the source writes. The IRNN (Le et al. 2015) initializes the recurrent "
        "matrix U, not W, to the identity (gated-rnn-adding). Feedforward ReLU nets are not "
        "safe because independent layers cancel: products of independent random layers still "
        "grow or shrink geometrically, and what protects them is an initialization scale "
        "such as He's (exploding-gradients, init-scale).",
        experiments=("rnn-tanh-relu", "gated-rnn-adding", "exploding-gradients", "init-scale"),
        code=("gradlab.nn.RNN", "gradlab.nn.irnn_init_", "gradlab.nn.init.kaiming_normal_"),
        tests=("tests/test_nn_rnn.py::test_irnn_init_keeps_state_without_input",),
        errata=("relu-derivative-identity", "irnn-init-w-not-u", "iid-weights-cancel")),
    Question(
        id="004-s2-6-lstm", source="004", ref="source 004 §2.6 L339-363", topic="recurrent",
        question_zh="循环神经网络RNN怎么解决长期依赖问题？LSTM的结构是怎样的？LSTM又有哪些变种的？",
        question_en="How do RNNs overcome long-term dependencies; what is the structure of an "
        "LSTM, and which variants are there?",
        answer="Exploding gradients are handled by gradient clipping, vanishing ones by gated "
        "cells. An LSTM keeps a cell state updated additively, c_t = f_t * c_{t-1} + i_t * "
        "c~_t, with a forget gate f, an input gate i and an output gate o that gives h_t = o_t "
        "* tanh(c_t); with f near 1 the gradient passes through many steps without "
        "shrinking. gated-rnn-adding shows LSTM and GRU learning the adding problem where the "
        "plain tanh RNN does not. Variants include peephole connections (gates that also see "
        "c), a coupled input and forget gate, and the GRU. The source leaves the variants "
        "unanswered.",
        experiments=("gated-rnn-adding",),
        code=("gradlab.nn.LSTM", "gradlab.nn.GRU", "gradlab.nn.utils.clip_grad_norm_"),
        tests=("tests/test_nn_rnn_convergence.py::test_lstm_solves_adding_problem_length_50",
               "tests/test_clip_penalty.py::test_clip_grad_norm_matches_torch")),
    Question(
        id="004-s2-7-cell-vs-hidden", source="004", ref="source 004 §2.7 L366-373",
        topic="recurrent",
        question_zh="怎么理解“长短时记忆单元”？RNN中的隐状态 h_t 与LSTM中的记忆状态 C_t "
        "有什么区别？",
        question_en="What does 'long short-term memory' mean; how does an RNN's hidden state "
        "h_t differ from an LSTM's cell state C_t?",
        answer="A plain RNN rewrites its hidden state h_t completely at every step, a "
        "short-term memory; the long-term memory is the weights, which change only with "
        "training. An LSTM's cell state c_t changes only through the gates, additively, so it "
        "can hold a piece of information for many steps, longer than h, though far shorter "
        "than the weights: a short-term memory that lasts long, hence the name. The LSTM's h_t "
        "= o_t * tanh(c_t) is what the cell exposes to the next layer and to its own gates. "
        "The lab does not measure how long c and h keep information.",
        code=("gradlab.nn.LSTM", "gradlab.nn.LSTMCell"),
        tests=("tests/test_nn_rnn.py::test_cell_matches_torch",)),
    Question(
        id="004-s2-8-lstm-gru", source="004", ref="source 004 §2.8 L375-391", topic="recurrent",
        question_zh="LSTM与GRU关系是怎样的？",
        question_en="How are the LSTM and the GRU related?",
        answer="The GRU merges the LSTM's forget and input gates into one update gate z that "
        "mixes the old state and the candidate, h_t = (1 - z_t) h_{t-1} + z_t h~_t in the "
        "source's convention (PyTorch swaps the roles of z and 1 - z). A reset gate r scales "
        "h_{t-1} inside the candidate. There is no separate cell state and no output gate, so "
        "a GRU has three weight blocks per layer against the LSTM's four. gradlab.nn.GRU with "
        "cho=True applies the reset before the matrix product as Cho et al. wrote it; the "
        "default is PyTorch's form. gated-rnn-adding trains both on the adding problem.",
        experiments=("gated-rnn-adding",),
        code=("gradlab.nn.GRU", "gradlab.nn.LSTM"),
        tests=("tests/test_nn_rnn.py::test_gru_cho_matches_reference_and_differs_from_torch_form",
               "tests/test_nn_rnn.py::test_parameters_and_repr_as_torch")),
    Question(
        id="004-s3-training-problems", source="004", ref="source 004 §3 L393-407",
        topic="optimization",
        question_zh="三、神经网络的训练技巧及优化问题",
        question_en="Training techniques and optimization problems of neural networks "
        "(overview).",
        answer="The source splits the difficulties into optimization (a non-convex loss, "
        "vanishing gradients, large models and data) and generalization (overfitting, "
        "handled by regularization). Its remedy for local optima, learning-rate decay and "
        "better gradient directions, does not target local optima as such: in high dimension "
        "most critical points are saddles (saddle-points), and momentum and adaptive methods "
        "mainly help on ill-conditioned problems (optimizers). Mini-batch noise can leave a "
        "shallow local minimum (sgd-noise-escape). Initialization and preprocessing, the "
        "source's other two items, have their own entries in §3.2.",
        experiments=("saddle-points", "optimizers", "sgd-noise-escape"),
        code=("gradlab.optim.lr_scheduler", "gradlab.optim.SGD")),
    Question(
        id="004-s3-1-optimization-difficulty", source="004", ref="source 004 §3.1 L409-411",
        topic="optimization",
        question_zh="神经网络优化的难点体现在哪里？",
        question_en="Where does the difficulty of optimizing neural networks lie?",
        answer="The loss is non-convex, but in high dimension the source is right that saddle "
        "points, not bad local minima, are the main obstacle: at a saddle the gradient is zero "
        "while some direction still goes down, and gradient descent can sit on the plateau "
        "around it for a long time. saddle-points measures this on a deep linear network whose "
        "best solution is known. Ill-conditioning, where the curvature differs greatly "
        "between directions, slows gradient descent further (whitening, optimizers), and "
        "vanishing gradients make the first layers of deep nets hard to train "
        "(sigmoid-depth).",
        experiments=("saddle-points", "whitening", "optimizers", "sigmoid-depth")),
    Question(
        id="004-s3-2-preprocessing-init", source="004", ref="source 004 §3.2 L414-448",
        topic="initialization",
        question_zh="神经网络数据预处理方法有哪些？神经网络怎样进行参数初始化？参数初始化为0、过大、"
        "过小会怎样？",
        question_en="How are inputs preprocessed, how are parameters initialized, and what "
        "happens with zero, too-large or too-small weights?",
        answer="Preprocessing: min-max scaling to [0, 1] or [-1, 1], standardization to mean 0 "
        "and variance 1 per feature, and whitening, which also decorrelates the features; all "
        "lower the condition number seen by gradient descent (whitening). Zero (or any "
        "constant) weights give every hidden unit the same output and gradient, so they stay "
        "identical (symmetry). Too-large weights saturate sigmoid and tanh units and "
        "too-small ones shrink the signal layer by layer (init-scale); tiny weights also keep "
        "sigmoid units in their nearly linear range (tiny-weights-linear). The source's Xavier "
        "ranges are swapped: sqrt(6 / (n_in + n_out)) is for tanh and four times it for the "
        "sigmoid; He initialization is the one for ReLU.",
        experiments=("whitening", "symmetry", "init-scale", "tiny-weights-linear"),
        code=("gradlab.transforms.MinMaxScaler", "gradlab.transforms.StandardScaler",
              "gradlab.transforms.ZCAWhitening", "gradlab.nn.init.xavier_uniform_",
              "gradlab.nn.init.kaiming_normal_"),
        tests=("tests/test_transforms.py::test_whitened_training_covariance_is_identity",),
        errata=("xavier-ranges-swapped",)),
    Question(
        id="004-s3-3-optimizers", source="004", ref="source 004 §3.3 L450-478",
        topic="optimization",
        question_zh="神经网络优化方法有哪些？",
        question_en="Which optimization methods are used for neural networks?",
        answer="Momentum and Nesterov average past gradients, which damps the zig-zag across "
        "an ill-conditioned valley; AdaGrad, RMSprop and AdaDelta scale each parameter's step "
        "by its history of squared gradients; Adam combines momentum with RMSprop and "
        "corrects the bias of both averages. optimizers compares them on an ill-conditioned "
        "quadratic and shows AdaGrad's accumulated sum shrinking its step on Digits. The "
        "source's table is loose in two places: only AdaGrad's step falls for good (RMSprop and "
        "AdaDelta follow a moving average and grow again when gradients shrink), and norm "
        "clipping changes a step's length, not its direction. Learning-rate schedules are in "
        "gradlab.optim.lr_scheduler.",
        experiments=("optimizers",),
        code=("gradlab.optim.SGD", "gradlab.optim.Adagrad", "gradlab.optim.RMSprop",
              "gradlab.optim.Adadelta", "gradlab.optim.Adam", "gradlab.optim.lr_scheduler"),
        tests=("tests/test_optim.py::test_matches_torch_on_gradient_sequence",),
        errata=("adaptive-methods-not-decay", "clipping-keeps-direction")),
    Question(
        id="004-s3-4-bn-ln", source="004", ref="source 004 §3.4 L480-541", topic="normalization",
        question_zh="请介绍逐层归一化（Batch Normalization和Layer Normalization）？",
        question_en="Describe layer-wise normalization: Batch Normalization and Layer "
        "Normalization.",
        answer="BatchNorm normalizes each feature over the samples of a mini-batch, then "
        "applies a learned scale gamma and shift beta; LayerNorm normalizes each sample over "
        "its own features, with the same gamma and beta. BatchNorm therefore depends on the "
        "batch: it is noisy with small batches and needs running statistics at test time, "
        "while LayerNorm computes the same thing in training and at test time and suits "
        "recurrent nets and batch size 1 (layernorm-batch-size). batchnorm measures what "
        "BatchNorm does for training speed and learning rate, and bn-placement where to put "
        "it.",
        experiments=("batchnorm", "layernorm-batch-size", "bn-placement"),
        code=("gradlab.nn.BatchNorm1d", "gradlab.nn.LayerNorm"),
        tests=("tests/test_nn_layers.py::test_layer_group_instance_norm_match_torch",)),
    Question(
        id="004-s3-4-covariate-shift", source="004", ref="source 004 §3.4 L482-506",
        topic="normalization",
        question_zh="（1）为什么要进行逐层归一化？什么是内部协变量偏移？",
        question_en="Why normalize layer by layer? What is internal covariate shift?",
        answer="Internal covariate shift is the change of a layer's input distribution during "
        "training, caused by the updates of the layers below it (Ioffe and Szegedy 2015). The "
        "source says it grows with depth and slows learning because each layer must keep "
        "adapting; covariate-shift-depth measures whether the shift grows with depth in a "
        "plain ReLU net and reports the shift before each BatchNorm in the normalized net. "
        "That BatchNorm helps by removing this shift is disputed: Santurkar et al. (2018) "
        "found BatchNorm nets training well even with shift injected after it, and pointed "
        "to a smoother loss surface instead. The source's claim that the shift raises the risk "
        "of overfitting is not tested here.",
        experiments=("covariate-shift-depth",),
        code=("gradlab.nn.BatchNorm1d",)),
    Question(
        id="004-s3-4-bn-effects", source="004", ref="source 004 §3.4 L508-535",
        topic="normalization",
        question_zh="（2）批量归一化（Batch Normalization，BN）的主要作用是什么？主要原理是什么？",
        question_en="What does Batch Normalization mainly do, and how does it work?",
        answer="BatchNorm standardizes each feature over the batch and then applies a learned "
        "gamma and beta, which can undo the normalization (gamma equal to the standard "
        "deviation and beta to the mean give the identity) so no expressive power is lost. "
        "The source credits it with faster training and larger learning rates (batchnorm), "
        "less sensitivity to the initialization (bn-init-sensitivity) and less overfitting "
        "(bn-regularizer). On 150 Digits images BatchNorm's test-minus-train loss gap is 0.92 of "
        "the plain net's (bn-regularizer, seeds 0-2), not the 0.8 or less the lab asks, with a "
        "test accuracy gain of +0.9 to +1.1 pt at the 1-pt threshold, so that verdict changes with "
        "the source. Calling it chiefly a regularization "
        "method overstates it: its main effect is on optimization, and its mild "
        "regularizing effect comes from the noise of batch statistics, each sample being "
        "normalized with the mean and variance of a random batch.",
        experiments=("batchnorm", "bn-init-sensitivity", "bn-regularizer"),
        code=("gradlab.nn.BatchNorm1d",),
        tests=("tests/test_nn_layers.py::test_batchnorm_train_then_eval_matches_torch",)),
    Question(
        id="004-s3-4-bn-train-test", source="004", ref="source 004 §3.4 L537-541",
        topic="normalization",
        question_zh="(3) BN 在训练和测试时分别是怎么做的？",
        question_en="How does Batch Normalization work at training and at test time?",
        answer="In training each batch is normalized by its own mean and variance, and at the "
        "same time running (moving) averages of both are updated. At test time the running "
        "averages replace the batch statistics, so the output of a sample no longer depends "
        "on the other samples and a batch of one works. The source's 'no moving average in "
        "training' is right about what normalizes a training batch, but the averages must "
        "still be accumulated during training. Evaluating in training mode, with the "
        "statistics of an unrepresentative batch, is the trap batchnorm measures.",
        experiments=("batchnorm",),
        code=("gradlab.nn.BatchNorm1d",),
        tests=("tests/test_nn_layers.py::test_batchnorm_train_then_eval_matches_torch",)),
    Question(
        id="004-s3-5-regularization", source="004", ref="source 004 §3.5 L544-560",
        topic="regularization",
        question_zh="神经网络正则化的方法有哪些？",
        question_en="Which regularization methods are used for neural networks?",
        answer="L1 and L2 penalties (l2-l1-regularization), BatchNorm, early stopping and data "
        "augmentation (early-stopping-augmentation), dropout (dropout) and label smoothing. "
        "BatchNorm regularizes mildly through the noise of its batch statistics, which gradlab "
        "does not measure. Dropout trains a different thinned sub-network at each step with "
        "shared weights, and the test-time net approximates their average; ensembles-bagging "
        "compares that with an explicit ensemble. In recurrent nets a fresh dropout mask on "
        "the hidden state at every step harms the memory (recurrent-dropout); dropping only "
        "the non-recurrent connections, or using one mask for all steps (variational "
        "dropout), avoids it. Label smoothing is cross_entropy's label_smoothing argument; "
        "it has no experiment here.",
        experiments=("l2-l1-regularization", "early-stopping-augmentation",
                     "dropout", "ensembles-bagging", "recurrent-dropout"),
        code=("gradlab.nn.Dropout", "gradlab.train.EarlyStopping",
              "gradlab.transforms.RandomCrop", "gradlab.nn.functional.cross_entropy",
              "gradlab.nn.RNN"),
        tests=("tests/test_nn_rnn.py::test_dropout_between_layers_and_variational_mask",)),
    Question(
        id="004-s3-6-fix-vanishing", source="004", ref="source 004 §3.6 L562-568",
        topic="gradients",
        question_zh="神经网络怎么解决梯度消失问题？",
        question_en="How do neural networks overcome vanishing gradients?",
        answer="The source names the activation (ReLU in feedforward nets, tanh in recurrent "
        "ones), BatchNorm and residual connections. ReLU removes the sigmoid's slope factor of "
        "at most 0.25 (sigmoid-depth), an initialization scaled to the fan-in keeps the signal "
        "from shrinking (init-scale), and identity shortcuts let deep nets train "
        "(residual-degradation). BatchNorm does not by itself keep gradients from growing or "
        "shrinking in deep plain nets. In recurrent nets it is gating (LSTM, GRU), not tanh, "
        "that carries gradients over long spans (gated-rnn-adding).",
        experiments=("sigmoid-depth", "init-scale", "residual-degradation", "gated-rnn-adding"),
        code=("gradlab.nn.ReLU", "gradlab.nn.init.kaiming_normal_", "gradlab.models.ResNet",
              "gradlab.nn.LSTM"),
        errata=("bn-keeps-gradient-stable",)),
)

# ============================================================================= source 003

# ----------------------------------------------------------------------------- 1 基础

_BASICS = (
    Question(
        id="003-traditional-image-processing", source="003", ref="source 003 L52-56",
        topic="general",
        question_zh="CNN 出现后，传统的图像处理还有意义吗",
        question_en="Now that CNNs exist, does traditional image processing still matter?",
        answer="Yes. Every CNN pipeline still relies on classical operations: resizing, "
        "cropping, flipping and intensity normalization prepare and augment its inputs "
        "(gradlab.transforms). Geometric tasks such as camera calibration, stereo and image "
        "registration are still solved mostly by classical methods, and with little data, "
        "little compute or a need for predictable behaviour a hand-designed filter can beat a "
        "learned one. A convolution layer is itself a bank of classical linear filters whose "
        "coefficients are learned instead of designed. The source gives only a link; gradlab "
        "has no experiment on this question.",
        code=("gradlab.transforms.RandomCrop", "gradlab.transforms.RandomHorizontalFlip",
              "gradlab.transforms.Normalize", "gradlab.nn.Conv2d")),
    Question(
        id="003-input-224", source="003", ref="source 003 L58-72", topic="architectures",
        question_zh="网络输入为什么用 224",
        question_en="Why do classification networks take 224 x 224 inputs?",
        answer="The source's reasoning is arithmetic: five stride-2 stages divide the size by "
        "2^5 = 32, and 7 x 32 = 224 leaves a 7 x 7 map for the classifier; `gradlab rf "
        "vgg16 --input 224` shows pool5 at 7 x 7, and at 448 it is 14 x 14. The source's "
        "third case is wrong: 7 x 2^6 = 448, not 228, and its 1/4, 1/5, 1/6 mean 1/2^4, "
        "1/2^5, 1/2^6. 224 is a convention, not a requirement: gradlab's AlexNet (no padding "
        "in its first layer) gives a 5 x 5 pool5 at 224 and the 6 x 6 of the paper at 227. "
        "The usual ImageNet recipe (AlexNet, VGG) rescales each image and takes 224 x 224 "
        "crops of it, which is also a data augmentation. A net that ends in global average "
        "pooling accepts any input size large enough for its strides.",
        code=("gradlab.tools.receptive_field", "gradlab.tools.conv_output_size",
              "gradlab.models.VGG16", "gradlab.models.AlexNet"),
        commands=("gradlab rf vgg16 --input 224", "gradlab rf vgg16 --input 448",
                  "gradlab rf alexnet --input 227"),
        tests=("tests/test_tools_receptive_field.py::test_seed_numbers_spelled_out",),
        errata=("input-7x2-6",)),
    Question(
        id="003-input-rgb", source="003", ref="source 003 L75-80", topic="data",
        question_zh="网络输入必须是 RGB 吗",
        question_en="Must the input of a network be RGB?",
        answer="No. A convolution's first layer takes any number of input channels "
        "(in_channels of gradlab.nn.Conv2d), so binary, grey-scale, RGB, YUV or HSV images, "
        "or several of them stacked along the channel axis, are all valid inputs. Only the "
        "first layer's weights depend on the channel count; everything after it is "
        "unchanged. gradlab's LeNet-5 takes one grey channel and VGG16 three (`gradlab "
        "summary lenet5 --input 1 28 28`). Which colour space trains best is an empirical "
        "question (ColorNet, which the source cites); gradlab does not measure it.",
        code=("gradlab.nn.Conv2d", "gradlab.models.LeNet5"),
        commands=("gradlab summary lenet5 --input 1 28 28",
                  "gradlab summary vgg16 --input 3 224 224")),
    Question(
        id="003-data-unsuited-for-dl", source="003", ref="source 003 L83-88", topic="data",
        question_zh="不适合 DL 的数据集",
        question_en="Which data sets are not suited to deep learning?",
        answer="Small data sets give a large network little to learn from, so simpler models "
        "with fewer parameters often match or beat it; gradlab does not measure this claim. "
        "The second point is really about the architectures with a locality prior: "
        "convolutions and recurrent nets assume that neighbouring inputs belong together. "
        "cnn-local-correlation trains a CNN and an MLP on Digits and on Digits with a fixed "
        "random permutation of the pixels, which destroys the local correlation. An MLP "
        "treats its inputs as an unordered set (a permutation of the inputs is undone by "
        "permuting its first weight matrix), so tabular data such as the source's health "
        "records suit an MLP or tree ensembles rather than a CNN.",
        experiments=("cnn-local-correlation",)),
    Question(
        id="003-cnn-terms", source="003", ref="source 003 L90-99", topic="convolution",
        question_zh="CNN 中术语解释",
        question_en="The terms of a CNN: kernel (filter), padding, stride, pooling, channels.",
        answer="A kernel (filter) is a small weight array, C_in x k x k for a 2-D convolution, "
        "slid over the input; each filter gives one output channel. Padding adds a border "
        "(zeros by default) so that the kernel can be centred on edge pixels and the size "
        "can be kept; the stride is the step between two placements of the kernel. Pooling "
        "replaces each window by its maximum or mean; it has no weights and keeps the "
        "channel count. Channels are the depth axis of a feature map: 3 for an RGB input, "
        "then the number of filters of the layer before. gradlab.nn.Conv2d also takes "
        "dilation and groups, and gradlab.tools.conv_output_size gives the output size of "
        "any setting.",
        code=("gradlab.nn.Conv2d", "gradlab.nn.MaxPool2d", "gradlab.nn.AvgPool2d",
              "gradlab.tools.conv_output_size", "gradlab.tools.pool_output_size"),
        tests=("tests/test_tools_shapes.py::test_conv_grid",
               "tests/test_nn_layers.py::test_conv2d_matches_torch")),
    Question(
        id="003-activation-functions", source="003", ref="source 003 L101-120",
        topic="activations",
        question_zh="激活函数",
        question_en="Activation functions (sigmoid, ReLU, softplus, tanh, RBF): formulas, "
        "properties, uses.",
        answer="Activations make the network nonlinear: a stack of convolutions and linear "
        "layers alone is one linear map. The sigmoid 1 / (1 + e^-x) has slope "
        "sigma (1 - sigma), at most 0.25, and saturates for large |x| (tanh-saturation, "
        "sigmoid-depth). The source's tanh formula is right: tanh x = (1 - e^-2x) / (1 + e^-2x) "
        "= 2 sigmoid(2x) - 1, zero-centred with slope 1 - tanh^2, at most 1. ReLU max(0, x) "
        "has slope exactly 1 for x > 0, which answers the source's question about why it keeps "
        "gradients, and slope 0 for x < 0, where units can die (dying-relu); that its "
        "sparsity reduces overfitting is not measured here. Softplus log(1 + e^x) is a "
        "smooth ReLU whose derivative is the sigmoid, and an RBF unit exp(-|x - c|^2 / "
        "(2 sigma^2)) responds to the distance from a centre (gradlab.nn.RBF).",
        experiments=("sigmoid-depth", "tanh-saturation", "dying-relu",
                     "zero-centred-activations"),
        code=("gradlab.nn.Sigmoid", "gradlab.nn.Tanh", "gradlab.nn.ReLU", "gradlab.nn.Softplus",
              "gradlab.nn.RBF"),
        tests=("tests/test_nn_activation.py::test_vs_torch",
               "tests/test_nn_activation.py::test_gradcheck",
               "tests/test_nn_activation.py::test_rbf_module_gradcheck_and_properties")),
    Question(
        id="003-softmax", source="003", ref="source 003 L123-133", topic="losses",
        question_zh="softmax",
        question_en="What does softmax do, and why is it used for classification?",
        answer="softmax(y)_i = e^(y_i) / sum_j e^(y_j) maps any vector of scores to positive "
        "numbers that sum to 1, so the outputs can be read as class probabilities and "
        "compared with the label by the cross-entropy. It is unchanged when a constant is "
        "added to every score, which is how it is computed safely: gradlab.nn.functional."
        "softmax subtracts the maximum first, since e^x overflows float32 above x of about "
        "88.7. softmax-overflow shows the naive formula returning inf and nan where the "
        "shifted one does not. Its largest output follows the largest score, so the "
        "predicted class is the argmax of the raw scores.",
        experiments=("softmax-overflow",),
        code=("gradlab.nn.functional.softmax", "gradlab.nn.functional.log_softmax",
              "gradlab.nn.Softmax"),
        tests=("tests/test_nn_activation.py::test_vs_torch",)),
    Question(
        id="003-cross-entropy-loss", source="003", ref="source 003 L135-143", topic="losses",
        question_zh="交叉熵损失",
        question_en="The cross-entropy loss.",
        answer="For a true distribution p and a prediction q, H(p, q) = -sum_x p(x) log q(x); "
        "with a one-hot label y it is -log q_y, the negative log-probability of the true "
        "class. The source calls it a distance between distributions, which it is not: "
        "H(p, p) is the entropy of p, not 0, and H(p, q) differs from H(q, p). The gap "
        "H(p, q) - H(p) is the KL divergence, which is 0 only at q = p but is not symmetric "
        "either. gradlab.nn.functional.cross_entropy takes logits and fuses log-softmax "
        "with the loss, so large logits do not overflow; behind a softmax or sigmoid output "
        "it trains where the MSE stalls at a saturated start (softmax-overflow).",
        experiments=("softmax-overflow",),
        code=("gradlab.nn.functional.cross_entropy", "gradlab.nn.CrossEntropyLoss",
              "gradlab.nn.functional.kl_div"),
        tests=("tests/test_nn_loss.py::test_vs_torch", "tests/test_nn_loss.py::test_gradcheck"),
        errata=("cross-entropy-not-distance",)),
    Question(
        id="003-role-of-convolution", source="003", ref="source 003 L146-152",
        topic="convolution",
        question_zh="卷积的作用",
        question_en="What do convolution layers do?",
        answer="A convolution layer applies learned filters at every position: each output "
        "unit sees a small window (local connectivity) and every position uses the same "
        "weights (weight sharing), so it detects a pattern wherever it occurs. Stacked with "
        "pooling, the layers see ever larger regions and combine simple patterns into more "
        "abstract ones (`gradlab rf vgg16 --input 224`: from 3 x 3 pixels at conv1_1 to "
        "212 x 212 at pool5). The source's 平移不变性 is loose: a stride-1 convolution is "
        "translation-equivariant (shifting the input shifts the feature map), and only "
        "pooling and the layers after it make the output approximately invariant to small "
        "shifts. cnn-local-correlation measures what the locality prior is worth, by "
        "shuffling the pixels, and shift-tolerance the tolerance to one-pixel shifts: more "
        "with pooling than without, but less than the source's word suggests.",
        experiments=("cnn-local-correlation", "shift-tolerance"),
        code=("gradlab.nn.Conv2d", "gradlab.tools.receptive_field"),
        commands=("gradlab rf vgg16 --input 224",),
        errata=("conv-equivariant-not-invariant",)),
    Question(
        id="003-layer-differences", source="003", ref="source 003 L155-166",
        topic="architectures",
        question_zh="各层的区别",
        question_en="How do convolution, fully connected and pooling layers differ?",
        answer="A convolution unit is connected to a small window of its input and shares its "
        "weights across positions, so it learns local patterns; a fully connected unit sees "
        "every input with its own weight, so it can learn global ones. A convolution whose "
        "kernel covers the whole input without padding is a fully connected layer. Pooling "
        "has no parameters and keeps the number of channels, while a convolution has "
        "C_in x k x k x C_out weights plus C_out biases and sets the channel count to its "
        "number of filters. `gradlab summary vgg16 --input 3 224 224` lists 0 parameters "
        "for every pooling row and shows that the three fully connected layers hold most of "
        "VGG16's 138,357,544 parameters.",
        code=("gradlab.tools.summary", "gradlab.nn.Conv2d", "gradlab.nn.Linear",
              "gradlab.nn.MaxPool2d"),
        commands=("gradlab summary vgg16 --input 3 224 224",),
        tests=("tests/test_tools_summary.py::test_params_match_torch_twin_and_numel",)),
    Question(
        id="003-feature-map-size", source="003", ref="source 003 L169-181", topic="convolution",
        question_zh="特征图大小计算",
        question_en="How is the size of a feature map computed?",
        answer="Convolution: out = floor((in + 2 padding - dilation (kernel - 1) - 1) / stride) "
        "+ 1, which is the source's formula for dilation 1. Transposed convolution: out = "
        "(in - 1) stride - 2 padding + dilation (kernel - 1) + output_padding + 1, the "
        "source's formula when dilation is 1 and output_padding 0. Pooling uses the "
        "convolution's formula; the source's rule that pooling rounds up is Caffe's "
        "convention, while PyTorch and gradlab round down unless ceil_mode=True "
        "(gradlab.tools.pool_output_size gives 3 for a 7-pixel map, kernel 2, stride 2, and "
        "4 with ceil_mode). Padding (kernel - 1) / 2 at stride 1 keeps the size for odd "
        "kernels, as the source says (gradlab.tools.same_padding). The output channel count is "
        "the number of filters; pooling keeps the input's.",
        code=("gradlab.tools.conv_output_size", "gradlab.tools.conv_transpose_output_size",
              "gradlab.tools.pool_output_size", "gradlab.tools.same_padding"),
        tests=("tests/test_tools_shapes.py::test_conv_grid",
               "tests/test_tools_shapes.py::test_conv_transpose_grid",
               "tests/test_tools_shapes.py::test_max_pool_grid",
               "tests/test_tools_shapes.py::test_same_padding_keeps_size_at_stride_1"),
        errata=("pooling-rounding",)),
    Question(
        id="003-receptive-field", source="003", ref="source 003 L184-205", topic="convolution",
        question_zh="感受野及其计算",
        question_en="What is the receptive field, and how is it computed?",
        answer="The receptive field of a unit is the region of the input image that can "
        "affect it. Its size follows the source's recurrence RF_n = RF_(n-1) + (k_n - 1) "
        "x (product of the strides of layers 1 to n-1), with (k_n - 1) dilation_n for "
        "dilated kernels; gradlab.tools.receptive_field evaluates it and "
        "measure_receptive_field checks it against the input pixels with a non-zero "
        "gradient. The source's claim that it grows exponentially is wrong without "
        "downsampling: stacked 3 x 3 stride-1 layers give 3, 5, 9, 17, 33 for 1, 2, 4, 8, "
        "16 layers (2L + 1), and only strides make the growth exponential. Stacking small "
        "kernels does reach the field of a large one with fewer parameters: two 3 x 3 layers "
        "cover 5 x 5 with 18/25 = 0.72 of the weights (gradlab.tools.stacked_3x3_vs_5x5).",
        code=("gradlab.tools.receptive_field", "gradlab.tools.measure_receptive_field",
              "gradlab.tools.stacked_3x3_vs_5x5"),
        commands=("gradlab rf vgg16 --input 224", "gradlab rf vgg --input 32 --measure"),
        tests=("tests/test_tools_receptive_field.py::test_stacked_small_kernels_and_growth",
               "tests/test_tools_receptive_field.py::"
               "test_closed_form_agrees_with_autograd_on_zoo"),
        errata=("receptive-field-exponential",)),
    Question(
        id="003-conv-parameter-count", source="003", ref="source 003 L208-213",
        topic="convolution",
        question_zh="卷积层参数量计算",
        question_en="How many parameters does a convolution layer have?",
        answer="C_in x k_h x k_w x C_out weights plus C_out biases, as the source writes; "
        "VGG16's first layer has 3 x 3 x 3 x 64 + 64 = 1,792 (gradlab.tools.conv_cost). "
        "The count does not depend on the size of the feature map, because the weights are "
        "shared across positions; the multiply-adds do, C_in x k_h x k_w x C_out per output "
        "position. A grouped convolution with g groups has C_in / g x k_h x k_w x C_out "
        "weights, and a depthwise one (g = C_in) only C_in x k_h x k_w. `gradlab summary` "
        "prints the count per layer and is checked against PyTorch's numel.",
        code=("gradlab.tools.conv_cost", "gradlab.tools.summary"),
        commands=("gradlab summary vgg16 --input 3 224 224",),
        tests=("tests/test_tools_summary.py::test_conv_cost_bias_and_errors",
               "tests/test_tools_summary.py::test_params_match_torch_twin_and_numel")),
    Question(
        id="003-cnn-structure", source="003", ref="source 003 L216-224", topic="architectures",
        question_zh="CNN 结构特点",
        question_en="What characterizes the structure of a CNN?",
        answer="Local connectivity, weight sharing, pooling and a hierarchy of layers, as the "
        "source lists. Local connectivity and sharing cut the parameters: a 5 x 5 convolution "
        "from 3 x 32 x 32 to 6 x 28 x 28 has 456 parameters, a fully connected layer with "
        "the same input and output 14,455,392 (exact arithmetic). Whether sharing also "
        "eases training, as the source says, is not measured by gradlab; what the locality "
        "prior is worth on images is measured by cnn-local-correlation. A filter detects "
        "one pattern wherever it occurs, and pooling with the growing receptive field "
        "combines local features into larger ones.",
        experiments=("cnn-local-correlation",),
        code=("gradlab.tools.conv_cost", "gradlab.models.LeNet5"),
        commands=("gradlab summary lenet5 --input 1 28 28",)),
    Question(
        id="003-pooling-layer", source="003", ref="source 003 L227-233", topic="pooling",
        question_zh="pooling 层作用",
        question_en="What does a pooling layer do?",
        answer="Pooling summarizes each window by its maximum or mean, which makes the output "
        "tolerant to small shifts of the input: a maximum or mean that moves within its "
        "window is unchanged. On 8 x 8 digits moved by one pixel, a CNN with max-pooling loses "
        "33-43 pt of test accuracy, an MLP 42-47 pt and the same CNN without pooling 43-49 pt "
        "(shift-tolerance, seeds 0-2): pooling helps, but the pooled CNN is far from invariant at "
        "this scale and keeps 0.73-0.91 of the MLP's loss, not the half the lab asks, so that "
        "verdict changes with the source. A stride of 2 halves each side of "
        "the feature map, so later layers cost a quarter of the multiply-adds and a "
        "following fully connected layer needs a quarter of the weights; that this lowers "
        "overfitting is not measured here. Max pooling is a nonlinear function of its "
        "inputs, and average pooling a linear one. Pooling has no parameters; its gradient "
        "goes to the maximum of each window (max) or is spread evenly over it (average).",
        experiments=("shift-tolerance",),
        code=("gradlab.nn.MaxPool2d", "gradlab.nn.AvgPool2d", "gradlab.nn.AdaptiveAvgPool2d"),
        tests=("tests/test_nn_layers.py::"
               "test_max_pool_routes_gradient_to_argmax_and_avg_spreads_evenly",)),
    Question(
        id="003-feature-hierarchy", source="003", ref="source 003 L235-239",
        topic="architectures",
        question_zh="特征的层次性",
        question_en="The hierarchy of features in a CNN.",
        answer="Early layers respond to edges, colours and textures, and deeper layers to "
        "object parts and whole objects; Zeiler and Fergus (2014) showed this by projecting "
        "the units' activations back to the pixels. One reason is geometric: each layer's "
        "units see a larger region of the image than the layer before, and `gradlab rf "
        "vgg16 --input 224` shows the field growing from 3 x 3 pixels at conv1_1 to "
        "212 x 212 at pool5. The other is that each layer combines the features of the one "
        "below, so its patterns are compositions of theirs. gradlab does not visualize "
        "learned features.",
        code=("gradlab.tools.receptive_field",),
        commands=("gradlab rf vgg16 --input 224",)),
    Question(
        id="003-bn", source="003", ref="source 003 L242-258", topic="normalization",
        question_zh="BN 原理及作用",
        question_en="How does Batch Normalization work, and what does it do?",
        answer="BatchNorm standardizes each feature over the mini-batch, (x - mean) / "
        "sqrt(var + eps), then scales and shifts it by learned gamma and beta; in eval mode "
        "it uses running averages. It does not normalize to a Gaussian, as the source says: "
        "the shape of the distribution is kept. The lab measures the source's claims one by "
        "one: faster training and larger usable learning rates (batchnorm), lower "
        "sensitivity to the initial scale (bn-init-sensitivity), and how the layer inputs "
        "drift during training (covariate-shift-depth). Its regularizing effect, from the "
        "noise of batch statistics, is mild, so the source's doubt is reasonable: on 150 "
        "Digits images BatchNorm narrows the test-minus-train loss gap only to 0.92 of the "
        "plain net's (bn-regularizer). It does not keep gradients "
        "stable: in a deep plain net with BatchNorm the gradient still grows towards the "
        "input (residual-degradation). gradlab's BatchNorm is written by hand, forward and "
        "backward, and checked against PyTorch.",
        experiments=("batchnorm", "bn-init-sensitivity", "bn-regularizer",
                     "covariate-shift-depth", "residual-degradation"),
        code=("gradlab.nn.BatchNorm1d", "gradlab.nn.BatchNorm2d", "gradlab.ops.norm.Normalize"),
        tests=("tests/test_nn_layers.py::test_batchnorm_train_then_eval_matches_torch",
               "tests/test_nn_layers.py::test_norm_gradchecks"),
        errata=("bn-gaussian", "bn-keeps-gradient-stable")),
    Question(
        id="003-bn-gamma-beta", source="003", ref="source 003 L260-263", topic="normalization",
        question_zh="为什么要加伽马和贝塔，不加可以吗？",
        question_en="Why add gamma and beta to BatchNorm; can they be left out?",
        answer="Without them every normalized unit would be forced to mean 0 and variance 1, "
        "which limits what the next layer receives; gamma and beta let the network choose "
        "any mean and scale, including undoing the normalization. The source gets the "
        "identity wrong: BatchNorm outputs gamma (x - mean) / std + beta, so it is the "
        "identity when gamma is the standard deviation and beta the mean, not the mean and "
        "the variance. They can be left out (gradlab.nn.BatchNorm1d(affine=False)) where the "
        "next layer can absorb them: a following linear layer can rescale and shift its "
        "input itself. Before a ReLU they are not redundant, because beta moves the point "
        "where the unit switches off; the source's claim that they matter only in deep nets "
        "is not measured here.",
        code=("gradlab.nn.BatchNorm1d",),
        tests=("tests/test_nn_layers.py::test_batchnorm_train_then_eval_matches_torch",),
        errata=("bn-identity-needs-std",)),
    Question(
        id="003-bn-placement", source="003", ref="source 003 L265-268", topic="normalization",
        question_zh="BN 应在激活层之前还是之后",
        question_en="Should BatchNorm go before or after the activation?",
        answer="The original paper puts it before the nonlinearity, on the pre-activation "
        "Wx; many later networks put it after, and the source rightly calls the question "
        "disputed. bn-placement trains pairs of nets that differ only in the placement, "
        "from the same weights, and compares their accuracy with a paired t-test; its "
        "verdict says how large and how stable the difference is. gradlab builds both "
        "orders from the same layers.",
        experiments=("bn-placement",),
        code=("gradlab.nn.BatchNorm1d", "gradlab.nn.ReLU"),
        tests=("tests/test_nn_layers.py::test_bn_before_or_after_activation_both_build",)),
    Question(
        id="003-bn-variants", source="003", ref="source 003 L270-275", topic="normalization",
        question_zh="更多研究",
        question_en="Other normalizations: layer norm, weight norm, cosine norm, group norm, "
        "instance norm.",
        answer="LayerNorm normalizes each sample over its features, so it uses no batch "
        "statistics, behaves the same in training and evaluation and keeps no running "
        "averages; layernorm-batch-size trains BatchNorm and LayerNorm nets at batch 2 and "
        "64. Weight norm writes each weight vector as g v / |v|, separating its "
        "length from its direction (gradlab.nn.utils.weight_norm). Cosine norm "
        "replaces the dot product by the cosine between input and weight, bounded in "
        "[-1, 1], at the cost of the magnitude information the source mentions "
        "(gradlab.nn.CosineLinear). GroupNorm, left blank in the source, normalizes each "
        "sample over groups of channels, and InstanceNorm over each channel of each sample "
        "alone (GroupNorm with one channel per group), which suits style transfer.",
        experiments=("layernorm-batch-size",),
        code=("gradlab.nn.LayerNorm", "gradlab.nn.GroupNorm", "gradlab.nn.InstanceNorm2d",
              "gradlab.nn.utils.weight_norm", "gradlab.nn.CosineLinear"),
        tests=("tests/test_nn_layers.py::test_layer_group_instance_norm_match_torch",
               "tests/test_nn_layers.py::test_weight_norm_matches_torch",
               "tests/test_nn_layers.py::test_cosine_linear_properties")),
    Question(
        id="003-norms", source="003", ref="source 003 L278-298", topic="regularization",
        question_zh="范数及其应用",
        question_en="Norms and their uses.",
        answer="|x|_p = (sum |x_i|^p)^(1/p) for p >= 1; L-infinity is the largest |x_i| and "
        "the Frobenius norm of a matrix is the L2 norm of its entries. The count of non-zero "
        "entries (L0) is not a norm because scaling x does not scale it, which is why L1 "
        "stands in for it. As a penalty L1 drives many weights to exactly 0 and L2 shrinks "
        "all of them in proportion; l2-l1-regularization measures the near-zero share of "
        "each. It is the squared L2 norm that grows slowly near the origin and whose "
        "derivative 2 x_i involves only its own element, while the L2 norm grows linearly in "
        "every direction. Penalties trade a little bias for less variance and are usually "
        "put on weights only; gradient clipping uses a norm too "
        "(gradlab.nn.utils.clip_grad_norm_, any p).",
        experiments=("l2-l1-regularization",),
        code=("gradlab.nn.utils.l1_penalty", "gradlab.nn.utils.l2_penalty",
              "gradlab.nn.utils.clip_grad_norm_"),
        tests=("tests/test_clip_penalty.py::test_l1_penalty_value_and_gradient_is_sign",
               "tests/test_clip_penalty.py::test_l2_penalty_value_and_gradient_is_w",
               "tests/test_clip_penalty.py::test_l2_penalty_in_loss_equals_sgd_weight_decay")),
)

# ----------------------------------------------------------------------------- 2 进阶

_ADVANCED = (
    Question(
        id="003-why-cross-entropy", source="003", ref="source 003 L301-305", topic="losses",
        question_zh="为什么交叉熵可以用作代价函数",
        question_en="Why can the cross-entropy serve as a cost function?",
        answer="KL(p || q) = H(p, q) - H(p), and the entropy H(p) of the data distribution "
        "does not depend on the model, so minimizing the KL divergence from the data to the "
        "model is the same as minimizing the cross-entropy, as the source says. With the "
        "empirical distribution as p, the cross-entropy is the mean negative "
        "log-likelihood, so minimizing it is maximum-likelihood estimation. For a softmax "
        "or sigmoid output its gradient with respect to the logits is q - p, which does not "
        "vanish when the output saturates on the wrong class; the MSE's gradient does "
        "(softmax-overflow). gradlab.nn.functional.kl_div and cross_entropy compute both "
        "quantities.",
        experiments=("softmax-overflow",),
        code=("gradlab.nn.functional.cross_entropy", "gradlab.nn.functional.kl_div"),
        tests=("tests/test_nn_loss.py::test_vs_torch",)),
    Question(
        id="003-weight-sharing", source="003", ref="source 003 L308-315", topic="convolution",
        question_zh="权值共享",
        question_en="Weight sharing.",
        answer="A convolution is a fully connected layer whose weight matrix is forced to be "
        "sparse (each output sees only a window) and tied (every position uses the same "
        "kernel). The source's picture of the fully connected weights split into equal parts "
        "that share values is loose: the convolution's matrix is mostly zeros, and its "
        "non-zero entries repeat the kernel along the diagonals. Sharing makes the parameter "
        "count independent of the image size: 456 for a 5 x 5 convolution from 3 x 32 x 32 "
        "to 6 x 28 x 28, against 14,455,392 for a fully connected layer with the same input "
        "and output (exact arithmetic). LeNet-5 uses it, but it is older: LeCun et al. "
        "(1989) already trained shared-weight convolutions by backpropagation.",
        experiments=("cnn-local-correlation",),
        code=("gradlab.nn.Conv2d", "gradlab.tools.conv_cost"),
        commands=("gradlab summary lenet5 --input 1 28 28",)),
)

# ----------------------------------------------------------------------------- 3 理论

_THEORY = (
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
        "with O(k^2) memory; L-BFGS keeps only the last few pairs. gradlab's optimizers are "
        "first-order; newton-vs-gd compares Newton's step with gradient descent on "
        "ill-conditioned quadratics and shows Newton heading to a saddle where the Hessian "
        "is indefinite.",
        experiments=("newton-vs-gd",)),
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
    Question(
        id="003-translation-equivariance", source="003", ref="source 003 L578-582",
        topic="convolution",
        question_zh="卷积网络中的平移等变性的原因，常见的一些卷积形式",
        question_en="Why are convolutional networks translation-equivariant; which forms of "
        "convolution are common?",
        answer="Because one kernel is applied at every position, shifting the input shifts the "
        "output by the same amount: conv(shift(x)) = shift(conv(x)). This holds exactly at "
        "stride 1 away from the borders; with stride s only for shifts that are multiples "
        "of s, and not for rotations or scalings. Common forms are strided and padded "
        "convolutions, dilated (atrous), grouped and depthwise-separable ones, 1 x 1 "
        "convolutions that mix channels, transposed convolutions that upsample, 1-D and 3-D "
        "ones, and locally connected or tiled layers that share less. gradlab has all but "
        "the last two (Conv1d, Conv2d with stride, padding, dilation and groups, "
        "ConvTranspose2d, DepthwiseSeparableConv2d).",
        experiments=("shift-tolerance",),
        code=("gradlab.nn.Conv1d", "gradlab.nn.Conv2d", "gradlab.nn.ConvTranspose2d",
              "gradlab.compress.DepthwiseSeparableConv2d"),
        tests=("tests/test_nn_layers.py::test_conv2d_matches_torch",
               "tests/test_nn_layers.py::test_conv_transpose2d_matches_torch",
               "tests/test_lab_e24_e25.py::test_convolution_is_equivariant")),
    Question(
        id="003-pooling-meaning", source="003", ref="source 003 L584-588", topic="pooling",
        question_zh="pooling 的做法的意义",
        question_en="What is the point of pooling?",
        answer="Pooling replaces the output at each location by a summary of its "
        "neighbourhood (maximum, mean), which makes the representation approximately "
        "invariant to small translations: useful when whether a feature is present matters "
        "more than exactly where. How approximate, shift-tolerance measures: a one-pixel "
        "move of an 8 x 8 digit still costs a pooled CNN 33-43 pt of test accuracy. Pooling over "
        "separately parametrized features (maxout) "
        "can learn invariance to other transformations. With a stride it downsamples, "
        "cutting the later layers' computation, and global or adaptive pooling turns inputs "
        "of any size into a fixed-size vector. It is a strong prior and can cause "
        "underfitting where precise positions matter.",
        experiments=("shift-tolerance",),
        code=("gradlab.nn.MaxPool2d", "gradlab.nn.AvgPool2d", "gradlab.nn.AdaptiveAvgPool2d"),
        tests=("tests/test_nn_layers.py::test_adaptive_pools_match_torch",)),
    Question(
        id="003-rnn-patterns", source="003", ref="source 003 L590-594", topic="recurrent",
        question_zh="循环神经网络常见的一些依赖循环关系，常见的一些输入输出，以及对应的应用场景",
        question_en="Common recurrence patterns of RNNs, their inputs and outputs, and the "
        "applications of each.",
        answer="Recurrences: hidden-to-hidden with an output at every step (the general "
        "form); output-to-hidden only, which is less powerful but trains in parallel with "
        "teacher forcing; and hidden-to-hidden read out once at the end. Input and output "
        "shapes: sequence to one label (sentiment, classification: SequenceClassifier), "
        "sequence to an aligned sequence (tagging, frame labelling: SequenceTagger), "
        "sequence to a sequence of another length (translation, speech recognition: "
        "Seq2Seq), and one input to a sequence (captioning, text generation, as CharLM "
        "samples one token after another). Bidirectional RNNs suit tasks where the whole "
        "input is available before any output is needed.",
        code=("gradlab.models.SequenceClassifier", "gradlab.models.SequenceTagger",
              "gradlab.models.Seq2Seq", "gradlab.models.CharLM"),
        tests=("tests/test_models_recurrent.py::"
               "test_tagger_bidirectional_labels_see_the_future_and_unidirectional_do_not",
               "tests/test_models_recurrent.py::test_classifier_and_tagger_shapes")),
    Question(
        id="003-seq2seq-gru-lstm", source="003", ref="source 003 L596-600", topic="recurrent",
        question_zh="seq2seq，gru，lstm 等相关的原理",
        question_en="How do seq2seq, GRU and LSTM work?",
        answer="An LSTM keeps a cell state: c_t = f * c_(t-1) + i * g and h_t = o * "
        "tanh(c_t), with forget, input and output gates f, i, o (sigmoids) and a candidate "
        "g (tanh), all computed from x_t and h_(t-1). A GRU merges the state and the cell "
        "with an update gate z and a reset gate r: h_t = z * h_(t-1) + (1 - z) * n with "
        "n = tanh(W x_t + U (r * h_(t-1))) in Cho et al.'s form (gradlab.nn.GRU(cho=True)); "
        "PyTorch's form, gradlab's default, applies r after the matmul, to U h_(t-1). Many "
        "texts swap z and 1 - z, which only relabels the gate. A seq2seq model encodes the "
        "source with one RNN, starts a second RNN from the final state and decodes the "
        "target token by token, with teacher forcing in training and its own predictions "
        "at test time. gated-rnn-adding shows the gated cells learning long dependencies.",
        experiments=("gated-rnn-adding",),
        code=("gradlab.nn.LSTM", "gradlab.nn.GRU", "gradlab.models.Seq2Seq"),
        tests=("tests/test_nn_rnn.py::test_gru_cho_matches_reference_and_differs_from_torch_form",
               "tests/test_models_recurrent.py::"
               "test_seq2seq_teacher_forcing_and_greedy_decoding_agree",
               "tests/test_examples.py::test_seq2seq_reverse_greedy_decoding_is_right")),
    Question(
        id="003-sampling", source="003", ref="source 003 L602-606", topic="general",
        question_zh="采样在深度学习中的意义",
        question_en="What role does sampling play in deep learning?",
        answer="Sampling turns sums and integrals that are too costly into Monte Carlo "
        "estimates: the mini-batch gradient is itself a sampled estimate of the full "
        "gradient. Generative models produce their outputs by sampling, as a language model "
        "draws one token after another from its softmax; a temperature sharpens or flattens "
        "that distribution. Markov chain Monte Carlo trains and uses energy-based models "
        "such as RBMs, importance sampling reduces the variance of estimates, and dropout "
        "samples a subnetwork per step. gradlab's CharLM.sample draws tokens from "
        "softmax(logits / temperature), and its DataLoader draws the mini-batches.",
        code=("gradlab.models.CharLM.sample", "gradlab.utils.data.DataLoader"),
        tests=("tests/test_models_recurrent.py::"
               "test_char_lm_sampling_frequencies_follow_softmax_of_logits_over_t",)),
    Question(
        id="003-autoencoder-pca-ica", source="003", ref="source 003 L608-612", topic="general",
        question_zh="自编码器与线性因子模型，PCA，ICA 等的关系",
        question_en="How are autoencoders related to linear factor models, PCA and ICA?",
        answer="A linear factor model generates x = W h + b + noise from independent latent "
        "factors h. Probabilistic PCA takes Gaussian factors and isotropic Gaussian noise "
        "and becomes PCA as the noise goes to 0; factor analysis allows a different noise "
        "variance per dimension; ICA takes non-Gaussian independent factors and recovers "
        "them up to order and scale. An undercomplete linear autoencoder trained with "
        "squared error learns the same subspace as PCA, the span of the top principal "
        "components, though not necessarily their orthogonal axes (Baldi and Hornik 1989). "
        "Nonlinear autoencoders generalize this to curved manifolds. linear-autoencoder-pca "
        "trains such an autoencoder with gradlab and measures the angle between its subspace "
        "and PCA's (gradlab.transforms.PCAWhitening); gradlab has no ICA.",
        experiments=("linear-autoencoder-pca",),
        code=("gradlab.transforms.PCAWhitening",),
        tests=("tests/test_transforms.py::test_pca_matches_sklearn_up_to_sign",)),
    Question(
        id="003-autoencoder-variants", source="003", ref="source 003 L614-618",
        topic="architectures",
        question_zh="自编码器在深度学习中的意义，以及一些常见的变形与应用",
        question_en="What do autoencoders mean for deep learning; common variants and "
        "applications?",
        answer="Autoencoders learn representations without labels, and were among the tools "
        "that first made deep networks trainable through greedy layer-wise pretraining. "
        "Variants differ in how they are kept from copying the input: undercomplete (a "
        "narrow code), sparse (a penalty on the code), denoising (reconstruct the clean "
        "input from a corrupted one), contractive (a penalty on the encoder's Jacobian), and "
        "variational (a probabilistic code with a prior, which makes the model generative). "
        "Applications include dimensionality reduction and visualization, retrieval by "
        "compact codes (semantic hashing), denoising, anomaly detection by reconstruction "
        "error, and pretraining. gradlab has no autoencoder model class; "
        "linear-autoencoder-pca trains the simplest undercomplete one, linear, from "
        "nn.Linear layers, and measures that its code spans the principal subspace "
        "(largest principal angle to PCA's, median 0.30-0.65 degrees for seeds 0-2), as "
        "Baldi and Hornik proved.",
        experiments=("linear-autoencoder-pca",),
        code=("gradlab.nn.Linear",)),
    Question(
        id="003-rbm", source="003", ref="source 003 L620-630", topic="architectures",
        question_zh="受限玻尔兹曼机广泛应用的原因",
        question_en="Why were restricted Boltzmann machines widely used?",
        answer="An RBM is an undirected energy-based model with visible and hidden units, "
        "E(v, h) = -b^T v - c^T h - v^T W h, and no connections within a layer. That "
        "restriction makes p(h | v) and p(v | h) factorize over units, so both are exact "
        "and cheap, block Gibbs sampling is efficient, and contrastive divergence gives a "
        "usable approximation of the likelihood gradient. Stacked RBMs formed deep belief "
        "networks, whose greedy layer-wise pretraining (Hinton et al. 2006) was one of the "
        "first ways to train deep networks. They were also used for collaborative filtering "
        "and for acoustic models in speech recognition (Mohamed et al. 2012, which the source "
        "cites). Better initialization, ReLU units and normalization later made such "
        "pretraining unnecessary. gradlab.models.RBM implements one (exact conditionals, "
        "block Gibbs sampling, the CD-k loss, exact log Z for small models), and "
        "rbm-contrastive-divergence measures the point of CD: on the 30 bars-and-stripes "
        "patterns CD-1 raises the exact log-likelihood by 1.41-1.61 nats in 1,000 steps, "
        "0.92-0.94 of what the exact gradient gains (seeds 0-2).",
        experiments=("rbm-contrastive-divergence",),
        code=("gradlab.models.RBM",)),
    Question(
        id="003-partition-function", source="003", ref="source 003 L630-634", topic="general",
        question_zh="配分函数通常难以计算的解决方案",
        question_en="How to cope with a partition function that is intractable?",
        answer="The partition function Z sums or integrates exp(-E(x)) over every possible x, "
        "which is intractable in high dimensions. One can estimate the gradient of log Z "
        "with samples from the model (contrastive divergence, persistent contrastive "
        "divergence); avoid Z altogether with pseudolikelihood, score matching, ratio "
        "matching or noise-contrastive estimation; or estimate Z itself for evaluation by "
        "annealed importance sampling. Another answer is to choose models whose Z is "
        "tractable. For a softmax over a modest number of classes Z is a plain sum, which "
        "gradlab computes stably in log space with logsumexp; a small RBM's Z is a sum over "
        "2^n states (RBM.log_partition), and contrastive divergence trains it without Z "
        "(rbm-contrastive-divergence).",
        experiments=("rbm-contrastive-divergence",),
        code=("gradlab.logsumexp", "gradlab.nn.functional.log_softmax",
              "gradlab.models.RBM.log_partition")),
    Question(
        id="003-mle-map-bayes", source="003", ref="source 003 L636-640", topic="general",
        question_zh="几种参数估计的联系与区别: MLE／MAP／贝叶斯",
        question_en="How are the parameter estimates MLE, MAP and full Bayesian inference "
        "related, and how do they differ?",
        answer="MLE picks the theta that maximizes p(data | theta), a point estimate. MAP "
        "maximizes p(data | theta) p(theta), the same point estimate with the log-prior "
        "added as a penalty (L2 for a Gaussian prior). Full Bayesian inference keeps the "
        "whole posterior p(theta | data) and predicts by averaging the model's predictions "
        "over it, which accounts for the uncertainty about theta but needs an integral "
        "that is usually intractable. With a flat prior MAP equals MLE, and as the data "
        "grow the likelihood dominates the prior so the three approach each other. Training "
        "with the cross-entropy is MLE, and adding weight decay makes it MAP.",
        code=("gradlab.nn.utils.l2_penalty", "gradlab.nn.functional.cross_entropy")),
    Question(
        id="003-semi-supervised", source="003", ref="source 003 L642-646", topic="general",
        question_zh="半监督的思想以及在深度学习中的应用",
        question_en="The idea of semi-supervised learning and its uses in deep learning.",
        answer="Semi-supervised learning uses a few labelled examples and many unlabelled "
        "ones: the unlabelled data reveal the structure of p(x), which helps when the labels "
        "follow that structure (points in one cluster or on one manifold share a class). In "
        "deep learning a representation is learned from unlabelled data (autoencoders, "
        "generative or self-supervised pretraining) and then fine-tuned on the labels, or a "
        "shared representation is trained with a supervised and an unsupervised loss "
        "together. Other methods are pseudo-labelling of confident predictions and "
        "consistency regularization, which asks for the same prediction under noise or "
        "augmentation. It helps only when the unlabelled data's structure matches the "
        "classes in the way the method uses it: in semi-supervised, logistic regression on 2 "
        "labelled Digits images per class does worse on the unlabelled set's whitened top-16 "
        "principal components than on the raw pixels (test accuracy 57.5% against 74.0%, seed "
        "0) and than on the same reduction fitted to the 20 labelled images alone, for seeds "
        "0-2.",
        experiments=("semi-supervised",)),
    Question(
        id="003-channel-meaning", source="003", ref="source 003 L648-652", topic="data",
        question_zh="举例 CNN 中的 channel 在不同数据源中的含义",
        question_en="Give examples of what a CNN's channels mean for different data sources.",
        answer="Images: one channel for grey levels, three for RGB, more for multispectral or "
        "depth data, and in deeper layers one channel per learned feature. Audio: a 1-D "
        "signal with one channel per microphone (stereo has two), processed by a 1-D "
        "convolution; or a spectrogram treated as a one-channel image with time and "
        "frequency as its axes. Video: colour channels over a 3-D volume of frames, or "
        "frames stacked as channels. Text: a 1-D sequence whose channels are the dimensions "
        "of the word embedding. gradlab.nn.Conv1d and Conv2d take any channel count, and "
        "gradlab.nn.Embedding turns tokens into channel vectors.",
        code=("gradlab.nn.Conv1d", "gradlab.nn.Conv2d", "gradlab.nn.Embedding")),
    Question(
        id="003-dl-applications", source="003", ref="source 003 L654-658",
        topic="architectures",
        question_zh="深度学习在 NLP，语音，图像等领域的应用及常用的一些模型",
        question_en="Applications of deep learning in NLP, speech and vision, and common "
        "models.",
        answer="Vision: CNNs for classification (LeNet-5, AlexNet, VGG, ResNet), detection "
        "(which scores boxes by IoU and prunes them by non-maximum suppression) and "
        "segmentation. Speech: deep acoustic models, first on top of HMMs, then recurrent "
        "and convolutional end-to-end models trained with CTC or attention. Language: word "
        "embeddings, RNN and LSTM language models, sequence-to-sequence translation, and "
        "attention-based Transformers. Recommendation combines embeddings with wide and "
        "deep parts. gradlab has the vision classics, box tools and recurrent models "
        "(CharLM, Seq2Seq), but no Transformer.",
        code=("gradlab.models.ResNet", "gradlab.models.VGG16", "gradlab.models.AlexNet",
              "gradlab.tools.nms", "gradlab.models.CharLM", "gradlab.models.Seq2Seq")),
    Question(
        id="003-word2vec-glove", source="003", ref="source 003 L660-670", topic="data",
        question_zh="word2vec 与 glove 的比较",
        question_en="How do word2vec and GloVe compare?",
        answer="word2vec (Mikolov et al. 2013) learns vectors by predicting words from their "
        "local context windows (skip-gram predicts the context from a word, CBOW the "
        "reverse), trained by SGD with negative sampling or a hierarchical softmax. GloVe "
        "(Pennington et al. 2014) fits the vectors so that w_i^T v_j + b_i + c_j "
        "approximates the log of the global co-occurrence count X_ij, by weighted least "
        "squares over the co-occurrence matrix. The two are closer than they look: "
        "skip-gram with negative sampling implicitly factorizes a shifted PMI matrix (Levy "
        "and Goldberg 2014), and their embeddings perform similarly. As the source suspects, "
        "neither is deep: each is one embedding table, a lookup like gradlab.nn.Embedding, "
        "trained with a log-bilinear objective.",
        code=("gradlab.nn.Embedding",),
        tests=("tests/test_nn_dropout_embedding.py::test_embedding_from_pretrained",)),
    Question(
        id="003-attention", source="003", ref="source 003 L670-676", topic="architectures",
        question_zh="注意力机制在深度学习的某些场景中为何会被大量使用，其几种不同的情形",
        question_en="Why is the attention mechanism so widely used, and what forms does it "
        "take?",
        answer="Attention computes a weighted average of value vectors, with weights given by "
        "a softmax of scores between a query and keys, so a model can pick out the relevant "
        "parts of a long or variable input. In translation the decoder attends to all "
        "encoder states (Bahdanau et al. 2015) instead of squeezing the source into one "
        "vector, which is what gradlab's Seq2Seq does: its decoder starts from the "
        "encoder's final state only. Forms: additive or (scaled) dot-product scores, soft "
        "or hard (sampled) attention, global or local windows, self-attention within one "
        "sequence, and the multi-head self-attention of the Transformer (Vaswani et al. "
        "2017). gradlab has no attention layer.",
        code=("gradlab.models.Seq2Seq",),
        tests=("tests/test_models_recurrent.py::"
               "test_seq2seq_encoder_state_reaches_the_decoder",)),
    Question(
        id="003-wide-and-deep", source="003", ref="source 003 L676-682", topic="architectures",
        question_zh="wide&deep 模型中的 wide 和 deep 介绍",
        question_en="The wide and the deep parts of the wide & deep model.",
        answer="Wide & deep (Cheng et al. 2016, app recommendation at Google Play) adds two "
        "models' logits into one logistic output and trains them jointly. The wide part is "
        "a generalized linear model on the raw sparse features and their cross-product "
        "transformations, which memorizes specific feature combinations seen in the data. "
        "The deep part is a feed-forward network on dense embeddings of the sparse "
        "categorical features, which generalizes to combinations never seen. In the paper "
        "the wide part was trained with FTRL and an L1 penalty and the deep part with "
        "AdaGrad. gradlab has no recommender model."),
    Question(
        id="003-kernel-regression-rbf", source="003", ref="source 003 L682-686",
        topic="architectures",
        question_zh="核回归与 RBF 网络的关系",
        question_en="How is kernel regression related to RBF networks?",
        answer="Kernel (Nadaraya-Watson) regression predicts f(x) = sum_i y_i k(x, x_i) / "
        "sum_j k(x, x_j), an average of the training targets weighted by a kernel such as "
        "the Gaussian exp(-|x - x_i|^2 / (2 sigma^2)). An RBF network computes f(x) = "
        "sum_j w_j exp(-|x - c_j|^2 / (2 sigma_j^2)), a linear layer on Gaussian bumps. "
        "With one centre per training point, one shared width, normalized activations and "
        "w_j = y_j, the RBF network is exactly kernel regression. The network instead "
        "learns fewer centres, their widths and the output weights. gradlab.nn.RBF is that "
        "layer, with learned centres and log-widths.",
        code=("gradlab.nn.RBF", "gradlab.nn.functional.rbf"),
        tests=("tests/test_nn_activation.py::test_rbf_float32_at_centre_and_learns_a_target",
               "tests/test_nn_activation.py::test_rbf_module_gradcheck_and_properties")),
    Question(
        id="003-lstm-vs-rnn", source="003", ref="source 003 L688-692", topic="recurrent",
        question_zh="LSTM 结构推导，为什么比 RNN 好？",
        question_en="Derive the LSTM's structure: why is it better than a plain RNN?",
        answer="In a plain RNN, dh_t / dh_(t-1) = diag(tanh'(a_t)) U, so the gradient over k "
        "steps is a product of k such matrices and shrinks or grows geometrically. The LSTM "
        "adds a cell c_t = f_t * c_(t-1) + i_t * g_t and outputs h_t = o_t * tanh(c_t); "
        "along the cell, dc_t / dc_(t-1) = diag(f_t) plus terms through the gates. With "
        "forget gates near 1 the gradient passes many steps without being multiplied by a "
        "weight matrix each time, and because the gates are learned the network decides "
        "what to keep, write and forget. It is not immune to exploding gradients, so "
        "clipping is still used. gated-rnn-adding and the adding-problem tests show an LSTM "
        "learning dependencies that the vanilla RNN does not.",
        experiments=("gated-rnn-adding",),
        code=("gradlab.nn.LSTM", "gradlab.nn.LSTMCell"),
        tests=("tests/test_nn_rnn_convergence.py::test_lstm_solves_adding_problem_length_50",
               "tests/test_examples.py::test_adding_problem_lstm_beats_the_mean_and_the_vanilla_rnn")),
    Question(
        id="003-bayesian-effective-parameters", source="003", ref="source 003 L694-698",
        topic="general",
        question_zh="怎么理解贝叶斯模型的有效参数数据会根据数据集的规模自动调整",
        question_en="How should one understand that a Bayesian model's effective number of "
        "parameters adjusts itself to the size of the data set?",
        answer="In Bayesian linear regression with prior precision alpha, the effective number "
        "of parameters is gamma = sum_i lambda_i / (lambda_i + alpha), where lambda_i are the "
        "eigenvalues of the data term beta X^T X (MacKay 1992; Bishop 2006, section 3.5.3). "
        "Each lambda_i grows with the number of samples, so with more data more directions "
        "have lambda_i much larger than alpha: they count as determined by the data (ratio "
        "near 1), while poorly determined ones stay at the prior (ratio near 0). The "
        "effective count therefore rises with the data without any change to the model: "
        "with 20 features of scales 1 to 1e-3 and alpha, beta fitted by the evidence, the "
        "median gamma goes from 6.0-6.3 at 25 samples to 16.2 at 25,600 "
        "(bayesian-effective-parameters, seeds 0-2). Nonparametric models such as Gaussian "
        "processes go further, with a complexity that grows with the data set, which is the "
        "source's answer. The ratio is the same shrinkage factor as L2 weight decay's in the "
        "Hessian's eigenbasis (weight-decay-eigendirections).",
        experiments=("bayesian-effective-parameters", "weight-decay-eigendirections"),
        tests=("tests/test_lab_e38.py::test_evidence_fit_against_a_direct_computation",)),
)

# ----------------------------------------------------------------------------- 4 实战

_PRACTICE = (
    Question(
        id="003-overfitting", source="003", ref="source 003 L706-716", topic="regularization",
        question_zh="过拟合解决方案",
        question_en="Remedies for overfitting.",
        answer="Overfitting is a low training error with a much higher test error: the model "
        "fits noise of the training set, most often because it has many parameters for "
        "little data. Most remedies the source lists have a lab experiment: norm penalties "
        "(l2-l1-regularization), dropout (dropout), early stopping and data augmentation "
        "(early-stopping-augmentation) and ensembles (ensembles-bagging). BatchNorm's batch "
        "noise regularizes mildly at best: on 150 Digits images it narrows the "
        "test-minus-train loss gap only to 0.92 of the plain net's (bn-regularizer). "
        "Parameter sharing "
        "cuts the parameter count (convolutions, recurrent cells). The source's last "
        "sentence, that overfitting happens at the data's boundary and an initialization "
        "inside the data eases it, is too vague to test, and gradlab does not.",
        experiments=("l2-l1-regularization", "dropout", "bn-regularizer",
                     "early-stopping-augmentation", "ensembles-bagging"),
        code=("gradlab.train.EarlyStopping", "gradlab.transforms.RandomCrop",
              "gradlab.nn.Dropout", "gradlab.nn.utils.l2_penalty"),
        tests=("tests/test_train.py::test_early_stopping_stops_after_patience_and_restores_best",)),
    Question(
        id="003-underfitting", source="003", ref="source 003 L719-733", topic="general",
        question_zh="欠拟合",
        question_en="Underfitting: when training does not converge, is the model useless?",
        answer="Not necessarily, as the source says; most causes it lists are bugs or settings. "
        "Unnormalized inputs slow gradient descent and saturate units (whitening, "
        "tanh-saturation), a wrong learning rate or initialization stalls or blows up "
        "training (init-scale), ReLU units can die and stop passing gradient (dying-relu), "
        "and a deep plain net can fail to train where a residual one does "
        "(residual-degradation). A wrong last layer is a common bug: gradlab's cross_entropy "
        "expects logits, so a softmax or ReLU in front of it distorts the loss. Two items "
        "are not about convergence: a missing regularizer hurts generalization, not "
        "training, and too large a batch gives fewer steps per epoch. `gradlab train "
        "--monitor` names vanishing or exploding gradients and dead or saturated units "
        "while training runs.",
        experiments=("whitening", "tanh-saturation", "init-scale", "dying-relu",
                     "residual-degradation"),
        code=("gradlab.diagnose.Monitor", "gradlab.nn.functional.cross_entropy"),
        commands=("gradlab train --monitor",),
        tests=("tests/test_diagnose.py::test_dead_relu_from_a_large_negative_bias_is_named",
               "tests/test_diagnose.py::"
               "test_deep_sigmoid_mlp_reports_vanishing_gradients_in_its_early_layers")),
    Question(
        id="003-vanishing-exploding", source="003", ref="source 003 L736-756", topic="gradients",
        question_zh="梯度消失/爆炸",
        question_en="Vanishing and exploding gradients: causes, symptoms, remedies.",
        answer="Backpropagation multiplies one factor per layer (activation slope times "
        "weights), so the gradient at the first layers shrinks or grows geometrically when "
        "those factors stay below or above 1; the cause is the activations' slopes and the "
        "weights' scale together (sigmoid-depth, exploding-gradients, init-scale). "
        "Exploding shows as a loss that jumps to inf or nan; clipping, a smaller learning "
        "rate and a better initialization fix it, and warmup (gradlab.optim.lr_scheduler."
        "LinearLR) is available but not measured. Vanishing is eased by ReLU, He or Xavier "
        "initialization, residual connections (residual-degradation) and, in RNNs, LSTM or "
        "GRU cells (gated-rnn-adding). The source's claim that BatchNorm keeps gradients near "
        "1 is wrong: in a deep plain net with BatchNorm the gradient still grows towards the "
        "input. That vanishing leaves the shallow weights nearly unchanged, the table's "
        "last line, follows from sigmoid-depth's per-layer ratio.",
        experiments=("sigmoid-depth", "exploding-gradients", "init-scale",
                     "residual-degradation", "gated-rnn-adding"),
        code=("gradlab.nn.utils.clip_grad_norm_", "gradlab.optim.lr_scheduler.LinearLR",
              "gradlab.diagnose.Monitor"),
        commands=("gradlab train --monitor",),
        tests=("tests/test_diagnose.py::test_exploding_gradients_from_large_weights",
               "tests/test_diagnose.py::"
               "test_deep_sigmoid_mlp_reports_vanishing_gradients_in_its_early_layers"),
        errata=("bn-keeps-gradient-stable",)),
    Question(
        id="003-tuning-experience", source="003", ref="source 003 L758-771", topic="general",
        question_zh="深度学习调参经验",
        question_en="Practical experience in tuning deep networks.",
        answer="The source only lists topics; an order that works: start from a recipe known to "
        "work (gradlab train's defaults are measured per model and data set), make sure the "
        "net can overfit a small subset, then tune the learning rate first, on a log scale. "
        "Watch the loss curves and the gradient and activation statistics (gradlab train "
        "--monitor) rather than only the final accuracy. ReLU with He initialization and "
        "BatchNorm tolerate larger learning rates and poorer initial scales (batchnorm, "
        "bn-init-sensitivity). Shuffling and augmentation, dropout, early stopping and "
        "ensembles then buy generalization (early-stopping-augmentation, dropout, "
        "ensembles-bagging), and the batch size trades cost per step against noise "
        "(batch-size).",
        experiments=("batchnorm", "bn-init-sensitivity", "early-stopping-augmentation",
                     "dropout", "ensembles-bagging", "batch-size"),
        code=("gradlab.diagnose.Monitor", "gradlab.optim.lr_scheduler",
              "gradlab.train.EarlyStopping"),
        commands=("gradlab train --monitor",)),
    Question(
        id="003-fine-tuning", source="003", ref="source 003 L773-781", topic="general",
        question_zh="fine-tuning",
        question_en="Fine-tuning: what is it, why does it help, and why tune only the last "
        "layers?",
        answer="Fine-tuning starts from weights trained on another task, usually with a new "
        "output layer for the new classes, and continues training on the new data. The "
        "source's reasons are sound: the lower layers learn general features and the upper "
        "ones task-specific features (Yosinski et al. 2014 measured this transfer layer by "
        "layer), and training fewer parameters on a small data set lowers the risk of "
        "overfitting. pretraining pretrains an MLP on digits 0-4 and compares training from "
        "scratch, fine-tuning everything and tuning the last layer only on a few images of "
        "digits 5-9. With more data, or a new domain far from the old one, more layers are "
        "usually fine-tuned, at a small learning rate.",
        experiments=("pretraining",)),
    Question(
        id="003-dropout", source="003", ref="source 003 L783-801", topic="regularization",
        question_zh="dropout",
        question_en="Dropout: definition, training and test procedure.",
        answer="In training each unit is dropped (output 0) with probability p, a fresh mask "
        "per example and step, so every step trains a thinned subnetwork; the source's step "
        "3, that all units take part in the forward pass, is wrong for the dropped ones. "
        "Backpropagation passes through the same mask, so only the kept units' weights are "
        "updated by that example, as the source says. At test time all units are used and "
        "their outputs must be scaled by the keep probability 1 - p, not by p as the source "
        "writes; its 0.8 for inputs and 0.5 for hidden layers are keep probabilities. "
        "gradlab's dropout is the inverted form: it divides the kept outputs by 1 - p in "
        "training, so evaluation is the identity. dropout measures the train/test gap with "
        "and without it, and ensembles-bagging the bagging view.",
        experiments=("dropout", "ensembles-bagging"),
        code=("gradlab.nn.Dropout", "gradlab.nn.functional.dropout"),
        tests=("tests/test_nn_dropout_embedding.py::test_dropout_statistics_and_gradient",
               "tests/test_nn_dropout_embedding.py::test_dropout_eval_is_identity_and_matches_torch"),
        errata=("dropout-test-scale",)),
    Question(
        id="003-mobile-frameworks", source="003", ref="source 003 L804-808", topic="general",
        question_zh="移动端深度学习框架有哪些",
        question_en="Which deep-learning frameworks run on mobile devices?",
        answer="Besides the source's TensorFlow Lite, MACE (Xiaomi) and ncnn (Tencent), there "
        "are Core ML on Apple devices, PyTorch's mobile runtime, MNN (Alibaba), Paddle Lite "
        "(Baidu) and ONNX Runtime Mobile. Models usually reach them through an exchange "
        "format: ONNX Runtime reads ONNX directly, and converters bring it to most of the "
        "others. "
        "`gradlab export` writes a trained model as ONNX and checks it against onnxruntime, "
        "and `gradlab compress --quantize int8` makes the int8 weights such runtimes use. "
        "gradlab itself runs on NumPy and does not target phones.",
        code=("gradlab.onnx.export", "gradlab.compress.quantize_model"),
        commands=("gradlab export runs/lenet5/best.safetensors --onnx lenet5.onnx",
                  "gradlab compress runs/lenet5 --quantize int8"),
        tests=("tests/test_onnx.py::test_zoo_model_runs_in_onnxruntime",
               "tests/test_cli_export.py::test_export_prints_size_difference_and_both_accuracies")),
    Question(
        id="003-generalization", source="003", ref="source 003 L812-817",
        topic="regularization",
        question_zh="提升泛化能力",
        question_en="How to improve generalization?",
        answer="Prevent overfitting and combine models, as the source says, and above all get "
        "more data or augment the data one has. The lab measures each lever: norm penalties "
        "(l2-l1-regularization), dropout (dropout), early stopping and augmentation "
        "(early-stopping-augmentation); BatchNorm also regularizes mildly, which is not "
        "measured here. ensembles-bagging measures whether an ensemble of independently "
        "trained nets beats its members, the source's 模型融合.",
        experiments=("ensembles-bagging", "early-stopping-augmentation", "dropout",
                     "l2-l1-regularization"),
        code=("gradlab.transforms.RandomCrop", "gradlab.train.EarlyStopping")),
    Question(
        id="003-model-acceleration", source="003", ref="source 003 L820-849",
        topic="architectures",
        question_zh="模型加速",
        question_en="Making models faster and smaller: efficient structures, distillation, "
        "compression.",
        answer="Efficient structures: a depthwise-separable convolution costs 1 / C_out + "
        "1 / k^2 of a standard one, about 0.119 for 64 to 128 channels with 3 x 3 kernels "
        "(gradlab.tools.depthwise_separable_vs_standard); group convolutions with channel "
        "shuffle (ShuffleUnit), k x k factorized into 1 x k and k x 1 (factorize_conv2d with "
        "scheme='spatial') and SqueezeNet's Fire bottleneck are in gradlab.compress. "
        "Knowledge distillation trains a small student on a large teacher's softened "
        "outputs (gradlab.compress.distill). Compression: magnitude pruning with fine-tuning, "
        "an L1 penalty that sparsifies kernels before pruning, int8 quantization with "
        "integer arithmetic, binary and ternary weights with straight-through gradients, "
        "and SVD low-rank factorization. Unstructured sparsity saves storage but speeds up "
        "inference only with sparse kernels, while removing whole channels "
        "(prune_channels_) shrinks the dense layers themselves; NAS is not in gradlab.",
        code=("gradlab.tools.depthwise_separable_vs_standard",
              "gradlab.compress.DepthwiseSeparableConv2d", "gradlab.compress.ShuffleUnit",
              "gradlab.compress.Fire", "gradlab.compress.factorize_conv2d",
              "gradlab.compress.distill", "gradlab.compress.magnitude_prune",
              "gradlab.compress.quantize_model"),
        commands=("gradlab compress runs/lenet5 --prune 0.8 --finetune 2",
                  "gradlab compress runs/lenet5 --quantize int8",
                  "gradlab compress runs/lenet5 --lowrank 0.9"),
        tests=("tests/test_compress_efficient.py::test_costs_against_closed_forms",
               "tests/test_compress_prune.py::test_l1_penalty_sparsifies_kernels",
               "tests/test_compress_quantize.py::test_int8_model_close_to_float_on_digits",
               "tests/test_compress_quantize.py::test_ternary_weights_two_thresholds_and_ste",
               "tests/test_compress_distill.py::test_student_learns_from_teacher_on_digits",
               "tests/test_compress_lowrank.py::test_factorize_model_replaces_where_it_saves")),
)

# ----------------------------------------------------------------------------- 附录 B

_APPENDIX = (
    Question(
        id="003-appendix-receptive-fields", source="003", ref="source 003 L869-921",
        topic="convolution",
        question_zh="计算 AlexNet VGG 网络的感受野",
        question_en="Compute the receptive fields of AlexNet and VGG (the appendix script).",
        answer="The script walks the layers' [kernel, stride, padding] lists: outFromIn "
        "applies the output-size formula layer by layer and inFromOut runs the receptive "
        "field back from one unit with RF = (RF - 1) stride + kernel. gradlab.tools."
        "receptive_field reproduces its tables for the source's specs and for the zoo's "
        "AlexNet, VGG16 and ZFNet: at 224 the last rows have fields of 195 (AlexNet pool5), "
        "212 (VGG16 pool5) and 139 (ZF-5 conv5). The script is Python 2 (print statements), "
        "where / on integers rounds down, so its sizes round every layer down, against the "
        "source's own rule that pooling rounds up. `gradlab rf MODEL --measure` checks each "
        "field against the pixels that autograd finds reaching the unit.",
        code=("gradlab.tools.receptive_field", "gradlab.models.AlexNet",
              "gradlab.models.VGG16", "gradlab.models.ZFNet"),
        commands=("gradlab rf alexnet --input 224", "gradlab rf vgg16 --input 224",
                  "gradlab rf zfnet --input 224"),
        tests=("tests/test_tools_receptive_field.py::test_spec_tables_equal_seed_script",
               "tests/test_tools_receptive_field.py::test_zoo_classics_walked_give_seed_tables",
               "tests/test_tools_receptive_field.py::"
               "test_seed_pooling_rule_disagrees_with_its_script"),
        errata=("pooling-rounding",)),
    Question(
        id="003-iou", source="003", ref="source 003 L924-942", topic="general",
        question_zh="IoU 计算",
        question_en="Computing the intersection over union (IoU) of two boxes.",
        answer="IoU = area(A and B) / area(A or B), with the union area(A) + area(B) minus "
        "the intersection. For boxes (x1, y1, x2, y2) the intersection runs from the larger "
        "lower edge to the smaller upper edge on each axis: max(ax1, bx1) to min(ax2, bx2) "
        "and max(ay1, by1) to min(ay2, by2), with width and height clipped at 0. The source's "
        "snippet does not run (full-width commas, and it unpacks cx1 twice and never sets "
        "cy2), and with those fixed it takes min and max the wrong way round on the y axis, "
        "which measures the union's extent there. gradlab.tools.box_iou computes IoU for "
        "sets of boxes and is checked by counting pixels.",
        code=("gradlab.tools.box_iou", "gradlab.tools.box_area"),
        tests=("tests/test_tools_boxes.py::test_iou_and_area_against_pixel_counting",
               "tests/test_tools_boxes.py::test_seed_snippet_as_printed_does_not_parse",
               "tests/test_tools_boxes.py::test_seed_snippet_bugs"),
        errata=("iou-snippet-does-not-run", "iou-snippet-y-extent")),
)

#: Source 003 (a Q&A page in four parts, 基础, 进阶, 理论, 实战, and an appendix with the
#: receptive-field script and an IoU snippet), in the source's order. Many of its 理论 questions
#: carry only page numbers of the *Deep Learning* book (Goodfellow, Bengio and Courville): their
#: entries give a short answer of their own and point into gradlab only where something shows it.
_S003: tuple[Question, ...] = _BASICS + _ADVANCED + _THEORY + _PRACTICE + _APPENDIX


# ----------------------------------------------------------------------------- the index

#: Every entry of the index, in source order: sources 000 (also 001), 002, 003 and 004.
QUESTIONS: tuple[Question, ...] = _S000 + _S002 + _S003 + _S004
_BY_ID = {q.id: q for q in QUESTIONS}


def get_question(id: str) -> Question:
    """The entry with this id; a ``KeyError`` naming the id when there is none."""
    try:
        return _BY_ID[id]
    except KeyError:
        raise KeyError(f"no question {id!r} in the index (gradlab ask WORDS finds ids)") from None


# ------------------------------------------------------------------------------ searching

#: English words too common to rank by (a query of only these still matches literally)
_STOP = frozenset("a an and are as at be by can do does for from how in is it of on or the "
                  "to what when where which who why with".split())

# weight of a hit in each field: the question counts most, then topic and id, then the rest
_FIELDS = (("question", 4.0), ("topic", 3.0), ("answer", 1.0), ("pointers", 1.5))


def _fields(q: Question) -> dict[str, str]:
    pointers = " ".join(q.experiments + q.code + q.commands + q.tests + q.errata)
    return {"question": f"{q.question_zh} {q.question_en}".lower(),
            "topic": f"{q.topic} {q.id} source {q.source} {q.ref}".lower(),
            "answer": q.answer.lower(), "pointers": pointers.lower()}


def _terms(words: str | Iterable[str]) -> list[str]:
    """The search terms: words split on white space, lower-cased, English stop words dropped
    unless nothing else is left."""
    if isinstance(words, str):
        words = [words]
    terms = [t for w in words for t in str(w).lower().split()]
    kept = [t for t in terms if t not in _STOP]
    return list(dict.fromkeys(kept or terms))


def search(words: str | Iterable[str]) -> list[Question]:
    """The entries matching ``words`` (a string or a list of words; Chinese or English; case
    does not matter), best first.

    A term matches an entry when it occurs in its question (Chinese or English), answer,
    topic, id, source reference or pointers. Entries matching every term come first, then those
    matching fewer; within each, hits in the question outrank hits in the topic, pointers and
    answer. An exact id ranks first. No terms: no entries."""
    terms = _terms(words)
    if not terms:
        return []
    scored = []
    for n, q in enumerate(QUESTIONS):
        text = _fields(q)
        matched, score = 0, 0.0
        for t in terms:
            hit = [w for name, w in _FIELDS if t in text[name]]
            if hit:
                matched += 1
                score += sum(hit)
        if matched:
            exact = any(t == q.id.lower() for t in terms)
            scored.append((not exact, -matched, -score, n, q))
    scored.sort(key=lambda s: s[:4])
    return [s[4] for s in scored]


# ------------------------------------------------------------------------------- pointers

def _repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def _resolve_code(path: str) -> str | None:
    """Why the dotted path does not import (None when it does)."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        name = ".".join(parts[:i])
        try:
            obj = importlib.import_module(name)
        except ImportError:
            continue
        for attr in parts[i:]:
            if not hasattr(obj, attr):
                return f"{name} has no attribute {attr!r} (looking up {path})"
            obj = getattr(obj, attr)
        return None
    return f"no module of {path} imports"


def _resolve_command(cmd: str, parser) -> str | None:
    """Why the command line does not parse with ``parser``, gradlab's own (None when it
    does)."""
    import contextlib
    import io

    try:
        argv = shlex.split(cmd)
    except ValueError as exc:
        return f"cannot split {cmd!r}: {exc}"
    if not argv or argv[0] != "gradlab":
        return f"{cmd!r} is not a gradlab command line"
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            args = parser.parse_args(argv[1:])
    except SystemExit as exc:
        return f"{cmd!r} does not parse (exit {exc.code}): {' '.join(err.getvalue().split())}"
    if getattr(args, "command", None) is None:
        return f"{cmd!r} names no sub-command"
    return None


def _test_names(file: Path) -> set[str]:
    tree = ast.parse(file.read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.update(f"{node.name}::{f.name}" for f in node.body
                         if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)))
    return names


def _resolve_test(ref: str) -> str | None:
    """Why ``tests/test_x.py::name`` does not exist (None when it does)."""
    file, sep, name = ref.partition("::")
    if not sep or not name:
        return f"{ref!r} is not of the form tests/test_x.py::test_name"
    path = _repo_root() / file
    if not path.is_file():
        return f"{file} does not exist (under {_repo_root()})"
    if name not in _test_names(path):
        return f"{file} defines no test {name!r}"
    return None


def _experiment_ids() -> set[str]:
    from .experiments import all_experiments

    return {e.id for e in all_experiments()}


def _errata_ids() -> set[str]:
    from .errata import ERRATA

    return {e.id for e in ERRATA}


def unresolved(q: Question, parser=None) -> list[str]:
    """Each pointer of ``q`` that does not resolve, with why: a code path that does not
    import, an experiment id the lab does not have, a command line ``parser`` (gradlab's own:
    ``gradlab.cli.build_parser()``; the library does not import the command line) refuses, a
    test file or function that does not exist, an errata id not in the registry (and a topic
    not in :data:`TOPICS`). Empty when everything resolves. Raises TypeError when ``q`` has
    command pointers and no parser is given."""
    if q.commands and parser is None:
        raise TypeError(f"unresolved: {q.id} has command pointers; pass "
                        "parser=gradlab.cli.build_parser() to check them")
    problems = []
    if q.topic not in TOPICS:
        problems.append(f"topic {q.topic!r} is not one of TOPICS")
    exps = _experiment_ids() if q.experiments else set()
    problems += [f"experiment {e!r}: no such experiment in gradlab.lab.experiments"
                 for e in q.experiments if e not in exps]
    for path in q.code:
        why = _resolve_code(path)
        if why:
            problems.append(f"code {path!r}: {why}")
    for cmd in q.commands:
        why = _resolve_command(cmd, parser)
        if why:
            problems.append(f"command {cmd!r}: {why}")
    for ref in q.tests:
        why = _resolve_test(ref)
        if why:
            problems.append(f"test {ref!r}: {why}")
    errata = _errata_ids() if q.errata else set()
    problems += [f"erratum {e!r}: not in gradlab.lab.errata.ERRATA"
                 for e in q.errata if e not in errata]
    return problems


def related_commands(q: Question) -> list[str]:
    """Command lines that show ``q``: its own commands, then ``gradlab lab run`` for its
    experiments (for a question without experiments: what to run instead)."""
    out = list(q.commands)
    if q.experiments:
        out.append("gradlab lab run " + " ".join(q.experiments))
    return out
