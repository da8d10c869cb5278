"""Augmentation layers: inference is the identity, training draws per image (seeded), Keras' factor semantics,
the transforms' exact cases, their backward passes (float64 gradchecks and adjointness), errors, and a model
that trains with them."""

import numpy as np
import pytest
from _layer_checks import assert_gradients, images
from hypothesis import given, settings
from hypothesis import strategies as st

import numcnn
from numcnn import layers
from numcnn.backend.numpy.image import affine_transform, affine_transform_backward
from numcnn.utils import set_random_seed

F64 = {"dtype": "float64"}


def all_layers(**kwargs):
    return [
        layers.RandomFlip(**kwargs),
        layers.RandomTranslation(0.3, 0.2, **kwargs),
        layers.RandomRotation(0.2, **kwargs),
        layers.RandomZoom(0.3, **kwargs),
        layers.RandomContrast(0.5, value_range=(0, 1), **kwargs),
        layers.RandomBrightness(0.3, value_range=(0, 1), **kwargs),
    ]


def test_inference_is_the_identity_and_training_changes_images():
    x = images(0, (6, 7, 8, 2))
    for layer in all_layers(**F64):
        assert layer(x) is not None
        np.testing.assert_array_equal(layer(x), x)
        dy = np.random.default_rng(1).standard_normal(x.shape)
        np.testing.assert_array_equal(layer.backward(dy), dy)
        y = layer(x, training=True)
        assert y.shape == x.shape and y.dtype == np.float64
        assert not np.array_equal(y, x), layer.name


def test_draws_move_on_from_call_to_call():
    layer = layers.RandomRotation(0.3, seed=1, **F64)
    x = images(1, (4, 6, 6, 1))
    assert not np.array_equal(layer(x, training=True), layer(x, training=True))


def test_seeds_make_draws_repeatable():
    x = images(1, (4, 6, 6, 1))
    for make in (
        lambda **k: layers.RandomRotation(0.3, **k),
        lambda **k: layers.RandomFlip(**k),
        lambda **k: layers.RandomContrast((0.2, 0.5), value_range=(0, 1), **k),
    ):
        a, b = make(seed=7, **F64), make(seed=7, **F64)
        first = a(x, training=True)
        np.testing.assert_array_equal(first, b(x, training=True))  # same seed → same draws
        np.testing.assert_array_equal(a(x, training=True), b(x, training=True))  # and the same next ones
        set_random_seed(3)
        c = make(**F64)(x, training=True)
        set_random_seed(3)
        np.testing.assert_array_equal(make(**F64)(x, training=True), c)  # numcnn's generator, reseeded


def draws(layer, count=400, shape=(1, 10, 20, 1)):
    rng = np.random.default_rng(5)
    return np.stack([layer.draw(shape, rng) for _ in range(count)])


def test_factor_semantics_follow_keras_3():
    shifts = draws(layers.RandomTranslation((-0.1, 0.3), 0.2))[:, 0]  # (width, height) in pixels
    assert -4.0 <= shifts[:, 0].min() < -3.5 and 3.5 < shifts[:, 0].max() <= 4.0  # width 20 · [−0.2, 0.2]
    assert -1.0 <= shifts[:, 1].min() < -0.8 and 2.8 < shifts[:, 1].max() <= 3.0  # height 10 · [−0.1, 0.3]
    angles = draws(layers.RandomRotation(0.25))[:, 0]
    assert -90.0 <= angles.min() < -80.0 and 80.0 < angles.max() <= 90.0
    zooms = draws(layers.RandomZoom((0.1, 0.4)))[:, 0]
    assert np.array_equal(zooms[:, 0], zooms[:, 1])  # no width_factor: the height's draw, aspect kept
    assert 1.1 <= zooms.min() < 1.15 and 1.35 < zooms.max() <= 1.4
    zooms = draws(layers.RandomZoom(0.2, width_factor=(-0.5, -0.4)))[:, 0]
    assert zooms[:, 0].min() >= 0.5 and zooms[:, 0].max() <= 0.6
    # Keras 3.15 turns a number f into (0, f): contrast factors in [1, 1 + f]; a pair (a, b) gives [1 − a, 1 + b]
    single = draws(layers.RandomContrast(0.3))[:, 0]
    assert 1.0 <= single.min() < 1.02 and 1.28 < single.max() <= 1.3
    pair = draws(layers.RandomContrast((0.2, 0.5)))[:, 0]
    assert 0.8 <= pair.min() < 0.82 and 1.48 < pair.max() <= 1.5
    flips = draws(layers.RandomFlip())
    assert 0.4 < flips.mean() < 0.6


def test_transforms_exact_cases():
    x = images(2, (3, 6, 6, 2))
    flip = layers.RandomFlip("horizontal_and_vertical", **F64)
    flip.draw = lambda shape, rng: np.array([True, False, True])
    y = flip(x, training=True)
    np.testing.assert_array_equal(y[0], x[0, ::-1, ::-1])  # Keras 3: both flips or none
    np.testing.assert_array_equal(y[1], x[1])
    for mode, expected in (("horizontal", x[:, :, ::-1]), ("vertical", x[:, ::-1])):
        one_way = layers.RandomFlip(mode, **F64)
        one_way.draw = lambda shape, rng: np.ones(3, bool)
        np.testing.assert_array_equal(one_way(x, training=True), expected)
    shift = layers.RandomTranslation(0.5, 0.5, fill_mode="constant", fill_value=0.5, **F64)
    shift.draw = lambda shape, rng: np.array([[2.0, -1.0]] * 3)  # 2 right, 1 up
    shifted = np.full_like(x, 0.5)
    shifted[:, :-1, 2:] = x[:, 1:, :-2]
    np.testing.assert_array_equal(shift(x, training=True), shifted)
    reflect = layers.RandomTranslation(0.5, 0.5, fill_mode="reflect", interpolation="nearest", **F64)
    reflect.draw = lambda shape, rng: np.array([[1.0, 0.0]] * 3)
    np.testing.assert_array_equal(reflect(x, training=True)[:, :, 0], x[:, :, 0])  # d c b a | a b c d
    turn = layers.RandomRotation(0.5, **F64)
    turn.draw = lambda shape, rng: np.full(3, 90.0)
    np.testing.assert_allclose(turn(x, training=True), np.rot90(x, k=1, axes=(1, 2)), atol=1e-12)
    zoom = layers.RandomZoom(0.5, **F64)
    zoom.draw = lambda shape, rng: np.ones((3, 2))
    np.testing.assert_array_equal(zoom(x, training=True), x)


def test_brightness_shifts_each_image_and_stops_the_gradient_where_it_clips():
    layer = layers.RandomBrightness(0.5, value_range=(0, 1), **F64)
    layer.draw = lambda shape, rng: np.array([0.25, -0.5])
    x = np.array([0.0, 0.5, 0.75, 1.0]).reshape(2, 1, 2, 1)
    np.testing.assert_array_equal(layer(x, training=True).ravel(), [0.25, 0.75, 0.25, 0.5])
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)).ravel(), [1, 1, 1, 1])
    layer.draw = lambda shape, rng: np.array([0.25, 0.25])
    np.testing.assert_array_equal(layer(x, training=True).ravel(), [0.25, 0.75, 1.0, 1.0])
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)).ravel(), [1, 1, 1, 0])  # 0.75 + 0.25 on the bound


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_grayscale_uses_luma_weights_and_sends_the_gradient_back_by_them(rng, data_format):
    x = images(4, (3, 5, 6, 3))
    grey = np.array([True, False, True])
    layer = layers.RandomGrayscale(0.5, data_format=data_format, **F64)
    layer.draw = lambda shape, rng: grey
    to_format = (lambda a: a.transpose(0, 3, 1, 2)) if data_format == "channels_first" else (lambda a: a)
    y = layer(to_format(x), training=True)
    luma = x @ np.array([0.2989, 0.5870, 0.1140])
    expected = np.where(grey[:, None, None, None], luma[..., None], x)
    np.testing.assert_allclose(y, to_format(expected), rtol=1e-15)
    for sample in (x, rng.standard_normal(x.shape)):
        errors = assert_gradients(layer, to_format(sample), training=True, params=grey)
        assert set(errors) == {"x"}
    one_channel = images(5, (2, 4, 4, 1))
    np.testing.assert_array_equal(layers.RandomGrayscale(1.0, **F64)(one_channel, training=True), one_channel)
    with pytest.raises(ValueError, match="input_shape.*3 channels"):
        layers.RandomGrayscale(**F64)(np.ones((2, 4, 4, 2)), training=True)


def test_contrast_clips_to_the_value_range_and_stops_the_gradient_there():
    layer = layers.RandomContrast(0.5, value_range=(0, 1), **F64)
    layer.draw = lambda shape, rng: np.array([1.5])
    x = np.array([0.0, 0.2, 0.5, 1.0]).reshape(1, 2, 2, 1)  # mean 0.425
    y = layer(x, training=True)
    np.testing.assert_allclose(y.ravel(), np.clip((x.ravel() - 0.425) * 1.5 + 0.425, 0, 1))
    dx = layer.backward(np.ones_like(x))
    passed = np.array([0.0, 1.0, 1.0, 0.0]).reshape(x.shape)  # the outer two were clipped
    np.testing.assert_allclose(dx, passed * 1.5 + (1 - 1.5) * passed.mean())


FIXED = {
    "flip": (lambda **k: layers.RandomFlip(**k), np.array([True, False, True])),
    "translation": (
        lambda **k: layers.RandomTranslation(0.5, 0.5, **k),
        np.array([[1.3, -0.7], [-2.2, 1.1], [0.4, 2.6]]),
    ),
    "rotation": (
        lambda **k: layers.RandomRotation(0.5, fill_mode="constant", fill_value=0.3, **k),
        np.array([17.0, -40.0, 133.0]),
    ),
    "zoom": (
        lambda **k: layers.RandomZoom(0.5, width_factor=0.5, fill_mode="wrap", **k),
        np.array([[1.13, 0.83], [0.71, 1.21], [1.0, 1.3]]),
    ),
    "zoom_nearest": (
        lambda **k: layers.RandomZoom(0.5, interpolation="nearest", fill_mode="nearest", **k),
        np.array([[1.13, 1.13], [0.71, 0.71], [1.3, 1.3]]),
    ),
    "contrast": (lambda **k: layers.RandomContrast((0.5, 0.5), value_range=(-10, 10), **k), np.array([1.3, 0.6, 1.0])),
    "brightness": (lambda **k: layers.RandomBrightness(0.5, value_range=(-10, 10), **k), np.array([0.3, -2.0, 7.5])),
}


@pytest.mark.parametrize("name", sorted(FIXED))
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_gradients_through_a_fixed_transform(rng, name, data_format):
    make, params = FIXED[name]
    for x in (images(3, (3, 6, 7, 2)), rng.standard_normal((3, 6, 7, 2))):
        x = x.transpose(0, 3, 1, 2) if data_format == "channels_first" else x
        errors = assert_gradients(make(data_format=data_format, **F64), x, training=True, params=params)
        assert set(errors) == {"x"}


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    size=st.tuples(st.integers(1, 7), st.integers(1, 7)),
    fill_mode=st.sampled_from(["reflect", "wrap", "constant", "nearest"]),
    interpolation=st.sampled_from(["bilinear", "nearest"]),
)
def test_backward_is_the_adjoint_of_the_transform(seed, size, fill_mode, interpolation):
    """⟨T x, y⟩ = ⟨x, Tᵀ y⟩ for random projective transforms (shifts beyond the image, turns, zooms, skews)."""
    r = np.random.default_rng(seed)
    x, y = r.standard_normal((2, *size, 3)), r.standard_normal((2, *size, 3))
    transforms = np.concatenate(
        [
            r.normal(1, 0.5, (2, 2)),
            r.normal(0, 4, (2, 1)),
            r.normal(0, 0.5, (2, 1)),
            r.normal(1, 0.5, (2, 1)),
            r.normal(0, 4, (2, 1)),
            r.normal(0, 0.05, (2, 2)),
        ],
        1,
    )
    forward = affine_transform(x, transforms, interpolation, fill_mode, 0.0)
    backward = affine_transform_backward(y, transforms, interpolation, fill_mode)
    np.testing.assert_allclose(np.sum(forward * y), np.sum(x * backward), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: layers.RandomTranslation(1.5, 0.1), ValueError, "argument 'height_factor'"),
        (lambda: layers.RandomTranslation(0.1, (0.1, 0.2, 0.3)), ValueError, "argument 'width_factor'"),
        (lambda: layers.RandomTranslation(0.1, "0.2"), TypeError, "argument 'width_factor'"),
        (lambda: layers.RandomRotation(0.1, fill_mode="mirror"), ValueError, "argument 'fill_mode'"),
        (lambda: layers.RandomRotation(0.1, interpolation="bicubic"), ValueError, "argument 'interpolation'"),
        (lambda: layers.RandomZoom(-1.0), ValueError, r"argument 'height_factor': expected .* in \(-1.0, 1.0\]"),
        (lambda: layers.RandomContrast(-0.1), ValueError, "argument 'factor'"),
        (lambda: layers.RandomContrast(0.1, value_range=(1, 0)), ValueError, "argument 'value_range'"),
        (lambda: layers.RandomFlip("diagonal"), ValueError, "argument 'mode'"),
        (lambda: layers.RandomFlip(seed=-1), ValueError, "argument 'seed'"),
        (lambda: layers.RandomRotation(0.1, fill_value=float("nan")), ValueError, "argument 'fill_value'"),
        (lambda: layers.RandomBrightness(1.5), ValueError, "argument 'factor'"),
        (lambda: layers.RandomBrightness((0.2, 1.1)), ValueError, "argument 'factor'"),
        (lambda: layers.RandomBrightness(0.1, value_range=(1, 1)), ValueError, "argument 'value_range'"),
        (lambda: layers.RandomGrayscale(1.5), ValueError, "argument 'factor'"),
    ],
)
def test_bad_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_single_images_are_refused():
    with pytest.raises(ValueError, match="a batch of images, of rank 4"):
        layers.RandomFlip()(np.ones((6, 6, 3)))


def test_a_model_with_augmentation_trains_and_predicts_without_it():
    x = (images(4, (48, 8, 8, 1)) * 255).astype(np.float32)
    y = np.eye(2, dtype=np.float32)[(x[:, :4].sum(axis=(1, 2, 3)) > x[:, 4:].sum(axis=(1, 2, 3))).astype(int)]
    model = numcnn.Sequential(
        [
            numcnn.Input((8, 8, 1)),
            layers.Rescaling(1 / 255.0),
            layers.Conv2D(4, 3, padding="same", activation="relu"),  # trainable before the augmentation
            layers.RandomFlip("horizontal", seed=1),
            layers.RandomTranslation(0.1, 0.1, seed=2),
            layers.RandomRotation(0.05, seed=3),
            layers.RandomZoom(0.1, seed=4),
            layers.RandomContrast(0.2, value_range=(0, 10), seed=5),
            layers.Flatten(),
            layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    history = model.fit(x, y, epochs=8, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))
