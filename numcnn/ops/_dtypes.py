"""Which dtype an op's result has, and how values become arrays: Keras 3's rules, on NumPy dtypes.

- **Conversion** (``convert_to_tensor``): NumPy arrays, ``numcnn`` Tensors and objects with ``__array__`` (a
  TensorFlow or PyTorch tensor) keep their dtype. Python floats, and lists or tuples of them, become
  ``backend.floatx()``, and Python ints int32 (int64 if they do not fit), where NumPy would give float64 and
  int64; Python bools become bool.
- **Promotion** of several inputs follows Keras' lattice (JAX's): bool < integers < floats, so an integer array
  and a float32 array give float32 (NumPy gives float64 for int64 with float32), two floats give the wider, and
  two integers promote as in NumPy (uint8 with int8 gives int16).
- **Python scalars are weak**: they take the other inputs' dtype when its kind allows. ``float32 + 2.0`` stays
  float32 and ``int8 * 3`` stays int8; ``int32 * 2.5`` gives ``floatx``, the float Keras chooses.
- Ops that only make sense on floats (``divide``, ``sqrt``, ``exp``, ``mean``, ``sigmoid``, …) give ``floatx``
  for integer and bool inputs, as Keras does.

Where Keras' backends disagree among themselves (the TensorFlow backend keeps int64 where the others give int32;
float64 arrays keep float64 in numcnn, as with every Keras backend on arrays), numcnn takes the NumPy-like choice.
"""

from __future__ import annotations

import numbers

import numpy as np

from numcnn import backend
from numcnn._checks import invalid

_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


class Weak:
    """The dtype of a Python scalar: ``kind`` 'i' or 'f', to be resolved against the other inputs."""

    __slots__ = ("kind",)

    def __init__(self, kind: str):
        self.kind = kind

    def __repr__(self) -> str:
        return "weak int" if self.kind == "i" else "weak float"


def floatx() -> np.dtype:
    return np.dtype(backend.floatx())


def standardize_dtype(dtype, argument: str = "dtype") -> np.dtype:
    """A dtype name, NumPy dtype or Python type as a NumPy dtype of numbers or bools, else ``TypeError``.

    ``None`` is ``floatx``; Python's ``int`` is int32 and ``float`` is ``floatx``, as in Keras.
    """
    if dtype is None or dtype is float:
        return floatx()
    if dtype is int:
        return np.dtype("int32")
    if isinstance(dtype, dict) and isinstance(dtype.get("config"), dict):  # Keras' DTypePolicy config
        dtype = dtype["config"].get("name")
    try:
        resolved = np.dtype(getattr(dtype, "name", dtype) if not isinstance(dtype, np.dtype) else dtype)
    except (TypeError, ValueError):
        raise invalid(argument, "a numeric dtype such as 'float32' or 'int32'", dtype, TypeError) from None
    if resolved.kind not in _KIND_RANK:
        raise invalid(argument, "a numeric dtype such as 'float32' or 'int32'", dtype, TypeError)
    return resolved


def dtype_of(value):
    """The dtype a value has as an op input: a NumPy dtype, or :class:`Weak` for a Python int or float."""
    if isinstance(value, (bool, np.bool_)):
        return np.dtype(bool)
    if isinstance(value, numbers.Integral) and not isinstance(value, np.generic):
        return Weak("i")
    if isinstance(value, numbers.Real) and not isinstance(value, np.generic):
        return Weak("f")
    dtype = getattr(value, "dtype", None)
    if dtype is not None and not isinstance(value, (list, tuple)):
        return standardize_dtype(dtype, "x")
    return to_array(value).dtype


def promote(*dtypes) -> np.dtype:
    """The result dtype of an op on inputs of ``dtypes`` (NumPy dtypes or :class:`Weak`), by Keras' lattice."""
    strong = [np.dtype(d) for d in dtypes if not isinstance(d, Weak)]
    weak = {d.kind for d in dtypes if isinstance(d, Weak)}
    result = None
    for d in strong:
        if result is None or d == result:
            result = d
        elif _KIND_RANK[d.kind] != _KIND_RANK[result.kind]:
            result = d if _KIND_RANK[d.kind] > _KIND_RANK[result.kind] else result
        else:
            result = np.promote_types(result, d)
    if result is None:
        return floatx() if "f" in weak else np.dtype("int32")
    if "f" in weak and result.kind not in "fc":
        return floatx()
    if "i" in weak and result.kind == "b":
        return np.dtype("int32")
    return result


def as_float(dtype) -> np.dtype:
    """``dtype`` if it is a float dtype, else ``floatx`` (integers and bools become floats, as in Keras)."""
    return dtype if dtype.kind in "fc" else floatx()


def to_input(value) -> np.ndarray:
    """An op's input as an array: :func:`to_array`, except that a Python number stays exact (float64 or int64)
    until the op casts it to its result dtype (0.2 must not pass through float32 on its way to float64)."""
    if isinstance(dtype_of(value), Weak):
        return np.asarray(value)
    return to_array(value)


def _fits_int32(arr: np.ndarray) -> bool:
    return not arr.size or (int(arr.min()) >= -(2**31) and int(arr.max()) < 2**31)


def to_array(value, dtype=None) -> np.ndarray:
    """``value`` as a NumPy array by the conversion rules above (``dtype`` forces one). Never a copy when the
    value is already an array of that dtype; ``TypeError`` for strings, None, dicts and other non-numbers."""
    if isinstance(value, np.ndarray):
        arr = value if type(value) is np.ndarray else value.view(np.ndarray)
    elif value is None or isinstance(value, (str, bytes, dict, set)):
        raise invalid("x", "an array, an array-like or a number", f"a {type(value).__name__}", TypeError)
    else:
        try:
            arr = np.asarray(value)
        except (TypeError, ValueError) as err:
            raise invalid(
                "x", "an array, an array-like or a number", f"an object that is not one ({err})", TypeError
            ) from None
        if isinstance(value, (list, tuple, numbers.Number)) and not isinstance(value, np.generic):
            # Python numbers: Keras' floatx and int32 rather than NumPy's float64 and int64
            if arr.dtype.kind == "f":
                arr = arr.astype(floatx(), copy=False)
            elif arr.dtype.kind == "i" and _fits_int32(arr):  # ints beyond int32 keep int64 rather than wrap
                arr = arr.astype(np.int32)
    if arr.dtype.kind not in _KIND_RANK:
        raise invalid("x", "an array of numbers or bools", f"an array of dtype {arr.dtype}", TypeError)
    if dtype is not None and arr.dtype != dtype:
        arr = arr.astype(dtype)
    return arr
