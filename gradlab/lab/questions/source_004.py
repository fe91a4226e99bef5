"""The answer index: the entries of source 004 (004-s1-1-relu-vs-sigmoid ...
004-s3-6-fix-vanishing)."""

from __future__ import annotations

from .entry import Question

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
