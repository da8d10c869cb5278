"""Hinge losses for ±1 (or 0/1) targets, as Keras 3 computes them, each as a class and as a function.

``hinge`` and ``squared_hinge`` map targets to ±1 when every target in the batch is 0 or 1 (Keras' rule),
then take ``max(1 − y·p, 0)`` per element; ``categorical_hinge`` compares the true class' score with the best
other one. Where several classes tie for the best, the gradient splits among them, and at the hinge itself
(``max(a, 0)`` at ``a = 0``) it still flows, as TensorFlow's ``max`` does.
"""

from __future__ import annotations

import numpy as np

from numcnn.losses.loss import LastAxisLoss, spread


def _signed(y_true):
    """``2y − 1`` when every target is 0 or 1, else the targets as they are."""
    return 2.0 * y_true - 1.0 if np.all((y_true == 0) | (y_true == 1)) else y_true


def hinge(y_true, y_pred):
    """``mean(max(1 − y·p, 0))`` over the last axis: ``(N, …, K) -> (N, …)``."""
    return Hinge().values(y_true, y_pred)


class Hinge(LastAxisLoss):
    """``Hinge(reduction='sum_over_batch_size', name='hinge')``."""

    function = staticmethod(hinge)

    def __init__(self, reduction="sum_over_batch_size", name="hinge"):
        super().__init__(name=name, reduction=reduction)

    def call(self, y_true, y_pred):
        return np.mean(np.maximum(1.0 - _signed(y_true) * y_pred, 0.0), axis=-1)

    def call_backward(self, y_true, y_pred, upstream):
        t = _signed(y_true)
        return np.where(1.0 - t * y_pred >= 0, -t, 0.0) * (spread(upstream) / y_pred.shape[-1])


def squared_hinge(y_true, y_pred):
    """``mean(max(1 − y·p, 0)²)`` over the last axis: ``(N, …, K) -> (N, …)``."""
    return SquaredHinge().values(y_true, y_pred)


class SquaredHinge(LastAxisLoss):
    """``SquaredHinge(reduction='sum_over_batch_size', name='squared_hinge')``."""

    function = staticmethod(squared_hinge)

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge"):
        super().__init__(name=name, reduction=reduction)

    def call(self, y_true, y_pred):
        return np.mean(np.square(np.maximum(1.0 - _signed(y_true) * y_pred, 0.0)), axis=-1)

    def call_backward(self, y_true, y_pred, upstream):
        t = _signed(y_true)
        return -2.0 * t * np.maximum(1.0 - t * y_pred, 0.0) * (spread(upstream) / y_pred.shape[-1])


def categorical_hinge(y_true, y_pred):
    """``max(max((1 − y)·p) − Σ y·p + 1, 0)`` over the last axis, for one-hot ``y``: ``(N, …, K) -> (N, …)``."""
    return CategoricalHinge().values(y_true, y_pred)


class CategoricalHinge(LastAxisLoss):
    """``CategoricalHinge(reduction='sum_over_batch_size', name='categorical_hinge')``."""

    function = staticmethod(categorical_hinge)

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge"):
        super().__init__(name=name, reduction=reduction)

    def call(self, y_true, y_pred):
        pos = np.sum(y_true * y_pred, axis=-1)
        neg = np.max((1.0 - y_true) * y_pred, axis=-1)
        return np.maximum(neg - pos + 1.0, 0.0)

    def call_backward(self, y_true, y_pred, upstream):
        others = (1.0 - y_true) * y_pred
        is_max = others == np.max(others, axis=-1, keepdims=True)
        share = is_max / np.sum(is_max, axis=-1, keepdims=True)
        # TensorFlow's max(a, 0) passes the gradient to a at a = 0 too
        pos = np.sum(y_true * y_pred, axis=-1, keepdims=True)
        active = np.max(others, axis=-1, keepdims=True) - pos + 1.0 >= 0
        return np.where(active, spread(upstream) * ((1.0 - y_true) * share - y_true), 0.0)
