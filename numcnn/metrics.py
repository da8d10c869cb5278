"""Accuracy metrics: per-sample correctness, averaged by the model over an epoch.

``'accuracy'``/``'acc'`` resolve like Keras: categorical accuracy for one-hot targets, sparse categorical
accuracy for integer labels, binary accuracy (threshold 0.5) for a binary crossentropy.
"""

from __future__ import annotations

import numpy as np

from numcnn._checks import invalid


def categorical_accuracy(y_true, y_pred):
    """``(N, K), (N, K) -> (N,)`` 1.0 where the arg-maxes agree."""
    return (np.argmax(y_true, axis=-1) == np.argmax(y_pred, axis=-1)).astype(np.float64)


def sparse_categorical_accuracy(y_true, y_pred):
    """``(N,) or (N, 1), (N, K) -> (N,)``."""
    return (np.asarray(y_true).reshape(-1) == np.argmax(y_pred, axis=-1)).astype(np.float64)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """``(N, …), (N, …) -> (N,)``: the fraction of elements on the right side of ``threshold``."""
    hits = (y_true > threshold) == (y_pred > threshold)
    return hits.reshape(hits.shape[0], -1).mean(axis=1)


_BY_NAME = {
    "categorical_accuracy": categorical_accuracy,
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
    "binary_accuracy": binary_accuracy,
}


def get(identifier, loss_name: str):
    """Resolve a metric name to ``(display_name, fn)``; 'accuracy'/'acc' follow the loss as Keras does."""
    names = ", ".join(repr(n) for n in ("accuracy", "acc", *_BY_NAME))
    if not isinstance(identifier, str):
        raise invalid("metrics", f"a list of names from {names}", identifier, TypeError)
    key = identifier.lower()
    if key in ("accuracy", "acc"):
        if loss_name.startswith("sparse"):
            return identifier, sparse_categorical_accuracy
        if loss_name.startswith("binary"):
            return identifier, binary_accuracy
        return identifier, categorical_accuracy
    if key not in _BY_NAME:
        raise invalid("metrics", f"a list of names from {names}", identifier)
    return key, _BY_NAME[key]
