"""numcnn.ops on arrays: what the functions return (Tensors with ``.numpy()``), what they accept (lists, numbers,
objects with ``__array__``), Keras' dtype rules, the results against NumPy's on random and image-like data, and
the house-style errors for arguments that do not fit."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import image_like

from numcnn import backend, ops
from numcnn.ops import _dtypes
from numcnn.tensors import Tensor


class ArrayLike:
    """Stands for a TensorFlow or PyTorch tensor: something with ``__array__`` only."""

    def __init__(self, value):
        self.value = np.asarray(value)

    def __array__(self, dtype=None, copy=None):
        return self.value if dtype is None else self.value.astype(dtype)


def test_results_are_tensors_whose_numpy_is_a_plain_array():
    x = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    mean = ops.mean(x)
    assert isinstance(mean, Tensor) and mean.shape == () and float(mean) == 2.5
    plain = mean.numpy()
    assert type(plain) is np.ndarray and plain.dtype == np.float32
    parts = ops.split(x, 3, axis=1)
    assert isinstance(parts, list) and all(isinstance(p, Tensor) for p in parts)
    values, indices = ops.top_k(x, 2)
    assert isinstance(values, Tensor) and isinstance(indices, Tensor)
    assert type(ops.convert_to_numpy(x * 1)) is np.ndarray


def test_array_likes_are_accepted_everywhere():
    data = [[1.0, -2.0], [3.0, 0.5]]
    for value in (data, tuple(map(tuple, data)), np.array(data, np.float32), ArrayLike(np.array(data, np.float32))):
        np.testing.assert_array_equal(ops.relu(value).numpy(), [[1.0, 0.0], [3.0, 0.5]])
        assert ops.relu(value).dtype == np.float32
    assert ops.add(2, 3).dtype == np.int32 and int(ops.add(2, 3)) == 5
    np.testing.assert_allclose(ops.matmul(ArrayLike(np.eye(2)), data), data)


@pytest.mark.parametrize("bad", ["abc", None, {"a": 1}, [[1.0], [1.0, 2.0]], np.array(["a"])])
def test_values_that_are_not_numbers_are_refused(bad):
    with pytest.raises(TypeError, match=r"Invalid value for argument 'x'"):
        ops.exp(bad)


def test_conversions():
    assert ops.convert_to_tensor([1.0, 2.0]).dtype == np.float32
    assert ops.convert_to_tensor([1, 2]).dtype == np.int32
    assert ops.convert_to_tensor([2**40]).dtype == np.int64  # does not fit int32: kept, never wrapped
    assert ops.convert_to_tensor(np.ones(2)).dtype == np.float64
    assert ops.convert_to_tensor([1, 2], dtype="float64").dtype == np.float64
    backend.set_floatx("float64")
    assert ops.convert_to_tensor([1.0]).dtype == np.float64 and ops.zeros(2).dtype == np.float64
    assert ops.mean(np.array([1, 2], np.int32)).dtype == np.float64
    backend.set_floatx("float32")
    x = np.arange(4.0).reshape(2, 2)
    copy = ops.convert_to_numpy(x)
    copy[0, 0] = 9.0
    assert x[0, 0] == 0.0  # a copy
    assert ops.cast(x, "int32").dtype == np.int32 and ops.cast(x, int).dtype == np.int32
    assert ops.shape(x) == (2, 2) and ops.ndim(x) == 2 and ops.size(x) == 4
    assert ops.dtype(x) == "float64" and ops.dtype(1) == "int32" and ops.dtype(1.0) == "float32"
    assert ops.is_tensor(ops.relu(x)) and ops.is_tensor(x) and not ops.is_tensor([1.0])
    with pytest.raises(ValueError, match=r"'sparse'"):
        ops.convert_to_tensor(x, sparse=True)
    with pytest.raises(TypeError, match=r"argument 'dtype'"):
        ops.cast(x, "string")


@pytest.mark.parametrize(
    "dtypes, expected",
    [
        (("int32", "float32"), "float32"),
        (("int64", "float32"), "float32"),  # NumPy would give float64
        (("uint8", "int8"), "int16"),
        (("float32", "float64"), "float64"),
        (("bool", "int8"), "int8"),
        (("float32", float), "float32"),
        (("int8", int), "int8"),
        (("int8", float), "float32"),
        (("bool", int), "int32"),
        ((int, int), "int32"),
        ((int, float), "float32"),
    ],
)
def test_promotion_follows_keras_lattice_with_weak_python_numbers(dtypes, expected):
    resolved = [_dtypes.Weak("i") if d is int else _dtypes.Weak("f") if d is float else np.dtype(d) for d in dtypes]
    assert _dtypes.promote(*resolved) == np.dtype(expected)
    assert _dtypes.promote(*reversed(resolved)) == np.dtype(expected)


def test_result_dtypes_of_families():
    i8, u8, i32 = np.array([1, 2], np.int8), np.array([1, 2], np.uint8), np.array([1, 4], np.int32)
    assert ops.sum(i8).dtype == np.int32 and ops.sum(u8).dtype == np.uint32 and ops.prod(i8).dtype == np.int32
    assert ops.cumsum(np.array([True, True])).dtype == np.int32
    assert ops.max(i8).dtype == np.int8 and ops.argmax(i32).dtype == np.int32
    for fn in (ops.sqrt, ops.exp, ops.log, ops.mean, ops.var, ops.std, ops.sigmoid, ops.softmax, ops.gelu):
        assert fn(i32).dtype == np.float32, fn
    assert ops.relu(i32).dtype == np.int32 and ops.square(i8).dtype == np.int8
    assert ops.divide(i32, i32).dtype == np.float32 and ops.floor_divide(i32, 2).dtype == np.int32
    assert ops.equal(i32, 1.5).dtype == bool and ops.clip(np.array([True]), 0, 1).dtype == np.int32
    assert ops.one_hot(i32, 5).dtype == np.float32 and ops.one_hot(i32, 5, dtype="int32").dtype == np.int32
    assert ops.arange(3).dtype == np.int32 and ops.arange(0.0, 1, 0.5).dtype == np.float32
    assert ops.full((2,), 7).dtype == np.float32 and ops.full_like(i32, 7).dtype == np.int32
    assert ops.zeros_like(i8, dtype="float64").dtype == np.float64 and ops.eye(2).dtype == np.float32


def test_creation():
    np.testing.assert_array_equal(ops.eye(3, 4, k=1), np.eye(3, 4, k=1))
    np.testing.assert_array_equal(ops.identity(2), np.eye(2))
    np.testing.assert_array_equal(ops.arange(2, 8, 3), [2, 5])
    values, step = ops.linspace(0, 1, 5, retstep=True)
    np.testing.assert_allclose(values, np.linspace(0, 1, 5)) and np.testing.assert_allclose(step, 0.25)
    np.testing.assert_array_equal(ops.ones((2, 1)), [[1.0], [1.0]])
    np.testing.assert_array_equal(ops.full((2,), 3.5), [3.5, 3.5])
    with pytest.raises(TypeError, match=r"argument 'shape'"):
        ops.zeros("big")
    with pytest.raises(ValueError, match=r"argument 'shape'"):
        ops.ones((2, -1))


def _reduction_cases(x, axis, keepdims):
    return [
        (ops.sum(x, axis, keepdims), np.sum(x, axis, keepdims=keepdims)),
        (ops.mean(x, axis, keepdims), np.mean(x, axis, keepdims=keepdims)),
        (ops.max(x, axis, keepdims), np.max(x, axis, keepdims=keepdims)),
        (ops.min(x, axis, keepdims), np.min(x, axis, keepdims=keepdims)),
        (ops.var(x, axis, keepdims), np.var(x, axis, keepdims=keepdims)),
        (ops.std(x, axis, keepdims), np.std(x, axis, keepdims=keepdims)),
        (ops.prod(x, axis, keepdims), np.prod(x, axis, keepdims=keepdims)),
        (ops.logsumexp(x, axis, keepdims), np.log(np.sum(np.exp(x), axis, keepdims=keepdims))),
        (ops.any(x, axis, keepdims), np.any(x, axis, keepdims=keepdims)),
        (ops.all(x, axis, keepdims), np.all(x, axis, keepdims=keepdims)),
    ]


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.integers(1, 4), min_size=1, max_size=3),
    st.sampled_from(["random", "image"]),
    st.booleans(),
    st.data(),
)
def test_reductions_equal_numpy(shape, kind, keepdims, data):
    rng = np.random.default_rng(len(shape))
    x = rng.standard_normal(shape)
    if kind == "image":  # exact zeros, ones and ties, cut to the shape
        pixels = image_like(rng, (4, 4, 4, 1), ["strokes", "repeated", "empty", "blobs"]).ravel()
        x = pixels[: x.size].reshape(shape)
    axes = data.draw(st.sets(st.integers(-len(shape), len(shape) - 1), max_size=len(shape)))
    if len({a % len(shape) for a in axes}) != len(axes):
        return
    axis = None if not axes else tuple(axes) if len(axes) > 1 else next(iter(axes))
    for got, want in _reduction_cases(x, axis, keepdims):
        assert got.shape == np.shape(want)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    if axis is None or isinstance(axis, int):
        np.testing.assert_array_equal(ops.argmax(x, axis), np.argmax(x, axis))
        np.testing.assert_array_equal(ops.argmin(x, axis, keepdims=True), np.argmin(x, axis, keepdims=True))


def test_elementwise_and_moves_equal_numpy():
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((3, 4)), rng.uniform(0.5, 2, (4,))
    pairs = [
        (ops.add(x, y), x + y),
        (ops.subtract(y, x), y - x),
        (ops.multiply(x, 2), x * 2),
        (ops.true_divide(x, y), x / y),
        (ops.power(y, x), y**x),
        (ops.mod(x, y), np.mod(x, y)),
        (ops.floor_divide(x, y), x // y),
        (ops.maximum(x, 0), np.maximum(x, 0)),
        (ops.where(x > 0, x, -1.0), np.where(x > 0, x, -1.0)),
        (ops.clip(x, -0.5, 0.2), np.clip(x, -0.5, 0.2)),
        (ops.reshape(x, (2, 6)), x.reshape(2, 6)),
        (ops.transpose(x), x.T),
        (ops.swapaxes(x, 0, 1), x.T),
        (ops.moveaxis(x[None], 0, -1), np.moveaxis(x[None], 0, -1)),
        (ops.expand_dims(x, -1), x[..., None]),
        (ops.squeeze(x[None, :, None]), x),
        (ops.ravel(x), x.ravel()),
        (ops.tile(x, 2), np.tile(x, 2)),
        (ops.repeat(x, [2, 0, 1], axis=0), np.repeat(x, [2, 0, 1], axis=0)),
        (ops.flip(x), np.flip(x)),
        (ops.roll(x, -1), np.roll(x, -1)),
        (ops.pad(x, 1, mode="symmetric"), np.pad(x, 1, mode="symmetric")),
        (ops.broadcast_to(y, (2, 4)), np.broadcast_to(y, (2, 4))),
        (ops.concatenate([x, x], axis=-1), np.concatenate([x, x], axis=-1)),
        (ops.stack([x, x], axis=-1), np.stack([x, x], axis=-1)),
        (ops.take(x, [[1, 0]], axis=0), np.take(x, [[1, 0]], axis=0)),
        (ops.get_item(x, ([0, 2], slice(None, None, 2))), x[[0, 2], ::2]),
        (ops.get_item(x, x > 0), x[x > 0]),
        (ops.dot(x, y), np.dot(x, y)),
        (ops.matmul(x, x.T), x @ x.T),
        (ops.outer(y, y), np.outer(y, y)),
        (ops.cumsum(x, axis=0), np.cumsum(x, axis=0)),
        (ops.count_nonzero(x > 0, axis=1), np.count_nonzero(x > 0, axis=1)),
        (ops.round(x, 1), np.round(x, 1)),
        (ops.nan_to_num(np.array([np.nan, np.inf, 1.0])), np.nan_to_num(np.array([np.nan, np.inf, 1.0]))),
    ]
    for i, (got, want) in enumerate(pairs):
        assert got.shape == np.shape(want), i
        np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=str(i))
    rows, cols = ops.where(np.array([[0, 1], [1, 0]]))
    np.testing.assert_array_equal(rows, [0, 1]) and np.testing.assert_array_equal(cols, [1, 0])


def test_activation_formulas_and_keras_defaults():
    x = np.linspace(-4, 4, 9)
    np.testing.assert_allclose(ops.gelu(x), 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))))
    np.testing.assert_allclose(ops.leaky_relu(x), np.where(x > 0, x, 0.2 * x))
    np.testing.assert_allclose(ops.hard_sigmoid(x), np.clip(x / 6 + 0.5, 0, 1))
    np.testing.assert_allclose(ops.elu(x, 2.0), np.where(x > 0, x, 2.0 * np.expm1(x)))
    np.testing.assert_allclose(ops.softmax(x), np.exp(x) / np.exp(x).sum())
    np.testing.assert_allclose(ops.softmax(np.array([1000.0, 0.0])), [1.0, 0.0])  # no overflow
    np.testing.assert_allclose(ops.log_softmax(np.array([1000.0, 0.0])), [0.0, -1000.0])
    np.testing.assert_allclose(ops.logsumexp(np.array([-np.inf, -np.inf])), -np.inf)
    one_hot = ops.one_hot(np.array([1, -1, 3]), 3)
    np.testing.assert_array_equal(one_hot, [[0, 1, 0], [0, 0, 0], [0, 0, 0]])  # outside [0, 3): zeros


def test_top_k_in_top_k_and_moments():
    x = np.array([[1.0, 3.0, 3.0, 2.0], [0.0, 0.0, 5.0, 0.0]])
    values, indices = ops.top_k(x, 3)
    np.testing.assert_array_equal(values, [[3, 3, 2], [5, 0, 0]])
    np.testing.assert_array_equal(indices, [[1, 2, 3], [2, 0, 1]])  # equal values: the lower index first
    np.testing.assert_array_equal(ops.in_top_k([3, 0], x, 2), [False, True])  # ties at the boundary count
    mean, var = ops.moments(x, axes=[1], keepdims=True)
    np.testing.assert_allclose(mean, x.mean(1, keepdims=True)) and np.testing.assert_allclose(
        var, x.var(1, keepdims=True)
    )


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: ops.sum(np.ones((2, 3)), axis=2), ValueError, r"argument 'axis': expected an axis in \[-2, 2\)"),
        (lambda: ops.mean(np.ones(3), axis=(0, 0)), ValueError, r"argument 'axis': expected distinct axes"),
        (lambda: ops.sum(np.ones(3), axis=0.5), TypeError, r"argument 'axis'"),
        (lambda: ops.add(np.ones((2, 3)), np.ones((4,))), ValueError, r"expected shapes that broadcast"),
        (lambda: ops.reshape(np.ones(6), (4, -1)), ValueError, r"Cannot reshape a tensor of shape \(6,\)"),
        (lambda: ops.reshape(np.ones(6), (-1, -1)), ValueError, r"argument 'newshape'"),
        (lambda: ops.transpose(np.ones((2, 3)), (0, 0)), ValueError, r"argument 'axes'"),
        (lambda: ops.squeeze(np.ones((2, 3)), axis=0), ValueError, r"argument 'axis': expected axes of size 1"),
        (lambda: ops.concatenate([np.ones((2, 3)), np.ones((3, 3))], axis=1), ValueError, r"argument 'xs'"),
        (lambda: ops.concatenate(np.ones(3)), TypeError, r"argument 'xs'"),
        (lambda: ops.stack([np.ones(2), np.ones(3)]), ValueError, r"argument 'x': expected tensors of one shape"),
        (lambda: ops.split(np.ones(5), 2), ValueError, r"argument 'indices_or_sections'"),
        (lambda: ops.matmul(np.ones((2, 3)), np.ones((2, 3))), ValueError, r"inner sizes agree for matmul"),
        (lambda: ops.get_item(np.ones(3), 5), IndexError, r"argument 'key'"),
        (lambda: ops.one_hot(np.array([1]), 0), ValueError, r"argument 'num_classes'"),
        (lambda: ops.top_k(np.ones(3), 4), ValueError, r"argument 'k': expected at most the size of the last axis"),
        (lambda: ops.pad(np.ones(3), 1, mode="mirror"), ValueError, r"argument 'mode'"),
        (lambda: ops.pad(np.ones(3), 1, mode="edge", constant_values=1.0), ValueError, r"argument 'constant_values'"),
        (lambda: ops.pad(np.ones(3), -1), ValueError, r"argument 'pad_width'"),
        (lambda: ops.sparse_categorical_crossentropy([0, 3], np.ones((2, 3)) / 3), ValueError, r"in \[0, 3\)"),
        (lambda: ops.categorical_crossentropy(np.ones((2, 3)), np.ones((2, 4))), ValueError, r"argument 'target'"),
        (lambda: ops.conv(np.ones((1, 4, 4, 3)), np.ones((3, 3, 2, 4))), ValueError, r"argument 'kernel'"),
        (lambda: ops.conv(np.ones((1, 2, 2, 1)), np.ones((3, 3, 1, 1))), ValueError, r"argument 'inputs'"),
        (lambda: ops.conv(np.ones((1, 4, 4, 4, 1)), np.ones((1, 1, 1, 1, 1))), ValueError, r"1 or 2 spatial axes"),
        (lambda: ops.max_pool(np.ones((1, 4, 4, 1)), 2, padding="full"), ValueError, r"argument 'padding'"),
        (lambda: ops.max_pool(np.ones((1, 4, 4, 1)), 0), ValueError, r"argument 'pool_size'"),
        (lambda: ops.leaky_relu(np.ones(2), negative_slope="a"), TypeError, r"argument 'negative_slope'"),
        (lambda: ops.moments(np.ones((2, 2)), axes=[]), TypeError, r"argument 'axes'"),
        (lambda: ops.where(np.ones(2) > 0, np.ones(2)), ValueError, r"both x1 and x2, or neither"),
        (lambda: ops.unstack(np.ones((2, 3)), num=3), ValueError, r"argument 'num'"),
    ],
)
def test_bad_arguments_get_house_style_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
