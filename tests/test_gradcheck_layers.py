"""Float64 gradient checks: every layer's backward equals central differences (relative error ≤ 1e-7)."""

import numpy as np
import pytest

from numcnn.gradcheck import check_layer, relative_error
from numcnn.layers import (
    Activation,
    AveragePooling2D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAveragePooling2D,
    GlobalMaxPooling2D,
    MaxPooling2D,
    Reshape,
)

TOL = 1e-7


def assert_gradients_match(layer, x, **kwargs):
    errors = check_layer(layer, x, **kwargs)
    assert max(errors.values()) <= TOL, errors
    return errors


def distinct_values(rng, shape, gap=0.01):
    """Inputs whose elements differ by at least ``gap``: no max-pool ties within a 1e-6 probe."""
    values = rng.permutation(int(np.prod(shape))).astype(np.float64) * gap
    return (values - values.mean()).reshape(shape)


CONV_CASES = [
    (k, padding, stride, c_in)
    for k in range(1, 6)
    for padding in ("valid", "same")
    for stride in (1, 2)
    for c_in in ((k - 1) % 4 + 1,)
]


@pytest.mark.parametrize(("k", "padding", "stride", "c_in"), CONV_CASES)
def test_conv2d_gradients(kernels, rng, k, padding, stride, c_in):
    layer = Conv2D(3, k, strides=stride, padding=padding, dtype="float64", bias_initializer="random_normal")
    assert_gradients_match(layer, rng.standard_normal((2, 7, 6, c_in)))


def test_conv2d_gradients_with_rectangular_kernel_and_strides(kernels, rng):
    layer = Conv2D(2, (2, 3), strides=(2, 1), padding="same", dtype="float64", activation="tanh")
    assert_gradients_match(layer, rng.standard_normal((2, 5, 7, 3)))


def test_conv2d_channels_first_gradients(kernels, rng):
    layer = Conv2D(2, 3, data_format="channels_first", dtype="float64")
    assert_gradients_match(layer, rng.standard_normal((2, 3, 6, 5)))


@pytest.mark.parametrize(
    ("pool", "stride", "padding"),
    [(2, None, "valid"), (3, 2, "same"), (2, 1, "valid"), ((2, 3), None, "same"), (3, None, "valid")],
)
def test_maxpool_gradients_without_ties(kernels, rng, pool, stride, padding):
    layer = MaxPooling2D(pool, strides=stride, padding=padding, dtype="float64")
    assert_gradients_match(layer, distinct_values(rng, (2, 7, 7, 3)))


@pytest.mark.parametrize(("pool", "stride", "padding"), [(2, None, "valid"), (3, 2, "same"), (2, 1, "same")])
def test_average_pooling_gradients(kernels, rng, pool, stride, padding):
    layer = AveragePooling2D(pool, strides=stride, padding=padding, dtype="float64")
    assert_gradients_match(layer, rng.standard_normal((2, 7, 6, 2)))


@pytest.mark.parametrize("cls", [GlobalAveragePooling2D, GlobalMaxPooling2D])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_global_pooling_gradients(rng, cls, data_format):
    layer = cls(data_format=data_format, dtype="float64")
    assert_gradients_match(layer, distinct_values(rng, (2, 4, 5, 3)))


@pytest.mark.parametrize(
    "activation", [None, "relu", "tanh", "sigmoid", "softmax", "elu", "gelu", "softplus", "leaky_relu"]
)
def test_dense_gradients(kernels, rng, activation):
    layer = Dense(4, activation=activation, dtype="float64", bias_initializer="random_normal")
    x = rng.standard_normal((3, 5))
    x[np.abs(x) < 0.05] += 0.1  # keep ReLU-family inputs off their kink
    assert_gradients_match(layer, x)


def test_dense_on_rank3_input(rng):
    assert_gradients_match(Dense(3, dtype="float64"), rng.standard_normal((2, 4, 5)))


def test_relu_gradient_away_from_zero(kernels, rng):
    x = rng.standard_normal((4, 3, 3, 2))
    x = np.where(np.abs(x) < 0.01, 0.5, x)
    errors = assert_gradients_match(Activation("relu", dtype="float64"), x)
    assert errors["x"] <= TOL


def test_flatten_and_reshape_gradients(rng):
    assert_gradients_match(Flatten(dtype="float64"), rng.standard_normal((2, 3, 4, 2)))
    assert_gradients_match(Flatten(data_format="channels_first", dtype="float64"), rng.standard_normal((2, 3, 4, 2)))
    assert_gradients_match(Reshape((4, -1), dtype="float64"), rng.standard_normal((2, 3, 4, 2)))


class _FixedUniform:
    """Stands in for a Generator so that every dropout forward draws the same mask."""

    def __init__(self, values):
        self.values = values

    def random(self, shape):
        return self.values.reshape(shape)


def test_dropout_gradient_with_fixed_mask(rng):
    layer = Dropout(0.4, dtype="float64")
    x = rng.standard_normal((3, 6))
    layer._rng = _FixedUniform(rng.random(x.shape))
    assert_gradients_match(layer, x, training=True)


def test_relative_error_detects_a_wrong_gradient():
    good = np.array([1.0, -2.0, 3.0])
    assert relative_error(good, good + 1e-12) < TOL
    assert relative_error(good, good * 1.001) > TOL
    assert relative_error(good, np.array([1.0, np.nan, 3.0])) == np.inf
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
