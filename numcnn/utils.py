"""Keras' ``keras.utils`` helpers: ``to_categorical`` and ``set_random_seed``."""

from __future__ import annotations

import numpy as np

from numcnn import random as nrandom
from numcnn._checks import invalid, positive_int


def to_categorical(y, num_classes=None, dtype="float32") -> np.ndarray:
    """One-hot encode integer labels: ``(N,)`` (or ``(N, 1)``) ints in ``[0, num_classes)`` → ``(N, num_classes)``.

    ``num_classes`` defaults to ``max(y) + 1``. Labels outside the range raise ``ValueError``.
    """
    labels = np.asarray(y)
    if labels.dtype.kind not in "biuf":
        raise invalid("y", "an array of integer class labels", f"an array of dtype {labels.dtype}", TypeError)
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    if labels.dtype.kind == "f" and not (np.all(np.isfinite(labels)) and np.all(labels == np.round(labels))):
        raise invalid("y", "integer class labels", "non-integer values")
    labels = labels.astype(np.int64)
    if labels.size and labels.min() < 0:
        raise ValueError(f"Received a label value of {labels.min()} which is outside the valid range of [0, ...)")
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    else:
        num_classes = positive_int("num_classes", num_classes)
        if labels.size and labels.max() >= num_classes:
            raise ValueError(
                f"Received a label value of {labels.max()} which is outside the valid range of [0, {num_classes})"
            )
    out = np.zeros((*labels.shape, num_classes), dtype=dtype)
    np.put_along_axis(out, labels[..., None], 1, axis=-1)
    return out


def set_random_seed(seed: int) -> None:
    """Seed numcnn's generator (initializers, dropout, shuffling) and NumPy's legacy global one."""
    nrandom.set_seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 (user code may still draw from the legacy global state)
