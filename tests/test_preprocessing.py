"""Rescaling and Normalization: values, float64 gradchecks, adapt on arrays, batches, PyDatasets and generators
(checked whole before anything changes), Keras' weights, errors, and both layers at the front of a model."""

import numpy as np
import pytest
from _layer_checks import assert_gradients, images

import numcnn
from numcnn import backend, layers
from numcnn.models import load_model
from numcnn.utils import PyDataset

F64 = {"dtype": "float64"}


def test_rescaling_values_and_gradients(rng):
    x = rng.integers(0, 256, (3, 4, 4, 3)).astype(np.float64)
    layer = layers.Rescaling(1 / 127.5, offset=-1.0, **F64)
    np.testing.assert_array_equal(layer(x), x * (1 / 127.5) - 1.0)  # Keras multiplies
    assert_gradients(layer, x)
    per_channel = layers.Rescaling([1.0, 0.5, 2.0], offset=[0.0, 1.0, -1.0], **F64)
    np.testing.assert_allclose(per_channel(x), x * [1.0, 0.5, 2.0] + [0.0, 1.0, -1.0])
    assert_gradients(per_channel, images(0, (2, 5, 5, 3)))
    assert per_channel.get_config()["scale"] == [1.0, 0.5, 2.0]


def test_rescaling_lines_an_array_scale_up_with_channels_first():
    backend.set_image_data_format("channels_first")
    layer = layers.Rescaling([1.0, 2.0], **F64)
    x = np.ones((1, 2, 3, 3))
    np.testing.assert_array_equal(layer(x)[0, :, 0, 0], [1.0, 2.0])


def test_rescaling_errors():
    with pytest.raises(ValueError, match="argument 'scale'"):
        layers.Rescaling(float("inf"))
    with pytest.raises(TypeError, match="argument 'offset'"):
        layers.Rescaling(1.0, offset="zero")
    with pytest.raises(ValueError, match="argument 'scale': expected a shape that broadcasts"):
        layers.Rescaling([1.0, 2.0])(np.ones((2, 3)))


def test_normalization_with_given_statistics(rng):
    layer = layers.Normalization(mean=[1.0, 2.0], variance=[4.0, 0.0], **F64)
    x = rng.standard_normal((5, 2))
    np.testing.assert_allclose(layer(x), (x - [1.0, 2.0]) / [2.0, 1e-7])  # √variance floored at 1e-7
    assert layer.weights == [] and layer.get_config()["mean"] == [1.0, 2.0]
    assert_gradients(layers.Normalization(mean=3.0, variance=2.0, axis=None, **F64), x)
    inverse = layers.Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0], invert=True, **F64)
    np.testing.assert_allclose(inverse(layer(x)[:, :1].repeat(2, 1)), (x[:, :1] - 1) / 2 * [2.0, 3.0] + [1.0, 2.0])
    assert_gradients(inverse, x)


@pytest.mark.parametrize(("axis", "stats_shape"), [(-1, (3,)), (None, ()), ((1, 3), (4, 3)), (2, (5,))])
def test_adapt_on_an_array_gives_numpy_statistics(axis, stats_shape):
    data = images(1, (12, 4, 5, 3)) * 255.0
    layer = layers.Normalization(axis=axis, **F64)
    layer.adapt(data)
    keep = {(-1,): (3,), (): (), (1, 3): (1, 3), (2,): (2,)}[() if axis is None else tuple(np.atleast_1d(axis))]
    reduce = tuple(d for d in range(4) if d not in keep)
    mean, variance, count = layer.get_weights()
    assert mean.shape == stats_shape and count.dtype == np.int64 and count == 0  # Keras 3 leaves count at 0
    np.testing.assert_allclose(mean, data.mean(axis=reduce).reshape(stats_shape), rtol=1e-12)
    np.testing.assert_allclose(variance, data.var(axis=reduce).reshape(stats_shape), rtol=1e-12)
    y = layer(data)
    np.testing.assert_allclose(y.mean(axis=reduce), 0.0, atol=1e-9)
    assert_gradients(layer, data[:2])


def test_adapt_on_batches_equals_adapt_on_the_whole_array():
    data = np.random.default_rng(3).standard_normal((30, 4)) * [1.0, 5.0, 0.1, 2.0] + [0.0, 3.0, -1.0, 7.0]
    whole = layers.Normalization(**F64)
    whole.adapt(data)

    class Batches(PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return data[i * 10 : (i + 1) * 10], np.zeros(10)

    for source, kwargs in [
        (data, {"batch_size": 7}),
        ([data[:4], data[4:19], data[19:]], {}),
        (Batches(), {}),
        ((b for b in np.split(data, 5)), {}),
        (np.concatenate([data, data * 100]), {"batch_size": 30, "steps": 1}),
    ]:
        layer = layers.Normalization(**F64)
        layer.adapt(source, **kwargs)
        for ours, expected in zip(layer.get_weights()[:2], whole.get_weights()[:2]):
            np.testing.assert_allclose(ours, expected, rtol=1e-12)


def test_adapt_refuses_bad_data_before_changing_anything():
    layer = layers.Normalization()
    layer.adapt(np.ones((4, 3)) * [1.0, 2.0, 3.0])
    before = layer.get_weights()
    bad_sources = [
        ([np.ones((2, 3)), np.full((2, 3), np.nan)], ValueError, "finite values"),
        ([np.ones((2, 3)), np.ones((2, 4))], ValueError, "batches shaped like"),
        ([], ValueError, "at least one batch"),
        ("abc", TypeError, "argument 'data'"),
        ([np.ones((0, 3))], ValueError, "at least one sample"),
        (np.array(["a", "b"]), TypeError, "numeric arrays"),
    ]
    for source, error, match in bad_sources:
        with pytest.raises(error, match=match):
            layer.adapt(source)
        for old, new in zip(before, layer.get_weights()):
            np.testing.assert_array_equal(old, new)
    with pytest.raises(ValueError, match="argument 'steps'"):
        layer.adapt(np.ones((4, 3)), steps=0)
    with pytest.raises(ValueError, match="was given its mean and variance"):
        layers.Normalization(mean=1.0, variance=1.0).adapt(np.ones((4, 3)))


def test_normalization_errors():
    with pytest.raises(ValueError, match="argument 'variance': expected given exactly when mean is given"):
        layers.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="argument 'variance': expected the shape of mean"):
        layers.Normalization(mean=[1.0, 2.0], variance=[1.0])
    with pytest.raises(ValueError, match="argument 'variance': expected non-negative"):
        layers.Normalization(mean=[1.0], variance=[-1.0])
    with pytest.raises(ValueError, match="argument 'mean': expected an array of rank at most 1"):
        layers.Normalization(mean=np.ones((2, 2)), variance=np.ones((2, 2)))
    with pytest.raises(ValueError, match="argument 'axis': expected non-batch axes"):
        layers.Normalization(axis=0)(np.ones((2, 3)))
    with pytest.raises(TypeError, match="argument 'axis'"):
        layers.Normalization(axis="last")
    layer = layers.Normalization()
    layer.ensure_built((None, 2))
    with pytest.raises(ValueError, match=r"weights\[1\].*non-negative variance"):
        layer.set_weights([np.zeros(2), np.array([1.0, -1.0]), np.array(0)])


def test_preprocessing_layers_in_a_model_that_trains_and_round_trips(tmp_path):
    r = np.random.default_rng(0)
    x = (r.random((40, 6, 6, 1)) * 255).astype(np.float32)
    y = np.eye(2, dtype=np.float32)[(x.mean(axis=(1, 2, 3)) > 127).astype(int)]
    norm = layers.Normalization()
    norm.adapt(x / 255.0)
    model = numcnn.Sequential(
        [numcnn.Input((6, 6, 1)), layers.Rescaling(1 / 255.0), norm, layers.Flatten(), layers.Dense(2, "softmax")]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=10, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    np.testing.assert_array_equal(norm.state["count"], 0)  # untouched by fit: non-trainable
    path = tmp_path / "model.npz"
    model.save(path)
    np.testing.assert_allclose(load_model(path).predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
