"""``AUC``: the area under the ROC or precision-recall curve, from confusion counts at fixed thresholds.

``AUC(num_thresholds=200, curve='ROC', summation_method='interpolation', name=None, dtype=None,
thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False)``, Keras 3's
arguments and formulas: thresholds ``[−ε, 1/(T−1), …, (T−2)/(T−1), 1 + ε]`` (or ``[−ε, *sorted(thresholds),
1 + ε]``); ROC integrates recall over the false-positive rate by trapezoids; PR with ``'interpolation'``
uses Davis and Goadrich's interpolation of precision between thresholds; ``'PRGAIN'`` is the
precision-recall-gain curve; ``'minoring'``/``'majoring'`` take the lower/upper Riemann sums instead.
``multi_label=True`` keeps one curve per column and averages their areas (weighted by ``label_weights``).
"""

from __future__ import annotations

import numpy as np

from numcnn import backend
from numcnn._checks import flag, invalid, is_int, positive_int
from numcnn.metrics.confusion import _ratio, check_thresholds, confusion_counts, evenly_spread
from numcnn.metrics.metric import Metric

_CURVES = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
_SUMMATIONS = ("interpolation", "majoring", "minoring")


def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


class AUC(Metric):
    """Area under the ROC (default) or PR curve, approximated at ``num_thresholds`` thresholds."""

    def __init__(
        self,
        num_thresholds=200,
        curve="ROC",
        summation_method="interpolation",
        name=None,
        dtype=None,
        thresholds=None,
        multi_label=False,
        num_labels=None,
        label_weights=None,
        from_logits=False,
    ):
        if not isinstance(curve, str) or curve.lower() not in _CURVES or curve not in (curve.lower(), curve.upper()):
            raise invalid("curve", "one of 'ROC', 'PR', 'PRGAIN'", curve)
        if not isinstance(summation_method, str) or summation_method.lower() not in _SUMMATIONS:
            raise invalid("summation_method", "one of 'interpolation', 'majoring', 'minoring'", summation_method)
        self._from_thresholds = thresholds is not None
        if self._from_thresholds:
            inner = sorted(check_thresholds(thresholds, 0.5))
            self.num_thresholds = len(inner) + 2
            self._evenly = evenly_spread([0.0, *inner, 1.0])
        else:
            if not is_int(num_thresholds):
                raise invalid("num_thresholds", "an integer > 1", num_thresholds, TypeError)
            if num_thresholds <= 1:
                raise invalid("num_thresholds", "an integer > 1", num_thresholds)
            self.num_thresholds = int(num_thresholds)
            inner = [(i + 1) / (self.num_thresholds - 1) for i in range(self.num_thresholds - 2)]
            self._evenly = True
        eps = backend.epsilon()
        self._thresholds = np.array([0.0 - eps, *inner, 1.0 + eps])
        self.curve = _CURVES[curve.lower()]
        self.summation_method = summation_method.lower()
        super().__init__(name=name, dtype=dtype)
        self.multi_label = flag("multi_label", multi_label)
        if num_labels is not None and not self.multi_label:
            raise invalid("num_labels", "None unless multi_label=True", num_labels)
        self.num_labels = None if num_labels is None else positive_int("num_labels", num_labels)
        self.label_weights = None if label_weights is None else np.asarray(label_weights, dtype=np.float64)
        self._from_logits = flag("from_logits", from_logits)
        self.reset_state()

    @property
    def thresholds(self) -> list[float]:
        return list(self._thresholds)

    def _zeros(self, labels):
        shape = (self.num_thresholds, labels) if self.multi_label else (self.num_thresholds,)
        return {cell: np.zeros(shape) for cell in ("tp", "fp", "tn", "fn")}

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = np.asarray(y_pred)
        if self.multi_label and y_pred.ndim != 2:
            raise ValueError(f"AUC(multi_label=True) needs y_pred of rank 2. Received: y_pred.shape={y_pred.shape}")
        if self.multi_label and self._counts is not None and y_pred.shape[1] != self._counts["tp"].shape[1]:
            raise ValueError(
                f"AUC was built for {self._counts['tp'].shape[1]} labels. Received: y_pred.shape={y_pred.shape}"
            )
        if self._from_logits:
            y_pred = _sigmoid(np.asarray(y_pred, dtype=self.dtype))
        counts = confusion_counts(
            y_true,
            y_pred,
            self._thresholds,
            dtype=self.dtype,
            evenly=self._evenly,
            sample_weight=sample_weight,
            multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights,
        )
        if self._counts is None:
            self._counts = self._zeros(y_pred.shape[1] if self.multi_label else 1)
        for cell, value in counts.items():
            self._counts[cell] += value

    def reset_state(self):
        self._counts = self._zeros(self.num_labels) if self.multi_label and self.num_labels else None
        if not self.multi_label:
            self._counts = self._zeros(1)

    @property
    def true_positives(self):
        return self._cell("tp")

    @property
    def false_positives(self):
        return self._cell("fp")

    @property
    def true_negatives(self):
        return self._cell("tn")

    @property
    def false_negatives(self):
        return self._cell("fn")

    def _cell(self, cell):
        return None if self._counts is None else self._counts[cell]

    def _average(self, by_label):
        if not self.multi_label:
            return float(np.sum(by_label))
        areas = np.sum(by_label, axis=0)
        if self.label_weights is None:
            return float(np.mean(areas))
        return float(_ratio(np.sum(areas * self.label_weights), np.sum(self.label_weights)))

    def _interpolate_pr_auc(self, tp, fp, fn):
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _ratio(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        safe_ratio = np.where(both, _ratio(p[:-1], np.maximum(p[1:], 0)), 1.0)
        increment = _ratio(slope * (dtp + intercept * np.log(safe_ratio)), np.maximum(tp[1:] + fn[1:], 0))
        return self._average(increment)

    def result(self):
        if self._counts is None:
            return 0.0
        tp, fp, tn, fn = (self._counts[c] for c in ("tp", "fp", "tn", "fn"))
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc(tp, fp, fn)
        recall = _ratio(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _ratio(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, _ratio(tp, tp + fp)
        else:
            scale = _ratio(tp + fn, tn + fp)
            recall_gain = np.where(tp == 0, 0.0, 1.0 - scale * _ratio(fn, tp))
            precision_gain = np.where(tp == 0, 1.0, 1.0 - scale * _ratio(fp, tp))
            x, y = np.maximum(recall_gain, 0.0), precision_gain
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return self._average((x[:-1] - x[1:]) * heights)

    def get_config(self):
        label_weights = None if self.label_weights is None else self.label_weights.tolist()
        config = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": label_weights,
            "from_logits": self._from_logits,
        }
        if self._from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config
