"""GroupNormalization and UnitNormalization: gradchecks (random and image-like inputs, every option), the
statistics they promise, Keras 3.15.1's outputs and specs (tests/data/keras_norms/norms.json, written by
tests/data/make_keras_norms.py), configs and errors."""

import copy
import json
from pathlib import Path

import numpy as np
import pytest
from _layer_checks import assert_gradients, images, off_kinks
from hypothesis import given, settings
from hypothesis import strategies as st

import numcnn
from numcnn import constraints, initializers, layers, regularizers
from numcnn.gradcheck import check_layer
from numcnn.saving.keras_config import keras_build_shape, layer_from_keras, layer_to_keras

F64 = {"dtype": "float64"}
RANDOM_WEIGHTS = {"gamma_initializer": "random_normal", "beta_initializer": "random_normal"}
KERAS = json.loads((Path(__file__).parent / "data" / "keras_norms" / "norms.json").read_text())["cases"]


def _inputs(rng, shape):
    """A random batch and an image-like one (zeros, strokes of ones, ties) of ``shape``."""
    flat = images(3, (shape[0], int(np.prod(shape[1:])), 1, 1)).reshape(shape)
    return rng.standard_normal(shape) * 2 + 1, flat


# -- GroupNormalization --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "shape"),
    [
        ({"groups": 2}, (2, 3, 3, 4)),
        ({"groups": 1}, (2, 3, 3, 4)),
        ({"groups": -1}, (2, 3, 3, 4)),
        ({"groups": 3, "axis": 1}, (2, 6, 3, 2)),
        ({"groups": 2, "axis": -2}, (2, 3, 4, 2)),
        ({"groups": 2}, (3, 6)),
        ({"groups": 3}, (2, 5, 6)),
        ({"groups": 2, "center": False}, (2, 3, 4)),
        ({"groups": 2, "scale": False, "epsilon": 1e-5}, (2, 3, 4)),
        ({"groups": 2, "center": False, "scale": False}, (2, 3, 4)),
    ],
)
def test_group_normalization_gradients(rng, kwargs, shape):
    for x in _inputs(rng, shape):
        errors = assert_gradients(layers.GroupNormalization(**kwargs, **RANDOM_WEIGHTS, **F64), x)
        expected = {"x"} | ({"gamma"} if kwargs.get("scale", True) else set())
        assert set(errors) == expected | ({"beta"} if kwargs.get("center", True) else set())


@settings(max_examples=12, deadline=None)
@given(
    n=st.integers(1, 2),
    h=st.integers(1, 3),
    per_group=st.integers(1, 3),
    groups=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_group_normalization_gradients_over_shapes(n, h, per_group, groups, seed):
    # width 3: a group of 2 values standardises to about ±1 whatever they are, a gradient too small to measure
    x = np.random.default_rng(seed).standard_normal((n, h, 3, groups * per_group))
    weights = {f"{w}_initializer": initializers.RandomNormal(seed=seed + i) for i, w in enumerate(("gamma", "beta"))}
    assert_gradients(layers.GroupNormalization(groups, **weights, **F64), x)


def test_each_group_of_each_sample_is_standardised(rng):
    x = rng.standard_normal((3, 4, 5, 6)) * 3 + 2
    y = layers.GroupNormalization(3, epsilon=1e-12, **F64)(x).numpy().reshape(3, 4, 5, 3, 2)
    np.testing.assert_allclose(y.mean(axis=(1, 2, 4)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(1, 2, 4)), 1, rtol=1e-9)
    # one group: the whole sample, as LayerNormalization over every axis; one per channel: instance norm
    whole = layers.LayerNormalization(axis=[1, 2, 3], epsilon=1e-3, **F64)(x)
    np.testing.assert_allclose(layers.GroupNormalization(1, **F64)(x), whole, rtol=1e-12, atol=1e-12)
    mean, var = x.mean(axis=(1, 2), keepdims=True), x.var(axis=(1, 2), keepdims=True)
    instance = layers.GroupNormalization(-1, **F64)
    np.testing.assert_allclose(instance(x), (x - mean) / np.sqrt(var + 1e-3), rtol=1e-12, atol=1e-12)
    assert instance.groups == 6 and instance.get_config()["groups"] == 6  # Keras records the channel count
    flat = layers.GroupNormalization(2, **F64)(np.zeros((2, 3, 4)))
    np.testing.assert_array_equal(flat, 0)  # a constant group: ε keeps it finite


def test_group_normalization_weights_and_shapes():
    layer = layers.GroupNormalization(4, gamma_regularizer="l2", beta_constraint="non_neg")
    assert layer.compute_output_shape((None, 5, 5, 8)) == (None, 5, 5, 8)
    layer.ensure_built((None, 5, 5, 8))
    assert list(layer.params) == ["gamma", "beta"] and layer.params["gamma"].shape == (8,)  # Keras' order
    assert layer.count_params() == 16 and layer.params["gamma"].dtype == np.float32
    assert isinstance(layer.regularizers["gamma"], regularizers.L2)
    assert isinstance(layer.constraints["beta"], constraints.NonNeg)
    assert layers.GroupNormalization(2, axis=1).compute_output_shape((None, 4, 3)) == (None, 4, 3)
    none = layers.GroupNormalization(2, center=False, scale=False)
    none.ensure_built((None, 4))
    assert none.params == {}


def test_group_normalization_config_round_trip(rng):
    layer = layers.GroupNormalization(3, axis=1, epsilon=1e-4, center=False, gamma_regularizer="l1", **F64)
    x = rng.standard_normal((2, 6, 4))
    y = layer(x)
    clone = layers.deserialize(layers.serialize(layer))
    assert isinstance(clone, layers.GroupNormalization) and clone.get_config() == layer.get_config()
    clone.ensure_built((None, 6, 4))
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(clone(x), y)


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: layers.GroupNormalization(0), ValueError, "argument 'groups': expected a positive integer"),
        (lambda: layers.GroupNormalization(-2), ValueError, "argument 'groups'"),
        (lambda: layers.GroupNormalization(2.0), TypeError, "argument 'groups'"),
        (lambda: layers.GroupNormalization(True), TypeError, "argument 'groups'"),
        (lambda: layers.GroupNormalization(axis=[1, 2]), TypeError, "argument 'axis'"),
        (lambda: layers.GroupNormalization(epsilon=0), ValueError, "argument 'epsilon'"),
        (lambda: layers.GroupNormalization(epsilon=1e-50), ValueError, "not 0 in float32"),
        (lambda: layers.GroupNormalization(center="yes"), TypeError, "argument 'center'"),
        (lambda: layers.GroupNormalization(gamma_initializer="nope"), ValueError, "nope"),
        (lambda: layers.GroupNormalization(3)(np.ones((2, 4))), ValueError, "'groups': expected a divisor of the 4"),
        (lambda: layers.GroupNormalization(8)(np.ones((2, 4))), ValueError, "'groups'"),
        (lambda: layers.GroupNormalization(2, axis=0)(np.ones((2, 4))), ValueError, "non-batch axes"),
        (lambda: layers.GroupNormalization(2, axis=3)(np.ones((2, 4))), ValueError, "argument 'axis'"),
    ],
)
def test_group_normalization_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_a_refused_input_leaves_group_normalization_unbuilt():
    layer = layers.GroupNormalization(3)
    with pytest.raises(ValueError, match="'groups'"):
        layer(np.ones((2, 4), np.float32))
    assert not layer.built and layer.params == {}
    assert layer(np.ones((2, 6), np.float32)).shape == (2, 6)


# -- UnitNormalization ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("axis", "shape"),
    [(-1, (3, 5)), (-1, (2, 3, 4, 2)), ([1, 2], (2, 3, 4, 2)), (1, (3, 4, 2)), ((1, 2, 3), (2, 2, 3, 2))],
)
def test_unit_normalization_gradients(rng, axis, shape):
    random, image_like = _inputs(rng, shape)
    for x in (random, off_kinks(image_like)):  # ‖x‖ is not differentiable at an all-zero sample (see below)
        assert_gradients(layers.UnitNormalization(axis, **F64), x)


def test_unit_normalization_has_unit_norms_and_keeps_zero_samples_zero(rng):
    x = rng.standard_normal((4, 3, 5))
    x[1] = 0.0
    x[2, 1] = 0.0
    y = layers.UnitNormalization(**F64)(x).numpy()
    norms = np.linalg.norm(y, axis=-1)
    np.testing.assert_allclose(norms[[0, 2, 3]][norms[[0, 2, 3]] > 0], 1, rtol=1e-12)
    np.testing.assert_array_equal(y[1], 0)
    np.testing.assert_array_equal(y[2, 1], 0)
    both = layers.UnitNormalization([1, 2], **F64)(x).numpy()
    np.testing.assert_allclose(np.sqrt((both**2).sum(axis=(1, 2)))[[0, 2, 3]], 1, rtol=1e-12)
    np.testing.assert_allclose(both, x / np.maximum(np.linalg.norm(x.reshape(4, -1), axis=1), 1e-12)[:, None, None])


def test_unit_normalization_below_epsilon_divides_by_epsilon(rng):
    # Within the clamp (‖x‖ ≤ 1e-12) Keras divides by ε: the map is linear there, and so is its gradient
    x = rng.standard_normal((2, 3)) * 1e-14
    layer = layers.UnitNormalization(**F64)
    np.testing.assert_allclose(layer(x), x * 1e12, rtol=1e-12)
    assert check_layer(layer, x, eps=1e-17)["x"] <= 1e-7
    layer(np.zeros((2, 3)))
    dy = rng.standard_normal((2, 3))
    np.testing.assert_allclose(layer.backward(dy), dy * 1e12, rtol=1e-12)  # finite, as Keras' clamp gives


def test_unit_normalization_config_shapes_and_errors():
    layer = layers.UnitNormalization(axis=(1, 2))
    assert layer.axis == [1, 2] and layer.get_config()["axis"] == [1, 2]  # a tuple is stored as a list
    clone = layers.UnitNormalization.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert layer.compute_output_shape((None, 3, 4, 5)) == (None, 3, 4, 5)
    layer.ensure_built((None, 3, 4))
    assert layer.count_params() == 0
    with pytest.raises(TypeError, match="argument 'axis': expected an integer or a list"):
        layers.UnitNormalization(axis="last")
    with pytest.raises(TypeError, match="argument 'axis'"):
        layers.UnitNormalization(axis=1.0)
    with pytest.raises(ValueError, match="argument 'axis': expected distinct non-batch axes"):
        layers.UnitNormalization(axis=3)(np.ones((2, 3)))
    with pytest.raises(ValueError, match="non-batch axes"):
        layers.UnitNormalization(axis=[0, 1])(np.ones((2, 3)))
    assert layers.UnitNormalization()(np.ones((2, 4), np.float32)).dtype == np.float32


# -- against Keras 3.15.1 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(KERAS))
def test_outputs_and_specs_equal_keras(name):
    case = KERAS[name]
    spec = case["spec"]
    x = np.array(case["input"], np.float32)
    layer = layer_from_keras(spec)
    layer.ensure_built((None, *x.shape[1:]))
    expected = copy.deepcopy(spec)  # Keras recorded the batch of the call that built it; numcnn builds for None
    if "build_config" in spec:
        assert keras_build_shape(spec)[1:] == x.shape[1:]
        expected["build_config"]["input_shape"][0] = None
    assert layer_to_keras(layer) == expected  # the spec Keras wrote, key for key
    y = layer(x).numpy()
    assert y.dtype == np.float32 and y.shape == np.shape(case["output"])
    np.testing.assert_allclose(y, case["output"], rtol=2e-5, atol=2e-6)
    if "loss" in case:  # the penalty the model adds to its loss: y == output reduces the loss to it
        model = numcnn.Sequential([numcnn.Input(x.shape[1:]), layer])
        model.compile(loss="mse")
        assert model.test_on_batch(x, y) == pytest.approx(case["loss"], rel=1e-5)
