"""Winograd F(2×2, 3×3) for 3×3 stride-1 convolutions: 16 multiplies per output tile and channel pair
where im2col + GEMM needs 36, and no 9×-inflated im2col matrix.

Per chunk of images: ``transform_input`` turns every 4×4 input tile ``d`` into ``Bᵀ d B`` (16 values a
channel), 16 products multiply them with the transformed kernel ``G g Gᵀ``, and ``transform_output`` folds
each 4×4 result ``m`` into its 2×2 output tile ``Aᵀ m A`` (then bias and ReLU). With
``Bᵀ = [[1,0,-1,0],[0,1,1,0],[0,-1,1,0],[0,1,0,-1]]``, ``G = [[1,0,0],[½,½,½],[½,-½,½],[0,0,1]]``,
``Aᵀ = [[1,1,1,0],[0,1,-1,-1]]`` (Lavin & Gray, 2016). Used for the forward pass only: for the input gradient
(a convolution of dy with the kernel turned 180°), its 4× larger transformed input made it no faster than
the product and col2im it would replace.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])


def transform_kernel(kernel: np.ndarray) -> np.ndarray:
    """(3, 3, C, F) → (16, C, F): ``G g Gᵀ`` for every channel pair, in the kernel's dtype."""
    v = np.einsum("ai,ijcf,bj->abcf", _G, kernel.astype(np.float64), _G)
    return np.ascontiguousarray(v.reshape(16, *kernel.shape[2:]), dtype=kernel.dtype)


def tiles(out_h: int, out_w: int) -> tuple[int, int]:
    """Number of 2×2 output tiles along each axis (the last ones may stick out and are cropped)."""
    return (out_h + 1) // 2, (out_w + 1) // 2


@njit(nogil=True, cache=True)
def transform_input(x, top, left, tiles_h, tiles_w, u):
    """u (16, n·tiles_h·tiles_w, C) = Bᵀ d B of every 4×4 tile d of x (n, H, W, C) (zeros off the image)."""
    n_img, h_n, w_n, c_n = x.shape
    d = np.empty((4, 4, c_n), dtype=u.dtype)
    r = np.empty((4, 4, c_n), dtype=u.dtype)
    for n in range(n_img):
        for th in range(tiles_h):
            for tw in range(tiles_w):
                t = (n * tiles_h + th) * tiles_w + tw
                for a in range(4):
                    h = 2 * th - top + a
                    for b in range(4):
                        w = 2 * tw - left + b
                        if 0 <= h < h_n and 0 <= w < w_n:
                            for c in range(c_n):
                                d[a, b, c] = x[n, h, w, c]
                        else:
                            for c in range(c_n):
                                d[a, b, c] = 0.0
                for b in range(4):  # rows: Bᵀ d
                    for c in range(c_n):
                        r[0, b, c] = d[0, b, c] - d[2, b, c]
                        r[1, b, c] = d[1, b, c] + d[2, b, c]
                        r[2, b, c] = d[2, b, c] - d[1, b, c]
                        r[3, b, c] = d[1, b, c] - d[3, b, c]
                for a in range(4):  # columns: (Bᵀ d) B
                    for c in range(c_n):
                        u[4 * a, t, c] = r[a, 0, c] - r[a, 2, c]
                        u[4 * a + 1, t, c] = r[a, 1, c] + r[a, 2, c]
                        u[4 * a + 2, t, c] = r[a, 2, c] - r[a, 1, c]
                        u[4 * a + 3, t, c] = r[a, 1, c] - r[a, 3, c]


@njit(nogil=True, cache=True)
def transform_output(m, bias, use_bias, relu, tiles_h, tiles_w, y):
    """y (n, OH, OW, F) = Aᵀ m A of every tile of m (16, n·tiles_h·tiles_w, F), plus bias, ReLU'd if asked."""
    n_img, out_h, out_w, f_n = y.shape
    s = np.empty((2, 4, f_n), dtype=y.dtype)
    for n in range(n_img):
        for th in range(tiles_h):
            for tw in range(tiles_w):
                t = (n * tiles_h + th) * tiles_w + tw
                for b in range(4):  # rows: Aᵀ m
                    for f in range(f_n):
                        s[0, b, f] = m[b, t, f] + m[4 + b, t, f] + m[8 + b, t, f]
                        s[1, b, f] = m[4 + b, t, f] - m[8 + b, t, f] - m[12 + b, t, f]
                for i in range(2):
                    oh = 2 * th + i
                    if oh >= out_h:
                        continue
                    for j in range(2):
                        ow = 2 * tw + j
                        if ow >= out_w:
                            continue
                        for f in range(f_n):
                            v = s[i, 0, f] + s[i, 1, f] + s[i, 2, f] if j == 0 else s[i, 1, f] - s[i, 2, f] - s[i, 3, f]
                            if use_bias:
                                v += bias[f]
                            if relu and not (v > 0 or v != v):
                                v = 0.0
                            y[n, oh, ow, f] = v
