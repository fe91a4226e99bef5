"""The backward engine: ``backward`` (``Tensor.backward``) and ``grad``.

``Tensor.backward`` (and :func:`grad`)

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

import sys
import weakref
from collections.abc import Sequence

import numpy as np

from .anomaly_mode import _anomaly, _check_anomaly
from .array_function import Context, _tensor


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
        r = h(_tensor.cls._wrap(g))
        if r is not None:
            g = r.array if isinstance(r, _tensor.cls) else np.asarray(r, dtype=g.dtype)
    return g


class _PendingGrads:
    """Gradients on their way: per node a slot for each output, per leaf one sum."""

    __slots__ = ("nodes", "leaves")

    def __init__(self) -> None:
        self.nodes: dict = {}  # node -> [grad of output 0, ...] (None: none arrived yet)
        self.leaves: dict = {}  # id(leaf) -> (leaf, grad)

    def send(self, edge: tuple, g: np.ndarray) -> None:
        """Add ``g`` to what ``edge`` (``(node, output index)`` or ``(leaf, -1)``) received."""
        target, idx = edge
        if idx < 0:
            key = id(target)
            prev = self.leaves.get(key)
            self.leaves[key] = (target, g) if prev is None else (target, prev[1] + g)
        else:
            lst = self.nodes.get(target)
            if lst is None:
                lst = self.nodes[target] = [None] * len(target.out_meta)
            lst[idx] = g if lst[idx] is None else lst[idx] + g

    def seed(self, roots) -> list:
        """Send each root's gradient; the nodes to start the walk from."""
        starts = []
        for t, g in roots:
            if t._ctx is None:
                self.send((t, -1), g)
            else:
                self.send((t._ctx, t._out_idx), g)
                starts.append(t._ctx)
        return starts


#: Post-accumulate-grad hooks: id(leaf) -> (weak reference to the leaf, [hooks]); kept here,
#: not on the tensor, so that copying or pickling a tensor carries no hooks (torch's choice).
#: While it is not empty each backward counts the edges into such leaves, to finish them as
#: soon as their gradient is complete.
_post_hooks: dict = {}


def _post_hooks_of(t) -> list | None:
    entry = _post_hooks.get(id(t))
    if entry is None or entry[0]() is not t:
        return None
    return entry[1]


def add_post_accumulate_grad_hook(t, hook) -> list:
    """Register ``hook`` on leaf ``t`` (``Tensor.register_post_accumulate_grad_hook``); the
    list it joins (for the handle's ``remove()``)."""
    lst = _post_hooks_of(t)
    if lst is None:
        key = id(t)
        lst = []

        def forget(_ref, key=key, lst=lst):
            if _post_hooks.get(key, (None, None))[1] is lst:
                del _post_hooks[key]

        _post_hooks[key] = (weakref.ref(t, forget), lst)
    lst.append(hook)
    return lst

#: Per running backward (innermost last), the callbacks queued by :func:`queue_callback`.
_callback_stack: list = []


def queue_callback(callback) -> None:
    """Run ``callback()`` once the running backward pass has finished (every leaf's ``.grad``
    written), as torch's ``Variable._execution_engine.queue_callback``. Only during backward
    (from a hook)."""
    if not _callback_stack:
        raise RuntimeError("queue_callback: final callbacks can only be installed during the "
                           "backward pass (from a hook)")
    _callback_stack[-1].append(callback)


def _leaf_edge_counts(order) -> dict:
    """id(leaf) -> number of edges into it, for the leaves with post-accumulate-grad hooks."""
    counts: dict = {}
    for node in order:
        for e in node.edges:
            if e is not None and e[1] < 0 and _post_hooks_of(e[0]):
                counts[id(e[0])] = counts.get(id(e[0]), 0) + 1
    return counts


def _engine(roots, retain_graph: bool, capture=None, accumulate: bool = True):
    """Back-propagate ``roots`` ([(tensor, grad array)]).

    ``capture`` maps keys (``id(leaf)`` or ``(node, idx)``) to slots to fill instead of (with
    ``accumulate=False``) writing ``.grad``; it is how :func:`grad` works. A leaf with a
    post-accumulate-grad hook is finished (``.grad`` written, hooks run) as soon as the last
    node that feeds it has run, so the hook can start work that overlaps the rest of backward;
    other leaves are finished at the end. Callbacks queued during the pass run after it.
    """
    _callback_stack.append([])
    try:
        pending = _PendingGrads()
        starts = pending.seed(roots)
        check_anomaly = _anomaly.enabled and _anomaly.check_nan
        order = _toposort(starts)
        early = _leaf_edge_counts(order) if _post_hooks and accumulate else None
        for node in order:
            _run_node(node, pending, capture, check_anomaly, retain_graph)
            if early:
                _finish_ready_leaves(node, early, pending.leaves, capture)
        _finish_leaves(pending.leaves, capture, accumulate)
    finally:
        callbacks = _callback_stack.pop()
    for cb in callbacks:
        cb()


def _run_node(node: Context, pending: _PendingGrads, capture, check_anomaly: bool,
              retain_graph: bool) -> None:
    """Run ``node``'s backward on the gradients it received and send its input gradients on
    (a function of its own, so no local name outlives it holding a gradient array)."""
    gl = pending.nodes.pop(node, None)
    if gl is None:
        return
    _prepare_output_grads(node, gl)
    if capture is not None:
        _capture_node(node, gl, capture)
    _check_versions(node)
    in_grads = _call_backward(node, gl, check_anomaly)
    for edge, g, meta in zip(node.edges, in_grads, node.in_meta):
        if edge is None or g is None:
            continue
        pending.send(edge, _sum_to(g, meta, node))
    if not retain_graph:
        node.release()


def _finish_ready_leaves(node: Context, counts: dict, leaf_grads: dict, capture) -> None:
    """Finish the leaves whose last incoming edge was ``node``'s."""
    for e in node.edges:
        if e is None or e[1] >= 0:
            continue
        key = id(e[0])
        left = counts.get(key)
        if left is None:
            continue
        if left > 1:
            counts[key] = left - 1
            continue
        del counts[key]
        if key in leaf_grads:
            _finish_leaves({key: leaf_grads.pop(key)}, capture, True)


def _prepare_output_grads(node: Context, gl: list) -> None:
    """The gradients of ``node``'s outputs as its ``backward`` takes them: zeros for outputs
    that got none (unless the node asked for ``None``), tensor hooks run, retained ``.grad``
    of non-leaf outputs filled."""
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


def _capture_node(node: Context, gl: list, capture: dict) -> None:
    """Fill the capture slots of ``node``'s outputs (non-leaf inputs of :func:`grad`)."""
    for idx in range(len(gl)):
        key = (node, idx)
        if key in capture:
            capture[key] = gl[idx]


def _check_versions(node: Context) -> None:
    """Refuse to run ``backward`` on arrays an in-place op changed after they were saved."""
    for ver, v, shape, dt in node.versions:
        if ver.v != v:
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by "
                f"an inplace operation: [gradlab.{dt} tensor of shape {list(shape)}], saved "
                f"by {node.name()}, is at version {ver.v}; expected version {v} instead. "
                "Use an out-of-place op, or .clone() the tensor before modifying it.")


def _call_backward(node: Context, gl: list, check_anomaly: bool) -> tuple:
    """``node.fn.backward``'s gradients, one per input (checked for NaN/Inf in anomaly mode)."""
    in_grads = node.fn.backward(node, *gl)
    if not isinstance(in_grads, tuple):
        in_grads = (in_grads,)
    if check_anomaly:
        _check_anomaly(node, in_grads)
    if len(in_grads) != len(node.edges):
        raise RuntimeError(f"function {node.name()} returned an incorrect number of "
                           f"gradients (expected {len(node.edges)}, got {len(in_grads)})")
    return in_grads


def _finish_leaves(leaf_grads: dict, capture, accumulate: bool) -> None:
    """Run the leaves' hooks, then capture their gradients and/or add them to ``.grad``."""
    for key in list(leaf_grads):
        t, g = leaf_grads.pop(key)
        if t._hooks:
            g = _run_hooks(t._hooks, g)
        if capture is not None and key in capture:
            capture[key] = g
        if accumulate:
            adopt = _sole_owner(g)  # before the call: its arguments would count as holders
            _accumulate(t, g, adopt=adopt)
            _run_post_accumulate_hooks(t)


#: the references to a gradient array inside _finish_leaves when nothing else holds it: the
#: local name and getrefcount's argument (CPython before 3.14; later versions may borrow
#: references, so there the gradient is always copied)
_OWN_REFS = 3 if sys.implementation.name == "cpython" and sys.version_info < (3, 14) else 0


def _sole_owner(g: np.ndarray) -> bool:
    """Whether ``g`` is a fresh array that nothing but this pass refers to (no view of another
    array, no saved tensor, no user's tensor, no other leaf's ``.grad``): the first gradient
    of a leaf can then become its ``.grad`` without a copy."""
    return (type(g) is np.ndarray and g.base is None and g.flags.writeable
            and sys.getrefcount(g) <= _OWN_REFS)


def _run_post_accumulate_hooks(t) -> None:
    hooks = _post_hooks_of(t) if _post_hooks else None
    if hooks:
        for h in list(hooks):
            h(t)


def _accumulate(t, g: np.ndarray, adopt: bool = False) -> None:
    """Add ``g`` to ``t.grad``; the first gradient is copied unless ``adopt`` (``g`` is the
    pass's own fresh array, :func:`_sole_owner`)."""
    if g.dtype != t.array.dtype:
        g, adopt = g.astype(t.array.dtype), True
    if t.grad is None:
        t._grad = _tensor.cls._wrap(g if adopt else np.array(g, copy=True))
    else:
        t.grad.array = t.grad.array + g


def _root_grads(tensors, grad_tensors, fn_name: str):
    Tensor = _tensor.cls
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
            if t.array.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs "
                                   f"(got an output of shape {tuple(t.shape)}); pass "
                                   "gradient= to backward()")
            garr = np.ones(t.array.shape, dtype=t.array.dtype)
        else:
            garr = g.array if isinstance(g, Tensor) else np.asarray(g, dtype=t.array.dtype)
            if garr.shape != t.array.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                                   f"{tuple(garr.shape)} and output[{i}] has a shape of "
                                   f"{tuple(t.array.shape)}")
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
        inputs = (inputs,) if isinstance(inputs, _tensor.cls) else tuple(inputs)
        cap = {_key(t): None for t in inputs}
        _callback_stack.append([])     # the hooks below may queue callbacks too
        try:
            _engine(roots, bool(retain_graph), capture=cap, accumulate=False)
            for t in inputs:
                g = cap[_key(t)]
                if g is not None:
                    _accumulate(t, g)
                    _run_post_accumulate_hooks(t)
        finally:
            callbacks = _callback_stack.pop()
        for cb in callbacks:
            cb()
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
    single = isinstance(inputs, _tensor.cls)
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
        res.append(None if g is None else _tensor.cls._wrap(np.array(g, copy=True)))
    return tuple(res)
