"""Identity, ActivityRegularization and UpSampling1D: values, gradchecks (random and image-like inputs), shapes,
configs and errors. The activity penalty itself is tested through models in tests/test_activity_regularizers.py."""

import numpy as np
import pytest
from _layer_checks import assert_gradients, images
from hypothesis import given, settings
from hypothesis import strategies as st

from numcnn import layers, regularizers

F64 = {"dtype": "float64"}


# -- Identity ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(3, 5), (2, 4, 4, 3), (2, 3, 2)])
def test_identity_passes_values_and_gradients_through(rng, shape):
    layer = layers.Identity(**F64)
    x = rng.standard_normal(shape)
    np.testing.assert_array_equal(layer(x), x)
    assert layer.compute_output_shape((None, *shape[1:])) == (None, *shape[1:])
    assert_gradients(layers.Identity(**F64), x)
    assert_gradients(layers.Identity(**F64), images(0, (2, 5, 4, 1)))
    layer.ensure_built((None, *shape[1:]))
    assert layer.count_params() == 0 and layer.weights == []


def test_identity_config_and_errors():
    layer = layers.Identity(name="skip", trainable=False)
    clone = layers.deserialize(layers.serialize(layer))
    assert type(clone) is layers.Identity and clone.get_config() == layer.get_config()
    assert set(layer.get_config()) == {"name", "trainable", "dtype"}
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        layers.Identity(units=3)
    with pytest.raises(TypeError, match="argument 'inputs'"):
        layers.Identity()("text")


# -- ActivityRegularization ----------------------------------------------------------------------------------


def test_activity_regularization_passes_values_and_holds_keras_penalty(rng):
    """The layer is the identity; its penalty is its activity_regularizer, which the model adds to the loss and
    the gradients as for any layer (tests/test_activity_regularizers.py holds that)."""
    x = rng.standard_normal((5, 3, 4))
    layer = layers.ActivityRegularization(l1=0.01, l2=0.02, **F64)
    np.testing.assert_array_equal(layer(x), x)
    assert isinstance(layer.activity_regularizer, regularizers.L1L2)
    assert (layer.activity_regularizer.l1, layer.activity_regularizer.l2) == (0.01, 0.02)
    dy = rng.standard_normal(x.shape)
    assert layer.backward(dy) is dy
    assert_gradients(layers.ActivityRegularization(0.1, 0.2, **F64), images(1, (2, 4, 3, 1)))


def test_activity_regularization_config():
    layer = layers.ActivityRegularization(l1=0.5, l2=2)
    config = layer.get_config()
    assert config["l1"] == 0.5 and config["l2"] == 2.0 and "activity_regularizer" not in config  # as Keras'
    clone = layers.ActivityRegularization.from_config(config)
    assert clone.get_config() == config
    assert layers.deserialize(layers.serialize(layer)).get_config() == config
    assert layer.compute_output_shape((None, 3, 2)) == (None, 3, 2)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"l1": -0.1}, ValueError, "argument 'l1'"),
        ({"l2": float("nan")}, ValueError, "argument 'l2'"),
        ({"l1": "0.1"}, TypeError, "argument 'l1'"),
        ({"l2": [0.1]}, TypeError, "argument 'l2'"),
        ({"activity_regularizer": "l2"}, TypeError, "activity_regularizer"),
        ({"rate": 0.1}, TypeError, "unexpected keyword argument"),
    ],
)
def test_activity_regularization_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        layers.ActivityRegularization(**kwargs)


# -- UpSampling1D --------------------------------------------------------------------------------------------


def test_up_sampling1d_repeats_each_step(rng):
    x = np.arange(12, dtype=np.float32).reshape(2, 2, 3)
    y = layers.UpSampling1D()(x).numpy()
    np.testing.assert_array_equal(y, [[x[0, 0], x[0, 0], x[0, 1], x[0, 1]], [x[1, 0], x[1, 0], x[1, 1], x[1, 1]]])
    assert y.dtype == np.float32
    z = rng.standard_normal((3, 5, 2))
    np.testing.assert_array_equal(layers.UpSampling1D(3, **F64)(z), np.repeat(z, 3, axis=1))
    # the same as UpSampling2D on a one-column image, whose nearest repeat it shares
    two_d = layers.UpSampling2D((3, 1), **F64)(z[:, :, None, :]).numpy()[:, :, 0]
    np.testing.assert_array_equal(layers.UpSampling1D(3, **F64)(z), two_d)


@settings(max_examples=10, deadline=None)
@given(size=st.integers(1, 4), n=st.integers(1, 3), steps=st.integers(1, 5), channels=st.integers(1, 3))
def test_up_sampling1d_gradients_and_adjoint(size, n, steps, channels):
    rng = np.random.default_rng(size * 100 + steps)
    x = rng.standard_normal((n, steps, channels))
    assert_gradients(layers.UpSampling1D(size, **F64), x)
    layer = layers.UpSampling1D(size, **F64)
    y = rng.standard_normal((n, steps * size, channels))
    # backward is the adjoint of forward: <up(x), y> = <x, upᵀ(y)>
    assert np.sum(layer(x).numpy() * y) == pytest.approx(np.sum(x * layer.backward(y)), rel=1e-12)


def test_up_sampling1d_on_image_like_rows():
    x = images(2, (4, 5, 3, 1))[..., 0]  # (4, 5, 3): rows of strokes, zeros and ties as sequences
    assert_gradients(layers.UpSampling1D(2, **F64), x)


def test_up_sampling1d_shapes_config_and_errors():
    layer = layers.UpSampling1D(size=4)
    assert layer.compute_output_shape((None, 5, 2)) == (None, 20, 2)
    assert layer.compute_output_shape((None, None, 2)) == (None, None, 2)
    assert layers.UpSampling1D.from_config(layer.get_config()).get_config() == layer.get_config()
    assert layer.get_config()["size"] == 4 and "data_format" not in layer.get_config()  # Keras 3 has none
    with pytest.raises(ValueError, match="argument 'size': expected a positive integer"):
        layers.UpSampling1D(0)
    with pytest.raises(TypeError, match="argument 'size'"):
        layers.UpSampling1D(2.0)
    with pytest.raises(TypeError, match="argument 'size'"):
        layers.UpSampling1D((2,))
    with pytest.raises(ValueError, match="expected a shape of rank 3 .batch, steps, channels."):
        layers.UpSampling1D()(np.ones((2, 3, 4, 1)))
    unbuilt = layers.UpSampling1D()
    with pytest.raises(ValueError, match="rank 3"):
        unbuilt(np.ones((2, 3)))
    assert not unbuilt.built
