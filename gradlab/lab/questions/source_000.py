"""The answer index: the entries of source 000 (000-q61-faster-convergence ...
000-q65-bgd-sgd); source 001 repeats them."""

from __future__ import annotations

from .entry import Question

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
