"""Pooling kernels: max pooling (with argmax) and average pooling, forward and backward.

Each kernel is serial over a range of images; :func:`numcnn._threads.parallel_for` gives each core its own
images, so no two threads ever write the same output element.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from numcnn._threads import parallel_for
from numcnn.backend.shapes import output_hw, window_counts

# Below this many images a pooling call stays on the caller's thread: handing off costs more than it saves.
_MIN_IMAGES = 4


@njit(nogil=True, cache=True, inline="always")
def _span(o, stride, pad, k, n):
    """The real (unpadded) input range ``[lo, hi)`` under output position ``o`` along one axis."""
    start = o * stride - pad
    return max(start, 0), min(start + k, n)


@njit(nogil=True, cache=True)
def maxpool_kernel(x, ph, pw, sh, sw, top, left, y, argmax):
    n_img, h_n, w_n, c_n = x.shape
    out_h, out_w = y.shape[1], y.shape[2]
    for r in range(n_img * out_h):
        n = r // out_h
        oh = r - n * out_h
        h_lo, h_hi = _span(oh, sh, top, ph, h_n)
        for ow in range(out_w):
            w_lo, w_hi = _span(ow, sw, left, pw, w_n)
            if h_lo >= h_hi or w_lo >= w_hi:
                for c in range(c_n):
                    y[n, oh, ow, c] = -np.inf
                    argmax[n, oh, ow, c] = -1
                continue
            # The first real element starts as the best; only a strictly greater value (or a first NaN)
            # replaces it, so ties go to the top-left and NaN propagates.
            for c in range(c_n):
                y[n, oh, ow, c] = x[n, h_lo, w_lo, c]
                argmax[n, oh, ow, c] = h_lo * w_n + w_lo
            for h in range(h_lo, h_hi):
                for w in range(w_lo, w_hi):
                    for c in range(c_n):
                        v = x[n, h, w, c]
                        best = y[n, oh, ow, c]
                        if v > best or (v != v and best == best):
                            y[n, oh, ow, c] = v
                            argmax[n, oh, ow, c] = h * w_n + w


@njit(nogil=True, cache=True)
def scatter_kernel(dy, argmax, pooled, use_mask, dx, sums):
    """dx (n, H·W, C) = the max-pool gradient dy (n, PH, PW, C) routed to its argmax positions (overlapping
    windows add up), and what was routed summed per channel into ``sums`` (C,). With ``use_mask``, only where
    the pool's output ``pooled`` (n, PH, PW, C) is positive: for a ReLU layer before the pool, whose output at
    each argmax is the pool's output, that is ReLU's backward too (the fused convolution's bias gradient is
    then ``sums``)."""
    n_img, out_h, out_w, c_n = dy.shape
    for n in range(n_img):
        dx[n] = 0.0
        for oh in range(out_h):
            for ow in range(out_w):
                for c in range(c_n):
                    a = argmax[n, oh, ow, c]
                    if a >= 0 and (not use_mask or pooled[n, oh, ow, c] > 0):
                        g = dy[n, oh, ow, c]
                        dx[n, a, c] += g
                        sums[c] += g


@njit(nogil=True, cache=True)
def _avgpool_kernel(x, ph, pw, sh, sw, top, left, counts, y):
    n_img, h_n, w_n, c_n = x.shape
    out_h, out_w = y.shape[1], y.shape[2]
    for r in range(n_img * out_h):
        n = r // out_h
        oh = r - n * out_h
        h_lo, h_hi = _span(oh, sh, top, ph, h_n)
        for ow in range(out_w):
            w_lo, w_hi = _span(ow, sw, left, pw, w_n)
            for c in range(c_n):
                y[n, oh, ow, c] = 0.0
            for h in range(h_lo, h_hi):
                for w in range(w_lo, w_hi):
                    for c in range(c_n):
                        y[n, oh, ow, c] += x[n, h, w, c]
            for c in range(c_n):
                y[n, oh, ow, c] /= counts[oh, ow]


@njit(nogil=True, cache=True)
def _avgpool_backward_kernel(dy, ph, pw, sh, sw, top, left, counts, dx):
    n_img, h_n, w_n, c_n = dx.shape
    out_h, out_w = dy.shape[1], dy.shape[2]
    for r in range(n_img * h_n):
        n = r // h_n
        h = r - n * h_n
        for w in range(w_n):
            for c in range(c_n):
                dx[n, h, w, c] = 0.0
            for i in range(ph):
                qh = h + top - i
                if qh < 0 or qh % sh != 0 or qh // sh >= out_h:
                    continue
                oh = qh // sh
                for j in range(pw):
                    qw = w + left - j
                    if qw < 0 or qw % sw != 0 or qw // sw >= out_w:
                        continue
                    ow = qw // sw
                    for c in range(c_n):
                        dx[n, h, w, c] += dy[n, oh, ow, c] / counts[oh, ow]


def maxpool2d_forward(x: np.ndarray, pool_size, strides, pads):
    """Same as :func:`numcnn.backend.numpy.maxpool2d_forward` (same tie, NaN and padding rules): x (N, H, W, C)
    → ``(y, argmax)``, y (N, OH, OW, C) in x's dtype, argmax int32 flat ``h*W + w`` (-1 for all-padding windows).
    """
    x = np.ascontiguousarray(x)
    (ph, pw), (sh, sw), (top, _, left, _) = pool_size, strides, pads
    oh, ow = output_hw(x.shape, pool_size, strides, pads)
    y = np.empty((x.shape[0], oh, ow, x.shape[3]), dtype=x.dtype)
    argmax = np.empty(y.shape, dtype=np.int32)

    def body(a, b):
        maxpool_kernel(x[a:b], ph, pw, sh, sw, top, left, y[a:b], argmax[a:b])

    parallel_for(x.shape[0], body, min_items=_MIN_IMAGES)
    return y, argmax


def maxpool2d_backward(dy: np.ndarray, argmax: np.ndarray, x_shape) -> np.ndarray:
    """Same as :func:`numcnn.backend.numpy.maxpool2d_backward`: dy, argmax (N, OH, OW, C) → dx ``x_shape``."""
    n, h, w, c = x_shape
    dy = np.ascontiguousarray(dy)
    argmax = np.ascontiguousarray(argmax, dtype=np.int32)
    dx = np.empty((n, h * w, c), dtype=dy.dtype)

    def body(a, b):
        scatter_kernel(dy[a:b], argmax[a:b], dy[a:b], False, dx[a:b], np.zeros(c, dy.dtype))

    parallel_for(n, body, min_items=_MIN_IMAGES)
    return dx.reshape(n, h, w, c)


def avgpool2d_forward(x: np.ndarray, pool_size, strides, pads) -> np.ndarray:
    """Same as :func:`numcnn.backend.numpy.avgpool2d_forward`: x (N, H, W, C) → y (N, OH, OW, C), x's dtype."""
    x = np.ascontiguousarray(x)
    (ph, pw), (sh, sw), (top, _, left, _) = pool_size, strides, pads
    oh, ow = output_hw(x.shape, pool_size, strides, pads)
    counts = np.maximum(window_counts(x.shape, pool_size, strides, pads, x.dtype), 1)
    y = np.empty((x.shape[0], oh, ow, x.shape[3]), dtype=x.dtype)

    def body(a, b):
        _avgpool_kernel(x[a:b], ph, pw, sh, sw, top, left, counts, y[a:b])

    parallel_for(x.shape[0], body, min_items=_MIN_IMAGES)
    return y


def avgpool2d_backward(dy: np.ndarray, x_shape, pool_size, strides, pads) -> np.ndarray:
    """Same as :func:`numcnn.backend.numpy.avgpool2d_backward`: dy (N, OH, OW, C) → dx ``x_shape``, dy's dtype."""
    dy = np.ascontiguousarray(dy)
    (ph, pw), (sh, sw), (top, _, left, _) = pool_size, strides, pads
    output_hw(x_shape, pool_size, strides, pads)
    counts = np.maximum(window_counts(x_shape, pool_size, strides, pads, dy.dtype), 1)
    dx = np.empty(tuple(x_shape), dtype=dy.dtype)

    def body(a, b):
        _avgpool_backward_kernel(dy[a:b], ph, pw, sh, sw, top, left, counts, dx[a:b])

    parallel_for(dx.shape[0], body, min_items=_MIN_IMAGES)
    return dx
