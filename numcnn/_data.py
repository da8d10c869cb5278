"""Checking and preparing the arrays given to ``fit``, ``evaluate`` and ``predict``.

Everything here raises before the model changes: wrong types, shapes, lengths, NaN/inf, label ranges,
bad split fractions. What passes comes back as arrays of the model's dtype, ready to slice into batches.
"""

from __future__ import annotations

import numpy as np

from numcnn._checks import fraction, invalid, positive_int
from numcnn.layers.base import format_shape


def as_numeric_array(name: str, value, dtype=None) -> np.ndarray:
    """``value`` as a numeric ndarray (optionally cast to ``dtype``); rejects objects, strings, NaN, inf."""
    if value is None:
        raise invalid(name, "a numeric array", None, TypeError)
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as err:  # ragged nested lists
        raise invalid(name, "a numeric array", f"an object that is not an array ({err})", TypeError) from None
    if arr.dtype.kind not in "biuf":
        raise invalid(name, "a numeric array", f"an array of dtype {arr.dtype}", TypeError)
    if arr.ndim == 0:
        raise invalid(name, "an array with a batch axis", f"a scalar {arr.item()!r}")
    if arr.shape[0] == 0:
        raise invalid(name, "at least one sample", f"an empty array of shape {format_shape(arr.shape)}")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        bad = "NaN" if np.isnan(arr).any() else "inf"
        raise invalid(name, "finite values", f"an array containing {bad}")
    if dtype is not None:
        arr = np.ascontiguousarray(arr, dtype=dtype)
    return arr


def check_inputs(x: np.ndarray, input_shape: tuple) -> None:
    """Raise unless ``x`` (already an array) has the model's per-sample ``input_shape`` ``(None, …)``."""
    if x.ndim != len(input_shape) or tuple(x.shape[1:]) != tuple(input_shape[1:]):
        raise ValueError(
            f"Invalid value for argument 'x': expected an array of shape {format_shape(input_shape)}. "
            f"Received: x.shape={format_shape(x.shape)}"
        )


def check_same_length(x: np.ndarray, y: np.ndarray) -> None:
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            f"Invalid value for argument 'y': expected as many samples as x ({x.shape[0]}). "
            f"Received: y with {y.shape[0]} samples"
        )


def check_batch_size(batch_size, default: int = 32) -> int:
    return default if batch_size is None else positive_int("batch_size", batch_size)


def split_validation(x, y, validation_split):
    """Keras' split: the first ``floor(n·(1 − v))`` samples train, the rest validate (before shuffling)."""
    v = fraction("validation_split", validation_split)
    if v == 0.0:
        return (x, y), None
    n_train = int(x.shape[0] * (1.0 - v))
    if n_train < 1 or n_train == x.shape[0]:
        raise ValueError(
            f"Invalid value for argument 'validation_split': expected a fraction that leaves at least one "
            f"training and one validation sample of {x.shape[0]}. Received: validation_split={validation_split}"
        )
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


def batches(n: int, batch_size: int, order: np.ndarray | None = None):
    """Yield index slices (or index arrays from ``order``) of at most ``batch_size``; the last may be short."""
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        yield slice(start, stop) if order is None else order[start:stop]
