"""Learning curves as a PNG: loss, each metric, and the learning rate, per epoch.

matplotlib is an optional dependency (``pip install "gradlab[train]"``). It is imported only
when a plot is made, and drawn on a bare Agg canvas: no window, no pyplot, and the user's
matplotlib backend is left alone.
"""

from __future__ import annotations

import io
import os
from typing import Any

from .checkpoint import atomic_write


def _matplotlib():
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plotting learning curves needs matplotlib, which is not installed: "
                          "pip install \"gradlab[train]\" (or pip install matplotlib)") from None
    return Figure, FigureCanvasAgg


def _panels(rows: list[dict]) -> list[tuple[str, list[str]]]:
    """(title, keys) per panel: the loss, then one panel per scalar metric (train and val
    together), then the learning rate if it changed."""
    keys: list[str] = []
    for r in rows:
        keys.extend(k for k, v in r.items() if k not in keys and isinstance(v, (int, float))
                    and not isinstance(v, bool))
    panels = [("loss", [k for k in ("train_loss", "val_loss") if k in keys])]
    names: list[str] = []
    for k in keys:
        for prefix in ("train_", "val_"):
            if k.startswith(prefix) and k != prefix + "loss" and k[len(prefix):] not in names:
                names.append(k[len(prefix):])
    for n in names:
        panels.append((n, [k for k in (f"train_{n}", f"val_{n}") if k in keys]))
    lrs = {r.get("lr") for r in rows} - {None}
    if len(lrs) > 1:
        panels.append(("learning rate", ["lr"]))
    return [p for p in panels if p[1]]


def plot_history(history: Any, path: str | os.PathLike, title: str | None = None) -> str:
    """Draw the learning curves of ``history`` (a :class:`~gradlab.train.History` or a list of
    epoch dicts) into a PNG at ``path`` (written atomically); returns the path."""
    Figure, FigureCanvasAgg = _matplotlib()
    rows = list(history)
    if not rows:
        raise ValueError("plot_history: the history is empty (train at least one epoch)")
    panels = _panels(rows)
    fig = Figure(figsize=(4.2 * len(panels), 3.4), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    for i, (name, keys) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), i + 1)
        for k in keys:
            pts = [(r["epoch"], r[k]) for r in rows if r.get(k) is not None]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", markersize=3,
                    label=k.split("_")[0] if k != "lr" else "lr")
        ax.set_title(name)
        ax.set_xlabel("epoch")
        if name == "learning rate":
            ax.set_yscale("log")
        if len(keys) > 1:
            ax.legend()
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    path = os.fspath(path)
    atomic_write(path, buf.getvalue())
    return path
