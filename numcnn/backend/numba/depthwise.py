"""The fast depthwise convolution: serial ``nogil`` loops over a chunk of images per task, summing each output
in the reference's order of kernel offsets (so float64 results agree to rounding), and per-chunk kernel
gradients added in chunk order (so results never depend on timing)."""

from __future__ import annotations

import numpy as np
from numba import njit

from numcnn._threads import THREADS, parallel_chunks, split
from numcnn.backend.shapes import output_hw


@njit(nogil=True, cache=True)
def _forward_kernel(x, kernel, sh, sw, top, left, y):
    """y (n, OH, OW, C·M) = the depthwise convolution of x (n, H, W, C); y must hold zeros."""
    n_img, h_n, w_n, c_n = x.shape
    kh, kw, _, m_n = kernel.shape
    out_h, out_w = y.shape[1], y.shape[2]
    for n in range(n_img):
        for oh in range(out_h):
            for ow in range(out_w):
                out = y[n, oh, ow]
                for i in range(kh):
                    h = oh * sh - top + i
                    if h < 0 or h >= h_n:
                        continue
                    for j in range(kw):
                        w = ow * sw - left + j
                        if w < 0 or w >= w_n:
                            continue
                        src = x[n, h, w]
                        k = kernel[i, j]
                        for c in range(c_n):
                            v = src[c]
                            for m in range(m_n):
                                out[c * m_n + m] += v * k[c, m]


@njit(nogil=True, cache=True)
def _backward_kernel(dy, x, kernel, sh, sw, top, left, need_dx, dx, dkernel):
    """Adds the chunk's kernel gradient into dkernel (kh, kw, C, M) and, with need_dx, its input gradient into
    dx (n, H, W, C); both must hold zeros."""
    n_img, h_n, w_n, c_n = x.shape
    kh, kw, _, m_n = kernel.shape
    out_h, out_w = dy.shape[1], dy.shape[2]
    for n in range(n_img):
        for oh in range(out_h):
            for ow in range(out_w):
                g = dy[n, oh, ow]
                for i in range(kh):
                    h = oh * sh - top + i
                    if h < 0 or h >= h_n:
                        continue
                    for j in range(kw):
                        w = ow * sw - left + j
                        if w < 0 or w >= w_n:
                            continue
                        src = x[n, h, w]
                        k = kernel[i, j]
                        dk = dkernel[i, j]
                        for c in range(c_n):
                            v = src[c]
                            acc = g[c * m_n] * k[c, 0]
                            dk[c, 0] += v * g[c * m_n]
                            for m in range(1, m_n):
                                d = g[c * m_n + m]
                                dk[c, m] += v * d
                                acc += d * k[c, m]
                            if need_dx:
                                dx[n, h, w, c] += acc


def _parts(n: int):
    return split(n, min(n, 4 * THREADS))


def depthwise_conv2d_forward(x: np.ndarray, kernel: np.ndarray, bias, strides, pads) -> np.ndarray:
    """Same as :func:`numcnn.backend.numpy.depthwise_conv2d_forward`: x (N, H, W, C), kernel (kh, kw, C, M),
    bias (C·M,) or None → y (N, OH, OW, C·M), x's dtype."""
    x = np.ascontiguousarray(x)
    kernel = np.ascontiguousarray(kernel, dtype=x.dtype)
    oh, ow = output_hw(x.shape, kernel.shape[:2], strides, pads)
    y = np.zeros((x.shape[0], oh, ow, kernel.shape[2] * kernel.shape[3]), dtype=x.dtype)
    parts = _parts(x.shape[0])

    def body(i):
        s, e = parts[i]
        _forward_kernel(x[s:e], kernel, strides[0], strides[1], pads[0], pads[2], y[s:e])

    parallel_chunks(len(parts), body)
    return y if bias is None else y + bias


def depthwise_conv2d_backward(dy: np.ndarray, x: np.ndarray, kernel: np.ndarray, strides, pads, need_dx: bool = True):
    """Same as :func:`numcnn.backend.numpy.depthwise_conv2d_backward`: ``(dx or None, dkernel, dbias)``."""
    dy = np.ascontiguousarray(dy)
    x = np.ascontiguousarray(x, dtype=dy.dtype)
    kernel = np.ascontiguousarray(kernel, dtype=dy.dtype)
    dx = np.zeros(x.shape, dtype=dy.dtype) if need_dx else np.zeros((1, 1, 1, 1), dtype=dy.dtype)
    parts = _parts(x.shape[0])

    def body(i):
        s, e = parts[i]
        dkernel = np.zeros(kernel.shape, dtype=dy.dtype)
        out = dx[s:e] if need_dx else dx
        _backward_kernel(dy[s:e], x[s:e], kernel, strides[0], strides[1], pads[0], pads[2], need_dx, out, dkernel)
        return dkernel

    dkernel = np.zeros(kernel.shape, dtype=dy.dtype)
    for partial in parallel_chunks(len(parts), body):  # in chunk order: sums never depend on timing
        dkernel += partial
    dbias = dy.reshape(-1, dy.shape[-1]).sum(axis=0)
    return (dx if need_dx else None), dkernel, dbias
