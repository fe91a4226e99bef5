"""The answer index: the entries of source 002 (002-q1-activations ...
002-q8-pooling-backward)."""

from __future__ import annotations

from .entry import Question

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
