"""Fast numba versions of the hot ops in :mod:`numcnn.functional`: same names, signatures and results.

This is the only module of numcnn that imports numba. The public functions are thin Python wrappers: they make
inputs contiguous, allocate outputs in the input dtype and call ``@njit(cache=True)`` kernels, which compile
lazily on first call (one version per dtype) and are loaded from numba's on-disk cache afterwards.

Rules kept here, and why:

- Memory-bound loops (im2col, col2im, pooling, ReLU) run in parallel with ``prange`` over batch × rows.
- Matrix products stay in the wrappers as numpy ``@``: OpenBLAS already uses every core, and calling BLAS
  inside a numba kernel or a ``prange`` loop would set two thread pools against each other.
- No ``fastmath``: it lets LLVM assume there are no NaNs, which would break NaN propagation in max pooling.
- The convolutions process the batch in chunks so that the im2col buffer stays below ``CHUNK_BYTES``; chunks
  are few and equal-sized so that the GEMMs stay large.
- Kernels add contributions in the same order as the references, so results agree to the last bit except
  where a sum is regrouped (dkernel over several chunks, dbias as a BLAS product).
- Numba's OpenMP workers are asked to sleep, not spin, between parallel loops (``OMP_WAIT_POLICY=PASSIVE``
  unless the user set it): on two cores a spinning worker steals a core from the GEMM that follows each
  kernel and made it ~30 % slower. It only takes effect if no OpenMP runtime is loaded yet.
"""

from __future__ import annotations

import os
import threading

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
from numba import njit, prange  # noqa: E402

from numcnn.functional import (
    _output_hw,
    _window_counts,
    conv_output_length,
    same_pads,
    softmax,
)

__all__ = [
    "avgpool2d_backward",
    "avgpool2d_forward",
    "col2im",
    "conv2d_backward",
    "conv2d_forward",
    "conv_output_length",
    "im2col",
    "maxpool2d_backward",
    "maxpool2d_forward",
    "relu_backward",
    "relu_forward",
    "same_pads",
    "softmax",
]

# Upper bound on the im2col buffer of one convolution chunk. conv2 of the MNIST notebook at batch 256 needs
# 170 MB in one piece; 64 MB splits it in three chunks, which costs little GEMM speed (eight would cost ~27 %).
# Tests monkeypatch this to force the chunked path on small problems.
CHUNK_BYTES = 64 * 2**20

# One im2col buffer per thread, kept between calls: a fresh 64 MB array costs ~4 ms of page faults per call.
_scratch = threading.local()


# ----------------------------------------------------------------------------------------------- jitted kernels


@njit(parallel=True, cache=True)
def _im2col_kernel(x, kh, kw, sh, sw, top, left, out_h, out_w, cols):
    n_img, h_n, w_n, c_n = x.shape
    flat = x.reshape(-1)
    span = kw * c_n
    for r in prange(n_img * out_h):
        n = r // out_h
        oh = r - n * out_h
        for ow in range(out_w):
            row = r * out_w + ow
            w0 = ow * sw - left
            for i in range(kh):
                h = oh * sh - top + i
                base = i * span
                if h < 0 or h >= h_n:
                    for t in range(span):
                        cols[row, base + t] = 0.0
                elif w0 >= 0 and w0 + kw <= w_n:
                    # The whole window row is inside the image: kw*C contiguous values in both arrays.
                    src = ((n * h_n + h) * w_n + w0) * c_n
                    for t in range(span):
                        cols[row, base + t] = flat[src + t]
                else:
                    for j in range(kw):
                        w = w0 + j
                        inside = 0 <= w < w_n
                        for c in range(c_n):
                            cols[row, base + j * c_n + c] = x[n, h, w, c] if inside else 0.0


@njit(parallel=True, cache=True)
def _col2im_kernel(cols, kh, kw, sh, sw, top, left, out_h, out_w, dx):
    # Gather, not scatter: each thread owns whole output rows, so there are no write races, and every pixel
    # adds its contributions in (i, j) order like the reference does.
    n_img, h_n, w_n, c_n = dx.shape
    for r in prange(n_img * h_n):
        n = r // h_n
        h = r - n * h_n
        for w in range(w_n):
            for c in range(c_n):
                dx[n, h, w, c] = 0.0
            for i in range(kh):
                ph = h + top - i
                if ph < 0 or ph % sh != 0 or ph // sh >= out_h:
                    continue
                oh = ph // sh
                for j in range(kw):
                    pw = w + left - j
                    if pw < 0 or pw % sw != 0 or pw // sw >= out_w:
                        continue
                    row = (n * out_h + oh) * out_w + pw // sw
                    base = (i * kw + j) * c_n
                    for c in range(c_n):
                        dx[n, h, w, c] += cols[row, base + c]


@njit(parallel=True, cache=True)
def _maxpool_kernel(x, ph, pw, sh, sw, top, left, y, argmax):
    n_img, h_n, w_n, c_n = x.shape
    out_h, out_w = y.shape[1], y.shape[2]
    for r in prange(n_img * out_h):
        n = r // out_h
        oh = r - n * out_h
        h_lo = max(oh * sh - top, 0)
        h_hi = min(oh * sh - top + ph, h_n)
        for ow in range(out_w):
            w_lo = max(ow * sw - left, 0)
            w_hi = min(ow * sw - left + pw, w_n)
            if h_lo >= h_hi or w_lo >= w_hi:
                for c in range(c_n):
                    y[n, oh, ow, c] = -np.inf
                    argmax[n, oh, ow, c] = -1
                continue
            # The first real element starts as the best; only a strictly greater value (or a first NaN)
            # replaces it, so ties go to the top-left and NaN propagates.
            for c in range(c_n):
                y[n, oh, ow, c] = x[n, h_lo, w_lo, c]
                argmax[n, oh, ow, c] = h_lo * w_n + w_lo
            for h in range(h_lo, h_hi):
                for w in range(w_lo, w_hi):
                    for c in range(c_n):
                        v = x[n, h, w, c]
                        best = y[n, oh, ow, c]
                        if v > best or (v != v and best == best):
                            y[n, oh, ow, c] = v
                            argmax[n, oh, ow, c] = h * w_n + w


@njit(parallel=True, cache=True)
def _maxpool_backward_kernel(dy, argmax, dx):
    # Parallel over images only: overlapping windows of neighbouring rows may hit the same dx element.
    n_img, out_h, out_w, c_n = dy.shape
    for n in prange(n_img):
        dx[n] = 0.0
        for oh in range(out_h):
            for ow in range(out_w):
                for c in range(c_n):
                    a = argmax[n, oh, ow, c]
                    if a >= 0:
                        dx[n, a, c] += dy[n, oh, ow, c]


@njit(parallel=True, cache=True)
def _avgpool_kernel(x, ph, pw, sh, sw, top, left, counts, y):
    n_img, h_n, w_n, c_n = x.shape
    out_h, out_w = y.shape[1], y.shape[2]
    for r in prange(n_img * out_h):
        n = r // out_h
        oh = r - n * out_h
        h_lo = max(oh * sh - top, 0)
        h_hi = min(oh * sh - top + ph, h_n)
        for ow in range(out_w):
            w_lo = max(ow * sw - left, 0)
            w_hi = min(ow * sw - left + pw, w_n)
            for c in range(c_n):
                y[n, oh, ow, c] = 0.0
            for h in range(h_lo, h_hi):
                for w in range(w_lo, w_hi):
                    for c in range(c_n):
                        y[n, oh, ow, c] += x[n, h, w, c]
            for c in range(c_n):
                y[n, oh, ow, c] /= counts[oh, ow]


@njit(parallel=True, cache=True)
def _avgpool_backward_kernel(dy, ph, pw, sh, sw, top, left, counts, dx):
    n_img, h_n, w_n, c_n = dx.shape
    out_h, out_w = dy.shape[1], dy.shape[2]
    for r in prange(n_img * h_n):
        n = r // h_n
        h = r - n * h_n
        for w in range(w_n):
            for c in range(c_n):
                dx[n, h, w, c] = 0.0
            for i in range(ph):
                qh = h + top - i
                if qh < 0 or qh % sh != 0 or qh // sh >= out_h:
                    continue
                oh = qh // sh
                for j in range(pw):
                    qw = w + left - j
                    if qw < 0 or qw % sw != 0 or qw // sw >= out_w:
                        continue
                    ow = qw // sw
                    for c in range(c_n):
                        dx[n, h, w, c] += dy[n, oh, ow, c] / counts[oh, ow]


@njit(parallel=True, cache=True)
def _relu_kernel(x, y):
    for k in prange(x.size):
        v = x[k]
        # v != v keeps NaN; a plain "v > 0" test would turn NaN into 0.
        y[k] = v if (v > 0 or v != v) else 0.0


@njit(parallel=True, cache=True)
def _relu_backward_kernel(dy, y, dx):
    for k in prange(dy.size):
        dx[k] = dy[k] if y[k] > 0 else 0.0


# ------------------------------------------------------------------------------------------- public wrappers


def _batch_chunks(n: int, bytes_per_image: int) -> list[tuple[int, int]]:
    """Split ``range(n)`` into the fewest equal chunks whose buffers fit in ``CHUNK_BYTES``."""
    n_chunks = min(n, max(1, -(-n * bytes_per_image // CHUNK_BYTES)))
    size = -(-n // n_chunks)
    return [(start, min(start + size, n)) for start in range(0, n, size)]


def _cols_buffer(n_rows: int, n_columns: int, dtype) -> np.ndarray:
    """A C-contiguous (n_rows, n_columns) work array, reused across calls by the same thread."""
    flat = getattr(_scratch, "buffer", None)
    if flat is None or flat.dtype != dtype or flat.size < n_rows * n_columns:
        flat = np.empty(n_rows * n_columns, dtype=dtype)
        _scratch.buffer = flat
    return flat[: n_rows * n_columns].reshape(n_rows, n_columns)


def im2col(x: np.ndarray, kernel_size, strides, pads) -> np.ndarray:
    """Same as :func:`numcnn.functional.im2col`: x (N, H, W, C) → cols (N*OH*OW, kh*kw*C), x's dtype."""
    x = np.ascontiguousarray(x)
    (kh, kw), (sh, sw), (top, _, left, _) = kernel_size, strides, pads
    oh, ow = _output_hw(x.shape, kernel_size, strides, pads)
    cols = np.empty((x.shape[0] * oh * ow, kh * kw * x.shape[3]), dtype=x.dtype)
    _im2col_kernel(x, kh, kw, sh, sw, top, left, oh, ow, cols)
    return cols


def col2im(cols: np.ndarray, x_shape, kernel_size, strides, pads) -> np.ndarray:
    """Same as :func:`numcnn.functional.col2im`: cols (N*OH*OW, kh*kw*C) → dx ``x_shape``, cols' dtype."""
    cols = np.ascontiguousarray(cols)
    (kh, kw), (sh, sw), (top, _, left, _) = kernel_size, strides, pads
    oh, ow = _output_hw(x_shape, kernel_size, strides, pads)
    dx = np.empty(tuple(x_shape), dtype=cols.dtype)
    _col2im_kernel(cols, kh, kw, sh, sw, top, left, oh, ow, dx)
    return dx


def conv2d_forward(x: np.ndarray, kernel: np.ndarray, bias, strides, pads) -> np.ndarray:
    """Same as :func:`numcnn.functional.conv2d_forward`: x (N, H, W, C), kernel (kh, kw, C, F), bias (F,) or
    None → y (N, OH, OW, F), one float dtype throughout. im2col runs chunk by chunk into one reused buffer.
    """
    x = np.ascontiguousarray(x)
    kh, kw, c, f = kernel.shape
    (sh, sw), (top, _, left, _) = strides, pads
    oh, ow = _output_hw(x.shape, (kh, kw), strides, pads)
    w2 = np.ascontiguousarray(kernel).reshape(kh * kw * c, f)
    per_image = oh * ow
    y = np.empty((x.shape[0] * per_image, f), dtype=np.result_type(x, kernel))
    chunks = _batch_chunks(x.shape[0], per_image * kh * kw * c * x.itemsize)
    buffer = _cols_buffer(max(b - a for a, b in chunks) * per_image, kh * kw * c, x.dtype)
    for start, stop in chunks:
        cols = buffer[: (stop - start) * per_image]
        _im2col_kernel(x[start:stop], kh, kw, sh, sw, top, left, oh, ow, cols)
        out = y[start * per_image : stop * per_image]
        np.matmul(cols, w2, out=out)
        if bias is not None:
            # Added per chunk while the chunk's output is still warm in cache.
            out += bias
    return y.reshape(x.shape[0], oh, ow, f)


def conv2d_backward(dy: np.ndarray, x: np.ndarray, kernel: np.ndarray, strides, pads, need_dx: bool = True):
    """Same as :func:`numcnn.functional.conv2d_backward`: returns ``(dx or None, dkernel, dbias)``.

    dy (N, OH, OW, F), x (N, H, W, C), kernel (kh, kw, C, F) → dx (N, H, W, C), dkernel (kh, kw, C, F),
    dbias (F,). Per chunk: im2col, ``dkernel += colsᵀ @ dY``, then ``dY @ Wᵀ`` into the same buffer and col2im.
    """
    x = np.ascontiguousarray(x)
    kh, kw, c, f = kernel.shape
    (sh, sw), (top, _, left, _) = strides, pads
    oh, ow = _output_hw(x.shape, (kh, kw), strides, pads)
    dy2 = np.ascontiguousarray(dy).reshape(-1, f)
    w2 = np.ascontiguousarray(kernel).reshape(kh * kw * c, f)
    per_image = oh * ow
    dkernel = np.zeros((kh * kw * c, f), dtype=dy2.dtype)
    # A matrix-vector product sums the columns ~4x faster than dy2.sum(axis=0), and more accurately.
    dbias = np.ones(dy2.shape[0], dtype=dy2.dtype) @ dy2
    dx = np.empty(x.shape, dtype=dy2.dtype) if need_dx else None
    chunks = _batch_chunks(x.shape[0], per_image * kh * kw * c * x.itemsize)
    buffer = _cols_buffer(max(b - a for a, b in chunks) * per_image, kh * kw * c, x.dtype)
    for start, stop in chunks:
        cols = buffer[: (stop - start) * per_image]
        rows = slice(start * per_image, stop * per_image)
        _im2col_kernel(x[start:stop], kh, kw, sh, sw, top, left, oh, ow, cols)
        dkernel += cols.T @ dy2[rows]
        if need_dx:
            # The columns are spent: reuse their buffer for the column gradient.
            np.matmul(dy2[rows], w2.T, out=cols)
            _col2im_kernel(cols, kh, kw, sh, sw, top, left, oh, ow, dx[start:stop])
    return dx, dkernel.reshape(kernel.shape), dbias


def maxpool2d_forward(x: np.ndarray, pool_size, strides, pads):
    """Same as :func:`numcnn.functional.maxpool2d_forward` (same tie, NaN and padding rules): x (N, H, W, C)
    → ``(y, argmax)``, y (N, OH, OW, C) in x's dtype, argmax int64 flat ``h*W + w`` (-1 for all-padding windows).
    """
    x = np.ascontiguousarray(x)
    (ph, pw), (sh, sw), (top, _, left, _) = pool_size, strides, pads
    oh, ow = _output_hw(x.shape, pool_size, strides, pads)
    y = np.empty((x.shape[0], oh, ow, x.shape[3]), dtype=x.dtype)
    argmax = np.empty(y.shape, dtype=np.int64)
    _maxpool_kernel(x, ph, pw, sh, sw, top, left, y, argmax)
    return y, argmax


def maxpool2d_backward(dy: np.ndarray, argmax: np.ndarray, x_shape) -> np.ndarray:
    """Same as :func:`numcnn.functional.maxpool2d_backward`: dy, argmax (N, OH, OW, C) → dx ``x_shape``."""
    n, h, w, c = x_shape
    dx = np.empty((n, h * w, c), dtype=dy.dtype)
    _maxpool_backward_kernel(np.ascontiguousarray(dy), np.ascontiguousarray(argmax, dtype=np.int64), dx)
    return dx.reshape(n, h, w, c)


def avgpool2d_forward(x: np.ndarray, pool_size, strides, pads) -> np.ndarray:
    """Same as :func:`numcnn.functional.avgpool2d_forward`: x (N, H, W, C) → y (N, OH, OW, C), x's dtype."""
    x = np.ascontiguousarray(x)
    (ph, pw), (sh, sw), (top, _, left, _) = pool_size, strides, pads
    oh, ow = _output_hw(x.shape, pool_size, strides, pads)
    counts = np.maximum(_window_counts(x.shape, pool_size, strides, pads, x.dtype), 1)
    y = np.empty((x.shape[0], oh, ow, x.shape[3]), dtype=x.dtype)
    _avgpool_kernel(x, ph, pw, sh, sw, top, left, counts, y)
    return y


def avgpool2d_backward(dy: np.ndarray, x_shape, pool_size, strides, pads) -> np.ndarray:
    """Same as :func:`numcnn.functional.avgpool2d_backward`: dy (N, OH, OW, C) → dx ``x_shape``, dy's dtype."""
    dy = np.ascontiguousarray(dy)
    (ph, pw), (sh, sw), (top, _, left, _) = pool_size, strides, pads
    _output_hw(x_shape, pool_size, strides, pads)
    counts = np.maximum(_window_counts(x_shape, pool_size, strides, pads, dy.dtype), 1)
    dx = np.empty(tuple(x_shape), dtype=dy.dtype)
    _avgpool_backward_kernel(dy, ph, pw, sh, sw, top, left, counts, dx)
    return dx


def relu_forward(x: np.ndarray) -> np.ndarray:
    """Same as :func:`numcnn.functional.relu_forward`: ``max(x, 0)``, any shape, same dtype, NaN kept."""
    x = np.ascontiguousarray(x)
    y = np.empty_like(x)
    _relu_kernel(x.reshape(-1), y.reshape(-1))
    return y


def relu_backward(dy: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Same as :func:`numcnn.functional.relu_backward`: dy where y > 0, else 0."""
    dy = np.ascontiguousarray(dy)
    dx = np.empty_like(dy)
    _relu_backward_kernel(dy.reshape(-1), np.ascontiguousarray(y).reshape(-1), dx.reshape(-1))
    return dx
