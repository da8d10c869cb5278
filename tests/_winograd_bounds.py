"""Forward-error bounds of numcnn's Winograd F(4×4, 3×3) convolutions, for the tests.

A bilinear algorithm computed in floating point is within ``γ · eps`` of the exact result, times the same
algorithm run on absolute values with absolute matrices (the standard bound, as for a sum of products);
γ counts the roundings along the longest path. Each bound is float64, shaped like the result it bounds.
"""

from __future__ import annotations

import numpy as np

from numcnn.backend.numba import winograd

_BT, _G, _AT = (np.abs(m) for m in (winograd._BT, winograd._G, winograd._AT))
_TRANSFORM_ROUNDINGS = 24  # input/gradient transforms (2 passes of ≤ 6 terms), product, output, final cast


def _tiles(a: np.ndarray, pads, size: int, step: int, count) -> np.ndarray:
    """|a| (N, H, W, C) zero-padded by ``pads`` → its (N, th, tw, size, size, C) tiles every ``step``."""
    top, bottom, left, right = pads
    th, tw = count
    a = np.abs(a.astype(np.float64))
    a = np.pad(a, ((0, 0), (top, bottom), (left, right), (0, 0)))
    a = np.pad(a, ((0, 0), (0, max(0, step * th + size - step - a.shape[1])), (0, 0), (0, 0)))
    a = np.pad(a, ((0, 0), (0, 0), (0, max(0, step * tw + size - step - a.shape[2])), (0, 0)))
    rows = step * np.arange(th)[:, None] + np.arange(size)[None, :]
    cols = step * np.arange(tw)[:, None] + np.arange(size)[None, :]
    return a[:, rows][:, :, :, cols].transpose(0, 1, 3, 2, 4, 5)


def _parts(x, kernel, dy, pads):
    """The absolute transformed input (N, th, tw, 6, 6, C), kernel (6, 6, C, F), gradient (N, th, tw, 6, 6, F)."""
    out_h = x.shape[1] + pads[0] + pads[1] - 2
    out_w = x.shape[2] + pads[2] + pads[3] - 2
    count = winograd.tiles(out_h, out_w)
    u = np.einsum("ai,nxyijc,bj->nxyabc", _BT, _tiles(x, pads, 6, 4, count), _BT)
    v = np.einsum("ai,ijcf,bj->abcf", _G, np.abs(kernel.astype(np.float64)), _G)
    g = None
    if dy is not None:
        g = np.einsum("ia,nxyijf,jb->nxyabf", _AT, _tiles(dy, (0, 0, 0, 0), 4, 4, count), _AT)
    return u, v, g, (out_h, out_w)


def forward(x: np.ndarray, kernel: np.ndarray, pads) -> np.ndarray:
    """Bound (N, OH, OW, F) on the error of the convolution of x (N, H, W, C) with kernel (3, 3, C, F)."""
    u, v, _, (out_h, out_w) = _parts(x, kernel, None, pads)
    m = np.einsum("nxyabc,abcf->nxyabf", u, v)
    out = np.einsum("ia,nxyabf,jb->nxiyjf", _AT, m, _AT)
    n, th, _, tw, _, f = out.shape
    gamma = x.shape[3] + _TRANSFORM_ROUNDINGS
    return gamma * np.finfo(x.dtype).eps * out.reshape(n, 4 * th, 4 * tw, f)[:, :out_h, :out_w]


def backward(dy: np.ndarray, x: np.ndarray, kernel: np.ndarray, pads) -> tuple[np.ndarray, np.ndarray]:
    """Bounds on the errors of ``(dx, dkernel)`` given the output gradient dy (N, OH, OW, F)."""
    u, v, g, _ = _parts(x, kernel, dy, pads)
    eps = np.finfo(x.dtype).eps
    n_tiles = g.shape[0] * g.shape[1] * g.shape[2]
    m = np.einsum("nxyabc,nxyabf->abcf", u, g)
    dkernel = (n_tiles + _TRANSFORM_ROUNDINGS) * eps * np.einsum("ai,abcf,bj->ijcf", _G, m, _G)
    du = np.einsum("nxyabf,abcf->nxyabc", g, v)
    tiles = np.einsum("ai,nxyabc,bj->nxyijc", _BT, du, _BT)  # (N, th, tw, 6, 6, C), overlapping by 2
    top, _, left, _ = pads
    n, th, tw = tiles.shape[:3]
    padded = np.zeros((n, 4 * th + 2, 4 * tw + 2, x.shape[3]))
    for i in range(th):
        for j in range(tw):
            padded[:, 4 * i : 4 * i + 6, 4 * j : 4 * j + 6] += tiles[:, i, j]
    dx = padded[:, top : top + x.shape[1], left : left + x.shape[2]]
    return (dy.shape[3] + 4 + _TRANSFORM_ROUNDINGS) * eps * dx, dkernel


def assert_forward(y, x, kernel, bias, pads, relu=False) -> None:
    """y, numcnn's Winograd convolution of x with kernel (+ bias, ReLU), lies within its bound of the exact."""
    x64, kernel64 = x.astype(np.float64), kernel.astype(np.float64)
    z = np.zeros(y.shape[:3] + (kernel.shape[3],))
    for i in range(3):  # the exact convolution, in float64
        for j in range(3):
            xp = np.pad(x64, ((0, 0), (pads[0], pads[1]), (pads[2], pads[3]), (0, 0)))
            z += xp[:, i : i + y.shape[1], j : j + y.shape[2]] @ kernel64[i, j]
    b = np.zeros(kernel.shape[3]) if bias is None else bias.astype(np.float64)
    exact = np.maximum(z + b, 0.0) if relu else z + b
    bound = forward(x, kernel, pads) + np.finfo(x.dtype).eps * (np.abs(z) + np.abs(b))
    assert np.all(np.abs(y - exact) <= bound)


def assert_backward(dx, dkernel, dz, x, kernel, pads) -> None:
    """dx (or None) and dkernel, numcnn's Winograd gradients for the output gradient dz (ReLU already
    applied), lie within their bounds of the exact ones."""
    dz64, x64, kernel64 = dz.astype(np.float64), x.astype(np.float64), kernel.astype(np.float64)
    top, bottom, left, right = pads
    xp = np.pad(x64, ((0, 0), (top, bottom), (left, right), (0, 0)))
    exact_dxp = np.zeros_like(xp)
    exact_dkernel = np.zeros_like(kernel64)
    oh, ow = dz.shape[1:3]
    for i in range(3):
        for j in range(3):
            window = xp[:, i : i + oh, j : j + ow]
            exact_dkernel[i, j] = np.einsum("nhwc,nhwf->cf", window, dz64)
            exact_dxp[:, i : i + oh, j : j + ow] += dz64 @ kernel64[i, j].T
    exact_dx = exact_dxp[:, top : top + x.shape[1], left : left + x.shape[2]]
    dx_bound, dkernel_bound = backward(dz, x, kernel, pads)
    assert np.all(np.abs(dkernel - exact_dkernel) <= dkernel_bound)
    if dx is not None:
        assert np.all(np.abs(dx - exact_dx) <= dx_bound)
