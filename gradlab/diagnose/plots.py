"""The monitor's figures as PNG: gradient norms and update ratios per layer over time, and
activation histograms per layer.

matplotlib is imported only when a plot is made, and drawn on a bare Agg canvas (no window, no
pyplot; the user's matplotlib backend is left alone), as :mod:`gradlab.train.plots` does.
"""

from __future__ import annotations

import io
import math
import os
from typing import Any

import numpy as np

from ..train.checkpoint import atomic_write

#: the update-to-weight ratio that source 000 Q64 calls healthy, drawn as a reference line
HEALTHY_UPDATE_RATIO = 1e-3


def _matplotlib():
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plotting the monitor's statistics needs matplotlib, which is not "
                          "installed: pip install \"gradlab[train]\" (or pip install "
                          "matplotlib)") from None
    return Figure, FigureCanvasAgg


def _save(fig, path: str | os.PathLike) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    path = os.fspath(path)
    atomic_write(path, buf.getvalue())
    return path


def _colors(n: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    return [cmap(i / max(n - 1, 1)) for i in range(n)]


def _line_panel(ax, monitor: Any, stat: str, layers: list[str], title: str) -> None:
    colors = _colors(len(layers))
    label_every = max(1, math.ceil(len(layers) / 12))  # a readable legend for deep nets
    drawn = False
    for i, (layer, color) in enumerate(zip(layers, colors)):
        steps, values = monitor.series(stat, layer)
        pts = [(s, v) for s, v in zip(steps, values) if math.isfinite(v) and v > 0]
        if not pts:
            continue
        label = layer if (i % label_every == 0 or i == len(layers) - 1) else None
        ax.plot([p[0] for p in pts], [p[1] for p in pts], color=color, marker="o",
                markersize=2, linewidth=1, label=label)
        drawn = True
    ax.set_title(title)
    ax.set_xlabel("step")
    ax.grid(alpha=0.3)
    if drawn:
        ax.set_yscale("log")
        ax.legend(fontsize=6, title="early (dark) to late", title_fontsize=6)
    else:
        ax.text(0.5, 0.5, "nothing recorded", ha="center", va="center",
                transform=ax.transAxes)


def plot_gradients(monitor: Any, path: str | os.PathLike) -> str:
    """Draw each layer's gradient norm and update-to-weight ratio over the sampled steps (log
    scale; the ratio panel marks the healthy 1e-3 of source 000 Q64) into a PNG at ``path``
    (written atomically); returns the path."""
    Figure, FigureCanvasAgg = _matplotlib()
    if not monitor.records:
        raise ValueError("plot_gradients: the monitor has recorded no step yet (call step() "
                         "after a training step, or train with the monitor as a callback)")
    layers = list(monitor.layers)
    fig = Figure(figsize=(11, 4), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 2, 1)
    _line_panel(ax, monitor, "layer_grad_norms", layers, "gradient norm per layer")
    ax = fig.add_subplot(1, 2, 2)
    _line_panel(ax, monitor, "layer_update_ratios", layers,
                "update / weight ratio per layer")
    ax.axhline(HEALTHY_UPDATE_RATIO, color="red", linestyle="--", linewidth=1)
    return _save(fig, path)


def plot_activations(monitor: Any, path: str | os.PathLike, max_layers: int = 24) -> str:
    """Draw a histogram of each leaf layer's outputs (forward order) at the first (grey) and
    latest (colour) sampled step into a PNG at ``path``; with more than ``max_layers`` layers,
    evenly spaced ones are shown. Returns the path."""
    Figure, FigureCanvasAgg = _matplotlib()
    if max_layers < 1:
        raise ValueError(f"plot_activations: max_layers must be >= 1, got {max_layers}")
    layers = [name for name in monitor._order if name in monitor.histograms_last]
    if not layers:
        raise ValueError("plot_activations: the monitor has recorded no activations yet (the "
                         "model must run forward with grad enabled at a sampled step)")
    if len(layers) > max_layers:
        idx = np.linspace(0, len(layers) - 1, max_layers).round().astype(int)
        layers = [layers[i] for i in sorted(set(idx.tolist()))]
    cols = min(4, len(layers))
    rows = math.ceil(len(layers) / cols)
    fig = Figure(figsize=(3.2 * cols, 2.4 * rows), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    first_step = monitor.records[0].step if monitor.records else 0
    last_step = monitor.records[-1].step if monitor.records else 0
    for i, name in enumerate(layers):
        ax = fig.add_subplot(rows, cols, i + 1)
        last = monitor.histograms_last[name]
        first = monitor.histograms_first.get(name)
        data = [d[np.isfinite(d)] for d in (first, last) if d is not None]
        data = [d for d in data if d.size]
        if data:
            lo = min(float(d.min()) for d in data)
            hi = max(float(d.max()) for d in data)
            bins = np.linspace(lo, hi if hi > lo else lo + 1.0, 41)
            if first is not None and first is not last and data[0].size:
                ax.hist(data[0], bins=bins, color="0.6", alpha=0.6,
                        label=f"step {first_step}")
            ax.hist(data[-1], bins=bins, color="C0", alpha=0.7, label=f"step {last_step}")
            ax.set_yscale("log")
        else:
            ax.text(0.5, 0.5, "no finite values", ha="center", va="center",
                    transform=ax.transAxes)
        ax.set_title(f"{name} ({monitor.layer_types.get(name, '?')})", fontsize=8)
        ax.tick_params(labelsize=6)
        if i == 0:
            ax.legend(fontsize=6)
    fig.suptitle("activation histograms", fontsize=10)
    return _save(fig, path)
