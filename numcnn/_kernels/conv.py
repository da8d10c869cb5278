"""Convolution kernels: im2col, col2im, and the per-core pipelines that convolve a chunk of images (direct,
Winograd or im2col + GEMM), forward (pooling each chunk when the model fuses a max-pool) and backward."""

from __future__ import annotations

import math
import threading

import numpy as np
from numba import njit

from numcnn._kernels import winograd
from numcnn._kernels._scalars import ZERO, bias_relu
from numcnn._kernels.direct_conv import MAX_DIRECT_WIDTH, direct_conv_kernel, direct_filter_grad_kernel
from numcnn._kernels.pool import maxpool_kernel, scatter_kernel
from numcnn._threads import THREADS, parallel_chunks, parallel_for
from numcnn.functional import PooledGradient, _output_hw

# Size of one thread's im2col chunk, which sets the images per chunk for every method (6 for conv2; its
# Winograd buffers are then 3 MB). A few MB keeps the chunk in cache between one step writing it and the
# next reading it; per-core pipelines with 2–8 MB chunks ran conv2's im2col forward in ~31 ms against ~60 ms
# for one 170 MB im2col and a two-thread product, and 4–12 MB chunks time alike with Winograd. Tests lower
# it to force many chunks.
CHUNK_BYTES = 4 * 2**20

_local = threading.local()


@njit(nogil=True, cache=True)
def _im2col_kernel(x, kh, kw, sh, sw, top, left, out_h, out_w, cols):
    # Copies go through slices indexed from 0: an index like ``base + t`` could be negative as far as numba
    # knows, and its wraparound check on every element turned the copies into gathers (~2× slower).
    n_img, h_n, w_n, c_n = x.shape
    span = kw * c_n
    x_rows = x.reshape(n_img, h_n, w_n * c_n)
    for n in range(n_img):
        for oh in range(out_h):
            for ow in range(out_w):
                row = cols[(n * out_h + oh) * out_w + ow]
                w0 = ow * sw - left
                for i in range(kh):
                    h = oh * sh - top + i
                    dst = row[i * span : (i + 1) * span]
                    if h < 0 or h >= h_n:
                        dst[:] = 0.0
                    elif w0 >= 0 and w0 + kw <= w_n:
                        # The whole window row lies inside the image: kw·C contiguous values.
                        src = x_rows[n, h, w0 * c_n : w0 * c_n + span]
                        for t in range(span):
                            dst[t] = src[t]
                    else:
                        for j in range(kw):
                            w = w0 + j
                            part = dst[j * c_n : (j + 1) * c_n]
                            if 0 <= w < w_n:
                                src = x[n, h, w]
                                for c in range(c_n):
                                    part[c] = src[c]
                            else:
                                part[:] = 0.0


@njit(nogil=True, cache=True, inline="always")
def _window_position(p, stride, out_n):
    """The output index whose window starts at padded position ``p`` along one axis, or -1 if none does.
    Stride 1 skips the two integer divisions, the slowest part of col2im's inner loop otherwise."""
    if stride == 1:
        return p if 0 <= p < out_n else -1
    if p < 0 or p % stride != 0 or p // stride >= out_n:
        return -1
    return p // stride


@njit(nogil=True, cache=True)
def _col2im_kernel(cols, kh, kw, sh, sw, top, left, out_h, out_w, dx):
    # Gather, not scatter: each pixel adds its contributions in (i, j) order, like the reference. Slices
    # again keep the inner loop free of wraparound checks.
    n_img, h_n, w_n, c_n = dx.shape
    for n in range(n_img):
        for h in range(h_n):
            for w in range(w_n):
                dst = dx[n, h, w]
                dst[:] = 0.0
                for i in range(kh):
                    oh = _window_position(h + top - i, sh, out_h)
                    if oh < 0:
                        continue
                    for j in range(kw):
                        ow = _window_position(w + left - j, sw, out_w)
                        if ow < 0:
                            continue
                        base = (i * kw + j) * c_n
                        src = cols[(n * out_h + oh) * out_w + ow, base : base + c_n]
                        for c in range(c_n):
                            dst[c] += src[c]


@njit(nogil=True, cache=True)
def _bias_relu_kernel(out, bias, use_bias, relu):
    # The epilogue of a chunk's product, run while the chunk is still in cache.
    rows, f = out.shape
    for r in range(rows):
        for k in range(f):
            out[r, k] = bias_relu(out[r, k], bias[k], use_bias, relu)


@njit(nogil=True, cache=True)
def _relu_mask_kernel(dy, y, dz):
    rows, f = dy.shape
    for r in range(rows):
        for k in range(f):
            dz[r, k] = dy[r, k] if y[r, k] > 0 else ZERO


def _buffer(name: str, shape: tuple, dtype) -> np.ndarray:
    """A work array of ``shape`` owned by the calling thread and reused across calls."""
    size = math.prod(shape)
    flat = getattr(_local, name, None)
    if flat is None or flat.dtype != dtype or flat.size < size:
        flat = np.empty(size, dtype=dtype)
        setattr(_local, name, flat)
    return flat[:size].reshape(shape)


def _winograd_conv(x, v, bias, use_bias, relu, top, left, y) -> None:
    """y (n, OH, OW, F) = 3×3 stride-1 convolution of x (n, H, W, C) with the transformed kernel v (36, C, F),
    in this thread's buffers."""
    tiles_h, tiles_w = winograd.tiles(y.shape[1], y.shape[2])
    n_tiles = x.shape[0] * tiles_h * tiles_w
    u = _buffer("winograd_in", (v.shape[0], n_tiles, v.shape[1]), y.dtype)
    m = _buffer("winograd_out", (v.shape[0], n_tiles, v.shape[2]), y.dtype)
    winograd.transform_input(x, top, left, tiles_h, tiles_w, u)
    np.matmul(u, v, out=m)
    winograd.transform_output(m, bias, use_bias, relu, tiles_h, tiles_w, y)


def _geometry(x_shape, kernel_shape, strides, pads):
    kh, kw, c, f = kernel_shape
    (sh, sw), (top, _, left, _) = strides, pads
    oh, ow = _output_hw(x_shape, (kh, kw), strides, pads)
    return (kh, kw, sh, sw, top, left, oh, ow), oh * ow, kh * kw * c, f


def im2col(x: np.ndarray, kernel_size, strides, pads) -> np.ndarray:
    """Same as :func:`numcnn.functional.im2col`: x (N, H, W, C) → cols (N*OH*OW, kh*kw*C), x's dtype."""
    x = np.ascontiguousarray(x)
    args, per_image, width, _ = _geometry(x.shape, (*kernel_size, x.shape[3], 1), strides, pads)
    cols = np.empty((x.shape[0] * per_image, width), dtype=x.dtype)

    def body(a, b):
        _im2col_kernel(x[a:b], *args, cols[a * per_image : b * per_image])

    parallel_for(x.shape[0], body)
    return cols


def col2im(cols: np.ndarray, x_shape, kernel_size, strides, pads) -> np.ndarray:
    """Same as :func:`numcnn.functional.col2im`: cols (N*OH*OW, kh*kw*C) → dx ``x_shape``, cols' dtype."""
    cols = np.ascontiguousarray(cols)
    args, per_image, _, _ = _geometry(x_shape, (*kernel_size, x_shape[3], 1), strides, pads)
    dx = np.empty(tuple(x_shape), dtype=cols.dtype)

    def body(a, b):
        _col2im_kernel(cols[a * per_image : b * per_image], *args, dx[a:b])

    parallel_for(dx.shape[0], body)
    return dx


def _chunks(n_images: int, bytes_per_image: int) -> list[tuple[int, int]]:
    """``(start, stop)`` image ranges whose im2col columns fill at most ``CHUNK_BYTES`` each, and at least
    four chunks a thread so that the threads can even out their share."""
    step = max(1, min(CHUNK_BYTES // max(bytes_per_image, 1), -(-n_images // (4 * THREADS))))
    return [(s, min(s + step, n_images)) for s in range(0, n_images, step)]


def _chunk_convolution(kernel, bias, use_bias, relu, args, width):
    """The fastest way to convolve one chunk, as ``(conv(x_chunk, y_chunk), uses_blas)``:

    - a direct loop when windows hold few inputs (``kh·kw·C ≤ MAX_DIRECT_WIDTH``, MNIST's first layer);
    - Winograd F(4×4, 3×3) for other 3×3 stride-1 kernels (~1.8× faster than im2col + GEMM on conv2);
    - otherwise im2col into this thread's buffer, one product into the chunk's rows, then bias and ReLU.
    """
    kh, kw, sh, sw, top, left, _, _ = args
    if width <= MAX_DIRECT_WIDTH:

        def direct(xs, ys):
            direct_conv_kernel(xs, kernel, bias, use_bias, relu, sh, sw, top, left, ys)

        return direct, False
    if (kh, kw, sh, sw) == (3, 3, 1, 1):
        v = winograd.transform_kernel(kernel)

        def winograd_f43(xs, ys):
            _winograd_conv(xs, v, bias, use_bias, relu, top, left, ys)

        return winograd_f43, True
    w2 = kernel.reshape(width, kernel.shape[3])

    def im2col_gemm(xs, ys):
        out = ys.reshape(-1, w2.shape[1])
        cols = _buffer("cols", (out.shape[0], width), xs.dtype)
        _im2col_kernel(xs, *args, cols)
        np.matmul(cols, w2, out=out)
        if use_bias or relu:
            _bias_relu_kernel(out, bias, use_bias, relu)

    return im2col_gemm, True


def conv2d_forward(x: np.ndarray, kernel: np.ndarray, bias, strides, pads, relu: bool = False, pool=None):
    """Same as :func:`numcnn.functional.conv2d_forward`: x (N, H, W, C), kernel (kh, kw, C, F), bias (F,) or
    None → y (N, OH, OW, F), ReLU applied when ``relu``. Each core takes chunks of a few images and convolves
    them by the method :func:`_chunk_convolution` picks for this kernel, bias and ReLU included.

    With ``pool = (pool_size, strides, pads)``, returns a following max-pool's ``(y, argmax)`` instead: each
    chunk is convolved into this thread's buffer and pooled from there, so the full output (37.7 MB for
    conv2 at batch 256) is never written to memory and read back.
    """
    x = np.ascontiguousarray(x)
    args, per_image, width, f = _geometry(x.shape, kernel.shape, strides, pads)
    dtype = np.result_type(x, kernel)
    y_shape = (x.shape[0], *args[6:], f)
    bias_arr = np.zeros(f, dtype) if bias is None else np.ascontiguousarray(bias, dtype=dtype)
    kernel_c = np.ascontiguousarray(kernel, dtype=dtype)
    conv, uses_blas = _chunk_convolution(kernel_c, bias_arr, bias is not None, relu, args, width)
    chunks = _chunks(x.shape[0], per_image * width * x.itemsize)
    if pool is None:
        y = np.empty(y_shape, dtype=dtype)

        def body(i):
            s, e = chunks[i]
            conv(x[s:e], y[s:e])

    else:
        (ph, pw), (psh, psw), (ptop, _, pleft, _) = pool
        y = np.empty((x.shape[0], *_output_hw(y_shape, *pool), f), dtype=dtype)
        argmax = np.empty(y.shape, dtype=np.int32)

        def body(i):
            s, e = chunks[i]
            ys = _buffer("conv_out", (e - s, *y_shape[1:]), dtype)
            conv(x[s:e], ys)
            maxpool_kernel(ys, ph, pw, psh, psw, ptop, pleft, y[s:e], argmax[s:e])

    parallel_chunks(len(chunks), body, uses_blas=uses_blas)
    return y if pool is None else (y, argmax)


def _chunk_gradient(kernel, args, width):
    """The fastest way to take one chunk's gradients, as ``(grad, finish)``: ``grad(x_chunk, d, dx_chunk)``
    returns the chunk's share of the kernel gradient (and writes dx_chunk unless it is None) from the
    chunk's output gradient d (rows, F); ``finish`` turns the sum of those shares into (kh, kw, C, F).

    - Winograd F(4×4, 3×3), transposed, for 3×3 stride-1 kernels: both gradients come from the transformed
      output gradient, with 36 products of C·F per tile in place of im2col's 9·C·F per pixel;
    - otherwise im2col again (cheaper than keeping the forward's columns), ``colsᵀ·d``, then ``d·Wᵀ`` into the
      same buffer and col2im.
    """
    kh, kw, sh, sw, top, left, oh, ow = args
    f = kernel.shape[3]
    if (kh, kw, sh, sw) == (3, 3, 1, 1):
        # (36, F, C), C-ordered: its products ran 1.4× faster than with the transposed view
        v_t = np.ascontiguousarray(winograd.transform_kernel(kernel).transpose(0, 2, 1))
        tiles_h, tiles_w = winograd.tiles(oh, ow)

        def winograd_f43(xs, d, dxs):
            n_tiles = xs.shape[0] * tiles_h * tiles_w
            u = _buffer("winograd_in", (36, n_tiles, xs.shape[3]), d.dtype)
            g = _buffer("winograd_out", (36, n_tiles, f), d.dtype)
            winograd.transform_input(xs, top, left, tiles_h, tiles_w, u)
            winograd.transform_gradient(d.reshape(xs.shape[0], oh, ow, f), tiles_h, tiles_w, g)
            m = np.matmul(u.transpose(0, 2, 1), g)
            if dxs is not None:
                np.matmul(g, v_t, out=u)  # the transformed input is spent: reuse its buffer
                winograd.transform_input_backward(u, top, left, tiles_h, tiles_w, dxs)
            return m

        return winograd_f43, winograd.kernel_gradient
    w2t = kernel.reshape(width, f).T

    def im2col_gemm(xs, d, dxs):
        cols = _buffer("cols", (d.shape[0], width), xs.dtype)
        _im2col_kernel(xs, *args, cols)
        dkernel = cols.T @ d
        if dxs is not None:
            np.matmul(d, w2t, out=cols)  # the columns are spent: reuse their buffer
            _col2im_kernel(cols, *args, dxs)
        return dkernel

    return im2col_gemm, lambda total: total.reshape(kernel.shape)


def conv2d_backward(
    dy: np.ndarray, x: np.ndarray, kernel: np.ndarray, strides, pads, need_dx: bool = True, relu_output=None
):
    """Same as :func:`numcnn.functional.conv2d_backward`: returns ``(dx or None, dkernel, dbias)``.

    dy (N, OH, OW, F), x (N, H, W, C), kernel (kh, kw, C, F) → dx (N, H, W, C), dkernel (kh, kw, C, F),
    dbias (F,). Per chunk of images: the chunk's output gradient d (a following max-pool's gradient scattered,
    ReLU's mask applied with ``relu_output``), its column sums, then the gradients by the method
    :func:`_chunk_gradient` picks. The chunks' partial sums are added in chunk order, so results never
    depend on timing.
    """
    x = np.ascontiguousarray(x)
    args, per_image, width, f = _geometry(x.shape, kernel.shape, strides, pads)
    pooled = dy if isinstance(dy, PooledGradient) else None
    relu = relu_output is not None  # with a pooled dy, only a flag: the mask is the pool's output
    if pooled is not None and width <= MAX_DIRECT_WIDTH and not need_dx:  # the direct kernel reads a dense dy
        dy, pooled, relu = (pooled.relu_masked() if relu else pooled).dense(), None, False
    if pooled is not None:
        pooled_dy = np.ascontiguousarray(pooled.dy)
        pooled_argmax = np.ascontiguousarray(pooled.argmax, dtype=np.int32)
        pooled_y = np.ascontiguousarray(pooled.pooled)
        dy2 = None
        dtype = pooled_dy.dtype
    else:
        dy2 = np.ascontiguousarray(dy).reshape(-1, f)
        dtype = dy2.dtype
    y2 = None if (pooled is not None or not relu) else np.ascontiguousarray(relu_output).reshape(-1, f)
    dx = np.empty(x.shape, dtype=dtype) if need_dx else None
    chunks = _chunks(x.shape[0], per_image * width * x.itemsize)
    if width <= MAX_DIRECT_WIDTH and not need_dx:  # e.g. a first layer on grey images
        dy4 = dy2.reshape(x.shape[0], *args[6:], f)
        y4 = dy4 if y2 is None else y2.reshape(dy4.shape)

        def direct(i):
            s, e = chunks[i]
            dkernel, dbias = np.zeros(kernel.shape, dtype=dtype), np.zeros(f, dtype=dtype)
            direct_filter_grad_kernel(x[s:e], dy4[s:e], y4[s:e], y2 is not None, *args[2:6], dkernel, dbias)
            return dkernel, dbias

        partials = parallel_chunks(len(chunks), direct)
        finish = None
    else:
        grad, finish = _chunk_gradient(np.ascontiguousarray(kernel, dtype=dtype), args, width)
        ones = np.ones((chunks[0][1] - chunks[0][0]) * per_image, dtype=dtype)

        def body(i):
            s, e = chunks[i]
            rows = slice(s * per_image, e * per_image)
            n_rows = (e - s) * per_image
            if pooled is not None:  # scatter the pool's gradient straight into this chunk's rows
                d = _buffer("masked", (n_rows, f), dtype)
                dbias = np.zeros(f, dtype)
                scatter_kernel(
                    pooled_dy[s:e], pooled_argmax[s:e], pooled_y[s:e], relu, d.reshape(e - s, per_image, f), dbias
                )
            else:
                if y2 is not None:
                    d = _buffer("masked", (n_rows, f), dtype)
                    _relu_mask_kernel(dy2[rows], y2[rows], d)
                else:
                    d = dy2[rows]
                dbias = ones[:n_rows] @ d  # a product sums columns faster (and more accurately) than .sum(0)
            return grad(x[s:e], d, dx[s:e] if need_dx else None), dbias

        partials = parallel_chunks(len(chunks), body, uses_blas=True)
    dkernel, dbias = partials[0]
    for more_kernel, more_bias in partials[1:]:
        dkernel += more_kernel
        dbias += more_bias
    return dx, dkernel if finish is None else finish(dkernel), dbias
