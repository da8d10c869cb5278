"""Keras' ``keras.utils`` helpers: ``to_categorical`` and ``set_random_seed``."""

from __future__ import annotations

import numpy as np

from numcnn import random as nrandom
from numcnn._checks import check_allocation, invalid, positive_int


def to_categorical(y, num_classes=None, dtype="float32") -> np.ndarray:
    """One-hot encode integer labels: ``(N,)`` (or ``(N, 1)``) ints in ``[0, num_classes)`` → ``(N, num_classes)``.

    ``num_classes`` defaults to ``max(y) + 1``. Labels outside the range, negative or fractional labels, and
    non-numeric input raise ``ValueError``/``TypeError`` before anything is allocated.
    """
    if y is None or isinstance(y, (str, bytes, dict)):
        raise invalid("y", "an array of integer class labels", f"a {type(y).__name__}", TypeError)
    try:
        labels = np.asarray(y)
    except (ValueError, TypeError, OverflowError, RecursionError) as err:  # ragged nested lists
        raise invalid(
            "y", "an array of integer class labels", f"an object that is not an array ({err})", TypeError
        ) from None
    if labels.dtype.kind not in "biuf":
        raise invalid("y", "an array of integer class labels", f"an array of dtype {labels.dtype}", TypeError)
    try:
        out_dtype = np.dtype(dtype)
    except (TypeError, ValueError):
        raise invalid("dtype", "a numeric dtype such as 'float32'", dtype, TypeError) from None
    if out_dtype.kind not in "biuf":
        raise invalid("dtype", "a numeric dtype such as 'float32'", dtype)
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    if labels.dtype.kind == "f" and not (np.all(np.isfinite(labels)) and np.all(labels == np.round(labels))):
        raise invalid("y", "integer class labels", "non-integer values")
    if labels.dtype.kind == "f" and labels.size and np.abs(labels).max() >= 2**63:
        raise invalid("y", "integer class labels", f"a label value of {np.abs(labels).max():g}")
    labels = labels.astype(np.int64)
    if num_classes is not None:
        num_classes = positive_int("num_classes", num_classes)
    high = f"{num_classes}" if num_classes is not None else "num_classes"
    if labels.size and labels.min() < 0:
        raise ValueError(f"Received a label value of {labels.min()} which is outside the valid range of [0, {high})")
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    elif labels.size and labels.max() >= num_classes:
        raise ValueError(
            f"Received a label value of {labels.max()} which is outside the valid range of [0, {num_classes})"
        )
    check_allocation(
        f"Invalid value for argument 'num_classes': {num_classes} classes do not fit in memory",
        (*labels.shape, num_classes),
        out_dtype.itemsize,
    )
    out = np.zeros((*labels.shape, num_classes), dtype=out_dtype)
    np.put_along_axis(out, labels[..., None], 1, axis=-1)
    return out


def set_random_seed(seed: int) -> None:
    """Seed numcnn's generator (initializers, dropout, shuffling) and NumPy's legacy global one."""
    nrandom.set_seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 (user code may still draw from the legacy global state)
