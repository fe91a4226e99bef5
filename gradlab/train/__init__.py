"""Training: a :class:`Trainer` with ``fit`` / ``evaluate`` / ``predict``, callbacks (progress
bar, early stopping, checkpoints, CSV log), classification metrics, resumable training
checkpoints and learning-curve plots.

    from gradlab.train import fit, ProgressBar
    history = fit(model, nn.CrossEntropyLoss(), optimizer, train_loader, val_loader,
                  epochs=10, metrics=["accuracy"], callbacks=[ProgressBar()])
"""

from .callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    LambdaCallback,
    ModelCheckpoint,
    ProgressBar,
    format_logs,
)
from .checkpoint import (
    capture_rng_state,
    load_checkpoint,
    load_model_state,
    load_training_checkpoint,
    restore_rng_state,
    save_checkpoint,
)
from .metrics import (
    Accuracy,
    ConfusionMatrix,
    Metric,
    accuracy,
    confusion_matrix,
    get_metric,
    top_k_accuracy,
)
from .plots import plot_history
from .trainer import History, Trainer, TrainingDiverged, evaluate, fit, predict

__all__ = ["Trainer", "History", "TrainingDiverged", "fit", "evaluate", "predict", "Callback",
           "ProgressBar", "EarlyStopping", "ModelCheckpoint", "CSVLogger", "LambdaCallback",
           "format_logs",
           "save_checkpoint", "load_checkpoint", "load_training_checkpoint",
           "load_model_state", "capture_rng_state", "restore_rng_state",
           "Metric", "Accuracy", "ConfusionMatrix", "accuracy", "top_k_accuracy",
           "confusion_matrix", "get_metric", "plot_history"]
