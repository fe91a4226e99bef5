"""L-BFGS (Liu & Nocedal 1989): a quasi-Newton method that builds an approximation of the inverse
Hessian from the last m steps and gradient changes, as ``torch.optim.LBFGS`` (itself after
minFunc and torch7's ``lbfgs.lua``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..autograd.graph import increment_version
from ..tensor import Tensor, from_numpy
from ._line_search import strong_wolfe
from .optimizer import Optimizer, ParamsT

#: state entries that are flat vectors over all the parameters (or lists of them)
_FLAT = ("d", "prev_flat_grad", "old_dirs", "old_stps")


class LBFGS(Optimizer):
    """L-BFGS, as ``torch.optim.LBFGS``: one ``step(closure)`` runs up to ``max_iter``
    iterations, each re-evaluating the loss through ``closure``.

    All parameters are seen as one flat vector x (their elements in order; a parameter without
    a gradient contributes zeros to ∇f). With g_k = ∇f(x_k), the pairs kept from earlier
    iterations s_i = x_{i+1} - x_i = t_i d_i, y_i = g_{i+1} - g_i (the last ``history_size`` with
    y_i·s_i > 1e-10), ρ_i = 1 / (y_i·s_i) and the initial inverse Hessian H₀ = γ I,
    γ = y·s / y·y of the newest pair (1 before any), an iteration is::

        d_k = -H_k g_k                      (two-loop recursion, below; d_0 = -g_0)
        t_k = min(1, 1 / ‖g_0‖₁) · lr       on the very first iteration, lr after it
        stop if g_k·d_k > -tolerance_change  (not a descent direction: no move)
        t_k = a strong-Wolfe step from t_k   with line_search_fn='strong_wolfe'
        x_{k+1} = x_k + t_k d_k

    The two-loop recursion computes -H_k g_k from the pairs, newest first, then oldest first::

        q = -g_k
        for i = k-1, ..., k-m:   α_i = ρ_i s_i·q;   q = q - α_i y_i
        r = γ q
        for i = k-m, ..., k-1:   β_i = ρ_i y_i·r;   r = r + (α_i - β_i) s_i
        d_k = r

    The strong-Wolfe conditions and the cubic interpolation of the line search are in
    ``gradlab.optim._line_search``; like torch's, it zooms down to a bracket of 1e-9 (not
    ``tolerance_change``) and spends at most the evaluations left of ``max_eval``.

    The iterations of one ``step`` stop after ``max_iter`` iterations or ``max_eval``
    evaluations, when max|g| ≤ ``tolerance_grad`` (checked first, on the closure's first
    evaluation: then the step changes nothing), when max|t_k d_k| ≤ ``tolerance_change`` or when
    the loss changed by less than ``tolerance_change``. Without a line search the last iteration
    does not re-evaluate the loss.

    ``step`` returns the loss of its first closure call. The state persists across steps, kept
    for the first parameter (as torch): ``func_evals`` and ``n_iter`` (counts over all steps),
    ``d``, ``t`` (the last direction and step), ``old_dirs`` (the y_i), ``old_stps`` (the s_i),
    ``ro`` (the ρ_i), ``H_diag`` (γ), ``prev_flat_grad``, ``prev_loss`` and ``al`` (the α_i,
    scratch). Vectors are 1-D Tensors of all the parameters' elements; ρ, γ, α and a step
    found by computation are 0-d Tensors (torch's 0-d tensors: in float32, they round in
    float32 as torch's do).

    Args:
        params: the parameters (one group only: LBFGS has no per-group options).
        lr: the step length (the first trial step, with the line search) of every iteration
            after the very first, which scales it by min(1, 1/‖g₀‖₁) (default 1).
        max_iter: the most iterations per ``step`` (default 20).
        max_eval: the most closure evaluations per ``step`` (default ``max_iter * 5 // 4``;
            a line search that spends all of its own can end one over, as torch's).
        tolerance_grad: stop when max|∇f| is at most this (default 1e-7).
        tolerance_change: stop when the step or the loss change is below this (default 1e-9).
        history_size: m, the number of (s, y) pairs kept (default 100).
        line_search_fn: None (fixed steps) or ``'strong_wolfe'``.

    Shape:
        state vectors: (n,), n the total number of elements of the parameters.

    Reference: Nocedal & Wright, *Numerical Optimization*, 2nd ed., algorithm 7.4 (two-loop
    recursion) and §3.5 (line search).
    """

    _counts_steps = False

    def __init__(self, params: ParamsT, lr: float = 1, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {"lr": lr, "max_iter": max_iter, "max_eval": max_eval,
                    "tolerance_grad": tolerance_grad, "tolerance_change": tolerance_change,
                    "history_size": history_size, "line_search_fn": line_search_fn}
        super().__init__(params, defaults)

    # ------------------------------------------------------------------ groups
    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        fn = group.get("line_search_fn")
        if fn is not None and fn != "strong_wolfe":
            raise ValueError(f"LBFGS: line_search_fn must be None or 'strong_wolfe', got {fn!r} "
                             "(torch raises RuntimeError(\"only 'strong_wolfe' is supported\") "
                             "at the first step)")
        m = group.get("history_size", 1)
        if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 1:
            raise ValueError(f"LBFGS: history_size must be a positive integer, got {m!r}")

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """The one parameter group (a second raises ValueError: LBFGS has no per-group
        options)."""
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(param_group)

    # ------------------------------------------------------------------ the flat vector
    @property
    def _params(self) -> list[Tensor]:
        return self.param_groups[0]["params"]

    def _numel(self) -> int:
        return sum(p.array.size for p in self._params)

    def _gather_flat_grad(self) -> np.ndarray:
        """∇f as one fresh vector, (n,): zeros for a parameter without a gradient."""
        return np.concatenate([p.grad.array.reshape(-1) if p.grad is not None
                               else np.zeros(p.array.size, p.array.dtype) for p in self._params])

    def _add_grad(self, t: Any, d: np.ndarray) -> None:
        """x = x + t d, in place on every parameter."""
        offset = 0
        for p in self._params:
            theta = p.array
            tmp = self._scratch(theta, 0)
            np.multiply(d[offset:offset + theta.size].reshape(theta.shape), t, out=tmp)
            theta += tmp
            increment_version(p)
            offset += theta.size

    def _set_param(self, values: list[np.ndarray]) -> None:
        for p, v in zip(self._params, values):
            np.copyto(p.array, v)
            increment_version(p)

    def _directional_evaluate(self, closure: Callable[[], Any], x: list[np.ndarray], t: Any,
                              d: np.ndarray) -> tuple[float, np.ndarray]:
        """(f(x + t d), ∇f(x + t d)); the parameters are back at x afterwards."""
        self._add_grad(t, d)
        loss = float(self._closure(closure))
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    # ------------------------------------------------------------------ the step
    def step(self, closure: Callable[[], Any]):  # type: ignore[override]
        """Up to ``max_iter`` L-BFGS iterations (class docstring); ``closure`` zeroes the
        gradients, computes the loss, calls ``backward`` and returns the loss. Returns the loss
        of the first call."""
        if closure is None or not callable(closure):
            raise TypeError("LBFGS.step: closure must be a function that re-evaluates the model "
                            f"and returns the loss, got {_describe(closure)}")
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        group = self.param_groups[0]
        lr = group["lr"]
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]

        # the state is global, kept under the first parameter (as torch)
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = self._closure(closure)
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1

        flat_grad = self._gather_flat_grad()
        opt_cond = np.abs(flat_grad).max() <= tolerance_grad
        if opt_cond:
            return orig_loss

        d = _unpack(state.get("d"))
        t = _unpack(state.get("t"))
        old_dirs = _unpack(state.get("old_dirs"))
        old_stps = _unpack(state.get("old_stps"))
        ro = _unpack(state.get("ro"))
        H_diag = _unpack(state.get("H_diag"))
        prev_flat_grad = _unpack(state.get("prev_flat_grad"))
        prev_loss = state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # ---- the direction d = -H g
            if state["n_iter"] == 1:
                d = np.negative(flat_grad)
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                y = flat_grad - prev_flat_grad  # y = g_k - g_{k-1}
                s = d * t  # s = t_{k-1} d_{k-1}
                ys = np.dot(y, s)
                if ys > 1e-10:  # keep the pair only where the curvature is positive
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)  # ρ = 1 / y·s
                    H_diag = ys / np.dot(y, y)  # γ = y·s / y·y
                d = self._two_loop(state, flat_grad, old_dirs, old_stps, ro, H_diag,
                                   history_size)

            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.copy()
            else:
                np.copyto(prev_flat_grad, flat_grad)
            prev_loss = loss

            # ---- the step length
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr
            else:
                t = lr
            gtd = np.dot(flat_grad, d)  # g·d, the directional derivative
            if gtd > -tolerance_change:
                break

            ls_func_evals = 0
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x_init = [p.array.copy() for p in self._params]

                def obj_func(step, x=x_init, d=d):
                    return self._directional_evaluate(closure, x, step, d)

                loss, flat_grad, t, ls_func_evals = strong_wolfe(
                    obj_func, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals)
                self._add_grad(t, d)
                opt_cond = np.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_grad(t, d)
                if n_iter != max_iter:  # the last iteration's loss is left to the next step
                    loss = float(self._closure(closure))
                    flat_grad = self._gather_flat_grad()
                    opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            # ---- stopping conditions
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if np.abs(d * t).max() <= tolerance_change:  # the step is negligible
                break
            if abs(loss - prev_loss) < tolerance_change:  # the loss no longer changes
                break

        state["d"] = _pack(d)
        state["t"] = _pack(t)
        state["old_dirs"] = _pack(old_dirs)
        state["old_stps"] = _pack(old_stps)
        state["ro"] = _pack(ro)
        state["H_diag"] = _pack(H_diag)
        state["prev_flat_grad"] = _pack(prev_flat_grad)
        state["prev_loss"] = prev_loss
        return orig_loss

    def _two_loop(self, state: dict[str, Any], flat_grad: np.ndarray, old_dirs: list,
                  old_stps: list, ro: list, H_diag: Any, history_size: int) -> np.ndarray:
        """-H g by the two-loop recursion (class docstring), in one buffer q = r."""
        if "al" not in state:
            state["al"] = [None] * history_size
        al = _unpack(state["al"])
        al += [None] * (len(old_dirs) - len(al))  # history_size raised since 'al' was made
        q = np.negative(flat_grad)
        tmp = np.empty_like(q)
        for i in range(len(old_dirs) - 1, -1, -1):
            al[i] = np.dot(old_stps[i], q) * ro[i]  # α_i = ρ_i s_i·q
            np.multiply(old_dirs[i], -al[i], out=tmp)  # q = q - α_i y_i
            q += tmp
        r = q * H_diag  # r = γ q
        for i in range(len(old_dirs)):
            be_i = np.dot(old_dirs[i], r) * ro[i]  # β_i = ρ_i y_i·r
            np.multiply(old_stps[i], al[i] - be_i, out=tmp)  # r = r + (α_i - β_i) s_i
            r += tmp
        state["al"] = _pack(al)
        return r

    # ------------------------------------------------------------------ state
    def _load_param_state(self, p: Tensor, index: int, values: dict[str, Any]) -> dict:
        """Copy a saved state: arrays (Tensors, NumPy arrays, nested in lists) become Tensors of
        the parameters' floating dtype; the flat vectors must have the parameters' size."""
        n = self._numel()

        def load(key: str, v: Any) -> Any:
            if v is None or (isinstance(v, (bool, int, float, str))
                             and not isinstance(v, np.generic)):
                return v
            if isinstance(v, (list, tuple)):
                return [load(key, x) for x in v]
            arr = v.array if isinstance(v, Tensor) else np.asarray(v)
            if key in _FLAT and arr.shape != (n,):
                raise ValueError(f"LBFGS.load_state_dict: state '{key}' has shape "
                                 f"{list(arr.shape)}, but the parameters have {n} elements in "
                                 f"all (expected shape [{n}])")
            dtype = p.array.dtype if p.array.dtype.kind == "f" and arr.dtype.kind == "f" else None
            return from_numpy(np.array(arr, dtype=dtype, copy=True))

        return {key: load(key, v) for key, v in values.items()}


def _unpack(v: Any) -> Any:
    """A state value as the step computes with it: a 1-D Tensor as its array, a 0-d one as a
    NumPy scalar, lists element by element."""
    if isinstance(v, Tensor):
        return v.array if v.array.ndim else v.array[()]
    if isinstance(v, list):
        return [_unpack(x) for x in v]
    return v


def _pack(v: Any) -> Any:
    """The inverse of :func:`_unpack`: arrays and NumPy scalars become Tensors."""
    if isinstance(v, np.ndarray):
        return from_numpy(v)
    if isinstance(v, np.generic):
        return from_numpy(np.asarray(v))
    if isinstance(v, list):
        return [_pack(x) for x in v]
    return v


def _describe(x: Any) -> str:
    return "None" if x is None else f"an object of type {type(x).__name__}"
