"""``R2Score``: the coefficient of determination over an epoch, as Keras 3 computes it.

Each target column ``k`` of ``(N, K)`` targets keeps its (weighted) sums over the epoch: Σw·y, Σw·y², the
residual Σw·(y − p)² and the weight Σw; then

    total_k = Σw·y² − (Σw·y)² / Σw,    R²_k = 1 − residual_k / total_k

(a column whose targets never vary and are missed scores 0, one never missed is NaN: Keras' rule).
``class_aggregation`` returns the ``(K,)`` scores (``None``), their mean (``'uniform_average'``) or their mean
weighted by ``total_k`` (``'variance_weighted_average'``). With ``num_regressors`` ``p`` > 0 the adjusted score
``1 − (1 − R²)·(n − 1) / (n − p − 1)``, where Keras 3.15.1 takes for ``n`` the number of target *entries*
seen (``N·K`` a batch, whatever the weights; later Keras counts the samples with a non-zero weight); when
``p ≥ n − 1`` it warns and falls back to R², as Keras.
"""

from __future__ import annotations

import warnings

import numpy as np

from numcnn._checks import invalid, non_negative_int
from numcnn.losses.loss import aligned_shapes
from numcnn.metrics.metric import Metric

AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


class R2Score(Metric):
    """``R2Score(class_aggregation='uniform_average', num_regressors=0, name='r2_score', dtype=None)``.

    Inputs ``(N, K)`` (``(N,)`` meets ``(N, 1)``); ``sample_weight`` ``(N,)`` weighs a row, ``(N, K)`` an entry.
    """

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        expected = "None, 'uniform_average' or 'variance_weighted_average'"
        if class_aggregation is not None and not isinstance(class_aggregation, str):
            raise invalid("class_aggregation", expected, class_aggregation, TypeError)
        if class_aggregation not in AGGREGATIONS:
            raise invalid("class_aggregation", expected, class_aggregation)
        self.class_aggregation = class_aggregation
        self.num_regressors = non_negative_int("num_regressors", num_regressors)
        self.columns: int | None = None  # set by the first batch
        self.reset_state()

    def _sums(self, y_true, y_pred, sample_weight):
        """The batch's ``(Σw·y, Σw·y², Σw·(y − p)², Σw)`` per column and its number of entries."""
        y_true = np.asarray(y_true, dtype=self.dtype)
        y_pred = np.asarray(y_pred, dtype=self.dtype)
        true_shape, pred_shape = aligned_shapes(y_true.shape, y_pred.shape)
        y_true, y_pred = y_true.reshape(true_shape), y_pred.reshape(pred_shape)
        if y_pred.ndim != 2 or y_true.shape != y_pred.shape:
            raise ValueError(
                "R2Score expects 2D inputs with shape (batch_size, output_dim), the same for both. Received input "
                f"shapes: y_pred.shape={np.shape(y_pred)} and y_true.shape={np.shape(y_true)}"
            )
        if self.columns is not None and y_pred.shape[1] != self.columns:
            raise ValueError(
                f"R2Score '{self.name}' scores {self.columns} columns (from its first batch). "
                f"Received: y_pred.shape={y_pred.shape}"
            )
        w = np.asarray(1.0 if sample_weight is None else sample_weight, dtype=self.dtype)
        if w.ndim == 1:
            w = w[:, None]
        try:
            w = np.broadcast_to(w, y_true.shape)
        except ValueError:
            raise ValueError(
                f"Invalid value for argument 'sample_weight': expected a shape that broadcasts to {y_true.shape}, "
                f"e.g. ({y_true.shape[0]},). Received: sample_weight.shape={np.shape(sample_weight)}"
            ) from None
        y, p, w = (a.astype(np.float64) for a in (y_true, y_pred, w))
        sums = (np.sum(w * y, axis=0), np.sum(w * y * y, axis=0), np.sum(w * (y - p) ** 2, axis=0), np.sum(w, axis=0))
        return sums, float(y.size)

    def update_state(self, y_true, y_pred, sample_weight=None):
        sums, samples = self._sums(y_true, y_pred, sample_weight)
        if self.columns is None:
            self.columns = sums[0].shape[0]
            self.reset_state()
        self.sum += sums[0]
        self.squared_sum += sums[1]
        self.total_mse += sums[2]
        self.count += sums[3]
        self.num_samples += samples

    def result(self):
        if self.columns is None:
            return 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = self.sum / self.count
            total = self.squared_sum - self.sum * mean
            raw = 1 - self.total_mse / total
        raw = np.where(np.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            score = np.mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            with np.errstate(divide="ignore", invalid="ignore"):
                score = np.sum(total * raw) / np.sum(total)
        else:
            score = raw
        n, p = self.num_samples, self.num_regressors
        if p and p > n - 1:
            warnings.warn(
                "More independent predictors than datapoints in adjusted R2 score. Falling back to standard R2 score.",
                stacklevel=2,
            )
        elif p and p == n - 1:
            warnings.warn("Division by zero in Adjusted R2 score. Falling back to standard R2 score.", stacklevel=2)
        elif p:
            score = 1 - (1 - score) * (n - 1) / (n - p - 1)
        return score

    def reset_state(self):
        size = self.columns or 0
        self.sum, self.squared_sum = np.zeros(size), np.zeros(size)
        self.total_mse, self.count = np.zeros(size), np.zeros(size)
        self.num_samples = 0.0

    def get_config(self):
        return {
            **super().get_config(),
            "class_aggregation": self.class_aggregation,
            "num_regressors": self.num_regressors,
        }
