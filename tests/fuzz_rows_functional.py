"""Bad-call rows, area "functional": ``nn.functional`` (convolutions, pools, linear, embedding,
dropout, softmax, losses, normalizations, pad, one_hot, activations, attention), and a few
odd-but-valid calls whose values must equal torch's."""

from fuzz_rows_tensor import MIXED_FLOATS
from fuzztable import Bad


def R(id, call, *names, lenient=None):
    return Bad(id, "functional", call, tuple(names), lenient)


def F(lib):
    return lib.nn.functional


def _x3(lib, c=2, n=5):
    return lib.ones(1, c, n)


def _x4(lib, c=2, n=5):
    return lib.ones(1, c, n, n)


def _w3(lib, o=2, i=2, k=3):
    return lib.ones(o, i, k)


def _w4(lib, o=2, i=2, k=3):
    return lib.ones(o, i, k, k)


def _logits(lib):
    return lib.arange(6.0).reshape(2, 3) / 4


def _t(lib, *v):
    return lib.tensor(list(v))


def _probs(lib):
    return lib.tensor([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])


ROWS = [
    # ---------------------------------------------------------------- conv1d
    R("conv1d channels", lambda lib: F(lib).conv1d(_x3(lib, c=3), _w3(lib)), "conv1d",
      "[2, 2, 3]", "[1, 3, 5]", "3 channels"),
    R("conv1d kernel > input", lambda lib: F(lib).conv1d(lib.ones(1, 2, 2), _w3(lib)),
      "conv1d", "Kernel size", "3", "2"),
    R("conv1d groups 3", lambda lib: F(lib).conv1d(_x3(lib), _w3(lib), groups=3), "conv1d",
      "groups", "3"),
    R("conv1d groups 0", lambda lib: F(lib).conv1d(_x3(lib), _w3(lib), groups=0), "conv1d",
      "groups", "0"),
    R("conv1d padding -1", lambda lib: F(lib).conv1d(_x3(lib), _w3(lib), padding=-1),
      "conv1d", "padding", "-1"),
    R("conv1d stride 0", lambda lib: F(lib).conv1d(_x3(lib), _w3(lib), stride=0), "conv1d",
      "stride", "0"),
    R("conv1d same strided", lambda lib: F(lib).conv1d(_x3(lib), _w3(lib), stride=2,
                                                       padding="same"),
      "conv1d", "same", "stride"),
    R("conv1d padding 'foo'", lambda lib: F(lib).conv1d(_x3(lib), _w3(lib), padding="foo"),
      "conv1d", "foo"),
    R("conv1d bias size", lambda lib: F(lib).conv1d(_x3(lib), _w3(lib), lib.ones(3)),
      "conv1d", "bias", "[3]"),
    R("conv1d float64 input", lambda lib: F(lib).conv1d(_x3(lib).double(), _w3(lib)),
      "conv1d", "float64", "float32", lenient=MIXED_FLOATS),
    R("conv1d int input", lambda lib: F(lib).conv1d(_x3(lib).long(), _w3(lib)), "conv1d",
      "int64", "float32"),
    R("conv1d 4-D input", lambda lib: F(lib).conv1d(_x4(lib), _w3(lib)), "conv1d",
      "[1, 2, 5, 5]"),
    R("conv1d 2-D weight", lambda lib: F(lib).conv1d(_x3(lib), lib.ones(2, 2)), "conv1d",
      "weight", "[2, 2]"),
    R("conv1d stride (1, 1)", lambda lib: F(lib).conv1d(_x3(lib), _w3(lib), stride=(1, 1)),
      "conv1d", "stride", "[1, 1]"),
    # ---------------------------------------------------------------- conv2d
    R("conv2d channels", lambda lib: F(lib).conv2d(_x4(lib, c=3), _w4(lib)), "conv2d",
      "[2, 2, 3, 3]", "[1, 3, 5, 5]", "3 channels"),
    R("conv2d kernel > input", lambda lib: F(lib).conv2d(_x4(lib, n=2), _w4(lib)), "conv2d",
      "Kernel size", "3", "2"),
    R("conv2d dilation too big", lambda lib: F(lib).conv2d(_x4(lib), _w4(lib), dilation=3),
      "conv2d", "Kernel size", "7", "5"),
    R("conv2d groups weight", lambda lib: F(lib).conv2d(_x4(lib, c=4), _w4(lib, o=3),
                                                        groups=2),
      "conv2d", "groups", "[3, 2, 3, 3]"),
    R("conv2d groups -1", lambda lib: F(lib).conv2d(_x4(lib), _w4(lib), groups=-1), "conv2d",
      "groups", "-1"),
    R("conv2d padding -2", lambda lib: F(lib).conv2d(_x4(lib), _w4(lib), padding=-2),
      "conv2d", "padding", "-2"),
    R("conv2d stride 3 values", lambda lib: F(lib).conv2d(_x4(lib), _w4(lib),
                                                          stride=(1, 1, 1)),
      "conv2d", "stride", "[1, 1, 1]"),
    R("conv2d padding 3 values", lambda lib: F(lib).conv2d(_x4(lib), _w4(lib),
                                                           padding=(1, 1, 1)),
      "conv2d", "padding", "[1, 1, 1]"),
    R("conv2d 2-D input", lambda lib: F(lib).conv2d(lib.ones(5, 5), _w4(lib)), "conv2d",
      "[5, 5]"),
    R("conv2d int64", lambda lib: F(lib).conv2d(_x4(lib).long(), _w4(lib).long()), "conv2d",
      "int64"),
    R("conv2d bias 2-D", lambda lib: F(lib).conv2d(_x4(lib), _w4(lib), lib.ones(2, 1)),
      "conv2d", "bias", "[2, 1]"),
    R("conv2d weight float64", lambda lib: F(lib).conv2d(_x4(lib), _w4(lib).double()),
      "conv2d", "float32", "float64", lenient=MIXED_FLOATS),
    R("conv2d int bias", lambda lib: F(lib).conv2d(_x4(lib), _w4(lib), lib.ones(2).long()),
      "conv2d", "bias", "int64"),
    R("conv2d input list", lambda lib: F(lib).conv2d([[1.0]], _w4(lib)), "conv2d", "list"),
    # ---------------------------------------------------------------- conv_transpose2d
    R("conv_transpose2d channels", lambda lib: F(lib).conv_transpose2d(_x4(lib, c=3),
                                                                       _w4(lib)),
      "conv_transpose2d", "3", "2"),
    R("conv_transpose2d output_padding", lambda lib: F(lib).conv_transpose2d(
        _x4(lib), _w4(lib), output_padding=1), "conv_transpose2d", "output_padding", "1"),
    R("conv_transpose2d output too small", lambda lib: F(lib).conv_transpose2d(
        lib.ones(1, 2, 1, 1), lib.ones(2, 2, 1, 1), padding=2), "conv_transpose2d", "-3"),
    R("conv_transpose2d groups", lambda lib: F(lib).conv_transpose2d(_x4(lib), _w4(lib),
                                                                     groups=3),
      "conv_transpose2d", "groups", "3"),
    R("conv_transpose2d 2-D input", lambda lib: F(lib).conv_transpose2d(lib.ones(5, 5),
                                                                        _w4(lib)),
      "conv_transpose2d", "[5, 5]"),
    R("conv_transpose2d bias", lambda lib: F(lib).conv_transpose2d(_x4(lib), _w4(lib),
                                                                   lib.ones(5)),
      "conv_transpose2d", "bias", "[5]"),
    R("conv_transpose2d stride -1", lambda lib: F(lib).conv_transpose2d(_x4(lib), _w4(lib),
                                                                        stride=-1),
      "conv_transpose2d", "stride", "-1"),
    # ---------------------------------------------------------------- pools
    R("max_pool2d kernel 0", lambda lib: F(lib).max_pool2d(_x4(lib), 0), "max_pool2d",
      "kernel_size", "0"),
    R("max_pool2d stride 0", lambda lib: F(lib).max_pool2d(_x4(lib), 2, stride=0),
      "max_pool2d", "stride", "0"),
    R("max_pool2d pad > half", lambda lib: F(lib).max_pool2d(_x4(lib), 2, padding=2),
      "max_pool2d", "pad", "2"),
    R("max_pool2d output 0", lambda lib: F(lib).max_pool2d(_x4(lib), 6), "max_pool2d",
      "(0 x 0)", "[2, 5, 5]"),
    R("max_pool2d 2-D input", lambda lib: F(lib).max_pool2d(lib.ones(5, 5), 2), "max_pool2d",
      "[5, 5]"),
    R("max_pool2d kernel 3 values", lambda lib: F(lib).max_pool2d(_x4(lib), (2, 2, 2)),
      "max_pool2d", "kernel_size"),
    R("max_pool2d padding -1", lambda lib: F(lib).max_pool2d(_x4(lib), 2, padding=-1),
      "max_pool2d", "pad", "-1"),
    R("avg_pool2d kernel 0", lambda lib: F(lib).avg_pool2d(_x4(lib), 0), "avg_pool2d",
      "kernel_size", "0"),
    R("avg_pool2d stride 0", lambda lib: F(lib).avg_pool2d(_x4(lib), 2, stride=0),
      "avg_pool2d", "stride", "0"),
    R("avg_pool2d pad > half", lambda lib: F(lib).avg_pool2d(_x4(lib), 2, padding=3),
      "avg_pool2d", "pad", "3"),
    R("avg_pool2d output 0", lambda lib: F(lib).avg_pool2d(_x4(lib), 7), "avg_pool2d",
      "(0 x 0)", "[2, 5, 5]"),
    R("avg_pool2d 5-D input", lambda lib: F(lib).avg_pool2d(lib.ones(1, 1, 2, 4, 4), 2),
      "avg_pool2d", "[1, 1, 2, 4, 4]"),
    R("avg_pool2d divisor 0", lambda lib: F(lib).avg_pool2d(_x4(lib), 2, divisor_override=0),
      "avg_pool2d", "divisor_override", "0"),
    R("avg_pool2d padding -1", lambda lib: F(lib).avg_pool2d(_x4(lib), 2, padding=-1),
      "avg_pool2d", "pad", "-1"),
    R("adaptive_avg_pool2d size -1", lambda lib: F(lib).adaptive_avg_pool2d(_x4(lib), (-1, 2)),
      "adaptive_avg_pool2d", "output_size", "-1"),
    R("adaptive_avg_pool2d empty", lambda lib: F(lib).adaptive_avg_pool2d(
        lib.ones(1, 2, 0, 5), 2), "adaptive_avg_pool2d", "[1, 2, 0, 5]"),
    R("adaptive_avg_pool2d 3 sizes", lambda lib: F(lib).adaptive_avg_pool2d(_x4(lib),
                                                                            (2, 2, 2)),
      "adaptive_avg_pool2d", "output_size"),
    R("adaptive_max_pool2d 2-D input", lambda lib: F(lib).adaptive_max_pool2d(
        lib.ones(5, 5), 2), "adaptive_max_pool2d", "[5, 5]"),
    R("adaptive_max_pool2d size -2", lambda lib: F(lib).adaptive_max_pool2d(_x4(lib), -2),
      "adaptive_max_pool2d", "output_size", "-2"),
    # ---------------------------------------------------------------- linear
    R("linear shapes", lambda lib: F(lib).linear(lib.ones(2, 3), lib.ones(4, 5)), "linear",
      "3", "5"),
    R("linear bias", lambda lib: F(lib).linear(lib.ones(2, 3), lib.ones(4, 3), lib.ones(5)),
      "linear", "bias", "5", "4"),
    R("linear 0-d input", lambda lib: F(lib).linear(lib.tensor(1.0), lib.ones(4, 3)),
      "linear", "0"),
    R("linear dtype", lambda lib: F(lib).linear(lib.ones(2, 3).double(), lib.ones(4, 3)),
      "linear", "float64", "float32", lenient=MIXED_FLOATS),
    R("linear int input", lambda lib: F(lib).linear(lib.ones(2, 3).long(), lib.ones(4, 3)),
      "linear", "int64", "float32"),
    R("linear 3-D weight", lambda lib: F(lib).linear(lib.ones(2, 3), lib.ones(1, 4, 3)),
      "linear", "weight", "[1, 4, 3]"),
    # ---------------------------------------------------------------- embedding
    R("embedding index 3", lambda lib: F(lib).embedding(_t(lib, 0, 3), lib.ones(3, 2)),
      "embedding", "3"),
    R("embedding index -1", lambda lib: F(lib).embedding(_t(lib, -1), lib.ones(3, 2)),
      "embedding", "-1"),
    R("embedding float index", lambda lib: F(lib).embedding(_t(lib, 0.0), lib.ones(3, 2)),
      "embedding", "indices", "float32"),
    R("embedding 1-D weight", lambda lib: F(lib).embedding(_t(lib, 0), lib.ones(3)),
      "embedding", "weight", "2-D"),
    R("embedding padding_idx", lambda lib: F(lib).embedding(_t(lib, 0), lib.ones(3, 2),
                                                            padding_idx=5),
      "embedding", "padding_idx", "5"),
    # ---------------------------------------------------------------- dropout
    R("dropout p -0.1", lambda lib: F(lib).dropout(lib.ones(3), p=-0.1), "dropout", "-0.1"),
    R("dropout p 1.5", lambda lib: F(lib).dropout(lib.ones(3), p=1.5), "dropout", "1.5"),
    R("dropout2d p 2", lambda lib: F(lib).dropout2d(_x4(lib), p=2.0), "dropout", "2.0"),
    R("dropout p eval 1.5", lambda lib: F(lib).dropout(lib.ones(3), p=1.5, training=False),
      "dropout", "1.5"),
    # ---------------------------------------------------------------- softmax
    R("softmax dim 2", lambda lib: F(lib).softmax(_logits(lib), dim=2), "softmax", "2"),
    R("log_softmax dim -3", lambda lib: F(lib).log_softmax(_logits(lib), dim=-3),
      "log_softmax", "-3"),
    R("softmax int", lambda lib: F(lib).softmax(_t(lib, 1, 2), dim=0), "softmax", "int64"),
    R("log_softmax int", lambda lib: F(lib).log_softmax(_t(lib, 1, 2), dim=0), "log_softmax",
      "int64"),
    R("softmax dim float", lambda lib: F(lib).softmax(_logits(lib), dim=1.0), "softmax",
      "dim", "float"),
    # ---------------------------------------------------------------- cross_entropy
    R("cross_entropy target -2", lambda lib: F(lib).cross_entropy(_logits(lib), _t(lib, 0, -2)),
      "cross_entropy", "-2"),
    R("cross_entropy float target 1-D", lambda lib: F(lib).cross_entropy(
        _logits(lib), _t(lib, 0.0, 1.0)), "cross_entropy", "target", "float32"),
    R("cross_entropy long 2-D target", lambda lib: F(lib).cross_entropy(
        _logits(lib), lib.zeros(2, 3, dtype=lib.int64)), "cross_entropy", "target",
      "[2, 3]"),
    R("cross_entropy prob target shape", lambda lib: F(lib).cross_entropy(
        _logits(lib), lib.ones(2, 4) / 4), "cross_entropy", "[2, 4]", "[2, 3]"),
    R("cross_entropy reduction Mean", lambda lib: F(lib).cross_entropy(
        _logits(lib), _t(lib, 0, 1), reduction="Mean"), "cross_entropy", "Mean",
      "reduction"),
    R("cross_entropy weight size", lambda lib: F(lib).cross_entropy(
        _logits(lib), _t(lib, 0, 1), weight=lib.ones(4)), "cross_entropy", "weight", "[4]",
      "3"),
    R("cross_entropy label_smoothing", lambda lib: F(lib).cross_entropy(
        _logits(lib), _t(lib, 0, 1), label_smoothing=1.5), "cross_entropy", "label_smoothing",
      "1.5"),
    R("cross_entropy int input", lambda lib: F(lib).cross_entropy(
        lib.ones(2, 3, dtype=lib.int64), _t(lib, 0, 1)), "cross_entropy", "int64"),
    R("cross_entropy K-dim target", lambda lib: F(lib).cross_entropy(
        lib.ones(2, 3, 4), lib.zeros(2, 5, dtype=lib.int64)), "cross_entropy", "[2, 4]",
      "[2, 5]"),
    R("cross_entropy batch", lambda lib: F(lib).cross_entropy(_logits(lib), _t(lib, 0, 1, 2)),
      "cross_entropy", "[2, 3]", "[3]"),
    R("cross_entropy ignore_index out of range", lambda lib: F(lib).cross_entropy(
        _logits(lib), _t(lib, 0, 7), ignore_index=5), "cross_entropy", "7"),
    # ---------------------------------------------------------------- nll_loss
    R("nll_loss target 3", lambda lib: F(lib).nll_loss(_logits(lib), _t(lib, 0, 3)),
      "nll_loss", "3"),
    R("nll_loss float target", lambda lib: F(lib).nll_loss(_logits(lib), _t(lib, 0.0, 1.0)),
      "nll_loss", "target", "float32"),
    R("nll_loss batch", lambda lib: F(lib).nll_loss(lib.ones(4, 3), _t(lib, 0, 1)),
      "nll_loss", "4", "2"),
    R("nll_loss reduction", lambda lib: F(lib).nll_loss(_logits(lib), _t(lib, 0, 1),
                                                        reduction="total"),
      "nll_loss", "total", "reduction"),
    R("nll_loss weight size", lambda lib: F(lib).nll_loss(_logits(lib), _t(lib, 0, 1),
                                                          weight=lib.ones(2)),
      "nll_loss", "weight", "[2]", "3"),
    R("nll_loss 1-D target for 3-D input", lambda lib: F(lib).nll_loss(
        lib.ones(2, 3, 4), _t(lib, 0, 1)), "nll_loss", "[2, 4]", "[2]"),
    R("nll_loss target -5", lambda lib: F(lib).nll_loss(_logits(lib), _t(lib, -5, 1)),
      "nll_loss", "-5"),
    # ---------------------------------------------------------------- regression losses
    R("mse_loss shapes", lambda lib: F(lib).mse_loss(lib.ones(3), lib.ones(4)), "mse_loss",
      "3", "4"),
    R("mse_loss reduction", lambda lib: F(lib).mse_loss(lib.ones(3), lib.ones(3),
                                                        reduction="foo"),
      "mse_loss", "foo", "reduction"),
    R("mse_loss int", lambda lib: F(lib).mse_loss(_t(lib, 1, 2), _t(lib, 1, 3)), "mse_loss",
      "int64"),
    R("l1_loss shapes", lambda lib: F(lib).l1_loss(lib.ones(2, 3), lib.ones(3, 2)), "l1_loss",
      "3", "2"),
    R("l1_loss reduction", lambda lib: F(lib).l1_loss(lib.ones(3), lib.ones(3),
                                                      reduction=None),
      "l1_loss", "None", "reduction"),
    R("smooth_l1_loss beta -1", lambda lib: F(lib).smooth_l1_loss(lib.ones(3), lib.zeros(3),
                                                                  beta=-1.0),
      "smooth_l1_loss", "beta", "-1"),
    R("smooth_l1_loss shapes", lambda lib: F(lib).smooth_l1_loss(lib.ones(3), lib.ones(5)),
      "smooth_l1_loss", "3", "5"),
    R("huber_loss delta 0", lambda lib: F(lib).huber_loss(lib.ones(3), lib.zeros(3),
                                                          delta=0.0),
      "huber_loss", "delta", "0"),
    R("huber_loss reduction", lambda lib: F(lib).huber_loss(lib.ones(3), lib.zeros(3),
                                                            reduction="avg"),
      "huber_loss", "avg"),
    R("kl_div reduction", lambda lib: F(lib).kl_div(lib.ones(3), lib.ones(3),
                                                    reduction="bad"),
      "kl_div", "bad"),
    R("kl_div shapes", lambda lib: F(lib).kl_div(lib.ones(3), lib.ones(2)), "kl_div", "3",
      "2"),
    # ---------------------------------------------------------------- binary cross entropy
    R("bce input 1.5", lambda lib: F(lib).binary_cross_entropy(_t(lib, 1.5), _t(lib, 1.0)),
      "binary_cross_entropy", "input", "0", "1"),
    R("bce input -0.5", lambda lib: F(lib).binary_cross_entropy(_t(lib, -0.5, 0.5),
                                                                _t(lib, 1.0, 0.0)),
      "binary_cross_entropy", "input", "-0.5"),
    R("bce shapes", lambda lib: F(lib).binary_cross_entropy(lib.ones(3, 1) / 2, lib.ones(3)),
      "binary_cross_entropy", "[3]", "[3, 1]"),
    R("bce long target", lambda lib: F(lib).binary_cross_entropy(lib.ones(2) / 2,
                                                                 _t(lib, 1, 0)),
      "binary_cross_entropy", "int64", "float32"),
    R("bce weight shape", lambda lib: F(lib).binary_cross_entropy(
        lib.ones(2, 3) / 2, lib.ones(2, 3), weight=lib.ones(4)), "binary_cross_entropy",
      "weight", "[4]"),
    R("bce reduction", lambda lib: F(lib).binary_cross_entropy(lib.ones(2) / 2, lib.ones(2),
                                                               reduction="none!"),
      "binary_cross_entropy", "none!"),
    R("bce_with_logits shapes", lambda lib: F(lib).binary_cross_entropy_with_logits(
        lib.ones(4), lib.ones(3)), "binary_cross_entropy_with_logits", "[3]", "[4]"),
    R("bce_with_logits pos_weight", lambda lib: F(lib).binary_cross_entropy_with_logits(
        lib.ones(2, 3), lib.ones(2, 3), pos_weight=lib.ones(4)),
      "binary_cross_entropy_with_logits", "pos_weight", "[4]"),
    R("bce_with_logits reduction", lambda lib: F(lib).binary_cross_entropy_with_logits(
        lib.ones(3), lib.ones(3), reduction="sums"), "binary_cross_entropy_with_logits",
      "sums"),
    R("bce_with_logits long target", lambda lib: F(lib).binary_cross_entropy_with_logits(
        lib.ones(2), _t(lib, 1, 0)), "binary_cross_entropy_with_logits", "int64"),
    # ---------------------------------------------------------------- normalizations
    R("batch_norm running_mean size", lambda lib: F(lib).batch_norm(
        lib.ones(4, 3), lib.zeros(2), lib.ones(2)), "batch_norm", "running_mean", "3", "2"),
    R("batch_norm one value training", lambda lib: F(lib).batch_norm(
        lib.ones(1, 3), lib.zeros(3), lib.ones(3), training=True), "batch_norm", "[1, 3]"),
    R("batch_norm weight size", lambda lib: F(lib).batch_norm(
        lib.ones(4, 3), lib.zeros(3), lib.ones(3), weight=lib.ones(5)), "batch_norm",
      "weight", "3", "5"),
    R("batch_norm running_var size", lambda lib: F(lib).batch_norm(
        lib.ones(4, 3), lib.zeros(3), lib.ones(4)), "batch_norm", "running_var", "3", "4"),
    R("layer_norm shape", lambda lib: F(lib).layer_norm(lib.ones(2, 3), (4,)), "layer_norm",
      "[4]", "[2, 3]"),
    R("layer_norm weight", lambda lib: F(lib).layer_norm(lib.ones(2, 3), (3,),
                                                         weight=lib.ones(4)),
      "layer_norm", "weight", "[4]", "[3]"),
    R("layer_norm shape too long", lambda lib: F(lib).layer_norm(lib.ones(3), (2, 3)),
      "layer_norm", "[2, 3]", "[3]"),
    R("group_norm groups", lambda lib: F(lib).group_norm(lib.ones(2, 6), 4), "group_norm",
      "4", "[2, 6]"),
    R("group_norm weight", lambda lib: F(lib).group_norm(lib.ones(2, 6), 3,
                                                         weight=lib.ones(3)),
      "group_norm", "weight", "3", "6"),
    R("instance_norm one spatial", lambda lib: F(lib).instance_norm(lib.ones(2, 3, 1)),
      "instance_norm", "[2, 3, 1]"),
    R("instance_norm weight", lambda lib: F(lib).instance_norm(lib.ones(2, 3, 4),
                                                               weight=lib.ones(2)),
      "instance_norm", "weight", "2", "3"),
    # ---------------------------------------------------------------- pad
    R("pad odd length", lambda lib: F(lib).pad(lib.ones(2, 3), (1,)), "pad", "1", "2"),
    R("pad too long", lambda lib: F(lib).pad(lib.ones(2), (1, 1, 1, 1)), "pad", "4", "1"),
    R("pad mode foo", lambda lib: F(lib).pad(lib.ones(1, 2, 3), (1, 1), mode="foo"), "pad",
      "foo"),
    R("pad negative too much", lambda lib: F(lib).pad(lib.ones(2), (-2, -2)), "pad", "-2"),
    R("pad reflect too big 2-D", lambda lib: F(lib).pad(lib.ones(1, 2, 2), (0, 0, 2, 2),
                                                         mode="reflect"),
      "pad", "2"),
    R("pad replicate 1-D", lambda lib: F(lib).pad(lib.ones(4), (1, 1), mode="replicate"),
      "pad", "replicate"),
    R("pad reflect value", lambda lib: F(lib).pad(lib.ones(1, 4), (1, 1), mode="reflect",
                                                  value=1.0), "pad", "reflect", "value"),
    R("pad float amount", lambda lib: F(lib).pad(lib.ones(4), (1.5, 1)), "pad", "float"),
    # ---------------------------------------------------------------- one_hot
    R("one_hot -1", lambda lib: F(lib).one_hot(_t(lib, 0, -1)), "one_hot", "-1"),
    R("one_hot float", lambda lib: F(lib).one_hot(_t(lib, 0.0, 1.0)), "one_hot", "float32"),
    R("one_hot num_classes 0", lambda lib: F(lib).one_hot(_t(lib, 0), 0), "one_hot", "0"),
    R("one_hot empty infer", lambda lib: F(lib).one_hot(lib.ones(0, dtype=lib.int64)),
      "one_hot", "empty"),
    R("one_hot num_classes -2", lambda lib: F(lib).one_hot(_t(lib, 0), -2), "one_hot",
      "-2"),
    # ---------------------------------------------------------------- activations
    R("gelu approximate foo", lambda lib: F(lib).gelu(lib.ones(2), approximate="foo"), "gelu",
      "foo"),
    R("prelu weight size", lambda lib: F(lib).prelu(lib.ones(2, 3), lib.ones(2)), "prelu",
      "2", "3"),
    R("relu list", lambda lib: F(lib).relu([1.0, -1.0]), "relu", "list"),
    R("hardswish int", lambda lib: F(lib).hardswish(_t(lib, 1, 2)), "hardswish", "int64"),
    R("elu int", lambda lib: F(lib).elu(_t(lib, 1, -2)), "elu", "int64"),
    R("leaky_relu int", lambda lib: F(lib).leaky_relu(_t(lib, 1, -2)), "leaky_relu", "int64"),
    R("gelu int", lambda lib: F(lib).gelu(_t(lib, 1, -2)), "gelu", "int64"),
    R("softplus int", lambda lib: F(lib).softplus(_t(lib, 1, -2)), "softplus", "int64"),
    R("sdpa shapes", lambda lib: F(lib).scaled_dot_product_attention(
        lib.ones(2, 3, 4), lib.ones(2, 5, 6), lib.ones(2, 5, 6)),
      "scaled_dot_product_attention", "4", "6"),
    R("sdpa dropout_p", lambda lib: F(lib).scaled_dot_product_attention(
        lib.ones(2, 3, 4), lib.ones(2, 3, 4), lib.ones(2, 3, 4), dropout_p=1.5),
      "scaled_dot_product_attention", "dropout_p", "1.5"),
    # ---------------------------------------------------------------- odd but valid
    R("conv1d unbatched ok", lambda lib: F(lib).conv1d(lib.ones(2, 5), _w3(lib))),
    R("conv2d zero batch ok", lambda lib: F(lib).conv2d(lib.ones(0, 2, 5, 5), _w4(lib))),
    R("conv2d padding valid ok", lambda lib: F(lib).conv2d(_x4(lib), _w4(lib),
                                                           padding="valid")),
    R("max_pool2d ceil_mode ok", lambda lib: F(lib).max_pool2d(
        lib.arange(25.0).reshape(1, 1, 5, 5), 2, ceil_mode=True)),
    R("embedding empty ok", lambda lib: F(lib).embedding(lib.ones(0, dtype=lib.int64),
                                                         lib.ones(3, 2))),
    R("dropout p 1 ok", lambda lib: F(lib).dropout(lib.ones(3), p=1.0)),
    R("dropout eval ok", lambda lib: F(lib).dropout(lib.ones(3), p=0.5, training=False)),
    R("cross_entropy prob target ok", lambda lib: F(lib).cross_entropy(_logits(lib),
                                                                       _probs(lib))),
    R("cross_entropy unbatched ok", lambda lib: F(lib).cross_entropy(
        lib.arange(3.0), lib.tensor(2))),
    R("cross_entropy ignored ok", lambda lib: F(lib).cross_entropy(
        _logits(lib), _t(lib, 0, 5), ignore_index=5)),
    R("nll_loss -100 ok", lambda lib: F(lib).nll_loss(_logits(lib), _t(lib, -100, 1))),
    R("bce target 2", lambda lib: F(lib).binary_cross_entropy(_t(lib, 0.5), _t(lib, 2.0)),
      "binary_cross_entropy", "target", "between 0 and 1"),
    R("pad negative crop ok", lambda lib: F(lib).pad(lib.arange(4.0), (-1, -1))),
    R("one_hot infer ok", lambda lib: F(lib).one_hot(_t(lib, 0, 2))),
    R("relu int ok", lambda lib: F(lib).relu(_t(lib, -1, 2))),
    R("softmax int dtype ok", lambda lib: F(lib).softmax(_t(lib, 1, 2), dim=0,
                                                         dtype=lib.float32)),
    R("adaptive_avg_pool2d None ok", lambda lib: F(lib).adaptive_avg_pool2d(
        lib.arange(20.0).reshape(1, 1, 4, 5), (None, 2))),
]
