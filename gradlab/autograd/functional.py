"""Whole-function derivatives, as ``torch.autograd.functional``: :func:`jacobian` and :func:`vjp`.

Both call ``func`` once on fresh leaves (``input.detach().requires_grad_()``, so gradients never
leak into the caller's ``.grad``) and differentiate the result with gradlab's reverse-mode
engine. ``jacobian`` runs one backward pass per output element, each giving a row of the
Jacobian for every input at once (what torch does with ``vectorize=False``).

Only first derivatives exist: gradlab's backward passes work on NumPy arrays and record no
graph, so ``create_graph=True`` raises, and there is no ``hessian``, ``vhp``, ``hvp`` or
``jvp`` (torch computes those by differentiating a backward pass).

Seed: 003 "Gradient checking" (the Jacobian that gradcheck compares with finite differences).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .array_function import _tensor
from .engine import _engine, _key
from .grad_mode import enable_grad

__all__ = ["jacobian", "vjp"]

_Tensors = Any  # a Tensor or a tuple of Tensors


def _as_tuple(inp, arg_name: str, fn_name: str) -> tuple[bool, tuple]:
    """``(was_a_tuple, inp as a tuple)``; TypeError (torch's words) for anything else."""
    is_tuple = isinstance(inp, tuple)
    items = inp if is_tuple else (inp,)
    for i, el in enumerate(items):
        if not isinstance(el, _tensor.cls):
            where = f"the value at index {i}" if is_tuple else f"the given {arg_name}"
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a "
                            f"tuple of Tensors but {where} has type {type(el)}.")
    return is_tuple, items


def _unsupported(fn_name: str, create_graph: bool) -> None:
    if create_graph:
        raise NotImplementedError(
            f"gradlab.autograd.functional.{fn_name}: create_graph=True is not supported: "
            "gradlab has no higher-order gradients (backward passes run on NumPy arrays and "
            "record no graph); use create_graph=False (the default)")


def _leaves(inputs: tuple) -> tuple:
    # always new Tensor objects, so inputs the function also captures from outside are told
    # apart from the arguments (torch's _grad_preprocess)
    return tuple(x.detach().requires_grad_(True) for x in inputs)


def _check_outputs_require_grad(outputs: tuple, strict: bool) -> None:
    if not strict:
        return
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise RuntimeError(
                f"Output {i} of the user-provided function does not require gradients. The "
                "outputs must be computed in a differentiable manner from the input when "
                "running in strict mode.")


def _backward(roots: list, inputs: tuple) -> list:
    """Gradients (arrays, or None where the graph does not reach) of ``roots`` for ``inputs``.

    ``roots`` is ``[(output, upstream gradient array)]``; outputs that do not require grad
    are dropped, as in torch's ``_autograd_grad``. Nothing is written to any ``.grad``.
    """
    roots = [(t, g) for t, g in roots if t.requires_grad]
    if not roots:
        return [None] * len(inputs)
    cap = {_key(x): None for x in inputs}
    _engine(roots, True, capture=cap, accumulate=False)
    return [cap[_key(x)] for x in inputs]


def _postprocess(res, to_unpack: tuple[bool, bool]):
    """Undo the tupling of outputs (``to_unpack[0]``) and inputs (``to_unpack[1]``)."""
    is_outputs_tuple, is_inputs_tuple = to_unpack
    if not is_inputs_tuple:
        res = tuple(el[0] for el in res)
    if not is_outputs_tuple:
        res = res[0]
    return res


def jacobian(func: Callable, inputs: _Tensors, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> _Tensors:
    r"""The Jacobian of ``func`` at ``inputs``: :math:`J[i][j] = \partial\,out_i/\partial\,in_j`.

    ``func`` takes the input tensors as positional arguments and returns a Tensor or a tuple of
    Tensors. Each output element ``m`` gets one backward pass with a one-hot upstream gradient,
    which yields row ``m`` of the Jacobian of that output for every input. Entries for an input
    the output does not depend on are zeros (``strict=True`` raises instead).

    Args:
        func: a function of the inputs returning a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of Tensors (floating point); they are not modified and their
            ``.grad`` is left alone.
        create_graph: must be False: gradlab has no higher-order gradients.
        strict: raise when an output does not require grad, or when an output is independent of
            an input (torch's strict mode).
        vectorize: accepted for torch compatibility; the result is the same and is computed by
            the same loop (torch uses vmap). Not allowed with ``strict=True``, as in torch.
        strategy: ``"reverse-mode"`` only; ``"forward-mode"`` raises NotImplementedError.

    Returns:
        A Tensor if ``func`` returns a Tensor and ``inputs`` is a Tensor; a tuple over inputs if
        only ``inputs`` is a tuple, over outputs if only the outputs are; otherwise a tuple (over
        outputs) of tuples (over inputs). Detached from any graph.

    Shape:
        - ``J[i][j]``: ``outputs[i].shape + inputs[j].shape``; dtype of ``inputs[j]``.
          A scalar output of a vector input gives the gradient; a ``(N, M)`` output of an
          ``(M,)`` input gives an ``(N, M, M)`` Jacobian.

    Example::

        >>> x = gradlab.randn(3)
        >>> jacobian(lambda t: t.exp(), x).shape            # diagonal, exp(x)
        gradlab.Size([3, 3])
    """
    name = "jacobian"
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError(f'gradlab.autograd.functional.jacobian: strategy={strategy!r}; expected '
                         '"reverse-mode" (or torch\'s "forward-mode", which gradlab does not '
                         "have)")
    if strategy == "forward-mode":
        raise NotImplementedError(
            'gradlab.autograd.functional.jacobian: strategy="forward-mode" is not supported: '
            'gradlab has no forward-mode AD; use strategy="reverse-mode" (the default), which '
            "gives the same Jacobian")
    _unsupported(name, create_graph)
    if vectorize and strict:
        raise RuntimeError(
            "gradlab.autograd.functional.jacobian: strict=True and vectorize=True are not "
            "supported together (as in torch); set strict=False or vectorize=False")

    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", name)
        inputs = _leaves(inputs)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(
            outputs, "outputs of the user-provided function", name)
        _check_outputs_require_grad(outputs, strict)

        jac = []
        for i, out in enumerate(outputs):
            n = out.array.size
            rows = [np.zeros((n,) + x.array.shape, dtype=x.array.dtype) for x in inputs]
            seed = np.zeros(n, dtype=out.array.dtype)
            for m in range(n):
                seed[m] = 1.0
                grads = _backward([(out, seed.reshape(out.array.shape))], inputs)
                for j, g in enumerate(grads):
                    if g is not None:
                        rows[j][m] = g
                    elif strict:
                        raise RuntimeError(
                            f"Output {i} of the user-provided function is independent of input "
                            f"{j}. This is not allowed in strict mode.")
                seed[m] = 0.0  # only now: a captured gradient may be the seed array itself
            jac.append(tuple(
                _tensor.cls._wrap(r.reshape(out.array.shape + x.array.shape))
                for r, x in zip(rows, inputs)))
    return _postprocess(tuple(jac), (is_outputs_tuple, is_inputs_tuple))


def vjp(func: Callable, inputs: _Tensors, v: _Tensors = None, create_graph: bool = False,
        strict: bool = False) -> tuple[_Tensors, _Tensors]:
    r"""``func(inputs)`` and the vector-Jacobian product :math:`v^\top J` (one backward pass).

    Args:
        func: a function of the inputs returning a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of Tensors (floating point).
        v: the upstream gradient, one Tensor per output, each of its output's shape; may be None
            only when ``func`` returns a single one-element Tensor.
        create_graph: must be False: gradlab has no higher-order gradients.
        strict: raise when an output does not require grad or the outputs are independent of an
            input (instead of returning zeros for it).

    Returns:
        ``(outputs, vjp)``: the outputs as ``func`` returned them (detached), and the product
        with the structure of ``inputs``.

    Shape:
        - ``v[i]``: ``outputs[i].shape``; ``vjp[j]``: ``inputs[j].shape``, dtype of
          ``inputs[j]``. ``vjp[j] = sum_i sum_m v[i][m] * J[i][j][m]``.
    """
    name = "vjp"
    _unsupported(name, create_graph)
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", name)
        inputs = _leaves(inputs)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(
            outputs, "outputs of the user-provided function", name)
        _check_outputs_require_grad(outputs, strict)
        if v is not None:
            _, v = _as_tuple(v, "v", name)
            if len(v) != len(outputs):
                if is_outputs_tuple:
                    raise RuntimeError(f"v is a tuple of invalid length: should be "
                                       f"{len(outputs)} but got {len(v)}.")
                raise RuntimeError("The given v should contain a single Tensor.")
            for idx, (el_v, out) in enumerate(zip(v, outputs)):
                if el_v.array.shape != out.array.shape:
                    prepend = f"Entry {idx} in " if is_outputs_tuple else ""
                    raise RuntimeError(f"{prepend}v has invalid size: should be {out.size()} "
                                       f"but got {el_v.size()}.")
            seeds = [np.asarray(el_v.array, dtype=out.array.dtype)
                     for el_v, out in zip(v, outputs)]
        else:
            if len(outputs) != 1 or outputs[0].array.size != 1:
                raise RuntimeError("The vector v can only be None if the user-provided function "
                                   "returns a single Tensor with a single element.")
            seeds = [np.ones(outputs[0].array.shape, dtype=outputs[0].array.dtype)]
        grads = _backward(list(zip(outputs, seeds)), inputs)

    res = []
    for j, (g, x) in enumerate(zip(grads, inputs)):
        if g is None:
            if strict:
                raise RuntimeError("The output of the user-provided function is independent of "
                                   f"input {j}. This is not allowed in strict mode.")
            g = np.zeros(x.array.shape, dtype=x.array.dtype)
        res.append(_tensor.cls._wrap(np.array(g, copy=True)))
    outs = tuple(o.detach() for o in outputs)
    return (outs if is_outputs_tuple else outs[0],
            tuple(res) if is_inputs_tuple else res[0])
