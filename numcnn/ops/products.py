"""Products of ``keras.ops``: ``matmul`` (``@``), ``dot`` and ``outer``, with their gradients.

``matmul`` follows NumPy: 2-D inputs multiply as matrices, leading axes broadcast as a batch, and a 1-D input
is a vector (a row on the left, a column on the right). ``dot`` is NumPy's ``dot``: for N-D inputs it sums the
last axis of x1 with the second-to-last of x2, which differs from ``matmul`` only when x2 has 3 or more axes.
Float matrices of one dtype use ``backend.nn.matmul`` (BLAS).
"""

from __future__ import annotations

import numpy as np

from numcnn import backend
from numcnn._checks import format_shape, invalid
from numcnn.ops._op import Op, unbroadcast
from numcnn.ops._shapes import broadcast_shapes
from numcnn.ops._trace import register


def _matmul_forward(x1, x2):
    if x1.ndim == 2 and x2.ndim == 2 and x1.dtype == x2.dtype and x1.dtype.kind == "f":
        return backend.nn.matmul(np.ascontiguousarray(x1), np.ascontiguousarray(x2))
    return np.matmul(x1, x2)


def _matmul_backward(dy, y, x1, x2):
    # vectors become a row (x1) or a column (x2), so that both products are of matrices
    a = x1[None, :] if x1.ndim == 1 else x1
    b = x2[:, None] if x2.ndim == 1 else x2
    g = dy
    if x1.ndim == 1:
        g = np.expand_dims(g, -2)
    if x2.ndim == 1:
        g = np.expand_dims(g, -1)
    da = unbroadcast(g @ np.swapaxes(b, -1, -2), a.shape)
    db = unbroadcast(np.swapaxes(a, -1, -2) @ g, b.shape)
    return da.reshape(x1.shape), db.reshape(x2.shape)


def _mismatch(argument, a, b, op):
    return invalid(argument, f"shapes whose inner sizes agree for {op}", f"{format_shape(a)} and {format_shape(b)}")


def _matmul_shape(a, b):
    if not a or not b:
        raise invalid("x1", "tensors of rank 1 or more for matmul (use multiply for scalars)", "a scalar")
    a2 = (1, *a) if len(a) == 1 else tuple(a)
    b2 = (*b, 1) if len(b) == 1 else tuple(b)
    if a2[-1] is not None and b2[-2] is not None and a2[-1] != b2[-2]:
        raise _mismatch("x2", a, b, "matmul")
    out = (*broadcast_shapes(a2[:-2], b2[:-2], argument="x2"), a2[-2], b2[-1])
    if len(a) == 1:
        out = out[:-2] + out[-1:]
    if len(b) == 1:
        out = out[:-1]
    return out


_matmul = register(Op("matmul", _matmul_forward, _matmul_backward, _matmul_shape))


def matmul(x1, x2):
    """The matrix product ``x1 @ x2`` (…, n, k) @ (…, k, m) → (…, n, m), leading axes broadcast."""
    return _matmul(x1, x2)


def _dot_backward(dy, y, x1, x2):
    if x1.ndim == 0 or x2.ndim == 0:
        return unbroadcast(dy * x2, x1.shape), unbroadcast(dy * x1, x2.shape)
    if x2.ndim == 1:  # y[i…] = Σ_k x1[i…, k] x2[k]
        return dy[..., None] * x2, np.tensordot(x1, dy, axes=(range(x1.ndim - 1), range(dy.ndim)))
    # y[i…, j…, m] = Σ_k x1[i…, k] x2[j…, k, m]: the axes of x2 other than k are the last ones of y
    k_axis = x2.ndim - 2
    others = [i for i in range(x2.ndim) if i != k_axis]
    d1 = np.tensordot(dy, x2, axes=(list(range(x1.ndim - 1, dy.ndim)), others))
    d2 = np.tensordot(x1, dy, axes=(list(range(x1.ndim - 1)), list(range(x1.ndim - 1))))
    return d1, np.moveaxis(d2, 0, k_axis)


def _dot_shape(a, b):
    if not a or not b:
        return broadcast_shapes(a, b)
    k = b[0] if len(b) == 1 else b[-2]
    if a[-1] is not None and k is not None and a[-1] != k:
        raise _mismatch("x2", a, b, "dot")
    return (*a[:-1], *b[:-2], *b[-1:]) if len(b) > 1 else tuple(a[:-1])


_dot = register(Op("dot", np.dot, _dot_backward, _dot_shape))


def dot(x1, x2):
    """NumPy's ``dot``: the product of two scalars, the inner product of vectors, matrix products of 2-D
    arrays, and for N-D a sum over the last axis of x1 and the second-to-last of x2."""
    return _dot(x1, x2)


_outer = register(
    Op(
        "outer",
        lambda x1, x2: np.outer(x1, x2),
        lambda dy, y, x1, x2: ((dy @ x2.reshape(-1)).reshape(x1.shape), (x1.reshape(-1) @ dy).reshape(x2.shape)),
        lambda a, b: (None if None in a else int(np.prod(a)), None if None in b else int(np.prod(b))),
    )
)


def outer(x1, x2):
    """The outer product of x1 and x2 (each flattened): (n,), (m,) → (n, m)."""
    return _outer(x1, x2)
