"""Direct stride-1 convolutions over zero-padded channel planes, for layers with few channels (first layers on
grey and RGB images, LeNet's 5×5 layers, tiny Conv2D stacks), where im2col's short copies and a product with
few filters waste most of the time, and Winograd's 36 small products more so.

A chunk of images is copied once into planes ``(n, C, Hp, Wp)`` with the padding written as zeros (and one
spare row below). An output pixel ``(oh, ow)`` then reads, for tap ``(i, j)`` of channel ``c``, the plane's
flat element ``(oh + i)·Wp + ow + j``: for a whole image, tap ``(i, j)`` is one contiguous slice of the plane
shifted by ``i·Wp + j``. So the convolution is a sum, tap by tap, of a kernel value times a contiguous slice,
which vectorises, into accumulators of ``OH·Wp`` pixels (the ``Wp − OW`` columns past each output row are
computed and dropped). Four filters share each load of the slice.

Every output is one fixed-order sum of its own window's products, as in the reference: a window of zeros
gives exactly the bias and equal windows give equal outputs, with no restoring pass (``exact_windows``).

The kernel gradient is one product per chunk: the taps' shifted slices stacked as rows (contiguous copies)
times the output gradient laid out on the same ``OH × Wp`` grid; the input gradient is this same
convolution of the zero-padded output gradient with the flipped kernel (``C`` and ``F`` swapped).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from numcnn.backend.numba._scalars import ZERO, bias_relu

BLOCK = 4  # filters that share each load of a slice


def plane_shape(n: int, channels: int, out_h: int, out_w: int, kh: int, kw: int) -> tuple[int, int, int, int]:
    """``(n, C, Hp, Wp)`` of the padded planes of a stride-1 convolution with output ``out_h × out_w``."""
    return n, channels, out_h + kh, out_w + kw - 1


@njit(nogil=True, cache=True)
def to_planes(x, top, left, planes):
    """planes (n, C, Hp, Wp) = x (n, H, W, C) at rows ``top…`` and columns ``left…``, zeros elsewhere
    (the padding, and anything past the image that a convolution's window never reads back as real)."""
    n_img, h_n, w_n, c_n = x.shape
    _, _, hp, wp = planes.shape
    for n in range(n_img):
        planes[n] = ZERO
        for h in range(min(h_n, hp - top)):
            if h + top < 0:
                continue
            for w in range(min(w_n, wp - left)):
                if w + left < 0:
                    continue
                src = x[n, h, w]
                for c in range(c_n):
                    planes[n, c, h + top, w + left] = src[c]


@njit(nogil=True, cache=True)
def planar_conv_kernel(planes, kernel, bias, use_bias, relu, y):
    """y (n, OH, OW, F) = the stride-1 convolution of the planes (n, C, Hp, Wp) (``to_planes``) with kernel
    (kh, kw, C, F4), F4 the filters rounded up to ``BLOCK`` with zero filters; bias (F,), ReLU'd when asked.

    Taps go three at a time through four filters' accumulators: 24 operations for 3 slice loads and 4
    accumulator loads and stores (one tap and filter at a time was slower: benchmarks/README.md). Every output's sum
    runs in the same order, (c, i, j)."""
    n_img, c_n, hp, wp = planes.shape
    kh, kw, _, f4 = kernel.shape
    _, out_h, out_w, f_n = y.shape
    size = out_h * wp
    taps = kh * kw * c_n
    shifts = np.empty(taps, dtype=np.int64)
    weights = np.empty((taps, f4), dtype=y.dtype)
    for c in range(c_n):
        for i in range(kh):
            for j in range(kw):
                t = (c * kh + i) * kw + j
                shifts[t] = c * hp * wp + i * wp + j
                weights[t] = kernel[i, j, c]
    acc = np.empty((BLOCK, size), dtype=y.dtype)
    flat = planes.reshape(n_img, c_n * hp * wp)
    for n in range(n_img):
        image = flat[n]
        for f0 in range(0, f4, BLOCK):
            a0, a1, a2, a3 = acc[0], acc[1], acc[2], acc[3]
            a0[:] = ZERO
            a1[:] = ZERO
            a2[:] = ZERO
            a3[:] = ZERO
            t = 0
            while t + 3 <= taps:
                xa = image[shifts[t] : shifts[t] + size]
                xb = image[shifts[t + 1] : shifts[t + 1] + size]
                xc = image[shifts[t + 2] : shifts[t + 2] + size]
                wa, wb, wc = weights[t], weights[t + 1], weights[t + 2]
                a_0, a_1, a_2, a_3 = wa[f0], wa[f0 + 1], wa[f0 + 2], wa[f0 + 3]
                b_0, b_1, b_2, b_3 = wb[f0], wb[f0 + 1], wb[f0 + 2], wb[f0 + 3]
                c_0, c_1, c_2, c_3 = wc[f0], wc[f0 + 1], wc[f0 + 2], wc[f0 + 3]
                for p in range(size):
                    va, vb, vc = xa[p], xb[p], xc[p]
                    a0[p] = a0[p] + a_0 * va + b_0 * vb + c_0 * vc
                    a1[p] = a1[p] + a_1 * va + b_1 * vb + c_1 * vc
                    a2[p] = a2[p] + a_2 * va + b_2 * vb + c_2 * vc
                    a3[p] = a3[p] + a_3 * va + b_3 * vb + c_3 * vc
                t += 3
            while t < taps:
                xa = image[shifts[t] : shifts[t] + size]
                wa = weights[t]
                a_0, a_1, a_2, a_3 = wa[f0], wa[f0 + 1], wa[f0 + 2], wa[f0 + 3]
                for p in range(size):
                    va = xa[p]
                    a0[p] += a_0 * va
                    a1[p] += a_1 * va
                    a2[p] += a_2 * va
                    a3[p] += a_3 * va
                t += 1
            nq = min(BLOCK, f_n - f0)
            for oh in range(out_h):
                for ow in range(out_w):
                    dst = y[n, oh, ow]
                    for q in range(nq):
                        dst[f0 + q] = bias_relu(acc[q, oh * wp + ow], bias[f0 + q], use_bias, relu)


@njit(nogil=True, cache=True)
def shifted_rows(planes, kh, kw, out_h, rows):
    """rows (kh·kw·C, n·OH·Wp): row ``(i, j, c)`` holds, image after image, the plane of channel c shifted by
    tap (i, j): the transposed im2col matrix on the ``OH × Wp`` grid, built from contiguous copies."""
    n_img, c_n, hp, wp = planes.shape
    size = out_h * wp
    flat = planes.reshape(n_img, c_n, hp * wp)
    for i in range(kh):
        for j in range(kw):
            s = i * wp + j
            for c in range(c_n):
                dst = rows[(i * kw + j) * c_n + c]
                for n in range(n_img):
                    src = flat[n, c, s : s + size]
                    out = dst[n * size : (n + 1) * size]
                    for p in range(size):
                        out[p] = src[p]


@njit(nogil=True, cache=True)
def gradient_grid(d, wp, grid):
    """grid (n·OH·Wp, F) = the output gradient d (n, OH, OW, F) on the planes' grid, zeros in the dropped
    columns (so they add nothing to the kernel gradient)."""
    n_img, out_h, out_w, f_n = d.shape
    g = grid.reshape(n_img, out_h, wp, f_n)
    for n in range(n_img):
        for oh in range(out_h):
            for ow in range(out_w):
                src = d[n, oh, ow]
                dst = g[n, oh, ow]
                for f in range(f_n):
                    dst[f] = src[f]
            for ow in range(out_w, wp):
                g[n, oh, ow] = ZERO


def padded_filters(kernel: np.ndarray) -> np.ndarray:
    """kernel (kh, kw, C, F) with zero filters appended up to a multiple of ``BLOCK``, C-contiguous."""
    kh, kw, c, f = kernel.shape
    f4 = -(-f // BLOCK) * BLOCK
    out = np.zeros((kh, kw, c, f4), dtype=kernel.dtype)
    out[..., :f] = kernel
    return out


def flipped_filters(kernel: np.ndarray) -> np.ndarray:
    """The input gradient's kernel: (kh, kw, C, F) rotated by 180° with C and F swapped, (kh, kw, F, C4)."""
    return padded_filters(np.ascontiguousarray(kernel[::-1, ::-1].transpose(0, 1, 3, 2)))
