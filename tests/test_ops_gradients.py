"""Every numcnn.ops function that has a gradient, traced on KerasTensors: the recorded layers' backward against
central differences in float64 (relative error ≤ 1e-7), with inputs away from kinks and ties; the traced
forward against the function on arrays; broadcasting gradients summed back to each input's shape; and the
rules where the derivative is not defined (ties of max and max-pooling: the first maximum takes it)."""

import numpy as np
import pytest
from _op_graph import backward, gradient_errors, symbolic, traced_outputs
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import image_like

from numcnn import ops

r = np.random.default_rng(0)
A, B = r.standard_normal((3, 4)), r.standard_normal((3, 4))
POS = r.uniform(0.5, 2.0, (3, 4))
ROW = r.standard_normal(4)
IMG = r.standard_normal((2, 5, 6, 2))
UNIT = r.uniform(0.1, 0.9, (3, 4))
SOFT = np.abs(B) / np.abs(B).sum(axis=1, keepdims=True)
K3, SIGNAL = r.standard_normal((3, 3, 2, 3)), r.standard_normal((2, 7, 2))

CASES = {
    # elementwise, one input
    "negative": (ops.negative, A),
    "square": (ops.square, A),
    "sqrt": (ops.sqrt, POS),
    "exp": (ops.exp, A),
    "expm1": (ops.expm1, A),
    "log": (ops.log, POS),
    "log1p": (ops.log1p, POS),
    "log2": (ops.log2, POS),
    "log10": (ops.log10, POS),
    "abs": (ops.abs, A),
    "reciprocal": (ops.reciprocal, POS),
    "sin": (ops.sin, A),
    "cos": (ops.cos, A),
    "tan": (ops.tan, A * 0.5),
    "tanh": (ops.tanh, A),
    "sinh": (ops.sinh, A),
    "cosh": (ops.cosh, A),
    "arctan": (ops.arctan, A),
    "rsqrt": (ops.rsqrt, POS),
    "erf": (ops.erf, A),
    "nan_to_num": (ops.nan_to_num, A),
    "copy": (ops.copy, A),
    "cast": (lambda x: ops.cast(x, "float64"), A),
    # elementwise, two inputs, broadcast
    "add": (ops.add, A, ROW),
    "subtract": (ops.subtract, ROW, A),
    "multiply": (ops.multiply, A, B[:, :1]),
    "divide": (ops.divide, A, POS),
    "power_constant": (lambda x: ops.power(x, 3.0), A),
    "power": (ops.power, POS, A),
    "maximum": (ops.maximum, A, B),
    "minimum": (ops.minimum, A, ROW),
    "mod": (ops.mod, A, POS),
    "logaddexp": (ops.logaddexp, A, B),
    "clip": (lambda x: ops.clip(x, -0.5, 0.5), A),
    "clip_bounds": (ops.clip, A, ROW - 1.0, ROW + 0.2),
    "where": (lambda x, y: ops.where(A > 0, x, y), A, ROW),
    # products
    "matmul": (ops.matmul, A, r.standard_normal((4, 2))),
    "matmul_vector": (ops.matmul, ROW, r.standard_normal((2, 4, 3))),
    "matmul_batch": (ops.matmul, r.standard_normal((2, 3, 4)), r.standard_normal((4, 5))),
    "dot_nd": (ops.dot, A, r.standard_normal((2, 4, 5))),
    "dot_vector": (ops.dot, A, ROW),
    "outer": (ops.outer, ROW, A[0]),
    # reductions
    "sum": (lambda x: ops.sum(x, axis=1), A),
    "mean": (lambda x: ops.mean(x, axis=0, keepdims=True), A),
    "max_all": (ops.max, A),
    "max_axes": (lambda x: ops.max(x, axis=(0, 2)), r.standard_normal((2, 3, 4))),
    "min": (lambda x: ops.min(x, axis=1, keepdims=True), A),
    "amax": (lambda x: ops.amax(x, axis=0), A),
    "var": (lambda x: ops.var(x, axis=1), A),
    "std": (lambda x: ops.std(x, axis=0), A),
    "prod": (lambda x: ops.prod(x, axis=1), A),
    "cumsum": (lambda x: ops.cumsum(x, axis=1), A),
    "cumsum_flat": (ops.cumsum, A),
    "logsumexp": (lambda x: ops.logsumexp(x, axis=1), A),
    "moments": (lambda x: ops.moments(x, [0]), A),
    "top_k": (lambda x: ops.top_k(x, 2)[0], A),
    # moving elements
    "reshape": (lambda x: ops.reshape(x, (2, -1)), A),
    "ravel": (ops.ravel, A),
    "transpose": (ops.transpose, r.standard_normal((2, 3, 4))),
    "swapaxes": (lambda x: ops.swapaxes(x, 0, 2), r.standard_normal((2, 3, 4))),
    "moveaxis": (lambda x: ops.moveaxis(x, 0, -1), r.standard_normal((2, 3, 4))),
    "expand_dims": (lambda x: ops.expand_dims(x, (0, 2)), A),
    "squeeze": (ops.squeeze, A[:, None]),
    "broadcast_to": (lambda x: ops.broadcast_to(x, (2, 3, 4)), A[:1]),
    "flip": (lambda x: ops.flip(x, 1), A),
    "roll": (lambda x: ops.roll(x, 2, 1), A),
    "tile": (lambda x: ops.tile(x, (2, 1, 3)), A),
    "repeat": (lambda x: ops.repeat(x, [1, 0, 2, 1], axis=1), A),
    "repeat_flat": (lambda x: ops.repeat(x, 2), A),
    "pad": (lambda x: ops.pad(x, ((1, 0), (2, 1)), constant_values=3.0), A),
    "pad_reflect": (lambda x: ops.pad(x, 2, mode="reflect"), A),
    "pad_symmetric": (lambda x: ops.pad(x, ((2, 3), (0, 1)), mode="symmetric"), A),
    "pad_edge": (lambda x: ops.pad(x, 2, mode="edge"), A),
    "pad_wrap": (lambda x: ops.pad(x, 1, mode="wrap"), A),
    "concatenate": (lambda x, y: ops.concatenate([x, y, x], axis=1), A, B),
    "stack": (lambda x, y: ops.stack([x, y], axis=1), A, B),
    "hstack": (lambda x, y: ops.hstack([x, y]), A, B),
    "vstack": (lambda x, y: ops.vstack([x, y]), ROW, A),
    "split": (lambda x: ops.split(x, 2, axis=1), A),
    "split_one_piece_used": (lambda x: ops.split(x, [1, 3], axis=1)[1], A),
    "unstack": (lambda x: ops.unstack(x, axis=1), A),
    "get_item": (lambda x: x[:, 1:3], A),
    "get_item_steps": (lambda x: x[1, None, ::-2], A),
    "get_item_ellipsis": (lambda x: x[..., 0], r.standard_normal((2, 3, 4))),
    "slice": (lambda x: ops.slice(x, (1, 1), (2, -1)), A),
    "take": (lambda x: ops.take(x, np.array([[0, 2], [2, 2]]), axis=1), A),
    "take_flat": (lambda x: ops.take(x, np.array([0, 5, 5, -1])), A),
    "take_along_axis": (lambda x: ops.take_along_axis(x, np.array([[0, 0], [1, 3], [2, 1]]), axis=1), A),
    # neural-network functions
    "relu": (ops.relu, A),
    "relu6": (ops.relu6, A * 4),
    "sigmoid": (ops.sigmoid, A),
    "softplus": (ops.softplus, A),
    "softsign": (ops.softsign, A),
    "silu": (ops.silu, A),
    "log_sigmoid": (ops.log_sigmoid, A),
    "hard_sigmoid": (ops.hard_sigmoid, A * 2),
    "hard_silu": (ops.hard_silu, A * 2),
    "hard_tanh": (ops.hard_tanh, A * 2),
    "selu": (ops.selu, A),
    "elu": (lambda x: ops.elu(x, 0.7), A),
    "celu": (lambda x: ops.celu(x, 0.5), A),
    "leaky_relu": (ops.leaky_relu, A),
    "gelu": (ops.gelu, A),
    "gelu_exact": (lambda x: ops.gelu(x, approximate=False), A),
    "sparse_plus": (ops.sparse_plus, A * 0.8),
    "softmax": (ops.softmax, A),
    "softmax_axis0": (lambda x: ops.softmax(x, axis=0), A),
    "log_softmax": (ops.log_softmax, A),
    "log_softmax_axis0": (lambda x: ops.log_softmax(x, axis=0), A),
    "categorical_crossentropy": (ops.categorical_crossentropy, SOFT, POS),
    "categorical_crossentropy_logits": (lambda t, o: ops.categorical_crossentropy(t, o, from_logits=True), SOFT, A),
    "categorical_crossentropy_axis0": (lambda t, o: ops.categorical_crossentropy(t, o, axis=0), SOFT, POS),
    "sparse_categorical_crossentropy": (lambda o: ops.sparse_categorical_crossentropy(np.array([0, 3, 1]), o), POS),
    "sparse_logits": (lambda o: ops.sparse_categorical_crossentropy(np.array([[0], [3], [1]]), o, True), A),
    "binary_crossentropy": (ops.binary_crossentropy, UNIT[::-1], UNIT),
    "binary_crossentropy_logits": (lambda t, o: ops.binary_crossentropy(t, o, from_logits=True), UNIT, A * 3),
    # convolution and pooling
    "conv": (ops.conv, IMG, K3),
    "conv_same_strided": (lambda x, k: ops.conv(x, k, 2, "same"), IMG, r.standard_normal((3, 2, 2, 3))),
    "conv_dilated": (lambda x, k: ops.conv(x, k, (1, 2), "same", dilation_rate=2), IMG, K3[:2, :, :, :1]),
    "conv_1d": (lambda x, k: ops.conv(x, k, padding="same"), SIGNAL, r.standard_normal((3, 2, 3))),
    "conv_channels_first": (lambda x, k: ops.conv(x, k, data_format="channels_first"), IMG.transpose(0, 3, 1, 2), K3),
    "conv_groups": (ops.conv, r.standard_normal((2, 5, 5, 4)), r.standard_normal((3, 3, 2, 4))),
    "depthwise_conv": (lambda x, k: ops.depthwise_conv(x, k, padding="same"), IMG, r.standard_normal((3, 3, 2, 2))),
    "separable_conv": (ops.separable_conv, IMG, r.standard_normal((3, 3, 2, 2)), r.standard_normal((1, 1, 4, 3))),
    "max_pool": (lambda x: ops.max_pool(x, 2), IMG),
    "max_pool_same": (lambda x: ops.max_pool(x, 3, 2, "same"), IMG),
    "max_pool_1d": (lambda x: ops.max_pool(x, 2, padding="same"), r.standard_normal((2, 7, 3))),
    "average_pool": (lambda x: ops.average_pool(x, (2, 3), 1, "same"), IMG),
    "average_pool_channels_first": (lambda x: ops.average_pool(x, 2, data_format="channels_first"), IMG),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CASES))
def test_traced_gradient_matches_central_differences(name):
    fn, *arrays = CASES[name]
    errors = gradient_errors(fn, *arrays)
    assert max(errors) <= 1e-7, (name, errors)


SPATIAL = [name for name in CASES if name.startswith(("conv", "depthwise", "separable", "max_pool", "average"))]


@pytest.mark.parametrize("name", SPATIAL)
def test_convolution_and_pooling_gradients_with_both_op_sets(kernels, name):
    fn, *arrays = CASES[name]
    assert max(gradient_errors(fn, *arrays)) <= 1e-7


@pytest.mark.parametrize("name", list(CASES))
def test_traced_forward_equals_the_function_on_arrays(name):
    fn, *arrays = CASES[name]
    eager = fn(*arrays)
    eager = list(eager) if isinstance(eager, (list, tuple)) else [eager]
    traced = traced_outputs(fn, *arrays)
    assert len(traced) == len(eager)
    for (tensor, value), want in zip(traced, eager):
        assert tensor.shape == want.shape and tensor.dtype == want.dtype.name
        np.testing.assert_array_equal(value, want)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(1, 3), min_size=0, max_size=3),
    st.lists(st.booleans(), min_size=3, max_size=3),
    st.sampled_from([ops.add, ops.subtract, ops.multiply, ops.divide, ops.maximum]),
)
def test_broadcasting_gradients_sum_back_to_each_input_shape(shape, ones, op):
    """x1 of ``shape`` with some sizes 1, x2 of the full shape with fewer axes: each gets the summed gradient."""
    rng = np.random.default_rng(len(shape))
    full = tuple(shape)
    small = tuple(1 if one else n for n, one in zip(full, ones))
    x1, x2 = rng.uniform(0.5, 2.0, small), rng.uniform(-2.0, -0.5, full[1:])
    errors = gradient_errors(op, x1, x2)
    assert max(errors) <= 1e-7, (small, full[1:], errors)


def _first_maximum_mask(x, k):
    """1 at the first maximum (row-major) of each non-overlapping k×k window of x (N, H, W, C), else 0."""
    n, h, w, c = x.shape
    windows = x.reshape(n, h // k, k, w // k, k, c).transpose(0, 1, 3, 5, 2, 4).reshape(n, h // k, w // k, c, k * k)
    mask = np.zeros_like(windows)
    np.put_along_axis(mask, np.argmax(windows, axis=-1)[..., None], 1.0, axis=-1)
    return mask.reshape(n, h // k, w // k, c, k, k).transpose(0, 1, 4, 2, 5, 3).reshape(n, h, w, c)


@pytest.mark.parametrize("kinds", [["strokes", "repeated"], ["empty", "saturated"], ["blobs", "strokes"]])
def test_ties_send_the_whole_gradient_to_the_first_maximum(kinds):
    """max over axes, max-pooling and maximum on image-like data (exact zeros, strokes of ones, tied maxima):
    the first maximum in row-major order takes the gradient, as argmax chooses it; the others get 0."""
    x = image_like(np.random.default_rng(1), (2, 4, 4, 2), kinds)
    for fn, k in ((lambda t: ops.max(t, axis=(1, 2)), 4), (lambda t: ops.max_pool(t, 2), 2)):
        tensors = symbolic(x)
        out = fn(tensors[0])
        (grad,) = backward(tensors, [out], [x], [np.ones(out.shape)])
        np.testing.assert_array_equal(grad, _first_maximum_mask(x, k))
    tensors = symbolic(x, x)
    out = ops.maximum(*tensors)
    g1, g2 = backward(tensors, [out], [x, x], [np.ones(x.shape)])
    np.testing.assert_array_equal(g1, np.ones(x.shape))  # every element ties: x1 takes the gradient
    np.testing.assert_array_equal(g2, np.zeros(x.shape))


def test_relu_and_clip_at_their_kinks():
    """ReLU's gradient at exactly 0 is 0; clip passes the gradient on its bounds (TensorFlow's rule)."""
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])
    (g,) = backward(*_one(ops.relu, x))
    np.testing.assert_array_equal(g, [0, 0, 1, 1, 1])
    (g,) = backward(*_one(lambda t: ops.clip(t, 0.0, 1.0), x))
    np.testing.assert_array_equal(g, [0, 1, 1, 1, 0])


def _one(fn, x):
    tensors = symbolic(x)
    out = fn(tensors[0])
    return tensors, [out], [x], [np.ones(out.shape)]


def test_inputs_without_a_gradient_get_none():
    """Integer inputs, the condition of where, labels of sparse crossentropy, stop_gradient and argmax."""
    x, labels = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1, 0])
    tensors = symbolic(x, labels)
    out = ops.sparse_categorical_crossentropy(tensors[1], ops.softmax(tensors[0]))
    gx, glabels = backward(tensors, [out], [x, labels], [np.ones(2)])
    assert gx is not None and glabels is None
    tensors = symbolic(x)
    for fn in (ops.stop_gradient, lambda t: ops.cast(ops.argmax(t, axis=1), "float64"), ops.sign, ops.round):
        out = fn(tensors[0])
        assert backward(tensors, [out], [x], [np.ones(out.shape)]) == [None]
    ints = symbolic(np.array([1, 2], np.int32), x)
    out = ops.multiply(ints[0], ints[1])
    gi, gx = backward(ints, [out], [np.array([1, 2], np.int32), x], [np.ones((2, 2))])
    assert gi is None and gx.dtype == np.float64


def test_gradients_come_back_in_the_inputs_dtype_and_contiguous():
    x = np.arange(12, dtype=np.float32).reshape(3, 4) / 10
    tensors = symbolic(x)
    out = ops.transpose(ops.cast(tensors[0], "float64") * 2.0)
    (g,) = backward(tensors, [out], [x], [np.ones(out.shape)])
    assert g.dtype == np.float32 and g.flags.c_contiguous
    np.testing.assert_array_equal(g, np.full((3, 4), 2.0, np.float32))
