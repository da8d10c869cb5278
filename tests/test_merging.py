"""Merge layers: float64 gradchecks (broadcasting included), ties, Keras' shape rules and errors, and merge layers
in functional models that train."""

import numpy as np
import pytest
from _layer_checks import assert_list_gradients, images, off_kinks
from hypothesis import given, settings
from hypothesis import strategies as st

import numcnn
from numcnn import layers
from numcnn.models import load_model

F64 = {"dtype": "float64"}
ELEMENTWISE = [layers.Add, layers.Multiply, layers.Average, layers.Maximum, layers.Minimum]


@pytest.mark.parametrize("cls", ELEMENTWISE)
@settings(max_examples=10, deadline=None)
@given(
    count=st.integers(1, 3),
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=3),
    ones=st.lists(st.booleans(), min_size=3, max_size=3),
    seed=st.integers(0, 2**16),
)
def test_elementwise_gradients_with_broadcasting(cls, count, shape, ones, seed):
    """Inputs of one shape, some with axes of size 1 and one of lower rank: every input's gradient ≤ 1e-7."""
    r = np.random.default_rng(seed)
    shapes = [tuple(1 if (one and i == j) else d for j, d in enumerate(shape)) for i, one in enumerate(ones[:count])]
    if count > 1 and len(shape) > 1:
        shapes[-1] = tuple(shape[1:])  # lower rank: gains an axis after the batch axis
    sizes = [2 * int(np.prod(s)) for s in shapes]
    values = r.permutation(sum(sizes)) * 0.1  # distinct across all inputs: no ties
    xs = [part.reshape(2, *s) for part, s in zip(np.split(values, np.cumsum(sizes)[:-1]), shapes)]
    assert_list_gradients(cls(**F64), xs)


def test_subtract_and_concatenate_gradients():
    r = np.random.default_rng(1)
    assert_list_gradients(layers.Subtract(**F64), [r.standard_normal((3, 4, 2)), r.standard_normal((3, 1, 2))])
    for axis in (-1, 1, 2):
        xs = [images(5, (2, 5, 6, 2)), r.standard_normal((2, 5, 6, 2))]
        xs[1] = np.concatenate([xs[1], xs[1]], axis=axis)
        assert_list_gradients(layers.Concatenate(axis=axis, **F64), xs)


def test_gradients_on_image_like_inputs():
    a, b = off_kinks(images(2, (4, 6, 6, 2))), images(3, (4, 6, 6, 2)) * 0.5 - 0.21
    for cls in (layers.Add, layers.Multiply, layers.Average, layers.Subtract):
        assert_list_gradients(cls(**F64), [a, b])


@pytest.mark.parametrize(("cls", "pick"), [(layers.Maximum, np.max), (layers.Minimum, np.min)])
def test_ties_give_the_whole_gradient_to_the_first_input(cls, pick):
    x = images(4, (3, 5, 5, 2))  # exact zeros and ones: ties everywhere
    xs = [x, x.copy(), np.where(x > 0, x, 0.0)]
    layer = cls(**F64)
    y = layer(xs)
    np.testing.assert_array_equal(y, pick(np.stack(xs), axis=0))
    dy = np.random.default_rng(0).standard_normal(y.shape)
    dx = layer.backward(dy)
    np.testing.assert_array_equal(dx[0], dy)
    assert not dx[1].any() and not dx[2].any()
    np.testing.assert_array_equal(sum(dx), dy)  # never split, never doubled


def test_maximum_picks_the_first_maximum_per_element():
    a, b = np.array([[1.0, 2.0, 3.0]]), np.array([[3.0, 2.0, 1.0]])
    layer = layers.Maximum(**F64)
    np.testing.assert_array_equal(layer([a, b]), [[3.0, 2.0, 3.0]])
    da, db = layer.backward(np.array([[10.0, 20.0, 30.0]]))
    np.testing.assert_array_equal(da, [[0.0, 20.0, 30.0]])
    np.testing.assert_array_equal(db, [[10.0, 0.0, 0.0]])


def test_forward_values_and_keras_broadcasting():
    a = np.arange(24.0).reshape(2, 3, 4)
    b = np.arange(2.0 * 4).reshape(2, 4)  # (N, 4) lines up as (N, 1, 4)
    np.testing.assert_array_equal(layers.Add(**F64)([a, b]), a + b[:, None, :])
    np.testing.assert_array_equal(layers.Subtract(**F64)([a, b]), a - b[:, None, :])
    np.testing.assert_array_equal(layers.Average(**F64)([a, a, b]), (2 * a + b[:, None, :]) / 3)
    np.testing.assert_array_equal(layers.Multiply(**F64)([a]), a)  # Keras 3 takes a single input
    assert layers.Add().compute_output_shape([(None, 3, 1), (None, 1, 5)]) == (None, 3, 5)
    np.testing.assert_array_equal(layers.Concatenate(axis=1)([a, a]), np.concatenate([a, a], axis=1))


def test_lowercase_functions_build_the_layers():
    a, b = np.ones((2, 3)), np.full((2, 3), 2.0)
    np.testing.assert_array_equal(layers.add([a, b]), a + b)
    np.testing.assert_array_equal(layers.subtract([a, b]), a - b)
    np.testing.assert_array_equal(layers.multiply([a, b]), a * b)
    np.testing.assert_array_equal(layers.average([a, b]), (a + b) / 2)
    np.testing.assert_array_equal(layers.maximum([a, b]), b)
    np.testing.assert_array_equal(layers.minimum([a, b]), a)
    np.testing.assert_array_equal(layers.concatenate([a, b], axis=-1), np.concatenate([a, b], axis=-1))


def test_shape_errors_are_clear():
    with pytest.raises(ValueError, match=r"argument 'inputs': expected a list of exactly 2 tensors"):
        layers.Subtract()([np.ones((2, 3))] * 3)
    with pytest.raises(ValueError, match="Inputs have incompatible shapes"):
        layers.Add()([np.ones((2, 3)), np.ones((2, 4))])
    with pytest.raises(ValueError, match="different batch sizes"):
        layers.Multiply()([np.ones((2, 3)), np.ones((3, 3))])
    with pytest.raises(ValueError, match="match except on the concatenation axis"):
        layers.Concatenate()([np.ones((2, 3, 4)), np.ones((2, 2, 4))])
    with pytest.raises(ValueError, match="non-batch axis"):
        layers.Concatenate(axis=0)([np.ones((2, 3)), np.ones((2, 3))])
    with pytest.raises(TypeError, match="argument 'axis': expected an integer"):
        layers.Concatenate(axis="last")
    with pytest.raises(TypeError, match="a list of tensors"):
        layers.Add()(np.ones((2, 3)))
    x = numcnn.Input((4,))
    with pytest.raises(ValueError, match="Inputs have incompatible shapes"):
        layers.Add()([x, numcnn.Input((5,))])


def test_residual_block_and_two_branch_concatenate_train(tmp_path):
    """``Add`` over a convolution and its input, ``Concatenate`` of two branches: the loss falls."""
    r = np.random.default_rng(0)
    x = images(11, (32, 8, 8, 3)).astype(np.float32)
    y = np.eye(4, dtype=np.float32)[r.integers(0, 4, 32)]
    inputs = numcnn.Input((8, 8, 3))
    res = layers.Add()([layers.Conv2D(3, 3, padding="same")(inputs), inputs])
    left = layers.Conv2D(4, 3, padding="same", activation="relu")(res)
    right = layers.MaxPooling2D(1)(res)
    merged = layers.Concatenate()([left, right])
    branch = layers.Maximum()([layers.Dense(4)(layers.Flatten()(merged)), layers.Dense(4)(layers.Flatten()(res))])
    model = numcnn.Model(inputs, layers.Softmax()(branch))
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    history = model.fit(x, y, epochs=8, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.predict(x, verbose=0).shape == (32, 4)
    path = tmp_path / "merged.npz"
    model.save(path)
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert [type(layer).__name__ for layer in loaded.layers] == [type(layer).__name__ for layer in model.layers]
