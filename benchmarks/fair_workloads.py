"""The training workloads of ``benchmarks/fair.py``, written once for gradlab and torch.

Every workload is one SGD training step (zero grads, forward, loss, backward, update, the loss
read as a Python float) on a fixed batch. Its model is defined once here against a library's
``nn`` and ``nn.functional`` (gradlab mirrors torch's API, so the same code builds both), its
initial weights and its batch are generated with NumPy from a seed and loaded into the library:
gradlab and torch start from identical weights and see identical data.

This module imports neither gradlab nor torch at import time: a benchmark child process imports
only the library it measures (:func:`make_step`).

Workloads (``WORKLOADS``; ``size="tiny"`` gives the same architecture at toy sizes, for tests):

=============  ===============================================================================
``mlp``        MLP 784-512-256-10 (ReLU), batch 128, ``nn.Linear`` + ``optim.SGD``, cross-entropy
``mlp_raw``    the same MLP on raw tensors: ``x @ w + b``, update ``p -= lr * p.grad`` under
               ``no_grad``, ``p.grad = None``
``lenet``      LeNet-5 on 1x28x28 (conv 5x5 pad 2, max-pool, conv 5x5, max-pool, 400-120-84-10),
               batch 64, cross-entropy
``lstm``       ``nn.LSTM`` input 32, hidden 128, 50 steps, batch 32, then ``Linear(128, 1)`` on the
               last hidden state, MSE against a (32, 1) target
``resnet_ish`` 16-channel stem (conv 3x3, BatchNorm, ReLU), two residual blocks of
               conv-BN-ReLU-conv-BN + identity, global mean, ``Linear(16, 10)``; 3x32x32, batch 32
``resnet20``   gradlab's ``models.resnet20`` (the torch twin is built from the same source file),
               3x32x32, batch 32
``gru_lm``     character LM: ``Embedding(65, 32)``, ``nn.GRU(32, 128)``, ``Linear(128, 65)``,
               sequences of 50 tokens, batch 32, cross-entropy on the next token at every step
=============  ===============================================================================

All in float32, SGD with lr 0.01, no momentum; models in train mode (BatchNorm uses batch
statistics and updates its running statistics in both libraries).
"""

from __future__ import annotations

import importlib
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

LR = 0.01
REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Workload:
    """A training workload: its title, its sizes and its toy sizes for tests."""

    name: str
    title: str
    sizes: dict
    tiny: dict = field(default_factory=dict)

    def size(self, which: str) -> dict:
        """The sizes for ``which`` ("full" or "tiny")."""
        if which == "full":
            return dict(self.sizes)
        if which == "tiny":
            return {**self.sizes, **self.tiny}
        raise ValueError(f"Workload.size: expected 'full' or 'tiny', got {which!r}")


WORKLOADS: dict[str, Workload] = {w.name: w for w in [
    Workload("mlp", "MLP 784-512-256-10, B128, nn.Linear + SGD",
             {"dims": (784, 512, 256, 10), "batch": 128},
             {"dims": (20, 16, 12, 10), "batch": 4}),
    Workload("mlp_raw", "MLP 784-512-256-10, B128, raw tensors",
             {"dims": (784, 512, 256, 10), "batch": 128},
             {"dims": (20, 16, 12, 10), "batch": 4}),
    Workload("lenet", "LeNet-5 1x28x28, B64", {"batch": 64}, {"batch": 2}),
    Workload("lstm", "LSTM I32 H128 T50, B32",
             {"input": 32, "hidden": 128, "steps": 50, "batch": 32},
             {"input": 4, "hidden": 8, "steps": 5, "batch": 3}),
    Workload("resnet_ish", "ResNet-ish 16-ch 3x32x32, B32", {"hw": 32, "batch": 32},
             {"hw": 8, "batch": 2}),
    Workload("resnet20", "ResNet-20 3x32x32, B32", {"hw": 32, "batch": 32},
             {"hw": 8, "batch": 2}),
    Workload("gru_lm", "GRU char-LM V65 E32 H128 T50, B32",
             {"vocab": 65, "embed": 32, "hidden": 128, "steps": 50, "batch": 32},
             {"vocab": 11, "embed": 4, "hidden": 8, "steps": 5, "batch": 3}),
]}

LIBRARIES = ("gradlab", "torch")
#: optional other designs, measured only when asked for and installed, on the workloads listed
EXTRAS = {"mygrad": ("mlp", "mlp_raw", "lenet", "lstm", "resnet_ish", "gru_lm"),
          "numpy": ("mlp", "mlp_raw", "lenet", "lstm", "resnet_ish")}


# ----------------------------------------------------------------------------- models


def _models(nn, F):
    """The model classes of the workloads, built on a library's ``nn`` and functional."""

    class MLP(nn.Module):
        def __init__(self, dims):
            super().__init__()
            self.fc1 = nn.Linear(dims[0], dims[1])
            self.fc2 = nn.Linear(dims[1], dims[2])
            self.fc3 = nn.Linear(dims[2], dims[3])

        def forward(self, x):                      # (B, dims[0]) -> (B, dims[3])
            return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))

    class LeNet5(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(400, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):                      # (B, 1, 28, 28) -> (B, 10)
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            x = F.max_pool2d(F.relu(self.conv2(x)), 2).flatten(1)
            return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))

    class LSTMRegressor(nn.Module):
        def __init__(self, input, hidden):
            super().__init__()
            self.lstm = nn.LSTM(input, hidden)
            self.fc = nn.Linear(hidden, 1)

        def forward(self, x):                      # (T, B, input) -> (B, 1)
            _, (h, _) = self.lstm(x)
            return self.fc(h[-1])

    class Block(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(c)
            self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(c)

        def forward(self, x):                      # (B, c, H, W) -> same
            y = F.relu(self.bn1(self.conv1(x)))
            return F.relu(self.bn2(self.conv2(y)) + x)

    class ResNetish(nn.Module):
        def __init__(self, c=16, blocks=2):
            super().__init__()
            self.conv1 = nn.Conv2d(3, c, 3, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(c)
            self.blocks = nn.Sequential(*[Block(c) for _ in range(blocks)])
            self.fc = nn.Linear(c, 10)

        def forward(self, x):                      # (B, 3, H, W) -> (B, 10)
            x = self.blocks(F.relu(self.bn1(self.conv1(x))))
            return self.fc(x.mean((2, 3)))

    class CharGRU(nn.Module):
        def __init__(self, vocab, embed, hidden):
            super().__init__()
            self.embed = nn.Embedding(vocab, embed)
            self.gru = nn.GRU(embed, hidden)
            self.fc = nn.Linear(hidden, vocab)

        def forward(self, x):                      # (T, B) int64 -> (T * B, vocab)
            out, _ = self.gru(self.embed(x))
            return self.fc(out).reshape(-1, self.fc.out_features)

    return {"MLP": MLP, "LeNet5": LeNet5, "LSTMRegressor": LSTMRegressor,
            "ResNetish": ResNetish, "CharGRU": CharGRU}


def _zoo_resnet20(library: str, nn, F):
    """ResNet-20 from ``gradlab/models/resnet.py``: gradlab's own for gradlab, the same source
    executed with ``torch.nn`` for torch (without importing gradlab in the torch process)."""
    if library == "gradlab":
        from gradlab.models.resnet import resnet20

        return resnet20()
    src = (REPO / "gradlab" / "models" / "resnet.py").read_text()
    src = (src.replace("from .. import nn", "import torch.nn as nn")
              .replace("from ..nn import functional as F", "import torch.nn.functional as F"))
    ns: dict = {"__name__": "resnet_twin"}
    exec(compile(src, "resnet_twin/resnet.py", "exec"), ns)
    return ns["resnet20"]()


def build_model(library: str, workload: str, sizes: dict):
    """The workload's model in ``library`` ("gradlab" or "torch"), default-initialised."""
    lib = importlib.import_module(library)
    nn, F = lib.nn, lib.nn.functional
    M = _models(nn, F)
    if workload == "mlp":
        return M["MLP"](sizes["dims"])
    if workload == "lenet":
        return M["LeNet5"]()
    if workload == "lstm":
        return M["LSTMRegressor"](sizes["input"], sizes["hidden"])
    if workload == "resnet_ish":
        return M["ResNetish"]()
    if workload == "resnet20":
        return _zoo_resnet20(library, nn, F)
    if workload == "gru_lm":
        return M["CharGRU"](sizes["vocab"], sizes["embed"], sizes["hidden"])
    raise ValueError(f"build_model: no nn.Module model for workload {workload!r}")


# ----------------------------------------------------------------------------- weights, data


def _rng(seed: int, name: str) -> np.random.Generator:
    """A stream per (seed, parameter name): the values do not depend on the iteration order."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def init_arrays(specs: list[tuple[str, tuple, str, dict]], seed: int) -> dict[str, np.ndarray]:
    """float32 initial values for parameters described as (name, shape, kind, info).

    ``kind``: "norm" (weight 1, bias 0), "embedding" (N(0, 1)), "recurrent"
    (U(-k, k), k = 1/sqrt(info["hidden"])), "affine" (U(-k, k), k = 1/sqrt(info["fan_in"])):
    PyTorch's default schemes, drawn from NumPy so that both libraries get the same numbers.
    """
    out = {}
    for name, shape, kind, info in specs:
        if kind == "norm":
            leaf = name.rsplit(".", 1)[-1]
            out[name] = (np.ones if leaf == "weight" else np.zeros)(shape, np.float32)
        elif kind == "embedding":
            out[name] = _rng(seed, name).standard_normal(shape, dtype=np.float32)
        elif kind in ("recurrent", "affine"):
            fan = info["hidden"] if kind == "recurrent" else info["fan_in"]
            k = 1.0 / np.sqrt(fan)
            out[name] = _rng(seed, name).uniform(-k, k, shape).astype(np.float32)
        else:
            raise ValueError(f"init_arrays: unknown kind {kind!r} for parameter {name!r}")
    return out


def param_specs(model) -> list[tuple[str, tuple, str, dict]]:
    """(name, shape, kind, info) of every parameter of ``model`` (gradlab or torch: the module
    class names and parameter names are the same in both)."""
    specs = []
    for prefix, mod in model.named_modules():
        own = list(mod.named_parameters(recurse=False))
        if not own:
            continue
        cls = type(mod).__name__
        shapes = {n: tuple(p.shape) for n, p in own}
        for n, shape in shapes.items():
            full = f"{prefix}.{n}" if prefix else n
            if "Norm" in cls:
                specs.append((full, shape, "norm", {}))
            elif cls == "Embedding":
                specs.append((full, shape, "embedding", {}))
            elif cls in ("LSTM", "GRU", "RNN"):
                specs.append((full, shape, "recurrent", {"hidden": mod.hidden_size}))
            else:
                w = shapes.get("weight", shape)
                fan_in = int(np.prod(w[1:])) if len(w) > 1 else int(w[0])
                specs.append((full, shape, "affine", {"fan_in": fan_in}))
    return specs


def raw_mlp_specs(dims) -> list[tuple[str, tuple, str, dict]]:
    """Parameters of the raw-tensor MLP: w1 (in, out), b1 (out,), ... with Linear's bounds."""
    specs = []
    for i, (a, b) in enumerate(zip(dims[:-1], dims[1:]), start=1):
        specs.append((f"w{i}", (a, b), "affine", {"fan_in": a}))
        specs.append((f"b{i}", (b,), "affine", {"fan_in": a}))
    return specs


def make_batch(workload: str, sizes: dict, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The fixed batch (inputs, targets) of a workload, from NumPy with ``seed``."""
    rng = np.random.default_rng([seed, 1])
    B = sizes["batch"]
    if workload in ("mlp", "mlp_raw"):
        d = sizes["dims"]
        return (rng.standard_normal((B, d[0]), dtype=np.float32),
                rng.integers(0, d[-1], B).astype(np.int64))
    if workload == "lenet":
        return (rng.standard_normal((B, 1, 28, 28), dtype=np.float32),
                rng.integers(0, 10, B).astype(np.int64))
    if workload == "lstm":
        return (rng.standard_normal((sizes["steps"], B, sizes["input"]), dtype=np.float32),
                rng.standard_normal((B, 1), dtype=np.float32))
    if workload in ("resnet_ish", "resnet20"):
        hw = sizes["hw"]
        return (rng.standard_normal((B, 3, hw, hw), dtype=np.float32),
                rng.integers(0, 10, B).astype(np.int64))
    if workload == "gru_lm":
        tokens = rng.integers(0, sizes["vocab"], (sizes["steps"] + 1, B)).astype(np.int64)
        return tokens[:-1].copy(), tokens[1:].reshape(-1).copy()   # next token at every step
    raise ValueError(f"make_batch: unknown workload {workload!r}")


# ----------------------------------------------------------------------------- the step


def make_step(library: str, workload: str, size: str = "full", seed: int = 0
              ) -> Callable[[], float]:
    """One training step of ``workload`` in ``library`` ("gradlab" or "torch") as a callable
    returning the step's loss (a float, computed before the update). Imports only ``library``.
    Every call of ``make_step`` starts again from the seed's initial weights."""
    if library not in LIBRARIES:
        raise ValueError(f"make_step: library must be one of {LIBRARIES}, got {library!r}")
    if workload not in WORKLOADS:
        raise ValueError(f"make_step: unknown workload {workload!r}; "
                         f"expected one of {sorted(WORKLOADS)}")
    lib = importlib.import_module(library)
    F = lib.nn.functional
    sizes = WORKLOADS[workload].size(size)
    x_np, y_np = make_batch(workload, sizes, seed)
    x, y = lib.from_numpy(x_np), lib.from_numpy(y_np)

    if workload == "mlp_raw":
        arrays = init_arrays(raw_mlp_specs(sizes["dims"]), seed)
        ps = [lib.tensor(arrays[n].copy(), requires_grad=True) for n in arrays]
        w1, b1, w2, b2, w3, b3 = ps

        def raw_step() -> float:
            h = (x @ w1 + b1).relu()
            h = (h @ w2 + b2).relu()
            loss = F.cross_entropy(h @ w3 + b3, y)
            loss.backward()
            with lib.no_grad():
                for p in ps:
                    p -= LR * p.grad
                    p.grad = None
            return loss.item()

        return raw_step

    model = build_model(library, workload, sizes)
    arrays = init_arrays(param_specs(model), seed)
    state = model.state_dict()
    missing = set(arrays) - set(state)
    if missing:
        raise RuntimeError(f"make_step: {library} model of {workload!r} lacks {sorted(missing)}")
    for name, a in arrays.items():
        state[name] = lib.from_numpy(a.copy())
    model.load_state_dict(state)
    model.train()
    opt = lib.optim.SGD(model.parameters(), lr=LR)
    loss_fn = F.mse_loss if workload == "lstm" else F.cross_entropy

    def step() -> float:
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    return step


# ----------------------------------------------------------------------------- other designs


def named_specs(workload: str, sizes: dict) -> list[tuple[str, tuple, str, dict]]:
    """The parameters of the nn.Module workloads as :func:`param_specs` finds them in gradlab
    and torch, without building a model: the other designs get the same initial weights."""
    def linear(name, fin, fout):
        return [(f"{name}.weight", (fout, fin), "affine", {"fan_in": fin}),
                (f"{name}.bias", (fout,), "affine", {"fan_in": fin})]

    def conv(name, cin, cout, k, bias=True):
        fan = cin * k * k
        out = [(f"{name}.weight", (cout, cin, k, k), "affine", {"fan_in": fan})]
        return out + ([(f"{name}.bias", (cout,), "affine", {"fan_in": fan})] if bias else [])

    def norm(name, c):
        return [(f"{name}.weight", (c,), "norm", {}), (f"{name}.bias", (c,), "norm", {})]

    def recurrent(name, fin, hidden, gates):
        info = {"hidden": hidden}
        return [(f"{name}.weight_ih_l0", (gates * hidden, fin), "recurrent", info),
                (f"{name}.weight_hh_l0", (gates * hidden, hidden), "recurrent", info),
                (f"{name}.bias_ih_l0", (gates * hidden,), "recurrent", info),
                (f"{name}.bias_hh_l0", (gates * hidden,), "recurrent", info)]

    if workload == "mlp":
        d = sizes["dims"]
        return linear("fc1", d[0], d[1]) + linear("fc2", d[1], d[2]) + linear("fc3", d[2], d[3])
    if workload == "lenet":
        return (conv("conv1", 1, 6, 5) + conv("conv2", 6, 16, 5) + linear("fc1", 400, 120)
                + linear("fc2", 120, 84) + linear("fc3", 84, 10))
    if workload == "lstm":
        H = sizes["hidden"]
        return recurrent("lstm", sizes["input"], H, 4) + linear("fc", H, 1)
    if workload == "resnet_ish":
        specs = conv("conv1", 3, 16, 3, bias=False) + norm("bn1", 16)
        for b in range(2):
            for j in (1, 2):
                specs += conv(f"blocks.{b}.conv{j}", 16, 16, 3, bias=False)
                specs += norm(f"blocks.{b}.bn{j}", 16)
        return specs + linear("fc", 16, 10)
    if workload == "gru_lm":
        V, E, H = sizes["vocab"], sizes["embed"], sizes["hidden"]
        return ([("embed.weight", (V, E), "embedding", {})] + recurrent("gru", E, H, 3)
                + linear("fc", H, V))
    raise ValueError(f"named_specs: no parameter list for workload {workload!r}")


def make_extra_step(library: str, workload: str, size: str = "full", seed: int = 0
                    ) -> Callable[[], float]:
    """The same training step in another design, for comparison: ``"mygrad"`` (MyGrad's
    autograd on NumPy, memory guarding off) or ``"numpy"`` (a hand-written forward and
    backward in NumPy, ``benchmarks/fair_numpy.py``). Same weights, batch, loss and SGD as
    :func:`make_step`. The workloads each design is written for: ``EXTRAS``."""
    if workload not in EXTRAS.get(library, ()):
        raise ValueError(f"make_extra_step: no {library!r} version of workload {workload!r}; "
                         f"written: {EXTRAS.get(library, ())}")
    sizes = WORKLOADS[workload].size(size)
    x, y = make_batch(workload, sizes, seed)
    specs = raw_mlp_specs(sizes["dims"]) if workload == "mlp_raw" else named_specs(workload,
                                                                                   sizes)
    P = init_arrays(specs, seed)
    if library == "numpy":
        here = str(Path(__file__).resolve().parent)
        if here not in sys.path:  # imported as benchmarks.fair_workloads: fair_numpy is a sibling
            sys.path.insert(0, here)
        from fair_numpy import make_numpy_step

        return make_numpy_step(workload, P, x, y)
    return _mygrad_step(workload, sizes, P, x, y)


def _mygrad_step(workload: str, sizes: dict, P: dict, x: np.ndarray, y: np.ndarray
                 ) -> Callable[[], float]:
    import mygrad as mg
    from mygrad.nnet import batchnorm, conv_nd, max_pool, relu, sigmoid, softmax_crossentropy

    mg.turn_memory_guarding_off()   # MyGrad's documented speed setting
    W = {k: mg.tensor(v.copy()) for k, v in P.items()}

    def lin(h, n):
        return mg.matmul(h, W[n + ".weight"].T) + W[n + ".bias"]

    def conv(h, n, pad, bias=True):
        out = conv_nd(h, W[n + ".weight"], stride=1, padding=pad)
        return out + W[n + ".bias"].reshape(1, -1, 1, 1) if bias else out

    def bn(h, n):                   # batch statistics (MyGrad keeps no running statistics)
        return batchnorm(h, gamma=W[n + ".weight"], beta=W[n + ".bias"], eps=1e-5)

    def loss_of():
        if workload == "mlp":
            return softmax_crossentropy(lin(relu(lin(relu(lin(x, "fc1")), "fc2")), "fc3"), y)
        if workload == "mlp_raw":
            h = relu(mg.matmul(x, W["w1"]) + W["b1"])
            h = relu(mg.matmul(h, W["w2"]) + W["b2"])
            return softmax_crossentropy(mg.matmul(h, W["w3"]) + W["b3"], y)
        if workload == "lenet":
            h = max_pool(relu(conv(x, "conv1", 2)), (2, 2), 2)
            h = max_pool(relu(conv(h, "conv2", 0)), (2, 2), 2)
            h = h.reshape(h.shape[0], -1)
            return softmax_crossentropy(lin(relu(lin(relu(lin(h, "fc1")), "fc2")), "fc3"), y)
        if workload == "lstm":          # torch's gate order: i, f, g, o
            T, B, _ = x.shape
            H = sizes["hidden"]
            xw = (mg.matmul(x, W["lstm.weight_ih_l0"].T) + W["lstm.bias_ih_l0"]
                  + W["lstm.bias_hh_l0"])
            h = np.zeros((B, H), np.float32)
            c = np.zeros((B, H), np.float32)
            for t in range(T):
                g = xw[t] + mg.matmul(h, W["lstm.weight_hh_l0"].T)
                c = sigmoid(g[:, H:2 * H]) * c + sigmoid(g[:, :H]) * mg.tanh(g[:, 2 * H:3 * H])
                h = sigmoid(g[:, 3 * H:]) * mg.tanh(c)
            return mg.mean((lin(h, "fc") - y) ** 2)
        if workload == "resnet_ish":
            h = relu(bn(conv(x, "conv1", 1, False), "bn1"))
            for b in range(2):
                p = f"blocks.{b}."
                u = relu(bn(conv(h, p + "conv1", 1, False), p + "bn1"))
                h = relu(bn(conv(u, p + "conv2", 1, False), p + "bn2") + h)
            return softmax_crossentropy(lin(mg.mean(h, axis=(2, 3)), "fc"), y)
        if workload == "gru_lm":        # torch's gate order: r, z, n
            T, B = x.shape
            H = sizes["hidden"]
            xw = (mg.matmul(W["embed.weight"][x], W["gru.weight_ih_l0"].T)
                  + W["gru.bias_ih_l0"])
            h = np.zeros((B, H), np.float32)
            outs = []
            for t in range(T):
                hh = mg.matmul(h, W["gru.weight_hh_l0"].T) + W["gru.bias_hh_l0"]
                r = sigmoid(xw[t, :, :H] + hh[:, :H])
                z = sigmoid(xw[t, :, H:2 * H] + hh[:, H:2 * H])
                n = mg.tanh(xw[t, :, 2 * H:] + r * hh[:, 2 * H:])
                h = (1 - z) * n + z * h
                outs.append(h)
            logits = lin(mg.stack(outs), "fc").reshape(T * B, -1)
            return softmax_crossentropy(logits, y)
        raise AssertionError(workload)

    def step() -> float:
        loss = loss_of()
        loss.backward()
        for p in W.values():
            p.data -= LR * p.grad
        return loss.item()

    return step

