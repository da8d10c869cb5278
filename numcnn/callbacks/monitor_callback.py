"""``MonitorCallback``: shared by the callbacks that watch one logged quantity (``EarlyStopping``,
``ModelCheckpoint``, ``ReduceLROnPlateau``) and decide whether it improved, as Keras 3 does."""

from __future__ import annotations

import re
import warnings

from numcnn._checks import finite_number, invalid, one_of
from numcnn.callbacks.callback import Callback

# The direction of Keras' metrics (their ``_direction``), by name, for models whose metric objects do not
# carry one. ``precision_1``, ``auc_2`` … (Keras' names for a second instance) resolve like the first.
_HIGHER_IS_BETTER = frozenset(
    {
        "accuracy",
        "acc",
        "binary_accuracy",
        "categorical_accuracy",
        "sparse_categorical_accuracy",
        "top_k_categorical_accuracy",
        "sparse_top_k_categorical_accuracy",
        "precision",
        "recall",
        "auc",
        "prc",
        "f1_score",
        "fbeta_score",
        "iou",
        "binary_iou",
        "mean_iou",
        "one_hot_iou",
        "one_hot_mean_iou",
        "pearson_correlation",
        "concordance_correlation",
        "cosine_similarity",
        "r2_score",
        "sensitivity_at_specificity",
        "specificity_at_sensitivity",
        "precision_at_recall",
        "recall_at_precision",
    }
)
_LOWER_IS_BETTER = frozenset(
    {
        "mse",
        "mae",
        "mape",
        "msle",
        "rmse",
        "mean_squared_error",
        "mean_absolute_error",
        "mean_absolute_percentage_error",
        "mean_squared_logarithmic_error",
        "root_mean_squared_error",
        "logcosh",
        "log_cosh",
        "hinge",
        "squared_hinge",
        "categorical_hinge",
        "kl_divergence",
        "kld",
        "kullback_leibler_divergence",
        "poisson",
        "binary_crossentropy",
        "categorical_crossentropy",
        "sparse_categorical_crossentropy",
        "huber",
    }
)


class MonitorCallback(Callback):
    """Watches ``logs[monitor]``; ``_is_improvement(value, best)`` is True when it beats ``best`` by more than
    ``min_delta`` in the direction ``mode`` says (``best=None`` means nothing seen yet: always True).

    ``mode='auto'`` follows Keras 3: ``loss`` and ``val_loss`` are minimised; a metric is maximised or
    minimised as its metric object's ``_direction`` says (or, by name, as Keras' metric of that name would);
    any other name raises ``ValueError`` when training begins, asking for ``mode='min'`` or ``mode='max'``.
    Keras 2 guessed instead (``'acc' in monitor`` meant max, anything else min). An unknown ``mode`` raises
    here, where Keras 3 warns and falls back to ``'auto'``.
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0.0):
        super().__init__()
        if not isinstance(monitor, str):
            raise invalid("monitor", "a metric name such as 'val_loss'", monitor, TypeError)
        self.monitor = monitor
        self.mode = one_of("mode", mode, ("auto", "min", "max"))
        self.best = baseline
        self.min_delta = abs(finite_number("min_delta", min_delta))
        self._goal = None if self.mode == "auto" else self.mode

    def _resolve_direction(self) -> str:
        if self._goal is None:
            self._goal = _direction_of(self.monitor, self.model, type(self).__name__)
        return self._goal

    def on_train_begin(self, logs=None):
        self._resolve_direction()  # an undecidable monitor fails before the first epoch, not after it

    def _is_improvement(self, value, reference) -> bool:
        if reference is None:
            return True
        if self._resolve_direction() == "min":
            return value < reference - self.min_delta
        return value > reference + self.min_delta

    def _monitored(self, logs, message: str):
        """``logs[monitor]``, or None after a warning (``message`` is the callback's Keras warning)."""
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(message.format(monitor=self.monitor, available=",".join(logs or {})), stacklevel=3)
        return value


def _direction_of(monitor: str, model, owner: str) -> str:
    name = monitor.removeprefix("val_")
    if name == "loss" or name.endswith("_loss"):
        return "min"
    for metric in getattr(model, "metrics", None) or []:
        direction = getattr(metric, "_direction", None)
        if getattr(metric, "name", None) == name and direction in ("up", "down"):
            return "max" if direction == "up" else "min"
    base = re.sub(r"_\d+$", "", name)
    if base in _HIGHER_IS_BETTER:
        return "max"
    if base in _LOWER_IS_BETTER:
        return "min"
    raise ValueError(
        f"{owner} callback received monitor={monitor}, but numcnn isn't able to automatically determine whether "
        "that metric should be maximized or minimized. Pass `mode='max'` in order to monitor based on the highest "
        "metric value, or pass `mode='min'` in order to use the lowest value."
    )
