"""The fast depthwise convolution: serial ``nogil`` loops over a chunk of images per task, the innermost one over
contiguous channels, each output summed in the reference's order of kernel offsets (so float64 results agree
to rounding), and per-chunk kernel gradients added in chunk order (so results never depend on timing).

The kernels convolve each channel with one filter; a ``depth_multiplier`` M > 1 runs them once per filter m
on the contiguous slices ``kernel[..., m]`` and interleaves the results into TensorFlow's channel order
``c·M + m`` (a loop over m inside the channel loop measured 7× slower: its stores are strided).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from numcnn._threads import THREADS, parallel_chunks, split
from numcnn.backend.shapes import output_hw


@njit(nogil=True, cache=True)
def _forward_kernel(x, k2, kw, sh, sw, top, left, y):
    """y (n, OH, OW, C) += the depthwise convolution of x (n, H, W, C) by k2 (kh·kw, C); y must hold zeros.
    Pixels are indexed flat (no per-pixel views), so the innermost loop runs over contiguous channels."""
    n_img, h_n, w_n, c_n = x.shape
    kh = k2.shape[0] // kw
    out_h, out_w = y.shape[1], y.shape[2]
    x2 = x.reshape(n_img * h_n * w_n, c_n)
    y2 = y.reshape(n_img * out_h * out_w, c_n)
    for n in range(n_img):
        for oh in range(out_h):
            for i in range(kh):
                h = oh * sh - top + i
                if h < 0 or h >= h_n:
                    continue
                for j in range(kw):
                    t = i * kw + j
                    for ow in range(out_w):
                        w = ow * sw - left + j
                        if w < 0 or w >= w_n:
                            continue
                        p = (n * out_h + oh) * out_w + ow
                        q = (n * h_n + h) * w_n + w
                        for c in range(c_n):
                            y2[p, c] += x2[q, c] * k2[t, c]


@njit(nogil=True, cache=True)
def _backward_kernel(g, x, k2, kw, sh, sw, top, left, need_dx, dx, dk2):
    """Adds the chunk's kernel gradient into dk2 (kh·kw, C) and, with need_dx, its input gradient into dx
    (n, H, W, C), from the output gradient g (n, OH, OW, C)."""
    n_img, h_n, w_n, c_n = x.shape
    kh = k2.shape[0] // kw
    out_h, out_w = g.shape[1], g.shape[2]
    x2 = x.reshape(n_img * h_n * w_n, c_n)
    g2 = g.reshape(n_img * out_h * out_w, c_n)
    dx2 = dx.reshape(dx.shape[0] * dx.shape[1] * dx.shape[2], dx.shape[3])
    for n in range(n_img):
        for oh in range(out_h):
            for i in range(kh):
                h = oh * sh - top + i
                if h < 0 or h >= h_n:
                    continue
                for j in range(kw):
                    t = i * kw + j
                    for ow in range(out_w):
                        w = ow * sw - left + j
                        if w < 0 or w >= w_n:
                            continue
                        p = (n * out_h + oh) * out_w + ow
                        q = (n * h_n + h) * w_n + w
                        for c in range(c_n):
                            dk2[t, c] += x2[q, c] * g2[p, c]
                        if need_dx:
                            for c in range(c_n):
                                dx2[q, c] += g2[p, c] * k2[t, c]


def _parts(n: int):
    return split(n, min(n, 4 * THREADS))


def _filters(kernel, dtype):
    """The M filters of a (kh, kw, C, M) kernel as contiguous (kh·kw, C) arrays."""
    kh, kw, c, m = kernel.shape
    return [np.ascontiguousarray(kernel[..., i], dtype=dtype).reshape(kh * kw, c) for i in range(m)]


def depthwise_conv2d_forward(x: np.ndarray, kernel: np.ndarray, bias, strides, pads) -> np.ndarray:
    """Same as :func:`numcnn.backend.numpy.depthwise_conv2d_forward`: x (N, H, W, C), kernel (kh, kw, C, M),
    bias (C·M,) or None → y (N, OH, OW, C·M), x's dtype."""
    x = np.ascontiguousarray(x)
    n, (kh, kw, c, m) = x.shape[0], kernel.shape
    oh, ow = output_hw(x.shape, (kh, kw), strides, pads)
    parts = _parts(n)
    outs = []
    for k2 in _filters(kernel, x.dtype):
        out = np.zeros((n, oh, ow, c), dtype=x.dtype)

        def body(p, k2=k2, out=out):
            s, e = parts[p]
            _forward_kernel(x[s:e], k2, kw, strides[0], strides[1], pads[0], pads[2], out[s:e])

        parallel_chunks(len(parts), body)
        outs.append(out)
    y = outs[0] if m == 1 else np.stack(outs, axis=-1).reshape(n, oh, ow, c * m)
    return y if bias is None else y + bias


def depthwise_conv2d_backward(dy: np.ndarray, x: np.ndarray, kernel: np.ndarray, strides, pads, need_dx: bool = True):
    """Same as :func:`numcnn.backend.numpy.depthwise_conv2d_backward`: ``(dx or None, dkernel, dbias)``."""
    dy = np.ascontiguousarray(dy)
    x = np.ascontiguousarray(x, dtype=dy.dtype)
    kh, kw, c, m = kernel.shape
    dy5 = dy.reshape(*dy.shape[:3], c, m)
    dx = np.zeros(x.shape, dtype=dy.dtype) if need_dx else np.zeros((1, 1, 1, 1), dtype=dy.dtype)
    dkernel = np.zeros(kernel.shape, dtype=dy.dtype)
    parts = _parts(x.shape[0])
    for i, k2 in enumerate(_filters(kernel, dy.dtype)):
        g = dy if m == 1 else np.ascontiguousarray(dy5[..., i])

        def body(p, k2=k2, g=g):
            s, e = parts[p]
            dk2 = np.zeros(k2.shape, dtype=dy.dtype)
            out = dx[s:e] if need_dx else dx
            _backward_kernel(g[s:e], x[s:e], k2, kw, strides[0], strides[1], pads[0], pads[2], need_dx, out, dk2)
            return dk2

        for partial in parallel_chunks(len(parts), body):  # in chunk order: sums never depend on timing
            dkernel[..., i] += partial.reshape(kh, kw, c)
    dbias = dy.reshape(-1, dy.shape[-1]).sum(axis=0)
    return (dx if need_dx else None), dkernel, dbias
