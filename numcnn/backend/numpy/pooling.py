"""The NumPy reference pooling ops: max pooling with its argmax, and average pooling, forward and backward."""

from __future__ import annotations

import numpy as np

from numcnn.backend.shapes import output_hw, pad_images, window_counts, window_slices


def _real_positions(h: int, w: int, pads) -> np.ndarray:
    """For the padded (H+top+bottom, W+left+right) grid: flat index ``h*W + w`` of real pixels, -1 on padding."""
    top, bottom, left, right = pads
    rows = np.arange(h + top + bottom) - top
    columns = np.arange(w + left + right) - left
    inside = ((rows >= 0) & (rows < h))[:, None] & ((columns >= 0) & (columns < w))[None, :]
    return np.where(inside, rows[:, None] * w + columns[None, :], -1).astype(np.int32)


def maxpool2d_forward(x: np.ndarray, pool_size, strides, pads):
    """Max pooling; also returns where each maximum came from, for the backward pass.

    x (N, H, W, C) → ``(y, argmax)``: y (N, OH, OW, C) in x's dtype, argmax int32 (N, OH, OW, C) holding the flat
    spatial index ``h*W + w`` into the unpadded input of the winning element.

    - Padding never wins: only real elements are candidates (Keras' 'same' max pooling ignores the padding).
    - Ties: the window is scanned row-major (top-left first) and only a strictly greater value replaces the
      current best, so the first maximum wins and gets all of the gradient.
    - NaN: a NaN beats every number, so a window holding a NaN outputs NaN (the first NaN in scan order wins).
    - A window lying entirely in padding (impossible with 'same' amounts, possible with larger explicit pads)
      outputs ``-inf`` with argmax ``-1``; the backward pass sends its gradient nowhere.
    """
    n, h, w, c = x.shape
    oh, ow = output_hw(x.shape, pool_size, strides, pads)
    xp = pad_images(x, pads)
    position = _real_positions(h, w, pads)
    y = np.full((n, oh, ow, c), -np.inf, dtype=x.dtype)
    argmax = np.full((n, oh, ow, c), -1, dtype=np.int32)
    for i in range(pool_size[0]):
        for j in range(pool_size[1]):
            rows, columns = window_slices(i, j, oh, ow, strides)
            value = xp[:, rows, columns, :]
            where = position[rows, columns][None, :, :, None]
            wins = (where >= 0) & ((argmax < 0) | (value > y) | (np.isnan(value) & ~np.isnan(y)))
            y = np.where(wins, value, y)
            argmax = np.where(wins, where, argmax)
    return y, argmax


def maxpool2d_backward(dy: np.ndarray, argmax: np.ndarray, x_shape) -> np.ndarray:
    """Route each element of dy (N, OH, OW, C) to its argmax position; dx ``x_shape`` (N, H, W, C), dy's dtype.

    Gradients of overlapping windows (stride < pool size) that picked the same element add up.
    """
    n, h, w, c = x_shape
    dx = np.zeros((n, h * w, c), dtype=dy.dtype)
    batch = np.broadcast_to(np.arange(n)[:, None, None, None], argmax.shape)
    channel = np.broadcast_to(np.arange(c)[None, None, None, :], argmax.shape)
    real = argmax >= 0
    np.add.at(dx, (batch[real], argmax[real], channel[real]), dy[real])
    return dx.reshape(n, h, w, c)


def avgpool2d_forward(x: np.ndarray, pool_size, strides, pads) -> np.ndarray:
    """Average pooling over the real elements of each window (padding is not counted, as in Keras 'same').

    x (N, H, W, C) → y (N, OH, OW, C), same dtype. A window lying entirely in padding outputs 0.
    """
    oh, ow = output_hw(x.shape, pool_size, strides, pads)
    xp = pad_images(x, pads)
    total = np.zeros((x.shape[0], oh, ow, x.shape[3]), dtype=x.dtype)
    for i in range(pool_size[0]):
        for j in range(pool_size[1]):
            rows, columns = window_slices(i, j, oh, ow, strides)
            total += xp[:, rows, columns, :]
    counts = window_counts(x.shape, pool_size, strides, pads, x.dtype)
    return total / np.maximum(counts, 1)[None, :, :, None]


def avgpool2d_backward(dy: np.ndarray, x_shape, pool_size, strides, pads) -> np.ndarray:
    """Gradient of :func:`avgpool2d_forward`: dy (N, OH, OW, C) → dx ``x_shape`` (N, H, W, C), dy's dtype.

    Each window spreads its gradient evenly over its real elements.
    """
    n, h, w, c = x_shape
    top, bottom, left, right = pads
    oh, ow = output_hw(x_shape, pool_size, strides, pads)
    counts = window_counts(x_shape, pool_size, strides, pads, dy.dtype)
    share = dy / np.maximum(counts, 1)[None, :, :, None]
    dxp = np.zeros((n, h + top + bottom, w + left + right, c), dtype=dy.dtype)
    for i in range(pool_size[0]):
        for j in range(pool_size[1]):
            rows, columns = window_slices(i, j, oh, ow, strides)
            dxp[:, rows, columns, :] += share
    return dxp[:, top : top + h, left : left + w, :].copy()
