"""Shape rules shared by the ops: broadcasting, axes and reductions, on shapes whose sizes may be ``None``
(unknown while a model is built: the batch axis). Each rule raises the house-style ``ValueError`` or
``TypeError`` for arguments that do not fit, on arrays and on KerasTensors alike.
"""

from __future__ import annotations

from numcnn._checks import format_shape, invalid, is_int


def broadcast_shapes(*shapes, argument: str = "x2") -> tuple:
    """NumPy broadcasting of ``shapes``; as in Keras, an unknown size broadcast with 1 stays unknown and
    with a known size n > 1 becomes n."""
    rank = max((len(s) for s in shapes), default=0)
    out = [1] * rank
    for shape in shapes:
        padded = (1,) * (rank - len(shape)) + tuple(shape)
        for i, n in enumerate(padded):
            m = out[i]
            if n == 1 or n == m:
                continue
            if m == 1:
                out[i] = n
            elif n is None or m is None:
                out[i] = m if n is None else n
            else:
                raise ValueError(
                    f"Invalid value for argument '{argument}': expected shapes that broadcast together. "
                    f"Received: shapes {', '.join(format_shape(s) for s in shapes)}"
                )
    return tuple(out)


def broadcast_rule(*shapes, **constants) -> tuple:
    return broadcast_shapes(*shapes)


def axis_index(axis, ndim: int, argument: str = "axis") -> int:
    """``axis`` (an int in ``[-ndim, ndim)``) as a non-negative index, else raise."""
    if not is_int(axis):
        raise invalid(argument, f"an integer axis for an input of rank {ndim}", axis, TypeError)
    if not -ndim <= axis < ndim:
        raise invalid(argument, f"an axis in [{-ndim}, {ndim}) for an input of rank {ndim}", axis)
    return int(axis) % ndim


def axes_tuple(axis, ndim: int, argument: str = "axis") -> tuple[int, ...]:
    """``axis`` (None for all, an int, or a list/tuple of distinct ints) as sorted non-negative indices."""
    if axis is None:
        return tuple(range(ndim))
    items = axis if isinstance(axis, (list, tuple)) else [axis]
    indices = [axis_index(a, ndim, argument) for a in items]
    if len(set(indices)) != len(indices):
        raise invalid(argument, "distinct axes", axis)
    return tuple(sorted(indices))


def reduced_shape(shape, axis, keepdims: bool) -> tuple:
    """The shape of a reduction of ``shape`` over ``axis`` (None: every axis)."""
    axes = axes_tuple(axis, len(shape))
    if keepdims:
        return tuple(1 if i in axes else n for i, n in enumerate(shape))
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def reduce_rule(shape, axis=None, keepdims=False, **constants) -> tuple:
    return reduced_shape(shape, axis, keepdims)


def known(size, op: str, argument: str):
    """``size`` where an op needs a concrete number while a model is built, else a clear ``TypeError``."""
    if size is None:
        raise TypeError(
            f"numcnn.ops.{op} needs a concrete value for '{argument}', but it is unknown (None) while a model is "
            "built: the batch axis of a symbolic tensor has no size until the model runs. Use a size that does "
            "not depend on the batch, or write the computation as a layer."
        )
    return size


def sizes(value, argument: str, allow_none: bool = False) -> tuple:
    """A shape argument (an int or a sequence of non-negative ints, ``None`` allowed where marked) as a tuple."""
    items = (value,) if is_int(value) else value
    if not isinstance(items, (list, tuple)) or not all(is_int(n) or (allow_none and n is None) for n in items):
        raise invalid(argument, "a tuple of non-negative integers", value, TypeError)
    if any(n is not None and n < 0 for n in items):
        raise invalid(argument, "a tuple of non-negative integers", value)
    return tuple(None if n is None else int(n) for n in items)


def same_rank(shapes, argument: str) -> int:
    ranks = {len(s) for s in shapes}
    if len(ranks) != 1:
        received = ", ".join(format_shape(s) for s in shapes)
        raise invalid(argument, "tensors of one rank", f"shapes {received}")
    return ranks.pop()
