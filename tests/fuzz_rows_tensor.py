"""Bad-call rows, area "tensor": Tensor methods and the ``gradlab.*`` functions (factories,
shape ops, indexing, elementwise and broadcasting, reductions, matmul, dtypes, autograd
misuse, conversions), and a few odd-but-valid calls whose values must equal torch's."""

import numpy as np
from fuzztable import Bad


def R(id, call, *names, lenient=None):
    return Bad(id, "tensor", call, tuple(names), lenient)


#: the one lenient rule of the products (matmul, mm, bmm, dot, linear, conv): two floating dtypes
MIXED_FLOATS = ("gradlab computes two floating dtypes in the wider one, as its own models and "
                "lab code rely on (a float64 RBM fed float32 data, tests/test_rbm.py); returns "
                "the float64 product; an integer or bool operand with a float one is refused "
                "as torch refuses it")


def _m(lib):
    return lib.arange(6.0).reshape(2, 3)


def _leaf(lib):
    return lib.ones(3, requires_grad=True)


def _backward_twice(lib):
    x = _leaf(lib)
    y = (x * x).sum()
    y.backward()
    y.backward()


def _backward_nonscalar(lib):
    (_leaf(lib) * 2).backward()


def _backward_no_grad(lib):
    lib.ones(3).sum().backward()


def _backward_bad_grad_shape(lib):
    (_leaf(lib) * 2).backward(lib.ones(4))


def _grad_not_required(lib):
    x = _leaf(lib)
    z = lib.ones(3)
    return lib.autograd.grad((x * 2).sum(), z)


def _grad_unused(lib):
    x, z = _leaf(lib), _leaf(lib)
    return lib.autograd.grad((x * 2).sum(), z)


def _inplace_saved(lib):
    x = _leaf(lib)
    y = x.exp()
    y.mul_(2)
    y.sum().backward()
    return x.grad


def _setitem_leaf(lib):
    x = _leaf(lib)
    x[0] = 5.0


def _setitem(lib, idx, value=0.0):
    x = lib.ones(3)
    x[idx] = value
    return x


def _grad_value(lib):
    x = _leaf(lib)
    (x * 3).sum().backward()
    return x.grad


ROWS = [
    # ---------------------------------------------------------------- factories
    R("empty((-1, 2))", lambda lib: lib.empty((-1, 2)), "empty", "-1"),
    R("zeros(2.5)", lambda lib: lib.zeros(2.5), "zeros", "size", "2.5"),
    R("ones('3')", lambda lib: lib.ones("3"), "ones", "size", "'3'"),
    R("zeros(None)", lambda lib: lib.zeros(None), "zeros", "size", "None"),
    R("full((2,), 'a')", lambda lib: lib.full((2,), "a"), "full", "fill_value", "str"),
    R("full((2,-2),1)", lambda lib: lib.full((2, -2), 1.0), "full", "-2"),
    R("arange(0,5,-1)", lambda lib: lib.arange(0, 5, -1), "arange", "step", "-1"),
    R("arange(5,0)", lambda lib: lib.arange(5, 0), "arange", "5", "0"),
    R("arange(nan)", lambda lib: lib.arange(float("nan")), "arange", "nan"),
    R("arange(inf)", lambda lib: lib.arange(float("inf")), "arange", "inf"),
    R("arange(0,1,0.0)", lambda lib: lib.arange(0, 1, 0.0), "arange", "step", "0"),
    R("linspace steps -1", lambda lib: lib.linspace(0, 1, -1), "linspace", "steps", "-1"),
    R("linspace steps 2.5", lambda lib: lib.linspace(0, 1, 2.5), "linspace", "steps", "2.5"),
    R("eye(2, -1)", lambda lib: lib.eye(2, -1), "eye", "m", "-1"),
    R("eye(2.5)", lambda lib: lib.eye(2.5), "eye", "n", "2.5"),
    R("randint(3, 1)", lambda lib: lib.randint(3, 1, (2,)), "randint", "3", "1"),
    R("randint size -1", lambda lib: lib.randint(0, 5, (2, -1)), "randint", "-1"),
    R("randint(0, 5, 3)", lambda lib: lib.randint(0, 5, 3), "randint", "size", "int"),
    R("rand int64", lambda lib: lib.rand(2, 3, dtype=lib.int64), "rand", "int64"),
    R("randn int64", lambda lib: lib.randn(2, dtype=lib.int64), "randn", "int64"),
    R("tensor ragged", lambda lib: lib.tensor([[1, 2], [3]]), "tensor", "length", "2", "1"),
    R("tensor('abc')", lambda lib: lib.tensor("abc"), "tensor", "str"),
    R("tensor([1, 'a'])", lambda lib: lib.tensor([1, "a"]), "tensor", "str"),
    R("tensor(None)", lambda lib: lib.tensor(None), "tensor", "NoneType"),
    R("tensor(int, requires_grad)", lambda lib: lib.tensor([1, 2], requires_grad=True),
      "tensor", "requires_grad", "int64"),
    R("ones int requires_grad", lambda lib: lib.ones(2, dtype=lib.int64, requires_grad=True),
      "ones", "requires_grad", "int64"),
    R("zeros bool requires_grad", lambda lib: lib.zeros(2, dtype=lib.bool, requires_grad=True),
      "zeros", "requires_grad", "bool"),
    R("new_full(-1)", lambda lib: lib.ones(2).new_full((-1,), 0.0), "new_full", "-1"),
    R("new_ones(2, -1)", lambda lib: lib.ones(2).new_ones(2, -1), "new_ones", "-1"),
    R("new_empty(-3)", lambda lib: lib.ones(2).new_empty(-3), "new_empty", "-3"),
    R("zeros_like(list)", lambda lib: lib.zeros_like([1.0, 2.0]), "zeros_like", "list"),
    R("ones_like(3.0)", lambda lib: lib.ones_like(3.0), "ones_like", "float"),
    R("full_like(list)", lambda lib: lib.full_like([1.0], 2.0), "full_like", "list"),
    R("from_numpy(list)", lambda lib: lib.from_numpy([1, 2]), "from_numpy", "list"),
    R("from_numpy(str array)", lambda lib: lib.from_numpy(np.array(["a"])), "from_numpy",
      "<U1"),
    R("multinomial negative", lambda lib: lib.multinomial(lib.tensor([0.5, -0.1]), 1),
      "multinomial", "< 0", "-0.1"),
    R("multinomial n > size", lambda lib: lib.multinomial(lib.ones(3), 4), "multinomial",
      "4", "3", "replacement"),
    R("multinomial zero sum", lambda lib: lib.multinomial(lib.zeros(3), 1), "multinomial",
      "sum"),
    R("multinomial 3-D", lambda lib: lib.multinomial(lib.ones(2, 2, 2), 1), "multinomial",
      "[2, 2, 2]"),
    R("multinomial int", lambda lib: lib.multinomial(lib.ones(3, dtype=lib.int64), 1),
      "multinomial", "int64"),
    R("multinomial n=0", lambda lib: lib.multinomial(lib.ones(3), 0), "multinomial", "0"),
    R("bernoulli p 1.5", lambda lib: lib.bernoulli(lib.tensor([1.5])), "bernoulli", "1.5"),
    R("bernoulli p -0.5", lambda lib: lib.bernoulli(lib.tensor([-0.5])), "bernoulli", "-0.5"),
    R("normal_ std -1", lambda lib: lib.ones(3).normal_(0, -1), "normal_", "std", "-1"),
    R("uniform_ 2 > 1", lambda lib: lib.ones(3).uniform_(2, 1), "uniform_", "2", "1"),
    R("randperm(2.5)", lambda lib: lib.randperm(2.5), "randperm", "2.5"),
    R("rand_like int", lambda lib: lib.rand_like(lib.ones(2, dtype=lib.int64)), "rand_like",
      "int64"),
    # ---------------------------------------------------------------- views, reshapes
    R("view(2,-1) of 5", lambda lib: lib.ones(5).view(2, -1), "view", "[2, -1]", "5"),
    R("reshape(4, 2) of 6", lambda lib: _m(lib).reshape(4, 2), "reshape", "[4, 2]", "6"),
    R("reshape(-2, 3)", lambda lib: _m(lib).reshape(-2, 3), "reshape", "-2"),
    R("reshape(2.0, 3)", lambda lib: _m(lib).reshape(2.0, 3), "reshape", "2.0"),
    R("view(-1, 0) of 6", lambda lib: _m(lib).view(-1, 0), "view", "[-1, 0]", "6"),
    R("view_as mismatch", lambda lib: _m(lib).view_as(lib.ones(4)), "view", "[4]", "6"),
    R("reshape_as mismatch", lambda lib: _m(lib).reshape_as(lib.ones(5)), "reshape", "[5]",
      "6"),
    R("permute(0, 0)", lambda lib: _m(lib).permute(0, 0), "permute", "duplicate", "0"),
    R("permute(0, 2)", lambda lib: _m(lib).permute(0, 2), "permute", "2"),
    R("permute(0, 1, 2)", lambda lib: _m(lib).permute(0, 1, 2), "permute", "3", "2"),
    R("transpose(0, 2)", lambda lib: _m(lib).transpose(0, 2), "transpose", "2"),
    R("transpose(-3, 0)", lambda lib: lib.transpose(_m(lib), -3, 0), "transpose", "-3"),
    R("swapaxes(0, 5)", lambda lib: _m(lib).swapaxes(0, 5), "swapaxes", "5"),
    R("t() of 3-D", lambda lib: lib.ones(2, 3, 4).t(), "t", "3"),
    R("squeeze(3)", lambda lib: _m(lib).squeeze(3), "squeeze", "3"),
    R("squeeze(-3)", lambda lib: lib.squeeze(_m(lib), -3), "squeeze", "-3"),
    R("unsqueeze(3)", lambda lib: _m(lib).unsqueeze(3), "unsqueeze", "3"),
    R("unsqueeze(-4)", lambda lib: lib.unsqueeze(_m(lib), -4), "unsqueeze", "-4"),
    R("unsqueeze(1.0)", lambda lib: _m(lib).unsqueeze(1.0), "unsqueeze", "float"),
    R("expand fewer sizes", lambda lib: _m(lib).expand(3), "expand", "[3]", "[2, 3]"),
    R("expand(3, -1) of (2,1)", lambda lib: lib.ones(2, 1).expand(3, -1), "expand", "3", "2"),
    R("expand(-1,2,3) new dim", lambda lib: _m(lib).expand(-1, 2, 3), "expand", "-1"),
    R("expand(2, -2)", lambda lib: lib.ones(2, 1).expand(2, -2), "expand", "-2"),
    R("expand_as mismatch", lambda lib: _m(lib).expand_as(lib.ones(3, 2)), "expand", "[3, 2]",
      "[2, 3]"),
    R("flatten(1, 0)", lambda lib: lib.ones(2, 3, 4).flatten(1, 0), "flatten", "start_dim",
      "end_dim"),
    R("flatten(0, 3)", lambda lib: _m(lib).flatten(0, 3), "flatten", "3"),
    R("unflatten sizes", lambda lib: _m(lib).unflatten(1, (2, 2)), "unflatten", "[2, 2]",
      "3"),
    R("unflatten two -1", lambda lib: _m(lib).unflatten(1, (-1, -1)), "unflatten", "-1"),
    R("unflatten dim 2", lambda lib: _m(lib).unflatten(2, (1, 3)), "unflatten", "2"),
    R("repeat fewer dims", lambda lib: _m(lib).repeat(2), "repeat", "1", "2"),
    R("repeat(-1, 2)", lambda lib: _m(lib).repeat(-1, 2), "repeat", "-1"),
    R("roll shifts/dims", lambda lib: _m(lib).roll((1, 2), dims=(0,)), "roll", "shifts",
      "dims"),
    R("roll dim 2", lambda lib: _m(lib).roll(1, dims=2), "roll", "2"),
    R("tril of 1-D", lambda lib: lib.ones(3).tril(), "tril", "2", "1"),
    R("triu of 0-d", lambda lib: lib.triu(lib.tensor(1.0)), "triu", "2", "0"),
    R("unbind dim 2", lambda lib: _m(lib).unbind(2), "unbind", "2"),
    R("size(2)", lambda lib: _m(lib).size(2), "size", "2"),
    R("stride(-3)", lambda lib: _m(lib).stride(-3), "stride", "-3"),
    # ---------------------------------------------------------------- cat, stack, split
    R("cat dim 1 of 1-D", lambda lib: lib.cat([lib.ones(2), lib.ones(2)], dim=1), "cat", "1"),
    R("cat ranks differ", lambda lib: lib.cat([_m(lib), lib.ones(3)]), "cat", "2", "1"),
    R("cat list element", lambda lib: lib.cat([lib.ones(2), [1.0, 2.0]]), "cat", "1",
      "list"),
    R("cat 0-d", lambda lib: lib.cat([lib.tensor(1.0), lib.tensor(2.0)]), "cat",
      "zero-dimensional", "0"),
    R("concat dim -3", lambda lib: lib.concat([_m(lib), _m(lib)], dim=-3), "concat", "-3"),
    R("stack([])", lambda lib: lib.stack([]), "stack", "non-empty"),
    R("stack dim 2", lambda lib: lib.stack([lib.ones(2), lib.ones(2)], dim=2), "stack", "2"),
    R("stack(tensor)", lambda lib: lib.stack(lib.ones(2, 2)), "stack", "Tensor"),
    R("stack ranks", lambda lib: lib.stack([lib.ones(2), lib.ones(1, 2)]), "stack", "[2]",
      "[1, 2]"),
    R("split(0)", lambda lib: lib.ones(5).split(0), "split", "0", "5"),
    R("split(-1)", lambda lib: lib.ones(5).split(-1), "split", "-1"),
    R("split sizes negative", lambda lib: lib.ones(5).split([2, -1, 4]), "split", "-1"),
    R("split dim 1", lambda lib: lib.split(lib.ones(5), 2, dim=1), "split", "1"),
    R("split(2.5)", lambda lib: lib.ones(5).split(2.5), "split", "2.5"),
    R("chunk(0)", lambda lib: lib.ones(4).chunk(0), "chunk", "0"),
    R("chunk(-2)", lambda lib: lib.chunk(lib.ones(4), -2), "chunk", "-2"),
    R("chunk dim 3", lambda lib: _m(lib).chunk(2, dim=3), "chunk", "3"),
    R("narrow past end", lambda lib: lib.ones(4).narrow(0, 2, 3), "narrow", "2", "3", "4"),
    R("narrow length -1", lambda lib: lib.ones(4).narrow(0, 0, -1), "narrow", "length",
      "-1"),
    R("narrow start 5", lambda lib: lib.narrow(lib.ones(4), 0, 5, 0), "narrow", "start", "5"),
    R("narrow dim 1 of 1-D", lambda lib: lib.ones(4).narrow(1, 0, 1), "narrow", "1"),
    # ---------------------------------------------------------------- indexing
    R("x[0, 5]", lambda lib: _m(lib)[0, 5], "index", "5", "3"),
    R("x[tensor([3])]", lambda lib: lib.ones(3)[lib.tensor([3])], "index", "3"),
    R("x[tensor([-4])]", lambda lib: lib.ones(3)[lib.tensor([-4])], "index", "-4"),
    R("x[[0, 7]]", lambda lib: lib.ones(3)[[0, 7]], "index", "7"),
    R("x[mask of 2]", lambda lib: lib.ones(3)[lib.tensor([True, False])], "index", "mask",
      "[2]", "[3]"),
    R("x[0, 0] of 1-D", lambda lib: lib.ones(3)[0, 0], "index", "too many", "1"),
    R("x[-4]", lambda lib: lib.ones(3)[-4], "index", "-4", "3"),
    R("x[1.5]", lambda lib: lib.ones(3)[1.5], "index", "float"),
    R("x['a']", lambda lib: lib.ones(3)["a"], "index", "str"),
    R("x[::-1]", lambda lib: lib.ones(3)[::-1], "index", "step", "-1"),
    R("x[::0]", lambda lib: lib.ones(3)[::0], "index", "step", "0"),
    R("x[5] = 1", lambda lib: _setitem(lib, 5), "index", "5", "3"),
    R("x[::-1] = 0", lambda lib: _setitem(lib, slice(None, None, -1)), "index", "step", "-1"),
    R("x[0] = 'a'", lambda lib: _setitem(lib, 0, "a"), "index assignment", "str"),
    R("x[:] = ones(2)", lambda lib: _setitem(lib, slice(None), lib.ones(2)),
      "index assignment", "[2]", "[3]"),
    R("x[1.0] = 0", lambda lib: _setitem(lib, 1.0), "index", "float"),
    R("index_select 2-D index", lambda lib: _m(lib).index_select(0, lib.tensor([[0]])),
      "index_select", "index", "2"),
    R("index_select float index", lambda lib: _m(lib).index_select(0, lib.tensor([0.0])),
      "index_select", "index", "float32"),
    R("index_select dim 2", lambda lib: _m(lib).index_select(2, lib.tensor([0])),
      "index_select", "2"),
    R("gather dim 2", lambda lib: _m(lib).gather(2, lib.tensor([[0]])), "gather", "2"),
    R("gather index too big", lambda lib: _m(lib).gather(1, lib.tensor([[0], [0], [0]])),
      "gather", "[3, 1]", "[2, 3]"),
    R("scatter_add index > src", lambda lib: lib.zeros(3).scatter_add(
        0, lib.tensor([0, 1]), lib.ones(1)), "scatter_add", "[2]", "[1]"),
    R("scatter_add float index", lambda lib: lib.zeros(3).scatter_add(
        0, lib.tensor([0.0]), lib.ones(1)), "scatter_add", "int64", "float32"),
    R("scatter_add src dtype", lambda lib: lib.zeros(3).scatter_add(
        0, lib.tensor([0]), lib.ones(1, dtype=lib.float64)), "scatter_add", "float32",
      "float64"),
    R("scatter_add dim 1", lambda lib: lib.zeros(3).scatter_add(
        1, lib.tensor([0]), lib.ones(1)), "scatter_add", "1"),
    R("scatter_add rank", lambda lib: lib.zeros(3, 2).scatter_add(
        0, lib.tensor([0]), lib.ones(1)), "scatter_add", "index", "1", "2"),
    R("masked_fill float mask", lambda lib: lib.ones(3).masked_fill(lib.ones(3), 0.0),
      "masked_fill", "mask", "float32"),
    R("masked_fill int mask", lambda lib: lib.ones(3).masked_fill(
        lib.ones(3, dtype=lib.int64), 0.0), "masked_fill", "mask", "int64"),
    R("masked_fill value 1-D", lambda lib: lib.masked_fill(
        lib.ones(3), lib.ones(3) > 0, lib.ones(3)), "masked_fill", "value", "1"),
    R("masked_fill mask shape", lambda lib: lib.ones(3).masked_fill(
        lib.ones(4) > 0, 0.0), "masked_fill", "[4]", "[3]"),
    R("masked_fill value str", lambda lib: lib.ones(3).masked_fill(lib.ones(3) > 0, "a"),
      "masked_fill", "value", "str"),
    R("where float cond", lambda lib: lib.where(lib.ones(2), lib.ones(2), lib.zeros(2)),
      "where", "condition", "float32"),
    R("where shapes", lambda lib: lib.where(lib.ones(3) > 0, lib.ones(3), lib.zeros(2)),
      "where", "(3,)", "(2,)"),
    # ---------------------------------------------------------------- elementwise
    R("sub (2,3) - (3,2)", lambda lib: _m(lib) - lib.ones(3, 2), "sub", "(2, 3)", "(3, 2)"),
    R("div shapes", lambda lib: lib.div(lib.ones(3), lib.ones(2)), "div", "(3,)", "(2,)"),
    R("maximum shapes", lambda lib: lib.maximum(lib.ones(3), lib.ones(4)), "maximum", "(3,)",
      "(4,)"),
    R("pow shapes", lambda lib: lib.pow(lib.ones(3), lib.ones(2)), "pow", "(3,)", "(2,)"),
    R("lt shapes", lambda lib: lib.ones(3) < lib.ones(4), "lt", "[3]", "[4]"),
    R("eq shapes", lambda lib: lib.eq(lib.ones(3), lib.ones(2)), "eq", "[3]", "[2]"),
    R("logical_and shapes", lambda lib: lib.logical_and(lib.ones(3), lib.ones(2)),
      "logical_and", "[3]", "[2]"),
    R("add str", lambda lib: lib.add(lib.ones(2), "a"), "add", "str"),
    R("ones + 'a'", lambda lib: lib.ones(2) + "a", "add", "str"),
    R("mul None", lambda lib: lib.ones(2).mul(None), "mul", "NoneType"),
    R("bool - bool", lambda lib: lib.ones(2, dtype=lib.bool) - lib.ones(2, dtype=lib.bool),
      "sub", "bool"),
    R("-bool", lambda lib: -lib.tensor([True]), "neg", "bool"),
    R("add_ broadcast out", lambda lib: lib.ones(3).add_(lib.ones(2, 3)), "add_", "[3]",
      "[2, 3]"),
    R("mul_ broadcast out", lambda lib: lib.ones(3, 1).mul_(lib.ones(3)), "mul_", "[3, 1]",
      "[3, 3]"),
    R("int add_ float", lambda lib: lib.ones(3, dtype=lib.int64).add_(1.5), "add_",
      "float32", "int64"),
    R("int mul_ float tensor", lambda lib: lib.ones(3, dtype=lib.int64).mul_(lib.ones(3)),
      "mul_", "float32", "int64"),
    R("int div_", lambda lib: lib.ones(3, dtype=lib.int64).div_(2), "div_", "int64"),
    R("int pow -1", lambda lib: lib.tensor([1, 2]).pow(-1), "pow", "negative"),
    R("int ** -2", lambda lib: lib.tensor([2]) ** -2, "pow", "negative"),
    R("clamp min str", lambda lib: lib.ones(3).clamp(min="a"), "clamp", "min", "str"),
    R("clamp min shape", lambda lib: lib.clamp(lib.ones(3), min=lib.zeros(2)), "clamp",
      "(3,)", "(2,)"),
    R("allclose shapes", lambda lib: lib.allclose(lib.ones(3), lib.ones(2)), "allclose",
      "[3]", "[2]"),
    R("bool(ones(2))", lambda lib: bool(lib.ones(2)), "bool", "ambiguous", "2"),
    R("float(ones(2))", lambda lib: float(lib.ones(2)), "float", "2"),
    R("int(ones(0))", lambda lib: int(lib.ones(0)), "int", "0"),
    R("len(0-d)", lambda lib: len(lib.tensor(1.0)), "len", "0-d"),
    R("iter(0-d)", lambda lib: list(lib.tensor(1.0)), "iteration", "0-d"),
    # ---------------------------------------------------------------- reductions
    R("mean(dim=3)", lambda lib: _m(lib).mean(dim=3), "mean", "3"),
    R("max(dim=2)", lambda lib: _m(lib).max(dim=2), "max", "2"),
    R("min(dim=-3)", lambda lib: lib.min(_m(lib), dim=-3), "min", "-3"),
    R("argmax(dim=5)", lambda lib: _m(lib).argmax(dim=5), "argmax", "5"),
    R("argmax empty", lambda lib: lib.ones(0).argmax(), "argmax", "0"),
    R("amax empty dim", lambda lib: lib.ones(0, 3).amax(dim=0), "amax", "0"),
    R("max(dim) empty", lambda lib: lib.ones(0, 3).max(dim=0), "max", "0"),
    R("std of int", lambda lib: lib.tensor([1, 2, 3]).std(), "std", "int64"),
    R("var of int", lambda lib: lib.var(lib.tensor([1, 2, 3])), "var", "int64"),
    R("var dims repeated", lambda lib: _m(lib).var(dim=(0, -2)), "var", "0"),
    R("prod(dim=2)", lambda lib: _m(lib).prod(dim=2), "prod", "2"),
    R("cumsum(dim=2)", lambda lib: _m(lib).cumsum(dim=2), "cumsum", "2"),
    R("logsumexp(dim=2)", lambda lib: _m(lib).logsumexp(dim=2), "logsumexp", "2"),
    R("logsumexp of int", lambda lib: lib.tensor([1, 2]).logsumexp(0), "logsumexp",
      "int64"),
    R("sum(dim=1.5)", lambda lib: _m(lib).sum(dim=1.5), "sum", "dim", "float"),
    R("sum(dim='a')", lambda lib: _m(lib).sum(dim="a"), "sum", "dim", "str"),
    R("mean(dtype=int64)", lambda lib: _m(lib).mean(dtype=lib.int64), "mean", "dtype",
      "int64"),
    R("all(dim=2)", lambda lib: _m(lib).all(dim=2), "all", "2"),
    R("any(dim=-3)", lambda lib: _m(lib).any(dim=-3), "any", "-3"),
    R("norm(dim=2)", lambda lib: _m(lib).norm(dim=2), "norm", "2"),
    R("norm of int", lambda lib: lib.tensor([3, 4]).norm(), "norm", "int64"),
    R("vector_norm of int", lambda lib: lib.linalg.vector_norm(lib.tensor([3, 4])),
      "vector_norm", "int64"),
    R("vector_norm dim 2", lambda lib: lib.linalg.vector_norm(_m(lib), dim=2),
      "vector_norm", "2"),
    R("vector_norm ord str", lambda lib: lib.linalg.vector_norm(_m(lib), ord="fro"),
      "vector_norm", "ord", "fro"),
    R("softmax(dim=2)", lambda lib: _m(lib).softmax(2), "softmax", "2"),
    R("softmax of int", lambda lib: lib.tensor([1, 2]).softmax(0), "softmax", "int64"),
    R("log_softmax(dim=-3)", lambda lib: lib.log_softmax(_m(lib), -3), "log_softmax", "-3"),
    R("log_softmax of int", lambda lib: lib.tensor([1, 2]).log_softmax(0), "log_softmax",
      "int64"),
    # ---------------------------------------------------------------- matmul, linalg
    R("mm inner", lambda lib: lib.mm(_m(lib), _m(lib)), "mm", "[2, 3]", "3", "2"),
    R("mm dtype", lambda lib: lib.mm(lib.ones(2, 2), lib.ones(2, 2, dtype=lib.float64)), "mm",
      "float32", "float64", lenient=MIXED_FLOATS),
    R("mm 3-D", lambda lib: lib.ones(2, 2, 2).mm(lib.ones(2, 2)), "mm", "[2, 2, 2]"),
    R("matmul dtype", lambda lib: lib.ones(2, 2) @ lib.ones(2, 2, dtype=lib.int64), "matmul",
      "float32", "int64"),
    R("matmul 1-D sizes", lambda lib: lib.ones(3) @ lib.ones(4), "matmul", "3", "4"),
    R("matmul vec-mat", lambda lib: lib.matmul(lib.ones(3), lib.ones(4, 2)), "matmul", "3",
      "4"),
    R("matmul list", lambda lib: lib.matmul(lib.ones(2), [1.0, 2.0]), "matmul", "list"),
    R("bmm 2-D", lambda lib: lib.bmm(_m(lib), _m(lib)), "bmm", "3", "[2, 3]"),
    R("bmm batch", lambda lib: lib.bmm(lib.ones(2, 3, 4), lib.ones(3, 4, 5)), "bmm", "2",
      "3"),
    R("bmm inner", lambda lib: lib.ones(2, 3, 4).bmm(lib.ones(2, 5, 6)), "bmm", "4", "5"),
    R("bmm dtype", lambda lib: lib.bmm(lib.ones(1, 2, 2), lib.ones(1, 2, 2, dtype=lib.float64)),
      "bmm", "float32", "float64", lenient=MIXED_FLOATS),
    R("bmm int dtype", lambda lib: lib.bmm(lib.ones(1, 2, 2), lib.ones(1, 2, 2, dtype=lib.int64)),
      "bmm", "float32", "int64"),
    R("mm bool", lambda lib: lib.mm(lib.ones(2, 2, dtype=lib.bool), lib.ones(2, 2)), "mm",
      "bool", "float32"),
    R("dot 2-D", lambda lib: lib.dot(_m(lib), _m(lib)), "dot", "1D", "2D"),
    R("dot sizes", lambda lib: lib.ones(3).dot(lib.ones(4)), "dot", "3", "4"),
    R("dot dtype", lambda lib: lib.dot(lib.ones(2), lib.ones(2, dtype=lib.int64)), "dot",
      "float32", "int64"),
    # ---------------------------------------------------------------- conversions, dtypes
    R("item of 2", lambda lib: lib.ones(2).item(), "item", "2"),
    R("item of empty", lambda lib: lib.ones(0).item(), "item", "0"),
    R("to('floaty')", lambda lib: lib.ones(2).to("floaty"), "to", "floaty"),
    R("to(dtype='float32')", lambda lib: lib.ones(2).to(dtype="float32"), "to", "dtype",
      "str"),
    R("type('Foo')", lambda lib: lib.ones(2).type(lib.__name__ + ".Foo"), "type", "Foo"),
    R("type(5)", lambda lib: lib.ones(2).type(5), "type", "int"),
    R("type_as('a')", lambda lib: lib.ones(2).type_as("a"), "type_as", "str"),
    R("zeros dtype str", lambda lib: lib.zeros(2, dtype="float32"), "zeros", "dtype", "str",
      lenient="gradlab takes a dtype's name wherever it takes a dtype (backend.to_dtype: 'a "
              "gradlab dtype, a NumPy dtype/type, a Python type or a name'); returns float32 "
              "zeros, the dtype named"),
    R("tensor dtype int", lambda lib: lib.tensor([1.0], dtype=5), "tensor", "dtype", "int"),
    R("ones(device='gpu')", lambda lib: lib.ones(2, device="gpu"), "ones", "gpu"),
    R("numpy() requires grad", lambda lib: _leaf(lib).numpy(), "numpy", "requires grad",
      "detach"),
    # ---------------------------------------------------------------- autograd misuse
    R("backward twice", _backward_twice, "backward", "second time"),
    R("backward non-scalar", _backward_nonscalar, "backward", "scalar", "(3,)"),
    R("backward no grad", _backward_no_grad, "does not require grad", "grad_fn"),
    R("backward grad shape", _backward_bad_grad_shape, "Mismatch in shape", "(4,)", "(3,)"),
    R("grad of no-grad input", _grad_not_required, "grad", "does not require grad"),
    R("grad of unused input", _grad_unused, "grad", "allow_unused"),
    R("backward after in-place", _inplace_saved, "modified by an inplace operation",
      "version", lenient="gradlab records an in-place op on a graph tensor out of place: the "
                         "values exp saved stay intact, so backward is right; returns the "
                         "gradient of the modified result, 2*exp(x)"),
    R("add_ on leaf", lambda lib: _leaf(lib).add_(1), "add_", "leaf"),
    R("mul_ on leaf", lambda lib: _leaf(lib).mul_(2), "mul_", "leaf"),
    R("zero_ on leaf", lambda lib: _leaf(lib).zero_(), "zero_", "leaf"),
    R("fill_ on leaf", lambda lib: _leaf(lib).fill_(0.0), "fill_", "leaf"),
    R("clamp_ on leaf", lambda lib: _leaf(lib).clamp_(0, 1), "clamp_", "leaf"),
    R("uniform_ on leaf", lambda lib: _leaf(lib).uniform_(), "uniform_", "leaf"),
    R("x[0] = 5 on leaf", _setitem_leaf, "leaf", "in-place"),
    R("copy_ on leaf", lambda lib: _leaf(lib).copy_(lib.zeros(3)), "copy_", "leaf"),
    R("retain_grad no grad", lambda lib: lib.ones(2).retain_grad(), "retain_grad",
      "requires_grad=False"),
    R("register_hook no grad", lambda lib: lib.ones(2).register_hook(lambda g: g),
      "register_hook", "require"),
    R("requires_grad_ on int", lambda lib: lib.ones(2, dtype=lib.int64).requires_grad_(),
      "requires_grad", "int64"),
    R("copy_ shape", lambda lib: lib.ones(3).copy_(lib.ones(4)), "copy_", "[4]", "[3]"),
    # ---------------------------------------------------------------- wrong types, gradlab.*
    R("exp(list)", lambda lib: lib.exp([1.0, 2.0]), "exp", "list"),
    R("sum(str)", lambda lib: lib.sum("abc"), "sum", "str"),
    R("softmax(list)", lambda lib: lib.softmax([1.0, 2.0], 0), "softmax", "list"),
    R("reshape(list)", lambda lib: lib.reshape([1.0, 2.0], (2,)), "reshape", "list"),
    R("gather(list)", lambda lib: lib.gather([1.0], 0, lib.tensor([0])), "gather", "list"),
    R("max(tuple)", lambda lib: lib.max((1.0, 2.0)), "max", "tuple"),
    R("narrow start 1.5", lambda lib: lib.ones(3).narrow(0, 1.5, 1), "narrow", "start", "1.5"),
    R("roll(1.5)", lambda lib: lib.ones(3).roll(1.5), "roll", "shifts", "1.5"),
    R("ones < 'a'", lambda lib: lib.ones(3) < "a", "lt", "str"),
    R("eq(str)", lambda lib: lib.ones(3).eq("a"), "eq", "str"),
    R("fill_('a')", lambda lib: lib.ones(3).fill_("a"), "fill_", "str"),
    R("fill_(ones(2))", lambda lib: lib.ones(3).fill_(lib.ones(2)), "fill_", "0-dimension",
      "1"),
    R("arange dtype bool", lambda lib: lib.arange(0, 3, dtype=lib.bool), "arange", "Bool"),
    R("permute(0.0)", lambda lib: lib.ones(1).permute(0.0), "permute", "0.0"),
    R("view(int64) of 3 floats", lambda lib: lib.ones(3).view(lib.int64), "view", "float32",
      "int64"),
    # ---------------------------------------------------------------- odd but valid
    R("ones == 'a' ok", lambda lib: lib.ones(3) == "a"),
    R("view(int64) ok", lambda lib: lib.ones(2).view(lib.int64)),
    R("view(int32) ok", lambda lib: lib.arange(4.0).reshape(2, 2).view(lib.int32)),
    R("zeros(0, 3) ok", lambda lib: lib.zeros(0, 3)),
    R("full int fill 1.5 ok", lambda lib: lib.full((2,), 1.5, dtype=lib.int64)),
    R("unsqueeze(-3) ok", lambda lib: _m(lib).unsqueeze(-3)),
    R("narrow(0, -1, 1) ok", lambda lib: lib.ones(4).narrow(0, -1, 1)),
    R("stack dim -1 ok", lambda lib: lib.stack([lib.ones(2), lib.zeros(2)], dim=-1)),
    R("cat int + float ok", lambda lib: lib.cat([lib.ones(2), lib.ones(2, dtype=lib.int64)])),
    R("cat with empty 1-D ok", lambda lib: lib.cat([_m(lib), lib.ones(0)])),
    R("where int/float ok", lambda lib: lib.where(lib.tensor([True, False]), lib.ones(2),
                                                  lib.zeros(2, dtype=lib.int64))),
    R("x[5:10] ok", lambda lib: lib.ones(3)[5:10]),
    R("int / 0 ok", lambda lib: lib.tensor([1, 2]) / 0),
    R("sqrt of int ok", lambda lib: lib.tensor([4, 9]).sqrt()),
    R("clamp min > max ok", lambda lib: lib.arange(5.0).clamp(min=3, max=1)),
    R("sum of bool ok", lambda lib: lib.tensor([True, True, False]).sum()),
    R("sum of empty ok", lambda lib: lib.ones(0, 3).sum(0)),
    R("mean of empty ok", lambda lib: lib.ones(0).mean()),
    R("equal shapes ok", lambda lib: lib.equal(lib.ones(3), lib.ones(2))),
    R("split(10) ok", lambda lib: lib.ones(5).split(10)),
    R("chunk(10) ok", lambda lib: lib.arange(3.0).chunk(10)),
    R("grad value ok", _grad_value),
    R("matmul int ok", lambda lib: lib.tensor([[1, 2]]) @ lib.tensor([[3], [4]])),
    R("reshape empty ok", lambda lib: lib.ones(0, 4).reshape(2, 0, -1)),
]
