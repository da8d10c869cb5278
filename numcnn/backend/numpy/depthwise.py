"""The NumPy reference depthwise convolution: each input channel convolved with its own ``depth_multiplier``
filters, forward and backward, by a loop over the few kernel offsets (never over pixels)."""

from __future__ import annotations

import numpy as np

from numcnn.backend.shapes import output_hw, pad_images, window_slices


def depthwise_conv2d_forward(x: np.ndarray, kernel: np.ndarray, bias, strides, pads) -> np.ndarray:
    """x (N, H, W, C), kernel (kh, kw, C, M), bias (C·M,) or None → y (N, OH, OW, C·M), x's dtype.

    ``y[n, i, j, c·M + m] = Σ_{a,b} x_padded[n, i·sh + a, j·sw + b, c] · kernel[a, b, c, m] + bias[c·M + m]``
    (TensorFlow's channel order: the M outputs of input channel c are adjacent).
    """
    kh, kw, c, m = kernel.shape
    oh, ow = output_hw(x.shape, (kh, kw), strides, pads)
    xp = pad_images(x, pads)
    y = np.zeros((x.shape[0], oh, ow, c, m), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, columns = window_slices(i, j, oh, ow, strides)
            y += xp[:, rows, columns, :, None] * kernel[i, j]
    y = y.reshape(x.shape[0], oh, ow, c * m)
    return y if bias is None else y + bias


def depthwise_conv2d_backward(dy: np.ndarray, x: np.ndarray, kernel: np.ndarray, strides, pads, need_dx: bool = True):
    """Gradients of :func:`depthwise_conv2d_forward` from dy (N, OH, OW, C·M): ``(dx or None, dkernel, dbias)``
    with dx (N, H, W, C), dkernel (kh, kw, C, M) and dbias (C·M,), all in dy's dtype."""
    kh, kw, c, m = kernel.shape
    n, h, w, _ = x.shape
    top, bottom, left, right = pads
    oh, ow = output_hw(x.shape, (kh, kw), strides, pads)
    dy5 = dy.reshape(n, oh, ow, c, m)
    xp = pad_images(x, pads)
    dkernel = np.empty(kernel.shape, dtype=dy.dtype)
    dxp = np.zeros(xp.shape, dtype=dy.dtype) if need_dx else None
    for i in range(kh):
        for j in range(kw):
            rows, columns = window_slices(i, j, oh, ow, strides)
            dkernel[i, j] = np.einsum("nhwc,nhwcm->cm", xp[:, rows, columns, :], dy5)
            if need_dx:
                dxp[:, rows, columns, :] += np.einsum("nhwcm,cm->nhwc", dy5, kernel[i, j])
    dbias = dy.reshape(-1, c * m).sum(axis=0)
    dx = dxp[:, top : top + h, left : left + w, :].copy() if need_dx else None
    return dx, dkernel, dbias
