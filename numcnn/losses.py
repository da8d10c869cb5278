"""Losses by name, each a per-sample value and the gradient of the batch mean.

A loss object gives ``per_sample(y_true, y_pred) -> (N,)`` and ``gradient(y_true, y_pred) -> dL/dy_pred``
for ``L = mean(per_sample)``. The crossentropies also give ``softmax_gradient(y_true, probs)``: the
gradient with respect to the logits when ``probs = softmax(logits)``, which is simply
``(probs · Σy − y) / N`` — the model uses it when the last activation is softmax, skipping softmax's
Jacobian and the clipped ``log`` (stable however confident the prediction).
"""

from __future__ import annotations

import numpy as np

from numcnn import backend
from numcnn._checks import invalid
from numcnn._registry import Registry

EPSILON = backend.epsilon()


def _clip(p):
    return np.clip(p, EPSILON, 1.0 - EPSILON)


class Loss:
    name = "loss"
    fuses_with_softmax = False

    def __call__(self, y_true, y_pred) -> float:
        return float(np.mean(self.per_sample(y_true, y_pred)))

    def check_targets(self, y_true: np.ndarray, output_shape: tuple, name: str = "y") -> None:
        """Raise when ``y_true`` cannot be a target for outputs of ``output_shape`` (``(N, …)``)."""
        if y_true.shape != tuple(output_shape):
            raise ValueError(
                f"Invalid value for argument '{name}': expected targets of shape {tuple(output_shape)} for loss "
                f"'{self.name}'. Received: {name}.shape={y_true.shape}{self._hint(y_true, output_shape)}"
            )

    def _hint(self, y_true: np.ndarray, output_shape: tuple) -> str:
        return ""

    def get_config(self) -> dict:
        return {"name": self.name}


class CategoricalCrossentropy(Loss):
    """``−Σ y·log p`` over the last axis on row-normalised probabilities clipped to [1e-7, 1 − 1e-7].

    ``y_true``, ``y_pred``: ``(N, K)``; ``y_true`` one-hot (or any distribution).
    """

    name = "categorical_crossentropy"
    fuses_with_softmax = True

    def _hint(self, y_true, output_shape):
        if len(output_shape) == 2 and y_true.shape in ((output_shape[0],), (output_shape[0], 1)):
            return (
                " (integer labels? one-hot encode them with numcnn.utils.to_categorical(y, "
                f"{output_shape[1]}) or use loss='sparse_categorical_crossentropy')"
            )
        return ""

    def per_sample(self, y_true, y_pred):
        p = _clip(y_pred / np.sum(y_pred, axis=-1, keepdims=True))
        return -np.sum(y_true * np.log(p), axis=-1)

    def gradient(self, y_true, y_pred):
        total = np.sum(y_pred, axis=-1, keepdims=True)
        q = y_pred / total
        inside = (q > EPSILON) & (q < 1.0 - EPSILON)  # the clip passes no gradient where it bites
        dq = np.where(inside, -y_true / np.where(inside, q, 1.0), 0.0)
        # q = p / Σp, so dL/dp = (dq − Σ dq·q) / Σp
        dp = (dq - np.sum(dq * q, axis=-1, keepdims=True)) / total
        return (dp / y_pred.shape[0]).astype(y_pred.dtype, copy=False)

    def softmax_gradient(self, y_true, probs):
        grad = probs * np.sum(y_true, axis=-1, keepdims=True) - y_true
        return (grad / probs.shape[0]).astype(probs.dtype, copy=False)


class SparseCategoricalCrossentropy(CategoricalCrossentropy):
    """Crossentropy with integer class labels ``y_true`` of shape ``(N,)`` (or ``(N, 1)``) in ``[0, K)``."""

    name = "sparse_categorical_crossentropy"

    @staticmethod
    def _one_hot(y_true, y_pred):
        labels = np.asarray(y_true).reshape(-1).astype(np.int64)
        one_hot = np.zeros(y_pred.shape, dtype=y_pred.dtype)
        one_hot[np.arange(labels.size), labels] = 1
        return one_hot

    def per_sample(self, y_true, y_pred):
        return super().per_sample(self._one_hot(y_true, y_pred), y_pred)

    def gradient(self, y_true, y_pred):
        return super().gradient(self._one_hot(y_true, y_pred), y_pred)

    def softmax_gradient(self, y_true, probs):
        grad = probs.copy()
        grad[np.arange(probs.shape[0]), np.asarray(y_true).reshape(-1).astype(np.int64)] -= 1
        return (grad / probs.shape[0]).astype(probs.dtype, copy=False)

    def check_targets(self, y_true, output_shape, name="y"):
        n, classes = output_shape[0], output_shape[-1]
        if y_true.shape not in ((n,), (n, 1)):
            hint = ""
            if y_true.shape == (n, classes) and classes > 1:
                hint = " (one-hot targets? use loss='categorical_crossentropy')"
            raise ValueError(
                f"Invalid value for argument '{name}': expected integer labels of shape ({n},) for loss "
                f"'{self.name}'. Received: {name}.shape={y_true.shape}{hint}"
            )
        if y_true.dtype.kind == "f" and not np.all(y_true == np.round(y_true)):
            raise invalid(name, "integer class labels", "non-integer values")
        bad = y_true[(y_true < 0) | (y_true >= classes)]
        if bad.size:
            value = bad.flat[0]
            shown = f"{int(value)}" if abs(float(value)) < 2**63 else f"{float(value):g}"
            raise ValueError(
                f"Received a label value of {shown} which is outside the valid range of [0, {classes}) "
                f"in argument '{name}'"
            )


class BinaryCrossentropy(Loss):
    """``−(y·log p + (1 − y)·log(1 − p))`` averaged over the last axis; ``p`` clipped to [1e-7, 1 − 1e-7]."""

    name = "binary_crossentropy"

    def per_sample(self, y_true, y_pred):
        p = _clip(y_pred)
        per_element = -(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))
        return per_element.reshape(per_element.shape[0], -1).mean(axis=1)

    def gradient(self, y_true, y_pred):
        p = _clip(y_pred)
        inside = (y_pred > EPSILON) & (y_pred < 1 - EPSILON)
        grad = np.where(inside, (p - y_true) / (p * (1 - p)), 0.0)
        return (grad / y_pred.size).astype(y_pred.dtype, copy=False)


class MeanSquaredError(Loss):
    """``mean((y − p)²)`` over all but the batch axis."""

    name = "mean_squared_error"

    def per_sample(self, y_true, y_pred):
        sq = np.square(y_pred - y_true)
        return sq.reshape(sq.shape[0], -1).mean(axis=1)

    def gradient(self, y_true, y_pred):
        return (2 * (y_pred - y_true) / y_pred.size).astype(y_pred.dtype, copy=False)


_REGISTRY = Registry("loss", Loss)
_REGISTRY.register(CategoricalCrossentropy, "categorical_crossentropy")
_REGISTRY.register(SparseCategoricalCrossentropy, "sparse_categorical_crossentropy")
_REGISTRY.register(BinaryCrossentropy, "binary_crossentropy")
_REGISTRY.register(MeanSquaredError, "mean_squared_error", "mse")


def get(identifier) -> Loss:
    """Resolve a loss name (``'categorical_crossentropy'``, ``'mse'``, …), class, instance or config dict."""
    return _REGISTRY.get(identifier)


categorical_crossentropy = CategoricalCrossentropy()
sparse_categorical_crossentropy = SparseCategoricalCrossentropy()
binary_crossentropy = BinaryCrossentropy()
mean_squared_error = MeanSquaredError()
