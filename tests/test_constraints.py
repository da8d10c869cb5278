"""Constraints: Keras 3's projections written out, per-filter axes, dtypes, names and configs."""

from __future__ import annotations

import numpy as np
import pytest

from numcnn import constraints

EPS = 1e-7


def test_max_norm_rescales_only_columns_above_the_limit():
    w = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [3.0, 0.0, 0.0], [3.0, 3.0, 3.0]]).T
    out = constraints.MaxNorm(2.0)(w)
    s = 2 / (EPS + np.sqrt(27))
    expected = np.array([[0, 0, 0], [1 / (1 + EPS), 0, 0], [2 * 3 / (3 + EPS), 0, 0], [3 * s, 3 * s, 3 * s]]).T
    np.testing.assert_allclose(out, expected, rtol=1e-12)


def test_unit_norm_and_min_max_norm():
    w = np.array([[3.0, 0.3], [4.0, 0.4]])
    np.testing.assert_allclose(constraints.UnitNorm()(w), w / (EPS + np.array([5.0, 0.5])), rtol=1e-12)
    # norms 5 and 0.5 move to clip(n, 1, 2) at rate 0.5: halfway there
    desired = 0.5 * np.array([2.0, 1.0]) + 0.5 * np.array([5.0, 0.5])
    out = constraints.MinMaxNorm(min_value=1.0, max_value=2.0, rate=0.5)(w)
    np.testing.assert_allclose(out, w * desired / (EPS + np.array([5.0, 0.5])), rtol=1e-12)


def test_non_neg():
    np.testing.assert_array_equal(constraints.NonNeg()(np.array([-1.0, 0.0, 2.0])), [0.0, 0.0, 2.0])


def test_per_filter_norms_of_a_conv_kernel(rng):
    kernel = rng.standard_normal((3, 3, 2, 4)).astype(np.float32) * 3
    before = kernel.copy()
    out = constraints.MaxNorm(1.0, axis=[0, 1, 2])(kernel)
    assert out.dtype == np.float32 and out.shape == kernel.shape
    np.testing.assert_allclose(np.sqrt(np.sum(out**2, axis=(0, 1, 2))), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(kernel, before)  # the input is never modified


def test_an_all_zero_column_stays_zero():
    w = np.zeros((3, 2))
    for c in (constraints.MaxNorm(), constraints.UnitNorm(), constraints.MinMaxNorm(min_value=0.5)):
        np.testing.assert_array_equal(c(w), w)


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("max_norm", constraints.MaxNorm),
        ("MaxNorm", constraints.MaxNorm),
        ("non_neg", constraints.NonNeg),
        ("unit_norm", constraints.UnitNorm),
        ("min_max_norm", constraints.MinMaxNorm),
    ],
)
def test_names_resolve(name, cls):
    assert type(constraints.get(name)) is cls


def test_lowercase_aliases_are_the_classes():
    assert constraints.max_norm is constraints.MaxNorm and constraints.non_neg is constraints.NonNeg
    assert constraints.unit_norm is constraints.UnitNorm and constraints.min_max_norm is constraints.MinMaxNorm
    assert constraints.get(None) is None


@pytest.mark.parametrize(
    "con",
    [
        constraints.MaxNorm(3.0, axis=1),
        constraints.MaxNorm(1.5, axis=[0, 1, 2]),
        constraints.NonNeg(),
        constraints.UnitNorm(axis=1),
        constraints.MinMaxNorm(0.5, 2.0, 0.7, 1),
    ],
    ids=repr,
)
def test_config_round_trip(rng, con):
    again = constraints.deserialize(constraints.serialize(con))
    assert type(again) is type(con) and again.get_config() == con.get_config()
    w = rng.standard_normal((3, 3, 2, 4))
    np.testing.assert_array_equal(again(w), con(w))


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: constraints.MaxNorm(-1), ValueError, "'max_value'"),
        (lambda: constraints.MaxNorm(axis=1.5), TypeError, "'axis'"),
        (lambda: constraints.MinMaxNorm(min_value=2.0, max_value=1.0), ValueError, "'max_value'"),
        (lambda: constraints.UnitNorm(axis=3)(np.ones((2, 2))), ValueError, "'axis'"),
        (lambda: constraints.get("positive"), ValueError, "'constraint'"),
    ],
)
def test_bad_arguments_raise_house_style_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()
