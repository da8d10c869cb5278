"""Array creation in ``keras.ops``: ``zeros``, ``ones``, ``full``, ``*_like``, ``eye``, ``identity``,
``arange``, ``linspace``.

Sizes must be concrete numbers: a KerasTensor's unknown batch size (``ops.shape(x)[0]`` while a model is built)
gives a ``TypeError`` naming the function. ``zeros_like``, ``ones_like`` and ``full_like`` of a KerasTensor
record a node (of no gradient: their values do not depend on the input's).
"""

from __future__ import annotations

import numpy as np

from numcnn import graph
from numcnn.ops import _dtypes
from numcnn.ops._op import Op, wrap
from numcnn.ops._shapes import known, sizes
from numcnn.ops._trace import register


def _creation_dtype(dtype, default=None) -> np.dtype:
    return default if dtype is None and default is not None else _dtypes.standardize_dtype(dtype)


def _concrete_shape(shape, op: str) -> tuple:
    return tuple(known(n, op, "shape") for n in sizes(shape, "shape", allow_none=True))


# -- creation ---------------------------------------------------------------------------------------
def zeros(shape, dtype=None):
    """An array of ``shape`` filled with 0, of ``dtype`` (default ``floatx``)."""
    return wrap(np.zeros(_concrete_shape(shape, "zeros"), _creation_dtype(dtype)))


def ones(shape, dtype=None):
    """An array of ``shape`` filled with 1, of ``dtype`` (default ``floatx``)."""
    return wrap(np.ones(_concrete_shape(shape, "ones"), _creation_dtype(dtype)))


def full(shape, fill_value, dtype=None):
    """An array of ``shape`` filled with ``fill_value``, of ``dtype`` (default ``floatx``, as in Keras)."""
    return wrap(np.full(_concrete_shape(shape, "full"), _dtypes.to_array(fill_value), _creation_dtype(dtype)))


def _like_dtype(x_dtype, *others, dtype=None):
    return x_dtype if dtype is None else np.dtype(dtype)


def _like(name, value):
    return register(Op(name, lambda x, dtype=None: np.full(x.shape, value), dtype=_like_dtype, cast=False))


_zeros_like, _ones_like = _like("zeros_like", 0), _like("ones_like", 1)
_full_like = register(
    Op("full_like", lambda x, fill, dtype=None: np.broadcast_to(fill, x.shape).copy(), dtype=_like_dtype, cast=False)
)


def _dtype_name(dtype):
    return None if dtype is None else _dtypes.standardize_dtype(dtype).name


def zeros_like(x, dtype=None):
    """Zeros of ``x``'s shape and dtype (or ``dtype``). On a KerasTensor: a node that passes no gradient."""
    return _zeros_like(x, dtype=_dtype_name(dtype))


def ones_like(x, dtype=None):
    """Ones of ``x``'s shape and dtype (or ``dtype``)."""
    return _ones_like(x, dtype=_dtype_name(dtype))


def full_like(x, fill_value, dtype=None):
    """``fill_value`` broadcast to ``x``'s shape, of ``x``'s dtype (or ``dtype``)."""
    return _full_like(x, _dtypes.to_array(fill_value), dtype=_dtype_name(dtype))


def eye(N, M=None, k=0, dtype=None):  # noqa: N803 (Keras' argument names)
    """The (N, M) matrix with ones on diagonal ``k`` (0 the main one, > 0 above), of ``dtype`` (``floatx``)."""
    return wrap(np.eye(known(N, "eye", "N"), M, k, dtype=_creation_dtype(dtype)))


def identity(n, dtype=None):
    """The (n, n) identity matrix, of ``dtype`` (default ``floatx``)."""
    return eye(n, dtype=dtype)


def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values in ``[start, stop)`` (``arange(n)``: 0 … n-1). Without ``dtype``: int32 for integer
    arguments, ``floatx`` if one is a float (Keras' rule; NumPy would give int64 or float64)."""
    known(start, "arange", "start")  # stop and step may be None: not given
    for name, value in (("stop", stop), ("step", step)):
        if graph.is_symbolic(value):
            raise TypeError(f"numcnn.ops.arange needs a concrete value for '{name}', not a KerasTensor")
    if dtype is None:
        dtype = _dtypes.promote(*[_dtypes.dtype_of(v) for v in (start, stop, step) if v is not None])
    if stop is None:
        start, stop = 0, start
    return wrap(np.arange(start, stop, 1 if step is None else step, dtype=_dtypes.standardize_dtype(dtype)))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop`` (included unless ``endpoint=False``), ``floatx``
    unless ``dtype`` is given; with ``retstep=True`` also the spacing."""
    values, step = np.linspace(
        _dtypes.to_array(start),
        _dtypes.to_array(stop),
        num,
        endpoint,
        retstep=True,
        dtype=_creation_dtype(dtype),
        axis=axis,
    )
    return (wrap(values), step) if retstep else wrap(values)
