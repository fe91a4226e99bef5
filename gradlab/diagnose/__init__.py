"""Training diagnosis: per-layer statistics, warnings and plots (:class:`Monitor`); anomaly mode
lives in :mod:`gradlab.autograd` (``detect_anomaly``).

    from gradlab.diagnose import Monitor
    monitor = Monitor(model)                    # hooks on every leaf module
    fit(model, loss_fn, optimizer, loader, epochs=5, callbacks=[monitor])
    print(monitor.report())                     # vanishing/exploding, dead, saturated, NaN
    monitor.plot("runs/diag")                   # monitor_gradients.png, monitor_activations.png
    monitor.remove()
"""

from .monitor import ActivationStats, DiagnosisWarning, Finding, Monitor, StepRecord
from .plots import plot_activations, plot_gradients

__all__ = ["ActivationStats", "DiagnosisWarning", "Finding", "Monitor", "StepRecord",
           "plot_activations", "plot_gradients"]
