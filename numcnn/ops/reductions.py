"""Reductions of ``keras.ops``: ``sum``, ``mean``, ``max``, ``min``, ``argmax``, ``argmin``, ``var``, ``std``,
``prod``, ``all``, ``any``, ``cumsum``, ``count_nonzero``.

``axis`` is None (every axis), an int or a tuple of ints; ``keepdims=True`` keeps reduced axes with size 1.
Dtypes follow Keras: ``sum``/``prod``/``cumsum`` of bools and 8- or 16-bit integers give int32 (uint32 for
unsigned), ``mean``/``var``/``std`` of integers give ``floatx``, ``argmax``/``argmin`` give int32.
"""

from __future__ import annotations

import numpy as np

from numcnn.ops import _dtypes
from numcnn.ops._op import Op, bool_dtype, fixed_dtype, float_dtype, promote_dtype
from numcnn.ops._shapes import axes_tuple, axis_index, reduce_rule
from numcnn.ops._trace import register


def _axis(axis):
    """``axis`` as NumPy takes it (a tuple for several), normalised so that a node's config is JSON-able."""
    if isinstance(axis, list):
        return tuple(axis)
    return axis


def _expand(g: np.ndarray, x_ndim: int, axis, keepdims: bool) -> np.ndarray:
    """A reduction's output gradient with the reduced axes put back (size 1), so it broadcasts against x."""
    if keepdims:
        return g
    return np.expand_dims(g, axes_tuple(axis, x_ndim)) if x_ndim else g


def _count(shape, axis) -> int:
    """How many elements each reduced block has (at least 1, so an empty block divides by 1)."""
    return int(np.prod([shape[i] for i in axes_tuple(axis, len(shape))], dtype=np.int64)) or 1


def _accumulator_dtype(x, *others, dtype=None, **constants):
    """Keras' (JAX's) sum dtype: small integers and bools accumulate in 32 bits."""
    if dtype is not None:
        return np.dtype(dtype)
    if x.kind == "b" or (x.kind == "i" and x.itemsize < 4):
        return np.dtype("int32")
    if x.kind == "u" and x.itemsize < 4:
        return np.dtype("uint32")
    return x


def _sum_backward(dy, y, x, axis=None, keepdims=False):
    return np.broadcast_to(_expand(dy, x.ndim, axis, keepdims), x.shape)


def _mean_backward(dy, y, x, axis=None, keepdims=False):
    return np.broadcast_to(_expand(dy, x.ndim, axis, keepdims) / _count(x.shape, axis), x.shape)


def _first_extreme_mask(x: np.ndarray, axis, pick) -> np.ndarray:
    """A 0/1 array of x's shape marking, in each reduced block, the first element ``pick`` (argmax or argmin)
    chooses (row-major order over the reduced axes)."""
    axes = axes_tuple(axis, x.ndim)
    if not axes:
        return np.ones(x.shape, bool)
    last = tuple(range(x.ndim - len(axes), x.ndim))
    moved = np.moveaxis(x, axes, last)
    flat = moved.reshape(*moved.shape[: x.ndim - len(axes)], -1)
    mask = np.zeros(flat.shape, bool)
    np.put_along_axis(mask, pick(flat, axis=-1)[..., None], True, axis=-1)
    return np.moveaxis(mask.reshape(moved.shape), last, axes)


def _extreme_backward(pick):
    def backward(dy, y, x, axis=None, keepdims=False, initial=None):
        mask = _first_extreme_mask(x, axis, pick)
        if initial is not None:  # where the initial value won, x gets nothing
            mask &= _expand(y, x.ndim, axis, keepdims) != initial
        return np.where(mask, _expand(dy, x.ndim, axis, keepdims), 0)

    return backward


def _centered(x, axis):
    return x - np.mean(x, axis=_axis(axis), keepdims=True)


def _var_backward(dy, y, x, axis=None, keepdims=False):
    return _expand(dy, x.ndim, axis, keepdims) * 2 * _centered(x, axis) / _count(x.shape, axis)


def _std_backward(dy, y, x, axis=None, keepdims=False):
    # d std = d var / (2 std); where std is 0 (a constant block) the gradient is taken as 0
    g, s = _expand(dy, x.ndim, axis, keepdims), _expand(y, x.ndim, axis, keepdims)
    scale = np.divide(g, s, out=np.zeros(np.broadcast_shapes(g.shape, s.shape), g.dtype), where=s > 0)
    return scale * _centered(x, axis) / _count(x.shape, axis)


def _prod_backward(dy, y, x, axis=None, keepdims=False, dtype=None):
    # ∂/∂x_i of Π x = Π_{j≠i} x_j, computed without dividing (x may hold zeros) from products of the others
    axes = axes_tuple(axis, x.ndim)
    last = tuple(range(x.ndim - len(axes), x.ndim))
    moved = np.moveaxis(x, axes, last)
    flat = moved.reshape(*moved.shape[: x.ndim - len(axes)], -1)
    ones = np.ones(flat.shape[:-1] + (1,), flat.dtype)
    before = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    others = np.moveaxis((before * after).reshape(moved.shape), last, axes)
    return _expand(dy, x.ndim, axis, keepdims) * others


def _argextreme(pick):
    def forward(x, axis=None, keepdims=False):
        if x.dtype.kind == "f" and x.ndim:  # as in Keras, -0.0 counts as less than 0.0
            x = np.where((x == 0) & np.signbit(x), -np.finfo(x.dtype).tiny, x)
        return pick(x, axis=axis, keepdims=keepdims)

    return forward


def _cumsum_shape(shape, axis=None, dtype=None):
    if axis is None:
        return (None if None in shape else int(np.prod(shape, dtype=np.int64)),)
    axis_index(axis, len(shape))
    return tuple(shape)


def _cumsum_backward(dy, y, x, axis=None, dtype=None):
    if axis is None:
        return np.cumsum(dy[::-1])[::-1].reshape(x.shape)
    return np.flip(np.cumsum(np.flip(dy, axis), axis=axis), axis)


def _reduction(name, forward, backward, dtype, cast=True) -> Op:
    return register(Op(name, forward, backward, shape=reduce_rule, dtype=dtype, cast=cast))


def _numpy(fn):
    return lambda x, axis=None, keepdims=False, **kw: fn(x, axis=_axis(axis), keepdims=keepdims, **kw)


_sum = _reduction("sum", _numpy(np.sum), _sum_backward, _accumulator_dtype)
_mean = _reduction("mean", _numpy(np.mean), _mean_backward, float_dtype)
_max = _reduction("max", _numpy(np.max), _extreme_backward(np.argmax), promote_dtype)
_min = _reduction("min", _numpy(np.min), _extreme_backward(np.argmin), promote_dtype)
_var = _reduction("var", _numpy(np.var), _var_backward, float_dtype)
_std = _reduction("std", _numpy(np.std), _std_backward, float_dtype)
_prod = _reduction(
    "prod",
    lambda x, axis=None, keepdims=False, dtype=None: np.prod(x, _axis(axis), keepdims=keepdims),
    _prod_backward,
    _accumulator_dtype,
)
_all = _reduction("all", _numpy(np.all), None, bool_dtype, cast=False)
_any = _reduction("any", _numpy(np.any), None, bool_dtype, cast=False)
_argmax = _reduction("argmax", _argextreme(np.argmax), None, fixed_dtype("int32"), cast=False)
_argmin = _reduction("argmin", _argextreme(np.argmin), None, fixed_dtype("int32"), cast=False)
_count_nonzero = _reduction(
    "count_nonzero", lambda x, axis=None: np.count_nonzero(x, axis=_axis(axis)), None, fixed_dtype("int32"), cast=False
)
_cumsum = register(
    Op(
        "cumsum",
        lambda x, axis=None, dtype=None: np.cumsum(x, axis=axis),
        _cumsum_backward,
        _cumsum_shape,
        _accumulator_dtype,
    )
)


def sum(x, axis=None, keepdims=False):  # noqa: A001 (Keras' name)
    """The sum over ``axis``; bools and small integers give int32."""
    return _sum(x, axis=_axis(axis), keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    """The mean over ``axis``; integers give ``floatx``."""
    return _mean(x, axis=_axis(axis), keepdims=keepdims)


def max(x, axis=None, keepdims=False, initial=None):  # noqa: A001
    """The maximum over ``axis`` (at least ``initial`` if given). The gradient goes to the first maximum of each
    reduced block, in row-major order, as ``argmax`` chooses it."""
    return _max(x, axis=_axis(axis), keepdims=keepdims, initial=initial)


def min(x, axis=None, keepdims=False, initial=None):  # noqa: A001
    """The minimum over ``axis``; the gradient goes to the first minimum of each reduced block."""
    return _min(x, axis=_axis(axis), keepdims=keepdims, initial=initial)


def amax(x, axis=None, keepdims=False):
    return max(x, axis, keepdims)


def amin(x, axis=None, keepdims=False):
    return min(x, axis, keepdims)


def argmax(x, axis=None, keepdims=False):
    """int32 index of the first maximum along ``axis`` (of the flattened array if None). As in Keras, -0.0
    counts as less than 0.0; a NaN counts as the maximum, as in NumPy and JAX (TensorFlow skips NaNs). No
    gradient."""
    return _argmax(x, axis=_single_axis(axis), keepdims=keepdims)


def argmin(x, axis=None, keepdims=False):
    """int32 index of the first minimum along ``axis`` (of the flattened array if None). No gradient."""
    return _argmin(x, axis=_single_axis(axis), keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    """The variance over ``axis`` (divided by N, not N-1)."""
    return _var(x, axis=_axis(axis), keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    """The standard deviation over ``axis`` (divided by N). Where it is 0, the gradient is taken as 0."""
    return _std(x, axis=_axis(axis), keepdims=keepdims)


def prod(x, axis=None, keepdims=False, dtype=None):
    """The product over ``axis``; its gradient is the product of the other elements (exact with zeros)."""
    return _prod(
        x, axis=_axis(axis), keepdims=keepdims, dtype=None if dtype is None else _dtypes.standardize_dtype(dtype).name
    )


def all(x, axis=None, keepdims=False):  # noqa: A001
    return _all(x, axis=_axis(axis), keepdims=keepdims)


def any(x, axis=None, keepdims=False):  # noqa: A001
    return _any(x, axis=_axis(axis), keepdims=keepdims)


def count_nonzero(x, axis=None):
    """int32 count of the nonzero elements over ``axis``."""
    return _count_nonzero(x, axis=_axis(axis))


def cumsum(x, axis=None, dtype=None):
    """Running sums along ``axis`` (over the flattened array if None)."""
    return _cumsum(x, axis=axis, dtype=None if dtype is None else _dtypes.standardize_dtype(dtype).name)


def _single_axis(axis):
    from numcnn._checks import invalid, is_int

    if axis is not None and not is_int(axis):
        raise invalid("axis", "None or an integer axis", axis, TypeError)
    return axis
