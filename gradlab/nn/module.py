"""``nn.Module``: the base of every layer and model.

Assigning a :class:`Parameter` or a Module to an attribute registers it (``__setattr__``); from
that registry follow ``parameters()``, ``named_modules()``, ``state_dict()`` /
``load_state_dict()``, ``train()`` / ``eval()``, ``zero_grad()`` and the hooks. Names, keys and
behaviour follow ``torch.nn.Module``.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from .._device import cuda_refusal
from ..autograd import ArrayFunction
from ..autograd.graph import increment_version
from ..backend import to_args
from ..tensor import Tensor, from_numpy
from .parameter import Parameter, UninitializedParameter

_IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class RemovableHandle:
    """Returned by the ``register_*_hook`` methods; ``remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks: dict) -> None:
        self._hooks = hooks
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


class _AlwaysCalled:
    """A forward hook registered with ``always_call=True``: also run when forward raises."""

    def __init__(self, hook: Callable) -> None:
        self.hook = hook

    def __call__(self, module, args, out):
        return self.hook(module, args, out)


def _run_always_called(module, args) -> None:
    """After ``module``'s forward raised: its ``always_call`` forward hooks, output None; an
    error of one of them is a warning (the forward's exception is the one that goes on)."""
    for hook in list(module._forward_hooks.values()):
        if isinstance(hook, _AlwaysCalled):
            try:
                hook(module, args, None)
            except Exception as exc:  # noqa: BLE001 - the forward's error is the one raised
                warnings.warn(f"{type(module).__name__}: a forward hook with always_call=True "
                              f"raised {type(exc).__name__}: {exc}, silenced as the forward "
                              "raised an error", stacklevel=3)


def _check_hook(module, method: str, hook) -> None:
    """TypeError for a hook that cannot be called (torch fails when the module runs)."""
    if not callable(hook):
        raise TypeError(f"{type(module).__name__}.{method}: hook must be callable, got "
                        f"{type(hook).__name__} {hook!r}")


class Module:
    """Base class for all layers and models: subclass it, assign sub-modules and Parameters in
    ``__init__``, and write ``forward``. Call the module (``model(x)``), not ``forward``, so
    hooks run."""

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_backward_hooks", OrderedDict())

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign to a Module attribute before Module.__init__() "
                                 "call (call super().__init__() first)")
        params, modules, buffers = self._parameters, self._modules, self._buffers
        if isinstance(value, Parameter):
            self._discard(name, keep=params)  # a re-assigned name keeps its place, as torch's
            params[name] = value
        elif isinstance(value, Module):
            self._discard(name, keep=modules)
            modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(f"{type(self).__name__}: cannot assign '{type(value).__name__}' "
                                f"as parameter '{name}' (gradlab.nn.Parameter or None expected)")
            params[name] = None
        elif name in modules:
            if value is not None:
                raise TypeError(f"{type(self).__name__}: cannot assign '{type(value).__name__}' "
                                f"as child module '{name}' (gradlab.nn.Module or None expected)")
            modules[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"{type(self).__name__}: cannot assign '{type(value).__name__}' "
                                f"as buffer '{name}' (gradlab.Tensor or None expected)")
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _discard(self, name: str, keep: dict | None = None) -> None:
        for d in (self.__dict__, self._parameters, self._modules, self._buffers):
            if d is not keep:
                d.pop(name, None)
        self._non_persistent_buffers.discard(name)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))

    _REGISTER = {"parameter": "register_parameter", "buffer": "register_buffer",
                 "module": "add_module"}

    def _check_name(self, name: str, kind: str) -> None:
        where = f"{type(self).__name__}.{self._REGISTER[kind]}"
        if not isinstance(name, str):
            raise TypeError(f"{where}: {kind} name should be a string, got "
                            f"{type(name).__name__}")
        if "." in name or name == "":
            raise KeyError(f"{where}: {kind} name can't contain \".\" or be empty, got "
                           f"'{name}'")
        if hasattr(self, name) and name not in (self._parameters, self._buffers,
                                                self._modules)[("parameter", "buffer",
                                                                "module").index(kind)]:
            raise KeyError(f"{where}: attribute '{name}' already exists")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        self._check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"{type(self).__name__}.register_parameter: cannot assign "
                            f"'{type(param).__name__}' object to parameter "
                            f"'{name}' (gradlab.nn.Parameter or None required)")
        self._discard(name)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """A tensor that is state but not learnable (e.g. BatchNorm's running mean)."""
        self._check_name(name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"{type(self).__name__}.register_buffer: cannot assign "
                            f"'{type(tensor).__name__}' object to buffer "
                            f"'{name}' (gradlab.Tensor or None required)")
        self._discard(name)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        self._check_name(name, "module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}.add_module: {type(module).__name__} is not a "
                            "Module subclass")
        self._discard(name)
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        mod = self
        for part in target.split(".") if target else []:
            if part not in mod._modules or mod._modules[part] is None:
                raise AttributeError(f"{type(mod).__name__} has no submodule '{part}' "
                                     f"(looking up '{target}')")
            mod = mod._modules[part]
        return mod

    def get_parameter(self, target: str) -> Parameter:
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        if name not in mod._parameters:
            raise AttributeError(f"{type(mod).__name__} has no parameter '{name}'")
        return mod._parameters[name]

    # ------------------------------------------------------------------ traversal
    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is None:
                continue
            yield from m.named_modules(memo, prefix + ("." if prefix else "") + name,
                                       remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named_members(self, store: str, prefix: str, recurse: bool,
                       remove_duplicate: bool = True):
        seen = set()
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mod_prefix, mod in mods:
            for name, v in getattr(mod, store).items():
                if v is None or (remove_duplicate and id(v) in seen):
                    continue
                seen.add(id(v))
                yield mod_prefix + ("." if mod_prefix else "") + name, v

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(name, parameter) pairs, names dotted like ``layer1.0.weight``; shared parameters
        appear once."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ------------------------------------------------------------------ modes and helpers
    def train(self, mode: bool = True) -> Module:
        """Set training mode (dropout active, BatchNorm uses batch statistics) recursively."""
        if not isinstance(mode, bool):
            raise ValueError(f"{type(self).__name__}.train: training mode is expected to be "
                             f"boolean, got {type(mode).__name__} {mode!r}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of all parameters (to None by default, as PyTorch)."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad.array[...] = 0

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every sub-module (children first) and on self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def float(self) -> Module:
        return self._cast(np.float32)

    def double(self) -> Module:
        return self._cast(np.float64)

    def to(self, *args, **kwargs) -> Module:
        """``to(device=None, dtype=None, non_blocking=False)``, ``to(dtype)`` or
        ``to(tensor)``: casts floating-point parameters and buffers to the dtype (integer ones
        stay); returns self. The device must be the CPU (``'cpu'``, ``device('cpu')``): any
        other raises RuntimeError, as gradlab computes on the CPU."""
        dt, copy = to_args(args, kwargs, "Module.to")
        if copy:
            raise RuntimeError(".to() does not accept copy argument")
        if dt is not None and not dt.is_floating_point:
            raise TypeError("nn.Module.to only accepts floating point or complex dtypes, but "
                            f"got desired dtype={dt}")
        return self if dt is None else self._cast(dt.np)

    def cpu(self) -> Module:
        """Self: parameters and buffers are on the CPU already."""
        return self

    def cuda(self, device=None) -> Module:
        """Raises RuntimeError: gradlab computes on the CPU."""
        raise cuda_refusal(device, "Module.cuda")

    def share_memory(self) -> Module:
        """Move every parameter, buffer and parameter gradient to shared memory
        (``Tensor.share_memory_``: same tensor objects, their arrays now shared), so processes
        forked afterwards train one set of weights (Hogwild, with :mod:`gradlab.multiprocessing`).
        Returns self."""
        for m in self.modules():
            for store in (m._parameters, m._buffers):
                for t in store.values():
                    if t is not None:
                        t.share_memory_()
                        if t.grad is not None:
                            t.grad.share_memory_()
        return self

    def _cast(self, npdt) -> Module:
        for m in self.modules():
            for store in (m._parameters, m._buffers):
                for t in store.values():
                    if t is not None and t.array.dtype.kind == "f":
                        t.array = t.array.astype(npdt)
                        if t.grad is not None:
                            t.grad.array = t.grad.array.astype(npdt)
        return self

    # ------------------------------------------------------------------ state
    def state_dict(self, destination: dict | None = None, prefix: str = "",
                   keep_vars: bool = False) -> OrderedDict:
        """Parameters and persistent buffers by dotted name (tensors sharing the data)."""
        out = OrderedDict() if destination is None else destination
        for name, mod in self.named_modules(prefix=prefix.rstrip("."), remove_duplicate=False):
            pre = name + "." if name else ""
            for k, p in mod._parameters.items():
                if p is not None:
                    out[pre + k] = p if keep_vars else p.detach()
            for k, b in mod._buffers.items():
                if b is not None and k not in mod._non_persistent_buffers:
                    out[pre + k] = b if keep_vars else b.detach()
        return out

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy values (tensors or NumPy arrays) into parameters and buffers by name.

        With ``strict=True`` missing or unexpected keys raise; a shape mismatch always raises.
        Returns ``(missing_keys, unexpected_keys)``.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{type(self).__name__}.load_state_dict: Expected state_dict to be "
                            f"dict-like, got {type(state_dict)}.")
        own = self.state_dict(keep_vars=True)
        bad = [f'While copying the parameter named "{k}", expected gradlab.Tensor or a NumPy '
               f"array from checkpoint but received {type(v)}" for k, v in state_dict.items()
               if k in own and not isinstance(v, (Tensor, np.ndarray, np.generic))]
        if bad:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(bad))
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        for k, target in own.items():
            if k not in state_dict:
                continue
            src = state_dict[k]
            arr = src.array if isinstance(src, Tensor) else np.asarray(src)
            if isinstance(target, UninitializedParameter):  # a lazy module takes the shape
                if not isinstance(src, UninitializedParameter):
                    target.materialize(arr.shape)
                continue
            if tuple(arr.shape) != tuple(target.shape):
                errors.append(f"size mismatch for {k}: copying a param with shape "
                              f"{list(arr.shape)} from checkpoint, the shape in current model "
                              f"is {list(target.shape)}.")
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in unexpected) + ".")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in missing) + ".")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        for k, target in own.items():
            if k in state_dict and not isinstance(target, UninitializedParameter):
                src = state_dict[k]
                arr = src.array if isinstance(src, Tensor) else np.asarray(src)
                target.array[...] = arr.astype(target.array.dtype, copy=False)
                increment_version(target)
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ hooks and calling
    def register_forward_pre_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(module, args)`` runs before ``forward``; a returned value replaces args."""
        _check_hook(self, "register_forward_pre_hook", hook)
        h = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[h.id] = hook
        return h

    def register_forward_hook(self, hook: Callable, *,
                              always_call: bool = False) -> RemovableHandle:
        """``hook(module, args, output)`` runs after ``forward``; a returned value replaces
        the output. With ``always_call`` it also runs when ``forward`` raises, with output
        None, before the exception goes on (torch's; an error of the hook itself is then
        turned into a warning)."""
        _check_hook(self, "register_forward_hook", hook)
        h = RemovableHandle(self._forward_hooks)
        self._forward_hooks[h.id] = _AlwaysCalled(hook) if always_call else hook
        return h

    def register_full_backward_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` runs when the gradients with respect to
        the module's tensor inputs are computed; a returned tuple replaces grad_input."""
        _check_hook(self, "register_full_backward_hook", hook)
        h = RemovableHandle(self._backward_hooks)
        self._backward_hooks[h.id] = hook
        return h

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"Module [{type(self).__name__}] is missing the required "
                                  "\"forward\" function")

    def __call__(self, *args, **kwargs):
        for hook in list(self._forward_pre_hooks.values()):
            r = hook(self, args)
            if r is not None:
                args = r if isinstance(r, tuple) else (r,)
        try:
            if self._backward_hooks:
                return _call_with_backward_hooks(self, args, kwargs)
            out = self.forward(*args, **kwargs)
        except Exception:
            _run_always_called(self, args)
            raise
        for hook in list(self._forward_hooks.values()):
            r = hook(self, args, out)
            if r is not None:
                out = r
        return out

    # ------------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        """The text inside ``Name(...)`` in the repr; layers override it."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines = extra.split("\n")
        for name, m in self._modules.items():
            child = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {child}")
        if not lines:
            return f"{self._get_name()}()"
        if len(lines) == 1 and not self._modules:
            return f"{self._get_name()}({lines[0]})"
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


class _BackwardHookState:
    def __init__(self, module: Module, n_in: int) -> None:
        self.module = module
        self.n_in = n_in
        self.grad_output = None


class _HookInputs(ArrayFunction):
    """Identity on the module's inputs; its backward sees grad_input and runs the hooks."""

    @staticmethod
    def forward(ctx, state, *xs):
        ctx.state = state
        return tuple(x.copy() for x in xs)

    @staticmethod
    def backward(ctx, *grads):
        st = ctx.state
        grads = _run_backward_hooks(st, grads)
        return (None, *grads)


class _HookOutputs(ArrayFunction):
    """Identity on the module's outputs; its backward records grad_output."""

    @staticmethod
    def forward(ctx, state, *ys):
        ctx.state = state
        return tuple(y.copy() for y in ys)

    @staticmethod
    def backward(ctx, *grads):
        st = ctx.state
        st.grad_output = tuple(from_numpy(g) for g in grads)
        if st.n_in == 0:  # no input needs a gradient: the hooks fire here with None
            _run_backward_hooks(st, (None,))
        return (None, *grads)


def _run_backward_hooks(st: _BackwardHookState, grads: tuple) -> tuple:
    gin = tuple(None if g is None else from_numpy(g) for g in grads)
    for hook in list(st.module._backward_hooks.values()):
        r = hook(st.module, gin, st.grad_output)
        if r is not None:
            r = r if isinstance(r, tuple) else (r,)
            if len(r) != len(gin):
                raise RuntimeError(f"backward hook returned {len(r)} gradients for "
                                   f"{len(gin)} inputs")
            gin = r
    return tuple(None if g is None else g.array for g in gin)


def _call_with_backward_hooks(module: Module, args: tuple, kwargs: dict):
    pos = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
    st = _BackwardHookState(module, len(pos))
    args = list(args)
    if pos:
        wrapped = _HookInputs.apply(st, *[args[i] for i in pos])
        wrapped = wrapped if isinstance(wrapped, tuple) else (wrapped,)
        for i, w in zip(pos, wrapped):
            args[i] = w
    args = tuple(args)
    out = module.forward(*args, **kwargs)
    for hook in list(module._forward_hooks.values()):
        r = hook(module, args, out)
        if r is not None:
            out = r
    single = isinstance(out, Tensor)
    outs = (out,) if single else tuple(out)
    if any(isinstance(o, Tensor) and o.requires_grad for o in outs):
        res = _HookOutputs.apply(st, *outs)
        res = res if isinstance(res, tuple) else (res,)
        return res[0] if single else type(out)(res) if isinstance(out, tuple) else list(res)
    return out
