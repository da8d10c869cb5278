"""``keras.ops`` functions from Keras' ``ops/math.py``: ``logsumexp``, ``top_k``, ``in_top_k``, ``rsqrt``, ``erf``."""

from __future__ import annotations

import math as _math

import numpy as np

from numcnn._checks import format_shape, invalid, positive_int
from numcnn.ops._op import Op, bool_dtype, float_dtype
from numcnn.ops._shapes import reduce_rule
from numcnn.ops._trace import register

_erf = np.frompyfunc(_math.erf, 1, 1)


def _logsumexp_forward(x, axis=None, keepdims=False):
    # shifted by the maximum, so that exp never overflows; an all -inf block gives -inf, not NaN
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):  # log(0) = -inf is the answer there
        y = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return y if keepdims else np.squeeze(y, axis=axis)


def _logsumexp_backward(dy, y, x, axis=None, keepdims=False):
    # ∂/∂x of log Σ eˣ is softmax(x) over the reduced block
    if not keepdims and axis is not None:
        dy, y = np.expand_dims(dy, axis), np.expand_dims(y, axis)
    return dy * np.exp(x - y)


_logsumexp = register(Op("logsumexp", _logsumexp_forward, _logsumexp_backward, reduce_rule, float_dtype))


def logsumexp(x, axis=None, keepdims=False):
    """``log(Σ exp(x))`` over ``axis`` (every axis if None), computed without overflow."""
    return _logsumexp(x, axis=tuple(axis) if isinstance(axis, list) else axis, keepdims=keepdims)


def _top_k_forward(x, k, sorted=True):  # noqa: A002 (Keras' name)
    # a stable sort of -x: equal values keep their order, so the lower index comes first (as TensorFlow does)
    index = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, index, axis=-1), index.astype(np.int32)


def _top_k_backward(dy, y, x, k, sorted=True):  # noqa: A002
    g = np.zeros(x.shape, dy[0].dtype)
    np.put_along_axis(g, y[1].astype(np.intp), dy[0], axis=-1)  # k distinct positions per row
    return g


def _top_k_shape(shape, k, sorted=True):  # noqa: A002
    if not shape:
        raise invalid("x", "a tensor of rank 1 or more", "a scalar")
    if shape[-1] is not None and k > shape[-1]:
        raise invalid("k", f"at most the size of the last axis ({shape[-1]})", k)
    out = (*shape[:-1], k)
    return [out, out]


_top_k = register(
    Op(
        "top_k",
        _top_k_forward,
        _top_k_backward,
        _top_k_shape,
        dtype=lambda x, k, sorted=True: [x, np.dtype("int32")],
        cast=False,
    )
)


def top_k(x, k, sorted=True):  # noqa: A002
    """The ``k`` largest values along the last axis and their int32 indices, largest first (equal values in
    index order). Returns ``(values, indices)``; the values' gradient goes to the positions they came from."""
    return _top_k(x, k=positive_int("k", k), sorted=bool(sorted))


def _in_top_k_forward(targets, predictions, k):
    rows = np.arange(predictions.shape[0])
    target = predictions[rows, targets.astype(np.intp)]
    # TensorFlow's rule: a target is in the top k when fewer than k predictions beat it strictly, so ties at
    # the boundary all count; a non-finite target prediction never does
    beaten = np.sum(predictions > target[:, None], axis=-1)
    return (beaten < k) & np.isfinite(target)


def _in_top_k_shape(targets, predictions, k):
    if len(predictions) != 2 or len(targets) != 1:
        received = f"targets {format_shape(targets)}, predictions {format_shape(predictions)}"
        raise invalid("predictions", "predictions (N, classes) with targets (N,)", received)
    return tuple(targets)


_in_top_k = register(Op("in_top_k", _in_top_k_forward, None, _in_top_k_shape, bool_dtype, cast=False))


def in_top_k(targets, predictions, k):
    """Whether each integer target (N,) is among the ``k`` largest of its row of predictions (N, classes)."""
    return _in_top_k(targets, predictions, k=positive_int("k", k))


_rsqrt = register(Op("rsqrt", lambda x: 1 / np.sqrt(x), lambda dy, y, x: -0.5 * dy * y * y * y, dtype=float_dtype))
_erf_op = register(
    Op(
        "erf",
        lambda x: _erf(x).astype(x.dtype),
        lambda dy, y, x: dy * (2 / _math.sqrt(_math.pi)) * np.exp(-x * x),
        dtype=float_dtype,
    )
)


def rsqrt(x):
    """``1 / √x`` elementwise."""
    return _rsqrt(x)


def erf(x):
    """The error function elementwise."""
    return _erf_op(x)
