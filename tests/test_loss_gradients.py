"""Every loss' gradient against central differences in float64: with and without sample weights, from
logits, with label smoothing, on rank-2 and rank-3 outputs, on random and image-like data; the fused
softmax and sigmoid heads against the gradient through the activation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numcnn import losses
from numcnn.activations import sigmoid, softmax
from numcnn.gradcheck import check_function

TOL = 1e-7


def one_hot(labels, k):
    return np.eye(k)[labels]


def probabilities(rng, shape):
    p = rng.random(shape) + 0.05
    return p / p.sum(axis=-1, keepdims=True)


def data_for(loss, rng, shape):
    """``(y_true, y_pred)`` a loss is meant for, away from its kinks (central differences need smoothness)."""
    k = shape[-1]
    labels = rng.integers(0, k, shape[:-1])
    logits = rng.standard_normal(shape) * 2
    if isinstance(loss, losses.SparseCategoricalCrossentropy):
        return labels, logits if loss.from_logits else probabilities(rng, shape)
    if isinstance(loss, (losses.CategoricalCrossentropy, losses.KLDivergence)):
        y = one_hot(labels, k) if isinstance(loss, losses.CategoricalCrossentropy) else probabilities(rng, shape)
        return y, logits if getattr(loss, "from_logits", False) else probabilities(rng, shape)
    if isinstance(loss, losses.BinaryCrossentropy):
        y = (rng.random(shape) > 0.5).astype(np.float64)
        return y, logits if loss.from_logits else rng.uniform(0.05, 0.95, shape)
    if isinstance(loss, (losses.Poisson, losses.MeanSquaredLogarithmicError)):
        return rng.random(shape) * 3, rng.random(shape) * 3 + 0.1
    if isinstance(loss, (losses.Hinge, losses.SquaredHinge)):
        y = (rng.random(shape) > 0.5).astype(np.float64)
        return y, _off_kinks(logits, lambda z: 1 - (2 * y - 1) * z)
    if isinstance(loss, losses.CategoricalHinge):
        return one_hot(labels, k), logits
    y = rng.standard_normal(shape)
    if isinstance(loss, losses.Huber):
        return y, y + _off_kinks(logits, lambda e: np.abs(e) - loss.delta)
    return y, y + _off_kinks(logits, lambda e: e)  # |e| has a kink at 0


def _off_kinks(z, distance):
    """Move entries whose ``distance(z)`` is within 0.05 of 0 (a kink) by 0.2."""
    return np.where(np.abs(distance(z)) < 0.05, z + 0.2, z)


ALL_LOSSES = [
    losses.CategoricalCrossentropy(),
    losses.CategoricalCrossentropy(label_smoothing=0.1),
    losses.CategoricalCrossentropy(from_logits=True),
    losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.3),
    losses.SparseCategoricalCrossentropy(),
    losses.SparseCategoricalCrossentropy(from_logits=True),
    losses.BinaryCrossentropy(),
    losses.BinaryCrossentropy(label_smoothing=0.2),
    losses.BinaryCrossentropy(from_logits=True),
    losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
    losses.KLDivergence(),
    losses.Poisson(),
    losses.MeanSquaredError(),
    losses.MeanAbsoluteError(),
    losses.MeanAbsolutePercentageError(),
    losses.MeanSquaredLogarithmicError(),
    losses.Huber(),
    losses.Huber(delta=0.3),
    losses.LogCosh(),
    losses.CosineSimilarity(),
    losses.Hinge(),
    losses.SquaredHinge(),
    losses.CategoricalHinge(),
]
IDS = [f"{type(loss).__name__}-{i}" for i, loss in enumerate(ALL_LOSSES)]


@pytest.mark.parametrize("loss", ALL_LOSSES, ids=IDS)
@pytest.mark.parametrize("shape", [(4, 5), (3, 2, 4)], ids=["rank2", "rank3"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_gradient_is_the_derivative_of_the_weighted_mean(rng, loss, shape, weighted):
    y, p = data_for(loss, rng, shape)
    w = rng.random(shape[0]) + 0.2 if weighted else None
    err = check_function(lambda q: loss(y, q, sample_weight=w), lambda q: loss.gradient(y, q, sample_weight=w), p)
    assert err <= TOL


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 6), k=st.integers(2, 6), index=st.integers(0, len(ALL_LOSSES) - 1), seed=st.integers(0, 99))
def test_gradients_hold_for_any_batch_and_width(n, k, index, seed):
    loss, rng = ALL_LOSSES[index], np.random.default_rng(seed)
    y, p = data_for(loss, rng, (n, k))
    w = rng.random(n)
    err = check_function(lambda q: loss(y, q, w), lambda q: loss.gradient(y, q, w), p)
    assert err <= TOL


def image_like_targets(rng, n=3, h=4, w=4):
    """Mostly exact zeros with a stroke of ones, as segmentation masks are."""
    y = np.zeros((n, h, w))
    y[:, 1, :] = 1.0
    y[0] = 0.0  # an empty mask
    return y


@pytest.mark.parametrize(
    "loss", [losses.BinaryCrossentropy(), losses.BinaryCrossentropy(from_logits=True), losses.MeanSquaredError()]
)
def test_gradients_on_image_like_masks(rng, loss):
    y = image_like_targets(rng)
    p = rng.standard_normal(y.shape) if getattr(loss, "from_logits", False) else rng.uniform(0.05, 0.95, y.shape)
    w = np.array([1.0, 0.0, 2.5])  # a zero weight must zero that sample's gradient
    err = check_function(lambda q: loss(y, q, w), lambda q: loss.gradient(y, q, w), p)
    assert err <= TOL
    assert np.all(loss.gradient(y, p, w)[1] == 0)


@pytest.mark.parametrize(
    "loss",
    [
        losses.CategoricalCrossentropy(),
        losses.CategoricalCrossentropy(label_smoothing=0.2),
        losses.SparseCategoricalCrossentropy(),
    ],
    ids=["cce", "cce-smoothed", "sparse"],
)
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4)])
def test_fused_softmax_gradient_is_the_logit_gradient(rng, loss, shape):
    labels = rng.integers(0, shape[-1], shape[:-1])
    y = labels if loss.sparse else one_hot(labels, shape[-1])
    w = rng.random(shape[0]) + 0.1
    err = check_function(
        lambda z: loss(y, softmax(z), w),
        lambda z: loss.softmax_gradient(y, softmax(z), w),
        rng.standard_normal(shape),
    )
    assert err <= TOL


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_fused_sigmoid_gradient_is_the_logit_gradient(rng, smoothing):
    loss = losses.BinaryCrossentropy(label_smoothing=smoothing)
    y = (rng.random((5, 3)) > 0.5).astype(np.float64)
    w = rng.random(5)
    err = check_function(
        lambda z: loss(y, sigmoid(z), w), lambda z: loss.sigmoid_gradient(y, sigmoid(z), w), rng.standard_normal((5, 3))
    )
    assert err <= TOL


def test_fused_gradients_are_stable_for_huge_logits():
    y = np.array([[0.0, 1.0, 0.0]])
    grad = losses.CategoricalCrossentropy().softmax_gradient(y, softmax(np.array([[1000.0, -1000.0, 0.0]])))
    np.testing.assert_allclose(grad, [[1.0, -1.0, 0.0]], atol=1e-12)
    logit_grad = losses.CategoricalCrossentropy(from_logits=True).gradient(y, np.array([[1000.0, -1000.0, 0.0]]))
    np.testing.assert_allclose(logit_grad, grad, atol=1e-12)
    grad = losses.BinaryCrossentropy().sigmoid_gradient(np.array([[1.0]]), sigmoid(np.array([[-1000.0]])))
    np.testing.assert_allclose(grad, [[-1.0]])


def test_from_logits_gradient_equals_the_fused_gradient(rng):
    z, labels = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    w = rng.random(6)
    fused = losses.SparseCategoricalCrossentropy().softmax_gradient(labels, softmax(z), w)
    np.testing.assert_allclose(losses.SparseCategoricalCrossentropy(from_logits=True).gradient(labels, z, w), fused)


def test_the_clip_passes_no_gradient_where_it_bites():
    # 1e-9 and 1 − 1e-9 are clipped to [1e-7, 1 − 1e-7], so the loss no longer moves with them
    p = np.array([[1e-9, 0.5, 1 - 1e-9]])
    grad = losses.BinaryCrossentropy().gradient(np.array([[1.0, 1.0, 0.0]]), p)
    assert grad[0, 0] == 0 and grad[0, 1] != 0 and grad[0, 2] == 0


@pytest.mark.parametrize("loss", ALL_LOSSES, ids=IDS)
def test_float32_in_float32_gradient_out(rng, loss):
    y, p = data_for(loss, rng, (4, 5))
    p32 = p.astype(np.float32)
    y32 = y if loss.sparse else y.astype(np.float32)
    grad = loss.gradient(y32, p32)
    assert grad.dtype == np.float32 and grad.shape == p32.shape
    assert loss.per_sample(y32, p32).dtype == np.float64
    np.testing.assert_allclose(grad, loss.gradient(y, p), rtol=2e-4, atol=1e-6)
