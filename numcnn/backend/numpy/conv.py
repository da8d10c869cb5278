"""The NumPy reference convolution: im2col, its adjoint col2im, and the convolution through one matrix product.

Written to be read: loops run over the few kernel offsets, never over pixels. The fused convolution + max-pool
ops are simply the two ops in sequence; the numba twins in :mod:`numcnn.backend.numba` stream them chunk by
chunk instead, and the tests hold the two together.
"""

from __future__ import annotations

import numpy as np

from numcnn.backend.numpy.math import relu_backward, relu_forward
from numcnn.backend.numpy.pooling import maxpool2d_backward, maxpool2d_forward
from numcnn.backend.shapes import output_hw, pad_images, window_slices


def im2col(x: np.ndarray, kernel_size, strides, pads) -> np.ndarray:
    """Unfold every convolution window of ``x`` into one row.

    x (N, H, W, C) → cols (N*OH*OW, kh*kw*C), same dtype. Row ``(n*OH + oh)*OW + ow`` holds the window of output
    position (n, oh, ow); column ``(i*kw + j)*C + c`` holds offset (i, j), channel c, so a Keras kernel
    ``(kh, kw, C, F)`` reshaped to ``(kh*kw*C, F)`` multiplies it directly. Padded positions are zeros.
    """
    n, _, _, c = x.shape
    kh, kw = kernel_size
    oh, ow = output_hw(x.shape, kernel_size, strides, pads)
    xp = pad_images(x, pads)
    cols = np.empty((n, oh, ow, kh, kw, c), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, columns = window_slices(i, j, oh, ow, strides)
            cols[:, :, :, i, j, :] = xp[:, rows, columns, :]
    return cols.reshape(n * oh * ow, kh * kw * c)


def col2im(cols: np.ndarray, x_shape, kernel_size, strides, pads) -> np.ndarray:
    """The adjoint of :func:`im2col`: fold rows back into an image, summing where windows overlap.

    cols (N*OH*OW, kh*kw*C) → dx ``x_shape`` = (N, H, W, C), same dtype as ``cols``. Contributions that land on
    padding are dropped.
    """
    n, h, w, c = x_shape
    kh, kw = kernel_size
    top, bottom, left, right = pads
    oh, ow = output_hw(x_shape, kernel_size, strides, pads)
    cols = cols.reshape(n, oh, ow, kh, kw, c)
    dxp = np.zeros((n, h + top + bottom, w + left + right, c), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, columns = window_slices(i, j, oh, ow, strides)
            dxp[:, rows, columns, :] += cols[:, :, :, i, j, :]
    return dxp[:, top : top + h, left : left + w, :].copy()


def conv2d_forward(x: np.ndarray, kernel: np.ndarray, bias, strides, pads, relu: bool = False) -> np.ndarray:
    """2-D convolution (cross-correlation, as in Keras) by im2col and one matrix product.

    x (N, H, W, C), kernel (kh, kw, C, F), bias (F,) or None, all one float dtype → y (N, OH, OW, F);
    ``relu=True`` returns ``relu(y)`` instead (the fast kernels apply it in the product's epilogue).
    """
    kh, kw, c, f = kernel.shape
    oh, ow = output_hw(x.shape, (kh, kw), strides, pads)
    y = im2col(x, (kh, kw), strides, pads) @ kernel.reshape(kh * kw * c, f)
    if bias is not None:
        y = y + bias
    if relu:
        y = relu_forward(y)
    return y.reshape(x.shape[0], oh, ow, f)


def conv2d_backward(
    dy: np.ndarray, x: np.ndarray, kernel: np.ndarray, strides, pads, need_dx: bool = True, relu_output=None
):
    """Gradients of :func:`conv2d_forward` given the upstream gradient ``dy`` (N, OH, OW, F).

    Returns ``(dx, dkernel, dbias)``: dx (N, H, W, C), or None when ``need_dx`` is False (nothing before the
    layer needs it), dkernel (kh, kw, C, F) and dbias (F,), all in the dtype of ``dy``. With ``relu_output``
    (the forward's output y when ``relu=True``), ``dy`` first goes through ReLU's backward.
    """
    kh, kw, c, f = kernel.shape
    if relu_output is not None:
        dy = relu_backward(dy, relu_output)
    dy2 = dy.reshape(-1, f)
    w2 = kernel.reshape(kh * kw * c, f)
    # y = cols @ w2 + bias, so the gradients are the two transposed products and a column sum.
    dkernel = (im2col(x, (kh, kw), strides, pads).T @ dy2).reshape(kernel.shape)
    dbias = dy2.sum(axis=0)
    dx = col2im(dy2 @ w2.T, x.shape, (kh, kw), strides, pads) if need_dx else None
    return dx, dkernel, dbias


def conv2d_pool_forward(x, kernel, bias, strides, pads, relu, pool_size, pool_strides, pool_pads):
    """A convolution followed by a max-pool: :func:`conv2d_forward`, then :func:`maxpool2d_forward` of its
    output. Returns the pool's ``(y, argmax)``: y (N, PH, PW, F), argmax int32 into the convolution's output."""
    return maxpool2d_forward(conv2d_forward(x, kernel, bias, strides, pads, relu), pool_size, pool_strides, pool_pads)


def conv2d_pool_backward(dy, argmax, pooled, x, kernel, strides, pads, relu: bool, need_dx: bool = True):
    """Gradients of :func:`conv2d_pool_forward` from the pool's output gradient dy (N, PH, PW, F), its
    ``argmax`` and output ``pooled``: the pool's backward, then the convolution's.

    With ``relu``, the convolution's ReLU output at each argmax is exactly ``pooled``, so ReLU's mask is read
    there. Returns ``(dx or None, dkernel, dbias)`` as :func:`conv2d_backward`.
    """
    oh, ow = output_hw(x.shape, kernel.shape[:2], strides, pads)
    masked = np.where(pooled > 0, dy, dy.dtype.type(0)) if relu else dy
    dz = maxpool2d_backward(masked, argmax, (x.shape[0], oh, ow, kernel.shape[3]))
    return conv2d_backward(dz, x, kernel, strides, pads, need_dx)


def conv2d_input_grad(dy: np.ndarray, kernel: np.ndarray, x_shape, strides, pads) -> np.ndarray:
    """The input gradient alone of :func:`conv2d_forward`, for an input of ``x_shape`` (N, H, W, C).

    dy (N, OH, OW, F), kernel (kh, kw, C, F) → dx ``x_shape``, dy's dtype. It is also the forward pass of a
    transposed convolution of dy (whose output is ``x_shape``), so ``Conv2DTranspose`` runs on it.
    """
    kh, kw, c, f = kernel.shape
    return col2im(dy.reshape(-1, f) @ kernel.reshape(kh * kw * c, f).T, x_shape, (kh, kw), strides, pads)
