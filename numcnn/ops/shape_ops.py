"""Functions of ``keras.ops`` that move elements without changing them: ``reshape``, ``transpose``,
``expand_dims``, ``squeeze``, ``ravel``, ``broadcast_to``, ``swapaxes``, ``moveaxis``, ``flip``, ``roll``,
``tile``, ``repeat``, ``pad``.

Each keeps its input's dtype; each gradient moves the output gradient back to where its elements came from
(summing where an element was copied several times, as in ``tile``, ``repeat``, ``broadcast_to`` or ``pad``).
"""

from __future__ import annotations

import numpy as np

from numcnn import graph
from numcnn._checks import format_shape, invalid, is_int
from numcnn.ops._op import Op, unbroadcast
from numcnn.ops._shapes import axes_tuple, axis_index, broadcast_shapes, sizes
from numcnn.ops._trace import register


def _rank(x) -> int:
    return len(x.shape) if hasattr(x, "shape") else np.ndim(x)


# -- reshape ------------------------------------------------------------------------------------------
def _reshape_sizes(newshape) -> tuple:
    items = (newshape,) if is_int(newshape) or newshape is None else newshape
    if not isinstance(items, (list, tuple)) or not all(is_int(n) or n is None for n in items):
        raise invalid("newshape", "a tuple of integers (-1 once at most, None for the batch size)", newshape, TypeError)
    if any(n is not None and n < -1 for n in items) or sum(n == -1 for n in items) > 1:
        raise invalid("newshape", "a tuple of integers (-1 once at most, None for the batch size)", newshape)
    return tuple(None if n is None else int(n) for n in items)


def _product(dims) -> int:
    return int(np.prod([n for n in dims if n is not None], dtype=np.int64))


def _reshape_shape(shape, newshape):
    """``newshape`` with its -1 resolved where the sizes allow it (None where a size is unknown)."""
    same_unknowns = sum(n is None for n in shape) == sum(n is None for n in newshape)
    rest = _product(n for n in newshape if n != -1)
    total = _product(shape)
    if -1 not in newshape:
        if same_unknowns and total != rest:
            raise ValueError(f"Cannot reshape a tensor of shape {format_shape(shape)} into {format_shape(newshape)}")
        return tuple(newshape)
    if not same_unknowns:
        return tuple(None if n == -1 else n for n in newshape)
    if rest == 0 or total % rest:
        raise ValueError(f"Cannot reshape a tensor of shape {format_shape(shape)} into {format_shape(newshape)}")
    return tuple(total // rest if n == -1 else n for n in newshape)


def _reshape_forward(x, newshape):
    # None stands for the batch size, which only the running model knows: x's first axis
    return x.reshape(tuple(x.shape[0] if n is None else n for n in newshape))


_reshape = register(Op("reshape", _reshape_forward, lambda dy, y, x, newshape: dy.reshape(x.shape), _reshape_shape))


def reshape(x, newshape):
    """``x`` with shape ``newshape`` (same elements, row-major). One size may be -1 (inferred); ``None``
    stands for the batch size, so ``reshape(x, (ops.shape(x)[0], -1))`` works while a model is built."""
    return _reshape(x, newshape=_reshape_sizes(newshape))


def ravel(x):
    """``x`` flattened to one axis, row-major."""
    return _reshape(x, newshape=(-1,))


# -- axes -----------------------------------------------------------------------------------------------
def _permutation(axes, ndim: int) -> tuple:
    if axes is None:
        return tuple(reversed(range(ndim)))
    if not isinstance(axes, (list, tuple)) or len(axes) != ndim:
        raise invalid("axes", f"a permutation of the {ndim} axes", axes, TypeError)
    perm = tuple(axis_index(a, ndim, "axes") for a in axes)
    if sorted(perm) != list(range(ndim)):
        raise invalid("axes", f"a permutation of the {ndim} axes", axes)
    return perm


_transpose = register(
    Op(
        "transpose",
        lambda x, axes: np.transpose(x, axes),
        lambda dy, y, x, axes: np.transpose(dy, np.argsort(axes)),
        lambda shape, axes: tuple(shape[a] for a in axes),
    )
)


def transpose(x, axes=None):
    """``x`` with its axes permuted by ``axes`` (reversed if None)."""
    return _transpose(x, axes=_permutation(axes, _rank(x)))


def swapaxes(x, axis1, axis2):
    """``x`` with axes ``axis1`` and ``axis2`` exchanged."""
    ndim = _rank(x)
    perm = list(range(ndim))
    a, b = axis_index(axis1, ndim, "axis1"), axis_index(axis2, ndim, "axis2")
    perm[a], perm[b] = perm[b], perm[a]
    return _transpose(x, axes=tuple(perm))


def moveaxis(x, source, destination):
    """``x`` with the axes ``source`` moved to ``destination`` (ints or tuples), the others in order."""
    ndim = _rank(x)
    src = source if isinstance(source, (list, tuple)) else [source]
    dst = destination if isinstance(destination, (list, tuple)) else [destination]
    if len(src) != len(dst):
        raise invalid("destination", f"as many axes as source ({len(src)})", destination)
    src = [axis_index(a, ndim, "source") for a in src]
    dst = [axis_index(a, ndim, "destination") for a in dst]
    order = [a for a in range(ndim) if a not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return _transpose(x, axes=tuple(order))


def _expand_shape(shape, axis):
    axes = axes_tuple(axis, len(shape) + len(axis))
    it = iter(shape)
    return tuple(1 if i in axes else next(it) for i in range(len(shape) + len(axes)))


_expand_dims = register(
    Op(
        "expand_dims",
        lambda x, axis: np.expand_dims(x, axis),
        lambda dy, y, x, axis: dy.reshape(x.shape),
        _expand_shape,
    )
)


def expand_dims(x, axis):
    """``x`` with new axes of size 1 at ``axis`` (an int or a tuple, positions in the result)."""
    return _expand_dims(x, axis=tuple(axis) if isinstance(axis, (list, tuple)) else (axis,))


def _squeeze_shape(shape, axis):
    for a in axis:
        if shape[a] != 1:
            raise invalid("axis", f"axes of size 1 of a tensor of shape {format_shape(shape)}", a)
    return tuple(n for i, n in enumerate(shape) if i not in axis)


_squeeze = register(
    Op("squeeze", lambda x, axis: np.squeeze(x, axis), lambda dy, y, x, axis: dy.reshape(x.shape), _squeeze_shape)
)


def squeeze(x, axis=None):
    """``x`` without its axes of size 1 (those in ``axis`` if given). While a model is built the batch axis
    is never removed: its size is unknown."""
    shape = x.shape if hasattr(x, "shape") else np.shape(x)
    axes = tuple(i for i, n in enumerate(shape) if n == 1) if axis is None else axes_tuple(axis, len(shape))
    return _squeeze(x, axis=axes)


# -- copies ----------------------------------------------------------------------------------------------
def _broadcast_to_shape(shape, target):
    out = broadcast_shapes(shape, target, argument="shape")
    if len(out) != len(target) or any(t is not None and o != t for o, t in zip(out, target)):
        raise invalid("shape", f"a shape that {format_shape(shape)} broadcasts to", target)
    return tuple(target)


def _broadcast_to_forward(x, target):
    # None sizes keep x's own size on that axis (the batch axis while a model runs)
    offset = len(target) - x.ndim
    return np.broadcast_to(x, tuple(x.shape[i - offset] if n is None else n for i, n in enumerate(target))).copy()


_broadcast_to = register(
    Op("broadcast_to", _broadcast_to_forward, lambda dy, y, x, target: unbroadcast(dy, x.shape), _broadcast_to_shape)
)


def broadcast_to(x, shape):
    """``x`` broadcast to ``shape`` (a copy); the gradient sums over the copies."""
    return _broadcast_to(x, target=sizes(shape, "shape", allow_none=True))


def _axes_checked(shape, axis=None, **constants):
    axes_tuple(axis, len(shape))  # raises for an axis the tensor does not have
    return tuple(shape)


_flip = register(
    Op(
        "flip",
        lambda x, axis: np.flip(x, axis),
        lambda dy, y, x, axis: np.flip(dy, axis),
        _axes_checked,
    )
)


def flip(x, axis=None):
    """``x`` with the order of elements reversed along ``axis`` (every axis if None)."""
    return _flip(x, axis=tuple(axis) if isinstance(axis, list) else axis)


_roll = register(
    Op(
        "roll",
        lambda x, shift, axis: np.roll(x, shift, axis),
        lambda dy, y, x, shift, axis: np.roll(dy, np.negative(shift), axis),
        _axes_checked,
    )
)


def roll(x, shift, axis=None):
    """``x`` with elements shifted by ``shift`` along ``axis`` (of the flattened array if None), wrapping."""
    shift = tuple(shift) if isinstance(shift, (list, tuple)) else shift
    return _roll(x, shift=shift, axis=tuple(axis) if isinstance(axis, list) else axis)


def _tile_parts(shape, repeats):
    rank = max(len(shape), len(repeats))
    return (1,) * (rank - len(shape)) + tuple(shape), (1,) * (rank - len(repeats)) + tuple(repeats)


def _tile_shape(shape, repeats):
    dims, reps = _tile_parts(shape, repeats)
    return tuple(None if n is None else n * r for n, r in zip(dims, reps))


def _tile_backward(dy, y, x, repeats):
    dims, reps = _tile_parts(x.shape, repeats)
    interleaved = [size for pair in zip(reps, dims) for size in pair]  # (r0, n0, r1, n1, …)
    return dy.reshape(interleaved).sum(axis=tuple(range(0, 2 * len(dims), 2))).reshape(x.shape)


_tile = register(Op("tile", lambda x, repeats: np.tile(x, repeats), _tile_backward, _tile_shape))


def tile(x, repeats):
    """``x`` repeated ``repeats`` times along each axis (an int or a tuple, aligned to the last axes)."""
    return _tile(x, repeats=sizes(repeats, "repeats"))


def _repeat_shape(shape, repeats, axis):
    if axis is None:
        shape, axis = ((None if None in shape else _product(shape)),), 0
    n = shape[axis]
    if isinstance(repeats, tuple):
        if n is not None and len(repeats) != n:
            raise invalid("repeats", f"an int or {n} ints, one per element along axis {axis}", repeats)
        size = sum(repeats)
    else:
        size = None if n is None else n * repeats
    return tuple(size if i == axis else m for i, m in enumerate(shape))


def _repeat_backward(dy, y, x, repeats, axis):
    source = x.reshape(-1) if axis is None else x
    axis = 0 if axis is None else axis
    index = np.repeat(np.arange(source.shape[axis]), repeats)  # which input element each output one copies
    moved = np.moveaxis(dy, axis, 0)
    g = np.zeros((source.shape[axis], *moved.shape[1:]), dy.dtype)
    np.add.at(g, index, moved)
    return np.moveaxis(g, 0, axis).reshape(x.shape)


_repeat = register(Op("repeat", lambda x, repeats, axis: np.repeat(x, repeats, axis), _repeat_backward, _repeat_shape))


def repeat(x, repeats, axis=None):
    """Each element of ``x`` repeated ``repeats`` times (an int, or one int per element) along ``axis`` (of the
    flattened array if None)."""
    repeats = sizes(repeats, "repeats") if isinstance(repeats, (list, tuple)) else sizes(repeats, "repeats")[0]
    axis = None if axis is None else axis_index(axis, _rank(x))
    return _repeat(x, repeats=repeats, axis=axis)


# -- pad ------------------------------------------------------------------------------------------------
_SELECTING_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")  # every padded value copies an input one
_PAD_MODES = (*_SELECTING_MODES, "linear_ramp", "maximum", "mean", "median", "minimum", "empty")


def _pad_forward(x, pad_width, mode, constant_values):
    kwargs = {} if constant_values is None else {"constant_values": constant_values}
    return np.pad(x, pad_width, mode=mode, **kwargs)


def _pad_backward(dy, y, x, pad_width, mode, constant_values):
    if mode == "constant":
        return dy[tuple(slice(before, before + n) for (before, _), n in zip(pad_width, x.shape))]
    # The padded array of each element's own index says where every output element was copied from.
    source = np.pad(np.arange(x.size).reshape(x.shape), pad_width, mode=mode)
    return np.bincount(source.ravel(), weights=dy.ravel(), minlength=x.size).astype(dy.dtype).reshape(x.shape)


def _pad_shape(shape, pad_width, mode, constant_values):
    if len(pad_width) != len(shape):
        raise invalid("pad_width", f"one (before, after) pair per axis of a tensor of rank {len(shape)}", pad_width)
    return tuple(None if n is None else n + before + after for n, (before, after) in zip(shape, pad_width))


_pad = register(Op("pad", _pad_forward, _pad_backward, _pad_shape))


def pad(x, pad_width, mode="constant", constant_values=None):
    """``x`` padded by ``pad_width`` (an int, a (before, after) pair, or one pair per axis) in NumPy's ``mode``.

    While a model is built only the modes that copy input elements (``constant``, ``edge``, ``reflect``,
    ``symmetric``, ``wrap``) can be traced, since only they have a gradient here.
    """
    if not isinstance(mode, str) or mode not in _PAD_MODES:
        raise invalid("mode", f"one of {', '.join(map(repr, _PAD_MODES))}", mode)
    if constant_values is not None and mode != "constant":
        raise invalid("constant_values", f"None with mode={mode!r} (it is for mode='constant')", constant_values)
    if isinstance(x, graph.KerasTensor) and mode not in _SELECTING_MODES:
        raise TypeError(f"numcnn.ops.pad with mode={mode!r} cannot be used while a model is built: it has no gradient")
    try:
        widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (_rank(x), 2))
    except ValueError:
        raise invalid("pad_width", "an int, a (before, after) pair, or one pair per axis", pad_width) from None
    if (widths < 0).any():
        raise invalid("pad_width", "non-negative widths", pad_width)
    widths = tuple((int(a), int(b)) for a, b in widths)
    return _pad(x, pad_width=widths, mode=mode, constant_values=constant_values)


_copy = register(Op("copy", lambda x: x.copy(), lambda dy, y, x: dy))


def copy(x):
    """A copy of ``x``."""
    return _copy(x)
