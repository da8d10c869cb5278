"""Regression losses, as Keras 3 computes them, each as a class and as a function.

Every function maps ``(N, …, K), (N, …, K) -> (N, …)`` (the mean, or the sum, over the last axis); the
classes add the batch reduction and the gradient. Where a formula has a kink (``|e|`` at 0, Huber's switch,
``max(p, ε)``), the gradient takes TensorFlow's side of it: ``sign(0) = 0``, and ``max``/``clip`` pass the
gradient to their input at a tie.
"""

from __future__ import annotations

import math

import numpy as np

from numcnn._checks import finite_number, integer
from numcnn.losses.loss import EPSILON, LastAxisLoss, Loss, spread

_LOG2 = math.log(2.0)


def mean_squared_error(y_true, y_pred):
    """``mean((y − p)²)`` over the last axis."""
    return MeanSquaredError().values(y_true, y_pred)


class MeanSquaredError(LastAxisLoss):
    """``MeanSquaredError(reduction='sum_over_batch_size', name='mean_squared_error')``; also ``'mse'``."""

    function = staticmethod(mean_squared_error)

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error"):
        super().__init__(name=name, reduction=reduction)

    def call(self, y_true, y_pred):
        return np.mean(np.square(y_true - y_pred), axis=-1)

    def call_backward(self, y_true, y_pred, upstream):
        return spread(upstream) * (2.0 / y_pred.shape[-1]) * (y_pred - y_true)


def mean_absolute_error(y_true, y_pred):
    """``mean(|y − p|)`` over the last axis."""
    return MeanAbsoluteError().values(y_true, y_pred)


class MeanAbsoluteError(LastAxisLoss):
    """``MeanAbsoluteError(reduction='sum_over_batch_size', name='mean_absolute_error')``; also ``'mae'``."""

    function = staticmethod(mean_absolute_error)

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error"):
        super().__init__(name=name, reduction=reduction)

    def call(self, y_true, y_pred):
        return np.mean(np.abs(y_true - y_pred), axis=-1)

    def call_backward(self, y_true, y_pred, upstream):
        return spread(upstream) / y_pred.shape[-1] * np.sign(y_pred - y_true)


def mean_absolute_percentage_error(y_true, y_pred):
    """``100·mean(|y − p| / max(|y|, ε))`` over the last axis."""
    return MeanAbsolutePercentageError().values(y_true, y_pred)


class MeanAbsolutePercentageError(LastAxisLoss):
    """``MeanAbsolutePercentageError(reduction='sum_over_batch_size', name='mean_absolute_percentage_error')``;
    also ``'mape'``."""

    function = staticmethod(mean_absolute_percentage_error)

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error"):
        super().__init__(name=name, reduction=reduction)

    def call(self, y_true, y_pred):
        return 100.0 * np.mean(np.abs((y_true - y_pred) / np.maximum(np.abs(y_true), EPSILON)), axis=-1)

    def call_backward(self, y_true, y_pred, upstream):
        scale = spread(upstream) * (100.0 / y_pred.shape[-1])
        return scale * np.sign(y_pred - y_true) / np.maximum(np.abs(y_true), EPSILON)


def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean((log(max(p, ε) + 1) − log(max(y, ε) + 1))²)`` over the last axis."""
    return MeanSquaredLogarithmicError().values(y_true, y_pred)


class MeanSquaredLogarithmicError(LastAxisLoss):
    """``MeanSquaredLogarithmicError(reduction='sum_over_batch_size', name='mean_squared_logarithmic_error')``;
    also ``'msle'``."""

    function = staticmethod(mean_squared_logarithmic_error)

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error"):
        super().__init__(name=name, reduction=reduction)

    def call(self, y_true, y_pred):
        diff = np.log(np.maximum(y_pred, EPSILON) + 1.0) - np.log(np.maximum(y_true, EPSILON) + 1.0)
        return np.mean(np.square(diff), axis=-1)

    def call_backward(self, y_true, y_pred, upstream):
        p = np.maximum(y_pred, EPSILON)
        diff = np.log(p + 1.0) - np.log(np.maximum(y_true, EPSILON) + 1.0)
        grad = spread(upstream) * (2.0 / y_pred.shape[-1]) * diff / (p + 1.0)
        return np.where(y_pred >= EPSILON, grad, 0.0)


def huber(y_true, y_pred, delta=1.0):
    """``mean(½e²)`` where ``|e| ≤ δ``, else ``δ·|e| − ½δ²``, over the last axis (``e = p − y``)."""
    return Huber(delta=delta).values(y_true, y_pred)


class Huber(LastAxisLoss):
    """Quadratic near zero, linear beyond ``delta``: ``Huber(delta=1.0, reduction='sum_over_batch_size',
    name='huber_loss')``; also ``'huber'``."""

    function = staticmethod(huber)

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss"):
        super().__init__(name=name, reduction=reduction)
        self.delta = finite_number("delta", delta, low=0)

    def get_config(self):
        return {**super().get_config(), "delta": self.delta}

    def call(self, y_true, y_pred):
        e = y_pred - y_true
        a, d = np.abs(e), self.delta
        return np.mean(np.where(a <= d, 0.5 * np.square(e), d * a - 0.5 * d * d), axis=-1)

    def call_backward(self, y_true, y_pred, upstream):
        e = y_pred - y_true
        slope = np.where(np.abs(e) <= self.delta, e, self.delta * np.sign(e))
        return spread(upstream) / y_pred.shape[-1] * slope


def log_cosh(y_true, y_pred):
    """``mean(log(cosh(p − y)))`` over the last axis, as ``x + softplus(−2x) − log 2`` (no overflow)."""
    return LogCosh().values(y_true, y_pred)


class LogCosh(LastAxisLoss):
    """``LogCosh(reduction='sum_over_batch_size', name='log_cosh')``; Keras 2 spelled it ``'logcosh'``."""

    function = staticmethod(log_cosh)

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh"):
        super().__init__(name=name, reduction=reduction)

    def call(self, y_true, y_pred):
        x = y_pred - y_true
        return np.mean(x + np.logaddexp(-2.0 * x, 0.0) - _LOG2, axis=-1)

    def call_backward(self, y_true, y_pred, upstream):
        return spread(upstream) / y_pred.shape[-1] * np.tanh(y_pred - y_true)


def cosine_similarity(y_true, y_pred, axis=-1):
    """``−Σ ŷ·p̂`` over ``axis``, each normalised by ``max(‖·‖₂, ε)``: −1 when they point the same way."""
    return CosineSimilarity(axis=axis).values(y_true, y_pred)


class CosineSimilarity(Loss):
    """``CosineSimilarity(axis=-1, reduction='sum_over_batch_size', name='cosine_similarity')``."""

    function = staticmethod(cosine_similarity)

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity"):
        super().__init__(name=name, reduction=reduction)
        self.axis = integer("axis", axis)

    def get_config(self):
        # Keras' config leaves the axis out too
        return super().get_config()

    def _axis(self, ndim):
        axis = self.axis % ndim if -ndim <= self.axis < ndim else None
        if axis in (None, 0):
            raise ValueError(
                f"Invalid value for argument 'axis': expected an axis other than the batch axis of y_pred of "
                f"rank {ndim}. Received: axis={self.axis}"
            )
        return axis

    def values_shape(self, y_true, y_pred):
        axis = self._axis(y_pred.ndim)
        return y_pred.shape[:axis] + y_pred.shape[axis + 1 :]

    @staticmethod
    def _norm(x, axis):
        return np.maximum(np.sqrt(np.sum(np.square(x), axis=axis, keepdims=True)), EPSILON)

    def call(self, y_true, y_pred):
        axis = self._axis(y_pred.ndim)
        return -np.sum(y_true / self._norm(y_true, axis) * y_pred / self._norm(y_pred, axis), axis=axis)

    def call_backward(self, y_true, y_pred, upstream):
        axis = self._axis(y_pred.ndim)
        t_hat = y_true / self._norm(y_true, axis)
        norm = self._norm(y_pred, axis)
        p_hat = y_pred / norm
        # d(p/‖p‖)ᵀt̂ = (t̂ − (t̂·p̂)p̂)/‖p‖ above the ε floor; below it the norm is the constant ε
        above = np.sqrt(np.sum(np.square(y_pred), axis=axis, keepdims=True)) > EPSILON
        radial = np.where(above, np.sum(t_hat * p_hat, axis=axis, keepdims=True) * p_hat, 0.0)
        return -spread(upstream, axis) * (t_hat - radial) / norm
