"""Regularizers: Keras 3's penalties written out, gradients against central differences, names, configs."""

from __future__ import annotations

import numpy as np
import pytest

from numcnn import regularizers
from numcnn.gradcheck import check_function

W = np.array([[0.5, -2.0], [0.0, 1.5]])


@pytest.mark.parametrize(
    ("reg", "penalty"),
    [
        (regularizers.L1(), 0.01 * 4.0),
        (regularizers.L1(0.1), 0.1 * 4.0),
        (regularizers.L2(), 0.01 * 6.5),  # Keras 3: l2·Σw², no ½
        (regularizers.L1L2(l1=0.1, l2=0.2), 0.1 * 4.0 + 0.2 * 6.5),
        (regularizers.L1L2(), 0.0),
        (regularizers.Regularizer(), 0.0),
    ],
    ids=repr,
)
def test_penalties_are_keras_formulas(reg, penalty):
    assert reg(W) == pytest.approx(penalty)
    assert isinstance(reg(W), float)


def test_orthogonal_regularizer_formula():
    rows = W / np.linalg.norm(W, axis=1, keepdims=True)
    expected = 0.1 * 0.5 * 2 * abs(rows[0] @ rows[1]) / 1  # one pair, counted twice off the diagonal
    assert regularizers.OrthogonalRegularizer(0.1)(W) == pytest.approx(expected)
    assert regularizers.OrthogonalRegularizer(0.1, mode="columns")(np.eye(3)) == 0.0


REGULARIZERS = [
    regularizers.L1(0.3),
    regularizers.L2(0.2),
    regularizers.L1L2(0.1, 0.05),
    regularizers.OrthogonalRegularizer(0.5, "rows"),
    regularizers.OrthogonalRegularizer(0.5, "columns"),
]


@pytest.mark.parametrize("reg", REGULARIZERS, ids=repr)
@pytest.mark.parametrize("shape", [(4, 3), (3, 5)])
def test_gradient_is_the_derivative(rng, reg, shape):
    w = rng.standard_normal(shape)
    w[np.abs(w) < 0.05] = 0.3  # |w| has a kink at 0
    assert check_function(reg, reg.gradient, w) <= 1e-7


@pytest.mark.parametrize("reg", REGULARIZERS[:3], ids=repr)
def test_kernels_of_any_rank_keep_their_dtype(rng, reg):
    w = rng.standard_normal((3, 3, 2, 4)).astype(np.float32)
    w[0, 0, 0, 0] = 0.0
    grad = reg.gradient(w)
    assert grad.dtype == np.float32 and grad.shape == w.shape
    assert grad[0, 0, 0, 0] == 0.0  # sign(0) = 0: an exact zero weight gets no L1 push
    assert check_function(reg, reg.gradient, np.where(w == 0, 0.5, w).astype(np.float64)) <= 1e-7


@pytest.mark.parametrize(
    ("name", "cls"),
    [("l1", "L1"), ("L2", "L2"), ("l1l2", "L1L2"), ("l1_l2", "L1L2"), ("orthogonal_regularizer", "Orthogonal")],
)
def test_names_resolve(name, cls):
    assert type(regularizers.get(name)).__name__.startswith(cls)


def test_lowercase_aliases_are_the_classes():
    assert regularizers.l1 is regularizers.L1 and regularizers.l2 is regularizers.L2
    assert regularizers.l1_l2 is regularizers.L1L2
    assert regularizers.l1_l2(l1=0.1).get_config() == {"l1": 0.1, "l2": 0.0}
    assert regularizers.get(None) is None


@pytest.mark.parametrize("reg", REGULARIZERS, ids=repr)
def test_config_round_trip(reg):
    again = regularizers.deserialize(regularizers.serialize(reg))
    assert type(again) is type(reg) and again.get_config() == reg.get_config()
    assert again(W) == reg(W)


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: regularizers.L1(-0.1), ValueError, "'l1'"),
        (lambda: regularizers.L2(float("nan")), ValueError, "'l2'"),
        (lambda: regularizers.L1L2(l1="0.1"), TypeError, "'l1'"),
        (lambda: regularizers.OrthogonalRegularizer(mode="diagonal"), ValueError, "'mode'"),
        (lambda: regularizers.OrthogonalRegularizer()(np.ones((2, 2, 2))), ValueError, "rank 2"),
        (lambda: regularizers.get("l3"), ValueError, "'regularizer'"),
    ],
)
def test_bad_arguments_raise_house_style_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()
