"""Two guarantees of an exact-order convolution that Winograd's arithmetic breaks, restored after it.

A convolution summed term by term (direct loops, im2col + GEMM) keeps two properties that ReLU and max-pooling
rely on, and that real images exercise all the time:

1. a window of zeros gives exactly the bias, since every product is an exact 0: ReLU then keeps or drops the
   output exactly as the bias says;
2. equal windows give equal outputs, bit for bit (the same operations on the same values): a max-pool over them
   ties, and the first maximum wins.

Winograd's tile transforms mix each output with the other pixels of its 6×6 tile, whose terms cancel only up
to rounding: a window of zeros comes out as ±1e-17 instead of 0, and equal windows differ in their last bits.
Both flip selections that the exact convolution makes and move whole gradients: about 40 % of the second
convolution's windows on MNIST hold only zeros, and the rest of the background is equal windows. So after the
products, ``window_keys`` marks each output's window as empty (key 0) or keys it by a hash of its values, and
``restore_exact_windows`` writes the bias into the outputs of empty windows and copies one output into every
output whose window equals its window.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from numcnn.backend.numba._scalars import ZERO, bias_relu

_ONE = np.uint64(1)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MUL_1 = np.uint64(0xBF58476D1CE4E5B9)
_MUL_2 = np.uint64(0x94D049BB133111EB)
_SHIFT_1, _SHIFT_2, _SHIFT_3 = np.uint64(30), np.uint64(27), np.uint64(31)


@njit(nogil=True, cache=True, inline="always")
def _mix(z):
    """splitmix64's finaliser: every input bit affects every output bit."""
    z = (z ^ (z >> _SHIFT_1)) * _MUL_1
    z = (z ^ (z >> _SHIFT_2)) * _MUL_2
    return z ^ (z >> _SHIFT_3)


def value_bits(x: np.ndarray) -> tuple[np.ndarray, int]:
    """x (C-contiguous, float32 or float64) as unsigned integers of its width, and the pattern of -0.0."""
    unsigned = np.uint32 if x.dtype == np.float32 else np.uint64
    return x.view(unsigned), int(unsigned(1) << unsigned(8 * x.itemsize - 1))


@njit(nogil=True, cache=True)
def window_keys(bits, negative_zero, kh, kw, top, left, keys):
    """keys (n, OH, OW) uint64: 0 where the kh×kw stride-1 window of output (oh, ow) over the input holds only
    zeros (padding counts as zeros), else an odd hash of the window's values, equal for equal windows.

    bits (n, H, W, C) are the input's values as unsigned integers (``value_bits``); -0.0 counts as 0.
    """
    n_img, h_n, w_n, c_n = bits.shape
    _, out_h, out_w = keys.shape
    pixel = np.empty((h_n, w_n), dtype=np.uint64)
    for n in range(n_img):
        for h in range(h_n):
            for w in range(w_n):
                acc = np.uint64(0)
                nonzero = False
                for c in range(c_n):
                    b = np.uint64(bits[n, h, w, c])
                    if b == negative_zero:
                        b = np.uint64(0)
                    nonzero = nonzero or b != 0
                    acc = _mix(acc ^ (b + np.uint64(c) * _GOLDEN))
                pixel[h, w] = (acc | _ONE) if nonzero else np.uint64(0)
        for oh in range(out_h):
            for ow in range(out_w):
                key = np.uint64(0)
                nonzero = False
                for i in range(kh):
                    h = oh - top + i
                    for j in range(kw):
                        w = ow - left + j
                        p = pixel[h, w] if (0 <= h < h_n and 0 <= w < w_n) else np.uint64(0)
                        nonzero = nonzero or p != 0
                        key = _mix(key ^ (p + np.uint64(i * kw + j) * _GOLDEN))
                keys[n, oh, ow] = (key | _ONE) if nonzero else np.uint64(0)


@njit(nogil=True, cache=True, inline="always")
def _windows_equal(x, n, a_h, a_w, b_h, b_w, kh, kw, top, left):
    """Whether the windows of outputs (a_h, a_w) and (b_h, b_w) over image n of x hold equal values."""
    h_n, w_n, c_n = x.shape[1], x.shape[2], x.shape[3]
    for i in range(kh):
        ha, hb = a_h - top + i, b_h - top + i
        in_a, in_b = 0 <= ha < h_n, 0 <= hb < h_n
        for j in range(kw):
            wa, wb = a_w - left + j, b_w - left + j
            real_a = in_a and 0 <= wa < w_n
            real_b = in_b and 0 <= wb < w_n
            for c in range(c_n):
                va = x[n, ha, wa, c] if real_a else ZERO
                vb = x[n, hb, wb, c] if real_b else ZERO
                if va != vb:  # NaN is unequal to everything, itself included
                    return False
    return True


@njit(nogil=True, cache=True)
def restore_exact_windows(x, keys, kh, kw, top, left, bias, use_bias, relu, zero_is_exact, y):
    """Make y (n, OH, OW, F), a convolution of x (n, H, W, C) computed by an inexact method, keep the two
    guarantees of the module docstring, using ``window_keys``' keys (n, OH, OW).

    ``zero_is_exact`` is False when a weight is NaN or inf: an exact sum then gives NaN (0·inf), which only
    the method's own products carry, so empty windows keep what they computed.
    """
    n_img, out_h, out_w, f_n = y.shape
    for n in range(n_img):
        flat = keys[n].reshape(out_h * out_w)
        order = np.argsort(flat)
        start = 0
        while start < order.size:
            key = flat[order[start]]
            stop = start + 1
            while stop < order.size and flat[order[stop]] == key:
                stop += 1
            if key == 0:
                if zero_is_exact:
                    for k in range(start, stop):
                        dst = y[n, order[k] // out_w, order[k] % out_w]
                        for f in range(f_n):
                            dst[f] = bias_relu(ZERO, bias[f], use_bias, relu)
            elif stop - start > 1:
                first = order[start]
                a_h, a_w = first // out_w, first % out_w
                src = y[n, a_h, a_w]
                for k in range(start + 1, stop):
                    b_h, b_w = order[k] // out_w, order[k] % out_w
                    if _windows_equal(x, n, a_h, a_w, b_h, b_w, kh, kw, top, left):
                        dst = y[n, b_h, b_w]
                        for f in range(f_n):
                            dst[f] = src[f]
            start = stop
