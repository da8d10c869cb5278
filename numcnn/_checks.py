"""Argument validation shared by every public entry point.

Every check raises before any state changes, with one message style:
``Invalid value for argument 'filters': expected a positive integer. Received: filters=0``.
"""

from __future__ import annotations

import numbers

import numpy as np


def invalid(name: str, expected: str, received, error: type[Exception] = ValueError) -> Exception:
    """Build (not raise) the house-style error for argument ``name``."""
    return error(f"Invalid value for argument '{name}': expected {expected}. Received: {name}={received!r}")


def is_int(value) -> bool:
    """True for Python and NumPy integers, False for bools (``True`` is not a size)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def positive_int(name: str, value) -> int:
    """Return ``value`` as an int if it is an integer ≥ 1, else raise."""
    if not is_int(value):
        raise invalid(name, "a positive integer", value, TypeError)
    if value < 1:
        raise invalid(name, "a positive integer", value)
    return int(value)


def int_pair(name: str, value) -> tuple[int, int]:
    """Accept an int or a pair of positive ints (Keras' ``kernel_size``, ``strides``, ``pool_size``)."""
    if is_int(value):
        value = (value, value)
    if not isinstance(value, (tuple, list)) or len(value) != 2 or not all(is_int(v) for v in value):
        raise invalid(name, "a positive integer or a tuple of 2 positive integers", value, TypeError)
    if min(value) < 1:
        raise invalid(name, "a positive integer or a tuple of 2 positive integers", value)
    return int(value[0]), int(value[1])


def one_of(name: str, value, choices) -> str:
    """Return ``value`` lower-cased if it is one of the string ``choices``, else raise."""
    options = ", ".join(repr(c) for c in choices)
    if not isinstance(value, str):
        raise invalid(name, f"one of {options}", value, TypeError)
    if value.lower() not in choices:
        raise invalid(name, f"one of {options}", value)
    return value.lower()


def fraction(name: str, value, *, low: float = 0.0, high: float = 1.0, high_inclusive: bool = False) -> float:
    """Return ``value`` as a float in ``[low, high)`` (or ``[low, high]``), else raise."""
    interval = f"[{low}, {high}{']' if high_inclusive else ')'}"
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise invalid(name, f"a number in {interval}", value, TypeError)
    ok = low <= value <= high if high_inclusive else low <= value < high
    if not ok or not np.isfinite(value):
        raise invalid(name, f"a number in {interval}", value)
    return float(value)


def positive_float(name: str, value) -> float:
    """Return ``value`` as a float if it is a finite number > 0, else raise."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise invalid(name, "a positive number", value, TypeError)
    if not np.isfinite(value) or value <= 0:
        raise invalid(name, "a positive number", value)
    return float(value)


def shape_tuple(name: str, value) -> tuple[int, ...]:
    """A per-sample shape: a non-empty tuple of positive ints (``None`` not allowed here)."""
    if is_int(value):
        value = (value,)
    if not isinstance(value, (tuple, list)) or not value or not all(is_int(v) for v in value):
        raise invalid(name, "a tuple of positive integers", value, TypeError)
    if min(value) < 1:
        raise invalid(name, "a tuple of positive integers", value)
    return tuple(int(v) for v in value)
