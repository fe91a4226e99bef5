"""The answer index: every question and heading of the seeds, answered for gradlab.

Each :class:`Question` holds the seed's question verbatim (Chinese) and in English, a short
correct answer written for this project (correcting the seed where it is wrong, citing the ids
of :mod:`gradlab.lab.errata`), and pointers to what in gradlab shows it: lab experiments,
importable code, ``gradlab`` command lines and tests.

This file holds the entries of seeds 000 (seed 001 repeats it: ``also_in``), 002 and 004;
:data:`QUESTIONS` adds those of :mod:`gradlab.lab.questions_003` when that module is there.
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

__all__ = ["Question", "TOPICS", "ENTRIES", "QUESTIONS", "get_question", "search",
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
    """One question or heading of a seed, with its answer and pointers into gradlab."""

    id: str                  # stable slug, unique: "000-q64-batchnorm", "003-receptive-field"
    seed: str                # "000", "002", "003", "004"; seed 001 repeats 000: also_in=("001",)
    ref: str                 # where: "seed 003 L185-203" (line numbers of the seed file)
    topic: str               # one of TOPICS
    question_zh: str         # the seed's question or heading, verbatim
    question_en: str         # the same in English
    answer: str              # 3-8 sentences in English, written for gradlab, correct
    experiments: tuple[str, ...] = ()   # lab experiment ids that give evidence
    code: tuple[str, ...] = ()          # importable dotted paths
    commands: tuple[str, ...] = ()      # gradlab command lines
    tests: tuple[str, ...] = ()         # "tests/test_x.py::test_name"
    errata: tuple[str, ...] = ()        # ids of gradlab.lab.errata.ERRATA
    also_in: tuple[str, ...] = ()


# ----------------------------------------------------------------------- seeds 000 and 001
# Seed 001 is a machine-rewritten copy of seed 000 Q61-65: its entries are these (also_in).

_S000 = (
    Question(
        id="000-q61-faster-convergence", seed="000", ref="seed 000 Q61 L6-20", topic="optimization",
        question_zh="深度学习中有什么加快收敛/降低训练难度的方法？",
        question_en="What speeds up convergence or makes deep networks easier to train?",
        answer="The seed lists bottleneck blocks, residual connections, the learning rate and "
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
        id="000-q62-computational-graph", seed="000", ref="seed 000 Q62 L22-32",
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
        "differences (gradcheck). The seed's own answer is only an image.",
        code=("gradlab.autograd.backward", "gradlab.autograd.grad", "gradlab.autograd.gradcheck"),
        tests=("tests/test_engine.py::test_diamond_graph_matches_torch",
               "tests/test_engine.py::test_reused_tensor_accumulates_within_one_backward",
               "tests/test_engine.py::test_next_functions_walk_the_graph"),
        also_in=("001",)),
    Question(
        id="000-q63-chain-rule", seed="000", ref="seed 000 Q63 L34-76", topic="backpropagation",
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
        id="000-q64-batchnorm", seed="000", ref="seed 000 Q64 L80-195", topic="normalization",
        question_zh="请写出Batch Normalization的计算方法及其应用",
        question_en="How is Batch Normalization computed, and what is it used for?",
        answer="For each feature (each channel in BatchNorm2d) BatchNorm takes the mini-batch "
        "mean and biased variance, normalizes x_hat = (x - mean) / sqrt(var + eps) and "
        "outputs y = gamma x_hat + beta with learnable gamma and beta. In training it also "
        "keeps running averages of the mean and the unbiased variance, which eval mode uses "
        "instead of the batch statistics. Gradients flow through the batch mean and variance "
        "as well as through gamma and beta, by the chain rule as the seed says. The lab "
        "measures faster training and larger usable learning rates (batchnorm) and placement "
        "before or after the activation (bn-placement). Standardizing is an affine map: it "
        "does not make a distribution normal (the seed's 正态化 is wrong), and BatchNorm alone "
        "does not keep gradients stable in deep plain nets (residual-degradation).",
        experiments=("batchnorm", "bn-placement", "residual-degradation"),
        code=("gradlab.nn.BatchNorm1d", "gradlab.nn.BatchNorm2d", "gradlab.ops.norm.Normalize"),
        tests=("tests/test_nn_layers.py::test_batchnorm_train_then_eval_matches_torch",
               "tests/test_nn_layers.py::test_norm_gradchecks"),
        errata=("standardize-is-not-normal", "bn-keeps-gradient-stable"),
        also_in=("001",)),
    Question(
        id="000-q64-workflow", seed="000", ref="seed 000 Q64 L86-114", topic="general",
        question_zh="机器学习流程简介",
        question_en="The workflow of training a network: one-time setup, training dynamics, "
        "evaluation.",
        answer="The seed's list follows the Stanford CS231n outline. One-time setup: the "
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
        id="000-q64-why-normalize-inputs", seed="000", ref="seed 000 Q64 L116-136", topic="data",
        question_zh="为什么输入数据需要归一化（Normalized Data），或者说，归一化后有什么好处呢？",
        question_en="Why should input data be normalized; what does normalization buy?",
        answer="Features on very different scales make the loss surface ill-conditioned, so "
        "gradient descent needs a small learning rate and many steps; standardizing or "
        "whitening the inputs lowers the condition number and the step count (whitening). "
        "Inputs of large magnitude also push tanh or sigmoid units into saturation where "
        "their slope is near zero; normalized inputs keep them in their sensitive range "
        "(tanh-saturation), which is the seed's x = 20 example. Normalization does not make "
        "the training and test distributions the same: one affine map fitted on the "
        "training data is applied to both, so any difference between them remains.",
        experiments=("whitening", "tanh-saturation"),
        code=("gradlab.transforms.StandardScaler", "gradlab.transforms.MinMaxScaler",
              "gradlab.transforms.PCAWhitening", "gradlab.transforms.ZCAWhitening"),
        tests=("tests/test_transforms.py::test_whitened_training_covariance_is_identity",),
        errata=("normalization-same-distribution",),
        also_in=("001",)),
    Question(
        id="000-q64-vanishing", seed="000", ref="seed 000 Q64 L197-225", topic="gradients",
        question_zh="梯度消失",
        question_en="Vanishing gradients: why do the first layers of a deep sigmoid net "
        "learn slowly?",
        answer="Backpropagation multiplies, layer by layer, the activation's slope and the "
        "weights; the sigmoid's slope is at most 0.25 (at input 0), so with weights of "
        "moderate size the gradient shrinks geometrically towards the first layer "
        "(sigmoid-depth). The bound 0.25^n holds for the product of slopes alone; the weights "
        "multiply in too. The slope is not the learning rate, as the seed says: the step is "
        "the learning rate times the gradient, so a small gradient gives a small step at any "
        "learning rate. Whether the shallow layers then barely change while the top layers "
        "do the work is measured by vanishing-shallow-layers.",
        experiments=("sigmoid-depth", "vanishing-shallow-layers"),
        code=("gradlab.diagnose.Monitor", "gradlab.nn.Sigmoid"),
        tests=("tests/test_diagnose.py::"
               "test_deep_sigmoid_mlp_reports_vanishing_gradients_in_its_early_layers",),
        errata=("slope-is-not-learning-rate",),
        also_in=("001",)),
    Question(
        id="000-q64-exploding", seed="000", ref="seed 000 Q64 L227-229", topic="gradients",
        question_zh="梯度爆炸",
        question_en="Exploding gradients: how do they arise?",
        answer="The gradient reaching the first layer is a product of one slope-times-weight "
        "factor per layer, so it grows geometrically when those factors exceed 1 in size. The "
        "seed's example is wrong: with sigmoid slopes of 0.25 and weights of 100, the "
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
        id="000-q65-bgd-sgd", seed="000", ref="seed 000 Q65 L231-241", topic="optimization",
        question_zh="神经网络中会用到批量梯度下降（BGD）吗？为什么用随机梯度下降（SGD）?",
        question_en="Is batch gradient descent used for neural networks? Why use stochastic "
        "gradient descent?",
        answer="Full-batch gradient descent is rarely used: each step costs a pass over the "
        "whole training set, while a mini-batch gives an unbiased estimate of the same "
        "gradient for a fraction of the cost, so far more steps fit in the same time "
        "(batch-size). The noise of the estimate is the seed's second reason: a stochastic "
        "gradient is not zero at a local minimum, so SGD can leave a shallow basin, and it can "
        "also leave the global one (sgd-noise-escape). Restarts from several initializations "
        "and annealing are other ways round local minima. In practice mini-batches of tens to "
        "hundreds of samples are the norm rather than single samples.",
        experiments=("batch-size", "sgd-noise-escape"),
        code=("gradlab.optim.SGD", "gradlab.utils.data.DataLoader"),
        also_in=("001",)),
)

# --------------------------------------------------------------------------------- seed 002

_S002 = (
    Question(
        id="002-q1-activations", seed="002", ref="seed 002 Q1 L3-40", topic="activations",
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
        "measured by zero-centred-activations. The seed's claim that ReLU's sparsity fits the "
        "data better is not tested here.",
        experiments=("sigmoid-depth", "tanh-saturation", "dying-relu",
                     "zero-centred-activations"),
        code=("gradlab.nn.Sigmoid", "gradlab.nn.Tanh", "gradlab.nn.ReLU", "gradlab.nn.LeakyReLU",
              "gradlab.nn.ELU", "gradlab.nn.GELU"),
        tests=("tests/test_nn_activation.py::test_vs_torch",)),
    Question(
        id="002-q1-logistic-sigmoid", seed="002", ref="seed 002 Q1 L18", topic="activations",
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
        id="002-q2-regularization", seed="002", ref="seed 002 Q2 L42-74", topic="regularization",
        question_zh="Q2：正则化的本质是什么以及常用的正则化方法有哪些？",
        question_en="What is regularization at heart, and which regularization methods are "
        "common?",
        answer="Regularization restricts or biases the solution (a penalty, a prior, noise, "
        "less training time) so that the model's variance over training sets falls at the "
        "cost of some bias. For SGD, adding (alpha / 2) w^T w to the loss is exactly weight "
        "decay, w <- (1 - eta alpha) w - eta grad J, as the seed derives; with Adam the two "
        "differ (l2-l1-regularization). Sparsity comes from the L1 penalty, not from the L2 "
        "term the seed derives next: L2 shrinks weights in proportion and leaves few at zero. "
        "The other methods the seed names are measured by dropout and "
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
        id="002-q3-gradients", seed="002", ref="seed 002 Q3 L76-111", topic="gradients",
        question_zh="Q3: 梯度是什么，发生梯度消失、梯度爆炸可能的原因有哪些？",
        question_en="What is the gradient, and what can make gradients vanish or explode?",
        answer="The gradient is the vector of partial derivatives of the loss with respect to "
        "the parameters; it points in the direction of steepest increase. By the chain rule "
        "the gradient at an early layer is a product of one factor per later layer, the "
        "activation's slope times the weight, as in the seed's eq. 8. When those factors are "
        "below 1 in size the product vanishes geometrically with depth (sigmoid-depth); when "
        "they are above 1 it explodes (exploding-gradients). The causes are depth, saturating "
        "activations and an initialization scale that is too small or too large (init-scale); "
        "the seed's recipe for exploding, large weights with biases that keep sigmoid'(z) near "
        "its maximum, is right in principle but needs |w| > 4.",
        experiments=("sigmoid-depth", "exploding-gradients", "init-scale",
                     "residual-degradation"),
        code=("gradlab.diagnose.Monitor",),
        tests=("tests/test_diagnose.py::"
               "test_deep_sigmoid_mlp_reports_vanishing_gradients_in_its_early_layers",
               "tests/test_diagnose.py::test_exploding_gradients_from_large_weights")),
    Question(
        id="002-q4-gradient-descent", seed="002", ref="seed 002 Q4 L113-149",
        topic="optimization",
        question_zh="Q4：梯度下降的原理是什么？有哪几种梯度下降的方式？",
        question_en="How does gradient descent work, and which kinds of gradient descent are "
        "there?",
        answer="Gradient descent moves the parameters against the gradient, theta <- theta - "
        "alpha grad J, the direction of steepest local decrease. On a convex function it "
        "reaches the global minimum only with a suitable step: with an L-Lipschitz gradient, "
        "a learning rate below 2 / L converges and one above diverges. The seed's eq. 14 "
        "drops the learning rate alpha. Batch gradient descent uses the whole training set "
        "per step, stochastic gradient descent one sample, and mini-batch gradient descent "
        "(which the seed omits, and which is what is used in practice) a few dozen to a few "
        "hundred. batch-size measures their cost and noise; whitening shows how the step "
        "count grows with the condition number.",
        experiments=("batch-size", "whitening"),
        code=("gradlab.optim.SGD",),
        tests=("tests/test_optim.py::test_converges_on_a_quadratic",),
        errata=("convex-gd-global", "eq14-missing-lr")),
    Question(
        id="002-q5-backprop", seed="002", ref="seed 002 Q5 L151-178", topic="backpropagation",
        question_zh="Q5：模型反向传播的原理是什么？",
        question_en="What is the principle of backpropagation?",
        answer="Backpropagation computes the gradient of the loss with respect to every "
        "parameter by the chain rule, layer by layer from the output back, reusing each "
        "layer's error term for the layer below; its cost is a small multiple of the forward "
        "pass. For the seed's single neuron, dL/dw = dL/da * sigma'(z) * x and dL/db = dL/da * "
        "sigma'(z). The parameter update that follows, w <- w - eta dL/dw, is gradient descent, "
        "a separate step. gradlab.autograd does the backward pass for any graph of its "
        "operations and is checked against PyTorch and finite differences.",
        code=("gradlab.autograd.backward", "gradlab.autograd.gradcheck"),
        tests=("tests/test_engine.py::test_diamond_graph_matches_torch",
               "tests/test_engine.py::test_raw_sgd_loop_under_no_grad")),
    Question(
        id="002-q6-normalization", seed="002", ref="seed 002 Q6 L180-230", topic="normalization",
        question_zh="Q6: 归一化方法有哪些？为什么要对数据进行归一化处理？",
        question_en="Which normalization methods are there, and why normalize data?",
        answer="Normalizing the inputs puts features on comparable scales, which lowers the "
        "condition number of the problem so gradient descent converges in fewer steps "
        "(whitening). Inside the network, BatchNorm normalizes each feature over the batch, "
        "LayerNorm each sample over its features, InstanceNorm each sample and channel over "
        "its pixels, and GroupNorm each sample over groups of channels. The seed's "
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
        id="002-q7-pooling", seed="002", ref="seed 002 Q7 L232-252", topic="pooling",
        question_zh="Q7：池化方法有哪些？原理、区别、使用场景？",
        question_en="Which pooling methods are there; how do they work, differ, and where is "
        "each used?",
        answer="Average pooling outputs the mean of each window, a smoothed summary of all its "
        "values; max pooling outputs the largest, the strongest response such as an edge or "
        "a texture detector firing, which is the sense of the seed's 'background' versus "
        "'texture' (a heuristic, not measured here). Global average pooling averages each "
        "channel over the whole map; its vector has as many entries as classes only when the "
        "last convolution has that many channels, and it then replaces the fully connected "
        "layer with no parameters. Stochastic pooling draws one activation per window with "
        "probability proportional to its value in training and uses the probability-weighted "
        "mean at test time; its effect on generalization is not tested here. shift-tolerance "
        "measures how much max pooling adds to a CNN's tolerance of small shifts.",
        experiments=("shift-tolerance",),
        code=("gradlab.nn.MaxPool2d", "gradlab.nn.AvgPool2d", "gradlab.nn.AdaptiveAvgPool2d",
              "gradlab.nn.StochasticPool2d"),
        tests=("tests/test_nn_layers.py::test_stochastic_pool_properties_and_gradients",
               "tests/test_nn_layers.py::test_adaptive_pools_match_torch"),
        errata=("gap-dimension",)),
    Question(
        id="002-q8-pooling-backward", seed="002", ref="seed 002 Q8 L254-268", topic="pooling",
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

# --------------------------------------------------------------------------------- seed 004

_S004 = (
    Question(
        id="004-s1-1-relu-vs-sigmoid", seed="004", ref="seed 004 §1.1 L36-66",
        topic="activations",
        question_zh="神经网络中的激活函数：对比ReLU与Sigmoid、Tanh的优缺点？ReLU有哪些变种？",
        question_en="Activation functions: the pros and cons of ReLU against sigmoid and tanh; "
        "which variants of ReLU are there?",
        answer="ReLU needs only a comparison instead of an exponential, and for positive inputs "
        "its slope is 1, so it does not shrink the gradient the way the sigmoid's slope of at "
        "most 0.25 does (sigmoid-depth). Its outputs, like the sigmoid's, are not zero-centred, "
        "which the seed calls a minor nuisance; zero-centred-activations measures how much it "
        "costs. A unit whose pre-activation is negative on every input gets no gradient and "
        "never recovers, the dying ReLU (dying-relu). Leaky ReLU and PReLU keep a small "
        "slope for negative inputs, ELU a smooth negative part, and Softplus is a smooth "
        "ReLU whose slope, the sigmoid, is never exactly 0.",
        experiments=("sigmoid-depth", "zero-centred-activations", "dying-relu"),
        code=("gradlab.nn.ReLU", "gradlab.nn.LeakyReLU", "gradlab.nn.PReLU", "gradlab.nn.ELU",
              "gradlab.nn.Softplus"),
        tests=("tests/test_nn_activation.py::test_vs_torch",)),
    Question(
        id="004-s1-2-architectures", seed="004", ref="seed 004 §1.2 L68-78",
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
        id="004-s1-3-mlp-name", seed="004", ref="seed 004 §1.3 L80-82", topic="architectures",
        question_zh="前馈神经网络叫做多层感知机是否合适？",
        question_en="Is 'multi-layer perceptron' a fitting name for a feedforward network?",
        answer="Not strictly, and the seed says why. A perceptron applies a step function, "
        "which has no useful derivative, while the layers of a 'multi-layer perceptron' apply "
        "continuous, differentiable nonlinearities (sigmoid, tanh, ReLU) so that the whole "
        "network can be trained by backpropagation. Each unit is therefore closer to a "
        "logistic-regression unit than to a perceptron. The name is historical and is used "
        "everywhere, gradlab's gradlab.models.MLP included.",
        code=("gradlab.models.MLP",),
        commands=("gradlab summary mlp --input 1 8 8",)),
    Question(
        id="004-s1-4-layers", seed="004", ref="seed 004 §1.4 L84-86", topic="architectures",
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
        id="004-s1-5-universal-approximation", seed="004", ref="seed 004 §1.5 L88-110",
        topic="architectures",
        question_zh="如何理解通用近似定理？",
        question_en="How should the universal approximation theorem be understood?",
        answer="It says that one hidden layer with enough units approximates any continuous "
        "function on a compact set to any accuracy: Cybenko and Hornik proved it for bounded "
        "squashing activations, and it holds for any non-polynomial activation, ReLU "
        "included. It is an existence result: the number of units needed can be very large, "
        "and it says nothing about whether gradient descent finds such weights or whether they "
        "generalize from finite data. The seed's eq. 4.34 writes I_n where it means I_d. "
        "gradlab demo illustrates the capacity on a small scale, a two-hidden-layer tanh net "
        "fitting two spirals, without testing the theorem.",
        code=("gradlab.models.MLP",),
        commands=("gradlab demo",)),
    Question(
        id="004-s1-6-backprop", seed="004", ref="seed 004 §1.6 L112-156",
        topic="backpropagation",
        question_zh="怎么理解前馈神经网络中的反向传播? 具体计算流程是怎样的?",
        question_en="How does backpropagation work in a feedforward network; what is the "
        "procedure step by step?",
        answer="The error term of layer l is delta_l = f'(z_l) * (W_{l+1}^T delta_{l+1}), "
        "computed from the output back; the gradients are then dL/dW_l = delta_l a_{l-1}^T and "
        "dL/db_l = delta_l, as the seed writes. The seed's procedure is stochastic gradient "
        "descent over shuffled samples with an L2 term lambda W in the update (weight decay), "
        "stopped when the validation error no longer falls (early stopping). gradlab.autograd "
        "computes the same gradients for any graph of operations, checked by gradcheck, and "
        "the README's raw training loop writes the update by hand.",
        code=("gradlab.autograd.backward", "gradlab.autograd.gradcheck", "gradlab.optim.SGD",
              "gradlab.train.EarlyStopping"),
        tests=("tests/test_engine.py::test_raw_sgd_loop_under_no_grad",
               "tests/test_clip_penalty.py::test_l2_penalty_in_loss_equals_sgd_weight_decay")),
    Question(
        id="004-s1-7-cnn-parts", seed="004", ref="seed 004 §1.7 L160-186", topic="convolution",
        question_zh="卷积神经网络哪些部分构成？各部分作用分别是什么？",
        question_en="What are the parts of a convolutional network, and what does each do?",
        answer="A CNN stacks convolution layers, pooling (subsampling) layers and, at the end, "
        "fully connected layers. A convolution connects each output to a small window "
        "(local connectivity) and uses the same kernel at every position (weight sharing), so "
        "it has far fewer parameters than a fully connected layer and its output shifts with "
        "its input. Pooling has no parameters itself: it shrinks the feature maps, which "
        "cuts the computation and the size of the layers after it, and adds some tolerance to "
        "small shifts (shift-tolerance). These structural assumptions pay off only when "
        "nearby inputs are related (cnn-local-correlation).",
        experiments=("shift-tolerance", "cnn-local-correlation"),
        code=("gradlab.nn.Conv2d", "gradlab.nn.MaxPool2d", "gradlab.models.LeNet5",
              "gradlab.tools.summary"),
        commands=("gradlab summary lenet5 --input 1 28 28",)),
    Question(
        id="004-s1-8-depth-resnet", seed="004", ref="seed 004 §1.8 L189-235",
        topic="architectures",
        question_zh="在深度学习中，网络层数增多会伴随哪些问题，怎么解决？为什么要采取残差网络ResNet？",
        question_en="What problems come with more layers, how are they solved, and why use "
        "residual networks?",
        answer="More layers cost more computation, overfit more easily, make gradients vanish "
        "or explode, and degrade: past some depth a plain net reaches a higher training loss "
        "than a shallower one, which is not overfitting. A residual block computes x + F(x), "
        "so it only has to learn the residual and represents the identity with F = 0; "
        "residual-degradation shows the plain net degrading and the residual one not. "
        "BatchNorm does not keep gradients stable in deep plain nets, against the seed's "
        "item 3: there the gradient at initialization grows towards the input with depth. The "
        "seed's 'no vanishing in residual nets' is derived for x_L = x_l + sum F, which needs "
        "nothing after the addition; with a ReLU after it the identity path is not pure, so "
        "the derivation does not cover it.",
        experiments=("residual-degradation", "dropout", "batchnorm"),
        code=("gradlab.models.ResNet", "gradlab.models.BasicBlock"),
        commands=("gradlab summary resnet20 --input 3 32 32",),
        tests=("tests/test_models.py::test_plain_resnet_has_no_shortcuts",),
        errata=("bn-keeps-gradient-stable",)),
    Question(
        id="004-s2-1-rnn-structure", seed="004", ref="seed 004 §2.1 L239-249", topic="recurrent",
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
        id="004-s2-2-rnn-patterns", seed="004", ref="seed 004 §2.2 L251-269", topic="recurrent",
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
        id="004-s2-3-bptt", seed="004", ref="seed 004 §2.3 L271-297", topic="recurrent",
        question_zh="循环神经网络RNN怎样进行参数学习？",
        question_en="How are the parameters of a recurrent network learned?",
        answer="By backpropagation through time: the network is unrolled over the sequence "
        "into a feedforward net with one layer per time step, and ordinary backpropagation is "
        "run through it. Because every unrolled layer shares the same U, W and b, their true "
        "gradients are the sums of the per-step gradients, as in the seed's formulas. On long "
        "sequences the unrolling is often truncated to a fixed number of steps to bound "
        "memory and cost. gradlab's recurrent layers write this backward pass out and are "
        "checked against finite differences and PyTorch.",
        code=("gradlab.ops.rnn.RNNLayer", "gradlab.nn.RNN"),
        tests=("tests/test_nn_rnn.py::test_layer_function_gradcheck",
               "tests/test_nn_rnn.py::test_cell_unrolled_equals_layer")),
    Question(
        id="004-s2-4-long-term-dependencies", seed="004", ref="seed 004 §2.4 L299-313",
        topic="recurrent",
        question_zh="循环神经网络RNN长期依赖问题产生的原因是怎样的？",
        question_en="What causes the long-term dependency problem of recurrent networks?",
        answer="The error at step t reaches step k through the product of t - k factors "
        "diag(f'(z_i)) U^T, so its size behaves roughly like gamma^(t-k): it vanishes when the "
        "factors shrink vectors and can explode when they stretch them. A norm below 1 for "
        "every factor guarantees vanishing; a norm above 1 only makes explosion possible. As "
        "the seed says, what vanishes is the contribution of distant steps, not the whole "
        "gradient of U, so U is learned from nearby steps only. gated-rnn-adding measures "
        "the gradient through time of a plain RNN against gated cells on the adding problem.",
        experiments=("gated-rnn-adding",),
        code=("gradlab.nn.RNN", "gradlab.datasets.adding_problem")),
    Question(
        id="004-s2-5-tanh-vs-relu-rnn", seed="004", ref="seed 004 §2.5 L315-337",
        topic="recurrent",
        question_zh="RNN中为什么要采用tanh而不是ReLU作为激活函数？为什么普通的前馈网络或 CNN "
        "中采取ReLU不会出现问题？",
        question_en="Why do RNNs use tanh rather than ReLU, and why is ReLU no problem in "
        "feedforward nets and CNNs?",
        answer="An RNN applies the same U at every step, so with an unbounded ReLU the state "
        "and the gradient grow geometrically whenever U stretches them, while tanh keeps the "
        "state in (-1, 1); rnn-tanh-relu counts the blow-ups of each. ReLU's derivative is 1 "
        "only for positive inputs and 0 elsewhere, so diag(f'(z)) is a 0/1 diagonal, not the "
        "identity as the seed writes. The IRNN (Le et al. 2015) initializes the recurrent "
        "matrix U, not W, to the identity (gated-rnn-adding). Feedforward ReLU nets are not "
        "safe because independent layers cancel: products of independent random layers still "
        "grow or shrink geometrically, and what protects them is an initialization scale "
        "such as He's (exploding-gradients, init-scale).",
        experiments=("rnn-tanh-relu", "gated-rnn-adding", "exploding-gradients", "init-scale"),
        code=("gradlab.nn.RNN", "gradlab.nn.irnn_init_", "gradlab.nn.init.kaiming_normal_"),
        tests=("tests/test_nn_rnn.py::test_irnn_init_keeps_state_without_input",),
        errata=("relu-derivative-identity", "irnn-init-w-not-u", "iid-weights-cancel")),
    Question(
        id="004-s2-6-lstm", seed="004", ref="seed 004 §2.6 L339-363", topic="recurrent",
        question_zh="循环神经网络RNN怎么解决长期依赖问题？LSTM的结构是怎样的？LSTM又有哪些变种的？",
        question_en="How do RNNs overcome long-term dependencies; what is the structure of an "
        "LSTM, and which variants are there?",
        answer="Exploding gradients are handled by gradient clipping, vanishing ones by gated "
        "cells. An LSTM keeps a cell state updated additively, c_t = f_t * c_{t-1} + i_t * "
        "c~_t, with a forget gate f, an input gate i and an output gate o that gives h_t = o_t "
        "* tanh(c_t); with f near 1 the gradient passes through many steps without "
        "shrinking. gated-rnn-adding shows LSTM and GRU learning the adding problem where the "
        "plain tanh RNN does not. Variants include peephole connections (gates that also see "
        "c), a coupled input and forget gate, and the GRU. The seed leaves the variants "
        "unanswered.",
        experiments=("gated-rnn-adding",),
        code=("gradlab.nn.LSTM", "gradlab.nn.GRU", "gradlab.nn.utils.clip_grad_norm_"),
        tests=("tests/test_nn_rnn_convergence.py::test_lstm_solves_adding_problem_length_50",
               "tests/test_clip_penalty.py::test_clip_grad_norm_matches_torch")),
    Question(
        id="004-s2-7-cell-vs-hidden", seed="004", ref="seed 004 §2.7 L366-373",
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
        id="004-s2-8-lstm-gru", seed="004", ref="seed 004 §2.8 L375-391", topic="recurrent",
        question_zh="LSTM与GRU关系是怎样的？",
        question_en="How are the LSTM and the GRU related?",
        answer="The GRU merges the LSTM's forget and input gates into one update gate z that "
        "mixes the old state and the candidate, h_t = (1 - z_t) h_{t-1} + z_t h~_t in the "
        "seed's convention (PyTorch swaps the roles of z and 1 - z). A reset gate r scales "
        "h_{t-1} inside the candidate. There is no separate cell state and no output gate, so "
        "a GRU has three weight blocks per layer against the LSTM's four. gradlab.nn.GRU with "
        "cho=True applies the reset before the matrix product as Cho et al. wrote it; the "
        "default is PyTorch's form. gated-rnn-adding trains both on the adding problem.",
        experiments=("gated-rnn-adding",),
        code=("gradlab.nn.GRU", "gradlab.nn.LSTM"),
        tests=("tests/test_nn_rnn.py::test_gru_cho_matches_reference_and_differs_from_torch_form",
               "tests/test_nn_rnn.py::test_parameters_and_repr_as_torch")),
    Question(
        id="004-s3-training-problems", seed="004", ref="seed 004 §3 L393-407",
        topic="optimization",
        question_zh="三、神经网络的训练技巧及优化问题",
        question_en="Training techniques and optimization problems of neural networks "
        "(overview).",
        answer="The seed splits the difficulties into optimization (a non-convex loss, "
        "vanishing gradients, large models and data) and generalization (overfitting, "
        "handled by regularization). Its remedy for local optima, learning-rate decay and "
        "better gradient directions, does not target local optima as such: in high dimension "
        "most critical points are saddles (saddle-points), and momentum and adaptive methods "
        "mainly help on ill-conditioned problems (optimizers). Mini-batch noise can leave a "
        "shallow local minimum (sgd-noise-escape). Initialization and preprocessing, the "
        "seed's other two items, have their own entries in §3.2.",
        experiments=("saddle-points", "optimizers", "sgd-noise-escape"),
        code=("gradlab.optim.lr_scheduler", "gradlab.optim.SGD")),
    Question(
        id="004-s3-1-optimization-difficulty", seed="004", ref="seed 004 §3.1 L409-411",
        topic="optimization",
        question_zh="神经网络优化的难点体现在哪里？",
        question_en="Where does the difficulty of optimizing neural networks lie?",
        answer="The loss is non-convex, but in high dimension the seed is right that saddle "
        "points, not bad local minima, are the main obstacle: at a saddle the gradient is zero "
        "while some direction still goes down, and gradient descent can sit on the plateau "
        "around it for a long time. saddle-points measures this on a deep linear network whose "
        "best solution is known. Ill-conditioning, where the curvature differs greatly "
        "between directions, slows gradient descent further (whitening, optimizers), and "
        "vanishing gradients make the first layers of deep nets hard to train "
        "(sigmoid-depth).",
        experiments=("saddle-points", "whitening", "optimizers", "sigmoid-depth")),
    Question(
        id="004-s3-2-preprocessing-init", seed="004", ref="seed 004 §3.2 L414-448",
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
        "sigmoid units in their nearly linear range (tiny-weights-linear). The seed's Xavier "
        "ranges are swapped: sqrt(6 / (n_in + n_out)) is for tanh and four times it for the "
        "sigmoid; He initialization is the one for ReLU.",
        experiments=("whitening", "symmetry", "init-scale", "tiny-weights-linear"),
        code=("gradlab.transforms.MinMaxScaler", "gradlab.transforms.StandardScaler",
              "gradlab.transforms.ZCAWhitening", "gradlab.nn.init.xavier_uniform_",
              "gradlab.nn.init.kaiming_normal_"),
        tests=("tests/test_transforms.py::test_whitened_training_covariance_is_identity",),
        errata=("xavier-ranges-swapped",)),
    Question(
        id="004-s3-3-optimizers", seed="004", ref="seed 004 §3.3 L450-478",
        topic="optimization",
        question_zh="神经网络优化方法有哪些？",
        question_en="Which optimization methods are used for neural networks?",
        answer="Momentum and Nesterov average past gradients, which damps the zig-zag across "
        "an ill-conditioned valley; AdaGrad, RMSprop and AdaDelta scale each parameter's step "
        "by its history of squared gradients; Adam combines momentum with RMSprop and "
        "corrects the bias of both averages. optimizers compares them on an ill-conditioned "
        "quadratic and shows AdaGrad's accumulated sum shrinking its step on Digits. The "
        "seed's table is loose in two places: only AdaGrad's step falls for good (RMSprop and "
        "AdaDelta follow a moving average and grow again when gradients shrink), and norm "
        "clipping changes a step's length, not its direction. Learning-rate schedules are in "
        "gradlab.optim.lr_scheduler.",
        experiments=("optimizers",),
        code=("gradlab.optim.SGD", "gradlab.optim.Adagrad", "gradlab.optim.RMSprop",
              "gradlab.optim.Adadelta", "gradlab.optim.Adam", "gradlab.optim.lr_scheduler"),
        tests=("tests/test_optim.py::test_matches_torch_on_gradient_sequence",),
        errata=("adaptive-methods-not-decay", "clipping-keeps-direction")),
    Question(
        id="004-s3-4-bn-ln", seed="004", ref="seed 004 §3.4 L480-541", topic="normalization",
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
        id="004-s3-4-covariate-shift", seed="004", ref="seed 004 §3.4 L482-506",
        topic="normalization",
        question_zh="（1）为什么要进行逐层归一化？什么是内部协变量偏移？",
        question_en="Why normalize layer by layer? What is internal covariate shift?",
        answer="Internal covariate shift is the change of a layer's input distribution during "
        "training, caused by the updates of the layers below it (Ioffe and Szegedy 2015). The "
        "seed says it grows with depth and slows learning because each layer must keep "
        "adapting; covariate-shift-depth measures whether the shift grows with depth in a "
        "plain ReLU net and reports the shift before each BatchNorm in the normalized net. "
        "That BatchNorm helps by removing this shift is disputed: Santurkar et al. (2018) "
        "found BatchNorm nets training well even with shift injected after it, and pointed "
        "to a smoother loss surface instead. The seed's claim that the shift raises the risk "
        "of overfitting is not tested here.",
        experiments=("covariate-shift-depth",),
        code=("gradlab.nn.BatchNorm1d",)),
    Question(
        id="004-s3-4-bn-effects", seed="004", ref="seed 004 §3.4 L508-535",
        topic="normalization",
        question_zh="（2）批量归一化（Batch Normalization，BN）的主要作用是什么？主要原理是什么？",
        question_en="What does Batch Normalization mainly do, and how does it work?",
        answer="BatchNorm standardizes each feature over the batch and then applies a learned "
        "gamma and beta, which can undo the normalization (gamma equal to the standard "
        "deviation and beta to the mean give the identity) so no expressive power is lost. "
        "The seed credits it with faster training and larger learning rates (batchnorm), "
        "less overfitting (bn-regularizer) and less sensitivity to the initialization "
        "(bn-init-sensitivity); each is measured separately. Calling it chiefly a "
        "regularization method overstates it: its main effect is on optimization, and its "
        "regularizing effect comes from the noise of batch statistics.",
        experiments=("batchnorm", "bn-regularizer", "bn-init-sensitivity"),
        code=("gradlab.nn.BatchNorm1d",),
        tests=("tests/test_nn_layers.py::test_batchnorm_train_then_eval_matches_torch",)),
    Question(
        id="004-s3-4-bn-train-test", seed="004", ref="seed 004 §3.4 L537-541",
        topic="normalization",
        question_zh="(3) BN 在训练和测试时分别是怎么做的？",
        question_en="How does Batch Normalization work at training and at test time?",
        answer="In training each batch is normalized by its own mean and variance, and at the "
        "same time running (moving) averages of both are updated. At test time the running "
        "averages replace the batch statistics, so the output of a sample no longer depends "
        "on the other samples and a batch of one works. The seed's 'no moving average in "
        "training' is right about what normalizes a training batch, but the averages must "
        "still be accumulated during training. Evaluating in training mode, with the "
        "statistics of an unrepresentative batch, is the trap batchnorm measures.",
        experiments=("batchnorm",),
        code=("gradlab.nn.BatchNorm1d",),
        tests=("tests/test_nn_layers.py::test_batchnorm_train_then_eval_matches_torch",)),
    Question(
        id="004-s3-5-regularization", seed="004", ref="seed 004 §3.5 L544-560",
        topic="regularization",
        question_zh="神经网络正则化的方法有哪些？",
        question_en="Which regularization methods are used for neural networks?",
        answer="L1 and L2 penalties (l2-l1-regularization), BatchNorm (bn-regularizer), early "
        "stopping and data augmentation (early-stopping-augmentation), dropout (dropout) and "
        "label smoothing. Dropout trains a different thinned sub-network at each step with "
        "shared weights, and the test-time net approximates their average; ensembles-bagging "
        "compares that with an explicit ensemble. In recurrent nets a fresh dropout mask on "
        "the hidden state at every step harms the memory (recurrent-dropout); dropping only "
        "the non-recurrent connections, or using one mask for all steps (variational "
        "dropout), avoids it. Label smoothing is cross_entropy's label_smoothing argument; "
        "it has no experiment here.",
        experiments=("l2-l1-regularization", "bn-regularizer", "early-stopping-augmentation",
                     "dropout", "ensembles-bagging", "recurrent-dropout"),
        code=("gradlab.nn.Dropout", "gradlab.train.EarlyStopping",
              "gradlab.transforms.RandomCrop", "gradlab.nn.functional.cross_entropy",
              "gradlab.nn.RNN"),
        tests=("tests/test_nn_rnn.py::test_dropout_between_layers_and_variational_mask",)),
    Question(
        id="004-s3-6-fix-vanishing", seed="004", ref="seed 004 §3.6 L562-568",
        topic="gradients",
        question_zh="神经网络怎么解决梯度消失问题？",
        question_en="How do neural networks overcome vanishing gradients?",
        answer="The seed names the activation (ReLU in feedforward nets, tanh in recurrent "
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

#: This file's entries: seeds 000 (also 001), 002 and 004.
ENTRIES: tuple[Question, ...] = _S000 + _S002 + _S004


# ----------------------------------------------------------------------------- the index

def _all() -> tuple[Question, ...]:
    """This file's entries, then those of :mod:`gradlab.lab.questions_003` when it exists."""
    try:
        from .questions_003 import ENTRIES_003
    except ImportError:
        ENTRIES_003 = ()
    return tuple(ENTRIES) + tuple(ENTRIES_003)


#: Every entry of the index, in seed order: seeds 000 (also 001), 002, 004, then 003.
QUESTIONS: tuple[Question, ...] = _all()
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
            "topic": f"{q.topic} {q.id} seed {q.seed} {q.ref}".lower(),
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
    topic, id, seed reference or pointers. Entries matching every term come first, then those
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


def _resolve_command(cmd: str) -> str | None:
    """Why the command line does not parse with gradlab's own parser (None when it does)."""
    import contextlib
    import io

    from gradlab.cli import build_parser

    try:
        argv = shlex.split(cmd)
    except ValueError as exc:
        return f"cannot split {cmd!r}: {exc}"
    if not argv or argv[0] != "gradlab":
        return f"{cmd!r} is not a gradlab command line"
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            args = build_parser().parse_args(argv[1:])
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


def unresolved(q: Question) -> list[str]:
    """Each pointer of ``q`` that does not resolve, with why: a code path that does not
    import, an experiment id the lab does not have, a command line gradlab's own parser
    refuses, a test file or function that does not exist, an errata id not in the registry
    (and a topic not in :data:`TOPICS`). Empty when everything resolves."""
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
        why = _resolve_command(cmd)
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
