"""The NumPy reference ops (numcnn.backend.numpy) against loop-by-loop definitions and their algebraic properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from numpy.testing import assert_allclose, assert_array_equal
from strategies import window_cases

from numcnn.backend import numpy as F
from numcnn.backend.shapes import conv_output_length, same_pads


def output_hw(case):
    _, h, w, _ = case["x_shape"]
    (kh, kw), (sh, sw), (top, bottom, left, right) = case["window"], case["strides"], case["pads"]
    return (h + top + bottom - kh) // sh + 1, (w + left + right - kw) // sw + 1


def input_position(case, oh, ow, i, j):
    """Unpadded (h, w) read by output (oh, ow) at window offset (i, j), or None on padding."""
    _, height, width, _ = case["x_shape"]
    (sh, sw), (top, _, left, _) = case["strides"], case["pads"]
    h, w = oh * sh - top + i, ow * sw - left + j
    return (h, w) if 0 <= h < height and 0 <= w < width else None


def windows(case):
    """Every (oh, ow) with the list of real input positions of its window, in row-major scan order."""
    oh_n, ow_n = output_hw(case)
    kh, kw = case["window"]
    for oh in range(oh_n):
        for ow in range(ow_n):
            cells = [input_position(case, oh, ow, i, j) for i in range(kh) for j in range(kw)]
            yield oh, ow, [p for p in cells if p is not None]


def naive_conv(x, kernel, bias, case):
    n_img = x.shape[0]
    kh, kw, _, f_n = kernel.shape
    oh_n, ow_n = output_hw(case)
    y = np.zeros((n_img, oh_n, ow_n, f_n))
    for n in range(n_img):
        for oh in range(oh_n):
            for ow in range(ow_n):
                for f in range(f_n):
                    for i in range(kh):
                        for j in range(kw):
                            p = input_position(case, oh, ow, i, j)
                            if p is not None:
                                y[n, oh, ow, f] += x[n, p[0], p[1], :] @ kernel[i, j, :, f]
                    y[n, oh, ow, f] += bias[f]
    return y


def conv_arrays(case, dtype=np.float64):
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal(case["x_shape"]).astype(dtype)
    kernel = rng.standard_normal((*case["window"], case["x_shape"][3], case["filters"])).astype(dtype)
    bias = rng.standard_normal(case["filters"]).astype(dtype)
    return rng, x, kernel, bias


@settings(max_examples=60, deadline=None)
@given(window_cases(max_batch=3, max_size=9, max_channels=4))
def test_conv_forward_equals_naive_loops(case):
    _, x, kernel, bias = conv_arrays(case)
    y = F.conv2d_forward(x, kernel, bias, case["strides"], case["pads"])
    assert y.shape == (case["x_shape"][0], *output_hw(case), case["filters"])
    assert_allclose(y, naive_conv(x, kernel, bias, case), rtol=1e-12, atol=1e-12)
    no_bias = F.conv2d_forward(x, kernel, None, case["strides"], case["pads"])
    assert_allclose(no_bias, y - bias, rtol=1e-12, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(window_cases(max_batch=3, max_size=9, max_channels=4))
def test_im2col_layout(case):
    _, x, _, _ = conv_arrays(case)
    kh, kw = case["window"]
    n_img, _, _, c = x.shape
    oh_n, ow_n = output_hw(case)
    cols = F.im2col(x, case["window"], case["strides"], case["pads"])
    assert cols.shape == (n_img * oh_n * ow_n, kh * kw * c)
    for n in range(n_img):
        for oh in range(oh_n):
            for ow in range(ow_n):
                for i in range(kh):
                    for j in range(kw):
                        p = input_position(case, oh, ow, i, j)
                        got = cols[(n * oh_n + oh) * ow_n + ow, (i * kw + j) * c : (i * kw + j + 1) * c]
                        assert_array_equal(got, 0.0 if p is None else x[n, p[0], p[1]])


@settings(max_examples=100, deadline=None)
@given(window_cases(max_batch=3, max_size=9, max_channels=4))
def test_col2im_is_the_adjoint_of_im2col(case):
    rng, x, _, _ = conv_arrays(case)
    args = (case["window"], case["strides"], case["pads"])
    cols = F.im2col(x, *args)
    y = rng.standard_normal(cols.shape)
    dx = F.col2im(y, x.shape, *args)
    assert dx.shape == x.shape
    assert_allclose(np.vdot(cols, y), np.vdot(x, dx), rtol=1e-10, atol=1e-12)


@settings(max_examples=50, deadline=None)
@given(window_cases(max_batch=3, max_size=9, max_channels=4))
def test_conv_backward_equals_naive_loops(case):
    rng, x, kernel, bias = conv_arrays(case)
    y = F.conv2d_forward(x, kernel, bias, case["strides"], case["pads"])
    dy = rng.standard_normal(y.shape)
    dx, dkernel, dbias = F.conv2d_backward(dy, x, kernel, case["strides"], case["pads"])

    kh, kw = case["window"]
    expect_dx, expect_dk = np.zeros_like(x), np.zeros_like(kernel)
    for n in range(x.shape[0]):
        for oh, ow, _ in windows(case):
            for i in range(kh):
                for j in range(kw):
                    p = input_position(case, oh, ow, i, j)
                    if p is not None:
                        expect_dk[i, j] += np.outer(x[n, p[0], p[1]], dy[n, oh, ow])
                        expect_dx[n, p[0], p[1]] += kernel[i, j] @ dy[n, oh, ow]
    assert_allclose(dkernel, expect_dk, rtol=1e-10, atol=1e-12)
    assert_allclose(dx, expect_dx, rtol=1e-10, atol=1e-12)
    assert_allclose(dbias, dy.sum(axis=(0, 1, 2)), rtol=1e-12)

    skipped, dkernel2, dbias2 = F.conv2d_backward(dy, x, kernel, case["strides"], case["pads"], need_dx=False)
    assert skipped is None
    assert_array_equal(dkernel2, dkernel)
    assert_array_equal(dbias2, dbias)


def test_output_would_be_empty_raises():
    with pytest.raises(ValueError, match="does not fit"):
        F.im2col(np.zeros((1, 2, 2, 1)), (3, 3), (1, 1), (0, 0, 0, 0))


# ------------------------------------------------------------------------------------------------- pooling


@settings(max_examples=100, deadline=None)
@given(window_cases(max_batch=3, max_size=9, max_channels=4))
def test_maxpool_equals_naive_loops_and_routes_gradient(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal(case["x_shape"])
    y, argmax = F.maxpool2d_forward(x, case["window"], case["strides"], case["pads"])
    assert argmax.dtype == np.int32
    width = x.shape[2]
    for n in range(x.shape[0]):
        for oh, ow, cells in windows(case):
            for c in range(x.shape[3]):
                if not cells:
                    assert y[n, oh, ow, c] == -np.inf and argmax[n, oh, ow, c] == -1
                    continue
                values = [x[n, h, w, c] for h, w in cells]
                best = int(np.argmax(values))
                assert y[n, oh, ow, c] == values[best]
                assert argmax[n, oh, ow, c] == cells[best][0] * width + cells[best][1]

    dy = rng.standard_normal(y.shape)
    dx = F.maxpool2d_backward(dy, argmax, x.shape)
    expect = np.zeros_like(x)
    for (n, oh, ow, c), a in np.ndenumerate(argmax):
        if a >= 0:
            expect[n, a // width, a % width, c] += dy[n, oh, ow, c]
    assert_allclose(dx, expect, rtol=1e-12, atol=0)
    assert np.all(dx[expect == 0] == 0)


def test_maxpool_ties_go_to_the_first_element_in_scan_order():
    x = np.array([[1.0, 3.0, 3.0], [3.0, 2.0, 3.0]]).reshape(1, 2, 3, 1)
    y, argmax = F.maxpool2d_forward(x, (2, 2), (1, 1), (0, 0, 0, 0))
    assert_array_equal(y.ravel(), [3.0, 3.0])
    assert_array_equal(argmax.ravel(), [1, 1])  # both windows pick (0, 1), which then gets both gradients
    dx = F.maxpool2d_backward(np.array([1.0, 10.0]).reshape(1, 1, 2, 1), argmax, x.shape)
    assert_array_equal(dx.ravel(), [0, 11, 0, 0, 0, 0])

    flat = np.zeros((1, 4, 4, 2))
    _, argmax = F.maxpool2d_forward(flat, (2, 2), (2, 2), (0, 0, 0, 0))
    assert_array_equal(argmax[0, :, :, 0], [[0, 2], [8, 10]])


@pytest.mark.parametrize("size,pool,stride", [(5, 2, 1), (5, 2, 2), (6, 3, 2), (4, 3, 1), (3, 4, 3)])
def test_maxpool_same_padding_never_wins(size, pool, stride):
    before, after = same_pads(size, pool, stride)
    pads = (before, after, before, after)
    x = -1.0 - np.random.default_rng(size).random((2, size, size, 3))
    y, argmax = F.maxpool2d_forward(x, (pool, pool), (stride, stride), pads)
    assert np.all(y < -1.0) and np.all(argmax >= 0)
    assert_array_equal(np.take_along_axis(x.reshape(2, -1, 3), argmax.reshape(2, -1, 3), axis=1).ravel(), y.ravel())


def test_maxpool_window_entirely_in_padding():
    x = np.ones((1, 1, 2, 1))
    y, argmax = F.maxpool2d_forward(x, (2, 1), (1, 1), (2, 0, 0, 0))
    assert_array_equal(y[0, :, :, 0], [[-np.inf, -np.inf], [1.0, 1.0]])
    assert_array_equal(argmax[0, :, :, 0], [[-1, -1], [0, 1]])
    dx = F.maxpool2d_backward(np.ones_like(y), argmax, x.shape)
    assert_array_equal(dx.ravel(), [1.0, 1.0])


def test_maxpool_propagates_nan():
    x = np.array([[5.0, np.nan, 7.0, 1.0], [9.0, 2.0, np.nan, np.nan]]).reshape(1, 2, 4, 1)
    y, argmax = F.maxpool2d_forward(x, (2, 2), (2, 2), (0, 0, 0, 0))
    assert np.isnan(y).all()
    assert_array_equal(argmax.ravel(), [1, 6])  # first NaN of each window
    y, argmax = F.maxpool2d_forward(x, (1, 2), (1, 2), (0, 0, 0, 0))
    assert_array_equal(np.isnan(y).ravel(), [True, False, False, True])
    assert_array_equal(argmax.ravel(), [1, 2, 4, 6])


@settings(max_examples=100, deadline=None)
@given(window_cases(max_batch=3, max_size=9, max_channels=4))
def test_avgpool_is_the_mean_of_real_elements_and_backward_is_its_adjoint(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal(case["x_shape"])
    args = (case["window"], case["strides"], case["pads"])
    y = F.avgpool2d_forward(x, *args)
    for oh, ow, cells in windows(case):
        expect = np.mean([x[:, h, w, :] for h, w in cells], axis=0) if cells else 0.0
        assert_allclose(y[:, oh, ow, :], expect, rtol=1e-12, atol=1e-15)
    dy = rng.standard_normal(y.shape)
    dx = F.avgpool2d_backward(dy, x.shape, *args)
    assert dx.shape == x.shape
    assert_allclose(np.vdot(y, dy), np.vdot(x, dx), rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------------------- relu, softmax


def test_relu_forward_and_backward():
    x = np.array([-2.0, -0.0, 0.0, 0.5, np.nan, np.inf, -np.inf], dtype=np.float32)
    y = F.relu_forward(x)
    assert y.dtype == np.float32
    assert_array_equal(y, [0, 0, 0, 0.5, np.nan, np.inf, 0])
    dy = np.arange(1, 8, dtype=np.float32)
    dx = F.relu_backward(dy, y)
    assert dx.dtype == np.float32
    assert_array_equal(dx, [0, 0, 0, 4, 0, 6, 0])


@pytest.mark.parametrize("shape", [(7,), (4, 10), (2, 3, 5)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_rows_sum_to_one_and_ignore_shifts(shape, dtype):
    rng = np.random.default_rng(0)
    x = (3 * rng.standard_normal(shape)).astype(dtype)
    p = F.softmax(x)
    assert p.dtype == dtype and p.shape == x.shape
    assert np.all(p > 0)
    assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-6 if dtype == np.float32 else 1e-14)
    shift = (100 * rng.standard_normal((*shape[:-1], 1))).astype(dtype)
    assert_allclose(F.softmax(x + shift), p, rtol=1e-4 if dtype == np.float32 else 1e-10)


def test_softmax_is_stable_for_large_inputs():
    p = F.softmax(np.array([[1000.0, -1000.0], [-1000.0, -1000.0], [1000.0, 1000.0]]))
    assert np.isfinite(p).all()
    assert_allclose(p, [[1.0, 0.0], [0.5, 0.5], [0.5, 0.5]])


# ---------------------------------------------------------------------------------- sizes, dtypes, inputs


@pytest.mark.parametrize(
    "n,k,stride,out,pads",
    [
        (28, 3, 1, 28, (1, 1)),
        (28, 2, 2, 14, (0, 0)),
        (5, 2, 2, 3, (0, 1)),
        (7, 4, 2, 4, (1, 2)),
        (26, 3, 1, 26, (1, 1)),
        (24, 2, 2, 12, (0, 0)),
        (7, 3, 3, 3, (1, 1)),
        (1, 5, 1, 1, (2, 2)),
        (6, 1, 4, 2, (0, 0)),
        (10, 4, 1, 10, (1, 2)),
    ],
)
def test_same_pads_match_keras(n, k, stride, out, pads):
    assert same_pads(n, k, stride) == pads
    assert conv_output_length(n, k, stride, *pads) == out


def test_valid_output_length():
    assert conv_output_length(28, 3, 1, 0, 0) == 26
    assert conv_output_length(26, 2, 2, 0, 0) == 13
    assert conv_output_length(7, 3, 2, 0, 0) == 3


def all_ops(x, kernel, bias, dy_conv, dy_pool, argmax):
    """Call every public op once on float arrays of one dtype; returns the outputs."""
    args = ((3, 2), (2, 1), (1, 0, 2, 1))
    pool = ((2, 2), (2, 2), (0, 1, 0, 1))
    cols = F.im2col(x, *args)
    return [
        cols,
        F.col2im(cols, x.shape, *args),
        F.conv2d_forward(x, kernel, bias, *args[1:]),
        *F.conv2d_backward(dy_conv, x, kernel, *args[1:]),
        F.maxpool2d_forward(x, *pool)[0],
        F.maxpool2d_backward(dy_pool, argmax, x.shape),
        F.avgpool2d_forward(x, *pool),
        F.avgpool2d_backward(dy_pool, x.shape, *pool),
        F.relu_forward(x),
        F.relu_backward(x, x),
        F.softmax(x),
    ]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_op_keeps_the_dtype_and_leaves_inputs_alone(dtype):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 5, 4, 3)).astype(dtype)
    kernel = rng.standard_normal((3, 2, 3, 4)).astype(dtype)
    bias = rng.standard_normal(4).astype(dtype)
    dy_conv = rng.standard_normal((2, 2, 6, 4)).astype(dtype)  # 5x4 input, (3, 2) kernel, pads and strides above
    dy_pool = rng.standard_normal((2, 3, 2, 3)).astype(dtype)
    argmax = F.maxpool2d_forward(x, (2, 2), (2, 2), (0, 1, 0, 1))[1]
    inputs = [x, kernel, bias, dy_conv, dy_pool, argmax]
    before = [a.copy() for a in inputs]
    for out in all_ops(*inputs):
        assert out.dtype == dtype
    for a, b in zip(inputs, before, strict=True):
        assert_array_equal(a, b)
