"""UpSampling2D, cropping, padding, Permute, RepeatVector and the noise layers: values, float64 gradchecks,
the bilinear resize's adjoint, training/inference behaviour and seeding, errors, and a model that trains."""

import numpy as np
import pytest
from _layer_checks import assert_gradients, frozen_draws, images
from hypothesis import given, settings
from hypothesis import strategies as st

import numcnn
from numcnn import layers
from numcnn.backend.numpy.image import resize_bilinear, resize_bilinear_backward
from numcnn.utils import set_random_seed

F64 = {"dtype": "float64"}


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("size", [(2, 2), (1, 3), (3, 2)])
def test_upsampling_gradients(rng, interpolation, data_format, size):
    for x in (images(0, (2, 4, 5, 2)), rng.standard_normal((2, 4, 5, 2))):
        x = x.transpose(0, 3, 1, 2) if data_format == "channels_first" else x
        layer = layers.UpSampling2D(size, data_format=data_format, interpolation=interpolation, **F64)
        assert_gradients(layer, x)
        expected = (4 * size[0], 5 * size[1])
        assert layer(x).shape[2:] == expected if data_format == "channels_first" else layer(x).shape[1:3] == expected


def test_upsampling_values():
    x = np.arange(4.0).reshape(1, 2, 2, 1)
    np.testing.assert_array_equal(layers.UpSampling2D(**F64)(x)[0, :, :, 0], [[0, 0, 1, 1]] * 2 + [[2, 2, 3, 3]] * 2)
    row = layers.UpSampling2D((1, 2), interpolation="bilinear", **F64)(np.array([0.0, 4.0]).reshape(1, 1, 2, 1))
    np.testing.assert_allclose(row.ravel(), [0.0, 1.0, 3.0, 4.0])  # half-pixel centres, clamped at the ends
    constant = np.full((1, 3, 4, 2), 0.7)
    np.testing.assert_allclose(layers.UpSampling2D((3, 2), interpolation="bilinear", **F64)(constant), 0.7)


@settings(max_examples=20, deadline=None)
@given(
    size=st.tuples(st.integers(1, 6), st.integers(1, 6)),
    out=st.tuples(st.integers(1, 12), st.integers(1, 12)),
    seed=st.integers(0, 2**16),
)
def test_bilinear_resize_backward_is_its_adjoint(size, out, seed):
    r = np.random.default_rng(seed)
    x, dy = r.standard_normal((2, *size, 3)), r.standard_normal((2, *out, 3))
    np.testing.assert_allclose(
        np.sum(resize_bilinear(x, out) * dy), np.sum(x * resize_bilinear_backward(dy, x.shape)), rtol=1e-10, atol=1e-12
    )


def test_cropping_padding_permute_repeat_values_and_gradients(rng):
    x = rng.standard_normal((2, 5, 6, 3))
    cases = [
        (layers.Cropping2D(((1, 0), (2, 1)), **F64), x, x[:, 1:, 2:-1]),
        (layers.Cropping2D(1, data_format="channels_first", **F64), x, x[:, :, 1:-1, 1:-1]),
        (layers.Cropping1D((1, 2), **F64), x[..., 0], x[:, 1:-2, :, 0]),
        (layers.ZeroPadding1D((1, 2), **F64), x[..., 0], np.pad(x[..., 0], [(0, 0), (1, 2), (0, 0)])),
        (
            layers.ZeroPadding1D(2, data_format="channels_first", **F64),
            x[..., 0],
            np.pad(x[..., 0], [(0, 0), (0, 0), (2, 2)]),
        ),
        (layers.Permute((2, 1), **F64), x[..., 0], x[..., 0].transpose(0, 2, 1)),
        (layers.Permute((3, 1, 2), **F64), x, x.transpose(0, 3, 1, 2)),
        (layers.RepeatVector(4, **F64), x[:, 0, 0], np.repeat(x[:, None, 0, 0], 4, axis=1)),
    ]
    for layer, inputs, expected in cases:
        np.testing.assert_array_equal(layer(inputs), expected)
        assert layer.compute_output_shape((None, *inputs.shape[1:]))[1:] == expected.shape[1:]
        assert_gradients(layer, inputs)


def test_shape_layer_errors():
    with pytest.raises(ValueError, match="argument 'cropping'"):
        layers.Cropping2D(((3, 2), (0, 0)))(np.ones((1, 5, 5, 1)))
    with pytest.raises(ValueError, match="argument 'cropping'"):
        layers.Cropping1D((2, 2))(np.ones((1, 4, 1)))
    with pytest.raises(TypeError, match="argument 'cropping'"):
        layers.Cropping2D("1")
    with pytest.raises(ValueError, match="argument 'padding'"):
        layers.ZeroPadding1D(-1)
    with pytest.raises(ValueError, match="argument 'dims': expected a permutation"):
        layers.Permute((1, 3))
    with pytest.raises(ValueError, match="argument 'input_shape': expected a shape of rank 3"):
        layers.Permute((2, 1))(np.ones((2, 3, 4, 5)))
    with pytest.raises(ValueError, match="argument 'n'"):
        layers.RepeatVector(0)
    with pytest.raises(ValueError, match="argument 'input_shape'"):
        layers.RepeatVector(2)(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="argument 'interpolation'"):
        layers.UpSampling2D(interpolation="bicubic")
    with pytest.raises(ValueError, match="rank 4"):
        layers.UpSampling2D()(np.ones((2, 3, 4)))


@pytest.mark.parametrize(
    ("make", "shape", "shared"),
    [
        (lambda **k: layers.SpatialDropout2D(0.5, **k), (8, 4, 5, 6), (1, 2)),
        (lambda **k: layers.SpatialDropout2D(0.5, data_format="channels_first", **k), (8, 6, 4, 5), (2, 3)),
        (lambda **k: layers.SpatialDropout1D(0.5, **k), (8, 7, 6), (1,)),
    ],
)
def test_spatial_dropout_drops_whole_channels(make, shape, shared):
    x = np.ones(shape)
    layer = make(seed=3, **F64)
    np.testing.assert_array_equal(layer(x), x)  # inference: the identity
    y = layer(x, training=True)
    assert set(np.unique(y)) <= {0.0, 2.0}
    np.testing.assert_array_equal(y.min(axis=shared), y.max(axis=shared))  # one draw per sample and channel
    assert 0.2 < (y == 0).mean() < 0.8
    np.testing.assert_array_equal(make(seed=3, **F64)(x, training=True), y)  # same seed, same draws
    assert_gradients(frozen_draws(make(seed=3, **F64)), np.random.default_rng(0).standard_normal(shape), training=True)
    assert sorted(layer.get_config()) == sorted(
        ["rate", "seed", "name", "dtype", *(["data_format"] if len(shape) == 4 else [])]
    )


def test_gaussian_noise_and_dropout():
    x = np.ones((400, 50))
    noise = layers.GaussianNoise(0.2, seed=1, **F64)
    np.testing.assert_array_equal(noise(x), x)
    y = noise(x, training=True) - 1
    assert abs(y.mean()) < 0.01 and abs(y.std() - 0.2) < 0.01
    np.testing.assert_array_equal(noise.backward(x), x)
    assert_gradients(frozen_draws(layers.GaussianNoise(0.3, **F64)), images(3, (2, 4, 4, 2)), True)
    dropout = layers.GaussianDropout(0.2, **F64)
    np.testing.assert_array_equal(dropout(x), x)
    set_random_seed(5)
    z = dropout(x, training=True)
    assert abs(z.mean() - 1) < 0.01 and abs(z.std() - np.sqrt(0.2 / 0.8)) < 0.01
    np.testing.assert_array_equal(dropout.backward(2 * x), 2 * z)  # dy · the same noise
    set_random_seed(5)
    np.testing.assert_array_equal(layers.GaussianDropout(0.2, **F64)(x, training=True), z)
    assert_gradients(
        frozen_draws(layers.GaussianDropout(0.3, **F64)), np.random.default_rng(1).standard_normal((3, 4)), True
    )
    for make, match in ((lambda: layers.GaussianNoise(1.5), "stddev"), (lambda: layers.GaussianDropout(1.0), "rate")):
        with pytest.raises(ValueError, match=f"argument '{match}'"):
            make()


def test_a_model_of_shape_layers_trains():
    x = images(2, (32, 6, 6, 2)).astype(np.float32)
    y = x[:, ::2, ::2].reshape(32, -1)[:, :4]
    model = numcnn.Sequential(
        [
            numcnn.Input((6, 6, 2)),
            layers.Cropping2D(1),
            layers.UpSampling2D(interpolation="bilinear"),
            layers.SpatialDropout2D(0.1, seed=1),
            layers.Conv2D(2, 3, activation="relu"),
            layers.GaussianNoise(0.05, seed=2),
            layers.Flatten(),
            layers.Dense(4),
            layers.RepeatVector(2),
            layers.Permute((2, 1)),
            layers.Cropping1D((0, 3)),
            layers.ZeroPadding1D((0, 0)),
            layers.Flatten(),
            layers.GaussianDropout(0.1, seed=3),
            layers.Dense(4),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, epochs=10, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
