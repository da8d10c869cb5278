"""Confusion-matrix metrics: ``TruePositives`` … ``FalseNegatives``, ``Precision``, ``Recall`` and ``AUC``.

Each counts, at each threshold ``t``, the (weighted) entries whose prediction is above it (``p > t``) and
whose target is non-zero, as Keras 3's ``update_confusion_matrix_variables`` does:

- every entry of ``y_pred`` counts (``(N, K)`` gives ``N·K`` decisions) unless ``class_id`` picks a column;
  ``top_k`` keeps the ``k`` best scores of each row (the lower index wins a tie) and sends the rest to −1e10;
- ``sample_weight`` ``(N,)`` weighs every entry of its row;
- thresholds spread evenly over [0, 1] (at least 3, e.g. ``AUC``'s 200) take Keras' bucket path: ``p`` is
  clipped to [0, 1] and lands in bucket ``⌈p·(T − 1)⌉ − 1``, counted positive at every threshold up to it.
  Keras computes the buckets in the metric's dtype (float32 by default), and so does numcnn.

``AUC`` sums the curve Keras' way: trapezoids for ROC (``summation_method='interpolation'``), Davis and
Goadrich's interpolation for PR, or the lower/upper Riemann sums (``'minoring'``/``'majoring'``).
"""

from __future__ import annotations

import numpy as np

from numcnn import backend
from numcnn._checks import invalid, is_int, positive_int
from numcnn.losses.loss import aligned_shapes
from numcnn.metrics.metric import Metric

NEG_INF = -1e10
_EPS = backend.epsilon()


def check_thresholds(thresholds, default):
    """Keras' ``parse_init_thresholds``: a list of floats in [0, 1] (one number is a list of one)."""
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) else [thresholds]
    for t in values:
        if isinstance(t, bool) or not isinstance(t, (int, float, np.floating, np.integer)):
            raise invalid("thresholds", "numbers in [0, 1]", thresholds, TypeError)
        if not 0 <= t <= 1:
            raise invalid("thresholds", "numbers in [0, 1]", thresholds)
    if not values:
        raise invalid("thresholds", "at least one number in [0, 1]", thresholds)
    return [float(t) for t in values]


def evenly_spread(thresholds) -> bool:
    """Keras' ``is_evenly_distributed_thresholds``: at least 3, within ε of ``linspace(0, 1, T)``."""
    n = len(thresholds)
    return n >= 3 and np.allclose(thresholds, np.arange(n, dtype=np.float32) / (n - 1), atol=_EPS)


def _filter_top_k(x, k):
    order = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    keep = np.zeros(x.shape, dtype=bool)
    np.put_along_axis(keep, order, True, axis=-1)
    return np.where(keep, x, x.dtype.type(NEG_INF))


def confusion_counts(
    y_true,
    y_pred,
    thresholds,
    *,
    dtype,
    evenly=False,
    top_k=None,
    class_id=None,
    sample_weight=None,
    multi_label=False,
    label_weights=None,
) -> dict[str, np.ndarray]:
    """``{'tp', 'fp', 'tn', 'fn'}``, float64 arrays of shape ``(T,)`` (``(T, L)`` with ``multi_label``)."""
    y_pred = np.asarray(y_pred, dtype=dtype)
    y_true = np.asarray(y_true, dtype=dtype)
    pred_shape, true_shape = aligned_shapes(y_pred.shape, y_true.shape)
    y_pred, y_true = y_pred.reshape(pred_shape), y_true.reshape(true_shape)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"Expected y_true and y_pred of the same shape. Received: y_true.shape={y_true.shape}, "
            f"y_pred.shape={y_pred.shape}"
        )
    weights = np.ones(y_pred.shape, dtype=np.float64)
    if sample_weight is not None:
        w = np.expand_dims(np.asarray(sample_weight, dtype=dtype), -1)
        _, w_shape = aligned_shapes(y_true.shape, w.shape, expand_rank_1=False)
        if w_shape[:1] != y_pred.shape[:1] and w.size != 1:
            raise ValueError(
                f"Invalid value for argument 'sample_weight': expected one weight per sample, shape "
                f"({y_pred.shape[0]},). Received: sample_weight.shape={np.shape(sample_weight)}"
            )
        weights = weights * np.broadcast_to(w.reshape(w_shape), y_pred.shape)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim < 2 or not -y_pred.shape[-1] <= class_id < y_pred.shape[-1]:
            raise invalid("class_id", f"a class index for y_pred of shape {y_pred.shape}", class_id)
        y_true, y_pred = y_true[..., class_id, None], y_pred[..., class_id, None]
        weights = weights[..., class_id, None]
    if label_weights is not None and not multi_label:
        weights = weights * np.broadcast_to(label_weights, y_pred.shape)
    positive = y_true != 0
    if multi_label:
        positive, y_pred, weights = (a.reshape(-1, a.shape[-1]) for a in (positive, y_pred, weights))
    else:
        positive, y_pred, weights = positive.reshape(-1, 1), y_pred.reshape(-1, 1), weights.reshape(-1, 1)
    true_w, false_w = np.where(positive, weights, 0.0), np.where(positive, 0.0, weights)
    t = np.asarray(thresholds, dtype=dtype)
    if evenly:
        tp, fp = _bucket_counts(y_pred, true_w, false_w, t, dtype)
    else:
        above = y_pred[None, :, :] > t[:, None, None]  # (T, M, L)
        tp, fp = np.sum(above * true_w, axis=1), np.sum(above * false_w, axis=1)
    counts = {"tp": tp, "fp": fp, "tn": np.sum(false_w, axis=0) - fp, "fn": np.sum(true_w, axis=0) - tp}
    return {k: (v if multi_label else v[:, 0]) for k, v in counts.items()}


def _bucket_counts(y_pred, true_w, false_w, thresholds, dtype):
    """Keras' optimized path for evenly spread thresholds: one pass, no ``(T, M)`` comparison table."""
    n = len(thresholds)
    buckets = np.ceil(np.clip(y_pred, 0, 1) * np.asarray(n - 1, dtype)) - 1
    if thresholds[0] < 0 or thresholds[-1] > 1:
        buckets = np.maximum(buckets, 0)
    buckets = buckets.astype(np.int64)
    tp, fp = np.zeros((n, y_pred.shape[1])), np.zeros((n, y_pred.shape[1]))
    for label in range(y_pred.shape[1]):
        ids = buckets[:, label]
        kept = ids >= 0  # a prediction of exactly 0 is below every threshold ≥ 0
        tp[:, label] = np.bincount(ids[kept], true_w[kept, label], minlength=n)
        fp[:, label] = np.bincount(ids[kept], false_w[kept, label], minlength=n)
    # a prediction in bucket b is above thresholds 0..b
    return np.cumsum(tp[::-1], axis=0)[::-1], np.cumsum(fp[::-1], axis=0)[::-1]


def _ratio(a, b):
    """``a / b``, 0 where ``b`` is 0 (Keras' ``divide_no_nan``)."""
    return np.divide(a, b, out=np.zeros_like(a, dtype=np.float64), where=b != 0)


def _scalar_or_array(values):
    return float(values[0]) if len(values) == 1 else values.copy()


class _ThresholdCounts(Metric):
    """Counts of one confusion-matrix cell at each threshold (default 0.5)."""

    cell = "tp"

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = check_thresholds(thresholds, 0.5)
        self._evenly = evenly_spread(self.thresholds)
        self.reset_state()

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(
            y_true, y_pred, self.thresholds, dtype=self.dtype, evenly=self._evenly, sample_weight=sample_weight
        )
        self.accumulator += counts[self.cell]

    def result(self):
        return _scalar_or_array(self.accumulator)

    def reset_state(self):
        self.accumulator = np.zeros(len(self.thresholds))

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ThresholdCounts):
    """``TruePositives(thresholds=None, name=None, dtype=None)``: weighted count of ``p > t`` on a positive."""

    cell = "tp"


class FalsePositives(_ThresholdCounts):
    """``FalsePositives(thresholds=None, name=None, dtype=None)``: ``p > t`` on a negative."""

    cell = "fp"


class TrueNegatives(_ThresholdCounts):
    """``TrueNegatives(thresholds=None, name=None, dtype=None)``: ``p ≤ t`` on a negative."""

    cell = "tn"


class FalseNegatives(_ThresholdCounts):
    """``FalseNegatives(thresholds=None, name=None, dtype=None)``: ``p ≤ t`` on a positive."""

    cell = "fn"


class _PrecisionRecall(Metric):
    other = "fp"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = None if top_k is None else positive_int("top_k", top_k)
        if class_id is not None and not is_int(class_id):
            raise invalid("class_id", "None or a class index", class_id, TypeError)
        self.class_id = class_id
        # With top_k every kept score counts as a positive prediction, whatever its value.
        self.thresholds = check_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        self._evenly = evenly_spread(self.thresholds)
        self.reset_state()

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(
            y_true,
            y_pred,
            self.thresholds,
            dtype=self.dtype,
            evenly=self._evenly,
            top_k=self.top_k,
            class_id=self.class_id,
            sample_weight=sample_weight,
        )
        self.true_positives += counts["tp"]
        self.other_counts += counts[self.other]

    def result(self):
        return _scalar_or_array(_ratio(self.true_positives, self.true_positives + self.other_counts))

    def reset_state(self):
        self.true_positives = np.zeros(len(self.thresholds))
        self.other_counts = np.zeros(len(self.thresholds))

    def get_config(self):
        extra = {"thresholds": self.init_thresholds, "top_k": self.top_k, "class_id": self.class_id}
        return {**super().get_config(), **extra}


class Precision(_PrecisionRecall):
    """``tp / (tp + fp)``: ``Precision(thresholds=None, top_k=None, class_id=None, name=None, dtype=None)``."""

    other = "fp"


class Recall(_PrecisionRecall):
    """``tp / (tp + fn)``: ``Recall(thresholds=None, top_k=None, class_id=None, name=None, dtype=None)``."""

    other = "fn"
