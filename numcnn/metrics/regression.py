"""Metrics that average a loss function over an epoch: regression errors, crossentropies, hinges.

Each is Keras 3's ``MeanMetricWrapper`` of the function of the same name in ``numcnn.losses`` (its values
per sample, averaged with the sample weights), with Keras' default name; ``RootMeanSquaredError`` takes the
square root of the running mean of squared errors, and ``CosineSimilarity`` averages ``+ŷ·p̂`` (the loss of
that name is its negative).
"""

from __future__ import annotations

import numpy as np

from numcnn import losses
from numcnn._checks import flag, fraction, integer
from numcnn.losses.loss import EPSILON
from numcnn.metrics.accuracy_metrics import _aligned
from numcnn.metrics.reduction import Mean, MeanMetricWrapper


class _LossMean(MeanMetricWrapper):
    """The running mean of one of ``numcnn.losses``' functions; config ``{name, dtype}`` as Keras'."""

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class MeanSquaredError(_LossMean):
    """``mean((y − p)²)`` per sample, averaged; also ``'mse'``.

    ``MeanSquaredError(name='mean_squared_error', dtype=None)``.
    """

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(losses.mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(_LossMean):
    """``mean(|y − p|)`` per sample, averaged; also ``'mae'``.

    ``MeanAbsoluteError(name='mean_absolute_error', dtype=None)``.
    """

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(losses.mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(_LossMean):
    """``100·mean(|y − p| / max(|y|, ε))``, averaged; also ``'mape'``.

    ``MeanAbsolutePercentageError(name='mean_absolute_percentage_error', dtype=None)``.
    """

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(losses.mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(_LossMean):
    """``mean((log(p + 1) − log(y + 1))²)``, averaged; also ``'msle'``.

    ``MeanSquaredLogarithmicError(name='mean_squared_logarithmic_error', dtype=None)``.
    """

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(losses.mean_squared_logarithmic_error, name=name, dtype=dtype)


class LogCoshError(_LossMean):
    """``mean(log(cosh(p − y)))``, averaged (Keras names it ``'logcosh'``).

    ``LogCoshError(name='logcosh', dtype=None)``.
    """

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(losses.log_cosh, name=name, dtype=dtype)


class KLDivergence(_LossMean):
    """``Σ y·log(y / p)`` per sample, averaged. ``KLDivergence(name='kl_divergence', dtype=None)``."""

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(losses.kl_divergence, name=name, dtype=dtype)


class Poisson(_LossMean):
    """``mean(p − y·log(p + ε))``, averaged. ``Poisson(name='poisson', dtype=None)``."""

    def __init__(self, name="poisson", dtype=None):
        super().__init__(losses.poisson, name=name, dtype=dtype)


class Hinge(_LossMean):
    """``mean(max(1 − y·p, 0))``, averaged. ``Hinge(name='hinge', dtype=None)``."""

    def __init__(self, name="hinge", dtype=None):
        super().__init__(losses.hinge, name=name, dtype=dtype)


class SquaredHinge(_LossMean):
    """``mean(max(1 − y·p, 0)²)``, averaged. ``SquaredHinge(name='squared_hinge', dtype=None)``."""

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(losses.squared_hinge, name=name, dtype=dtype)


class CategoricalHinge(_LossMean):
    """``max(max((1 − y)·p) − Σ y·p + 1, 0)``, averaged.

    ``CategoricalHinge(name='categorical_hinge', dtype=None)``.
    """

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(losses.categorical_hinge, name=name, dtype=dtype)


class RootMeanSquaredError(Mean):
    """``sqrt`` of the running mean of ``(p − y)²``: ``RootMeanSquaredError(name='root_mean_squared_error')``."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _aligned(y_true, y_pred)
        super().update_state(np.square(y_pred - y_true.astype(y_pred.dtype)), sample_weight)

    def result(self):
        return float(np.sqrt(super().result()))


def cosine_similarity(y_true, y_pred, axis=-1):
    """``Σ ŷ·p̂`` over ``axis``, each normalised by ``max(‖·‖₂, ε)``: 1 when they point the same way."""
    y_true, y_pred = _aligned(y_true, y_pred)
    y_true = y_true.astype(y_pred.dtype)

    def unit(x):
        return x / np.maximum(np.sqrt(np.sum(np.square(x), axis=axis, keepdims=True)), EPSILON)

    return np.sum(unit(y_true) * unit(y_pred), axis=axis)


class CosineSimilarity(MeanMetricWrapper):
    """``CosineSimilarity(name='cosine_similarity', dtype=None, axis=-1)``."""

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=integer("axis", axis))

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class BinaryCrossentropy(MeanMetricWrapper):
    """``BinaryCrossentropy(name='binary_crossentropy', dtype=None, from_logits=False, label_smoothing=0)``."""

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0):
        self.from_logits = flag("from_logits", from_logits)
        self.label_smoothing = fraction("label_smoothing", label_smoothing, high_inclusive=True)
        super().__init__(
            losses.binary_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=self.from_logits,
            label_smoothing=self.label_smoothing,
        )

    def get_config(self):
        return {
            "name": self.name,
            "dtype": self.dtype,
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
        }


class CategoricalCrossentropy(MeanMetricWrapper):
    """``CategoricalCrossentropy(name='categorical_crossentropy', dtype=None, from_logits=False,
    label_smoothing=0, axis=-1)``."""

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False, label_smoothing=0, axis=-1):
        self.from_logits = flag("from_logits", from_logits)
        self.label_smoothing = fraction("label_smoothing", label_smoothing, high_inclusive=True)
        self.axis = integer("axis", axis)
        super().__init__(
            losses.categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=self.from_logits,
            label_smoothing=self.label_smoothing,
            axis=self.axis,
        )

    def get_config(self):
        return {
            "name": self.name,
            "dtype": self.dtype,
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
            "axis": self.axis,
        }


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """``SparseCategoricalCrossentropy(name='sparse_categorical_crossentropy', dtype=None, from_logits=False,
    ignore_class=None, axis=-1)``; as the loss, ``ignore_class`` must be None."""

    def __init__(
        self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False, ignore_class=None, axis=-1
    ):
        losses.SparseCategoricalCrossentropy(from_logits=from_logits, ignore_class=ignore_class, axis=axis)
        self.from_logits, self.ignore_class, self.axis = bool(from_logits), None, -1
        super().__init__(losses.sparse_categorical_crossentropy, name=name, dtype=dtype, from_logits=self.from_logits)

    def get_config(self):
        return {
            "name": self.name,
            "dtype": self.dtype,
            "from_logits": self.from_logits,
            "ignore_class": self.ignore_class,
            "axis": self.axis,
        }
