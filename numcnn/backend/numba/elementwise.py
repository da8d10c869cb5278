"""Elementwise kernels: ReLU forward and backward, and the fused Adam update.

Each runs serially over a flat range; :func:`numcnn._threads.parallel_for` splits large arrays across cores
(small ones stay on the caller's thread, where handing off would cost more than it saves).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from numcnn._threads import parallel_for
from numcnn.backend.numba._scalars import ZERO

_MIN_ELEMENTS = 1 << 16


@njit(nogil=True, cache=True)
def _relu_kernel(x, y):
    for k in range(x.size):
        v = x[k]
        # "v != v" keeps NaN; a plain "v > 0" test would turn NaN into 0.
        y[k] = v if (v > 0 or v != v) else ZERO


@njit(nogil=True, cache=True)
def _relu_backward_kernel(dy, y, dx):
    for k in range(dy.size):
        dx[k] = dy[k] if y[k] > 0 else ZERO


@njit(nogil=True, cache=True)
def _adam_kernel(param, grad, m, v, alpha, one_minus_beta_1, one_minus_beta_2, epsilon):
    # One pass instead of numpy's eight: every element is read and written once.
    for k in range(param.size):
        g = grad[k]
        mk = m[k] + one_minus_beta_1 * (g - m[k])
        vk = v[k] + one_minus_beta_2 * (g * g - v[k])
        m[k] = mk
        v[k] = vk
        param[k] -= alpha * mk / (np.sqrt(vk) + epsilon)


def _flat(a: np.ndarray) -> np.ndarray:
    return a.reshape(-1)


def relu_forward(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Same as :func:`numcnn.backend.numpy.relu_forward`: ``max(x, 0)``, any shape, same dtype, NaN kept.

    ``out`` (C-contiguous, x's shape and dtype) receives the result; ``out=x`` works in place.
    """
    x = np.ascontiguousarray(x)
    y = np.empty_like(x) if out is None else out
    if not (isinstance(y, np.ndarray) and y.flags.c_contiguous and y.shape == x.shape and y.dtype == x.dtype):
        raise ValueError(f"out must be a C-contiguous {x.dtype} array of shape {x.shape}")
    xf, yf = _flat(x), _flat(y)

    def body(a, b):
        _relu_kernel(xf[a:b], yf[a:b])

    parallel_for(xf.size, body, min_items=_MIN_ELEMENTS)
    return y


def relu_backward(dy: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Same as :func:`numcnn.backend.numpy.relu_backward`: dy where y > 0, else 0."""
    dy = np.ascontiguousarray(dy)
    dx = np.empty_like(dy)
    dyf, yf, dxf = _flat(dy), _flat(np.ascontiguousarray(y)), _flat(dx)

    def body(a, b):
        _relu_backward_kernel(dyf[a:b], yf[a:b], dxf[a:b])

    parallel_for(dyf.size, body, min_items=_MIN_ELEMENTS)
    return dx


def adam_update(param, grad, m, v, alpha: float, beta_1: float, beta_2: float, epsilon: float) -> None:
    """Same as :func:`numcnn.backend.numpy.adam_update`: one Adam step in place on C-contiguous ``param``,
    ``m``, ``v`` (``grad`` may be any layout); scalars are cast to the arrays' dtype first, as numpy does."""
    cast = param.dtype.type
    pf, gf, mf, vf = _flat(param), _flat(np.ascontiguousarray(grad, dtype=param.dtype)), _flat(m), _flat(v)
    scalars = (cast(alpha), cast(1.0 - beta_1), cast(1.0 - beta_2), cast(epsilon))

    def body(a, b):
        _adam_kernel(pf[a:b], gf[a:b], mf[a:b], vf[a:b], *scalars)

    parallel_for(pf.size, body, min_items=_MIN_ELEMENTS)
