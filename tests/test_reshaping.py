"""ZeroPadding2D: Keras' padding spellings, shapes, values, gradients, config and errors."""

import numpy as np
import pytest

from numcnn import layers as layers_module
from numcnn.gradcheck import check_layer
from numcnn.layers import Conv2D, ZeroPadding2D
from numcnn.models import Sequential


@pytest.mark.parametrize(
    ("padding", "pairs"),
    [
        (1, ((1, 1), (1, 1))),
        (0, ((0, 0), (0, 0))),
        ((2, 3), ((2, 2), (3, 3))),
        ([1, 0], ((1, 1), (0, 0))),
        (((1, 2), (0, 3)), ((1, 2), (0, 3))),
        ([[0, 1], [2, 0]], ((0, 1), (2, 0))),
    ],
)
def test_padding_spellings_and_output_shapes(padding, pairs):
    layer = ZeroPadding2D(padding)
    assert layer.padding == pairs
    (top, bottom), (left, right) = pairs
    assert layer.compute_output_shape((None, 5, 6, 3)) == (None, 5 + top + bottom, 6 + left + right, 3)
    x = np.arange(2 * 5 * 6 * 3, dtype=np.float32).reshape(2, 5, 6, 3) + 1
    y = layer(x)
    np.testing.assert_array_equal(y, np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0))))
    assert y.dtype == x.dtype


def test_default_pads_one_on_every_side():
    assert ZeroPadding2D().padding == ((1, 1), (1, 1))


def test_channels_first_pads_the_last_two_axes():
    layer = ZeroPadding2D(((1, 0), (2, 1)), data_format="channels_first")
    x = np.ones((2, 3, 4, 5))
    assert layer.compute_output_shape((None, 3, 4, 5)) == (None, 3, 5, 8)
    np.testing.assert_array_equal(layer(x), np.pad(x, ((0, 0), (0, 0), (1, 0), (2, 1))))


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("padding", [1, (0, 2), ((2, 0), (1, 3))])
def test_gradients_match_central_differences(data_format, padding):
    layer = ZeroPadding2D(padding, data_format=data_format, dtype="float64")
    errors = check_layer(layer, np.random.default_rng(3).standard_normal((2, 3, 4, 2)))
    assert errors["x"] <= 1e-7, errors


def test_backward_is_the_inner_slice_and_a_copy():
    layer = ZeroPadding2D(((1, 2), (3, 0)))
    layer(np.zeros((1, 2, 2, 1)))
    dy = np.arange(5 * 5, dtype=np.float64).reshape(1, 5, 5, 1)
    dx = layer.backward(dy)
    np.testing.assert_array_equal(dx, dy[:, 1:3, 3:5, :])
    dx[...] = -1
    assert dy.min() == 0  # writing into dx must not reach the caller's dy


def test_config_round_trip_and_in_a_model():
    layer = ZeroPadding2D(((1, 2), (0, 3)), data_format="channels_last", name="pad")
    config = layer.get_config()
    assert config["padding"] == [[1, 2], [0, 3]] and config["data_format"] == "channels_last"
    again = layers_module.deserialize({"class_name": "ZeroPadding2D", "config": config})
    assert again.padding == layer.padding and again.get_config() == config

    model = Sequential([ZeroPadding2D(2, input_shape=(5, 5, 1)), Conv2D(2, 5)])
    assert model.layers[0].output_shape == (None, 9, 9, 1) and model.output_shape == (None, 5, 5, 2)
    assert model.layers[0].count_params() == 0


@pytest.mark.parametrize(
    ("padding", "error", "message"),
    [
        (-1, ValueError, r"'padding': expected a non-negative integer.*Received: padding=-1"),
        (((1, -2), (0, 0)), ValueError, r"Received: padding=\(\(1, -2\), \(0, 0\)\)"),
        ("same", TypeError, r"'padding': expected a non-negative integer"),
        ((1, 2, 3), TypeError, r"Received: padding=\(1, 2, 3\)"),
        (((1, 2), 3), TypeError, r"'padding'"),
        ((1.5, 1), TypeError, r"'padding'"),
        (True, TypeError, r"'padding'"),
    ],
)
def test_padding_errors(padding, error, message):
    with pytest.raises(error, match=message):
        ZeroPadding2D(padding)


def test_rank_other_than_four_is_refused():
    with pytest.raises(ValueError, match=r"'input_shape': expected a shape of rank 4"):
        ZeroPadding2D(1).build((None, 5, 5))


def test_bad_data_format_is_refused():
    with pytest.raises(ValueError, match=r"'data_format'"):
        ZeroPadding2D(1, data_format="nhwc")
