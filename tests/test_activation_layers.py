"""Activation layers: float64 gradchecks away from the kinks (random and image-like inputs), the derivative
chosen at each kink, argument errors, PReLU's weight and regularizers, and Softmax's fused head in a model."""

import numpy as np
import pytest
from _layer_checks import assert_gradients, images, off_kinks

import numcnn
from numcnn import constraints, layers, regularizers

F64 = {"dtype": "float64"}
RELU_VARIANTS = [
    {},
    {"max_value": 6.0},
    {"negative_slope": 0.2},
    {"max_value": 0.7, "negative_slope": 0.1, "threshold": 0.3},
    {"threshold": 0.5},
]


def away_from(x, points, gap=1e-3):
    """x with every element at least ``gap`` from each of ``points`` (central differences must not cross one)."""
    for p in points:
        close = np.abs(x - p) < gap
        x = np.where(close, p + 2 * gap, x)
    return x


@pytest.mark.parametrize("kwargs", RELU_VARIANTS)
def test_relu_gradients(kernels, rng, kwargs):
    kinks = [0.0, kwargs.get("threshold", 0.0), kwargs.get("max_value", 0.0)]
    assert_gradients(layers.ReLU(**kwargs, **F64), away_from(rng.standard_normal((3, 4, 5)), kinks))
    assert_gradients(layers.ReLU(**kwargs, **F64), away_from(off_kinks(images(1, (3, 5, 5, 2))), kinks))


def test_relu_values_and_kinks():
    x = np.array([[-2.0, 0.0, 0.3, 0.5, 1.0, 2.0, 7.0]])
    layer = layers.ReLU(max_value=1.0, negative_slope=0.5, threshold=0.5, **F64)
    np.testing.assert_array_equal(layer(x), [[-1.25, -0.25, -0.1, 0.0, 1.0, 1.0, 1.0]])
    # 1 on threshold < x < max_value, the slope at and below the threshold, 0 from max_value on
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), [[0.5, 0.5, 0.5, 0.5, 0.0, 0.0, 0.0]])
    plain = layers.ReLU(**F64)
    np.testing.assert_array_equal(plain(x), np.maximum(x, 0))
    np.testing.assert_array_equal(plain.backward(np.ones_like(x)), (x > 0).astype(float))


@pytest.mark.parametrize("kwargs", [{}, {"negative_slope": 0.05}, {"alpha": 0.2}])
def test_leaky_relu(rng, kwargs):
    layer = layers.LeakyReLU(**kwargs, **F64)
    slope = kwargs.get("negative_slope", kwargs.get("alpha", 0.3))  # Keras 3's default 0.3; Keras 2's `alpha`
    assert layer.negative_slope == slope
    x = away_from(rng.standard_normal((4, 6)), [0.0])
    np.testing.assert_array_equal(layer(x), np.where(x > 0, x, slope * x))
    assert_gradients(layer, x)
    layer(x)
    assert layer.backward(np.ones_like(x)).min() == slope
    assert "alpha" not in layer.get_config()


@pytest.mark.parametrize("shared_axes", [None, [1, 2], 3, [1, 2, 3]])
def test_prelu_gradients_and_alpha_shape(kernels, rng, shared_axes):
    layer = layers.PReLU(alpha_initializer="random_normal", shared_axes=shared_axes, **F64)
    x = away_from(off_kinks(images(2, (3, 4, 5, 2))) - 0.5, [0.0])
    errors = assert_gradients(layer, x)
    assert set(errors) == {"x", "alpha"}
    axes = [] if shared_axes is None else ([shared_axes] if isinstance(shared_axes, int) else shared_axes)
    assert layer.params["alpha"].shape == tuple(1 if i + 1 in axes else d for i, d in enumerate((4, 5, 2)))


def test_prelu_starts_as_relu_and_takes_zero_gradient_at_zero():
    layer = layers.PReLU(**F64)
    x = np.array([[-1.0, 0.0, 2.0]])
    np.testing.assert_array_equal(layer(x), [[0.0, 0.0, 2.0]])  # alpha_initializer='Zeros'
    layer.params["alpha"][...] = 0.5
    np.testing.assert_array_equal(layer(x), [[-0.5, 0.0, 2.0]])
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), [[0.5, 0.0, 1.0]])  # TensorFlow's 0 at 0
    np.testing.assert_array_equal(layer.grads["alpha"], [-1.0, 0.0, 0.0])


def test_prelu_regularizer_and_constraint_are_stored_under_alpha():
    layer = layers.PReLU(alpha_regularizer="l2", alpha_constraint="non_neg")
    layer.ensure_built((None, 3))
    assert isinstance(layer.regularizers["alpha"], regularizers.L2)
    assert isinstance(layer.constraints["alpha"], constraints.NonNeg)
    config = layer.get_config()
    assert config["alpha_regularizer"]["class_name"] == "L2" and config["alpha_constraint"]["class_name"] == "NonNeg"
    assert layers.PReLU.from_config(config).alpha_regularizer.l2 == 0.01


@pytest.mark.parametrize("alpha", [1.0, 0.5, 2.0])
def test_elu_gradients(rng, alpha):
    x = away_from(rng.standard_normal((3, 7)) * 2, [0.0])
    layer = layers.ELU(alpha=alpha, **F64)
    np.testing.assert_allclose(layer(x), np.where(x > 0, x, alpha * (np.exp(x) - 1)), rtol=1e-15)
    assert_gradients(layer, x)
    assert_gradients(layers.ELU(alpha=alpha, **F64), off_kinks(images(3, (2, 4, 4, 2))) - 0.4)


@pytest.mark.parametrize(("axis", "shape"), [(-1, (3, 6)), (1, (3, 4, 5)), ((1, 2), (3, 4, 5)), ([2, 3], (2, 3, 4, 2))])
def test_softmax_gradients_and_sums(rng, axis, shape):
    layer = layers.Softmax(axis=axis, **F64)
    x = rng.standard_normal(shape) * 3
    y = layer(x)
    axes = tuple(a % len(shape) for a in ([axis] if isinstance(axis, int) else axis))
    np.testing.assert_allclose(y.sum(axis=axes), 1.0, rtol=1e-14)
    np.testing.assert_allclose(layer(x + 100.0), y, rtol=1e-12)  # invariant to a shift, no overflow
    assert_gradients(layer, x)
    image_like = images(4, (shape[0], int(np.prod(shape[1:])), 1, 1)).reshape(shape)  # ties, zeros, ones
    assert_gradients(layers.Softmax(axis=axis, **F64), image_like)


def test_softmax_output_takes_the_fused_crossentropy_head_only_over_the_last_axis():
    inputs = numcnn.Input((5,))
    model = numcnn.Model(inputs, layers.Softmax()(layers.Dense(3)(inputs)))
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    x = np.random.default_rng(0).standard_normal((16, 5)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[np.arange(16) % 3]
    history = model.fit(x, y, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert "softmax + crossentropy head" in model.describe_plan()
    over_axis1 = layers.Softmax(axis=1)
    over_axis1.ensure_built((None, 4, 3))
    assert over_axis1.activation.name != "softmax"  # a different function: never fused


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: layers.ReLU(max_value=-1.0), ValueError, "argument 'max_value'"),
        (lambda: layers.ReLU(negative_slope=-0.1), ValueError, "argument 'negative_slope'"),
        (lambda: layers.ReLU(threshold=float("nan")), ValueError, "argument 'threshold'"),
        (lambda: layers.ReLU(threshold="0"), TypeError, "argument 'threshold'"),
        (lambda: layers.LeakyReLU(negative_slope=-1), ValueError, "argument 'negative_slope'"),
        (lambda: layers.ELU(alpha=None), TypeError, "argument 'alpha'"),
        (lambda: layers.PReLU(shared_axes=[0]), ValueError, "argument 'shared_axes'"),
        (lambda: layers.PReLU(shared_axes="1"), TypeError, "argument 'shared_axes'"),
        (lambda: layers.Softmax(axis=1.5), TypeError, "argument 'axis'"),
    ],
)
def test_bad_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_impossible_input_shapes():
    with pytest.raises(ValueError, match="argument 'shared_axes'"):
        layers.PReLU(shared_axes=[3])(np.ones((2, 4, 5)))
    with pytest.raises(ValueError, match="argument 'axis': expected distinct non-batch axes"):
        layers.Softmax(axis=0)(np.ones((2, 4)))
    with pytest.raises(ValueError, match="argument 'axis'"):
        layers.Softmax(axis=3)(np.ones((2, 4)))
    layer = layers.PReLU()
    layer(np.ones((2, 4, 5)))
    with pytest.raises(ValueError, match="expected an array of shape"):
        layer(np.ones((2, 3)))


def test_keras_default_names():
    assert layers.ReLU().name.startswith("re_lu")
    assert layers.LeakyReLU().name.startswith("leaky_re_lu")
    assert layers.PReLU().name.startswith("p_re_lu")
    assert layers.ReLU(name="mine").name == "mine"
