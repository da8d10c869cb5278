"""Checking and preparing the arrays given to ``fit``, ``evaluate`` and ``predict``.

Everything here raises before the model changes: wrong types, shapes, lengths, NaN/inf, label ranges,
bad split fractions. What passes comes back as arrays of the model's dtype, ready to slice into batches.
"""

from __future__ import annotations

import numpy as np

from numcnn._checks import format_shape, fraction, invalid, is_int, positive_int


def _describe(value):
    """What to show after ``Received:``: short values as they are, arrays and long values by their type."""
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype}"
    if value is None or (isinstance(value, (str, bytes)) and len(value) <= 40):
        return value
    article = "an" if type(value).__name__[0] in "aeiou" else "a"
    return f"{article} {type(value).__name__}"


def as_numeric_array(name: str, value, dtype=None, *, check_finite: bool = True) -> np.ndarray:
    """``value`` as a numeric ndarray with a batch axis, optionally cast to ``dtype``.

    Accepts arrays and (nested) lists of bools, ints and floats of any width (uint8 images, float16, …).
    Rejects ``None``, strings, objects, complex numbers, ragged lists, scalars, empty batches, and — after
    the cast, so a float64 1e300 that overflows float32 counts — NaN and inf.
    """
    if value is None or isinstance(value, (str, bytes, dict, set)):
        raise invalid(name, "a numeric array", _describe(value), TypeError)
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError, OverflowError, RecursionError) as err:  # ragged or too deep nested lists
        raise invalid(name, "a numeric array", f"an object that is not an array ({err})", TypeError) from None
    if arr.dtype.kind not in "biuf":
        kind = _describe(arr) if isinstance(value, (np.ndarray, list, tuple)) else _describe(value)
        raise invalid(name, "a numeric array", kind, TypeError)
    if arr.ndim == 0:
        raise invalid(name, "an array with a batch axis", f"a scalar {arr.item()!r}")
    if arr.shape[0] == 0:
        raise invalid(name, "at least one sample", f"an empty array of shape {format_shape(arr.shape)}")
    if dtype is not None:
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below, as a ValueError
            arr = np.ascontiguousarray(arr, dtype=dtype)
    if check_finite and arr.dtype.kind == "f" and not np.isfinite(arr).all():
        bad = "NaN" if np.isnan(arr).any() else "inf"
        if bad == "inf" and dtype is not None and np.isfinite(np.asarray(value)).all():
            bad = f"values too large for {np.dtype(dtype).name}"
        raise invalid(name, "finite values", f"an array containing {bad}")
    return arr


def check_inputs(x: np.ndarray, input_shape: tuple, name: str = "x") -> None:
    """Raise unless ``x`` (already an array) has the model's per-sample ``input_shape`` ``(None, …)``."""
    if x.ndim != len(input_shape) or tuple(x.shape[1:]) != tuple(input_shape[1:]):
        hint = ""
        if x.ndim == len(input_shape) - 1 and tuple(x.shape[1:]) == tuple(input_shape[1:-1]) and input_shape[-1] == 1:
            hint = " (add the channel axis: x[..., None])"
        elif x.ndim == len(input_shape) - 1 and tuple(x.shape) == tuple(input_shape[1:]):
            hint = " (a single sample? add the batch axis: x[None])"
        raise ValueError(
            f"Invalid value for argument '{name}': expected an array of shape {format_shape(input_shape)}. "
            f"Received: {name}.shape={format_shape(x.shape)}{hint}"
        )


def check_same_length(x: np.ndarray, y: np.ndarray, names: tuple[str, str] = ("x", "y")) -> None:
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            f"Invalid value for argument '{names[1]}': expected as many samples as {names[0]} ({x.shape[0]}). "
            f"Received: {names[1]} with {y.shape[0]} samples"
        )


def check_batch_size(batch_size, default: int = 32, name: str = "batch_size") -> int:
    return default if batch_size is None else positive_int(name, batch_size)


def check_verbose(verbose) -> int:
    """Keras' ``verbose``: ``'auto'`` (→ 1), 0 (silent), 1 (progress bar) or 2 (one line per epoch)."""
    if isinstance(verbose, str) and verbose == "auto":
        return 1
    if not is_int(verbose):
        raise invalid("verbose", "'auto', 0, 1 or 2", verbose, TypeError)
    if verbose not in (0, 1, 2):
        raise invalid("verbose", "'auto', 0, 1 or 2", verbose)
    return int(verbose)


def check_initial_epoch(initial_epoch, epochs: int) -> int:
    """``initial_epoch``: an integer in ``[0, epochs)``."""
    expected = f"an integer in [0, epochs={epochs})"
    if not is_int(initial_epoch):
        raise invalid("initial_epoch", expected, initial_epoch, TypeError)
    if not 0 <= initial_epoch < epochs:
        raise invalid("initial_epoch", expected, initial_epoch)
    return int(initial_epoch)


def check_validation_data(validation_data):
    """``validation_data``: ``(x_val, y_val)`` or ``(x_val, y_val, sample_weight_val)``; returns the three
    (the weights None when absent)."""
    expected = "a tuple (x_val, y_val) or (x_val, y_val, sample_weight)"
    if not isinstance(validation_data, (tuple, list)):
        raise invalid("validation_data", expected, _describe(validation_data), TypeError)
    if len(validation_data) not in (2, 3):
        raise invalid(
            "validation_data", expected, f"a {type(validation_data).__name__} of {len(validation_data)} items"
        )
    x_val, y_val, *rest = validation_data
    return x_val, y_val, (rest[0] if rest else None)


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
