"""Crossentropies and divergences, as Keras 3 computes them, each as a class and as a function.

Functions return Keras' per-position values (the last axis reduced: ``(N, K) -> (N,)``); classes are what
``compile`` takes. Probabilities are clipped to ``[ε, 1 − ε]`` (ε = 1e-7) where Keras clips them, and the clip
passes no gradient where it bites (at its bounds it still does, as TensorFlow's). With ``from_logits=True``
the predictions are logits: the values come from a log-sum-exp (or ``log1p(e^−|z|)`` for sigmoid) and stay
finite however large the logits.

The fused heads: when a model ends in softmax (or sigmoid) and the loss takes probabilities, the gradient
with respect to the logits ``z`` is simply ``(p·Σy − y)·w/N`` (``(p − y)·w/(N·K)`` for sigmoid), which skips
the activation's Jacobian and the clipped ``log``. A loss built with ``from_logits=True`` does not fuse.
"""

from __future__ import annotations

import warnings

import numpy as np

from numcnn._checks import flag, fraction, integer, invalid
from numcnn.losses.loss import (
    EPSILON,
    LastAxisLoss,
    Loss,
    spread,
)


def _log_softmax(z, axis):
    shifted = z - np.max(z, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def _softmax(z, axis):
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(z.dtype, copy=False)


def _class_axis(axis: int, ndim: int, name: str) -> int:
    if not -ndim <= axis < ndim or axis % ndim == 0:
        raise ValueError(
            f"Invalid value for argument 'axis': expected a class axis other than the batch axis of "
            f"y_pred of rank {ndim} for loss '{name}'. Received: axis={axis}"
        )
    return axis % ndim


class ClassAxisLoss(Loss):
    """A loss summed over its class axis ``self.axis``: its values have y_pred's shape without that axis."""

    def values_shape(self, y_true, y_pred):
        axis = _class_axis(self.axis, y_pred.ndim, self.name)
        return y_pred.shape[:axis] + y_pred.shape[axis + 1 :]


# -- categorical ---------------------------------------------------------------------------------------
def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """``−Σ y·log p`` over ``axis``: ``(N, …, K), (N, …, K) -> (N, …)``.

    Probabilities are normalised to sum to 1 along ``axis``, then clipped; ``label_smoothing`` ``s`` replaces
    ``y`` by ``y·(1 − s) + s/K``.
    """
    loss = CategoricalCrossentropy(from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
    return loss.values(y_true, y_pred)


class CategoricalCrossentropy(ClassAxisLoss):
    """Crossentropy of one-hot (or any distribution) targets ``(N, …, K)`` and predictions of that shape.

    ``CategoricalCrossentropy(from_logits=False, label_smoothing=0.0, axis=-1,
    reduction='sum_over_batch_size', name='categorical_crossentropy')``.
    """

    function = staticmethod(categorical_crossentropy)
    fuses_with_softmax = True

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_crossentropy",
    ):
        super().__init__(name=name, reduction=reduction)
        self.from_logits = flag("from_logits", from_logits)
        self.label_smoothing = fraction("label_smoothing", label_smoothing, high_inclusive=True)
        self.axis = integer("axis", axis)
        # The fused head differentiates through a softmax over the last axis of probabilities.
        self.fuses_with_softmax = not self.from_logits and self.axis == -1

    def get_config(self):
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
            "axis": self.axis,
        }

    def _smooth(self, t, axis):
        if not self.label_smoothing:
            return t
        s = self.label_smoothing
        return t * (1.0 - s) + s / t.shape[axis]

    def _hint(self, y_true, output_shape):
        if len(output_shape) == 2 and np.shape(y_true) in ((output_shape[0],), (output_shape[0], 1)):
            return (
                " (integer labels? one-hot encode them with numcnn.utils.to_categorical(y, "
                f"{output_shape[1]}) or use loss='sparse_categorical_crossentropy')"
            )
        return ""

    def call(self, y_true, y_pred):
        axis = _class_axis(self.axis, y_pred.ndim, self.name)
        if y_pred.shape[axis] == 1:
            warnings.warn(
                f"Loss '{self.name}' expects y_pred with num_classes > 1 along axis {self.axis}. Received: "
                f"y_pred.shape={y_pred.shape}; consider 'binary_crossentropy' for 2 classes",
                SyntaxWarning,
                stacklevel=3,
            )
        t = self._smooth(y_true, axis)
        if self.from_logits:
            log_p = _log_softmax(y_pred, axis)
        else:
            log_p = np.log(np.clip(y_pred / np.sum(y_pred, axis=axis, keepdims=True), EPSILON, 1.0 - EPSILON))
        return -np.sum(t * log_p, axis=axis)

    def call_backward(self, y_true, y_pred, upstream):
        axis = _class_axis(self.axis, y_pred.ndim, self.name)
        t, g = self._smooth(y_true, axis), spread(upstream, axis)
        if self.from_logits:
            return g * (_softmax(y_pred, axis) * np.sum(t, axis=axis, keepdims=True) - t)
        total = np.sum(y_pred, axis=axis, keepdims=True)
        q = y_pred / total
        inside = (q >= EPSILON) & (q <= 1.0 - EPSILON)  # the clip passes no gradient where it bites
        dq = np.where(inside, -t / np.where(inside, q, 1.0), 0.0) * g
        # q = p / Σp, so dL/dp = (dq − Σ dq·q) / Σp
        return (dq - np.sum(dq * q, axis=axis, keepdims=True)) / total

    def softmax_gradient(self, y_true, probs, sample_weight=None):
        """``dL/dz`` where ``probs = softmax(z)`` over the last axis: ``(p·Σy − y)·w/N``, in probs' dtype."""
        t, p = self._prepare(y_true, probs)
        t = self._smooth(t, -1)
        g = spread(self._upstream(t, p, sample_weight))
        grad = g * (p * np.sum(t, axis=-1, keepdims=True) - t)
        return grad.reshape(np.shape(probs)).astype(p.dtype, copy=False)


# -- sparse categorical ----------------------------------------------------------------------------------
def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """``−log p[label]``: integer labels ``(N, …)`` or ``(N, …, 1)`` in ``[0, K)``, ``(N, …, K) -> (N, …)``."""
    loss = SparseCategoricalCrossentropy(from_logits=from_logits, ignore_class=ignore_class, axis=axis)
    return loss.values(y_true, y_pred)


def check_labels(y_true: np.ndarray, classes: int, name: str = "y") -> np.ndarray:
    """Integer class labels in ``[0, classes)`` as int64, else the house-style error naming the bad value."""
    y_true = np.asarray(y_true)
    if y_true.dtype.kind not in "biuf":
        raise invalid(name, "integer class labels", f"array of dtype {y_true.dtype}", TypeError)
    if y_true.dtype.kind == "f" and not np.all(y_true == np.round(y_true)):
        raise invalid(name, "integer class labels", "non-integer values")
    bad = y_true[(y_true < 0) | (y_true >= classes)]
    if bad.size:
        value = bad.flat[0]
        shown = f"{int(value)}" if abs(float(value)) < 2**63 else f"{float(value):g}"
        raise ValueError(
            f"Received a label value of {shown} which is outside the valid range of [0, {classes}) in argument '{name}'"
        )
    return y_true.astype(np.int64, copy=False)


class SparseCategoricalCrossentropy(CategoricalCrossentropy):
    """Crossentropy with integer class labels ``y_true`` of shape ``(N, …)`` (or ``(N, …, 1)``) in ``[0, K)``.

    ``SparseCategoricalCrossentropy(from_logits=False, ignore_class=None, reduction='sum_over_batch_size',
    axis=-1, name='sparse_categorical_crossentropy')``. Keras' ``ignore_class`` masks labels out and divides
    by the number left, which is not a per-sample loss: numcnn refuses a value other than ``None``. The class
    axis is the last one (Keras' TensorFlow backend has the same limit). Probabilities are normalised, then
    clipped, as ``categorical_crossentropy`` does (TensorFlow clips first; the two agree on softmax outputs).
    """

    function = staticmethod(sparse_categorical_crossentropy)
    sparse = True

    def __init__(
        self,
        from_logits=False,
        ignore_class=None,
        reduction="sum_over_batch_size",
        axis=-1,
        name="sparse_categorical_crossentropy",
    ):
        if ignore_class is not None:
            raise invalid("ignore_class", "None (numcnn does not mask classes out of a loss yet)", ignore_class)
        if integer("axis", axis) != -1:
            raise invalid("axis", "-1 (the class axis of sparse crossentropy is the last one)", axis)
        super().__init__(from_logits=from_logits, reduction=reduction, name=name)
        self.ignore_class = None

    def get_config(self):
        return {
            "name": self.name,
            "reduction": self.reduction,
            "from_logits": self.from_logits,
            "ignore_class": self.ignore_class,
        }

    def _labels(self, y_true, y_pred):
        """The labels, checked, as a flat int64 array: one per row of ``y_pred.reshape(-1, K)``."""
        labels = y_true
        if labels.ndim == y_pred.ndim and labels.shape[-1] == 1:
            labels = labels[..., 0]
        if labels.shape != y_pred.shape[:-1]:
            raise ValueError(
                f"Loss '{self.name}' needs integer labels of shape {y_pred.shape[:-1]} for y_pred of shape "
                f"{y_pred.shape}. Received: y_true.shape={np.shape(y_true)}"
            )
        return check_labels(labels, y_pred.shape[-1], "y_true").reshape(-1)

    def _one_hot(self, y_true, y_pred):
        rows = y_pred.reshape(-1, y_pred.shape[-1])
        one_hot = np.zeros(rows.shape, dtype=y_pred.dtype)
        one_hot[np.arange(rows.shape[0]), self._labels(y_true, y_pred)] = 1.0
        return one_hot.reshape(y_pred.shape)

    def call(self, y_true, y_pred):
        # −log p[label] read off directly: no one-hot array on the hot path
        labels, rows = self._labels(y_true, y_pred), y_pred.reshape(-1, y_pred.shape[-1])
        picked = np.arange(rows.shape[0]), labels
        if self.from_logits:
            log_p = _log_softmax(rows, -1)[picked]
        else:
            log_p = np.log(np.clip(rows[picked] / np.sum(rows, axis=-1), EPSILON, 1.0 - EPSILON))
        return -log_p.reshape(y_pred.shape[:-1])

    def call_backward(self, y_true, y_pred, upstream):
        return super().call_backward(self._one_hot(y_true, y_pred), y_pred, upstream)

    def softmax_gradient(self, y_true, probs, sample_weight=None):
        """``dL/dz`` where ``probs = softmax(z)``: ``(p − onehot(label))·w/N``, in probs' dtype."""
        t, p = self._prepare(y_true, probs)
        grad = p.reshape(-1, p.shape[-1]).copy()
        grad[np.arange(grad.shape[0]), self._labels(t, p)] -= 1
        grad = grad.reshape(p.shape) * spread(self._upstream(t, p, sample_weight))
        return grad.reshape(np.shape(probs)).astype(p.dtype, copy=False)

    def check_targets(self, y_true, output_shape, name="y"):
        output_shape = tuple(output_shape)
        labels_shape, classes = output_shape[:-1], output_shape[-1]
        if np.shape(y_true) not in (labels_shape, (*labels_shape, 1)):
            hint = ""
            if np.shape(y_true) == output_shape and classes > 1:
                hint = " (one-hot targets? use loss='categorical_crossentropy')"
            raise ValueError(
                f"Invalid value for argument '{name}': expected integer labels of shape {labels_shape} for loss "
                f"'{self.name}'. Received: {name}.shape={np.shape(y_true)}{hint}"
            )
        check_labels(y_true, classes, name)


# -- binary ------------------------------------------------------------------------------------------------
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """``−(y·log p + (1 − y)·log(1 − p))`` averaged over ``axis``: ``(N, …, K), (N, …, K) -> (N, …)``.

    ``label_smoothing`` ``s`` replaces ``y`` by ``y·(1 − s) + s/2``.
    """
    loss = BinaryCrossentropy(from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
    return loss.values(y_true, y_pred)


class BinaryCrossentropy(ClassAxisLoss):
    """Crossentropy of independent yes/no targets in ``[0, 1]``, e.g. ``(N, 1)`` after a sigmoid.

    ``BinaryCrossentropy(from_logits=False, label_smoothing=0.0, axis=-1, reduction='sum_over_batch_size',
    name='binary_crossentropy')``. With logits ``z``: ``max(z, 0) − z·y + log1p(e^−|z|)`` (TensorFlow's
    stable form). ``fuses_with_sigmoid``/``sigmoid_gradient`` are the sigmoid head's counterpart of the
    softmax fusion.
    """

    function = staticmethod(binary_crossentropy)
    fuses_with_sigmoid = True

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_crossentropy",
    ):
        super().__init__(name=name, reduction=reduction)
        self.from_logits = flag("from_logits", from_logits)
        self.label_smoothing = fraction("label_smoothing", label_smoothing, high_inclusive=True)
        self.axis = integer("axis", axis)
        self.fuses_with_sigmoid = not self.from_logits

    def get_config(self):
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
            "axis": self.axis,
        }

    def _smooth(self, t):
        s = self.label_smoothing
        return t * (1.0 - s) + 0.5 * s if s else t

    def call(self, y_true, y_pred):
        axis = _class_axis(self.axis, y_pred.ndim, self.name)
        t = self._smooth(y_true)
        if self.from_logits:
            z = y_pred
            per_element = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
        else:
            p = np.clip(y_pred, EPSILON, 1.0 - EPSILON)
            per_element = -(t * np.log(p) + (1 - t) * np.log(1 - p))
        return np.mean(per_element, axis=axis)

    def call_backward(self, y_true, y_pred, upstream):
        axis = _class_axis(self.axis, y_pred.ndim, self.name)
        t, g = self._smooth(y_true), spread(upstream, axis) / y_pred.shape[axis]
        if self.from_logits:
            return g * (_sigmoid(y_pred) - t)
        inside = (y_pred >= EPSILON) & (y_pred <= 1 - EPSILON)
        p = np.where(inside, y_pred, 0.5)
        return np.where(inside, g * (p - t) / (p * (1 - p)), 0.0)

    def sigmoid_gradient(self, y_true, probs, sample_weight=None):
        """``dL/dz`` where ``probs = sigmoid(z)`` (last-axis mean): ``(p − y)·w/(N·K)``, in probs' dtype."""
        t, p = self._prepare(y_true, probs)
        g = spread(self._upstream(t, p, sample_weight), self.axis) / p.shape[self.axis]
        grad = g * (p - self._smooth(t))
        return grad.reshape(np.shape(probs)).astype(p.dtype, copy=False)


# -- divergences -------------------------------------------------------------------------------------------
def kl_divergence(y_true, y_pred):
    """``Σ y·log(y / p)`` over the last axis, both clipped to ``[ε, 1]``: ``(N, …, K) -> (N, …)``."""
    return KLDivergence().values(y_true, y_pred)


class KLDivergence(LastAxisLoss):
    """Kullback-Leibler divergence of the target distribution from the predicted one.

    ``KLDivergence(reduction='sum_over_batch_size', name='kl_divergence')``; also ``'kld'``.
    """

    function = staticmethod(kl_divergence)

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence"):
        super().__init__(name=name, reduction=reduction)

    def call(self, y_true, y_pred):
        t, p = np.clip(y_true, EPSILON, 1), np.clip(y_pred, EPSILON, 1)
        return np.sum(t * np.log(t / p), axis=-1)

    def call_backward(self, y_true, y_pred, upstream):
        inside = (y_pred >= EPSILON) & (y_pred <= 1)
        t = np.clip(y_true, EPSILON, 1)
        return np.where(inside, -spread(upstream) * t / np.where(inside, y_pred, 1.0), 0.0)


def poisson(y_true, y_pred):
    """``mean(p − y·log(p + ε))`` over the last axis: ``(N, …, K) -> (N, …)``."""
    return Poisson().values(y_true, y_pred)


class Poisson(LastAxisLoss):
    """Poisson negative log-likelihood (up to a constant) of counts ``y`` given rates ``p``.

    ``Poisson(reduction='sum_over_batch_size', name='poisson')``.
    """

    function = staticmethod(poisson)

    def __init__(self, reduction="sum_over_batch_size", name="poisson"):
        super().__init__(name=name, reduction=reduction)

    def call(self, y_true, y_pred):
        return np.mean(y_pred - y_true * np.log(y_pred + EPSILON), axis=-1)

    def call_backward(self, y_true, y_pred, upstream):
        return spread(upstream) / y_pred.shape[-1] * (1 - y_true / (y_pred + EPSILON))
