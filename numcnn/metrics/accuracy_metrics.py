"""Accuracy metrics and their functions, as Keras 3 computes them.

The functions return one value per position (1.0 right, 0.0 wrong) and the classes average them over an
epoch (``MeanMetricWrapper``). Keras 3's rules, kept here:

- ``binary_accuracy`` thresholds only the predictions (``p > threshold``) and compares with ``y_true`` as it
  is, per element: ``(N, K) -> (N, K)``;
- ``categorical_accuracy`` compares arg-maxes (the first index wins a tie), ``sparse_categorical_accuracy``
  compares the label with ``argmax(p)``: ``(N, K) -> (N,)``;
- the top-k accuracies count the label as in the top ``k`` when fewer than ``k`` classes score strictly
  higher, so ties at the boundary all count (TensorFlow's ``in_top_k``); a non-finite score in the row, or a
  label outside ``[0, K)``, counts as a miss.
"""

from __future__ import annotations

import numpy as np

from numcnn import backend
from numcnn._checks import finite_number, flag, positive_int
from numcnn.losses.loss import aligned_shapes
from numcnn.metrics.reduction import MeanMetricWrapper


def _as_float(x, dtype=None) -> np.ndarray:
    x = np.asarray(x)
    return x.astype(dtype or (x.dtype if x.dtype.kind == "f" else backend.floatx()), copy=False)


def _aligned(y_true, y_pred):
    y_pred = _as_float(y_pred)
    y_true = np.asarray(y_true)
    true_shape, pred_shape = aligned_shapes(y_true.shape, y_pred.shape)
    return y_true.reshape(true_shape), y_pred.reshape(pred_shape)


def accuracy(y_true, y_pred):
    """1.0 where ``y_true == y_pred`` exactly (after aligning their ranks), per element."""
    y_true, y_pred = _aligned(y_true, y_pred)
    return (y_true == y_pred).astype(backend.floatx())


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where ``(p > threshold) == y_true``, per element: ``(N, …), (N, …) -> (N, …)``."""
    y_true, y_pred = _aligned(y_true, y_pred)
    return ((y_pred > threshold).astype(y_true.dtype) == y_true).astype(backend.floatx())


def categorical_accuracy(y_true, y_pred):
    """1.0 where ``argmax(y_true) == argmax(p)`` over the last axis: ``(N, …, K) -> (N, …)``."""
    y_pred = _as_float(y_pred)
    return (np.argmax(np.asarray(y_true), axis=-1) == np.argmax(y_pred, axis=-1)).astype(backend.floatx())


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the label equals ``argmax(p)``: labels ``(N, …)`` or ``(N, …, 1)``, ``(N, …, K) -> (N, …)``."""
    y_pred = _as_float(y_pred)
    y_true = np.asarray(y_true)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    return (y_true == np.argmax(y_pred, axis=-1)).astype(backend.floatx())


def in_top_k(labels, predictions, k):
    """``(M,) int, (M, K) -> (M,) bool``: fewer than ``k`` classes score strictly above the label's."""
    labels = np.asarray(labels).astype(np.int64, copy=False)
    valid = (labels >= 0) & (labels < predictions.shape[-1])
    target = np.take_along_axis(predictions, np.where(valid, labels, 0)[:, None], axis=-1)
    above = np.sum(predictions > target, axis=-1)
    finite = np.all(np.isfinite(predictions), axis=-1)
    return valid & finite & (above < k)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the one-hot target's class is among the ``k`` best scores: ``(N, …, K) -> (N, …)``."""
    y_pred = _as_float(y_pred)
    labels = np.argmax(np.asarray(y_true), axis=-1)
    hits = in_top_k(labels.reshape(-1), y_pred.reshape(-1, y_pred.shape[-1]), k)
    return hits.reshape(labels.shape).astype(backend.floatx())


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1.0 where the label is among the ``k`` best scores: labels ``(N, …)``, ``(N, …, K) -> (N, …)``.

    With ``from_sorted_ids=True``, ``y_pred`` holds class ids best first, ``(N, ≥k)``: a hit is the label among
    the first ``k``.
    """
    y_pred = _as_float(y_pred)
    y_true = np.asarray(y_true)
    flat_pred = y_pred.reshape(-1, y_pred.shape[-1])
    if from_sorted_ids:
        hits = np.any(flat_pred[:, :k] == y_true.reshape(-1, 1), axis=1)
    else:
        hits = in_top_k(y_true.reshape(-1), flat_pred, k)
    return hits.reshape(y_true.shape).astype(backend.floatx())


class Accuracy(MeanMetricWrapper):
    """How often predictions equal targets exactly: ``Accuracy(name='accuracy', dtype=None)``."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class BinaryAccuracy(MeanMetricWrapper):
    """``BinaryAccuracy(name='binary_accuracy', dtype=None, threshold=0.5)``."""

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        self.threshold = finite_number("threshold", threshold)
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=self.threshold)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


class CategoricalAccuracy(MeanMetricWrapper):
    """``CategoricalAccuracy(name='categorical_accuracy', dtype=None)``, for one-hot targets."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """``SparseCategoricalAccuracy(name='sparse_categorical_accuracy', dtype=None)``, for integer labels."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """``TopKCategoricalAccuracy(k=5, name='top_k_categorical_accuracy', dtype=None)``."""

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        self.k = positive_int("k", k)
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=self.k)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """``SparseTopKCategoricalAccuracy(k=5, name='sparse_top_k_categorical_accuracy', dtype=None,
    from_sorted_ids=False)``."""

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids=False):
        self.k = positive_int("k", k)
        self.from_sorted_ids = flag("from_sorted_ids", from_sorted_ids)
        super().__init__(
            sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=self.k, from_sorted_ids=self.from_sorted_ids
        )

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config
