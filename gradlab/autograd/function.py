"""A user's differentiable op: ``Function`` (PyTorch's ``torch.autograd.Function``), its
``FunctionCtx`` and ``once_differentiable``.

A subclass defines static ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)`` on
**Tensors**, exactly as in torch, and is called as ``MyFn.apply(x, ...)``:

- ``forward`` runs without recording a graph (grad mode off) on the arguments as they are;
  the Tensors it returns become the op's outputs, with ``ctx`` as their ``grad_fn`` when an
  input requires grad; anything else it returns passes through.
- ``backward`` gets one gradient Tensor per output (zeros where none arrived, or ``None`` after
  ``ctx.set_materialize_grads(False)``) and returns one Tensor or ``None`` per ``forward``
  argument; a gradient may have the broadcast shape of the input (it is summed back). It runs
  without recording a graph.
- torch >= 2.0's style works too: ``forward(*args)`` without ctx plus
  ``setup_context(ctx, inputs, output)``.

gradlab's own primitives use the array-level base ``ArrayFunction`` (array_function.py), whose
``forward``/``backward`` take NumPy arrays: that path builds no Tensor inside an op. A user's
Function makes the same graph node (a :class:`FunctionCtx`, a subclass of the array level's
``Context``); the engine calls it through :class:`_EngineView`, which wraps the gradient arrays
in Tensors and checks what the user's ``backward`` returns as torch does.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable

import numpy as np

from .array_function import _FREED_MSG, Context, _link_inputs, _tensor, node_type
from .grad_mode import _mode
from .observers import _apply_observers, notify_observers

_LEGACY_MSG = ("Legacy autograd function with non-static forward method is deprecated. Please "
               "use new-style autograd function with static forward method. (Example: "
               "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")
_DIRTY_NOT_RETURNED = ("Some elements marked as dirty during the forward method were not "
                       "returned as output. The inputs that are modified inplace must all be "
                       "outputs of the Function.")
_DIRTY_NOT_INPUT = ("ctx.mark_dirty() received a tensor that was not an input. Only input "
                    "Tensors that have been mutated should be passed to ctx.mark_dirty().")


class FunctionCtx(Context):
    """The ``ctx`` of a user's :class:`Function` (torch's ``FunctionCtx``), and its graph node.

    In ``forward`` (or ``setup_context``): :meth:`save_for_backward` (Tensors or None; read back
    in ``backward`` as :attr:`saved_tensors`, refused there if one was changed in place since),
    :meth:`mark_dirty` (inputs ``forward`` changed in place), :meth:`mark_non_differentiable`
    (outputs without gradient), :meth:`set_materialize_grads`, ``needs_input_grad`` (one bool per
    argument) and any attribute of your own (``ctx.k = k``).
    """

    __slots__ = ("to_save", "dirty", "tensor_inputs", "materialize")

    def __init__(self) -> None:
        super().__init__()
        self.to_save = None
        self.dirty = ()
        self.tensor_inputs = ()
        self.materialize = True
        # the engine hands None for outputs that got no gradient; _EngineView makes the zeros
        # (it knows which outputs are Tensors)
        self.materialize_grads = False

    def save_for_backward(self, *tensors) -> None:
        """Keep Tensors (or None) for ``backward``; freed after it unless ``retain_graph``."""
        Tensor = _tensor.cls
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} "
                                f"is of type {_typename(t)}")
        self.to_save = tensors

    @property
    def saved_tensors(self) -> tuple:
        """The Tensors given to :meth:`save_for_backward` (their values at the end of forward)."""
        if self.freed:
            raise RuntimeError(_FREED_MSG)
        if self.to_save is not None:  # still inside forward / setup_context
            return tuple(self.to_save)
        wrap = _tensor.cls._wrap
        return tuple(None if a is None else wrap(a) for a in self.saved)

    def mark_dirty(self, *tensors) -> None:
        """Declare inputs that ``forward`` modified in place; each must be returned as an
        output: the input object itself becomes that output (its version goes up by one)."""
        self.dirty = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        """Declare outputs that carry no gradient (e.g. indices); they do not require grad."""
        self.non_diff = tuple(id(t) for t in tensors)

    def set_materialize_grads(self, value: bool) -> None:
        """If False, ``backward`` receives ``None`` (not zeros) for outputs without gradient."""
        self.materialize = bool(value)

    @property
    def next_functions(self) -> tuple:
        """As torch's: one entry per Tensor argument (non-Tensor arguments are not listed)."""
        edges = Context.next_functions.fget(self)
        return tuple(e for e, t in zip(edges, self.tensor_inputs) if t)


def once_differentiable(fn: Callable) -> Callable:
    """torch's marker for a ``backward`` that cannot itself be differentiated. gradlab has no
    double backward (``backward`` never records a graph), so it returns ``fn`` unchanged."""
    return fn


class Function:
    """Base class of a user's differentiable op, as ``torch.autograd.Function``::

        class Exp(Function):
            # d exp(x)/dx = exp(x)
            @staticmethod
            def forward(ctx, x):          # x: Tensor
                y = x.exp()
                ctx.save_for_backward(y)
                return y

            @staticmethod
            def backward(ctx, grad_output):  # grad_output: Tensor, shape of y
                (y,) = ctx.saved_tensors
                return grad_output * y

        y = Exp.apply(x)                  # never Exp()(x), nor Exp.forward directly

    See the module docstring for the rules, :class:`FunctionCtx` for the ctx API.
    """

    #: the class of this Function's nodes (``grad_fn``), one per Function, named as torch's
    _node: type = FunctionCtx
    #: what the engine calls for this Function's nodes (``node.fn``), one per Function
    _engine: _EngineView | None = None
    #: the signature of ``forward`` (the setup_context style binds arguments with it)
    _signature: inspect.Signature | None = None

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls._node = node_type(cls, f"{cls.__name__}Backward", custom=True, base=FunctionCtx)
        cls._engine = _EngineView(cls)
        cls._signature = None

    def __init__(self, *args, **kwargs) -> None:
        warnings.warn(f"{type(self)} should not be instantiated. Methods on autograd functions "
                      "are all static, so you should invoke them on the class itself. "
                      "Instantiating an autograd function will raise an error in a future "
                      "version of PyTorch.", DeprecationWarning, stacklevel=2)

    def __call__(self, *args, **kwargs):
        raise RuntimeError(_LEGACY_MSG)

    @staticmethod
    def forward(*args, **kwargs):
        """``forward(ctx, *args, **kwargs)`` (or ``forward(*args)`` with setup_context)."""
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx: FunctionCtx, inputs: tuple, output) -> None:
        """torch >= 2.0's style: save for backward here; ``forward`` then takes no ctx."""
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx: FunctionCtx, *grad_outputs):
        """One gradient Tensor per output in, one Tensor or None per forward argument out."""
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode "
                                  "AD.")

    # torch: vjp and backward are aliases, a subclass defines one of them
    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` on ``args`` without recording and return its outputs; when an input
        requires grad and grad mode is on, its Tensor outputs get ``ctx`` as ``grad_fn``."""
        Tensor = _tensor.cls
        setup = cls.setup_context is not Function.setup_context
        if kwargs or setup:  # as torch: keyword arguments are inputs in forward's order
            args = _bind(cls, args, kwargs, setup)
            kwargs = {}
        ctx = cls._node()
        ctx.tensor_inputs = tuple(isinstance(a, Tensor) for a in args)
        ctx.needs_input_grad = tuple(t and a.requires_grad
                                     for t, a in zip(ctx.tensor_inputs, args))
        enabled = _mode.enabled
        _mode.enabled = False
        try:
            if setup:
                out = cls.forward(*args)
                cls.setup_context(ctx, args, out)
            else:
                out = cls.forward(ctx, *args)
        finally:
            _mode.enabled = enabled
        multi = isinstance(out, tuple)
        record = enabled and any(ctx.needs_input_grad)
        if record:
            _link_inputs(ctx, cls._engine, args)
        results = _outputs(ctx, args, out if multi else (out,), record, Tensor)
        if record:
            _keep_saved(ctx)
        ctx.to_save = None
        if _apply_observers:
            notify_observers(cls, args, kwargs,
                             tuple(r for r in results if isinstance(r, Tensor)))
        return results if multi else results[0]


# --------------------------------------------------------------------------- the jobs of apply


def _typename(obj) -> str:
    t = type(obj)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _bind(cls, args: tuple, kwargs: dict, setup: bool) -> tuple:
    """``args`` and ``kwargs`` as positional arguments of ``cls.forward`` (after its ctx), as
    torch passes them: a keyword argument must name a positional parameter; the setup_context
    style fills every default, the old style those before the last argument given."""
    if cls._signature is None:
        cls._signature = inspect.signature(cls.forward)
    params = list(cls._signature.parameters.values())[0 if setup else 1:]
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    index = {p.name: i for i, p in enumerate(positional) if p.kind is p.POSITIONAL_OR_KEYWORD}
    for k in kwargs:
        if k not in index:
            raise TypeError(f"forward() got an unexpected keyword argument '{k}'")
        if index[k] < len(args):
            raise TypeError(f"forward() got multiple values for argument '{k}'")
    end = len(positional) if setup else max((index[k] + 1 for k in kwargs), default=0)
    out = list(args)
    for p in positional[len(args):end]:
        if p.name in kwargs:
            out.append(kwargs[p.name])
        elif p.default is not p.empty:
            out.append(p.default)
        else:
            raise TypeError(f"forward() missing required argument '{p.name}'")
    return tuple(out)


def _outputs(ctx: FunctionCtx, args: tuple, outs: tuple, record: bool, Tensor) -> tuple:
    """The op's outputs from what ``forward`` returned: a Tensor it made is returned itself
    (attached to the graph when ``record``), an input returned unchanged as a new Tensor viewing
    it (as torch's), a dirty input as itself; non-Tensors pass through."""
    inputs = {id(a) for a in args if isinstance(a, Tensor)}
    dirty = {id(t) for t in ctx.dirty}
    if not dirty <= {id(o) for o in outs}:
        raise RuntimeError(_DIRTY_NOT_RETURNED)
    if dirty - inputs:
        warnings.warn(_DIRTY_NOT_INPUT, UserWarning, stacklevel=3)
    non_diff = ctx.non_diff or ()
    results = []
    meta = []
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            results.append(o)
            meta.append(None)
            continue
        if id(o) in dirty and id(o) in inputs:
            if record:
                _check_dirty(o)
            o._version.v += 1
            t = o
        elif id(o) in inputs or (o.requires_grad and o._ctx is None):
            t = Tensor._wrap(o.array)  # torch returns a view of an input returned unchanged
            t._version = o._version
            t._is_view = True
        else:
            t = o
        if record:
            if id(o) not in non_diff and t.array.dtype.kind in "fc":
                t._requires_grad, t._ctx, t._out_idx = True, ctx, i
            elif t._ctx is not None:  # a dirty input that holds no gradient any more
                t._requires_grad, t._ctx = False, None
        results.append(t)
        meta.append((t.array.shape, t.array.dtype))
    ctx.out_meta = tuple(meta)
    return tuple(results)


def _check_dirty(t) -> None:
    """An input changed in place in a recorded graph: as torch, not a leaf that requires grad;
    as gradlab's own in-place ops, not a view of a tensor that requires grad."""
    if t.requires_grad and t._ctx is None:
        raise RuntimeError("a leaf Variable that requires grad has been used in an in-place "
                           "operation.")
    if t.requires_grad and t._is_view:
        raise RuntimeError("an in-place operation on a view of a tensor that requires grad is "
                           "not supported by gradlab; use the out-of-place op")


def _keep_saved(ctx: FunctionCtx) -> None:
    """Keep the arrays of the saved Tensors, and their versions as forward left them, so the
    engine refuses to run ``backward`` on values an in-place op changed afterwards."""
    tensors = ctx.to_save
    if not tensors:
        return
    ctx.saved = tuple(None if t is None else t.array for t in tensors)
    ctx.versions = tuple((t._version, t._version.v, t.array.shape, t.array.dtype)
                         for t in tensors if t is not None)


# --------------------------------------------------------------------------- backward


class _EngineView:
    """A user's Function as the engine calls a node's op (``node.fn.backward(node, *grads)``
    on arrays, ``node.fn.__name__``): gradients wrapped in Tensors, the user's ``backward`` run
    without recording, what it returns checked as torch does, arrays handed back."""

    def __init__(self, cls: type) -> None:
        self.cls = cls
        self.__name__ = cls.__name__

    def backward(self, ctx: FunctionCtx, *grads) -> tuple:
        wrap = _tensor.cls._wrap
        gts = []
        for g, meta in zip(grads, ctx.out_meta):
            if g is None and ctx.materialize and meta is not None:
                g = np.zeros(meta[0], dtype=meta[1])
            gts.append(None if g is None else wrap(g))
        user_backward = _user_backward(self.cls)
        enabled = _mode.enabled
        _mode.enabled = False
        try:
            out = user_backward(ctx, *gts)
        finally:
            _mode.enabled = enabled
        return _check_grads(ctx, out if isinstance(out, tuple) else (out,))


def _user_backward(cls) -> Callable:
    b, v = cls.backward, cls.vjp
    if b is not Function.backward and v is not Function.vjp:
        raise RuntimeError("Implementing both 'backward' and 'vjp' for a custom Function is not "
                           "allowed. You should only implement one of them.")
    return v if v is not Function.vjp else b


def _check_grads(ctx: FunctionCtx, grads: tuple) -> tuple:
    """The arrays of the gradients a user's ``backward`` returned, checked as torch checks
    them: one per forward argument (extra trailing Nones are dropped), Tensors or None, None
    for a non-Tensor argument, a shape the input's shape broadcasts to."""
    Tensor = _tensor.cls
    n = len(ctx.tensor_inputs)
    if len(grads) > n and all(g is None for g in grads[n:]):
        grads = grads[:n]
    if len(grads) != n:
        raise RuntimeError(f"function {ctx.name()} returned an incorrect number of gradients "
                           f"(expected {n}, got {len(grads)})")
    out = []
    for i, g in enumerate(grads):
        if g is None:
            out.append(None)
            continue
        if not isinstance(g, Tensor):
            raise RuntimeError(f"expected Variable or None (got {_typename(g)})")
        if not ctx.tensor_inputs[i]:
            raise RuntimeError(f"function {ctx.name()} returned a gradient different than None "
                               f"at position {i + 1}, but the corresponding forward input was "
                               "not a Variable")
        meta = ctx.in_meta[i]
        if meta is None:  # the input needs no gradient
            out.append(None)
            continue
        if not _expandable(meta[0], g.array.shape):
            raise RuntimeError(f"Function {ctx.name()} returned an invalid gradient at index "
                               f"{i} - got {list(g.array.shape)} but expected shape compatible "
                               f"with {list(meta[0])}")
        out.append(g.array)
    return tuple(out)


def _expandable(shape: tuple, target: tuple) -> bool:
    """Whether ``shape`` broadcasts to ``target`` (torch's ``is_expandable_to``)."""
    if len(shape) > len(target):
        return False
    return all(s == t or s == 1 for s, t in zip(reversed(shape), reversed(target)))
