"""Conversions and facts about tensors (``keras.ops`` core): ``convert_to_tensor``, ``convert_to_numpy``,
``cast``, ``shape``, ``dtype``, ``is_tensor``, ``stop_gradient``.

numcnn's tensors are NumPy arrays of the ``numcnn.tensors.Tensor`` subclass (they answer ``.numpy()``); while
a model is built they are symbolic KerasTensors, on which ``cast`` and ``stop_gradient`` record nodes and
``shape`` answers with ``None`` for the batch axis.
"""

from __future__ import annotations

import numpy as np

from numcnn import graph
from numcnn._checks import invalid
from numcnn.ops import _dtypes
from numcnn.ops._op import Op, wrap
from numcnn.ops._trace import register


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """``x`` (an array, a list, a number, an object with ``__array__``) as a ``Tensor``, of ``dtype`` if given.

    Lists of Python floats become ``backend.floatx()`` and of ints int32, as in Keras; arrays keep their dtype.
    A KerasTensor is returned as it is (or cast). ``sparse``/``ragged`` tensors do not exist in numcnn.
    """
    for name, value in (("sparse", sparse), ("ragged", ragged)):
        if value:
            raise invalid(name, "False or None (numcnn has no sparse or ragged tensors)", value)
    if isinstance(x, graph.KerasTensor):
        return x if dtype is None else cast(x, dtype)
    resolved = None if dtype is None else _dtypes.standardize_dtype(dtype)
    return wrap(_dtypes.to_array(x, resolved))


def convert_to_numpy(x) -> np.ndarray:
    """``x`` as a plain ``numpy.ndarray`` (a copy), for code that needs NumPy itself."""
    if isinstance(x, graph.KerasTensor):
        raise TypeError(
            "numcnn.ops.convert_to_numpy cannot take a symbolic KerasTensor: it has no value while a model is "
            "built. Convert the model's outputs instead (model(x) returns arrays)."
        )
    return np.array(_dtypes.to_array(x))


_cast = register(
    Op(
        "cast",
        lambda x, dtype: x.astype(dtype),
        lambda dy, y, x, dtype: dy,
        dtype=lambda x, dtype: np.dtype(dtype),
        cast=False,
    )
)


def cast(x, dtype):
    """``x`` converted to ``dtype`` (e.g. ``'float32'``, ``'int32'``). The gradient passes through to a float
    input (cast back to its dtype); an integer result has none."""
    return _cast(x, dtype=_dtypes.standardize_dtype(dtype).name)


def shape(x) -> tuple:
    """The shape of ``x`` as a tuple of ints; a KerasTensor's batch axis is ``None``."""
    if isinstance(x, graph.KerasTensor):
        return tuple(x.shape)
    return tuple(int(n) for n in np.shape(_dtypes.to_array(x)))


def dtype(x) -> str:
    """The dtype of ``x`` as Keras names it (``'float32'``, ``'int32'``, ``'bool'``…)."""
    if isinstance(x, graph.KerasTensor):
        return x.dtype
    found = _dtypes.dtype_of(x)
    if isinstance(found, _dtypes.Weak):  # a Python number: what convert_to_tensor would make of it
        return "int32" if found.kind == "i" else _dtypes.floatx().name
    return found.name


def is_tensor(x) -> bool:
    """Whether ``x`` is a tensor of numcnn's backend: a NumPy array (``Tensor`` or not)."""
    return isinstance(x, np.ndarray)


_stop_gradient = register(Op("stop_gradient", lambda x: x, backward=None, cast=False))


def stop_gradient(variable):
    """``variable`` unchanged, but no gradient flows back through it when a model trains."""
    return _stop_gradient(variable)


def ndim(x) -> int:
    """The number of axes of ``x``."""
    return len(shape(x))


def size(x) -> int:
    """The number of elements of ``x``; unknown (``TypeError``) for a KerasTensor with a batch axis."""
    dims = shape(x)
    if None in dims:
        raise TypeError("numcnn.ops.size of a KerasTensor is unknown while a model is built: its batch axis is None")
    return int(np.prod(dims, dtype=np.int64))
