"""The focal crossentropies' hand-written gradients against central differences in float64: random and
image-like data, from probabilities and from logits, with class balancing, label smoothing and per-class
alpha, rank 2 and 3, and at exact 0 and 1 where the clip bites; their arguments checked in the house style."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numcnn import losses, metrics
from numcnn.gradcheck import check_function

TOL = 1e-7
BINARY = [
    losses.BinaryFocalCrossentropy(),
    losses.BinaryFocalCrossentropy(gamma=0.0),
    losses.BinaryFocalCrossentropy(gamma=0.5),
    losses.BinaryFocalCrossentropy(gamma=3.0, apply_class_balancing=True, alpha=0.7),
    losses.BinaryFocalCrossentropy(label_smoothing=0.2),
    losses.BinaryFocalCrossentropy(from_logits=True),
    losses.BinaryFocalCrossentropy(from_logits=True, gamma=1.5, apply_class_balancing=True, label_smoothing=0.1),
]
CATEGORICAL = [
    losses.CategoricalFocalCrossentropy(),
    losses.CategoricalFocalCrossentropy(gamma=0.0, alpha=1.0),
    losses.CategoricalFocalCrossentropy(gamma=0.5, label_smoothing=0.1),
    losses.CategoricalFocalCrossentropy(from_logits=True),
    losses.CategoricalFocalCrossentropy(from_logits=True, gamma=3.0, label_smoothing=0.3),
]
ALL = BINARY + CATEGORICAL


def data_for(loss, rng, shape):
    """Targets and predictions away from the clip's bounds (central differences need smoothness there)."""
    if isinstance(loss, losses.BinaryFocalCrossentropy):
        y = (rng.random(shape) > 0.5).astype(np.float64)
        return y, rng.standard_normal(shape) * 3 if loss.from_logits else rng.uniform(0.05, 0.95, shape)
    y = np.eye(shape[-1])[rng.integers(0, shape[-1], shape[:-1])]
    if loss.from_logits:
        # moderate logits: where softmax gives ~1 − 1e-4, 1 − q keeps too few digits for central differences
        return y, rng.standard_normal(shape) * 1.5
    p = rng.random(shape) + 0.05
    return y, p / p.sum(axis=-1, keepdims=True)


def ids(values):
    return [f"{type(v).__name__}-{i}" for i, v in enumerate(values)]


@pytest.mark.parametrize("loss", ALL, ids=ids(ALL))
@pytest.mark.parametrize("shape", [(4, 5), (3, 2, 4)], ids=["rank2", "rank3"])
def test_gradient_is_the_derivative_of_the_weighted_mean(rng, loss, shape):
    y, p = data_for(loss, rng, shape)
    w = rng.random(shape[0]) + 0.2
    err = check_function(lambda q: loss(y, q, sample_weight=w), lambda q: loss.gradient(y, q, sample_weight=w), p)
    assert err <= TOL


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 5), k=st.integers(2, 6), index=st.integers(0, len(ALL) - 1), seed=st.integers(0, 99))
def test_gradients_hold_for_any_batch_and_width(n, k, index, seed):
    loss, rng = ALL[index], np.random.default_rng(seed)
    y, p = data_for(loss, rng, (n, k))
    w = rng.random(n)
    assert check_function(lambda q: loss(y, q, w), lambda q: loss.gradient(y, q, w), p) <= TOL


@pytest.mark.parametrize("loss", BINARY, ids=ids(BINARY))
def test_gradients_on_image_like_masks(rng, loss):
    y = np.zeros((3, 4, 4))
    y[:, 1, :] = 1.0  # a stroke of ones
    y[0] = 0.0  # an empty mask
    p = rng.standard_normal(y.shape) * 3 if loss.from_logits else rng.uniform(0.05, 0.95, y.shape)
    w = np.array([1.0, 0.0, 2.5])
    assert check_function(lambda q: loss(y, q, w), lambda q: loss.gradient(y, q, w), p) <= TOL
    assert np.all(loss.gradient(y, p, w)[1] == 0)  # a zero weight zeroes its sample's gradient


@pytest.mark.parametrize("gamma", [1.0, 2.0, 3.0])
def test_binary_gradient_at_exact_zeros_and_ones(rng, gamma):
    # p exactly right, exactly wrong, and inside: only the focal factor moves the loss at 0 and 1 (the clip
    # holds the crossentropy still), so a step smaller than the clip's ε = 1e-7 sees the true derivative
    loss = losses.BinaryFocalCrossentropy(gamma=gamma, apply_class_balancing=True)
    y = np.array([[1.0, 0.0, 1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0, 0.0, 1.0]])
    p = np.array([[1.0, 0.0, 0.0, 1.0, 0.3, 0.6], [1.0, 0.0, 0.5, 0.2, 0.0, 1.0]])
    scale = p.size  # the mean's 1/(N·K) would leave the step's rounding above the tolerance

    def f(q):
        return loss(y, q) * scale

    err = check_function(f, lambda q: loss.gradient(y, q) * scale, p, eps=1e-8)
    assert err <= TOL
    grad = loss.gradient(y, p)
    assert np.all(np.isfinite(grad)) and grad[0, 2] != 0 and grad[0, 3] != 0  # exactly wrong: the factor's slope


def test_categorical_gradient_with_saturated_rows(rng):
    # a one-hot prediction: its zeros and its one are clipped, so only the normalisation moves the loss
    loss = losses.CategoricalFocalCrossentropy(gamma=2.0)
    y = np.eye(4)[[0, 2, 1]]
    p = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.1, 0.5, 0.3, 0.1]])
    err = check_function(lambda q: loss(y, q) * 3, lambda q: loss.gradient(y, q) * 3, p, eps=5e-8)
    assert err <= TOL


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize(("alpha", "axis"), [([0.2, 0.5, 1.0], -1), (0.4, 1)], ids=["per-class", "axis1"])
def test_per_class_alpha_and_a_class_axis_other_than_the_last(rng, from_logits, alpha, axis):
    loss = losses.CategoricalFocalCrossentropy(alpha=alpha, from_logits=from_logits, axis=axis)
    y, p = data_for(loss, rng, (4, 2, 3))
    if axis == 1:
        y, p = np.moveaxis(y, -1, 1), np.moveaxis(p, -1, 1)
    w = rng.random(4) + 0.1
    assert check_function(lambda q: loss(y, q, w), lambda q: loss.gradient(y, q, w), p) <= TOL


def test_smoothing_on_another_axis_uses_that_axis_width(rng):
    # Keras 3.15.1 divides by the last axis' width whatever the axis; numcnn by the class axis' (as later Keras)
    y, p = data_for(losses.CategoricalFocalCrossentropy(), rng, (3, 2, 5))
    last = losses.categorical_focal_crossentropy(y, p, label_smoothing=0.2)
    moved = losses.categorical_focal_crossentropy(
        np.moveaxis(y, -1, 1), np.moveaxis(p, -1, 1), label_smoothing=0.2, axis=1
    )
    np.testing.assert_allclose(moved, last, rtol=1e-12)


def test_gamma_zero_is_crossentropy():
    y = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    p = np.array([[0.9, 0.2, 0.4], [0.3, 0.6, 0.7]])
    np.testing.assert_allclose(losses.binary_focal_crossentropy(y, p, gamma=0.0), losses.binary_crossentropy(y, p))
    q = p / p.sum(axis=-1, keepdims=True)
    focal = losses.categorical_focal_crossentropy(y / y.sum(-1, keepdims=True), q, gamma=0.0, alpha=1.0)
    np.testing.assert_allclose(focal, losses.categorical_crossentropy(y / y.sum(-1, keepdims=True), q))


def test_names_functions_configs_and_metric_functions():
    for cls, fn in (
        (losses.BinaryFocalCrossentropy, losses.binary_focal_crossentropy),
        (losses.CategoricalFocalCrossentropy, losses.categorical_focal_crossentropy),
    ):
        assert type(losses.get(fn.__name__)) is cls and type(losses.get(fn)) is cls
        loss = cls(gamma=3.0, from_logits=True)
        assert type(losses.deserialize(losses.serialize(loss))) is cls
        assert cls.from_config(loss.get_config()).get_config() == loss.get_config()
        wrapper = metrics.get(getattr(metrics, fn.__name__))
        assert wrapper.name == fn.__name__ and metrics.function_named(fn.__name__) is fn
        rebuilt = metrics.MeanMetricWrapper.from_config(metrics.MeanMetricWrapper(fn, gamma=1.0).get_config())
        assert rebuilt._fn is fn and rebuilt._fn_kwargs == {"gamma": 1.0}


@pytest.mark.parametrize(
    ("make", "argument", "error"),
    [
        (lambda: losses.BinaryFocalCrossentropy(gamma=-1.0), "gamma", ValueError),
        (lambda: losses.BinaryFocalCrossentropy(gamma="2"), "gamma", TypeError),
        (lambda: losses.BinaryFocalCrossentropy(gamma=float("nan")), "gamma", ValueError),
        (lambda: losses.BinaryFocalCrossentropy(alpha=1.5), "alpha", ValueError),
        (lambda: losses.BinaryFocalCrossentropy(apply_class_balancing="yes"), "apply_class_balancing", TypeError),
        (lambda: losses.BinaryFocalCrossentropy(from_logits=1), "from_logits", TypeError),
        (lambda: losses.BinaryFocalCrossentropy(label_smoothing=1.2), "label_smoothing", ValueError),
        (lambda: losses.BinaryFocalCrossentropy(axis=1.0), "axis", TypeError),
        (lambda: losses.BinaryFocalCrossentropy(reduction="sum"), "reduction", ValueError),
        (lambda: losses.CategoricalFocalCrossentropy(gamma=-0.5), "gamma", ValueError),
        (lambda: losses.CategoricalFocalCrossentropy(alpha=-0.1), "alpha", ValueError),
        (lambda: losses.CategoricalFocalCrossentropy(alpha=[0.5, "a"]), "alpha", TypeError),
        (lambda: losses.CategoricalFocalCrossentropy(alpha=[]), "alpha", TypeError),
        (lambda: losses.CategoricalFocalCrossentropy(label_smoothing=-0.1), "label_smoothing", ValueError),
        (lambda: losses.categorical_focal_crossentropy(np.eye(3), np.eye(3), alpha=[0.1, 0.2]), "alpha", ValueError),
        (lambda: losses.binary_focal_crossentropy(np.ones((2, 3)), np.ones((2, 3)), axis=0), "axis", ValueError),
    ],
)
def test_bad_arguments_are_refused_by_name(make, argument, error):
    with pytest.raises(error, match=f"argument '{argument}'"):
        make()
