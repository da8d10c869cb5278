"""Argument validation shared by every public entry point.

Every check raises before any state changes, with one message style:
``Invalid value for argument 'filters': expected a positive integer. Received: filters=0``.
"""

from __future__ import annotations

import numbers
import os

import numpy as np


def invalid(name: str, expected: str, received, error: type[Exception] = ValueError) -> Exception:
    """Build (not raise) the house-style error for argument ``name``."""
    return error(f"Invalid value for argument '{name}': expected {expected}. Received: {name}={received!r}")


def invalid_described(name: str, expected: str, received: str, error: type[Exception] = ValueError) -> Exception:
    """``invalid`` for a value too big to print (an array, a dict of them): ``received`` describes it."""
    return error(f"Invalid value for argument '{name}': expected {expected}. Received: {received}")


def format_shape(shape) -> str:
    """``(None, 28, 28, 1)``, and ``(10,)`` for one axis, as Keras prints shapes."""
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


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


def int_tuple(name: str, value, length: int) -> tuple[int, ...]:
    """Accept an int or a tuple of ``length`` positive ints (Keras' ``standardize_tuple``: ``3``, ``(3,)``)."""
    expected = f"a positive integer or a tuple of {length} positive integers"
    if is_int(value):
        value = (value,) * length
    if not isinstance(value, (tuple, list)) or len(value) != length or not all(is_int(v) for v in value):
        raise invalid(name, expected, value, TypeError)
    if min(value) < 1:
        raise invalid(name, expected, value)
    return tuple(int(v) for v in value)


def one_of(name: str, value, choices) -> str:
    """Return ``value`` lower-cased if it is one of the string ``choices``, else raise."""
    options = ", ".join(repr(c) for c in choices)
    if not isinstance(value, str):
        raise invalid(name, f"one of {options}", value, TypeError)
    if value.lower() not in choices:
        raise invalid(name, f"one of {options}", value)
    return value.lower()


def fraction(
    name: str,
    value,
    *,
    low: float = 0.0,
    high: float = 1.0,
    high_inclusive: bool = False,
    low_inclusive: bool = True,
) -> float:
    """Return ``value`` as a float in ``[low, high)`` (or ``[low, high]``, ``(low, high)``, ``(low, high]``)."""
    interval = f"{'[' if low_inclusive else '('}{low}, {high}{']' if high_inclusive else ')'}"
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise invalid(name, f"a number in {interval}", value, TypeError)
    above = low <= value if low_inclusive else low < value
    below = value <= high if high_inclusive else value < high
    if not (above and below) or not np.isfinite(value):
        raise invalid(name, f"a number in {interval}", value)
    return float(value)


def positive_float(name: str, value) -> float:
    """Return ``value`` as a float if it is a finite number > 0, else raise."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise invalid(name, "a positive number", value, TypeError)
    if not np.isfinite(value) or value <= 0:
        raise invalid(name, "a positive number", value)
    return float(value)


def positive_in_dtype(name: str, value, dtype) -> float:
    """``value`` as a finite float > 0 that stays > 0 in ``dtype`` (1e-50 is 0 in float32, and 1/√0 is inf)."""
    value = positive_float(name, value)
    if np.dtype(dtype).type(value) <= 0:
        raise invalid(name, f"a positive number that is not 0 in {np.dtype(dtype).name}", value)
    return value


def shape_tuple(name: str, value) -> tuple[int, ...]:
    """A per-sample shape: a non-empty tuple of positive ints (``None`` not allowed here)."""
    if is_int(value):
        value = (value,)
    if not isinstance(value, (tuple, list)) or not value or not all(is_int(v) for v in value):
        raise invalid(name, "a tuple of positive integers", value, TypeError)
    if min(value) < 1:
        raise invalid(name, "a tuple of positive integers", value)
    return tuple(int(v) for v in value)


def weight_shape(name: str, value) -> tuple[int, ...]:
    """A weight's full shape: an int or a tuple of non-negative ints, ``()`` for a scalar."""
    if is_int(value):
        value = (value,)
    if not isinstance(value, (tuple, list)) or not all(is_int(v) for v in value):
        raise invalid(name, "a tuple of non-negative integers", value, TypeError)
    if any(v < 0 for v in value):
        raise invalid(name, "a tuple of non-negative integers", value)
    return tuple(int(v) for v in value)


def non_negative_int(name: str, value) -> int:
    """Return ``value`` as an int if it is an integer ≥ 0 (not a bool), else raise."""
    if not is_int(value):
        raise invalid(name, "a non-negative integer", value, TypeError)
    if value < 0:
        raise invalid(name, "a non-negative integer", value)
    return int(value)


def integer(name: str, value) -> int:
    """Return ``value`` as an int if it is an integer of any sign (not a bool), e.g. an axis, else raise."""
    if not is_int(value):
        raise invalid(name, "an integer", value, TypeError)
    return int(value)


def random_seed(value, name: str = "seed") -> int | None:
    """A random seed: ``None`` or a non-negative integer, as an int."""
    if value is None:
        return None
    if not is_int(value):
        raise invalid(name, "a non-negative integer or None", value, TypeError)
    if value < 0:
        raise invalid(name, "a non-negative integer or None", value)
    return int(value)


def optional_string(name: str, value) -> str | None:
    """``None`` or a ``str`` (a name), else ``TypeError``."""
    if value is not None and not isinstance(value, str):
        raise invalid(name, "a string", value, TypeError)
    return value


def numeric_dtype(value, default=None, name: str = "dtype") -> np.dtype:
    """A NumPy dtype of integers, floats or bools (``None`` → ``default``); a Keras ``DTypePolicy`` config
    (``{"class_name": "DTypePolicy", "config": {"name": "float32"}}``) is read by its name."""
    if value is None and default is not None:
        value = default
    if isinstance(value, dict) and isinstance(value.get("config"), dict):
        value = value["config"].get("name")
    expected = "a numeric dtype such as 'float32'"
    try:
        resolved = np.dtype(value)
    except (TypeError, ValueError):
        raise invalid(name, expected, value, TypeError) from None
    if resolved.kind not in "biuf":
        raise invalid(name, expected, value)
    return resolved


def float_dtype(value, default, name: str = "dtype") -> np.dtype:
    """``float32`` or ``float64`` (``None`` → ``default``; a ``DTypePolicy`` config is read by its name): the
    precisions the kernels compute in. float16 is refused: half precision would need loss scaling to train."""
    resolved = numeric_dtype(value, default, name)
    if resolved not in (np.dtype("float32"), np.dtype("float64")):
        raise invalid(name, "'float32' or 'float64'", value)
    return resolved


def flag(name: str, value) -> bool:
    """Return ``value`` if it is a bool (Python or NumPy), else raise: ``'no'`` must not mean True."""
    if not isinstance(value, (bool, np.bool_)):
        raise invalid(name, "True or False", value, TypeError)
    return bool(value)


def verbosity(name: str, value, choices=(0, 1)) -> int:
    """Return ``value`` as an int if it is one of ``choices`` (a bool counts as 0/1, like Keras), else raise."""
    expected = ", ".join(map(str, choices[:-1])) + f" or {choices[-1]}"
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if not is_int(value):
        raise invalid(name, expected, value, TypeError)
    if value not in choices:
        raise invalid(name, expected, value)
    return int(value)


def finite_number(name: str, value, *, low: float | None = None, high: float | None = None) -> float:
    """Return ``value`` as a float if it is a finite real number (≥ ``low``, ≤ ``high`` when given), else raise."""
    expected = "a finite number"
    if low is not None and high is not None:
        expected += f" in [{low:g}, {high:g}]"
    elif low is not None or high is not None:
        expected += f" ≥ {low:g}" if low is not None else f" ≤ {high:g}"
    if not isinstance(value, numbers.Real) or isinstance(value, (bool, np.bool_)):
        raise invalid(name, expected, value, TypeError)
    if not np.isfinite(value) or (low is not None and value < low) or (high is not None and value > high):
        raise invalid(name, expected, value)
    return float(value)


def file_path(name: str, value) -> str:
    """Return a ``str``/``bytes``/``os.PathLike`` path as ``str``, else raise ``TypeError``."""
    if not isinstance(value, (str, bytes, os.PathLike)):
        raise invalid(name, "a file path (str or os.PathLike)", value, TypeError)
    path = os.fsdecode(os.fspath(value))
    if not path or "\0" in path:
        raise invalid(name, "a non-empty file path", path)
    return path


def physical_memory() -> int | None:
    """Bytes of RAM on this machine, or ``None`` where the OS does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def check_allocation(what: str, shape, itemsize: int) -> None:
    """Raise ``ValueError`` starting with ``what`` when an array of ``shape`` would not fit in RAM.

    Checked before allocating: NumPy may hand out a huge zeroed array lazily, and the process is then
    killed while filling it instead of getting a ``MemoryError``.
    """
    size = 1
    for d in shape:
        size *= int(d)
    limit = physical_memory()
    if limit is not None and size * itemsize > limit:
        raise ValueError(
            f"{what}: an array of shape {tuple(int(d) for d in shape)} would need {size * itemsize / 2**30:.3g} "
            f"GiB, more than this machine's {limit / 2**30:.3g} GiB of memory"
        )
