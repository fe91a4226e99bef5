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
    R("conv2d zero kernel", "functional", lambda lib: F(lib).conv2d(_x4(lib), lib.ones(2, 2, 0, 3)),
      "conv2d", "kernel size", "[0, 3]"),
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
]
