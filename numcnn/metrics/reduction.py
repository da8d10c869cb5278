"""``Mean``, ``Sum`` and ``MeanMetricWrapper``: the running reductions most metrics are built on.

``Mean.update_state(values, sample_weight=None)`` reduces ``values`` to one number per sample (the mean over
the other axes; with weights, Keras' rule: values are reduced to the weights' rank, weighted, then reduced),
adds their (weighted) sum and their count (the sum of the weights); ``result()`` is total / count, 0 when
nothing was counted. A scalar ``values`` counts as one. ``MeanMetricWrapper(fn)`` is the ``Mean`` of
``fn(y_true, y_pred)``, a function returning per-sample (or per-position) values.
"""

from __future__ import annotations

import numpy as np

from numcnn._checks import invalid
from numcnn.losses.loss import aligned_shapes
from numcnn.metrics.metric import Metric


def samplewise(values, sample_weight, reduce, dtype) -> tuple[np.ndarray, np.ndarray | None]:
    """Keras' ``reduce_to_samplewise_values``: ``(values per sample, weights per sample or None)``."""
    values = np.asarray(values, dtype=dtype)
    weights = None
    if sample_weight is not None:
        weights = np.asarray(sample_weight, dtype=dtype)
        value_shape, weight_shape = aligned_shapes(values.shape, weights.shape)
        values, weights = values.reshape(value_shape), weights.reshape(weight_shape)
        if values.ndim > weights.ndim:
            values = reduce(values, axis=tuple(range(weights.ndim, values.ndim)))
        try:
            weights = np.broadcast_to(weights, values.shape)
        except ValueError:
            raise ValueError(
                "Invalid value for argument 'sample_weight': expected a shape that broadcasts to the values' "
                f"{values.shape}. Received: sample_weight.shape={np.shape(sample_weight)}"
            ) from None
        values = values * weights
        if weights.ndim > 1:
            weights = reduce(weights, axis=tuple(range(1, weights.ndim)))
    if values.ndim > 1:
        values = reduce(values, axis=tuple(range(1, values.ndim)))
    return values, weights


class Sum(Metric):
    """The running (weighted) sum of ``values``: ``Sum(name='sum', dtype=None)``."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = 0.0

    def update_state(self, values, sample_weight=None):
        values, _ = samplewise(values, sample_weight, np.sum, self.dtype)
        self.total += float(np.sum(values, dtype=np.float64))

    def result(self):
        return self.total

    def reset_state(self):
        self.total = 0.0


class Mean(Metric):
    """The running (weighted) mean of ``values``: ``Mean(name='mean', dtype=None)``."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total, self.count = 0.0, 0.0

    def update_state(self, values, sample_weight=None):
        values, weights = samplewise(values, sample_weight, np.mean, self.dtype)
        if weights is not None:
            count = float(np.sum(weights, dtype=np.float64))
        else:
            count = float(values.shape[0]) if values.ndim else 1.0
        self.total += float(np.sum(values, dtype=np.float64))
        self.count += count

    def result(self):
        return self.total / self.count if self.count else 0.0

    def reset_state(self):
        self.total, self.count = 0.0, 0.0


class MeanMetricWrapper(Mean):
    """The running mean of ``fn(y_true, y_pred, **kwargs)``: ``MeanMetricWrapper(fn, name=None, dtype=None,
    **kwargs)``. ``fn`` returns one value per sample (or per position, averaged per sample)."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise invalid("fn", "a function fn(y_true, y_pred) returning per-sample values", fn, TypeError)
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(self._fn(y_true, y_pred, **self._fn_kwargs), sample_weight)

    def get_config(self):
        # A function is saved by name; from_config finds it among numcnn.metrics' functions.
        return {**super().get_config(), "fn": getattr(self._fn, "__name__", repr(self._fn)), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        from numcnn.metrics import function_named

        config = dict(config)
        if "fn" in config:
            config["fn"] = function_named(config["fn"])
        return cls(**config)
