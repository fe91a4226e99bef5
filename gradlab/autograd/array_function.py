"""Graph nodes and gradlab's own ops: ``ArrayFunction`` (the array-level base of every
primitive), the ``Context`` a call of it leaves in the graph, ``AccumulateGrad`` and the version
counter of in-place changes.

A graph is built while ops run: every ``ArrayFunction.apply`` on tensors that require grad
creates a :class:`Context` (the node, exposed as ``tensor.grad_fn``) that remembers which inputs
it came from and whatever its ``forward`` saved for ``backward``; the engine (engine.py) walks
these nodes backwards. The user-facing ``autograd.Function`` (function.py, torch's: forward and
backward on Tensors) builds the same nodes, with a :class:`Context` subclass of its own.

The Tensor class lives on the floor above (gradlab.tensor imports this package), so autograd
cannot import it: gradlab.tensor hands it over once with :func:`register_tensor_type`, and
autograd reads it from ``_tensor.cls`` (this file, function.py, engine.py, gradcheck.py,
functional.py).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from .grad_mode import _mode
from .observers import _apply_observers, notify_observers


class _TensorType:
    """Where autograd finds the Tensor class; written only by :func:`register_tensor_type`."""

    __slots__ = ("cls",)

    def __init__(self) -> None:
        self.cls: Any = None


_tensor = _TensorType()


def register_tensor_type(cls: type) -> None:
    """Tell autograd which class is the Tensor: ``ArrayFunction.apply`` wraps forward outputs in
    it, the engine wraps gradients in it. Called once, by gradlab.tensor when it defines Tensor
    (gradlab.tensor imports autograd, so autograd cannot import it back)."""
    _tensor.cls = cls


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
    """Stands for a leaf in ``grad_fn.next_functions`` (as in PyTorch): ``.variable`` is the leaf.

    One object per leaf while it is referenced (``next_functions`` read twice gives the same
    object, as torch's); it holds the leaf, and is forgotten when no one holds it any more.
    """

    __slots__ = ("variable", "__weakref__")

    def __init__(self, variable) -> None:
        self.variable = variable

    @staticmethod
    def of(variable) -> AccumulateGrad:
        """The AccumulateGrad node of the leaf ``variable`` (created on first use)."""
        acc = _accumulators.get(id(variable))
        if acc is None or acc.variable is not variable:
            acc = _accumulators[id(variable)] = AccumulateGrad(variable)
        return acc

    def name(self) -> str:
        return "AccumulateGrad"

    @property
    def next_functions(self) -> tuple:
        return ()

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"


# id(leaf) -> its AccumulateGrad; the node keeps the leaf alive, so the id is not reused while
# the entry exists
_accumulators: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


class Context:
    """The node an ``ArrayFunction`` leaves in the graph; ``tensor.grad_fn`` and ``ctx`` are
    this object (a user's ``autograd.Function`` gets the subclass ``FunctionCtx``, function.py,
    whose ctx API takes Tensors).

    In ``forward`` store what ``backward`` needs with :meth:`save_for_backward` (arrays) or as
    plain attributes (``ctx.dim = dim``). ``needs_input_grad[i]`` tells whether input ``i``
    wants a gradient, so ``backward`` may skip work and return ``None`` for it.

    Every Function has its own subclass of Context, made once when the Function is defined
    (``ArrayFunction._node``, ``Function._node``), whose class name is the node's name as torch
    prints it: a user's
    ``Cube`` gives ``CubeBackward`` (torch's name for a custom Function), gradlab's primitives
    torch's built-in names (``AddBackward0``, ``MmBackward0``; the table is
    gradlab/ops/_names.py). ``type(y.grad_fn).__name__ == y.grad_fn.name()``, as in torch.
    """

    #: positions of the inputs torch lists in ``next_functions`` (None: all of them); torch
    #: lists tensor inputs only, gradlab's edges include the non-tensor arguments
    _shown: tuple | None = None
    #: a user's Function (repr with the module, as torch's custom Functions) or a primitive
    _custom: bool = True

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
        return type(self).__name__

    @property
    def next_functions(self) -> tuple:
        """``((node, output index), ...)`` per input: a leaf as its :class:`AccumulateGrad`,
        an input that needs no gradient as ``(None, 0)``."""
        edges = self.edges
        if self._shown is not None:
            edges = tuple(edges[i] if i < len(edges) else None for i in self._shown)
        out = []
        for e in edges:
            if e is None:
                out.append((None, 0))
            elif e[1] < 0:
                out.append((AccumulateGrad.of(e[0]), 0))
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
        cls = type(self)
        where = f"{cls.__module__}." if self._custom and cls is not Context else ""
        return f"<{where}{cls.__qualname__} object at {id(self):#x}>"


#: the module a node's repr names, as torch's ``<torch.autograd.function.CubeBackward ...>``
NODE_MODULE = "gradlab.autograd.function"


def node_type(fn: type, name: str, shown: tuple | None = None, custom: bool = False,
              base: type = Context) -> type:
    """A subclass of ``base`` (:class:`Context`) named ``name``, for the nodes of ``fn``;
    ``shown``: the input positions ``next_functions`` lists (torch lists tensor inputs only)."""
    return type(name, (base,), {"__slots__": (), "__module__": NODE_MODULE, "__qualname__": name,
                                "_shown": shown, "_custom": custom})


def set_node_name(fn: type, name: str, shown: tuple | None = None) -> None:
    """Name the nodes ``fn`` makes from now on as torch names its built-in ones (``name``);
    ``shown`` as in :func:`node_type`. gradlab/ops/_names.py calls it for every primitive."""
    fn._node = node_type(fn, name, shown)


def rename_node(t, node: type):
    """Give the node that made ``t`` the name ``node`` (from :func:`node_type` for the same
    Function) where torch's name depends on how the op was called (``t()`` and
    ``transpose`` are one permute in gradlab, ``TBackward0`` and ``TransposeBackward0`` in
    torch); returns ``t``. Nothing happens when ``t`` has no node."""
    ctx = t._ctx
    if ctx is not None:
        ctx.__class__ = node
    return t


class ArrayFunction:
    """Base class of gradlab's own differentiable ops: ``autograd.Function``'s API on arrays.

    Subclass it with two static methods working on NumPy arrays (never Tensors)::

        class Mul(ArrayFunction):
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
    output. A user's op subclasses ``autograd.Function`` instead (function.py: torch's, on
    Tensors); this array-level pattern is the fast path of the primitives (no Tensor is made
    inside an op, no graph in ``backward``).
    """

    #: outputs of this op may share memory with the first input (reshape, slicing, ...)
    is_view: bool = False
    #: the class of this Function's nodes (``grad_fn``), one per Function (see Context)
    _node: type = Context

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls._node = node_type(cls, f"{cls.__name__}Backward", custom=True)

    @staticmethod
    def forward(ctx: Context, *args, **kwargs):
        raise NotImplementedError("ArrayFunction subclasses must implement forward(ctx, *args)")

    @staticmethod
    def backward(ctx: Context, *grads):
        raise NotImplementedError("ArrayFunction subclasses must implement "
                                  "backward(ctx, *grads)")

    @staticmethod
    def error(arrays: list, kwargs: dict, exc: Exception) -> Exception | None:
        """Turn a NumPy error raised in ``forward`` into a clear one (None: re-raise as is)."""
        return None

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` on the arrays of ``args`` and return its outputs as Tensors; when an
        input requires grad and grad mode is on, the outputs get ``ctx`` as their ``grad_fn``."""
        Tensor = _tensor.cls
        ctx = cls._node()
        arrays, ctx.needs_input_grad = _unwrap(args, Tensor)
        out = _run_forward(cls, ctx, arrays, kwargs)
        multi = isinstance(out, tuple)
        outs = out if multi else (out,)
        record = any(ctx.needs_input_grad) and _mode.enabled
        if record:
            _link_inputs(ctx, cls, args)
            results = _link_outputs(ctx, outs, Tensor)
        else:
            results = tuple(Tensor._wrap(o) for o in outs)
        if cls.is_view:
            _share_version(args, results)
        if record:
            _note_saved_versions(ctx, args, results, Tensor)
        if _apply_observers:
            notify_observers(cls, args, kwargs, results)
        return results if multi else results[0]


# --------------------------------------------------------------------------- the jobs of apply


def _unwrap(args: tuple, Tensor) -> tuple[list, tuple]:
    """The arrays ``forward`` gets (a Tensor's data, anything else as is) and, per argument,
    whether it requires grad (``ctx.needs_input_grad``)."""
    arrays = []
    needs = []
    for a in args:
        if isinstance(a, Tensor):
            arrays.append(a.array)
            needs.append(a.requires_grad)
        else:
            arrays.append(a)
            needs.append(False)
    return arrays, tuple(needs)


def _run_forward(cls, ctx: Context, arrays: list, kwargs: dict):
    """``cls.forward``, with a NumPy error turned into the clearer one ``cls.error`` gives."""
    try:
        return cls.forward(ctx, *arrays, **kwargs)
    except (ValueError, IndexError, TypeError) as exc:
        better = cls.error(arrays, kwargs, exc)
        if better is None:
            raise
        raise better from None


def _link_inputs(ctx: Context, cls, args: tuple) -> None:
    """Make ``ctx`` a node of ``cls``: an edge to each input that needs a gradient (its
    ``grad_fn`` and output index, or the leaf itself with index -1) and its (shape, dtype)."""
    ctx.fn = cls
    edges = []
    in_meta = []
    for a, need in zip(args, ctx.needs_input_grad):
        if need:
            edges.append((a._ctx, a._out_idx) if a._ctx is not None else (a, -1))
            in_meta.append((a.array.shape, a.array.dtype))
        else:
            edges.append(None)
            in_meta.append(None)
    ctx.edges = tuple(edges)
    ctx.in_meta = tuple(in_meta)


def _link_outputs(ctx: Context, outs: tuple, Tensor) -> tuple:
    """Wrap the outputs; each differentiable one requires grad and has ``ctx`` as grad_fn."""
    wrap = Tensor._wrap
    non_diff = ctx.non_diff
    results = []
    for i, o in enumerate(outs):
        t = wrap(o)
        if non_diff is None or id(o) not in non_diff:
            t._requires_grad = True
            t._ctx = ctx
            t._out_idx = i
        results.append(t)
    ctx.out_meta = tuple((t.array.shape, t.array.dtype) for t in results)
    return tuple(results)


def _note_saved_versions(ctx: Context, args: tuple, results: tuple, Tensor) -> None:
    """Remember the version of every saved array that is an input's or output's data, so the
    engine can tell when an in-place op changed it before ``backward`` ran."""
    saved = ctx.saved
    if not saved:
        return
    vers = []
    for s in saved:
        if isinstance(s, np.ndarray):
            for t in (*args, *results):
                if isinstance(t, Tensor) and t.array is s:
                    vers.append((t._version, t._version.v, s.shape, s.dtype))
                    break
    if vers:
        ctx.versions = tuple(vers)


def _share_version(args, results) -> None:
    """View outputs share the modification counter of the tensor they view."""
    base = next((a for a in args if isinstance(a, _tensor.cls)), None)
    if base is None:
        return
    for t in results:
        if np.may_share_memory(t.array, base.array):
            t._version = base._version
            t._is_view = True
