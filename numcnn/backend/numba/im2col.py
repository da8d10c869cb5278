"""im2col and col2im: the window unfolding behind the im2col + GEMM convolution, and its adjoint.

The serial ``nogil`` kernels work on a chunk of images; :func:`im2col` and :func:`col2im` run them over the
batch on every core. Copies go through slices indexed from 0: an index like ``base + t`` could be negative as
far as numba knows, and its wraparound check on every element turned the copies into gathers (~2× slower).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from numcnn._threads import parallel_for
from numcnn.backend.numba.geometry import ConvGeometry


@njit(nogil=True, cache=True)
def im2col_kernel(x, kh, kw, sh, sw, top, left, out_h, out_w, cols):
    """cols (n·OH·OW, kh·kw·C) = the windows of x (n, H, W, C), zeros on the padding."""
    n_img, h_n, w_n, c_n = x.shape
    span = kw * c_n
    x_rows = x.reshape(n_img, h_n, w_n * c_n)
    for n in range(n_img):
        for oh in range(out_h):
            for ow in range(out_w):
                row = cols[(n * out_h + oh) * out_w + ow]
                w0 = ow * sw - left
                for i in range(kh):
                    h = oh * sh - top + i
                    dst = row[i * span : (i + 1) * span]
                    if h < 0 or h >= h_n:
                        dst[:] = 0.0
                    elif w0 >= 0 and w0 + kw <= w_n:
                        # The whole window row lies inside the image: kw·C contiguous values.
                        src = x_rows[n, h, w0 * c_n : w0 * c_n + span]
                        for t in range(span):
                            dst[t] = src[t]
                    else:
                        for j in range(kw):
                            w = w0 + j
                            part = dst[j * c_n : (j + 1) * c_n]
                            if 0 <= w < w_n:
                                src = x[n, h, w]
                                for c in range(c_n):
                                    part[c] = src[c]
                            else:
                                part[:] = 0.0


@njit(nogil=True, cache=True, inline="always")
def _window_position(p, stride, out_n):
    """The output index whose window starts at padded position ``p`` along one axis, or -1 if none does.
    Stride 1 skips the two integer divisions, the slowest part of col2im's inner loop otherwise."""
    if stride == 1:
        return p if 0 <= p < out_n else -1
    if p < 0 or p % stride != 0 or p // stride >= out_n:
        return -1
    return p // stride


@njit(nogil=True, cache=True)
def col2im_kernel(cols, kh, kw, sh, sw, top, left, out_h, out_w, dx):
    """dx (n, H, W, C) = the rows of cols (n·OH·OW, kh·kw·C) folded back, summed where windows overlap.

    A gather, not a scatter: each pixel adds its contributions in (i, j) order, like the reference."""
    n_img, h_n, w_n, c_n = dx.shape
    for n in range(n_img):
        for h in range(h_n):
            for w in range(w_n):
                dst = dx[n, h, w]
                dst[:] = 0.0
                for i in range(kh):
                    oh = _window_position(h + top - i, sh, out_h)
                    if oh < 0:
                        continue
                    for j in range(kw):
                        ow = _window_position(w + left - j, sw, out_w)
                        if ow < 0:
                            continue
                        base = (i * kw + j) * c_n
                        src = cols[(n * out_h + oh) * out_w + ow, base : base + c_n]
                        for c in range(c_n):
                            dst[c] += src[c]


def im2col(x: np.ndarray, kernel_size, strides, pads) -> np.ndarray:
    """Same as :func:`numcnn.backend.numpy.im2col`: x (N, H, W, C) → cols (N*OH*OW, kh*kw*C), x's dtype."""
    x = np.ascontiguousarray(x)
    g = ConvGeometry.of(x.shape, (*kernel_size, x.shape[3], 1), strides, pads)
    cols = np.empty((x.shape[0] * g.pixels, g.width), dtype=x.dtype)

    def body(a, b):
        im2col_kernel(x[a:b], *g.kernel_args, cols[a * g.pixels : b * g.pixels])

    parallel_for(x.shape[0], body)
    return cols


def col2im(cols: np.ndarray, x_shape, kernel_size, strides, pads) -> np.ndarray:
    """Same as :func:`numcnn.backend.numpy.col2im`: cols (N*OH*OW, kh*kw*C) → dx ``x_shape``, cols' dtype."""
    cols = np.ascontiguousarray(cols)
    g = ConvGeometry.of(x_shape, (*kernel_size, x_shape[3], 1), strides, pads)
    dx = np.empty(tuple(x_shape), dtype=cols.dtype)

    def body(a, b):
        col2im_kernel(cols[a * g.pixels : b * g.pixels], *g.kernel_args, dx[a:b])

    parallel_for(dx.shape[0], body)
    return dx
