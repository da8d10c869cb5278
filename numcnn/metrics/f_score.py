"""``FBetaScore`` and ``F1Score``: the weighted harmonic mean of precision and recall, as Keras 3 computes it.

Over an epoch each class ``k`` (each column of ``(N, K)`` predictions) counts its (weighted) true positives,
false positives, false negatives and support (the weight of its true entries); ``result()`` is then

    P = tp / (tp + fp + ε),   R = tp / (tp + fn + ε),   F = (1 + β²)·P·R / (β²·P + R + ε)     (ε = 1e-7)

per class (``average=None``: a ``(K,)`` array), its mean (``'macro'``), its mean weighted by support
(``'weighted'``), or one score of the counts summed over every class (``'micro'``). A prediction counts as
positive where ``p > threshold``, or, with ``threshold=None``, where it is its row's maximum (ties all count)
and not zero. ``sample_weight`` ``(N,)`` weighs every entry of its row; ``(N, K)`` weighs each entry.
"""

from __future__ import annotations

import numpy as np

from numcnn import backend
from numcnn._checks import fraction, invalid, positive_float
from numcnn.metrics.metric import Metric

AVERAGES = (None, "micro", "macro", "weighted")


def _average(average):
    if average is not None and not isinstance(average, str):
        raise invalid("average", "None, 'micro', 'macro' or 'weighted'", average, TypeError)
    if average not in AVERAGES:
        raise invalid("average", "None, 'micro', 'macro' or 'weighted'", average)
    return average


def _threshold(threshold):
    if threshold is None:
        return None
    return fraction("threshold", threshold, low=0.0, high=1.0, low_inclusive=False, high_inclusive=True)


class FBetaScore(Metric):
    """``FBetaScore(average=None, beta=1.0, threshold=None, name='fbeta_score', dtype=None)``.

    Inputs ``y_true`` and ``y_pred`` of shape ``(N, K)`` (one-hot or multi-label targets, scores); the width
    ``K`` is fixed by the first batch. ``beta`` > 0 weighs recall ``β`` times as much as precision;
    ``threshold`` is in ``(0, 1]`` or ``None``. Keras 3 insists on Python floats for ``beta`` and
    ``threshold``; numcnn also takes integers (``beta=2``).
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.average = _average(average)
        self.beta = positive_float("beta", beta)
        self.threshold = _threshold(threshold)
        self.classes: int | None = None  # set by the first batch
        self.reset_state()

    def _counts(self, y_true, y_pred, sample_weight):
        """The batch's ``(tp, fp, fn, support)``, each ``(K,)`` float64 (checked before any state changes)."""
        y_true = np.asarray(y_true, dtype=self.dtype)
        y_pred = np.asarray(y_pred, dtype=self.dtype)
        if y_pred.ndim != 2 or y_true.ndim != 2:
            raise ValueError(
                f"{type(self).__name__} expects 2D inputs with shape (batch_size, output_dim). Received input "
                f"shapes: y_pred.shape={y_pred.shape} and y_true.shape={y_true.shape}"
            )
        if y_true.shape != y_pred.shape:
            raise ValueError(
                f"Expected y_true and y_pred of the same shape. Received: y_true.shape={y_true.shape}, "
                f"y_pred.shape={y_pred.shape}"
            )
        if self.classes is not None and y_pred.shape[1] != self.classes:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' counts {self.classes} classes (from its first batch). "
                f"Received: y_pred.shape={y_pred.shape}"
            )
        if self.threshold is None:
            # the row's maximum, but never an all-zero row's zeros
            positive = (y_pred >= np.max(y_pred, axis=-1, keepdims=True)) & (np.abs(y_pred) > 1e-9)
        else:
            positive = y_pred > np.asarray(self.threshold, dtype=self.dtype)
        predicted = positive.astype(np.float64)
        truth = y_true.astype(np.float64)
        weights = np.ones((y_pred.shape[0], 1))
        if sample_weight is not None:
            w = np.asarray(sample_weight, dtype=self.dtype).astype(np.float64)
            if w.ndim < 2:
                w = w.reshape(w.shape + (1,) * (2 - w.ndim))
            try:
                weights = np.broadcast_to(w, y_pred.shape)
            except ValueError:
                raise ValueError(
                    f"Invalid value for argument 'sample_weight': expected a shape that broadcasts to {y_pred.shape}, "
                    f"e.g. ({y_pred.shape[0]},). Received: sample_weight.shape={np.shape(sample_weight)}"
                ) from None
        cells = (predicted * truth, predicted * (1 - truth), (1 - predicted) * truth, truth)
        return tuple(np.sum(cell * weights, axis=0) for cell in cells)

    def update_state(self, y_true, y_pred, sample_weight=None):
        tp, fp, fn, support = self._counts(y_true, y_pred, sample_weight)
        if self.classes is None:
            self.classes = tp.shape[0]
            self.reset_state()
        self.true_positives += tp
        self.false_positives += fp
        self.false_negatives += fn
        self.intermediate_weights += support

    def result(self):
        if self.classes is None:
            return 0.0
        dtype, eps = np.dtype(self.dtype), backend.epsilon()
        tp, fp, fn, support = (
            a.astype(dtype)
            for a in (self.true_positives, self.false_positives, self.false_negatives, self.intermediate_weights)
        )
        if self.average == "micro":
            tp, fp, fn = tp.sum(), fp.sum(), fn.sum()
        precision = tp / (tp + fp + dtype.type(eps))
        recall = tp / (tp + fn + dtype.type(eps))
        b2 = dtype.type(self.beta**2)
        score = precision * recall / (b2 * precision + recall + dtype.type(eps)) * (1 + b2)
        if self.average == "weighted":
            return np.sum(score * (support / (support.sum() + dtype.type(eps))))
        if self.average is not None:
            return np.mean(score)
        return score

    def reset_state(self):
        size = self.classes or 0
        self.true_positives, self.false_positives = np.zeros(size), np.zeros(size)
        self.false_negatives, self.intermediate_weights = np.zeros(size), np.zeros(size)

    def get_config(self):
        return {**super().get_config(), "average": self.average, "beta": self.beta, "threshold": self.threshold}


class F1Score(FBetaScore):
    """``F1Score(average=None, threshold=None, name='f1_score', dtype=None)``: ``FBetaScore`` with ``β = 1``,
    ``2·P·R / (P + R)``."""

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config
