"""The answer index: source 003, part 1 基础 (003-traditional-image-processing ...
003-norms)."""

from __future__ import annotations

from .entry import Question

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
