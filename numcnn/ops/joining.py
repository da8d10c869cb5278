"""Joining and splitting tensors (``keras.ops``): ``concatenate``, ``stack``, ``split``, ``unstack``, ``hstack``,
``vstack``.

Inputs of several dtypes are promoted to one (Keras' rule). Gradients are the output gradient cut back into the
inputs' pieces; for ``split``/``unstack`` the pieces' gradients are joined, with zeros for pieces nothing used.
"""

from __future__ import annotations

import numpy as np

from numcnn._checks import format_shape, invalid, is_int
from numcnn.ops._op import Op
from numcnn.ops._shapes import axis_index, same_rank
from numcnn.ops._trace import register


def _tensors(xs, argument: str) -> list:
    if not isinstance(xs, (list, tuple)) or not xs:
        raise invalid(argument, "a non-empty list of tensors", type(xs).__name__, TypeError)
    return list(xs)


def _merge_size(a, b):
    return b if a is None else a


def _concatenate_shape(*shapes, axis):
    rank = same_rank(shapes, "xs")
    if rank == 0:
        raise invalid("xs", "tensors of rank 1 or more", "scalars")
    a = axis_index(axis, rank)
    out = list(shapes[0])
    for shape in shapes[1:]:
        for i, n in enumerate(shape):
            if i == a:
                out[i] = None if out[i] is None or n is None else out[i] + n
            elif out[i] is not None and n is not None and n != out[i]:
                received = ", ".join(format_shape(s) for s in shapes)
                raise invalid("xs", f"tensors whose sizes agree except on axis {axis}", f"shapes {received}")
            else:
                out[i] = _merge_size(out[i], n)
    return tuple(out)


def _concatenate_backward(dy, y, *xs, axis):
    bounds = np.cumsum([x.shape[axis] for x in xs])[:-1]
    return np.split(dy, bounds, axis=axis)


_concatenate = register(
    Op("concatenate", lambda *xs, axis: np.concatenate(xs, axis), _concatenate_backward, _concatenate_shape)
)


def concatenate(xs, axis=0):
    """The tensors of ``xs`` joined along ``axis``; their other sizes must agree."""
    return _concatenate(*_tensors(xs, "xs"), axis=axis)


def _stack_shape(*shapes, axis):
    rank = same_rank(shapes, "x")
    out = list(shapes[0])
    for shape in shapes[1:]:
        for i, n in enumerate(shape):
            if out[i] is not None and n is not None and n != out[i]:
                received = ", ".join(format_shape(s) for s in shapes)
                raise invalid("x", "tensors of one shape", f"shapes {received}")
            out[i] = _merge_size(out[i], n)
    out.insert(axis_index(axis, rank + 1), len(shapes))
    return tuple(out)


def _stack_backward(dy, y, *xs, axis):
    return [np.take(dy, i, axis=axis) for i in range(len(xs))]


_stack = register(Op("stack", lambda *xs, axis: np.stack(xs, axis), _stack_backward, _stack_shape))


def stack(x, axis=0):
    """The tensors of the list ``x`` (one shape) stacked along a new axis ``axis``."""
    return _stack(*_tensors(x, "x"), axis=axis)


def hstack(xs):
    """Tensors joined along their second axis (the first for 1-D ones), as NumPy's ``hstack``."""
    xs = _tensors(xs, "xs")
    return concatenate(
        xs, axis=0 if all(len(np.shape(x) if not hasattr(x, "shape") else x.shape) == 1 for x in xs) else 1
    )


def vstack(xs):
    """Tensors joined along their first axis (1-D ones as rows), as NumPy's ``vstack``."""
    from numcnn.ops.shape_ops import reshape

    xs = [reshape(x, (1, -1)) if len(getattr(x, "shape", np.shape(x))) == 1 else x for x in _tensors(xs, "xs")]
    return concatenate(xs, axis=0)


def _split_sizes(n, indices_or_sections) -> list:
    """The size of each piece of an axis of size ``n`` (None where unknown)."""
    if isinstance(indices_or_sections, tuple):
        bounds = [0, *indices_or_sections]
        if n is None:
            return [b - a for a, b in zip(bounds[:-1], bounds[1:])] + [None]
        bounds = [min(max(b, 0), n) for b in [*bounds, n]]
        return [max(b - a, 0) for a, b in zip(bounds[:-1], bounds[1:])]
    if n is None:
        return [None] * indices_or_sections
    if n % indices_or_sections:
        raise invalid(
            "indices_or_sections", f"a number of sections that divides the axis' size {n}", indices_or_sections
        )
    return [n // indices_or_sections] * indices_or_sections


def _split_shape(shape, indices_or_sections, axis):
    a = axis_index(axis, len(shape))
    return [
        tuple(size if i == a else m for i, m in enumerate(shape))
        for size in _split_sizes(shape[a], indices_or_sections)
    ]


def _split_backward(dy, y, x, indices_or_sections, axis):
    return np.concatenate(dy, axis=axis)


_split = register(
    Op(
        "split",
        lambda x, indices_or_sections, axis: tuple(np.split(x, indices_or_sections, axis)),
        _split_backward,
        _split_shape,
    )
)


def split(x, indices_or_sections, axis=0):
    """``x`` cut along ``axis`` into ``indices_or_sections`` equal pieces (an int), or at the given indices
    (a list); returns a list of tensors."""
    if is_int(indices_or_sections):
        if indices_or_sections < 1:
            raise invalid(
                "indices_or_sections", "a positive number of sections or a list of indices", indices_or_sections
            )
        spec = int(indices_or_sections)
    elif isinstance(indices_or_sections, (list, tuple)) and all(is_int(i) for i in indices_or_sections):
        spec = tuple(int(i) for i in indices_or_sections)
    else:
        raise invalid("indices_or_sections", "an int or a list of ints", indices_or_sections, TypeError)
    return list(_split(x, indices_or_sections=spec, axis=axis))


def _unstack_shape(shape, axis):
    a = axis_index(axis, len(shape))
    if shape[a] is None:
        raise TypeError(
            "numcnn.ops.unstack needs the size of the axis it unstacks, but it is unknown (None) while a model is built"
        )
    rest = tuple(m for i, m in enumerate(shape) if i != a)
    return [rest] * shape[a]


_unstack = register(
    Op(
        "unstack",
        lambda x, axis: tuple(np.moveaxis(x, axis, 0)),
        lambda dy, y, x, axis: np.stack(dy, axis=axis),
        _unstack_shape,
    )
)


def unstack(x, num=None, axis=0):
    """The slices of ``x`` along ``axis``, as a list of tensors (``num`` of them, if given, must match)."""
    out = list(_unstack(x, axis=axis))
    if num is not None and num != len(out):
        raise invalid("num", f"the size of axis {axis} ({len(out)})", num)
    return out
