"""Winograd F(4×4, 3×3) for 3×3 stride-1 convolutions: 36 multiplies per 4×4 output tile and channel pair
where im2col + GEMM needs 144, and no 9×-inflated im2col matrix.

Per chunk of images: ``transform_input`` turns every 6×6 input tile ``d`` (tiles overlap by 2) into
``Bᵀ d B`` (36 values a channel), 36 products multiply them with the transformed kernel ``G g Gᵀ``, and
``transform_output`` folds each 6×6 result ``m`` into its 4×4 output tile ``Aᵀ m A`` (then bias and ReLU).
The matrices use the interpolation points 0, ±1, ±2, ∞ (Lavin & Gray, 2016)::

    Bᵀ = [[4,  0, -5,  0, 1, 0],     G = [[ 1/4,     0,    0],     Aᵀ = [[1, 1,  1, 1,  1, 0],
          [0, -4, -4,  1, 1, 0],          [-1/6, -1/6, -1/6],           [0, 1, -1, 2, -2, 0],
          [0,  4, -4, -1, 1, 0],          [-1/6,  1/6, -1/6],           [0, 1,  1, 4,  4, 0],
          [0, -2, -1,  2, 1, 0],          [1/24, 1/12,  1/6],           [0, 1, -1, 8, -8, 1]]
          [0,  2, -1, -2, 1, 0],          [1/24, -1/12, 1/6],
          [0,  4,  0, -5, 0, 1]]          [   0,     0,    1]]

Both passes use it: F(4×4) beat F(2×2, 3×3), whose 16 products with only C = 32 inner terms run far
below the GEMM peak, and the backward pass (the same transforms transposed, see below) beat im2col, two
products and col2im (benchmarks/README.md has the measurements). The price is accuracy: the larger
coefficients make float32 results differ from a direct sum by up to a few 1e-6 of the summed magnitudes,
as in cuDNN's and oneDNN's Winograd kernels; ``tests/_winograd_bounds.py`` gives the forward-error bounds
the tests hold every result to.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from numcnn._threads import on_this_thread
from numcnn.backend.numba._scalars import EIGHT, FIVE, FOUR, TWO, bias_relu

TILE = 4  # output tile edge; input tiles are TILE + 2
_BT = np.array(
    [
        [4, 0, -5, 0, 1, 0],
        [0, -4, -4, 1, 1, 0],
        [0, 4, -4, -1, 1, 0],
        [0, -2, -1, 2, 1, 0],
        [0, 2, -1, -2, 1, 0],
        [0, 4, 0, -5, 0, 1],
    ],
    dtype=np.float64,
)
_G = np.array(
    [
        [1 / 4, 0, 0],
        [-1 / 6, -1 / 6, -1 / 6],
        [-1 / 6, 1 / 6, -1 / 6],
        [1 / 24, 1 / 12, 1 / 6],
        [1 / 24, -1 / 12, 1 / 6],
        [0, 0, 1],
    ]
)
_AT = np.array([[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]], dtype=np.float64)


def _sandwich(left: np.ndarray, a: np.ndarray, right: np.ndarray) -> np.ndarray:
    """``left · a[:, :, c, f] · right`` for every channel pair of a (p, q, C, F), in float64. Two tensordots
    (BLAS), several times faster than the same einsum, on every step."""
    with on_this_thread():  # one BLAS thread, and a fork from another thread waits (numcnn._threads)
        rows = np.tensordot(left, a.astype(np.float64), (1, 0))  # (P, q, C, F)
        return np.tensordot(right, rows, (0, 1)).transpose(1, 0, 2, 3)  # (P, Q, C, F)


def transform_kernel(kernel: np.ndarray) -> np.ndarray:
    """(3, 3, C, F) → (36, C, F): ``G g Gᵀ`` for every channel pair, in the kernel's dtype."""
    v = _sandwich(_G, kernel, _G.T)
    return np.ascontiguousarray(v.reshape(36, *kernel.shape[2:]), dtype=kernel.dtype)


def tiles(out_h: int, out_w: int) -> tuple[int, int]:
    """Number of 4×4 output tiles along each axis (the last ones may stick out and are cropped)."""
    return -(-out_h // TILE), -(-out_w // TILE)


@njit(nogil=True, cache=True, inline="always")
def _gather_tile(x, n, h0, w0, tile):
    """tile (p, q, C) = x[n, h0:h0+p, w0:w0+q] of x (N, H, W, C), zeros where that window leaves the image."""
    p_n, q_n, c_n = tile.shape
    for a in range(p_n):
        h = h0 + a
        for b in range(q_n):
            w = w0 + b
            dst = tile[a, b]
            if 0 <= h < x.shape[1] and 0 <= w < x.shape[2]:
                src = x[n, h, w]
                for c in range(c_n):
                    dst[c] = src[c]
            else:
                dst[:] = 0.0


@njit(nogil=True, cache=True)
def transform_input(x, top, left, tiles_h, tiles_w, u):
    """u (36, n·tiles_h·tiles_w, C) = Bᵀ d B of every 6×6 tile d of x (n, H, W, C) (zeros off the image)."""
    n_img, _, _, c_n = x.shape
    d = np.empty((6, 6, c_n), dtype=u.dtype)
    r = np.empty((6, 6, c_n), dtype=u.dtype)
    for n in range(n_img):
        for th in range(tiles_h):
            for tw in range(tiles_w):
                t = (n * tiles_h + th) * tiles_w + tw
                _gather_tile(x, n, TILE * th - top, TILE * tw - left, d)
                for b in range(6):  # rows: Bᵀ d
                    for c in range(c_n):
                        d0, d1, d2, d3, d4, d5 = d[0, b, c], d[1, b, c], d[2, b, c], d[3, b, c], d[4, b, c], d[5, b, c]
                        r[0, b, c] = FOUR * d0 - FIVE * d2 + d4
                        r[1, b, c] = d3 + d4 - FOUR * (d1 + d2)
                        r[2, b, c] = d4 - d3 + FOUR * (d1 - d2)
                        r[3, b, c] = d4 - d2 + TWO * (d3 - d1)
                        r[4, b, c] = d4 - d2 + TWO * (d1 - d3)
                        r[5, b, c] = FOUR * d1 - FIVE * d3 + d5
                for a in range(6):  # columns: (Bᵀ d) B
                    for c in range(c_n):
                        d0, d1, d2, d3, d4, d5 = r[a, 0, c], r[a, 1, c], r[a, 2, c], r[a, 3, c], r[a, 4, c], r[a, 5, c]
                        u[6 * a, t, c] = FOUR * d0 - FIVE * d2 + d4
                        u[6 * a + 1, t, c] = d3 + d4 - FOUR * (d1 + d2)
                        u[6 * a + 2, t, c] = d4 - d3 + FOUR * (d1 - d2)
                        u[6 * a + 3, t, c] = d4 - d2 + TWO * (d3 - d1)
                        u[6 * a + 4, t, c] = d4 - d2 + TWO * (d1 - d3)
                        u[6 * a + 5, t, c] = FOUR * d1 - FIVE * d3 + d5


@njit(nogil=True, cache=True)
def transform_output(m, bias, use_bias, relu, tiles_h, tiles_w, y):
    """y (n, OH, OW, F) = Aᵀ m A of every tile of m (36, n·tiles_h·tiles_w, F), plus bias, ReLU'd if asked."""
    n_img, out_h, out_w, f_n = y.shape
    s = np.empty((4, 6, f_n), dtype=y.dtype)
    o = np.empty((4, f_n), dtype=y.dtype)
    for n in range(n_img):
        for th in range(tiles_h):
            for tw in range(tiles_w):
                t = (n * tiles_h + th) * tiles_w + tw
                for b in range(6):  # rows: Aᵀ m
                    for f in range(f_n):
                        m0, m1, m2 = m[b, t, f], m[6 + b, t, f], m[12 + b, t, f]
                        m3, m4, m5 = m[18 + b, t, f], m[24 + b, t, f], m[30 + b, t, f]
                        s[0, b, f] = m0 + m1 + m2 + m3 + m4
                        s[1, b, f] = m1 - m2 + TWO * (m3 - m4)
                        s[2, b, f] = m1 + m2 + FOUR * (m3 + m4)
                        s[3, b, f] = m1 - m2 + EIGHT * (m3 - m4) + m5
                for i in range(4):
                    oh = TILE * th + i
                    if oh >= out_h:
                        continue
                    for f in range(f_n):  # columns: (Aᵀ m) A
                        m0, m1, m2, m3, m4, m5 = s[i, 0, f], s[i, 1, f], s[i, 2, f], s[i, 3, f], s[i, 4, f], s[i, 5, f]
                        o[0, f] = m0 + m1 + m2 + m3 + m4
                        o[1, f] = m1 - m2 + TWO * (m3 - m4)
                        o[2, f] = m1 + m2 + FOUR * (m3 + m4)
                        o[3, f] = m1 - m2 + EIGHT * (m3 - m4) + m5
                    for j in range(4):
                        ow = TILE * tw + j
                        if ow >= out_w:
                            continue
                        dst = y[n, oh, ow]
                        for f in range(f_n):
                            dst[f] = bias_relu(o[j, f], bias[f], use_bias, relu)


# -- backward: the same transforms, transposed -----------------------------------------------------------
# With M = (G g Gᵀ) ⊙ (Bᵀ d B) and y = Aᵀ M A, the chain rule gives dM = A dy Aᵀ (``transform_gradient``),
# the kernel gradient Gᵀ[Σ_tiles dM ⊙ (Bᵀ d B)]G (``kernel_gradient``, after 36 products summed over tiles)
# and the input gradient B[dM ⊙ (G g Gᵀ)]Bᵀ added into every 6×6 input tile (``transform_input_backward``).


def kernel_gradient(m: np.ndarray) -> np.ndarray:
    """(36, C, F) tile-summed products → the (3, 3, C, F) kernel gradient ``Gᵀ m G``, in m's dtype."""
    grad = _sandwich(_G.T, m.reshape(6, 6, *m.shape[1:]), _G)
    return np.ascontiguousarray(grad, dtype=m.dtype)


@njit(nogil=True, cache=True)
def transform_gradient(dy, tiles_h, tiles_w, v):
    """v (36, n·tiles_h·tiles_w, F) = A g Aᵀ of every 4×4 tile g of dy (n, OH, OW, F) (zeros past the edge)."""
    n_img, _, _, f_n = dy.shape
    g = np.empty((4, 4, f_n), dtype=v.dtype)
    r = np.empty((6, 4, f_n), dtype=v.dtype)
    for n in range(n_img):
        for th in range(tiles_h):
            for tw in range(tiles_w):
                t = (n * tiles_h + th) * tiles_w + tw
                _gather_tile(dy, n, TILE * th, TILE * tw, g)
                for j in range(4):  # rows: A g
                    for f in range(f_n):
                        g0, g1, g2, g3 = g[0, j, f], g[1, j, f], g[2, j, f], g[3, j, f]
                        r[0, j, f] = g0
                        r[1, j, f] = g0 + g1 + g2 + g3
                        r[2, j, f] = g0 - g1 + g2 - g3
                        r[3, j, f] = g0 + TWO * g1 + FOUR * g2 + EIGHT * g3
                        r[4, j, f] = g0 - TWO * g1 + FOUR * g2 - EIGHT * g3
                        r[5, j, f] = g3
                for a in range(6):  # columns: (A g) Aᵀ
                    for f in range(f_n):
                        g0, g1, g2, g3 = r[a, 0, f], r[a, 1, f], r[a, 2, f], r[a, 3, f]
                        v[6 * a, t, f] = g0
                        v[6 * a + 1, t, f] = g0 + g1 + g2 + g3
                        v[6 * a + 2, t, f] = g0 - g1 + g2 - g3
                        v[6 * a + 3, t, f] = g0 + TWO * g1 + FOUR * g2 + EIGHT * g3
                        v[6 * a + 4, t, f] = g0 - TWO * g1 + FOUR * g2 - EIGHT * g3
                        v[6 * a + 5, t, f] = g3


@njit(nogil=True, cache=True)
def transform_input_backward(du, top, left, tiles_h, tiles_w, dx):
    """dx (n, H, W, C) = the sum, over every 6×6 input tile, of B du Bᵀ from du (36, n·tiles_h·tiles_w, C);
    tiles overlap by two rows and columns, and what falls on the padding is dropped."""
    n_img, h_n, w_n, c_n = dx.shape
    r = np.empty((6, 6, c_n), dtype=dx.dtype)
    o = np.empty((6, c_n), dtype=dx.dtype)
    for n in range(n_img):
        dx[n] = 0.0
        for th in range(tiles_h):
            for tw in range(tiles_w):
                t = (n * tiles_h + th) * tiles_w + tw
                for b in range(6):  # rows: B du
                    for c in range(c_n):
                        u0, u1, u2 = du[b, t, c], du[6 + b, t, c], du[12 + b, t, c]
                        u3, u4, u5 = du[18 + b, t, c], du[24 + b, t, c], du[30 + b, t, c]
                        r[0, b, c] = FOUR * u0
                        r[1, b, c] = FOUR * (u2 - u1 + u5) + TWO * (u4 - u3)
                        r[2, b, c] = -FIVE * u0 - FOUR * (u1 + u2) - u3 - u4
                        r[3, b, c] = u1 - u2 + TWO * (u3 - u4) - FIVE * u5
                        r[4, b, c] = u0 + u1 + u2 + u3 + u4
                        r[5, b, c] = u5
                for i in range(6):
                    h = TILE * th - top + i
                    if h < 0 or h >= h_n:
                        continue
                    for c in range(c_n):  # columns: (B du) Bᵀ
                        u0, u1, u2, u3, u4, u5 = r[i, 0, c], r[i, 1, c], r[i, 2, c], r[i, 3, c], r[i, 4, c], r[i, 5, c]
                        o[0, c] = FOUR * u0
                        o[1, c] = FOUR * (u2 - u1 + u5) + TWO * (u4 - u3)
                        o[2, c] = -FIVE * u0 - FOUR * (u1 + u2) - u3 - u4
                        o[3, c] = u1 - u2 + TWO * (u3 - u4) - FIVE * u5
                        o[4, c] = u0 + u1 + u2 + u3 + u4
                        o[5, c] = u5
                    for j in range(6):
                        w = TILE * tw - left + j
                        if 0 <= w < w_n:
                            dst = dx[n, h, w]
                            src = o[j]
                            for c in range(c_n):
                                dst[c] += src[c]
