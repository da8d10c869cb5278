"""The fast convolution forward: each core takes chunks of a few images and convolves them by the method
``chunk_convolution`` picks (direct, Winograd or im2col + GEMM), bias and ReLU included, and, for the fused
convolution + max-pool, pools each chunk from its thread's buffer so the full output is never written."""

from __future__ import annotations

import numpy as np
from numba import njit

from numcnn._threads import parallel_chunks
from numcnn.backend.numba import exact_windows, planar, winograd
from numcnn.backend.numba._scalars import bias_relu
from numcnn.backend.numba.direct_conv import direct_conv_kernel
from numcnn.backend.numba.geometry import ConvGeometry, buffer
from numcnn.backend.numba.im2col import im2col_kernel
from numcnn.backend.numba.pool import maxpool_kernel
from numcnn.backend.shapes import output_hw


@njit(nogil=True, cache=True)
def _bias_relu_kernel(out, bias, use_bias, relu):
    # The epilogue of a chunk's product, run while the chunk is still in cache.
    rows, f = out.shape
    for r in range(rows):
        for k in range(f):
            out[r, k] = bias_relu(out[r, k], bias[k], use_bias, relu)


def _winograd_conv(x, v, bias, use_bias, relu, top, left, y, zero_is_exact) -> None:
    """y (n, OH, OW, F) = 3×3 stride-1 convolution of x (n, H, W, C) with the transformed kernel v (36, C, F),
    in this thread's buffers, with the guarantees of an exact sum restored (:mod:`exact_windows`)."""
    tiles_h, tiles_w = winograd.tiles(y.shape[1], y.shape[2])
    n_tiles = x.shape[0] * tiles_h * tiles_w
    u = buffer("winograd_in", (v.shape[0], n_tiles, v.shape[1]), y.dtype)
    m = buffer("winograd_out", (v.shape[0], n_tiles, v.shape[2]), y.dtype)
    groups = buffer("window_groups", y.shape[:3], np.int32)
    exact_windows.window_groups(*exact_windows.value_bits(x), 3, 3, top, left, groups)
    winograd.transform_input(x, top, left, tiles_h, tiles_w, u)
    np.matmul(u, v, out=m)
    winograd.transform_output(m, bias, use_bias, relu, tiles_h, tiles_w, y)
    exact_windows.restore_exact_windows(groups, bias, use_bias, relu, zero_is_exact, y)


def chunk_convolution(kernel, bias, use_bias, relu, g: ConvGeometry):
    """The fastest way to convolve one chunk, as ``(conv(x_chunk, y_chunk), uses_blas)``:

    - the planar direct kernels for stride-1 kernels with few channels or filters (``ConvGeometry.planar``);
    - a direct loop for other windows of few inputs (``kh·kw·C ≤ MAX_DIRECT_WIDTH``: strided grey layers);
    - Winograd F(4×4, 3×3) for other 3×3 stride-1 kernels (a quarter of im2col + GEMM's multiplications);
    - otherwise im2col into this thread's buffer, one product into the chunk's rows, then bias and ReLU.
    """
    if g.direct:

        def direct(xs, ys):
            direct_conv_kernel(xs, kernel, bias, use_bias, relu, g.sh, g.sw, g.top, g.left, ys)

        return direct, False
    if g.planar:
        k4 = planar.padded_filters(kernel)

        def planar_direct(xs, ys):
            planes = buffer(
                "planes", planar.plane_shape(xs.shape[0], g.channels, g.out_h, g.out_w, g.kh, g.kw), xs.dtype
            )
            planar.to_planes(xs, g.top, g.left, planes)
            planar.planar_conv_kernel(planes, k4, bias, use_bias, relu, ys)

        return planar_direct, False
    if g.winograd_3x3:
        v = winograd.transform_kernel(kernel)
        # With a NaN or inf weight an exact sum is NaN even over zeros (0·inf): only the products carry that.
        zero_is_exact = bool(np.isfinite(kernel).all())

        def winograd_f43(xs, ys):
            _winograd_conv(xs, v, bias, use_bias, relu, g.top, g.left, ys, zero_is_exact)

        return winograd_f43, True
    w2 = kernel.reshape(g.width, g.filters)

    def im2col_gemm(xs, ys):
        out = ys.reshape(-1, g.filters)
        cols = buffer("cols", (out.shape[0], g.width), xs.dtype)
        im2col_kernel(xs, *g.kernel_args, cols)
        np.matmul(cols, w2, out=out)
        if use_bias or relu:
            _bias_relu_kernel(out, bias, use_bias, relu)

    return im2col_gemm, True


def _prepared(x, kernel, bias, strides, pads, relu):
    """Contiguous operands in the result dtype, the geometry, the chunk convolution and the chunks."""
    x = np.ascontiguousarray(x)
    g = ConvGeometry.of(x.shape, kernel.shape, strides, pads)
    dtype = np.result_type(x, kernel)
    bias_arr = np.zeros(g.filters, dtype) if bias is None else np.ascontiguousarray(bias, dtype=dtype)
    conv, uses_blas = chunk_convolution(np.ascontiguousarray(kernel, dtype=dtype), bias_arr, bias is not None, relu, g)
    return x, g, dtype, conv, uses_blas, g.chunks(x.shape[0], x.itemsize)


def conv2d_forward(x: np.ndarray, kernel: np.ndarray, bias, strides, pads, relu: bool = False) -> np.ndarray:
    """Same as :func:`numcnn.backend.numpy.conv2d_forward`: x (N, H, W, C), kernel (kh, kw, C, F), bias (F,) or
    None → y (N, OH, OW, F), ReLU applied when ``relu``."""
    x, g, dtype, conv, uses_blas, parts = _prepared(x, kernel, bias, strides, pads, relu)
    y = np.empty((x.shape[0], g.out_h, g.out_w, g.filters), dtype=dtype)

    def body(i):
        s, e = parts[i]
        conv(x[s:e], y[s:e])

    parallel_chunks(len(parts), body, uses_blas=uses_blas)
    return y


def conv2d_pool_forward(x, kernel, bias, strides, pads, relu, pool_size, pool_strides, pool_pads):
    """Same as :func:`numcnn.backend.numpy.conv2d_pool_forward`: the max-pool's ``(y, argmax)`` of the
    convolution. Each chunk is convolved into this thread's buffer and pooled from there, so the full output
    (37.7 MB for the notebook's conv2 at batch 256) is never written to memory and read back."""
    x, g, dtype, conv, uses_blas, parts = _prepared(x, kernel, bias, strides, pads, relu)
    conv_shape = (x.shape[0], g.out_h, g.out_w, g.filters)
    (ph, pw), (psh, psw), (ptop, _, pleft, _) = pool_size, pool_strides, pool_pads
    y = np.empty((x.shape[0], *output_hw(conv_shape, pool_size, pool_strides, pool_pads), g.filters), dtype=dtype)
    argmax = np.empty(y.shape, dtype=np.int32)

    def body(i):
        s, e = parts[i]
        ys = buffer("conv_out", (e - s, *conv_shape[1:]), dtype)
        conv(x[s:e], ys)
        maxpool_kernel(ys, ph, pw, psh, psw, ptop, pleft, y[s:e], argmax[s:e])

    parallel_chunks(len(parts), body, uses_blas=uses_blas)
    return y, argmax
