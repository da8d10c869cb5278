"""Every convolution path keeps the two guarantees of an exact sum on image-like inputs: a window of zeros gives
exactly the bias, and equal windows give equal outputs.
Winograd's arithmetic broke both until its outputs were restored (``numcnn.backend.numba.exact_windows``), which
turned ReLU masks and max-pool ties on real images into wrong gradients: the bias gradient of MNIST's second
convolution was 20–90 % off."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal
from strategies import image_batches

from numcnn.backend import numba as K
from numcnn.backend import numpy as F
from numcnn.backend.numba import conv as KC
from numcnn.backend.numba.geometry import ConvGeometry

# (window, strides, pads, channels, filters) that take each method: direct (3·3·1 inputs, strided), planar
# (stride 1, few channels or filters: a 5×5 'same' first layer, an RGB 3×3, 4 filters), Winograd (3×3 stride 1,
# more channels and filters, with and without 'same' pads), im2col + GEMM (5×5; 3×3 stride 2).
PATHS = {
    "direct": ((3, 3), (2, 2), (0, 0, 0, 0), 1, 12),
    "planar-5x5-same": ((5, 5), (1, 1), (2, 2, 2, 2), 1, 6),
    "planar-grey-3x3": ((3, 3), (1, 1), (0, 0, 0, 0), 1, 32),
    "planar-rgb": ((3, 3), (1, 1), (1, 1, 1, 1), 3, 12),
    "planar-few-filters": ((3, 3), (1, 1), (0, 0, 0, 0), 6, 4),
    "winograd": ((3, 3), (1, 1), (0, 0, 0, 0), 5, 12),
    "winograd-same": ((3, 3), (1, 1), (1, 1, 1, 1), 5, 12),
    "im2col-5x5": ((5, 5), (1, 1), (2, 2, 2, 2), 5, 12),
    "im2col-strided": ((3, 3), (2, 2), (0, 1, 0, 1), 2, 4),
}
METHOD = {"direct": "direct", "winograd": "winograd_f43", "winograd-same": "winograd_f43"}
METHOD.update({name: "planar_direct" for name in PATHS if name.startswith("planar")})


def _inputs(batch, path, dtype, relu_input):
    (x, seed), (window, strides, pads, c, f) = batch, PATHS[path]
    rng = np.random.default_rng(seed)
    x = np.repeat(x[..., :1], c, axis=-1) * (0.5 + np.arange(c))
    if relu_input:  # a ReLU layer's output: exact zeros where its own windows were empty
        x = np.maximum(x - 0.3, 0)
    kernel = rng.standard_normal((*window, c, f)) / np.sqrt(window[0] * window[1] * c)
    bias = rng.standard_normal(f) * 0.1
    return x.astype(dtype), kernel.astype(dtype), bias.astype(dtype), strides, pads


@settings(max_examples=30, deadline=None)
@given(image_batches(max_channels=1), st.sampled_from(sorted(PATHS)), st.sampled_from([np.float32, np.float64]),
       st.booleans(), st.booleans())  # fmt: skip
def test_zero_windows_give_the_bias_and_equal_windows_equal_outputs(batch, path, dtype, relu, relu_input):
    x, kernel, bias, strides, pads = _inputs(batch, path, dtype, relu_input)
    geometry = ConvGeometry.of(x.shape, kernel.shape, strides, pads)
    name = KC.chunk_convolution(kernel, bias, True, relu, geometry)[0].__name__
    assert name == METHOD.get(path, "im2col_gemm")
    y = K.conv2d_forward(x, kernel, bias, strides, pads, relu)
    n, oh, ow, f = y.shape
    windows = F.im2col(x, kernel.shape[:2], strides, pads).reshape(n, oh * ow, -1)
    out = y.reshape(n, oh * ow, f)
    expected_empty = np.maximum(bias, 0) if relu else bias
    for i in range(n):
        empty = ~windows[i].any(axis=1)
        assert_array_equal(out[i][empty], np.broadcast_to(expected_empty, (int(empty.sum()), f)))
        _, first, group = np.unique(windows[i], axis=0, return_index=True, return_inverse=True)
        assert_array_equal(out[i], out[i][first[group.reshape(-1)]])  # each output equals its group's first
    np.testing.assert_allclose(y, F.conv2d_forward(x, kernel, bias, strides, pads, relu), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_equal_windows_far_apart_in_random_images_give_equal_outputs(dtype):
    """Random pixels are unique, so their windows are their own groups; a patch copied elsewhere, a pixel
    repeated once and a pixel equal to a padded zero window's neighbours must still be found."""
    rng = np.random.default_rng(3)
    x = rng.random((2, 12, 13, 5))
    x[0, 7:10, 8:11] = x[0, 1:4, 2:5]  # the same 3×3 window twice, far apart
    x[1, 5, 5] = x[1, 0, 12]  # one repeated pixel: not unique, yet in no equal window
    x[1, 9:12, 0:3] = 0.0  # a window of zeros
    x = x.astype(dtype)
    kernel = rng.standard_normal((3, 3, 5, 12)).astype(dtype)  # Winograd's shape
    bias = rng.standard_normal(12).astype(dtype)
    y = K.conv2d_forward(x, kernel, bias, (1, 1), (0, 0, 0, 0), False)
    assert_array_equal(y[0, 7, 8], y[0, 1, 2])
    assert_array_equal(y[1, 9, 0], bias)
    np.testing.assert_allclose(y, F.conv2d_forward(x, kernel, bias, (1, 1), (0,) * 4), rtol=1e-4, atol=1e-4)


def test_a_nan_weight_still_reaches_every_output_of_winograd():
    """An exact sum over a zero window with a NaN weight is NaN (0·NaN): the restored outputs must not hide it."""
    x = np.zeros((1, 8, 8, 5))  # 5 channels and 12 filters: Winograd, not the planar kernels
    x[0, 2, 2] = 1.0
    kernel = np.ones((3, 3, 5, 12))
    kernel[1, 1, 0, 0] = np.nan
    y = K.conv2d_forward(x, kernel, np.zeros(12), (1, 1), (0, 0, 0, 0))
    assert np.isnan(y[..., 0]).all()
    assert not np.isnan(y[..., 1:]).any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mnist_like_second_layer_bias_gradient_matches_the_reference(dtype):
    """The reported case at op level: a ReLU convolution over the ReLU output of a first one, on a digit-like
    image; the bias gradient through the ReLU mask equals the reference's."""
    rng = np.random.default_rng(7)
    img = np.zeros((2, 16, 16, 1))
    img[:, 4:12, 7:9] = 1.0
    img[1, 3, 3:13] = 0.6
    h = F.conv2d_forward(img, rng.standard_normal((3, 3, 1, 6)) * 0.3, None, (1, 1), (0,) * 4, relu=True)
    kernel, bias = rng.standard_normal((3, 3, 6, 10)) * 0.3, np.zeros(10)  # Winograd's shape (6 → 10 filters)
    h, kernel, bias = h.astype(dtype), kernel.astype(dtype), bias.astype(dtype)
    dy = rng.standard_normal((2, 12, 12, 10)).astype(dtype)
    fast = K.conv2d_backward(
        dy, h, kernel, (1, 1), (0,) * 4, True, K.conv2d_forward(h, kernel, bias, (1, 1), (0,) * 4, True)
    )
    ref = F.conv2d_backward(
        dy, h, kernel, (1, 1), (0,) * 4, True, F.conv2d_forward(h, kernel, bias, (1, 1), (0,) * 4, True)
    )
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for got, want in zip(fast, ref):
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
