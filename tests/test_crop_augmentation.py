"""RandomCrop and CenterCrop: windows (Keras' rules), seeded draws per batch, the deterministic inference path,
backward passes (float64 gradchecks, exact scatter, adjointness), shapes, configs, errors, and a model using them.
Keras' own outputs are in tests/test_keras_augment.py."""

import numpy as np
import pytest
from _layer_checks import assert_gradients, frozen_draws, images
from hypothesis import given, settings
from hypothesis import strategies as st

import numcnn
from numcnn import layers
from numcnn.layers.cropping_augmentation import Window
from numcnn.utils import set_random_seed

F64 = {"dtype": "float64"}


def nchw(x):
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def test_center_crop_cuts_the_middle_and_leaves_an_odd_margin_at_the_bottom_right():
    x = images(0, (3, 9, 11, 2))
    np.testing.assert_array_equal(layers.CenterCrop(5, 6, **F64)(x), x[:, 2:7, 2:8])
    np.testing.assert_array_equal(layers.CenterCrop(9, 11, **F64)(x), x)
    layer = layers.CenterCrop(4, 7, data_format="channels_first", **F64)
    np.testing.assert_array_equal(layer(nchw(x)), nchw(x[:, 2:6, 2:9]))
    np.testing.assert_array_equal(layer(nchw(x), training=True), layer(nchw(x)))  # no randomness in training


def test_images_smaller_than_the_target_take_smart_resize():
    """Keras' rule: the largest centred window of the target's aspect ratio, resized bilinearly. numcnn's
    Resizing(crop_to_aspect_ratio=True) computes the same thing on its own path."""
    x = images(1, (3, 6, 10, 2))
    reference = layers.Resizing(8, 8, crop_to_aspect_ratio=True, **F64)(x)
    np.testing.assert_allclose(layers.CenterCrop(8, 8, **F64)(x), reference, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layers.RandomCrop(8, 8, **F64)(x), reference, rtol=1e-12, atol=1e-12)
    narrow = images(2, (3, 12, 5, 1))  # too narrow only: smart_resize too, from a 10 × 5 window
    np.testing.assert_allclose(
        layers.CenterCrop(8, 4, **F64)(narrow) if False else layers.CenterCrop(6, 6, **F64)(narrow),
        layers.Resizing(6, 6, crop_to_aspect_ratio=True, **F64)(narrow),
        rtol=1e-12,
        atol=1e-12,
    )


def test_random_crop_inference_is_deterministic_smart_resize_whatever_the_size():
    x = images(3, (4, 9, 11, 1))
    layer = layers.RandomCrop(5, 6, seed=1, **F64)
    first = layer(x)
    np.testing.assert_array_equal(layer(x), first)
    assert first.shape == (4, 5, 6, 1)
    np.testing.assert_allclose(first, layers.Resizing(5, 6, crop_to_aspect_ratio=True, **F64)(x), atol=1e-12)


def test_random_crop_training_takes_one_window_per_batch_within_the_image():
    x = np.random.default_rng(0).standard_normal((5, 9, 11, 2))
    layer = layers.RandomCrop(4, 6, seed=3, **F64)
    seen = set()
    for _ in range(300):
        y = layer(x, training=True)
        top, left, rows, columns = layer._window
        assert (rows, columns) == (4, 6) and 0 <= top <= 5 and 0 <= left <= 5
        np.testing.assert_array_equal(y, x[:, top : top + 4, left : left + 6])  # the same cut for every image
        seen.add((top, left))
    assert seen == {(t, w) for t in range(6) for w in range(6)}  # every window is drawn, the last ones too


def test_random_crop_training_without_room_follows_keras_3_rule_without_a_draw():
    x = images(4, (3, 8, 11, 2))
    layer = layers.RandomCrop(8, 6, seed=3, **F64)  # the height has no room: Keras' window, centred in width
    y = layer(x, training=True)
    np.testing.assert_array_equal(y, x[:, :, 2:8])
    np.testing.assert_array_equal(layer(x, training=True), y)
    small = images(5, (3, 6, 10, 1))  # smaller: Keras cuts 8 × 8 from (0, 2), gets 6 × 8, resizes it
    out = layers.RandomCrop(8, 8, **F64)(small, training=True)
    np.testing.assert_allclose(out, layers.Resizing(8, 8, **F64)(small[:, :, 2:10]), rtol=1e-12, atol=1e-12)


def test_draws_are_seeded_and_move_on_from_batch_to_batch():
    x = np.random.default_rng(1).standard_normal((2, 12, 12, 1))

    def windows(layer, n=6):
        out = []
        for _ in range(n):
            layer(x, training=True)
            out.append(layer._window)
        return out

    a, b = windows(layers.RandomCrop(5, 5, seed=7, **F64)), windows(layers.RandomCrop(5, 5, seed=7, **F64))
    assert a == b and len(set(a)) > 1
    set_random_seed(11)
    c = windows(layers.RandomCrop(5, 5, **F64))
    set_random_seed(11)
    assert windows(layers.RandomCrop(5, 5, **F64)) == c and len(set(c)) > 1
    set_random_seed(12)
    assert windows(layers.RandomCrop(5, 5, **F64)) != c


CASES = {
    "center_cut": (lambda **k: layers.CenterCrop(4, 5, **k), (3, 7, 8, 2), False),
    "center_resized": (lambda **k: layers.CenterCrop(8, 6, **k), (3, 5, 7, 2), False),
    "random_training": (lambda **k: layers.RandomCrop(4, 5, seed=2, **k), (3, 7, 8, 2), True),
    "random_training_resized": (lambda **k: layers.RandomCrop(7, 7, seed=2, **k), (3, 5, 9, 2), True),
    "random_inference": (lambda **k: layers.RandomCrop(4, 5, seed=2, **k), (3, 7, 8, 2), False),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_gradients(rng, name, data_format):
    make, shape, training = CASES[name]
    for x in (images(6, shape), rng.standard_normal(shape)):
        x = nchw(x) if data_format == "channels_first" else x
        layer = frozen_draws(make(data_format=data_format, **F64), seed=5)  # a fixed seed: every probe, one window
        assert set(assert_gradients(layer, x, training=training)) == {"x"}


def test_the_gradient_of_a_cut_is_scattered_into_zeros():
    layer = layers.RandomCrop(3, 4, **F64)
    layer.draw = lambda shape, rng: Window(2, 1, 3, 4)
    x = np.random.default_rng(2).standard_normal((2, 6, 7, 3))
    layer(x, training=True)
    dy = np.random.default_rng(3).standard_normal((2, 3, 4, 3))
    expected = np.zeros_like(x)
    expected[:, 2:5, 1:5] = dy
    kept = dy.copy()
    np.testing.assert_array_equal(layer.backward(dy), expected)
    np.testing.assert_array_equal(dy, kept)  # dy is not written into


@settings(max_examples=30, deadline=None)
@given(
    rows=st.integers(1, 9),
    columns=st.integers(1, 9),
    height=st.integers(1, 9),
    width=st.integers(1, 9),
    random=st.booleans(),
    training=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_backward_is_the_adjoint_of_the_forward(rows, columns, height, width, random, training, seed):
    """⟨crop(x), y⟩ = ⟨x, backward(y)⟩ for every window rule: cuts, cut-and-resize, smart_resize."""
    r = np.random.default_rng(seed)
    x = r.standard_normal((2, rows, columns, 2))
    layer = layers.RandomCrop(height, width, seed=seed, **F64) if random else layers.CenterCrop(height, width, **F64)
    out = layer(x, training=training)
    assert out.shape == (2, height, width, 2)
    y = r.standard_normal(out.shape)
    np.testing.assert_allclose(np.sum(out * y), np.sum(x * layer.backward(y)), rtol=1e-10, atol=1e-10)


def test_output_shapes_and_dtypes():
    for data_format, shape, expected in (
        ("channels_last", (None, 9, 11, 3), (None, 5, 6, 3)),
        ("channels_first", (None, 3, 9, 11), (None, 3, 5, 6)),
    ):
        crops = (layers.RandomCrop(5, 6, data_format=data_format), layers.CenterCrop(5, 6, data_format=data_format))
        for layer in crops:
            assert layer.compute_output_shape(shape) == expected
    x = images(7, (2, 4, 4, 1)).astype(np.float32)
    for layer in (layers.RandomCrop(6, 3), layers.CenterCrop(2, 3)):
        for training in (False, True):
            assert layer(x, training=training).dtype == np.float32


def test_configs_round_trip():
    for layer in (
        layers.RandomCrop(5, 6, seed=4, data_format="channels_first", name="crop"),
        layers.CenterCrop(3, 2),
    ):
        config = layer.get_config()
        assert {"height", "width", "data_format"} <= set(config)
        again = type(layer).from_config(config)
        assert again.get_config() == config
        clone = layers.deserialize(layers.serialize(layer))
        assert type(clone) is type(layer) and clone.get_config() == config
    assert layers.RandomCrop(5, 6, seed=4).get_config()["seed"] == 4
    x = np.random.default_rng(5).standard_normal((2, 3, 9, 11))
    a = layers.RandomCrop(5, 6, seed=4, data_format="channels_first", **F64)
    b = layers.RandomCrop.from_config(a.get_config())
    np.testing.assert_array_equal(a(x, training=True), b(x, training=True))


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: layers.RandomCrop(0, 5), ValueError, "argument 'height': expected a positive integer"),
        (lambda: layers.RandomCrop(5, -2), ValueError, "argument 'width'"),
        (lambda: layers.CenterCrop(5.0, 5), TypeError, "argument 'height'"),
        (lambda: layers.CenterCrop(5, "5"), TypeError, "argument 'width'"),
        (lambda: layers.RandomCrop(5, 5, seed=-1), ValueError, "argument 'seed'"),
        (lambda: layers.RandomCrop(5, 5, seed=1.5), TypeError, "argument 'seed'"),
        (lambda: layers.CenterCrop(5, 5, data_format="nhwc"), ValueError, "data_format"),
        (lambda: layers.RandomCrop(5, 5)(np.ones((8, 8, 3))), ValueError, "a batch of images, of rank 4"),
    ],
)
def test_bad_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_a_model_trains_on_random_crops_and_predicts_on_smart_resize(tmp_path):
    x = (images(8, (32, 10, 10, 1)) * 255).astype(np.float32)
    y = np.eye(2, dtype=np.float32)[(x[:, :5].sum(axis=(1, 2, 3)) > x[:, 5:].sum(axis=(1, 2, 3))).astype(int)]
    model = numcnn.Sequential(
        [
            numcnn.Input((10, 10, 1)),
            layers.RandomCrop(8, 8, seed=1),
            layers.Rescaling(1 / 255.0),
            layers.Conv2D(3, 3, activation="relu"),  # trainable after the crop: its gradient flows through it
            layers.CenterCrop(5, 5),
            layers.Flatten(),
            layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    history = model.fit(x, y, epochs=6, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    predictions = model.predict(x, verbose=0)
    np.testing.assert_array_equal(model.predict(x, verbose=0), predictions)
    path = tmp_path / "crops.keras"
    model.save(path)
    np.testing.assert_array_equal(numcnn.models.load_model(path).predict(x, verbose=0), predictions)
