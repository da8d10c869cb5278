"""``to_categorical`` and ``normalize``: Keras' numerical helpers on NumPy arrays."""

from __future__ import annotations

import numbers

import numpy as np

from numcnn import backend
from numcnn._checks import check_allocation, integer, invalid, numeric_dtype, positive_int


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
    out_dtype = numeric_dtype(dtype)
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


def normalize(x, axis=-1, order=2) -> np.ndarray:
    """``x / ‖x‖`` along ``axis``, with ``np.linalg.norm``'s ``order`` (2: Euclidean, 1, ``np.inf`` …).

    Returns a new array of ``x``'s shape: float inputs keep their dtype, others become ``floatx()``. Slices
    whose norm is 0 are returned unchanged (all zeros) rather than divided by zero. Keras' NumPy path
    turns ``axis=0`` into ``-1`` when it broadcasts the norm (``axis or -1``); here every axis means itself.
    """
    if isinstance(x, (str, bytes, dict)) or x is None:
        raise invalid("x", "a numeric array", f"a {type(x).__name__}", TypeError)
    try:
        array = np.asarray(x)
    except (ValueError, TypeError) as err:
        raise invalid("x", "a numeric array", f"an object that is not an array ({err})", TypeError) from None
    if array.dtype.kind not in "biuf":
        raise invalid("x", "a numeric array", f"an array of dtype {array.dtype}", TypeError)
    if array.ndim == 0:
        raise invalid("x", "an array of at least one dimension", array)
    axis = integer("axis", axis)
    if not -array.ndim <= axis < array.ndim:
        raise invalid("axis", f"an axis of an array of rank {array.ndim}", axis)
    if not isinstance(order, numbers.Real) or isinstance(order, bool):
        raise invalid("order", "a positive number or np.inf", order, TypeError)
    if not order > 0:
        raise invalid("order", "a positive number or np.inf", order)
    if array.dtype.kind != "f":
        array = array.astype(backend.floatx())
    norm = np.linalg.norm(array, ord=order, axis=axis, keepdims=True)
    return array / np.where(norm == 0, 1, norm).astype(array.dtype)
