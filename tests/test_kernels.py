"""The numba ops (numcnn.backend.numba) agree with the NumPy references (numcnn.backend.numpy) on every op."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import _winograd_bounds as winograd_bounds
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from strategies import DTYPES, window_cases

from numcnn.backend import numba as K
from numcnn.backend import numpy as F
from numcnn.backend.numba import conv as KC
from numcnn.backend.numba import geometry, winograd
from numcnn.backend.numba.direct_conv import MAX_DIRECT_WIDTH
from numcnn.backend.numba.geometry import ConvGeometry

ROOT = Path(__file__).resolve().parents[1]


def tolerance(dtype):
    """For results whose summation order may differ (GEMM blocking, chunks)."""
    return {"rtol": 1e-5, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-12}


def noncontiguous(a):
    """The same values as ``a`` in a strided, non-C-contiguous view."""
    wide = np.zeros((*a.shape[:-1], 2 * a.shape[-1]), dtype=a.dtype)
    wide[..., ::2] = a
    view = wide[..., ::2]
    assert a.size <= 1 or not view.flags.c_contiguous
    return view


def make_arrays(case, layout=lambda a: a):
    rng = np.random.default_rng(case["seed"])
    dtype = case["dtype"]
    x = layout(rng.standard_normal(case["x_shape"]).astype(dtype))
    kernel = layout(rng.standard_normal((*case["window"], case["x_shape"][3], case["filters"])).astype(dtype))
    bias = rng.standard_normal(case["filters"]).astype(dtype)
    return rng, x, kernel, bias


def check_unchanged(arrays, copies):
    for a, b in zip(arrays, copies, strict=True):
        assert_array_equal(a, b)


@settings(max_examples=100, deadline=None)
@given(window_cases(), st.booleans())
def test_im2col_and_col2im_match(case, contiguous):
    rng, x, _, _ = make_arrays(case, (lambda a: a) if contiguous else noncontiguous)
    args = (case["window"], case["strides"], case["pads"])
    x_copy = x.copy()
    cols = K.im2col(x, *args)
    assert cols.dtype == x.dtype
    assert_array_equal(cols, F.im2col(x, *args))
    y = rng.standard_normal(cols.shape).astype(x.dtype)
    y = y if contiguous else noncontiguous(y)
    y_copy = y.copy()
    dx = K.col2im(y, x.shape, *args)
    assert dx.dtype == x.dtype
    assert_allclose(dx, F.col2im(y, x.shape, *args), **tolerance(x.dtype))
    check_unchanged([x, y], [x_copy, y_copy])


@settings(max_examples=100, deadline=None)
@given(window_cases(), st.booleans(), st.sampled_from([None, 1, 200]))
def test_conv_forward_and_backward_match(case, contiguous, chunk_bytes):
    # chunk_bytes=1 processes one image per chunk; 200 gives a few chunks of uneven sizes on these shapes.
    rng, x, kernel, bias = make_arrays(case, (lambda a: a) if contiguous else noncontiguous)
    args = (case["strides"], case["pads"])
    winograd = case["window"] == (3, 3) and case["strides"] == (1, 1)  # 3×3 stride 1 takes Winograd ...
    direct = 9 * x.shape[3] <= MAX_DIRECT_WIDTH  # ... except a few-input window's forward and kernel gradient
    with pytest.MonkeyPatch.context() as mp:
        if chunk_bytes is not None:
            mp.setattr(geometry, "CHUNK_BYTES", chunk_bytes)
            mp.setattr(geometry, "MIN_ROWS", 1)
        copies = [x.copy(), kernel.copy(), bias.copy()]
        y = K.conv2d_forward(x, kernel, bias, *args)
        assert y.dtype == x.dtype
        if winograd and not direct:  # Winograd's rounding differs from a plain sum: held to its bound
            winograd_bounds.assert_forward(y, x, kernel, bias, case["pads"])
        else:
            assert_allclose(y, F.conv2d_forward(x, kernel, bias, *args), **tolerance(x.dtype))
        assert_allclose(K.conv2d_forward(x, kernel, None, *args), y - bias, **tolerance(x.dtype))

        dy = rng.standard_normal(y.shape).astype(x.dtype)
        dy = dy if contiguous else noncontiguous(dy)
        copies.append(dy.copy())
        got = K.conv2d_backward(dy, x, kernel, *args)
        expected = F.conv2d_backward(dy, x, kernel, *args)
        for g, e in zip(got, expected, strict=True):
            assert g.dtype == x.dtype and g.shape == e.shape
        assert_allclose(got[2], expected[2], **tolerance(x.dtype))
        no_dx = K.conv2d_backward(dy, x, kernel, *args, need_dx=False)
        assert no_dx[0] is None
        if winograd:
            winograd_bounds.assert_backward(got[0], got[1], dy, x, kernel, case["pads"])
        else:
            assert_allclose(got[0], expected[0], **tolerance(x.dtype))
            assert_allclose(got[1], expected[1], **tolerance(x.dtype))
        if winograd and not direct:
            winograd_bounds.assert_backward(None, no_dx[1], dy, x, kernel, case["pads"])
        else:  # the first-layer kernel: a plain sum
            assert_allclose(no_dx[1], expected[1], **tolerance(x.dtype))

        # The fused ReLU: in the epilogue of the forward product, and as a mask on dy going back. The masked
        # gradients are held like the plain ones: Winograd's to its bound, the others to a plain sum's.
        y_relu = K.conv2d_forward(x, kernel, bias, *args, relu=True)
        assert_array_equal(y_relu, np.maximum(y, 0))
        masked = np.where(y_relu > 0, dy, 0).astype(x.dtype)
        expected = F.conv2d_backward(dy, x, kernel, *args, relu_output=y_relu)
        fused = K.conv2d_backward(dy, x, kernel, *args, relu_output=y_relu)
        assert_allclose(fused[2], expected[2], **tolerance(x.dtype))
        if winograd:
            winograd_bounds.assert_backward(fused[0], fused[1], masked, x, kernel, case["pads"])
        else:
            for g, e in zip(fused[:2], expected[:2], strict=True):
                assert_allclose(g, e, **tolerance(x.dtype))
        # Without dx, small windows take the direct kernels: the same gradients.
        first_layer = K.conv2d_backward(dy, x, kernel, *args, need_dx=False, relu_output=y_relu)
        assert_allclose(first_layer[2], expected[2], **tolerance(x.dtype))
        if winograd and not direct:
            winograd_bounds.assert_backward(None, first_layer[1], masked, x, kernel, case["pads"])
        else:
            assert_allclose(first_layer[1], expected[1], **tolerance(x.dtype))
        check_unchanged([x, kernel, bias, dy], copies)


def test_conv_chunks_cover_the_batch(monkeypatch):
    monkeypatch.setattr(geometry, "CHUNK_BYTES", 4 * 2**20)
    per_image = 576 * 288 * 4  # conv2 of the MNIST notebook in float32: 6 images fill a 4 MB chunk
    chunks = geometry.chunks(256, per_image)
    assert chunks[0] == (0, 6) and chunks[-1] == (252, 256) and len(chunks) == 43
    assert all(a == b for (_, a), (b, _) in zip(chunks[:-1], chunks[1:]))  # contiguous, no gaps
    assert geometry.chunks(5, 2**40) == [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]  # one image is the least
    # small images: chunks grow until their products have MIN_ROWS rows, but never below one a thread
    threads = geometry.THREADS
    assert geometry.chunks(32, 7 * 7 * 2304 * 4, rows_per_image=4)[0] == (0, min(32, max(8, -(-32 // threads))))
    assert len(geometry.chunks(256, per_image, rows_per_image=36)) == 43  # the notebook's conv2: unchanged


def test_conv_results_do_not_share_the_scratch_buffer():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 6, 6, 2)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, 2, 4)).astype(np.float32)
    first = K.conv2d_forward(x, kernel, None, (1, 1), (1, 1, 1, 1))
    kept = first.copy()
    K.conv2d_forward(2 * x, kernel, None, (1, 1), (1, 1, 1, 1))
    K.conv2d_backward(first, x.astype(np.float64), kernel.astype(np.float64), (1, 1), (1, 1, 1, 1))
    assert_array_equal(first, kept)
    assert_allclose(K.conv2d_forward(x, kernel, None, (1, 1), (1, 1, 1, 1)), kept, rtol=1e-6)


def discrete_values(rng, shape, dtype, nan_fraction):
    """Few distinct values (many ties), all negative in places, with some NaNs."""
    x = rng.integers(-3, 2, size=shape).astype(dtype)
    x[rng.random(shape) < nan_fraction] = np.nan
    return x


@settings(max_examples=150, deadline=None)
@given(window_cases(), st.sampled_from([0.0, 0.0, 0.1]), st.booleans())
def test_pooling_matches_including_ties_and_nans(case, nan_fraction, contiguous):
    rng = np.random.default_rng(case["seed"])
    x = discrete_values(rng, case["x_shape"], case["dtype"], nan_fraction)
    x = x if contiguous else noncontiguous(x)
    args = (case["window"], case["strides"], case["pads"])
    copies = [x.copy()]

    y, argmax = K.maxpool2d_forward(x, *args)
    expect_y, expect_argmax = F.maxpool2d_forward(x, *args)
    assert y.dtype == x.dtype and argmax.dtype == np.int32
    assert_array_equal(y, expect_y)
    assert_array_equal(argmax, expect_argmax)

    dy = rng.standard_normal(y.shape).astype(x.dtype)
    dy = dy if contiguous else noncontiguous(dy)
    copies.append(dy.copy())
    dx = K.maxpool2d_backward(dy, argmax, x.shape)
    assert dx.dtype == x.dtype
    assert_allclose(dx, F.maxpool2d_backward(dy, argmax, x.shape), **tolerance(x.dtype))

    avg = K.avgpool2d_forward(x, *args)
    assert avg.dtype == x.dtype
    assert_allclose(avg, F.avgpool2d_forward(x, *args), **tolerance(x.dtype))
    dx = K.avgpool2d_backward(dy, x.shape, *args)
    assert dx.dtype == x.dtype
    assert_allclose(dx, F.avgpool2d_backward(dy, x.shape, *args), **tolerance(x.dtype))
    check_unchanged([x, dy], copies)


def test_maxpool_corner_cases_match():
    x = np.array([[5.0, np.nan, 7.0, 1.0], [9.0, 2.0, np.nan, np.nan]]).reshape(1, 2, 4, 1)
    for args in [((2, 2), (2, 2), (0, 0, 0, 0)), ((1, 2), (1, 2), (0, 0, 0, 0)), ((2, 1), (1, 1), (2, 0, 0, 0))]:
        for got, expect in zip(K.maxpool2d_forward(x, *args), F.maxpool2d_forward(x, *args), strict=True):
            assert_array_equal(got, expect)
    y, argmax = K.maxpool2d_forward(-np.ones((1, 3, 3, 1)), (2, 2), (1, 1), (0, 1, 0, 1))
    assert np.all(y == -1) and np.all(argmax >= 0)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(1, 6), min_size=1, max_size=4),
    DTYPES,
    st.integers(0, 2**32 - 1),
    st.booleans(),
)
def test_relu_and_softmax_match(shape, dtype, seed, contiguous):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    x[rng.random(shape) < 0.1] = np.nan
    x = x if contiguous else noncontiguous(x)
    dy = rng.standard_normal(shape).astype(dtype)
    copies = [x.copy(), dy.copy()]
    y = K.relu_forward(x)
    assert y.dtype == dtype
    assert_array_equal(y, F.relu_forward(x))
    assert_array_equal(np.isnan(y), np.isnan(x))
    dx = K.relu_backward(dy, y)
    assert dx.dtype == dtype
    assert_array_equal(dx, F.relu_backward(dy, y))
    finite = np.nan_to_num(x)
    assert_array_equal(K.softmax(finite), F.softmax(finite))
    check_unchanged([x, dy], copies)


def test_same_names_and_signatures():
    import inspect

    assert F.__all__ == K.__all__
    # 13 ops and the fused convolution + max-pool, forward and backward; then the layers' conv2d_input_grad,
    # depthwise convolution (2), affine transform (2), bilinear resize (2) and batch normalization (2)
    assert len(F.__all__) == 24
    for name in F.__all__:
        assert inspect.signature(getattr(K, name)) == inspect.signature(getattr(F, name)), name


def test_import_compiles_nothing_and_only_kernels_import_numba():
    code = (
        "import sys; import numcnn.backend.numpy; assert 'numba' not in sys.modules; "
        "import numcnn.backend.numba.conv as c, numcnn.backend.numba.pool as p, numcnn.backend.numba.elementwise as e; "
        "kernels = [f for m in (c, p, e) for f in vars(m).values() if hasattr(f, 'signatures')]; "
        "assert len(kernels) >= 10 and all(not f.signatures for f in kernels); "
        "import numcnn, numcnn.models, numcnn.training; "
        "import numba, types; "
        "uses_numba = lambda v: v is numba or (not isinstance(v, types.ModuleType) "
        "and (getattr(v, '__module__', None) or '').split('.')[0] == 'numba'); "
        "assert not [m for m in sys.modules if m.startswith('numcnn') and not m.startswith('numcnn.backend.numba') "
        "and any(uses_numba(v) for v in vars(sys.modules[m]).values())]"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, env={"PYTHONPATH": str(ROOT)})


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 300_000), DTYPES, st.integers(0, 2**32 - 1), st.integers(1, 5))
def test_adam_update_matches_the_reference(size, dtype, seed, steps):
    rng = np.random.default_rng(seed)
    start = {"param": rng.standard_normal(size), "m": rng.standard_normal(size), "v": rng.random(size)}
    state = {name: [value.astype(dtype) for _ in range(2)] for name, value in start.items()}  # fast, slow
    for t in range(1, steps + 1):
        grad = rng.standard_normal(size).astype(dtype)
        grad_copy = grad.copy()
        alpha = 0.001 * np.sqrt(1 - 0.999**t) / (1 - 0.9**t)
        for i, impl in enumerate((K, F)):
            impl.adam_update(state["param"][i], grad, state["m"][i], state["v"][i], alpha, 0.9, 0.999, 1e-7)
        assert_array_equal(grad, grad_copy)
    for name, (fast, slow) in state.items():
        assert fast.dtype == dtype
        assert_allclose(fast, slow, **tolerance(dtype)), name


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 300), st.integers(1, 300), st.integers(1, 80), DTYPES, st.integers(0, 2**32 - 1))
def test_matmul_matches(m, k, n, dtype, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)
    got = K.matmul(a, b)
    assert got.dtype == dtype
    # Products summed in another order differ by at most k·eps·(|a|·|b|) elementwise (the standard bound).
    bound = k * np.finfo(dtype).eps * (np.abs(a).astype(np.float64) @ np.abs(b))
    assert np.all(np.abs(got - F.matmul(a, b)) <= bound)
    assert np.all(np.abs(K.matmul(np.asfortranarray(a), b) - got) <= bound)  # any layout


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 3),
    st.integers(3, 13),
    st.integers(3, 13),
    st.integers(5, 9),  # more than 4 channels and 8 filters: fewer take the planar kernels
    st.integers(9, 12),
    st.sampled_from(["valid", "same", "other"]),
    DTYPES,
    st.integers(0, 2**32 - 1),
)
def test_winograd_convolutions_match_the_reference(n, h, w, c, f, padding, dtype, seed):
    """3×3 stride-1 kernels with > 4 input channels and > 8 filters take Winograd F(4×4, 3×3), forward and
    backward: every result within its rounding bound of the exact (float64) convolution; the bias's and ReLU's
    parts as usual."""
    rng = np.random.default_rng(seed)
    pads = {"valid": (0, 0, 0, 0), "same": (1, 1, 1, 1), "other": (2, 0, 1, 2)}[padding]
    x = rng.standard_normal((n, h, w, c)).astype(dtype)
    kernel = rng.standard_normal((3, 3, c, f)).astype(dtype)
    bias = rng.standard_normal(f).astype(dtype)
    assert (
        KC.chunk_convolution(kernel, bias, True, True, ConvGeometry(3, 3, 1, 1, 0, 0, 1, 1, c, f))[0].__name__
        == "winograd_f43"
    )
    y = K.conv2d_forward(x, kernel, bias, (1, 1), pads, relu=True)
    assert y.dtype == dtype
    winograd_bounds.assert_forward(y, x, kernel, bias, pads, relu=True)

    dy = rng.standard_normal(y.shape).astype(dtype)
    dx, dkernel, dbias = K.conv2d_backward(dy, x, kernel, (1, 1), pads, relu_output=y)
    assert dx.dtype == dkernel.dtype == dbias.dtype == dtype
    winograd_bounds.assert_backward(dx, dkernel, np.where(y > 0, dy, 0).astype(dtype), x, kernel, pads)
    assert_allclose(dbias, F.conv2d_backward(dy, x, kernel, (1, 1), pads, relu_output=y)[2], **tolerance(dtype))


def test_the_winograd_bounds_catch_a_wrong_transform(monkeypatch):
    """The bounds are worst cases, yet a kernel transform G with one coefficient 1 % off breaks each of them:
    the forward result, dx and dkernel (G enters all three; B and A are written out in the kernels)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 10, 10, 8)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, 8, 12)).astype(np.float32)  # Winograd's shape, not the planar kernels'
    dy = rng.standard_normal((2, 8, 8, 12)).astype(np.float32)
    pads = (0, 0, 0, 0)
    x64, kernel64 = x.astype(np.float64), kernel.astype(np.float64)
    exact = (
        F.conv2d_forward(x64, kernel64, None, (1, 1), pads),
        *F.conv2d_backward(dy, x64, kernel64, (1, 1), pads)[:2],
    )
    bounds = (winograd_bounds.forward(x, kernel, pads), *winograd_bounds.backward(dy, x, kernel, pads))

    def errors():
        got = (K.conv2d_forward(x, kernel, None, (1, 1), pads), *K.conv2d_backward(dy, x, kernel, (1, 1), pads)[:2])
        return [np.abs(r - e) for r, e in zip(got, exact, strict=True)]

    assert all(np.all(err <= b) for err, b in zip(errors(), bounds, strict=True))
    wrong = winograd._G.copy()
    wrong[3, 1] *= 1.01
    monkeypatch.setattr(winograd, "_G", wrong)
    assert all(np.any(err > b) for err, b in zip(errors(), bounds, strict=True))


@settings(max_examples=40, deadline=None)
@given(window_cases(max_size=9), st.sampled_from([(2, 2, 0), (3, 2, 1), (2, 1, 0)]), st.booleans(), st.booleans())
def test_a_convolution_that_pools_its_own_output_equals_the_two_ops(case, pool, relu, small_chunks):
    """``conv2d_forward(..., pool=...)`` pools each chunk from a thread buffer: the same output and argmax,
    bit for bit, as the convolution followed by the max-pool, for every method, pool geometry and chunking."""
    _, x, kernel, bias = make_arrays(case)
    args = (case["strides"], case["pads"])
    size, stride, pad = pool
    pool_args = ((size, size), (stride, stride), (0, pad, 0, pad))
    y = K.conv2d_forward(x, kernel, bias, *args, relu=relu)
    if y.shape[1] + pad < size or y.shape[2] + pad < size:
        return  # the pool would have an empty output
    with pytest.MonkeyPatch.context() as mp:
        if small_chunks:
            mp.setattr(geometry, "CHUNK_BYTES", 1)  # one image a chunk
            mp.setattr(geometry, "MIN_ROWS", 1)
        for impl in (K, F):
            pooled, argmax = impl.conv2d_pool_forward(x, kernel, bias, *args, relu, *pool_args)
            expected = impl.maxpool2d_forward(impl.conv2d_forward(x, kernel, bias, *args, relu=relu), *pool_args)
            assert_array_equal(pooled, expected[0])
            assert_array_equal(argmax, expected[1])


@settings(max_examples=40, deadline=None)
@given(window_cases(max_size=9), st.sampled_from([(2, 2, 0), (3, 2, 1), (2, 1, 0)]), st.booleans(), st.booleans())
def test_a_pooled_gradient_equals_its_dense_scatter(case, pool, relu, need_dx):
    """A max-pool's unscattered gradient, scattered by the convolution chunk by chunk, gives the same
    gradients as the dense dx — with the ReLU mask, overlapping windows (stride 1) and 'same' pads."""
    rng, x, kernel, bias = make_arrays(case)
    args = (case["strides"], case["pads"])
    y = K.conv2d_forward(x, kernel, bias, *args, relu=relu)
    size, stride, pad = pool
    pool_pads = (0, pad, 0, pad)
    if y.shape[1] + pad < size or y.shape[2] + pad < size:
        return  # the pool would have an empty output
    pooled, argmax = K.maxpool2d_forward(y, (size, size), (stride, stride), pool_pads)
    dpool = rng.standard_normal(pooled.shape).astype(x.dtype)
    relu_output = y if relu else None
    dense_dy = F.maxpool2d_backward(dpool, argmax, y.shape)
    for impl in (K, F):
        got = impl.conv2d_pool_backward(dpool, argmax, pooled, x, kernel, *args, relu, need_dx)
        dense = impl.conv2d_backward(dense_dy, x, kernel, *args, need_dx=need_dx, relu_output=relu_output)
        for g, e in zip(got, dense, strict=True):
            if e is None:
                assert g is None
            else:
                assert_allclose(g, e, **tolerance(x.dtype))
