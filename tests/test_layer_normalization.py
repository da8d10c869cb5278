"""LayerNormalization (gradchecks over axes and options, statistics, weights, errors, a model) and the
BatchNormalization fixes: no negative moving_variance from set_weights or a file, no epsilon that is 0 in the
layer's dtype, and Keras' gamma/beta regularizers and constraints."""

import numpy as np
import pytest
from _layer_checks import assert_gradients, images

import numcnn
from numcnn import constraints, layers, regularizers
from numcnn.models import load_model

F64 = {"dtype": "float64"}


@pytest.mark.parametrize(
    ("kwargs", "shape"),
    [
        ({}, (3, 6)),
        ({}, (2, 4, 5, 3)),
        ({"axis": [1, 2]}, (3, 4, 5)),
        ({"axis": [1, 2, 3]}, (2, 4, 5, 3)),
        ({"axis": 1}, (3, 4, 5)),
        ({"center": False}, (3, 6)),
        ({"scale": False}, (3, 6)),
        ({"center": False, "scale": False, "epsilon": 1e-5}, (3, 6)),
        ({"rms_scaling": True}, (3, 4, 5)),
    ],
)
def test_gradients(rng, kwargs, shape):
    init = {"gamma_initializer": "random_normal", "beta_initializer": "random_normal"}
    for x in (rng.standard_normal(shape) * 2 + 1, images(1, (shape[0], int(np.prod(shape[1:])), 1, 1)).reshape(shape)):
        errors = assert_gradients(layers.LayerNormalization(**kwargs, **init, **F64), x)
        expected = {"x"} | ({"gamma"} if kwargs.get("scale", True) else set())
        expected |= {"beta"} if kwargs.get("center", True) and not kwargs.get("rms_scaling") else set()
        assert set(errors) == expected


def test_each_sample_is_normalised_over_its_axes(rng):
    x = rng.standard_normal((4, 3, 5)) * 3 + 2
    y = layers.LayerNormalization(axis=[1, 2], epsilon=1e-12, **F64)(x)
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(1, 2)), 1, rtol=1e-9)
    last = layers.LayerNormalization(**F64)
    last(x)
    assert last.params["gamma"].shape == (5,) and list(last.params) == ["gamma", "beta"]  # Keras' order
    flat = layers.LayerNormalization(**F64)(np.zeros((2, 4)))
    np.testing.assert_array_equal(flat, 0)  # a constant sample: ε keeps it finite
    rms = layers.LayerNormalization(rms_scaling=True, epsilon=1e-12, **F64)
    np.testing.assert_allclose(rms(x), x / x.std(axis=-1, keepdims=True), rtol=1e-9)  # Keras' variance scaling


def test_regularizers_constraints_and_errors():
    layer = layers.LayerNormalization(gamma_regularizer="l2", beta_constraint="non_neg")
    layer.ensure_built((None, 4))
    assert isinstance(layer.regularizers["gamma"], regularizers.L2)
    assert isinstance(layer.constraints["beta"], constraints.NonNeg)
    with pytest.raises(ValueError, match="argument 'axis': expected distinct non-batch axes"):
        layers.LayerNormalization(axis=0)(np.ones((2, 3)))
    with pytest.raises(ValueError, match="argument 'axis'"):
        layers.LayerNormalization(axis=[1, 1])(np.ones((2, 3, 4)))
    with pytest.raises(TypeError, match="argument 'axis'"):
        layers.LayerNormalization(axis="channels")
    with pytest.raises(ValueError, match="argument 'epsilon': expected a positive number that is not 0 in float32"):
        layers.LayerNormalization(epsilon=1e-50)
    assert layers.LayerNormalization(epsilon=1e-50, dtype="float64").epsilon == 1e-50


def test_batch_normalization_refuses_a_negative_moving_variance(tmp_path):
    model = numcnn.Sequential([numcnn.Input((3,)), layers.BatchNormalization(), layers.Dense(2)])
    bn = model.layers[0]
    good = model.get_weights()
    bad = [w.copy() for w in good]
    bad[3][1] = -0.5  # moving_variance
    with pytest.raises(ValueError, match=r"weights\[3\]': expected a non-negative moving_variance"):
        bn.set_weights(bad[:4])
    with pytest.raises(ValueError, match="non-negative moving_variance"):
        model.set_weights(bad)
    for old, new in zip(good, model.get_weights()):
        np.testing.assert_array_equal(old, new)  # nothing written
    path = tmp_path / "bn.npz"
    model.save(path)
    tampered = dict(np.load(path, allow_pickle=False))
    tampered["weight:3"] = bad[3]
    np.savez(path, **tampered)
    with pytest.raises(ValueError, match="non-negative moving_variance"):
        load_model(path)
    bn.set_weights([*good[:3], np.zeros(3)])  # zero is fine: ε keeps √ positive
    assert np.isfinite(model.predict(np.ones((2, 3), np.float32), verbose=0)).all()


def test_batch_normalization_refuses_an_epsilon_that_is_zero_in_its_dtype():
    with pytest.raises(ValueError, match="argument 'epsilon': expected a positive number that is not 0 in float32"):
        layers.BatchNormalization(epsilon=1e-50)
    with pytest.raises(ValueError, match="argument 'epsilon'"):
        layers.BatchNormalization.from_config({"epsilon": 1e-46, "name": "bn"})
    layer = layers.BatchNormalization(epsilon=1e-50, dtype="float64")
    layer.ensure_built((None, 2))
    layer.set_weights([np.ones(2), np.zeros(2), np.zeros(2), np.zeros(2)])
    assert np.isfinite(layer(np.ones((2, 2)))).all()


def test_batch_normalization_takes_keras_gamma_and_beta_regularizers_and_constraints():
    layer = layers.BatchNormalization(
        gamma_regularizer="l2", beta_regularizer="l1", gamma_constraint="non_neg", beta_constraint="max_norm"
    )
    layer.ensure_built((None, 4))
    assert isinstance(layer.regularizers["gamma"], regularizers.L2)
    assert isinstance(layer.regularizers["beta"], regularizers.L1)
    assert isinstance(layer.constraints["gamma"], constraints.NonNeg)
    config = layer.get_config()
    assert config["beta_constraint"]["class_name"] == "MaxNorm"
    clone = layers.BatchNormalization.from_config(config)
    assert isinstance(clone.gamma_regularizer, regularizers.L2)


def test_a_model_with_layer_normalization_trains():
    r = np.random.default_rng(2)
    x = r.standard_normal((48, 6)).astype(np.float32) * [1, 10, 0.1, 1, 1, 3]
    y = np.eye(2, dtype=np.float32)[(x[:, 0] > 0).astype(int)]
    model = numcnn.Sequential(
        [
            numcnn.Input((6,)),
            layers.LayerNormalization(gamma_regularizer="l2"),
            layers.Dense(8),
            layers.PReLU(),
            layers.LayerNormalization(center=False),
            layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    history = model.fit(x, y, epochs=10, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
