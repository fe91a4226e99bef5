"""``backend.axpy_``: the one-pass ``y += alpha x`` of the plain SGD step, against PyTorch's
``add_(x, alpha=...)`` and against the two-pass NumPy update it replaces where it cannot apply."""

import numpy as np
import pytest
import torch

import gradlab
from gradlab import backend, optim


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n", [backend.AXPY_MIN_SIZE, backend.AXPY_MIN_SIZE + 7, 401_408])
def test_matches_torch_add_with_alpha(dtype, n):
    rng = np.random.default_rng(n)
    y = rng.standard_normal(n).astype(dtype)
    x = rng.standard_normal(n).astype(dtype)
    ty = torch.from_numpy(y.copy())
    ty.add_(torch.from_numpy(x), alpha=-0.01)
    assert backend.axpy_(y, -0.01, x)
    # both round once where they use fused multiply-adds (OpenBLAS's vector loop; its loop
    # for very short vectors may round twice): within one unit in the last place
    np.testing.assert_array_less(np.abs(y - ty.numpy()), np.spacing(np.abs(y)) * 1.01)


def test_declines_what_it_cannot_do_in_one_pass_and_leaves_y_alone():
    m = backend.AXPY_MIN_SIZE
    y = np.ones(2 * m + 4, np.float32)
    cases = {
        "small": (np.ones(m - 1, np.float32), np.ones(m - 1, np.float32)),
        "strided y": (y[::2], np.ones(m + 2, np.float32)),
        "dtype mismatch": (np.ones(m, np.float32), np.ones(m, np.float64)),
        "size mismatch": (np.ones(m, np.float32), np.ones(m - 1, np.float32)),
        "integer": (np.ones(m, np.int32), np.ones(m, np.int32)),
        "overlap": (y[:m + 4], y[m:]),
    }
    ro = np.ones(m, np.float32)
    ro.flags.writeable = False
    cases["read-only y"] = (ro, np.ones(m, np.float32))
    for what, (a, b) in cases.items():
        before = a.copy()
        assert not backend.axpy_(a, 2.0, b), what
        np.testing.assert_array_equal(a, before, err_msg=what)


def test_sgd_step_is_pytorchs_to_the_bit_in_float32():
    """Plain SGD is the fused update, so on equal gradients the parameters stay bit-equal to
    PyTorch's over many steps (the two-pass update rounds twice and drifts by ulps). Both
    libraries' kernels use fused multiply-adds on x86 CPUs since 2013."""
    rng = np.random.default_rng(0)
    w = rng.standard_normal((256, 130)).astype(np.float32)  # above AXPY_MIN_SIZE
    gp, tp = gradlab.tensor(w.copy(), requires_grad=True), torch.tensor(w.copy(),
                                                                        requires_grad=True)
    g_opt, t_opt = optim.SGD([gp], lr=0.037), torch.optim.SGD([tp], lr=0.037)
    for _ in range(50):
        g = rng.standard_normal(w.shape).astype(np.float32)
        gp.grad, tp.grad = gradlab.tensor(g.copy()), torch.from_numpy(g.copy())
        g_opt.step()
        t_opt.step()
    np.testing.assert_array_equal(gp.detach().numpy(), tp.detach().numpy())


def test_sgd_on_a_strided_parameter_takes_the_numpy_update():
    base = np.arange(256 * 130, dtype=np.float32).reshape(256, 130)
    p = gradlab.tensor(base.copy(), requires_grad=True)
    p.array = p.array.T  # a transposed (Fortran-ordered) array: no one-pass BLAS update
    assert not p.array.flags.c_contiguous
    g = np.ones((130, 256), np.float32)
    p.grad = gradlab.tensor(g)
    optim.SGD([p], lr=0.5).step()
    np.testing.assert_array_equal(p.detach().numpy(), base.T - np.float32(0.5) * g)
