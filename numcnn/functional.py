"""Slow, obvious NumPy reference versions of the array ops behind the layers.

Every op here has a fast twin in ``numcnn._kernels`` with the same name, signature and result; the tests hold the
two together. This module is written to be read: loops run over the few kernel or window offsets, never over
pixels, and each function is a handful of lines.

Conventions shared by all ops:

- Images are NHWC: ``(batch, height, width, channels)``.
- ``kernel_size`` / ``pool_size`` are ``(kh, kw)``, ``strides`` are ``(sh, sw)`` and ``pads`` are explicit
  non-negative zero-padding amounts ``(top, bottom, left, right)`` (layers get Keras' 'same' amounts from
  :func:`same_pads`). Output size: ``(n + pad_before + pad_after - k) // stride + 1``.
- dtype is preserved (float32 in, float32 out; float64 in, float64 out) and inputs are never modified.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class PooledOutput(NamedTuple):
    """A convolution's output already max-pooled, when the model fuses a convolution with the max-pool after
    it: the pool's output ``pooled`` (N, PH, PW, F) and ``argmax``, into the never-built output of ``shape``."""

    pooled: np.ndarray
    argmax: np.ndarray
    shape: tuple


class PooledGradient(NamedTuple):
    """A max-pool's input gradient not yet scattered: ``dy`` (N, OH, OW, C) belongs at ``argmax`` in an array of
    ``x_shape``. The convolution before the pool takes it as its ``dy`` and scatters it chunk by chunk, so the
    mostly-zero full-size gradient is never built. ``pooled`` is the pool's output (N, OH, OW, C): the value at
    each argmax, so a ReLU convolution reads its mask there instead of from its 4× larger output."""

    dy: np.ndarray
    argmax: np.ndarray
    x_shape: tuple
    pooled: np.ndarray

    def dense(self) -> np.ndarray:
        return maxpool2d_backward(self.dy, self.argmax, self.x_shape)

    def relu_masked(self) -> PooledGradient:
        """ReLU's backward for a ReLU convolution before the pool: its output at each argmax is ``pooled``."""
        return self._replace(dy=np.where(self.pooled > 0, self.dy, 0).astype(self.dy.dtype))


def conv_output_length(n: int, k: int, stride: int, pad_before: int, pad_after: int) -> int:
    """Length of a convolution or pooling output along one axis of input length ``n``."""
    return (n + pad_before + pad_after - k) // stride + 1


def same_pads(n: int, k: int, stride: int) -> tuple[int, int]:
    """Keras/TensorFlow 'same' padding ``(before, after)`` for one axis; the odd extra one goes after."""
    out = -(-n // stride)
    total = max((out - 1) * stride + k - n, 0)
    return total // 2, total - total // 2


def _output_hw(x_shape, window, strides, pads) -> tuple[int, int]:
    """``(OH, OW)`` of a sliding window over an NHWC shape; raises if the output would be empty."""
    _, h, w, _ = x_shape
    (kh, kw), (sh, sw), (top, bottom, left, right) = window, strides, pads
    oh = conv_output_length(h, kh, sh, top, bottom)
    ow = conv_output_length(w, kw, sw, left, right)
    if oh < 1 or ow < 1:
        raise ValueError(
            f"Window {tuple(window)} with pads {tuple(pads)} does not fit input of spatial size {(h, w)}: "
            f"the output would be {(oh, ow)}."
        )
    return oh, ow


def _window(i: int, j: int, oh: int, ow: int, strides) -> tuple[slice, slice]:
    """Slices of a padded image picking, for every output position, the element at window offset (i, j)."""
    sh, sw = strides
    return slice(i, i + sh * (oh - 1) + 1, sh), slice(j, j + sw * (ow - 1) + 1, sw)


def _pad(x: np.ndarray, pads, value=0.0) -> np.ndarray:
    top, bottom, left, right = pads
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)


def im2col(x: np.ndarray, kernel_size, strides, pads) -> np.ndarray:
    """Unfold every convolution window of ``x`` into one row.

    x (N, H, W, C) → cols (N*OH*OW, kh*kw*C), same dtype. Row ``(n*OH + oh)*OW + ow`` holds the window of output
    position (n, oh, ow); column ``(i*kw + j)*C + c`` holds offset (i, j), channel c, so a Keras kernel
    ``(kh, kw, C, F)`` reshaped to ``(kh*kw*C, F)`` multiplies it directly. Padded positions are zeros.
    """
    n, _, _, c = x.shape
    kh, kw = kernel_size
    oh, ow = _output_hw(x.shape, kernel_size, strides, pads)
    xp = _pad(x, pads)
    cols = np.empty((n, oh, ow, kh, kw, c), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, columns = _window(i, j, oh, ow, strides)
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
    oh, ow = _output_hw(x_shape, kernel_size, strides, pads)
    cols = cols.reshape(n, oh, ow, kh, kw, c)
    dxp = np.zeros((n, h + top + bottom, w + left + right, c), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, columns = _window(i, j, oh, ow, strides)
            dxp[:, rows, columns, :] += cols[:, :, :, i, j, :]
    return dxp[:, top : top + h, left : left + w, :].copy()


def conv2d_forward(x: np.ndarray, kernel: np.ndarray, bias, strides, pads, relu: bool = False, pool=None):
    """2-D convolution (cross-correlation, as in Keras) by im2col and one matrix product.

    x (N, H, W, C), kernel (kh, kw, C, F), bias (F,) or None, all one float dtype → y (N, OH, OW, F);
    ``relu=True`` returns ``relu(y)`` instead (the fast kernels fuse it into the product's epilogue).
    With ``pool = (pool_size, strides, pads)`` of a following max-pool, returns that pool's ``(y, argmax)``
    of y instead (the fast kernels pool each chunk while it is in cache, and never build y).
    """
    if pool is not None:
        return maxpool2d_forward(conv2d_forward(x, kernel, bias, strides, pads, relu), *pool)
    kh, kw, c, f = kernel.shape
    oh, ow = _output_hw(x.shape, (kh, kw), strides, pads)
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

    Returns ``(dx, dkernel, dbias)``: dx (N, H, W, C) or None when ``need_dx`` is False (the first layer needs
    no input gradient), dkernel (kh, kw, C, F) and dbias (F,), all in the dtype of ``dy``. With
    ``relu_output`` (the forward's output y when ``relu=True``), ``dy`` first goes through ReLU's backward.
    ``dy`` may also be a :class:`PooledGradient` from the max-pool that follows; ``relu_output`` then only
    says whether there was a ReLU (it may be a :class:`PooledOutput`), since the mask is the pool's output.
    """
    kh, kw, c, f = kernel.shape
    if isinstance(dy, PooledGradient):
        dy, relu_output = (dy if relu_output is None else dy.relu_masked()).dense(), None
    if relu_output is not None:
        dy = relu_backward(dy, relu_output)
    dy2 = dy.reshape(-1, f)
    w2 = kernel.reshape(kh * kw * c, f)
    # y = cols @ w2 + bias, so the gradients are the two transposed products and a column sum.
    dkernel = (im2col(x, (kh, kw), strides, pads).T @ dy2).reshape(kernel.shape)
    dbias = dy2.sum(axis=0)
    dx = col2im(dy2 @ w2.T, x.shape, (kh, kw), strides, pads) if need_dx else None
    return dx, dkernel, dbias


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
    oh, ow = _output_hw(x.shape, pool_size, strides, pads)
    xp = _pad(x, pads)
    position = _real_positions(h, w, pads)
    y = np.full((n, oh, ow, c), -np.inf, dtype=x.dtype)
    argmax = np.full((n, oh, ow, c), -1, dtype=np.int32)
    for i in range(pool_size[0]):
        for j in range(pool_size[1]):
            rows, columns = _window(i, j, oh, ow, strides)
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


def _window_counts(x_shape, pool_size, strides, pads, dtype) -> np.ndarray:
    """(OH, OW) number of real (non-padded) elements under each pooling window, in ``dtype``."""
    _, h, w, _ = x_shape
    oh, ow = _output_hw(x_shape, pool_size, strides, pads)
    real = _pad(np.ones((1, h, w, 1), dtype=dtype), pads)[0, :, :, 0]
    counts = np.zeros((oh, ow), dtype=dtype)
    for i in range(pool_size[0]):
        for j in range(pool_size[1]):
            counts += real[_window(i, j, oh, ow, strides)]
    return counts


def avgpool2d_forward(x: np.ndarray, pool_size, strides, pads) -> np.ndarray:
    """Average pooling over the real elements of each window (padding is not counted, as in Keras 'same').

    x (N, H, W, C) → y (N, OH, OW, C), same dtype. A window lying entirely in padding outputs 0.
    """
    oh, ow = _output_hw(x.shape, pool_size, strides, pads)
    xp = _pad(x, pads)
    total = np.zeros((x.shape[0], oh, ow, x.shape[3]), dtype=x.dtype)
    for i in range(pool_size[0]):
        for j in range(pool_size[1]):
            rows, columns = _window(i, j, oh, ow, strides)
            total += xp[:, rows, columns, :]
    counts = _window_counts(x.shape, pool_size, strides, pads, x.dtype)
    return total / np.maximum(counts, 1)[None, :, :, None]


def avgpool2d_backward(dy: np.ndarray, x_shape, pool_size, strides, pads) -> np.ndarray:
    """Gradient of :func:`avgpool2d_forward`: dy (N, OH, OW, C) → dx ``x_shape`` (N, H, W, C), dy's dtype.

    Each window spreads its gradient evenly over its real elements.
    """
    n, h, w, c = x_shape
    top, bottom, left, right = pads
    oh, ow = _output_hw(x_shape, pool_size, strides, pads)
    counts = _window_counts(x_shape, pool_size, strides, pads, dy.dtype)
    share = dy / np.maximum(counts, 1)[None, :, :, None]
    dxp = np.zeros((n, h + top + bottom, w + left + right, c), dtype=dy.dtype)
    for i in range(pool_size[0]):
        for j in range(pool_size[1]):
            rows, columns = _window(i, j, oh, ow, strides)
            dxp[:, rows, columns, :] += share
    return dxp[:, top : top + h, left : left + w, :].copy()


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The matrix product ``a @ b`` of 2-D a (M, K) and b (K, N) → (M, N)."""
    return a @ b


def relu_forward(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``max(x, 0)`` elementwise, any shape, same dtype; NaN stays NaN. ``out=x`` works in place."""
    return np.maximum(x, x.dtype.type(0), out=out)


def relu_backward(dy: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient of ReLU from its output ``y``: dy where y > 0, else 0 (same shape and dtype as dy)."""
    return np.where(y > 0, dy, dy.dtype.type(0))


def adam_update(param, grad, m, v, alpha: float, beta_1: float, beta_2: float, epsilon: float) -> None:
    """One Adam step in Keras' form, in place on ``param``, ``m`` and ``v`` (all one shape and dtype):

    ``m += (1−β1)(g − m)``, ``v += (1−β2)(g² − v)``, ``param −= α·m / (√v + ε)``, with the bias correction
    already folded into ``alpha = lr·√(1−β2ᵗ)/(1−β1ᵗ)``.
    """
    m += (grad - m) * (1 - beta_1)
    v += (grad * grad - v) * (1 - beta_2)
    param -= (alpha * m / (np.sqrt(v) + epsilon)).astype(param.dtype, copy=False)


def softmax(x: np.ndarray) -> np.ndarray:
    """Softmax over the last axis of an array of rank ≥ 1, same shape and dtype.

    The row maximum is subtracted first so that ``exp`` never overflows (rows like [1000, -1000] are fine).
    """
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
