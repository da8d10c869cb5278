"""Batch normalization on ``(M, C)`` rows, with the signatures and results of
:mod:`numcnn.backend.numpy.normalization`: each core takes blocks of rows, the channel sums of a block are
accumulated in float64 and added in block order (results never depend on timing), and each of the layer's
passes (statistics, normalise; the two gradient sums, dx) reads every element once, where NumPy's took
four to six passes and as many temporaries (timings: benchmarks/README.md)."""

from __future__ import annotations

import numpy as np
from numba import njit

from numcnn._threads import parallel_chunks, split

_ROWS = 4096  # rows a block: C sums stay in registers or L1, a block in L2


@njit(nogil=True, cache=True)
def _sums_kernel(rows, center, use_center, other, s1, s2):
    """s1 (C,) += Σ rows, s2 (C,) += Σ rows·(other − center) (or, without ``other``, Σ (rows − center)²),
    in float64."""
    m, c_n = rows.shape
    for r in range(m):
        for c in range(c_n):
            v = np.float64(rows[r, c])
            d = (np.float64(other[r, c]) if use_center == 2 else v) - (center[c] if use_center else 0.0)
            s1[c] += v
            s2[c] += (v if use_center == 2 else d) * d


@njit(nogil=True, cache=True)
def _affine_kernel(x, scale, shift, out):
    m, c_n = x.shape
    for r in range(m):
        for c in range(c_n):
            out[r, c] = x[r, c] * scale[c] + shift[c]


@njit(nogil=True, cache=True)
def _affine2_kernel(dy, x, a, b, shift, out):
    m, c_n = x.shape
    for r in range(m):
        for c in range(c_n):
            out[r, c] = dy[r, c] * a[c] + x[r, c] * b[c] + shift[c]


def _blocks(m: int) -> list[tuple[int, int]]:
    return split(m, max(1, -(-m // _ROWS)))


def _channel_sums(rows, center=None, other=None):
    """Per channel: ``(Σ rows, Σ (rows − center)²)``, or with ``other``: ``(Σ rows, Σ rows·(other − center))``,
    float64."""
    c_n = rows.shape[1]
    mode = 0 if center is None else (2 if other is not None else 1)
    center64 = np.zeros(c_n) if center is None else np.asarray(center, dtype=np.float64)
    other = rows if other is None else other
    blocks = _blocks(rows.shape[0])

    def body(i):
        a, b = blocks[i]
        s1, s2 = np.zeros(c_n), np.zeros(c_n)
        _sums_kernel(rows[a:b], center64, mode, other[a:b], s1, s2)
        return s1, s2

    parts = parallel_chunks(len(blocks), body)
    s1, s2 = parts[0]
    for more1, more2 in parts[1:]:
        s1 += more1
        s2 += more2
    return s1, s2


def _map_rows(kernel, out, *arrays):
    blocks = _blocks(out.shape[0])

    def body(i):
        a, b = blocks[i]
        kernel(*(x[a:b] if x.ndim == 2 else x for x in arrays), out[a:b])

    parallel_chunks(len(blocks), body)
    return out


def batchnorm_forward(rows: np.ndarray, gamma, beta, epsilon: float, mean=None, variance=None):
    """Same as :func:`numcnn.backend.numpy.batchnorm_forward`."""
    rows = np.ascontiguousarray(rows)
    dtype = rows.dtype
    if mean is None:
        count = rows.shape[0]
        total, _ = _channel_sums(rows)
        mean = (total / count).astype(dtype)
        _, squares = _channel_sums(rows, mean)  # centred on the mean as rounded: as the reference centres
        variance = (squares / count).astype(dtype)
    inv_std = (1.0 / np.sqrt(variance + dtype.type(epsilon))).astype(dtype, copy=False)
    gain = (gamma * inv_std).astype(dtype, copy=False)
    shift = (beta - mean * gain).astype(dtype, copy=False)
    out = _map_rows(_affine_kernel, np.empty_like(rows), rows, gain, shift)
    return out, mean, variance, inv_std


def batchnorm_backward(dy: np.ndarray, rows: np.ndarray, mean, inv_std, gamma, batch_stats: bool, need_dx=True):
    """Same as :func:`numcnn.backend.numpy.batchnorm_backward`."""
    dy, rows = np.ascontiguousarray(dy), np.ascontiguousarray(rows)
    dtype = dy.dtype
    dbeta64, dot64 = _channel_sums(dy, mean, rows)
    dbeta = dbeta64.astype(dtype)
    dgamma = (dot64.astype(dtype) * inv_std).astype(dtype, copy=False)
    if not need_dx:
        return None, dgamma, dbeta
    gain = (gamma * inv_std).astype(dtype, copy=False)
    count = dtype.type(dy.shape[0])
    if not batch_stats:  # moving statistics are constants of x
        return _map_rows(_affine_kernel, np.empty_like(dy), dy, gain, np.zeros_like(gain)), dgamma, dbeta
    # dx = gain·dy + b·x + c: the reference's three terms, regrouped per channel
    b = -(gain * inv_std * dgamma / count)
    c = -(gain * dbeta / count) - b * mean
    out = _map_rows(_affine2_kernel, np.empty_like(dy), dy, rows, gain, b.astype(dtype), c.astype(dtype))
    return out, dgamma, dbeta
