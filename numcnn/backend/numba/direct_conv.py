"""Direct convolution kernels for layers with few inputs per window (``kh·kw·C`` small, e.g. MNIST's first
layer: 3·3·1 = 9). There a matrix product with an inner dimension of 9 wastes most of its time on
overhead, while a loop that keeps one output pixel's ``F`` sums in cache runs several times faster.

Serial and ``nogil``: :mod:`numcnn._kernels.conv` runs them on chunks of images on every core.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from numcnn.backend.numba._scalars import ZERO, bias_relu

# Up to this many inputs per window (kh·kw·C), the direct kernels beat im2col + GEMM.
MAX_DIRECT_WIDTH = 16


@njit(nogil=True, cache=True)
def direct_conv_kernel(x, kernel, bias, use_bias, relu, sh, sw, top, left, y):
    """y (n, OH, OW, F) = conv(x (n, H, W, C), kernel (kh, kw, C, F)) + bias, ReLU'd when ``relu``."""
    n_img, h_n, w_n, c_n = x.shape
    kh, kw, _, f_n = kernel.shape
    _, out_h, out_w, _ = y.shape
    acc = np.empty(f_n, dtype=y.dtype)
    for n in range(n_img):
        for oh in range(out_h):
            for ow in range(out_w):
                for f in range(f_n):
                    acc[f] = 0.0
                for i in range(kh):
                    h = oh * sh - top + i
                    if h < 0 or h >= h_n:
                        continue
                    for j in range(kw):
                        w = ow * sw - left + j
                        if w < 0 or w >= w_n:
                            continue
                        for c in range(c_n):
                            v = x[n, h, w, c]
                            for f in range(f_n):
                                acc[f] += v * kernel[i, j, c, f]
                for f in range(f_n):
                    y[n, oh, ow, f] = bias_relu(acc[f], bias[f], use_bias, relu)


@njit(nogil=True, cache=True)
def direct_filter_grad_kernel(x, dy, relu_output, use_mask, sh, sw, top, left, dkernel, dbias):
    """Add this chunk's kernel and bias gradients into ``dkernel`` (kh, kw, C, F) and ``dbias`` (F,).

    With ``use_mask``, dy first passes through ReLU's backward (zero where ``relu_output`` ≤ 0).
    """
    n_img, h_n, w_n, c_n = x.shape
    kh, kw, _, f_n = dkernel.shape
    _, out_h, out_w, _ = dy.shape
    d = np.empty(f_n, dtype=dy.dtype)
    for n in range(n_img):
        for oh in range(out_h):
            for ow in range(out_w):
                for f in range(f_n):
                    g = dy[n, oh, ow, f]
                    if use_mask and not relu_output[n, oh, ow, f] > 0:
                        g = ZERO
                    d[f] = g
                    dbias[f] += g
                for i in range(kh):
                    h = oh * sh - top + i
                    if h < 0 or h >= h_n:
                        continue
                    for j in range(kw):
                        w = ow * sw - left + j
                        if w < 0 or w >= w_n:
                            continue
                        for c in range(c_n):
                            v = x[n, h, w, c]
                            for f in range(f_n):
                                dkernel[i, j, c, f] += v * d[f]
