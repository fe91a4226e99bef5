"""Reverse-mode automatic differentiation: grad mode, ``Function``, the backward engine, anomaly
mode, gradcheck.

A graph is built while ops run: every ``Function.apply`` on tensors that require grad creates a
:class:`Context` (the node, exposed as ``tensor.grad_fn``) that remembers which inputs it came
from and whatever its ``forward`` saved for ``backward``. ``Tensor.backward`` then

1. orders the nodes reachable from the output once, with an iterative depth-first search
   (no recursion, so a chain of 100,000 ops is fine);
2. walks them outputs-first, calling each ``backward`` with the summed upstream gradient as a
   NumPy array;
3. reduces every returned gradient to its input's shape (summing broadcast axes) and dtype, in
   one place (:func:`_sum_to`), so no op has to un-broadcast by itself;
4. accumulates into ``.grad`` of leaves, and frees saved arrays unless ``retain_graph=True``.

Seeds: 000 Q62-63 (forward/backward on a computation graph, the chain rule), 002 Q5.
"""

from __future__ import annotations

import functools
import linecache
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

_Tensor: Any = None  # set by gradlab.tensor (the floor above) to break the import cycle

# gradlab.autograd is still one file; this __path__ lets its submodules live where DESIGN.md's
# package layout puts them (gradlab/autograd/functional.py), so `gradlab.autograd.functional`
# imports as in torch
__path__ = [os.path.join(os.path.dirname(os.path.abspath(__file__)), "autograd")]


# --------------------------------------------------------------------------- grad mode


class _GradMode:
    enabled = True


_mode = _GradMode()


def is_grad_enabled() -> bool:
    """Whether ops on tensors that require grad currently record a graph."""
    return _mode.enabled


class _ModeSwitch:
    """Base of ``no_grad``/``enable_grad``: usable as a context manager and as a decorator."""

    _target: bool = True

    def __enter__(self) -> None:
        self._prev = _mode.enabled
        _mode.enabled = self._target

    def __exit__(self, *exc) -> None:
        _mode.enabled = self._prev

    def __call__(self, func: Callable) -> Callable:
        cls = type(self)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with cls():
                return func(*args, **kwargs)

        return wrapper


class no_grad(_ModeSwitch):
    """Context manager / decorator: ops inside record no graph (``w -= lr * w.grad`` goes here)."""

    _target = False


class enable_grad(_ModeSwitch):
    """Context manager / decorator: turn graph recording back on inside a ``no_grad`` block."""

    _target = True


class set_grad_enabled(_ModeSwitch):
    """Set grad mode to ``mode``: immediately when called, restored at the end of a ``with``."""

    def __init__(self, mode: bool) -> None:
        self._prev = _mode.enabled
        self._target = bool(mode)
        _mode.enabled = self._target

    def __enter__(self) -> None:
        pass

    def __call__(self, func: Callable) -> Callable:
        _mode.enabled = self._prev  # as a decorator, the call above must not leak
        target = self._target

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(target):
                return func(*args, **kwargs)

        return wrapper


# --------------------------------------------------------------------------- graph nodes

_FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


class _Version:
    """A tensor's in-place modification counter, shared between a tensor and its views."""

    __slots__ = ("v",)

    def __init__(self) -> None:
        self.v = 0


class AccumulateGrad:
    """Stands for a leaf in ``grad_fn.next_functions`` (as in PyTorch)."""

    def __init__(self, variable) -> None:
        self.variable = variable

    def name(self) -> str:
        return "AccumulateGrad"

    def __repr__(self) -> str:
        return "<AccumulateGrad>"


class Context:
    """The node a ``Function`` leaves in the graph; ``tensor.grad_fn`` and ``ctx`` are this object.

    In ``forward`` store what ``backward`` needs with :meth:`save_for_backward` (arrays) or as
    plain attributes (``ctx.dim = dim``). ``needs_input_grad[i]`` tells whether input ``i``
    wants a gradient, so ``backward`` may skip work and return ``None`` for it.
    """

    __slots__ = ("fn", "saved", "needs_input_grad", "edges", "in_meta", "out_meta", "versions",
                 "hooks", "retained", "freed", "non_diff", "materialize_grads", "__dict__",
                 "__weakref__")

    def __init__(self) -> None:
        self.fn = None
        self.saved = ()
        self.needs_input_grad = ()
        self.edges = ()
        self.in_meta = ()
        self.out_meta = ()
        self.versions = ()
        self.hooks = None
        self.retained = None
        self.freed = False
        self.non_diff = None
        self.materialize_grads = True

    # ---- the ctx API used inside Functions
    def save_for_backward(self, *arrays) -> None:
        """Keep arrays for ``backward``; they are freed after it unless ``retain_graph=True``."""
        self.saved = arrays

    @property
    def saved_tensors(self) -> tuple:
        if self.freed:
            raise RuntimeError(_FREED_MSG)
        return self.saved

    def mark_non_differentiable(self, *arrays) -> None:
        """Declare outputs (by identity) that carry no gradient, e.g. arg-max indices."""
        self.non_diff = tuple(id(a) for a in arrays)

    def set_materialize_grads(self, value: bool) -> None:
        """If False, ``backward`` receives ``None`` for outputs that got no gradient."""
        self.materialize_grads = bool(value)

    def __getattr__(self, name: str):
        # only reached for attributes that are missing: freed ones deserve the real reason
        if object.__getattribute__(self, "freed"):
            raise RuntimeError(_FREED_MSG)
        raise AttributeError(f"'{self.name()}' context has no attribute '{name}'")

    # ---- the grad_fn API
    def name(self) -> str:
        return f"{self.fn.__name__}Backward" if self.fn is not None else "Context"

    @property
    def next_functions(self) -> tuple:
        out = []
        for e in self.edges:
            if e is None:
                out.append((None, 0))
            elif e[1] < 0:
                out.append((AccumulateGrad(e[0]), 0))
            else:
                out.append(e)
        return tuple(out)

    def register_hook(self, hook: Callable) -> None:
        raise NotImplementedError("grad_fn.register_hook is not supported; use "
                                  "Tensor.register_hook on the tensor instead")

    def release(self) -> None:
        self.saved = None
        self.__dict__.clear()
        self.freed = True

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"


class Function:
    """Base class of every differentiable op, PyTorch's ``autograd.Function`` API.

    Subclass it with two static methods working on NumPy arrays (never Tensors)::

        class Mul(Function):
            # d(a*b)/da = b ; d(a*b)/db = a
            @staticmethod
            def forward(ctx, a, b):
                ctx.save_for_backward(a, b)
                return a * b

            @staticmethod
            def backward(ctx, g):
                a, b = ctx.saved_tensors
                return g * b, g * a

    and call ``Mul.apply(x, y)`` on Tensors (other arguments pass through unchanged).
    ``backward`` returns one gradient per ``forward`` argument (``None`` where there is none);
    gradients may have the broadcast shape of the output: the engine sums them back to each
    input's shape. ``forward`` may return a tuple; ``backward`` then receives one gradient per
    output.
    """

    #: outputs of this op may share memory with the first input (reshape, slicing, ...)
    is_view: bool = False

    @staticmethod
    def forward(ctx: Context, *args, **kwargs):
        raise NotImplementedError("Function subclasses must implement forward(ctx, *args)")

    @staticmethod
    def backward(ctx: Context, *grads):
        raise NotImplementedError("Function subclasses must implement backward(ctx, *grads)")

    @staticmethod
    def error(arrays: list, kwargs: dict, exc: Exception) -> Exception | None:
        """Turn a NumPy error raised in ``forward`` into a clear one (None: re-raise as is)."""
        return None

    @classmethod
    def apply(cls, *args, **kwargs):
        Tensor = _Tensor
        ctx = Context()
        arrays = []
        needs = []
        any_req = False
        for a in args:
            if isinstance(a, Tensor):
                arrays.append(a.data)
                r = a.requires_grad
                needs.append(r)
                any_req = any_req or r
            else:
                arrays.append(a)
                needs.append(False)
        ctx.needs_input_grad = tuple(needs)
        try:
            out = cls.forward(ctx, *arrays, **kwargs)
        except (ValueError, IndexError, TypeError) as exc:
            better = cls.error(arrays, kwargs, exc)
            if better is None:
                raise
            raise better from None
        multi = isinstance(out, tuple)
        outs = out if multi else (out,)
        wrap = Tensor._wrap
        if not (any_req and _mode.enabled):
            results = tuple(wrap(o) for o in outs)
            if cls.is_view:
                _share_version(args, results)
            if _apply_observers:
                for observe in tuple(_apply_observers):
                    observe(cls, args, kwargs, results)
            return results if multi else results[0]

        ctx.fn = cls
        edges = []
        in_meta = []
        for a, need in zip(args, needs):
            if need:
                edges.append((a._ctx, a._out_idx) if a._ctx is not None else (a, -1))
                in_meta.append((a.data.shape, a.data.dtype))
            else:
                edges.append(None)
                in_meta.append(None)
        ctx.edges = tuple(edges)
        ctx.in_meta = tuple(in_meta)
        non_diff = ctx.non_diff
        results = []
        for i, o in enumerate(outs):
            t = wrap(o)
            if non_diff is None or id(o) not in non_diff:
                t.requires_grad = True
                t._ctx = ctx
                t._out_idx = i
            results.append(t)
        ctx.out_meta = tuple((t.data.shape, t.data.dtype) for t in results)
        if cls.is_view:
            _share_version(args, results)
        saved = ctx.saved
        if saved:
            vers = []
            for s in saved:
                if isinstance(s, np.ndarray):
                    for t in (*args, *results):
                        if isinstance(t, Tensor) and t.data is s:
                            vers.append((t._version, t._version.v, s.shape, s.dtype))
                            break
            if vers:
                ctx.versions = tuple(vers)
        if _apply_observers:
            for observe in tuple(_apply_observers):
                observe(cls, args, kwargs, tuple(results))
        return tuple(results) if multi else results[0]


# Callables ``observe(cls, args, kwargs, results)`` run after every ``Function.apply`` (args:
# what apply got, Tensors and constants; results: the output Tensors, a tuple). Empty in normal
# use, so an op pays one list test. Anomaly mode and graph tracing (ONNX export) use it.
_apply_observers: list = []


class _ObserverHandle:
    def __init__(self, fn) -> None:
        self.fn = fn

    def remove(self) -> None:
        if self.fn in _apply_observers:
            _apply_observers.remove(self.fn)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def add_apply_observer(fn) -> _ObserverHandle:
    """Call ``fn(cls, args, kwargs, results)`` after every ``Function.apply`` until the returned
    handle's ``remove()`` (or the end of its ``with`` block)."""
    _apply_observers.append(fn)
    return _ObserverHandle(fn)


def _share_version(args, results) -> None:
    """View outputs share the modification counter of the tensor they view."""
    base = next((a for a in args if isinstance(a, _Tensor)), None)
    if base is None:
        return
    for t in results:
        if np.may_share_memory(t.data, base.data):
            t._version = base._version
            t._is_view = True


# --------------------------------------------------------------------------- anomaly mode


class _AnomalyMode:
    enabled = False
    check_nan = True
    handle = None  # the apply observer that records creation sites while the mode is on


_anomaly = _AnomalyMode()
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def is_anomaly_enabled() -> bool:
    """Whether anomaly mode (:class:`detect_anomaly`) is on."""
    return _anomaly.enabled


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly mode is on and checks backward gradients for NaN/Inf."""
    return _anomaly.enabled and _anomaly.check_nan


def _record_creation_site(cls, args, kwargs, results) -> None:
    """Apply observer of anomaly mode: keep the call stack that created each graph node."""
    for t in results:
        ctx = t._ctx
        if ctx is not None:
            break
    else:
        return  # no graph recorded (no_grad, or no input requires grad)
    if "_anomaly_stack" in ctx.__dict__:
        return
    stack = []
    f = sys._getframe(2)  # skip this observer and Function.apply
    while f is not None:
        stack.append((f.f_code.co_filename, f.f_lineno, f.f_code.co_name))
        f = f.f_back
    ctx.__dict__["_anomaly_stack"] = stack


def _set_anomaly(enabled: bool, check_nan: bool) -> None:
    _anomaly.enabled = enabled
    _anomaly.check_nan = check_nan
    if enabled and _anomaly.handle is None:
        _anomaly.handle = add_apply_observer(_record_creation_site)
    elif not enabled and _anomaly.handle is not None:
        _anomaly.handle.remove()
        _anomaly.handle = None


class detect_anomaly:
    """Context manager that turns anomaly mode on for its block (``torch.autograd.detect_anomaly``).

    While it is on, every graph node remembers the call stack that created it, and each
    ``backward`` of a node is checked (with ``check_nan=True``): if it returns a gradient with a
    NaN or an infinity, a ``RuntimeError`` names the op (``Function 'LogBackward' returned nan
    values in its 0th output``), the ``file:line`` and source text of the user code that created
    the node (the innermost frame outside the gradlab package), and the forward traceback.

    As in PyTorch, forward outputs are not checked (a NaN loss is visible already; the question
    anomaly mode answers is which op's backward made it); unlike PyTorch, infinities count as
    well as NaNs, since an infinite gradient turns into NaN one op later. Nodes created before
    the mode was switched on carry no creation site. The mode costs a stack walk per op and a
    finiteness test per gradient: use it for debugging only. Off, the engine pays one flag test
    per backward call. Seed 000 Q64 (gradient checking, babysitting the learning process).
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = bool(check_nan)

    def __enter__(self) -> None:
        self._prev = (_anomaly.enabled, _anomaly.check_nan)
        _set_anomaly(True, self.check_nan)

    def __exit__(self, *exc) -> None:
        _set_anomaly(*self._prev)


class set_detect_anomaly:
    """Turn anomaly mode on or off (``mode``): immediately when called, and restored at the end
    of a ``with`` block (``torch.autograd.set_detect_anomaly``); see :class:`detect_anomaly`."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._prev = (_anomaly.enabled, _anomaly.check_nan)
        _set_anomaly(bool(mode), bool(check_nan))

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        _set_anomaly(*self._prev)


def _user_frame(stack: list) -> tuple:
    """The innermost frame outside the gradlab package (else the op's caller)."""
    for frame in stack:
        if not frame[0].startswith(_PACKAGE_DIR):
            return frame
    return stack[0]


def _anomaly_error(node: Context, index: int, g: np.ndarray) -> RuntimeError:
    what = "nan" if np.isnan(g).any() else "inf"
    op = node.fn.__name__
    msg = f"Function '{node.name()}' returned {what} values in its {index}th output."
    stack = node.__dict__.get("_anomaly_stack")
    if stack is None:
        return RuntimeError(msg + f" The {op} op was created before anomaly mode was switched "
                            "on, so its creation site is unknown.")
    filename, lineno, func = _user_frame(stack)
    source = linecache.getline(filename, lineno).strip()
    lines = [msg, f"The {op} op was created at {filename}:{lineno} in {func}:", f"    {source}",
             "Traceback of the forward call that created it (most recent call last):"]
    for fn, ln, name in reversed(stack):
        lines.append(f'  File "{fn}", line {ln}, in {name}')
        text = linecache.getline(fn, ln).strip()
        if text:
            lines.append(f"    {text}")
    return RuntimeError("\n".join(lines))


def _check_anomaly(node: Context, in_grads: tuple) -> None:
    """Raise if a gradient that ``node.backward`` returned holds a NaN or an infinity."""
    for i, g in enumerate(in_grads):
        if g is None:
            continue
        a = np.asarray(g)
        if a.dtype.kind in "fc" and not np.isfinite(a).all():
            raise _anomaly_error(node, i, a)


# --------------------------------------------------------------------------- the engine


def _sum_to(g: np.ndarray, meta: tuple, node: Context) -> np.ndarray:
    """Reduce a gradient of a broadcast shape to the input's ``(shape, dtype)``."""
    shape, dtype = meta
    if type(g) is not np.ndarray:
        g = np.asarray(g)
    if g.shape != shape:
        lead = g.ndim - len(shape)
        if lead < 0:
            raise RuntimeError(f"{node.name()} returned a gradient of shape {g.shape} for an "
                               f"input of shape {shape}")
        axes = tuple(range(lead)) + tuple(
            i + lead for i, s in enumerate(shape) if s == 1 and g.shape[i + lead] != 1)
        if (lead == 1 and g.ndim == 2 and len(axes) == 1 and g.dtype.kind == "f"
                and g.flags.c_contiguous):
            # a bias-like sum over the batch axis: ones @ G is one BLAS call (DESIGN "Speed")
            g = np.ones(g.shape[0], dtype=g.dtype) @ g
        elif axes:
            g = g.sum(axis=axes)
        if g.shape != shape:
            try:
                g = g.reshape(shape)
            except ValueError:
                raise RuntimeError(f"{node.name()} returned a gradient of shape {g.shape} for "
                                   f"an input of shape {shape}") from None
    if g.dtype != dtype:
        g = g.astype(dtype)
    return g


def _toposort(starts: Sequence[Context]) -> list:
    """Nodes reachable from ``starts``, each before every node it depends on (iterative DFS)."""
    visited = set()
    order = []
    for start in starts:
        if start in visited:
            continue
        visited.add(start)
        stack = [(start, iter(start.edges))]
        while stack:
            node, it = stack[-1]
            for e in it:
                if e is not None and e[1] >= 0 and e[0] not in visited:
                    child = e[0]
                    visited.add(child)
                    stack.append((child, iter(child.edges)))
                    break
            else:
                stack.pop()
                order.append(node)
    order.reverse()
    return order


def _run_hooks(hooks, g: np.ndarray) -> np.ndarray:
    for h in hooks:
        r = h(_Tensor._wrap(g))
        if r is not None:
            g = r.data if isinstance(r, _Tensor) else np.asarray(r, dtype=g.dtype)
    return g


def _engine(roots, retain_graph: bool, capture=None, accumulate: bool = True):
    """Back-propagate ``roots`` ([(tensor, grad array)]).

    ``capture`` maps keys (``id(leaf)`` or ``(node, idx)``) to slots to fill instead of (with
    ``accumulate=False``) writing ``.grad``; it is how :func:`grad` works.
    """
    grads: dict = {}
    leaf_grads: dict = {}

    def send(edge, g):
        target, idx = edge
        if idx < 0:
            key = id(target)
            prev = leaf_grads.get(key)
            leaf_grads[key] = (target, g) if prev is None else (target, prev[1] + g)
        else:
            lst = grads.get(target)
            if lst is None:
                lst = grads[target] = [None] * len(target.out_meta)
            lst[idx] = g if lst[idx] is None else lst[idx] + g

    starts = []
    for t, g in roots:
        if t._ctx is None:
            send((t, -1), g)
        else:
            send((t._ctx, t._out_idx), g)
            starts.append(t._ctx)

    check_anomaly = _anomaly.enabled and _anomaly.check_nan
    for node in _toposort(starts):
        gl = grads.pop(node, None)
        if gl is None:
            continue
        if node.materialize_grads:
            for i, g in enumerate(gl):
                if g is None:
                    shape, dt = node.out_meta[i]
                    gl[i] = np.zeros(shape, dtype=dt)
        if node.hooks:
            for idx, hooks in node.hooks.items():
                if gl[idx] is not None:
                    gl[idx] = _run_hooks(hooks, gl[idx])
        if node.retained:
            for idx, ref in node.retained.items():
                t = ref()
                if t is not None and gl[idx] is not None:
                    _accumulate(t, gl[idx])
        if capture is not None:
            for idx in range(len(gl)):
                key = (node, idx)
                if key in capture:
                    capture[key] = gl[idx]
        for ver, v, shape, dt in node.versions:
            if ver.v != v:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: [gradlab.{dt} tensor of shape {list(shape)}], saved "
                    f"by {node.name()}, is at version {ver.v}; expected version {v} instead. "
                    "Use an out-of-place op, or .clone() the tensor before modifying it.")
        in_grads = node.fn.backward(node, *gl)
        if not isinstance(in_grads, tuple):
            in_grads = (in_grads,)
        if check_anomaly:
            _check_anomaly(node, in_grads)
        if len(in_grads) != len(node.edges):
            raise RuntimeError(f"function {node.name()} returned an incorrect number of "
                               f"gradients (expected {len(node.edges)}, got {len(in_grads)})")
        for edge, g, meta in zip(node.edges, in_grads, node.in_meta):
            if edge is None or g is None:
                continue
            send(edge, _sum_to(g, meta, node))
        if not retain_graph:
            node.release()

    for key, (t, g) in leaf_grads.items():
        if t._hooks:
            g = _run_hooks(t._hooks, g)
        if capture is not None and key in capture:
            capture[key] = g
        if accumulate:
            _accumulate(t, g)


def _accumulate(t, g: np.ndarray) -> None:
    if g.dtype != t.data.dtype:
        g = g.astype(t.data.dtype)
    if t.grad is None:
        t.grad = _Tensor._wrap(np.array(g, copy=True))
    else:
        t.grad.data = t.grad.data + g


def _root_grads(tensors, grad_tensors, fn_name: str):
    Tensor = _Tensor
    if isinstance(tensors, Tensor):
        tensors = (tensors,)
    if grad_tensors is None or isinstance(grad_tensors, Tensor):
        grad_tensors = (grad_tensors,) * len(tensors) if grad_tensors is None else (grad_tensors,)
    if len(grad_tensors) != len(tensors):
        raise RuntimeError(f"{fn_name}: got {len(tensors)} outputs but {len(grad_tensors)} "
                           "gradients")
    roots = []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if not t.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not "
                               "have a grad_fn")
        if g is None:
            if t.data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs "
                                   f"(got an output of shape {tuple(t.shape)}); pass "
                                   "gradient= to backward()")
            garr = np.ones(t.data.shape, dtype=t.data.dtype)
        else:
            garr = g.data if isinstance(g, Tensor) else np.asarray(g, dtype=t.data.dtype)
            if garr.shape != t.data.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                                   f"{tuple(garr.shape)} and output[{i}] has a shape of "
                                   f"{tuple(t.data.shape)}")
        roots.append((t, garr))
    return roots


def backward(tensors, grad_tensors=None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs=None) -> None:
    """Accumulate into ``.grad`` of leaves the gradient of ``tensors`` (``Tensor.backward``)."""
    if create_graph:
        raise NotImplementedError("create_graph=True (higher-order gradients) is not "
                                  "supported by gradlab: backward passes work on NumPy arrays")
    roots = _root_grads(tensors, grad_tensors, "backward")
    if inputs is not None:
        inputs = (inputs,) if isinstance(inputs, _Tensor) else tuple(inputs)
        cap = {_key(t): None for t in inputs}
        _engine(roots, bool(retain_graph), capture=cap, accumulate=False)
        for t in inputs:
            g = cap[_key(t)]
            if g is not None:
                _accumulate(t, g)
        return
    _engine(roots, bool(retain_graph))


def _key(t):
    return id(t) if t._ctx is None else (t._ctx, t._out_idx)


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool = False) -> tuple:
    """Gradients of ``outputs`` with respect to ``inputs``, returned instead of written to .grad.

    Like ``torch.autograd.grad`` (first order only).
    """
    if create_graph:
        raise NotImplementedError("create_graph=True (higher-order gradients) is not "
                                  "supported by gradlab")
    single = isinstance(inputs, _Tensor)
    inputs = (inputs,) if single else tuple(inputs)
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad")
    roots = _root_grads(outputs, grad_outputs, "grad")
    cap = {_key(t): None for t in inputs}
    _engine(roots, bool(retain_graph), capture=cap, accumulate=False)
    res = []
    for i, t in enumerate(inputs):
        g = cap[_key(t)]
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: input {i} was not used in the graph of the outputs; "
                               "pass allow_unused=True to get None for it")
        res.append(None if g is None else _Tensor._wrap(np.array(g, copy=True)))
    return tuple(res)


# --------------------------------------------------------------------------- gradcheck


class GradcheckError(RuntimeError):
    """Raised by :func:`gradcheck` when analytical and numerical gradients disagree."""


def _as_tuple(x) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def gradcheck(fn: Callable, inputs, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Compare the gradients of ``fn`` with central finite differences, in float64.

    For every input ``x_j`` that requires grad and every output ``y_i`` the full Jacobian is
    computed twice: numerically, ``(f(x + eps e_k) - f(x - eps e_k)) / (2 eps)`` for each
    element ``k``, and analytically, one backward pass per output element. They must agree
    within ``atol + rtol * |numerical|``. On a mismatch the report names the output, the input
    and the element (seed 003 "Gradient checking", seed 000 Q64).

    Returns True, or raises :class:`GradcheckError` (False with ``raise_exception=False``).
    """
    Tensor = _Tensor
    inputs = _as_tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradcheck: no input requires grad; call requires_grad_() on the "
                         "inputs to check")
    for i in diff:
        if inputs[i].data.dtype != np.float64:
            raise ValueError(f"gradcheck: input {i} is {inputs[i].dtype}; finite differences "
                             "need float64 inputs (use .double())")
        if not inputs[i].data.flags.c_contiguous:
            inputs[i].data = np.ascontiguousarray(inputs[i].data)

    def evaluate():
        with no_grad():
            return [o.data.copy() for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor)]

    with enable_grad():
        outs = [o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor)]
    outs_diff = [(oi, o) for oi, o in enumerate(outs) if o.dtype.is_floating_point]

    for i in diff:
        x = inputs[i]
        flat = x.data.reshape(-1)
        numerical = [np.zeros((flat.size, o.data.size)) for _, o in outs_diff]
        for k in range(flat.size):
            orig = flat[k]
            flat[k] = orig + eps
            plus = evaluate()
            flat[k] = orig - eps
            minus = evaluate()
            flat[k] = orig
            for j, (oi, _) in enumerate(outs_diff):
                numerical[j][k] = ((plus[oi] - minus[oi]) / (2 * eps)).reshape(-1)
        for j, (oi, o) in enumerate(outs_diff):
            analytical = np.zeros((flat.size, o.data.size))
            if o.requires_grad:
                for m in range(o.data.size):
                    seed = np.zeros(o.data.size, dtype=o.data.dtype)
                    seed[m] = 1.0
                    cap = {_key(x): None}
                    _engine([(o, seed.reshape(o.data.shape))], True, capture=cap,
                            accumulate=False)
                    g = cap[_key(x)]
                    if g is not None:
                        analytical[:, m] = g.reshape(-1)
            bad = np.abs(analytical - numerical[j]) > atol + rtol * np.abs(numerical[j])
            if bad.any():
                k, m = np.argwhere(bad)[0]
                in_idx = tuple(int(v) for v in np.unravel_index(k, x.data.shape))
                out_idx = tuple(int(v) for v in np.unravel_index(m, o.data.shape))
                msg = (f"gradcheck: Jacobian mismatch for output {oi} with respect to input {i} "
                       f"(shape {tuple(x.shape)}): d out{list(out_idx)} / d in{list(in_idx)} "
                       f"numerical {numerical[j][k, m]:.8g} vs analytical "
                       f"{analytical[k, m]:.8g} ({int(bad.sum())} of {bad.size} entries differ; "
                       f"atol={atol}, rtol={rtol})")
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True


from gradlab.autograd import functional  # noqa: E402, F401  (jacobian, vjp; needs the engine)
