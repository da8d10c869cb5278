"""The numba batch normalization ops against the NumPy references: forward in training and inference, the
gradients with and without batch statistics, float64 to 1e-12 and float32 within rounding, on random rows,
image-like rows (exact zeros, constant channels) and blocks enough to split across threads."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numcnn.backend import numba as K
from numcnn.backend import numpy as F


def _rows(m, c, kind, dtype, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((m, c)) * 3 + 1
    if kind == "image":  # mostly exact zeros, strokes of ones, one constant channel
        x = np.where(rng.random((m, c)) < 0.7, 0.0, 1.0)
        x[:, 0] = 0.5
    return x.astype(dtype)


def _close(got, want, dtype, scale=None):
    scale = max(float(np.abs(want).max()), 1e-30) if scale is None else scale
    assert float(np.abs(got - want).max()) <= (1e-12 if dtype == np.float64 else 2e-5) * scale


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 9000), st.integers(1, 40), st.sampled_from(["random", "image"]),
    st.sampled_from([np.float32, np.float64]), st.booleans(), st.booleans(), st.integers(0, 2**32 - 1),
)  # fmt: skip
def test_batchnorm_ops_equal_the_references(m, c, kind, dtype, training, need_dx, seed):
    """float64: the twins agree to 1e-12. float32: the numba op (float64 sums) is held to the float64
    reference on the same values within float32 rounding of the result's terms; the float32 reference's own
    sums of thousands of terms are looser than that, so it is not the yardstick there."""
    rows = _rows(m, c, kind, dtype, seed)
    rng = np.random.default_rng(seed + 1)
    gamma, beta = rng.standard_normal(c).astype(dtype), rng.standard_normal(c).astype(dtype)
    moving = () if training else (rng.standard_normal(c).astype(dtype), rng.random(c).astype(dtype) + 0.1)
    wide = [np.float64(a) if np.ndim(a) == 0 else a.astype(np.float64) for a in (rows, gamma, beta, *moving)]
    got = K.batchnorm_forward(rows, gamma, beta, 1e-3, *moving)
    want = F.batchnorm_forward(wide[0], *wide[1:3], 1e-3, *wide[3:])
    for a, b in zip(got, want):
        assert a.dtype == dtype
        _close(a, b, dtype)
    dy = rng.standard_normal(rows.shape).astype(dtype)
    _, mean, _, inv_std = got
    got = K.batchnorm_backward(dy, rows, mean, inv_std, gamma, training, need_dx)
    args = [a.astype(np.float64) for a in (dy, rows, mean, inv_std, gamma)]
    want = F.batchnorm_backward(*args, training, need_dx)
    terms = float(np.abs(gamma * inv_std).max() * np.abs(dy).max())  # dx's terms are of this size
    for a, b in zip(got, want):
        assert (a is None) == (b is None)
        if b is not None:
            assert a.dtype == dtype
            _close(a, b, dtype, max(float(np.abs(b).max()), terms))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batchnorm_ops_keep_nan_and_leave_their_inputs(dtype):
    rows = _rows(500, 3, "random", dtype, 0)
    rows[7, 1] = np.nan
    before = rows.copy()
    out, mean, variance, _ = K.batchnorm_forward(rows, np.ones(3, dtype), np.zeros(3, dtype), 1e-3)
    assert np.isnan(mean[1]) and np.isnan(variance[1]) and np.isnan(out[:, 1]).all()
    assert not np.isnan(out[:, [0, 2]]).any()
    np.testing.assert_array_equal(rows, before)
