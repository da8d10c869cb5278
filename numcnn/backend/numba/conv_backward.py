"""The fast convolution backward, per chunk of images: the chunk's output gradient (ReLU's mask applied, or a
following max-pool's gradient scattered straight into a thread buffer), its column sums for the bias, then
the kernel and input gradients by the method ``chunk_gradient`` picks. Partial sums are added in chunk order,
so results never depend on timing."""

from __future__ import annotations

import numpy as np
from numba import njit

from numcnn._threads import parallel_chunks
from numcnn.backend.numba import planar, winograd
from numcnn.backend.numba._scalars import ZERO
from numcnn.backend.numba.direct_conv import direct_filter_grad_kernel
from numcnn.backend.numba.geometry import ConvGeometry, buffer
from numcnn.backend.numba.im2col import col2im_kernel, im2col_kernel
from numcnn.backend.numba.pool import maxpool2d_backward, scatter_kernel


@njit(nogil=True, cache=True)
def _relu_mask_kernel(dy, y, dz):
    rows, f = dy.shape
    for r in range(rows):
        for k in range(f):
            dz[r, k] = dy[r, k] if y[r, k] > 0 else ZERO


def chunk_gradient(kernel, g: ConvGeometry):
    """The fastest way to take one chunk's gradients, as ``(grad, finish)``: ``grad(x_chunk, d, dx_chunk)``
    returns the chunk's share of the kernel gradient (and writes dx_chunk unless it is None) from the
    chunk's output gradient d (rows, F); ``finish`` turns the sum of those shares into (kh, kw, C, F).

    - Winograd F(4×4, 3×3), transposed, for 3×3 stride-1 kernels: both gradients come from the transformed
      output gradient, with 36 products of C·F per tile in place of im2col's 9·C·F per pixel;
    - otherwise im2col again (cheaper than keeping the forward's columns), ``colsᵀ·d``, then ``d·Wᵀ`` into the
      same buffer and col2im.
    """
    f = g.filters
    if g.planar:
        return _planar_gradient(kernel, g), lambda total: total.reshape(kernel.shape)
    if g.winograd_3x3:
        # (36, F, C), C-ordered: BLAS runs its products faster than on the transposed view (benchmarks/README.md)
        v_t = np.ascontiguousarray(winograd.transform_kernel(kernel).transpose(0, 2, 1))
        tiles_h, tiles_w = winograd.tiles(g.out_h, g.out_w)

        def winograd_f43(xs, d, dxs):
            n_tiles = xs.shape[0] * tiles_h * tiles_w
            u = buffer("winograd_in", (36, n_tiles, xs.shape[3]), d.dtype)
            t = buffer("winograd_out", (36, n_tiles, f), d.dtype)
            winograd.transform_input(xs, g.top, g.left, tiles_h, tiles_w, u)
            winograd.transform_gradient(d.reshape(xs.shape[0], g.out_h, g.out_w, f), tiles_h, tiles_w, t)
            m = np.matmul(u.transpose(0, 2, 1), t)
            if dxs is not None:
                np.matmul(t, v_t, out=u)  # the transformed input is spent: reuse its buffer
                winograd.transform_input_backward(u, g.top, g.left, tiles_h, tiles_w, dxs)
            return m

        return winograd_f43, winograd.kernel_gradient
    w2t = kernel.reshape(g.width, f).T

    def im2col_gemm(xs, d, dxs):
        cols = buffer("cols", (d.shape[0], g.width), xs.dtype)
        im2col_kernel(xs, *g.kernel_args, cols)
        dkernel = cols.T @ d
        if dxs is not None:
            np.matmul(d, w2t, out=cols)  # the columns are spent: reuse their buffer
            col2im_kernel(cols, *g.kernel_args, dxs)
        return dkernel

    return im2col_gemm, lambda total: total.reshape(kernel.shape)


def _planar_gradient(kernel, g: ConvGeometry):
    """The planar path's chunk gradient (``planar``): the kernel gradient as one product of the taps' shifted
    planes with the output gradient on the planes' grid, and the input gradient as the planar convolution of
    the zero-padded output gradient with the flipped kernel."""
    flipped = planar.flipped_filters(kernel)
    no_bias = np.zeros(g.channels, kernel.dtype)
    kh, kw = g.kh, g.kw

    def planar_direct(xs, d, dxs):
        n, h, w = xs.shape[:3]
        planes = buffer("planes", planar.plane_shape(n, g.channels, g.out_h, g.out_w, kh, kw), d.dtype)
        planar.to_planes(xs, g.top, g.left, planes)
        wp = planes.shape[3]
        rows = buffer("cols", (kh * kw * g.channels, n * g.out_h * wp), d.dtype)
        planar.shifted_rows(planes, kh, kw, g.out_h, rows)
        grid = buffer("grid", (n * g.out_h * wp, g.filters), d.dtype)
        d4 = d.reshape(n, g.out_h, g.out_w, g.filters)
        planar.gradient_grid(d4, wp, grid)
        dkernel = rows @ grid
        if dxs is not None:
            d_planes = buffer("planes", planar.plane_shape(n, g.filters, h, w, kh, kw), d.dtype)
            planar.to_planes(d4, kh - 1 - g.top, kw - 1 - g.left, d_planes)
            planar.planar_conv_kernel(d_planes, flipped, no_bias, False, False, dxs)
        return dkernel

    return planar_direct


def _summed(partials, finish):
    """The chunks' ``(dkernel, dbias)`` shares added in chunk order."""
    dkernel, dbias = partials[0]
    for more_kernel, more_bias in partials[1:]:
        dkernel += more_kernel
        dbias += more_bias
    return finish(dkernel), dbias


def _run_chunks(x, kernel, g, dtype, need_dx, chunk_dy):
    """Kernel and bias gradients (and dx) when ``chunk_dy(s, e, rows)`` gives chunk [s, e)'s output gradient
    (rows, F) with ReLU's mask applied, and its column sums."""
    grad, finish = chunk_gradient(np.ascontiguousarray(kernel, dtype=dtype), g)
    dx = np.empty(x.shape, dtype=dtype) if need_dx else None
    parts = g.chunks(x.shape[0], x.itemsize)

    def body(i):
        s, e = parts[i]
        d, dbias = chunk_dy(s, e, (e - s) * g.pixels)
        return grad(x[s:e], d, dx[s:e] if need_dx else None), dbias

    dkernel, dbias = _summed(parallel_chunks(len(parts), body, uses_blas=True), finish)
    return dx, dkernel, dbias


def _direct_filter_gradient(x, dy4, relu_output4, kernel_shape, g, dtype):
    """Kernel and bias gradients by the direct loop (few inputs per window, no dx needed)."""
    parts = g.chunks(x.shape[0], x.itemsize)
    use_mask = relu_output4 is not None
    y4 = relu_output4 if use_mask else dy4

    def body(i):
        s, e = parts[i]
        dkernel, dbias = np.zeros(kernel_shape, dtype=dtype), np.zeros(g.filters, dtype=dtype)
        direct_filter_grad_kernel(x[s:e], dy4[s:e], y4[s:e], use_mask, g.sh, g.sw, g.top, g.left, dkernel, dbias)
        return dkernel, dbias

    return _summed(parallel_chunks(len(parts), body), lambda total: total)


def conv2d_backward(
    dy: np.ndarray, x: np.ndarray, kernel: np.ndarray, strides, pads, need_dx: bool = True, relu_output=None
):
    """Same as :func:`numcnn.backend.numpy.conv2d_backward`: returns ``(dx or None, dkernel, dbias)``.

    dy (N, OH, OW, F), x (N, H, W, C), kernel (kh, kw, C, F) → dx (N, H, W, C), dkernel (kh, kw, C, F),
    dbias (F,); ReLU's mask from ``relu_output`` first when given.
    """
    x = np.ascontiguousarray(x)
    g = ConvGeometry.of(x.shape, kernel.shape, strides, pads)
    dy2 = np.ascontiguousarray(dy).reshape(-1, g.filters)
    dtype = dy2.dtype
    y2 = None if relu_output is None else np.ascontiguousarray(relu_output).reshape(-1, g.filters)
    if g.direct and not need_dx:  # e.g. a first layer on grey images
        shape4 = (x.shape[0], g.out_h, g.out_w, g.filters)
        y4 = None if y2 is None else y2.reshape(shape4)
        return None, *_direct_filter_gradient(x, dy2.reshape(shape4), y4, kernel.shape, g, dtype)
    ones = np.ones(dy2.shape[0], dtype=dtype)

    def chunk_dy(s, e, n_rows):
        rows = slice(s * g.pixels, e * g.pixels)
        if y2 is None:
            d = dy2[rows]
        else:
            d = buffer("masked", (n_rows, g.filters), dtype)
            _relu_mask_kernel(dy2[rows], y2[rows], d)
        return d, ones[:n_rows] @ d  # a product sums columns faster (and more accurately) than .sum(0)

    return _run_chunks(x, kernel, g, dtype, need_dx, chunk_dy)


def conv2d_pool_backward(dy, argmax, pooled, x, kernel, strides, pads, relu: bool, need_dx: bool = True):
    """Same as :func:`numcnn.backend.numpy.conv2d_pool_backward`: gradients from the max-pool's output gradient
    dy (N, PH, PW, F), ``argmax`` and output ``pooled``, with the pool's gradient scattered chunk by chunk into a
    thread buffer (the mostly-zero full-size gradient is never built) and ReLU's mask read from ``pooled``
    (the ReLU output at each argmax), the bias gradient summed as it goes."""
    x = np.ascontiguousarray(x)
    g = ConvGeometry.of(x.shape, kernel.shape, strides, pads)
    dy = np.ascontiguousarray(dy)
    argmax = np.ascontiguousarray(argmax, dtype=np.int32)
    pooled = np.ascontiguousarray(pooled)
    dtype = dy.dtype
    if g.direct and not need_dx:  # the direct loop reads a dense gradient
        masked = np.where(pooled > 0, dy, dtype.type(0)) if relu else dy
        dense = maxpool2d_backward(masked, argmax, (x.shape[0], g.out_h, g.out_w, g.filters))
        return None, *_direct_filter_gradient(x, dense, None, kernel.shape, g, dtype)

    def chunk_dy(s, e, n_rows):
        d = buffer("masked", (n_rows, g.filters), dtype)
        dbias = np.zeros(g.filters, dtype)
        scatter_kernel(dy[s:e], argmax[s:e], pooled[s:e], relu, d.reshape(e - s, g.pixels, g.filters), dbias)
        return d, dbias

    return _run_chunks(x, kernel, g, dtype, need_dx, chunk_dy)


def conv2d_input_grad(dy: np.ndarray, kernel: np.ndarray, x_shape, strides, pads) -> np.ndarray:
    """Same as :func:`numcnn.backend.numpy.conv2d_input_grad`: dy (N, OH, OW, F), kernel (kh, kw, C, F) → dx
    ``x_shape`` (N, H, W, C), dy's dtype; per chunk of images one product ``dy·Wᵀ`` into a thread buffer, then
    col2im, so the full column matrix never exists."""
    g = ConvGeometry.of(tuple(x_shape), kernel.shape, strides, pads)
    dy2 = np.ascontiguousarray(dy).reshape(-1, g.filters)
    dtype = dy2.dtype
    w2t = np.ascontiguousarray(kernel, dtype=dtype).reshape(g.width, g.filters).T
    dx = np.empty(tuple(x_shape), dtype=dtype)
    parts = g.chunks(x_shape[0], dtype.itemsize)

    def body(i):
        s, e = parts[i]
        cols = buffer("cols", ((e - s) * g.pixels, g.width), dtype)
        np.matmul(dy2[s * g.pixels : e * g.pixels], w2t, out=cols)
        col2im_kernel(cols, *g.kernel_args, dx[s:e])

    parallel_chunks(len(parts), body, uses_blas=True)
    return dx
