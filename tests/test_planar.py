"""The planar direct convolution (``numcnn.backend.numba.planar``) against the NumPy reference: forward (bias and
ReLU included), the kernel, bias and input gradients, alone and fused with a max-pool, on image-like and random
inputs, every kernel size 1–7 with 'valid', 'same' and lopsided pads, in float64 and float32."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import image_like

from numcnn.backend import numba as K
from numcnn.backend import numpy as F
from numcnn.backend.numba import conv as KC
from numcnn.backend.numba import conv_backward as KB
from numcnn.backend.numba import planar
from numcnn.backend.numba.geometry import ConvGeometry


@st.composite
def planar_cases(draw):
    kh, kw = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    few_channels = draw(st.booleans())
    c = draw(st.integers(1, 4)) if few_channels else draw(st.integers(5, 9))
    f = draw(st.integers(1, 12)) if few_channels else draw(st.integers(1, 8))
    h, w = draw(st.integers(kh, kh + 9)), draw(st.integers(kw, kw + 9))
    pads = tuple(draw(st.integers(0, k - 1)) for k in (kh, kh, kw, kw))  # top, bottom, left, right
    return draw(st.integers(1, 4)), h, w, c, kh, kw, f, pads, draw(st.integers(0, 2**32 - 1))


def _operands(case, dtype, image):
    n, h, w, c, kh, kw, f, pads, seed = case
    rng = np.random.default_rng(seed)
    if image:
        x = image_like(rng, (n, h, w, 1), ["strokes", "repeated", "empty", "blobs"] * n)[:n]
        x = np.repeat(x, c, axis=-1) * (0.5 + np.arange(c))
    else:
        x = rng.standard_normal((n, h, w, c))
    kernel = rng.standard_normal((kh, kw, c, f)) / np.sqrt(kh * kw * c)
    return x.astype(dtype), kernel.astype(dtype), (rng.standard_normal(f) * 0.1).astype(dtype), pads


def _close(got, want, dtype):
    scale = max(float(np.abs(want).max()), 1e-30)
    bound = 1e-12 if dtype == np.float64 else 1e-5
    assert float(np.abs(got - want).max()) <= bound * scale


@settings(max_examples=60, deadline=None)
@given(planar_cases(), st.sampled_from([np.float32, np.float64]), st.booleans(), st.booleans())
def test_planar_convolution_equals_the_reference(case, dtype, relu, image):
    x, kernel, bias, pads = _operands(case, dtype, image)
    g = ConvGeometry.of(x.shape, kernel.shape, (1, 1), pads)
    assert KC.chunk_convolution(kernel, bias, True, relu, g)[0].__name__ == "planar_direct"
    assert KB.chunk_gradient(kernel, g)[0].__name__ == "planar_direct"
    y = K.conv2d_forward(x, kernel, bias, (1, 1), pads, relu)
    want_y = F.conv2d_forward(x, kernel, bias, (1, 1), pads, relu)
    assert y.dtype == dtype
    _close(y, want_y, dtype)
    dy = np.random.default_rng(case[-1] + 1).standard_normal(y.shape).astype(dtype)
    got = K.conv2d_backward(dy, x, kernel, (1, 1), pads, True, relu_output=y if relu else None)
    want = F.conv2d_backward(dy, x, kernel, (1, 1), pads, True, relu_output=want_y if relu else None)
    for a, b in zip(got, want):
        assert a.dtype == dtype
        _close(a, b, dtype)


@settings(max_examples=20, deadline=None)
@given(planar_cases(), st.booleans())
def test_planar_convolution_fused_with_a_max_pool_equals_the_two_ops(case, need_dx):
    x, kernel, bias, pads = _operands(case, np.float64, True)
    g = ConvGeometry.of(x.shape, kernel.shape, (1, 1), pads)
    if min(g.out_h, g.out_w) < 2:
        return
    pool = ((2, 2), (2, 2), (0, 0, 0, 0))
    y, argmax = K.conv2d_pool_forward(x, kernel, bias, (1, 1), pads, True, *pool)
    conv = F.conv2d_forward(x, kernel, bias, (1, 1), pads, True)
    want_y, want_argmax = F.maxpool2d_forward(conv, *pool)
    _close(y, want_y, np.float64)
    np.testing.assert_array_equal(argmax, want_argmax)  # the same first maximum wins every tie
    dy = np.random.default_rng(case[-1]).standard_normal(y.shape)
    got = K.conv2d_pool_backward(dy, argmax, y, x, kernel, (1, 1), pads, True, need_dx)
    dense = F.maxpool2d_backward(dy, want_argmax, conv.shape)
    want = F.conv2d_backward(dense, x, kernel, (1, 1), pads, need_dx, relu_output=conv)
    for a, b in zip(got, want):
        assert (a is None) == (b is None)
        if b is not None:
            _close(a, b, np.float64)


def test_planes_hold_the_image_at_its_pads_and_zeros_around():
    x = np.arange(2 * 3 * 4 * 2, dtype=np.float64).reshape(2, 3, 4, 2) + 1
    planes = np.full(planar.plane_shape(2, 2, 3, 4, 3, 3), np.nan)  # 'same' 3×3: one pad each side
    planar.to_planes(x, 1, 1, planes)
    want = np.zeros_like(planes)
    want[:, :, 1:4, 1:5] = x.transpose(0, 3, 1, 2)
    np.testing.assert_array_equal(planes, want)
