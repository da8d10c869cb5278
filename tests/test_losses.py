"""Losses: Keras' values, float64 gradient checks, and the fused softmax-crossentropy gradient."""

import numpy as np
import pytest

from numcnn import losses
from numcnn.activations import softmax
from numcnn.gradcheck import check_function
from numcnn.utils import to_categorical

TOL = 1e-7


def probabilities(rng, n=4, k=5):
    p = rng.random((n, k)) + 0.05
    return p / p.sum(axis=1, keepdims=True)


def test_categorical_crossentropy_value_matches_the_formula(rng):
    p, y = probabilities(rng), to_categorical(rng.integers(0, 5, 4), 5).astype(np.float64)
    expected = np.mean(-np.log(p[y.astype(bool)]))
    assert losses.get("categorical_crossentropy")(y, p) == pytest.approx(expected, rel=1e-12)


def test_crossentropy_clips_like_keras():
    y = np.array([[1.0, 0.0]])
    p = np.array([[0.0, 1.0]])
    assert losses.categorical_crossentropy(y, p) == pytest.approx(-np.log(1e-7), rel=1e-9)


def test_crossentropy_normalises_rows_first():
    y = np.array([[0.0, 1.0]])
    assert losses.categorical_crossentropy(y, np.array([[1.0, 3.0]])) == pytest.approx(-np.log(0.75))


def test_sparse_and_categorical_agree(rng):
    labels = rng.integers(0, 5, 6)
    p = probabilities(rng, 6)
    dense = losses.categorical_crossentropy(to_categorical(labels, 5).astype(np.float64), p)
    assert losses.sparse_categorical_crossentropy(labels, p) == pytest.approx(dense, rel=1e-12)


@pytest.mark.parametrize("name", ["categorical_crossentropy", "sparse_categorical_crossentropy"])
def test_fused_softmax_gradient_is_the_logit_gradient(rng, name):
    labels = rng.integers(0, 5, 4)
    y = labels if name.startswith("sparse") else to_categorical(labels, 5).astype(np.float64)
    loss = losses.get(name)
    err = check_function(
        lambda z: loss(y, softmax(z)),
        lambda z: loss.softmax_gradient(y, softmax(z)),
        rng.standard_normal((4, 5)),
    )
    assert err <= TOL


def test_fused_gradient_is_stable_for_huge_logits():
    y = np.array([[0.0, 1.0, 0.0]])
    grad = losses.categorical_crossentropy.softmax_gradient(y, softmax(np.array([[1000.0, -1000.0, 0.0]])))
    np.testing.assert_allclose(grad, [[1.0, -1.0, 0.0]], atol=1e-12)


@pytest.mark.parametrize("name", ["categorical_crossentropy", "binary_crossentropy", "mean_squared_error"])
def test_probability_gradients(rng, name):
    loss = losses.get(name)
    p = probabilities(rng)
    y = to_categorical(rng.integers(0, 5, 4), 5).astype(np.float64)
    if name == "binary_crossentropy":
        p = rng.uniform(0.05, 0.95, (4, 5))
    err = check_function(lambda q: loss(y, q), lambda q: loss.gradient(y, q), p)
    assert err <= TOL


def test_sparse_gradient_equals_the_one_hot_gradient(rng):
    labels, p = rng.integers(0, 5, 4), probabilities(rng)
    np.testing.assert_allclose(
        losses.sparse_categorical_crossentropy.gradient(labels, p),
        losses.categorical_crossentropy.gradient(to_categorical(labels, 5).astype(np.float64), p),
    )


def test_unknown_loss_name():
    with pytest.raises(ValueError, match=r"argument 'loss'.*Received: loss='hinge_squared'"):
        losses.get("hinge_squared")
    with pytest.raises(TypeError, match="argument 'loss'"):
        losses.get(3)


def test_sparse_labels_out_of_range_are_named():
    with pytest.raises(ValueError, match=r"label value of 12 which is outside the valid range of \[0, 10\)"):
        losses.sparse_categorical_crossentropy.check_targets(np.array([1, 12]), (2, 10))
    with pytest.raises(ValueError, match=r"label value of -1"):
        losses.sparse_categorical_crossentropy.check_targets(np.array([-1, 2]), (2, 10))


def test_one_hot_width_must_match_the_output():
    with pytest.raises(ValueError, match=r"expected targets of shape \(2, 10\).*Received: y.shape=\(2, 9\)"):
        losses.categorical_crossentropy.check_targets(np.zeros((2, 9)), (2, 10))
