"""The answer index: source 003, part 4 实战 (003-overfitting ...
003-model-acceleration)."""

from __future__ import annotations

from .entry import Question

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
