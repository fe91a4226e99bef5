"""Bad-call rows across areas for calls whose answer was once a raw NumPy error, a message
without the op's name or a silent wrong value, and odd-but-valid calls whose values must equal
torch's: pools and convolutions with bad sizes, softmax's dim, unflatten, batch_norm's eps,
embedding's padding_idx, attention's shapes, the losses' options, ``div``'s rounding modes,
Python types as dtypes, ``full``'s size, and optimizers changed between steps."""

from fuzztable import Bad


def R(id, area, call, *names, lenient=None):
    return Bad(id, area, call, tuple(names), lenient)


def F(lib):
    return lib.nn.functional


def _x4(lib, c=2, n=5):
    return lib.ones(1, c, n, n)


def _logits(lib):
    return lib.tensor([[1.0, 2.0, 0.5], [0.1, 0.3, 2.0]])


def _mha(lib, q=(3, 2, 4), k=(3, 2, 4), v=None, kdim=None, vdim=None, **kw):
    """nn.MultiheadAttention(4, 2) on ones of the given (L, N, E) shapes; the output's shape."""
    lib.manual_seed(0)
    m = lib.nn.MultiheadAttention(4, 2, kdim=kdim, vdim=vdim)
    return tuple(m(lib.ones(*q), lib.ones(*k), lib.ones(*(v or k)), **kw)[0].shape)


def _mha_f(lib, q=(3, 2, 4), k=(3, 2, 4), **kw):
    """F.multi_head_attention_forward with packed weights (E = 4, 2 heads)."""
    w = lib.ones(12, 4) / 10
    return tuple(F(lib).multi_head_attention_forward(
        lib.ones(*q), lib.ones(*k), lib.ones(*k), 4, 2, w, None, None, None, False, 0.0,
        lib.ones(4, 4), None, **kw)[0].shape)


def _later(lib, name, key, value, **kw):
    """Three steps of optimizer ``name`` with ``key`` set to ``value`` after the first; p."""
    p = lib.nn.Parameter(lib.tensor([1.0, 2.0]))
    opt = getattr(lib.optim, name)([p], lr=0.1, **kw)
    for i in range(3):
        if i == 1:
            opt.param_groups[0][key] = value
        p.grad = lib.tensor([0.5, -1.0]) * (i + 1)
        opt.step()
    return p.detach()


def _set(t, idx, v):
    t[idx] = v
    return t


def _dt(t):
    """A dtype's bare name (``float64``), the same string in torch and gradlab."""
    return str(t.dtype).split(".")[-1]


ROWS = [
    # ------------------------------------------------ Python types as dtypes (torch's mapping)
    R("to(float) is float64", "tensor", lambda lib: _dt(lib.ones(2).to(float))),
    R("to(int) is int64", "tensor", lambda lib: _dt(lib.ones(2).to(int))),
    R("to(bool) is bool", "tensor", lambda lib: _dt(lib.ones(2).to(bool))),
    R("int tensor to(float)", "tensor", lambda lib: _dt(lib.arange(3).to(float))),
    R("to(dtype=float)", "tensor", lambda lib: _dt(lib.ones(2).to(dtype=float))),
    R("to(3.5) reads float64", "tensor", lambda lib: lib.ones(2).to(3.5)),
    R("to(3.5) dtype", "tensor", lambda lib: _dt(lib.ones(2).to(3.5))),
    R("to(True) reads bool", "tensor", lambda lib: _dt(lib.ones(2).to(True))),
    R("type(float)", "tensor", lambda lib: lib.ones(2).type(float), "type", "float"),
    R("type(int)", "tensor", lambda lib: lib.ones(2).type(int), "type", "int"),
    R("zeros dtype=float", "tensor", lambda lib: _dt(lib.zeros(2, dtype=float))),
    R("ones dtype=float", "tensor", lambda lib: _dt(lib.ones(2, dtype=float))),
    R("full dtype=float", "tensor", lambda lib: _dt(lib.full((2,), 1, dtype=float))),
    R("arange dtype=float", "tensor", lambda lib: _dt(lib.arange(3, dtype=float))),
    R("tensor dtype=float", "tensor", lambda lib: _dt(lib.tensor([1, 2], dtype=float))),
    R("randn dtype=float", "tensor", lambda lib: _dt(lib.randn(2, dtype=float))),
    R("zeros_like dtype=float", "tensor",
      lambda lib: _dt(lib.zeros_like(lib.ones(2), dtype=float))),
    R("sum dtype=float", "tensor", lambda lib: _dt(lib.ones(2).sum(dtype=float))),
    R("zeros dtype=int", "tensor", lambda lib: _dt(lib.zeros(2, dtype=int))),
    # ------------------------------------------------------------------ full's size
    R("full(3, 1.0) int size", "tensor", lambda lib: lib.full(3, 1.0), "full", "size",
      "tuple of ints", "int"),
    R("full(size=3) kw", "tensor", lambda lib: lib.full(size=3, fill_value=1.0), "full",
      "size", "int"),
    R("full(tensor size)", "tensor", lambda lib: lib.full(lib.tensor([2, 3]), 1.0), "full",
      "size", "Tensor"),
    R("full(Size) ok", "tensor", lambda lib: lib.full(lib.Size([3]), 1.0)),
    R("full([]) 0-d ok", "tensor", lambda lib: lib.full([], 2.0)),
    # ------------------------------------------------------ convolutions with a zero-size kernel
    R("conv2d zero kernel", "functional",
      lambda lib: F(lib).conv2d(_x4(lib), lib.ones(2, 2, 0, 3)), "conv2d", "kernel size", "[0, 3]"),
    R("conv2d zero kernel width", "functional",
      lambda lib: F(lib).conv2d(_x4(lib), lib.ones(2, 2, 3, 0)), "conv2d", "kernel size",
      "[3, 0]"),
    R("conv1d zero kernel", "functional",
      lambda lib: F(lib).conv1d(lib.ones(1, 2, 5), lib.ones(2, 2, 0)), "conv1d", "kernel size",
      "[0]"),
    R("conv_transpose2d zero kernel", "functional",
      lambda lib: F(lib).conv_transpose2d(_x4(lib), lib.ones(2, 2, 0, 3)), "conv_transpose2d",
      "kernel size", "[0, 3]"),
    R("Conv2d zero kernel_size", "module", lambda lib: lib.nn.Conv2d(2, 2, (0, 3))(_x4(lib)),
      "Conv2d", "kernel size", "(0, 3)"),
    R("conv1d padding -2 names conv1d", "functional",
      lambda lib: F(lib).conv1d(lib.ones(1, 2, 5), lib.ones(2, 2, 3), padding=-2), "conv1d",
      "negative padding", "padding=[-2]"),
    R("Conv1d padding -2 forward", "module",
      lambda lib: lib.nn.Conv1d(2, 2, 3, padding=-2)(lib.ones(1, 2, 5)), "conv1d",
      "negative padding", "padding=[-2]"),
    R("Conv1d padding -2 built", "module", lambda lib: repr(lib.nn.Conv1d(2, 2, 3, padding=-2))),
    R("conv_transpose2d padding -1 pair", "functional",
      lambda lib: F(lib).conv_transpose2d(_x4(lib), lib.ones(2, 2, 3, 3), padding=(1, -1)),
      "conv_transpose2d", "negative padding", "[1, -1]"),
    # ------------- pools with bad sizes (max/avg_pool2d padding=-1 and unflatten's two -1 are
    # rows of fuzz_rows_functional.py and fuzz_rows_tensor.py)
    R("adaptive_avg_pool2d -1", "functional",
      lambda lib: F(lib).adaptive_avg_pool2d(_x4(lib), -1), "adaptive_avg_pool2d",
      "output_size", "-1"),
    R("adaptive_avg_pool2d (2, -1)", "functional",
      lambda lib: F(lib).adaptive_avg_pool2d(_x4(lib), (2, -1)), "adaptive_avg_pool2d",
      "output_size", "-1"),
    R("adaptive_max_pool2d -1", "functional",
      lambda lib: F(lib).adaptive_max_pool2d(_x4(lib), -1), "adaptive_max_pool2d",
      "output_size", "-1"),
    R("adaptive_max_pool2d 3-tuple", "functional",
      lambda lib: F(lib).adaptive_max_pool2d(_x4(lib), (2, 2, 2)), "adaptive_max_pool2d",
      "output_size", "2"),
    R("adaptive_avg_pool2d 3-tuple", "functional",
      lambda lib: F(lib).adaptive_avg_pool2d(_x4(lib), (2, 2, 2)), "adaptive_avg_pool2d",
      "output_size", "2"),
    R("max_pool2d stride=() is kernel_size", "functional",
      lambda lib: F(lib).max_pool2d(lib.arange(16.0).reshape(1, 1, 4, 4), 2, stride=())),
    R("avg_pool2d stride=() is kernel_size", "functional",
      lambda lib: F(lib).avg_pool2d(lib.arange(16.0).reshape(1, 1, 4, 4), 2, stride=())),
    R("max_pool2d stride=[] is kernel_size", "functional",
      lambda lib: F(lib).max_pool2d(lib.arange(16.0).reshape(1, 1, 4, 4), 2, stride=[])),
    # --------------------------------------------------------------- softmax's dim, unflatten
    R("unflatten (-1, -1) wording", "tensor", lambda lib: lib.ones(2, 16).unflatten(1, (-1, -1)),
      "unflatten", "only one dimension can be inferred", "[-1, -1]"),
    R("softmax dim=1.0", "functional", lambda lib: F(lib).softmax(lib.ones(2, 3), dim=1.0),
      "softmax", "dim", "float"),
    R("log_softmax dim=1.0", "functional",
      lambda lib: F(lib).log_softmax(lib.ones(2, 3), dim=1.0), "log_softmax", "dim", "float"),
    # ------------------------------------------------------------------ batch_norm's eps
    R("batch_norm eps -1 training", "functional",
      lambda lib: F(lib).batch_norm(lib.ones(4, 3), lib.zeros(3), lib.ones(3), training=True,
                                    eps=-1.0), "batch_norm", "eps", "non-negative", "-1.0"),
    R("batch_norm eps -1 eval", "functional",
      lambda lib: F(lib).batch_norm(lib.ones(4, 3), lib.zeros(3), lib.ones(3), training=False,
                                    eps=-1.0), "batch_norm", "eps", "non-negative", "-1.0"),
    R("batch_norm eps -1e-3 no stats", "functional",
      lambda lib: F(lib).batch_norm(lib.arange(12.0).reshape(4, 3), None, None, training=True,
                                    eps=-1e-3), "batch_norm", "eps", "-0.001"),
    R("batch_norm eps 0 training", "functional",
      lambda lib: F(lib).batch_norm(lib.arange(12.0).reshape(4, 3), lib.zeros(3), lib.ones(3),
                                    training=True, eps=0.0),
      lenient="eps = 0 in training is accepted on purpose: the batch variance is used as it "
              "is (gradlab's BatchNorm layers allow it too); a constant channel gives NaN"),
    R("batch_norm eps 0 eval ok", "functional",
      lambda lib: F(lib).batch_norm(lib.arange(12.0).reshape(4, 3), lib.zeros(3),
                                    lib.full((3,), 2.0), training=False, eps=0.0)),
    R("BatchNorm1d eps -1", "module",
      lambda lib: lib.nn.BatchNorm1d(3, eps=-1.0)(lib.arange(12.0).reshape(4, 3)),
      "batch_norm", "eps", "-1.0"),
    # ------------------------------------------------------------------ losses' options
    R("CrossEntropyLoss label_smoothing 1.5", "module",
      lambda lib: lib.nn.CrossEntropyLoss(label_smoothing=1.5)(_logits(lib), lib.tensor([0, 2])),
      "cross_entropy", "label_smoothing", "1.5"),
    R("cross_entropy label_smoothing 1.5", "functional",
      lambda lib: F(lib).cross_entropy(_logits(lib), lib.tensor([0, 2]), label_smoothing=1.5),
      "cross_entropy", "label_smoothing", "1.5"),
    R("cross_entropy label_smoothing -0.1 as 0", "functional",
      lambda lib: F(lib).cross_entropy(_logits(lib), lib.tensor([0, 2]), label_smoothing=-0.1)),
    R("cross_entropy probs label_smoothing -0.5 as 0", "functional",
      lambda lib: F(lib).cross_entropy(_logits(lib), _logits(lib).softmax(1),
                                       label_smoothing=-0.5)),
    R("cross_entropy label_smoothing 1.0 ok", "functional",
      lambda lib: F(lib).cross_entropy(_logits(lib), lib.tensor([0, 2]), label_smoothing=1.0)),
    R("BCEWithLogitsLoss pos_weight size", "module",
      lambda lib: lib.nn.BCEWithLogitsLoss(pos_weight=lib.ones(2))(lib.ones(4, 3),
                                                                   lib.ones(4, 3)),
      "binary_cross_entropy_with_logits", "pos_weight", "[2]", "[4, 3]"),
    R("binary_cross_entropy_with_logits pos_weight size", "functional",
      lambda lib: F(lib).binary_cross_entropy_with_logits(lib.ones(4, 3), lib.ones(4, 3),
                                                          pos_weight=lib.ones(2)),
      "binary_cross_entropy_with_logits", "pos_weight", "[2]", "[4, 3]"),
    R("NLLLoss (3,) target (1,)", "module",
      lambda lib: lib.nn.NLLLoss()(lib.tensor([0.1, 0.2, 0.3]), lib.tensor([1]))),
    R("nll_loss (3,) target (1,) none", "functional",
      lambda lib: F(lib).nll_loss(lib.arange(3.0), lib.tensor([1]), reduction="none")),
    R("nll_loss (3,) target (1,) weight sum", "functional",
      lambda lib: F(lib).nll_loss(lib.arange(3.0), lib.tensor([2]), reduction="sum",
                                  weight=lib.tensor([1.0, 2.0, 3.0]))),
    R("nll_loss (3,) target (2,)", "functional",
      lambda lib: F(lib).nll_loss(lib.arange(3.0), lib.tensor([1, 0])), "nll_loss",
      "1D target must have size 1", "2"),
    R("nll_loss (3,) target (1, 1)", "functional",
      lambda lib: F(lib).nll_loss(lib.arange(3.0), lib.tensor([[1]])), "nll_loss", "[1, 1]"),
    R("CrossEntropyLoss (3,) target (1,)", "module",
      lambda lib: lib.nn.CrossEntropyLoss()(lib.tensor([0.1, 0.2, 0.3]), lib.tensor([1]))),
    R("cross_entropy (3,) target (1,) none", "functional",
      lambda lib: F(lib).cross_entropy(lib.arange(3.0), lib.tensor([1]), reduction="none")),
    R("cross_entropy (3,) target (2,)", "functional",
      lambda lib: F(lib).cross_entropy(lib.arange(3.0), lib.tensor([1, 0])), "cross_entropy",
      "1D target must have size 1", "2"),
    # ------------------------------------------------------------------ attention's shapes
    R("mha ok", "module", lambda lib: _mha(lib)),
    R("mha query width", "module", lambda lib: _mha(lib, q=(3, 2, 5)),
      "multi_head_attention_forward", "embedding dimension of 4", "5"),
    R("mha key width", "module", lambda lib: _mha(lib, k=(3, 2, 5)),
      "multi_head_attention_forward", "[3, 2, 5]", "embed_dim=4"),
    R("mha key 2-D", "module", lambda lib: _mha(lib, k=(3, 4), v=(3, 2, 4)),
      "multi_head_attention_forward", "`key` and `value` to be 3-D", "2-D"),
    R("mha key/value lengths", "module", lambda lib: _mha(lib, v=(5, 2, 4)),
      "multi_head_attention_forward", "(3, 2, 4)", "(5, 2, 4)"),
    R("mha key/value widths", "module", lambda lib: _mha(lib, v=(3, 2, 5)),
      "multi_head_attention_forward", "(3, 2, 4)", "(3, 2, 5)"),
    R("mha query/key batch", "module", lambda lib: _mha(lib, k=(3, 3, 4)),
      "multi_head_attention_forward", "[3, 2, 4]", "[3, 3, 4]", "batch size"),
    R("mha kdim mismatch", "module",
      lambda lib: _mha(lib, k=(3, 2, 4), v=(3, 2, 6), kdim=6, vdim=6),
      "multi_head_attention_forward", "key weights", "(4, 6)"),
    R("mha kdim batch", "module",
      lambda lib: _mha(lib, k=(3, 3, 6), v=(3, 3, 6), kdim=6, vdim=6),
      "multi_head_attention_forward", "[3, 3, 6]", "batch size"),
    R("mha kdim ok", "module", lambda lib: _mha(lib, k=(5, 2, 6), v=(5, 2, 3), kdim=6, vdim=3)),
    R("mha attn_mask 2-D", "module", lambda lib: _mha(lib, attn_mask=lib.zeros(2, 2)),
      "multi_head_attention_forward", "2D attn_mask", "(2, 2)", "(3, 3)"),
    R("mha attn_mask 3-D", "module", lambda lib: _mha(lib, attn_mask=lib.zeros(5, 3, 3)),
      "multi_head_attention_forward", "3D attn_mask", "(5, 3, 3)", "(4, 3, 3)"),
    R("mha attn_mask 1-D", "module", lambda lib: _mha(lib, attn_mask=lib.zeros(3)),
      "multi_head_attention_forward", "attn_mask", "1-D"),
    R("mha key_padding_mask length", "module",
      lambda lib: _mha(lib, key_padding_mask=lib.zeros(2, 5, dtype=lib.bool)),
      "multi_head_attention_forward", "key_padding_mask", "(2, 5)"),
    R("mha key_padding_mask transposed", "module",
      lambda lib: _mha(lib, key_padding_mask=lib.zeros(3, 2, dtype=lib.bool)),
      "multi_head_attention_forward", "key_padding_mask", "(3, 2)"),
    R("mha 4-D query", "module", lambda lib: _mha(lib, q=(1, 3, 2, 4)),
      "multi_head_attention_forward", "4-D"),
    R("multi_head_attention_forward ok", "functional", lambda lib: _mha_f(lib)),
    R("multi_head_attention_forward batch", "functional", lambda lib: _mha_f(lib, k=(3, 3, 4)),
      "multi_head_attention_forward", "[3, 3, 4]", "batch size"),
    R("multi_head_attention_forward key width", "functional",
      lambda lib: _mha_f(lib, k=(3, 2, 5)), "multi_head_attention_forward", "[3, 2, 5]"),
    R("multi_head_attention_forward query width", "functional",
      lambda lib: _mha_f(lib, q=(3, 2, 6)), "multi_head_attention_forward", "4", "6"),
    R("TransformerEncoderLayer d_model", "module",
      lambda lib: lib.nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0)(lib.ones(3, 2, 5)),
      "multi_head_attention_forward", "embedding dimension of 4", "5"),
    R("TransformerEncoderLayer ok", "module",
      lambda lib: tuple(lib.nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0)(
          lib.ones(3, 2, 4)).shape)),
    # ------------------------------------------------------------- embedding's padding_idx
    R("embedding padding_idx 5", "functional",
      lambda lib: F(lib).embedding(lib.tensor([0, 1]), lib.ones(3, 2), padding_idx=5),
      "embedding", "padding_idx must be within num_embeddings", "5"),
    R("embedding padding_idx -5", "functional",
      lambda lib: F(lib).embedding(lib.tensor([0, 1]), lib.ones(3, 2), padding_idx=-5),
      "embedding", "padding_idx must be within num_embeddings", "-5"),
    R("Embedding padding_idx 5", "module", lambda lib: lib.nn.Embedding(3, 2, padding_idx=5),
      "Embedding", "padding_idx must be within num_embeddings", "5"),
    R("Embedding padding_idx -5", "module", lambda lib: lib.nn.Embedding(3, 2, padding_idx=-5),
      "Embedding", "padding_idx must be within num_embeddings", "-5"),
    # ------------------------------------------------------------- div's rounding modes
    R("div rounding_mode floor", "tensor",
      lambda lib: lib.tensor([-3.0, 5.0, 7.5]).div(lib.tensor([2.0, -2.0, 2.0]),
                                                   rounding_mode="floor")),
    R("div rounding_mode trunc", "tensor",
      lambda lib: lib.tensor([-3.0, 5.0, 7.5]).div(lib.tensor([2.0, -2.0, 2.0]),
                                                   rounding_mode="trunc")),
    R("div rounding_mode None", "tensor",
      lambda lib: lib.tensor([-3, 5, 7]).div(2, rounding_mode=None)),
    R("div int floor", "tensor", lambda lib: lib.tensor([-3, 5, 7]).div(2, rounding_mode="floor")),
    R("div int trunc dtype", "tensor",
      lambda lib: _dt(lib.tensor([-3, 5, 7]).div(2, rounding_mode="trunc"))),
    R("div rounding_mode 'round'", "tensor",
      lambda lib: lib.tensor([1.0]).div(2, rounding_mode="round"), "div", "rounding_mode",
      "'round'"),
    R("div rounding_mode 3", "tensor", lambda lib: lib.tensor([1.0]).div(2, rounding_mode=3),
      "div", "rounding_mode", "int"),
    R("div int by 0 floor", "tensor",
      lambda lib: lib.tensor([1, 2]).div(0, rounding_mode="floor"), "ZeroDivisionError"),
    R("div bool floor", "tensor",
      lambda lib: lib.tensor([True, False]).div(True, rounding_mode="floor"), "div", "Bool"),
    R("gradlab.div floor", "tensor",
      lambda lib: lib.div(lib.tensor([-3.0, 5.0]), 2, rounding_mode="floor")),
    R("divide trunc", "tensor",
      lambda lib: lib.divide(lib.tensor([-3.0, 5.0]), 2, rounding_mode="trunc")),
    R("floor_divide", "tensor", lambda lib: lib.floor_divide(lib.tensor([-3, 5]), 2)),
    R("floor_divide float", "tensor", lambda lib: lib.floor_divide(lib.tensor([-3.0, 5.0]), 2)),
    R("tensor // int", "tensor", lambda lib: lib.tensor([-3.0, 5.0]) // 2),
    R("int // tensor", "tensor", lambda lib: 7 // lib.tensor([-3, 5])),
    R("div_ floor int", "tensor",
      lambda lib: lib.tensor([7, -7]).div_(2, rounding_mode="floor")),
    R("div_ true int", "tensor", lambda lib: lib.tensor([7, -7]).div_(2), "div_", "int64"),
    R("floor_divide backward", "tensor",
      lambda lib: (lib.tensor([1.0, 3.0], requires_grad=True) // 2).sum().backward(),
      "floor_divide", "derivative"),
    # --------------------------------------------------------------- several ellipses
    R("x[..., ...]", "tensor", lambda lib: lib.arange(6.0).reshape(2, 3)[..., ...]),
    R("x[..., 1, ...]", "tensor", lambda lib: lib.arange(24.0).reshape(2, 3, 4)[..., 1, ...]),
    R("x[0, ..., 1, ...]", "tensor",
      lambda lib: lib.arange(24.0).reshape(2, 3, 4)[0, ..., 1, ...]),
    R("x[..., None, ...]", "tensor", lambda lib: lib.arange(6.0).reshape(2, 3)[..., None, ...]),
    R("x[..., ...] = 2", "tensor", lambda lib: _set(lib.zeros(2, 3), (Ellipsis, Ellipsis), 2.0)),
    R("x[..., 1, ..., 2]", "tensor",
      lambda lib: lib.arange(24.0).reshape(2, 3, 4)[..., 1, ..., 2], "index", "[2, 3, 4]"),
    # ---------------------------------------------- optimizer options turned on after a step
    R("RMSprop momentum after step", "optim",
      lambda lib: _later(lib, "RMSprop", "momentum", 0.9), "RMSprop", "momentum_buffer",
      "momentum > 0"),
    R("RMSprop centered after step", "optim",
      lambda lib: _later(lib, "RMSprop", "centered", True), "RMSprop", "grad_avg", "centered"),
    R("RMSprop momentum off after step", "optim",
      lambda lib: _later(lib, "RMSprop", "momentum", 0.0, momentum=0.9)),
    R("RMSprop lr after step", "optim", lambda lib: _later(lib, "RMSprop", "lr", 0.5)),
    R("Adam amsgrad after step", "optim", lambda lib: _later(lib, "Adam", "amsgrad", True),
      "Adam", "max_exp_avg_sq", "amsgrad"),
    R("AdamW amsgrad after step", "optim", lambda lib: _later(lib, "AdamW", "amsgrad", True),
      "AdamW", "max_exp_avg_sq", "amsgrad"),
    R("SGD momentum after step", "optim", lambda lib: _later(lib, "SGD", "momentum", 0.9)),
]
