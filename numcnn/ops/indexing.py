"""Reading parts of tensors (``keras.ops``): ``get_item`` (what ``x[key]`` does), ``slice``, ``take``,
``take_along_axis``, ``nonzero``.

On arrays, ``get_item`` takes every NumPy index. While a model is built a KerasTensor takes basic indices only
(ints, slices, ``None``, ``...``), whose result shape is known without the data; ``take`` and
``take_along_axis`` gather by index arrays. Gradients scatter the output gradient back to the elements read,
adding where one was read several times.
"""

from __future__ import annotations

import builtins

import numpy as np

from numcnn import graph
from numcnn._checks import format_shape, invalid, is_int
from numcnn.ops._op import Op
from numcnn.ops._shapes import axis_index
from numcnn.ops._trace import register


def _is_basic(item) -> bool:
    return is_int(item) or item is None or item is Ellipsis or isinstance(item, builtins.slice)


def _normalize_key(key) -> tuple:
    """``key`` as a tuple; ints and slice bounds as Python ints (so that a node's config is JSON-able)."""
    items = key if isinstance(key, tuple) else (key,)
    out = []
    for item in items:
        if isinstance(item, graph.KerasTensor):
            raise TypeError("A KerasTensor cannot index a tensor while a model is built: use numcnn.ops.take instead")
        if is_int(item):
            item = int(item)
        elif isinstance(item, builtins.slice):
            parts = (item.start, item.stop, item.step)
            if not all(p is None or is_int(p) for p in parts):
                raise invalid("key", "slices of integers", item, TypeError)
            item = builtins.slice(*(None if p is None else int(p) for p in parts))
        out.append(item)
    return tuple(out)


def _basic_shape(shape, key) -> tuple:
    """The shape of ``x[key]`` for a basic ``key``; a slice of an unknown size has an unknown size."""
    if sum(item is Ellipsis for item in key) > 1:
        raise invalid("key", "at most one Ellipsis (...)", key)
    used = sum(item is not None and item is not Ellipsis for item in key)
    if used > len(shape):
        raise invalid(
            "key", f"at most {len(shape)} indices for a tensor of shape {format_shape(shape)}", key, IndexError
        )
    fill = (builtins.slice(None),) * (len(shape) - used)
    key = tuple(part for item in key for part in (fill if item is Ellipsis else (item,))) + (
        () if Ellipsis in key else fill
    )
    out, axis = [], 0
    for item in key:
        if item is None:
            out.append(1)
            continue
        n = shape[axis]
        if is_int(item):
            if n is not None and not -n <= item < n:
                raise invalid("key", f"an index in [{-n}, {n}) for axis {axis} of size {n}", item, IndexError)
        elif n is None:
            out.append(None)
        else:
            out.append(len(range(*item.indices(n))))
        axis += 1
    return tuple(out)


def _get_item_shape(shape, key):
    if all(_is_basic(item) for item in key):
        return _basic_shape(shape, key)
    if None in shape:
        raise TypeError(
            "A KerasTensor takes basic indices only (ints, slices, None, ...) while a model is built. Received: "
            f"key={key!r}. Use numcnn.ops.take or take_along_axis to gather by index arrays."
        )
    return np.broadcast_to(np.empty((), np.int8), shape)[key].shape  # a zero-stride probe: nothing allocated


def _get_item_backward(dy, y, x, key):
    g = np.zeros(x.shape, dy.dtype)
    if all(_is_basic(item) for item in key):
        g[key] = dy  # basic indices read each element at most once
    else:
        np.add.at(g, key, dy)
    return g


_get_item = register(Op("get_item", lambda x, key: x[key], _get_item_backward, _get_item_shape))


def get_item(x, key):
    """``x[key]``: on a KerasTensor ``x[:, 0]``, ``x[..., :2]`` or ``x[:, None]`` record a node."""
    return _get_item(x, key=_normalize_key(key))


def slice(inputs, start_indices, shape):  # noqa: A001 (Keras' name)
    """The block of ``inputs`` starting at ``start_indices`` with sizes ``shape`` (-1: to the end)."""
    if not isinstance(start_indices, (list, tuple)) or not isinstance(shape, (list, tuple)):
        raise invalid("start_indices", "a list of ints, with a list of sizes in shape", start_indices, TypeError)
    if len(start_indices) != len(shape) or not all(is_int(v) for v in (*start_indices, *shape)):
        raise invalid("shape", f"{len(start_indices)} integer sizes, one per start index", shape)
    key = tuple(builtins.slice(int(s), None if n == -1 else int(s) + int(n)) for s, n in zip(start_indices, shape))
    return _get_item(inputs, key=key)


def _take_shape(shape, indices, axis=None):
    if axis is None:
        return tuple(indices)
    a = axis_index(axis, len(shape))
    return (*shape[:a], *indices, *shape[a + 1 :])


def _take_backward(dy, y, x, indices, axis=None):
    index = indices.astype(np.intp)
    if axis is None:
        g = np.zeros(x.size, dy.dtype)
        np.add.at(g, index.ravel(), dy.ravel())
        return g.reshape(x.shape), None
    a = axis % x.ndim
    g = np.zeros(x.shape, dy.dtype)
    moved_dy = np.moveaxis(dy, tuple(range(a, a + index.ndim)), tuple(range(index.ndim)))
    np.add.at(np.moveaxis(g, a, 0), index, moved_dy)  # the moved view writes into g
    return g, None


_take = register(
    Op(
        "take",
        lambda x, indices, axis=None: np.take(x, indices.astype(np.intp), axis=axis),
        _take_backward,
        _take_shape,
        dtype=lambda x, indices, axis=None: x,
        cast=False,
    )
)


def take(x, indices, axis=None):
    """The elements of ``x`` at integer ``indices`` along ``axis`` (of the flattened array if None)."""
    return _take(x, indices, axis=axis)


def _along_shape(shape, indices, axis):
    if axis is None:
        if len(indices) != 1:
            raise invalid("indices", "a 1-D array of indices when axis is None", format_shape(indices))
        return tuple(indices)
    if len(indices) != len(shape):
        raise invalid("indices", f"an array of rank {len(shape)}, as x", format_shape(indices))
    a = axis_index(axis, len(shape))
    return tuple(m if i == a else (n if m in (1, None) else m) for i, (n, m) in enumerate(zip(shape, indices)))


def _along_backward(dy, y, x, indices, axis=None):
    source = x.reshape(-1) if axis is None else x
    a = 0 if axis is None else axis % x.ndim
    grid = []
    for d in range(source.ndim):
        if d == a:
            grid.append(np.broadcast_to(indices.astype(np.intp), dy.shape))
        else:
            positions = np.arange(dy.shape[d]) if source.shape[d] != 1 else np.zeros(dy.shape[d], np.intp)
            grid.append(np.broadcast_to(positions.reshape([-1 if k == d else 1 for k in range(dy.ndim)]), dy.shape))
    g = np.zeros(source.shape, dy.dtype)
    np.add.at(g, tuple(grid), dy)
    return g.reshape(x.shape), None


_take_along_axis = register(
    Op(
        "take_along_axis",
        lambda x, indices, axis=None: np.take_along_axis(x, indices.astype(np.intp), axis=axis),
        _along_backward,
        _along_shape,
        dtype=lambda x, indices, axis=None: x,
        cast=False,
    )
)


def take_along_axis(x, indices, axis=None):
    """``x`` gathered along ``axis`` by ``indices`` of the same rank (NumPy's ``take_along_axis``), e.g. the
    values at ``argsort`` positions."""
    return _take_along_axis(x, indices, axis=axis)


def nonzero(x):
    """The indices of the nonzero elements of ``x``, one int32 array per axis (on arrays only: how many there
    are depends on the values, so it cannot be part of a model)."""
    if isinstance(x, graph.KerasTensor):
        raise TypeError(
            "numcnn.ops.nonzero (and where with a condition only) cannot take a KerasTensor: the size of its "
            "result depends on the values, which are unknown while a model is built"
        )
    from numcnn.ops._dtypes import to_array
    from numcnn.ops._op import wrap

    return tuple(wrap(i.astype(np.int32)) for i in np.nonzero(to_array(x)))
