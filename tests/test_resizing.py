"""``layers.Resizing``: tf.image.resize's values (through ``utils.image_resize``, which its own tests hold to
TensorFlow's), Keras' centred crop, both data formats, float64 gradchecks (random and image-like) and the
adjoint identity of the backward pass, configs and errors. Keras' own outputs of the layer inside small
models are checked in tests/test_keras_scripts_oracle.py."""

from __future__ import annotations

import numpy as np
import pytest
from _layer_checks import assert_gradients, images
from hypothesis import given, settings
from hypothesis import strategies as st

import numcnn
from numcnn import layers
from numcnn.utils import image_resize

METHODS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "gaussian")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("size", [(3, 4), (10, 9), (7, 7)])
def test_each_image_is_resized_as_tf_image_resize_does(method, size):
    x = images(0, (4, 7, 7, 2)).astype("float32") * 255
    got = layers.Resizing(*size, interpolation=method)(x)
    assert got.shape == (4, *size, 2) and got.dtype == np.float32
    for image, out in zip(x, got):
        np.testing.assert_allclose(out, image_resize.resize(image, size, method), rtol=1e-5, atol=1e-4)


def test_crop_to_aspect_ratio_takes_keras_centred_crop_first():
    x = np.random.default_rng(1).random((2, 9, 16, 3)).astype("float32")
    got = layers.Resizing(4, 4, crop_to_aspect_ratio=True)(x)
    for image, out in zip(x, got):
        crop = image_resize.crop_to_aspect_ratio(image, (4, 4))
        assert crop.shape == (9, 9, 3)
        np.testing.assert_allclose(out, image_resize.resize(crop, (4, 4), "bilinear"), rtol=1e-5, atol=1e-6)


def test_channels_first_resizes_the_last_two_axes():
    x = np.random.default_rng(2).random((2, 3, 8, 5))
    last = layers.Resizing(4, 6, dtype="float64")(x.transpose(0, 2, 3, 1))
    first = layers.Resizing(4, 6, data_format="channels_first", dtype="float64")(x)
    np.testing.assert_allclose(first, np.asarray(last).transpose(0, 3, 1, 2), rtol=1e-12)


@pytest.mark.parametrize("method", ["bilinear", "nearest", "area", "bicubic"])
@pytest.mark.parametrize("crop", [False, True])
def test_gradients_in_float64(method, crop):
    layer = layers.Resizing(4, 7, interpolation=method, crop_to_aspect_ratio=crop, dtype="float64")
    assert_gradients(layer, np.random.default_rng(3).standard_normal((2, 6, 5, 2)))
    image_layer = layers.Resizing(9, 4, interpolation=method, crop_to_aspect_ratio=crop, dtype="float64")
    assert_gradients(image_layer, images(4, (6, 6, 8, 1)))


@settings(max_examples=25, deadline=None)
@given(
    st.integers(1, 9), st.integers(1, 9), st.integers(1, 9), st.integers(1, 9),
    st.sampled_from(["bilinear", "nearest", "area", "bicubic", "lanczos3"]), st.booleans(),
)  # fmt: skip
def test_backward_is_the_adjoint_of_forward(h, w, out_h, out_w, method, crop):
    rng = np.random.default_rng(h * 100 + w * 10 + out_h)
    layer = layers.Resizing(out_h, out_w, interpolation=method, crop_to_aspect_ratio=crop, dtype="float64")
    x = rng.standard_normal((2, h, w, 3))
    y = layer(x)
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(dy.copy())
    np.testing.assert_allclose(np.vdot(np.asarray(y), dy), np.vdot(x, dx), rtol=1e-10, atol=1e-10)


def test_uint8_images_in_a_model_that_trains():
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 32).astype("float32")
    x = rng.integers(0, 40, (32, 12, 12, 3)).astype(np.uint8)
    x[y == 1, :6] = 255  # the class is which half is bright
    model = numcnn.Sequential([numcnn.Input((12, 12, 3)), layers.Resizing(6, 6), layers.Rescaling(1 / 255),
                               layers.Flatten(), layers.Dense(1, activation="sigmoid")])  # fmt: skip
    model.compile(numcnn.optimizers.Adam(0.01), "binary_crossentropy")
    history = model.fit(x, y, epochs=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.layers[0].output_shape == (None, 6, 6, 3)


def test_config_round_trips_and_bad_arguments_are_refused_by_name():
    layer = layers.Resizing(5, 6, interpolation="nearest", crop_to_aspect_ratio=True, name="resize")
    config = layer.get_config()
    assert config["height"] == 5 and config["width"] == 6 and config["interpolation"] == "nearest"
    assert layers.Resizing.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="'height': expected a positive integer. Received: height=0"):
        layers.Resizing(0, 4)
    with pytest.raises(ValueError, match="'interpolation'"):
        layers.Resizing(4, 4, interpolation="cubic")
    with pytest.raises(ValueError, match="'pad_to_aspect_ratio': expected False"):
        layers.Resizing(4, 4, pad_to_aspect_ratio=True)
    with pytest.raises(ValueError, match="'antialias': expected False"):
        layers.Resizing(4, 4, antialias=True)
    with pytest.raises(ValueError, match="rank 4"):
        layers.Resizing(4, 4)(np.ones((2, 5, 5)))


# -- preprocessing.image.smart_resize --------------------------------------------------------------------------


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest", "bicubic", "area"])
@pytest.mark.parametrize(("shape", "size"), [((2, 7, 12, 3), (5, 5)), ((3, 9, 4, 1), (6, 8)), ((2, 6, 6, 2), (3, 3))])
def test_smart_resize_is_the_aspect_crop_then_the_resize(shape, size, interpolation):
    """The same images through Resizing(crop_to_aspect_ratio=True), the layer's own path; Keras 3.15.1 gave
    these within float32 rounding (5e-5 on 0-255 values for bilinear and bicubic, exactly for nearest)."""
    x = (images(3, shape) * 255).astype(np.uint8)
    smart = numcnn.preprocessing.image.smart_resize
    want = layers.Resizing(*size, interpolation=interpolation, crop_to_aspect_ratio=True)(x.astype(np.float32))
    got = smart(x, size, interpolation=interpolation)
    assert got.dtype == np.float32 and got.shape == (shape[0], *size, shape[3])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-3)
    np.testing.assert_array_equal(smart(x[0], size, interpolation=interpolation), got[0])  # one image
    first = smart(x.transpose(0, 3, 1, 2), size, interpolation=interpolation, data_format="channels_first")
    np.testing.assert_array_equal(first, got.transpose(0, 3, 1, 2))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"x": np.ones((4, 4)), "size": (2, 2)}, ValueError, "argument 'x'"),
        ({"x": np.ones((1, 4, 4, 1)), "size": (2, 0)}, TypeError, "argument 'size'"),
        (
            {"x": np.ones((1, 4, 4, 1)), "size": (2, 2), "interpolation": "cubic"},
            ValueError,
            "argument 'interpolation'",
        ),
        ({"x": np.ones((1, 4, 4, 1)), "size": (2, 2), "data_format": "nhwc"}, ValueError, "argument 'data_format'"),
        ({"x": np.ones((1, 4, 4, 1)), "size": (2, 2), "antialias": True}, TypeError, "unexpected keyword"),
    ],
)
def test_smart_resize_refuses_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        numcnn.preprocessing.image.smart_resize(**kwargs)
