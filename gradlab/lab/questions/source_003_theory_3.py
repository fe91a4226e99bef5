"""The answer index: source 003, part 3 理论, L578-698 (003-translation-equivariance ...
003-bayesian-effective-parameters): convolution, sequences, generative models and the rest."""

from __future__ import annotations

from .entry import Question

# ----------------------------------------------------------------------------- 3 理论

_THEORY_3 = (
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
        "deep parts. gradlab has the vision classics, box tools, recurrent models (CharLM, "
        "Seq2Seq) and the Transformer's encoder layers, but no Transformer model in its zoo.",
        code=("gradlab.models.ResNet", "gradlab.models.VGG16", "gradlab.models.AlexNet",
              "gradlab.tools.nms", "gradlab.models.CharLM", "gradlab.models.Seq2Seq",
              "gradlab.nn.TransformerEncoder")),
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
        "2017). gradlab's F.scaled_dot_product_attention, nn.MultiheadAttention and "
        "nn.TransformerEncoderLayer implement the scaled dot-product, multi-head and "
        "self-attention forms, checked against PyTorch's outputs and gradients.",
        code=("gradlab.nn.functional.scaled_dot_product_attention",
              "gradlab.nn.MultiheadAttention", "gradlab.nn.TransformerEncoderLayer",
              "gradlab.models.Seq2Seq"),
        tests=("tests/test_nn_attention.py::test_sdpa_vs_torch",
               "tests/test_nn_attention.py::test_multihead_attention_vs_torch",
               "tests/test_models_recurrent.py::"
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
