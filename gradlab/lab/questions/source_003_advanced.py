"""The answer index: source 003, part 2 进阶 (003-why-cross-entropy,
003-weight-sharing)."""

from __future__ import annotations

from .entry import Question

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
