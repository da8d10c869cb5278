"""BatchNormalization: float64 gradchecks in both modes, Keras' statistics and weights, config, errors, a model."""

import io

import numpy as np
import pytest

from numcnn import layers as layers_module
from numcnn.gradcheck import check_layer
from numcnn.layers import BatchNormalization, Conv2D, Dense, Flatten, MaxPooling2D
from numcnn.models import Sequential, load_model
from numcnn.utils import to_categorical

TOL = 1e-7


def built_bn(shape, axis=-1, seed=1, **kwargs):
    """A float64 layer with random gamma, beta and moving statistics (variance in [0.5, 2])."""
    layer = BatchNormalization(axis=axis, dtype="float64", **kwargs)
    layer.build((None, *shape[1:]))
    channels = layer.state["moving_mean"].shape
    r = np.random.default_rng(seed)
    values = {
        "gamma": r.standard_normal(channels) + 1.0,
        "beta": r.standard_normal(channels),
        "moving_mean": r.standard_normal(channels),
        "moving_variance": r.uniform(0.5, 2.0, channels),
    }
    layer.set_weights([values[key] for key in (*layer.params, *layer.state)])
    return layer


def inputs(shape, seed=2):
    # not default_rng(0): check_layer draws its probe dy from default_rng(0), and a probe equal to x lies
    # in the null space of the training-mode dx (dx ⟂ x̂), which would make the check compare noise
    return np.random.default_rng(seed).standard_normal(shape) * 1.5 + 0.5


def assert_gradients_match(layer, x, training):
    errors = check_layer(layer, x, training=training)
    assert all(np.isfinite(e) for e in errors.values()), errors
    assert max(errors.values()) <= TOL, errors
    assert set(errors) == {"x", *layer.params}
    return errors


SHAPES = [((6, 4), -1), ((3, 4, 5, 3), -1), ((3, 3, 4, 5), 1), ((6, 4), 1)]


@pytest.mark.parametrize(("shape", "axis"), SHAPES)
@pytest.mark.parametrize("training", [True, False])
def test_gradients_match_central_differences(shape, axis, training):
    assert_gradients_match(built_bn(shape, axis), inputs(shape), training)


@pytest.mark.parametrize(("scale", "center"), [(False, True), (True, False), (False, False)])
@pytest.mark.parametrize("training", [True, False])
def test_gradients_without_gamma_or_beta(scale, center, training):
    layer = built_bn((4, 3, 3, 2), scale=scale, center=center)
    assert ("gamma" in layer.params) == scale and ("beta" in layer.params) == center
    assert_gradients_match(layer, inputs((4, 3, 3, 2)), training)


def test_training_output_uses_batch_statistics():
    x = inputs((8, 2, 3, 4))
    layer = built_bn(x.shape)
    gamma, beta = layer.params["gamma"], layer.params["beta"]
    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))  # np.var: the biased variance
    expected = gamma * (x - mean) / np.sqrt(var + 1e-3) + beta
    np.testing.assert_allclose(layer.forward(x, training=True), expected, rtol=1e-12, atol=1e-12)


def test_inference_output_uses_moving_statistics_and_leaves_them():
    x = inputs((5, 3, 3, 4))
    layer = built_bn(x.shape)
    before = [w.copy() for w in layer.weights]
    gamma, beta = layer.params["gamma"], layer.params["beta"]
    mean, var = layer.state["moving_mean"], layer.state["moving_variance"]
    expected = gamma * (x - mean) / np.sqrt(var + 1e-3) + beta
    np.testing.assert_allclose(layer.forward(x, training=False), expected, rtol=1e-12, atol=1e-12)
    for old, new in zip(before, layer.weights):
        np.testing.assert_array_equal(old, new)


def test_channels_first_axis_matches_channels_last():
    x = inputs((4, 5, 3, 2))
    last, first = built_bn(x.shape, axis=-1), built_bn((4, 2, 5, 3), axis=1)
    y_last = last.forward(x, training=True)
    y_first = first.forward(np.ascontiguousarray(x.transpose(0, 3, 1, 2)), training=True)
    np.testing.assert_allclose(y_first.transpose(0, 2, 3, 1), y_last, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(first.state["moving_variance"], last.state["moving_variance"], rtol=1e-12)


def test_moving_statistics_follow_keras_update_with_biased_variance():
    x1, x2 = inputs((10, 3), seed=3), inputs((10, 3), seed=4) * 2.0
    layer = BatchNormalization(momentum=0.9, dtype="float64")
    layer.build((None, 3))
    mean, var, unbiased = np.zeros(3), np.ones(3), np.ones(3)
    for x in (x1, x2):
        layer.forward(x, training=True)
        mean = mean * 0.9 + x.mean(axis=0) * 0.1
        var = var * 0.9 + x.var(axis=0) * 0.1  # ddof=0, as Keras 3's ops.moments
        unbiased = unbiased * 0.9 + x.var(axis=0, ddof=1) * 0.1  # what PyTorch would track
        np.testing.assert_allclose(layer.state["moving_mean"], mean, rtol=1e-13)
        np.testing.assert_allclose(layer.state["moving_variance"], var, rtol=1e-13)
    assert not np.allclose(layer.state["moving_variance"], unbiased, rtol=1e-3)


def test_moving_statistics_updated_in_place():
    layer = BatchNormalization(dtype="float64")
    layer.build((None, 3))
    arrays = [*layer.params.values(), *layer.state.values()]
    layer.forward(inputs((4, 3)), training=True)
    assert all(a is b for a, b in zip(arrays, [*layer.params.values(), *layer.state.values()]))
    assert not np.array_equal(layer.state["moving_mean"], np.zeros(3))


def test_not_trainable_layer_runs_in_inference_mode_like_keras():
    x = inputs((6, 4))
    layer = built_bn(x.shape)
    frozen_moving = layer.state["moving_mean"].copy()
    inference = layer.forward(x, training=False)
    layer.trainable = False
    np.testing.assert_array_equal(layer.forward(x, training=True), inference)
    np.testing.assert_array_equal(layer.state["moving_mean"], frozen_moving)


def test_float32_stays_float32():
    layer = BatchNormalization()
    x = inputs((4, 3, 3, 2)).astype(np.float32)
    y = layer(x, training=True)
    assert y.dtype == np.float32 and layer.backward(np.ones_like(y)).dtype == np.float32
    assert all(w.dtype == np.float32 for w in layer.weights)
    assert layer.grads["gamma"].dtype == np.float32


def test_input_gradient_can_be_skipped_but_parameter_gradients_are_not():
    layer = built_bn((4, 3))
    x = inputs((4, 3))
    layer.forward(x, training=True)
    full = layer.backward(np.ones((4, 3)) * np.arange(4)[:, None])
    grads = {k: g.copy() for k, g in layer.grads.items()}
    assert layer.backward_weights(np.ones((4, 3)) * np.arange(4)[:, None]) is None
    assert full is not None
    for key, g in grads.items():
        np.testing.assert_array_equal(layer.grads[key], g)


def test_weights_in_keras_order_and_counts():
    layer = BatchNormalization()
    layer.build((None, 7, 7, 64))
    assert list(layer.params) == ["gamma", "beta"]
    assert list(layer.state) == ["moving_mean", "moving_variance"]
    assert [w.shape for w in layer.get_weights()] == [(64,)] * 4
    gamma, beta, moving_mean, moving_variance = layer.get_weights()
    assert np.all(gamma == 1) and np.all(beta == 0) and np.all(moving_mean == 0) and np.all(moving_variance == 1)
    assert layer.count_params() == 256

    model = Sequential([Conv2D(64, 3, input_shape=(5, 5, 1)), BatchNormalization()])
    lines = []
    model.summary(print_fn=lines.append)
    assert "Total params: 896" in lines and "Trainable params: 768" in lines  # conv 640 + BN 128
    assert "Non-trainable params: 128" in lines


def test_scale_and_center_false_drop_their_weights():
    layer = BatchNormalization(scale=False, center=False)
    layer.build((None, 5))
    assert layer.params == {} and layer.grads == {} and layer.count_params() == 10
    only_beta = BatchNormalization(scale=False)
    only_beta.build((None, 5))
    assert list(only_beta.params) == ["beta"]


def test_config_round_trip():
    layer = BatchNormalization(
        axis=1, momentum=0.9, epsilon=1e-5, center=False, gamma_initializer="random_normal", name="bn"
    )
    config = layer.get_config()
    assert config["axis"] == 1 and config["momentum"] == 0.9 and config["epsilon"] == 1e-5
    assert config["center"] is False and config["scale"] is True
    assert config["gamma_initializer"]["class_name"] == "RandomNormal"
    again = layers_module.deserialize({"class_name": "BatchNormalization", "config": config})
    assert isinstance(again, BatchNormalization)
    assert again.get_config() == config


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"momentum": 1.5}, ValueError, r"'momentum': expected a number in \[0.0, 1.0\). Received: momentum=1.5"),
        ({"momentum": 1.0}, ValueError, r"Received: momentum=1.0"),
        ({"momentum": "0.9"}, TypeError, r"'momentum': expected a number"),
        ({"epsilon": 0}, ValueError, r"'epsilon': expected a positive number. Received: epsilon=0"),
        ({"epsilon": float("nan")}, ValueError, r"'epsilon': expected a positive number"),
        ({"axis": 0}, ValueError, r"'axis': expected a non-batch axis \(not 0\). Received: axis=0"),
        ({"axis": 1.0}, TypeError, r"'axis': expected an integer"),
        ({"center": "yes"}, TypeError, r"'center': expected True or False. Received: center='yes'"),
        ({"scale": None}, TypeError, r"'scale': expected True or False"),
        ({"gamma_initializer": "nope"}, ValueError, r"'initializer'"),
        ({"unknown": 1}, TypeError, r"unexpected keyword argument"),
    ],
)
def test_argument_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        BatchNormalization(**kwargs)


@pytest.mark.parametrize(("axis", "shape"), [(2, (None, 5)), (-3, (None, 5)), (-4, (None, 2, 3, 4))])
def test_axis_outside_the_input_is_refused_at_build(axis, shape):
    layer = BatchNormalization(axis=axis)
    with pytest.raises(ValueError, match=rf"'axis': expected a non-batch axis of inputs of rank {len(shape)}"):
        layer.build(shape)
    assert not layer.built and layer.weights == []


def separable_data(n=96, seed=5):
    """Bright-left vs bright-right vs dark 8x8 images: learnable in a few steps."""
    r = np.random.default_rng(seed)
    labels = r.integers(0, 3, n)
    x = r.random((n, 8, 8, 1)).astype(np.float32) * 0.3
    x[labels == 0, :, :4] += 0.7
    x[labels == 1, :, 4:] += 0.7
    return x, to_categorical(labels, 3)


def test_small_model_with_batch_normalization_trains_saves_and_loads(tmp_path):
    x, y = separable_data()
    model = Sequential(
        [
            Conv2D(4, 3, input_shape=(8, 8, 1)),
            BatchNormalization(),
            layers_module.Activation("relu"),
            MaxPooling2D(),
            Flatten(),
            Dense(8),
            BatchNormalization(momentum=0.5),
            Dense(3, activation="softmax"),
        ]
    )
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=16, epochs=8, verbose=0, validation_split=0.25)
    losses = history.history["loss"]
    assert losses[-1] < 0.6 * losses[0], losses
    bn = model.layers[1]
    assert not np.array_equal(bn.state["moving_mean"], np.zeros(4))  # fit updated the moving statistics

    path = tmp_path / "bn.npz"
    model.save(path)
    loaded = load_model(path)
    assert [type(layer).__name__ for layer in loaded.layers] == [type(layer).__name__ for layer in model.layers]
    assert loaded.layers[6].momentum == 0.5
    for saved, restored in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(saved, restored)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    out = io.StringIO()
    loaded.summary(print_fn=lambda line: out.write(line + "\n"))
    assert "Non-trainable params: 24" in out.getvalue()  # 2·4 + 2·8 moving statistics
