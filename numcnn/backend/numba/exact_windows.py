"""What an exact-order convolution guarantees on constant windows, and Winograd's arithmetic breaks, restored.

A convolution summed term by term (direct loops, im2col + GEMM) computes each output from its window's values
alone, in a fixed order. So on the windows real images are full of it is exact in the way ReLU and max-pooling
rely on:

1. a window of zeros gives exactly the bias (every product is an exact 0), and ReLU keeps or drops the output
   exactly as the bias says;
2. windows whose pixels all hold one value vector ``c`` (a background, a saturated stroke, a ReLU layer's flat
   output) give equal outputs, bit for bit, so a max-pool over them ties and the first maximum wins.

Winograd's tile transforms mix each output with the other pixels of its 6×6 tile, whose terms cancel only up
to rounding: a window of zeros comes out as ±1e-17 instead of 0, and equal windows differ in their last bits.
Both flip selections that the exact convolution makes and move whole gradients: about 40 % of the second
convolution's windows on MNIST hold only zeros, and most of the rest of the background is constant.

So after the products, per image, ``window_classes`` marks each output's window as empty, constant (with a
pixel that holds its value) or neither, and ``restore_exact_windows`` writes the bias into the outputs of empty
windows and ``c·Σᵢⱼ W[i, j] + bias`` into those of constant ones: one fixed computation per value vector, so
equal windows get equal outputs, whatever their neighbours. (Windows that are equal but not constant, such
as a repeated texture, keep Winograd's rounding, as in cuDNN's and oneDNN's Winograd kernels.)
"""

from __future__ import annotations

import numpy as np
from numba import njit

from numcnn.backend.numba._scalars import ZERO, bias_relu

ORDINARY = -1  # a window neither empty nor constant
EMPTY = -2  # a window of zeros (padding counts as zeros)


def value_bits(x: np.ndarray) -> np.ndarray:
    """x (C-contiguous, float32 or float64) viewed as unsigned integers of its width: pixels compare equal
    when their bits do (integer compares vectorise), and a NaN equals the same NaN."""
    return x.view(np.uint32 if x.dtype == np.float32 else np.uint64)


@njit(nogil=True, cache=True, inline="always")
def _pixels_differ(a, b):
    """Non-zero when two pixels' bit patterns differ (an OR over the channels: no branch, so it vectorises)."""
    diff = a[0] ^ a[0]
    for c in range(a.shape[0]):
        diff |= a[c] ^ b[c]
    return diff


@njit(nogil=True, cache=True)
def _pixel_flags(bits, n, zero, right, down):
    """For image n of ``value_bits`` (n, H, W, C): which pixels are all zeros (-0.0 counts), and which equal
    the pixel to their right and the one below them. One pass over the channels, on flat rows: it vectorises."""
    _, h_n, w_n, c_n = bits.shape
    rows = bits.reshape(bits.shape[0], h_n, w_n * c_n)
    for h in range(h_n):
        row = rows[n, h]
        below = rows[n, h + 1] if h + 1 < h_n else row
        for w in range(w_n):
            base = w * c_n
            beside = base + c_n if w + 1 < w_n else base
            magnitude = row[base] ^ row[base]
            differ_right = magnitude
            differ_down = magnitude
            for c in range(c_n):
                v = row[base + c]
                magnitude |= v + v  # drops the sign bit: -0.0 and 0.0 both give 0
                differ_right |= v ^ row[beside + c]
                differ_down |= v ^ below[base + c]
            zero[h, w] = magnitude == 0
            right[h, w] = w + 1 < w_n and differ_right == 0
            down[h, w] = h + 1 < h_n and differ_down == 0


@njit(nogil=True, cache=True)
def window_classes(bits, kh, kw, top, left, classes):
    """classes (n, OH, OW) int32 of the kh×kw stride-1 windows over the input, given as ``value_bits`` (n, H, W,
    C): ``EMPTY``, ``ORDINARY``, or, for a constant window, the flat index ``h·W + w`` of a pixel holding its
    value. Padding counts as zeros: a window over padding is empty or ordinary, never constant."""
    n_img, h_n, w_n, _ = bits.shape
    _, out_h, out_w = classes.shape
    zero = np.empty((h_n, w_n), dtype=np.bool_)
    right = np.empty((h_n, w_n), dtype=np.bool_)
    down = np.empty((h_n, w_n), dtype=np.bool_)
    for n in range(n_img):
        _pixel_flags(bits, n, zero, right, down)
        for oh in range(out_h):
            h0, h1 = max(oh - top, 0), min(oh - top + kh, h_n)
            for ow in range(out_w):
                w0, w1 = max(ow - left, 0), min(ow - left + kw, w_n)
                empty, constant = True, h1 - h0 == kh and w1 - w0 == kw
                for h in range(h0, h1):
                    for w in range(w0, w1):
                        empty = empty and zero[h, w]
                    for w in range(w0, w1 - 1):
                        constant = constant and right[h, w]
                    if h + 1 < h1:
                        constant = constant and down[h, w0]
                if empty:
                    classes[n, oh, ow] = EMPTY
                elif constant:
                    classes[n, oh, ow] = h0 * w_n + w0
                else:
                    classes[n, oh, ow] = ORDINARY


@njit(nogil=True, cache=True)
def restore_exact_windows(x, bits, classes, kernel_sum, bias, use_bias, relu, zero_is_exact, y):
    """Give the outputs y (n, OH, OW, F) of x's (n, H, W, C) empty and constant windows (``window_classes``) the
    values of an exact-order sum: the bias, and ``c·kernel_sum + bias`` with ``kernel_sum`` (C, F) the kernel
    summed over its window, computed once for each run of windows with the same value vector ``c``.

    ``zero_is_exact`` is False when a weight is NaN or inf: an exact sum over zeros is then NaN (0·inf), which
    the method's own products carry, so these outputs keep what they computed.
    """
    if not zero_is_exact:
        return
    n_img, out_h, out_w, f_n = y.shape
    w_n, c_n = x.shape[2], x.shape[3]
    empty = np.empty(f_n, dtype=y.dtype)
    for f in range(f_n):
        empty[f] = bias_relu(ZERO, bias[f], use_bias, relu)
    last = np.empty(f_n, dtype=y.dtype)
    for n in range(n_img):
        cached = -1  # the pixel whose value the outputs in ``last`` belong to
        for oh in range(out_h):
            for ow in range(out_w):
                kind = classes[n, oh, ow]
                if kind == ORDINARY:
                    continue
                dst = y[n, oh, ow]
                if kind == EMPTY:
                    for f in range(f_n):
                        dst[f] = empty[f]
                    continue
                h, w = kind // w_n, kind % w_n
                if cached < 0 or _pixels_differ(bits[n, h, w], bits[n, cached // w_n, cached % w_n]) != 0:
                    value = x[n, h, w]
                    for f in range(f_n):
                        acc = ZERO * value[0]
                        for c in range(c_n):
                            acc += value[c] * kernel_sum[c, f]
                        last[f] = bias_relu(acc, bias[f], use_bias, relu)
                    cached = kind
                for f in range(f_n):
                    dst[f] = last[f]
