"""Conv2DTranspose, DepthwiseConv2D, SeparableConv2D, Conv1D and the 1-D pooling layers: float64 gradchecks over
shapes and hyper-parameters with both op sets, the numba twins against the references, adjointness, Keras'
output sizes, errors, regularizers, and models that train."""

import numpy as np
import pytest
from _layer_checks import assert_gradients, images
from hypothesis import given, settings
from hypothesis import strategies as st

import numcnn
from numcnn import backend, constraints, layers, regularizers
from numcnn.backend import numba as fast
from numcnn.backend import numpy as ref
from numcnn.backend.shapes import same_pads

F64 = {"dtype": "float64"}
IMPLEMENTATIONS = ("numpy", "numba")


def gradcheck_both(make, x):
    """The layer's gradients with the NumPy references and with the numba ops; returns the worst error."""
    worst = 0.0
    for name in IMPLEMENTATIONS:
        backend.set_implementation(name)
        worst = max(worst, *assert_gradients(make(), x).values())
    return worst


@settings(max_examples=12, deadline=None)
@given(
    k=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    s=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    padding=st.sampled_from(["valid", "same"]),
    pad_out=st.booleans(),
    data_format=st.sampled_from(["channels_last", "channels_first"]),
    seed=st.integers(0, 2**16),
)
def test_conv2d_transpose_gradients(k, s, padding, pad_out, data_format, seed):
    output_padding = tuple(si - 1 if ki % 2 == 0 or pad_out else 0 for ki, si in zip(k, s)) if pad_out else None
    if (
        padding == "same"
        and output_padding is not None
        and any(ki % 2 == 0 and p == 0 for ki, p in zip(k, output_padding))
    ):
        output_padding = None  # an even kernel with 'same' needs output_padding ≥ 1 (refused, tested below)
    x = images(seed, (2, 3, 4, 2)) if seed % 2 else np.random.default_rng(seed).standard_normal((2, 3, 4, 2))
    x = x.transpose(0, 3, 1, 2) if data_format == "channels_first" else x

    def make():
        return layers.Conv2DTranspose(
            3,
            k,
            strides=s,
            padding=padding,
            output_padding=output_padding,
            data_format=data_format,
            bias_initializer="random_normal",
            **F64,
        )

    gradcheck_both(make, x)


def test_conv2d_transpose_output_sizes_follow_keras():
    def size(h, k, s, padding, op=None):
        return layers.Conv2DTranspose(1, k, strides=s, padding=padding, output_padding=op).compute_output_shape(
            (None, h, h, 1)
        )[1]

    assert size(5, 3, 2, "valid") == 11 and size(5, 1, 3, "valid") == 15  # (h−1)s + max(k, s)
    assert size(5, 3, 2, "same") == 10 and size(5, 4, 2, "same") == 10  # h·s
    assert size(5, 3, 2, "same", 1) == 10 and size(5, 4, 3, "same", 2) == 14  # (h−1)s + k mod 2 + p
    assert size(5, 3, 2, "valid", 1) == 12
    with pytest.raises(ValueError, match="an even kernel with 'same' padding needs output_padding ≥ 1"):
        size(5, 4, 2, "same", 0)


@settings(max_examples=12, deadline=None)
@given(
    k=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    s=st.tuples(st.integers(1, 2), st.integers(1, 2)),
    padding=st.sampled_from(["valid", "same"]),
    multiplier=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_depthwise_and_separable_gradients(k, s, padding, multiplier, seed):
    x = images(seed, (2, 5, 6, 3))

    def depthwise():
        return layers.DepthwiseConv2D(
            k, strides=s, padding=padding, depth_multiplier=multiplier, bias_initializer="random_normal", **F64
        )

    def separable():
        return layers.SeparableConv2D(
            2,
            k,
            strides=s,
            padding=padding,
            depth_multiplier=multiplier,
            activation="tanh",
            bias_initializer="random_normal",
            **F64,
        )

    gradcheck_both(depthwise, x)
    gradcheck_both(separable, x)


def test_separable_with_fused_relu_and_channels_first_gradients(rng):
    x = rng.standard_normal((2, 3, 6, 5))
    gradcheck_both(
        lambda: layers.SeparableConv2D(
            4,
            3,
            padding="same",
            activation="relu",
            data_format="channels_first",
            bias_initializer="random_normal",
            **F64,
        ),
        x,
    )
    gradcheck_both(lambda: layers.DepthwiseConv2D(2, data_format="channels_first", **F64), x)


@pytest.mark.parametrize("padding", ["valid", "same", "causal"])
@pytest.mark.parametrize("strides", [1, 2, 3])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_conv1d_gradients(rng, padding, strides, data_format):
    x = rng.standard_normal((2, 9, 3) if data_format == "channels_last" else (2, 3, 9))
    kwargs = {"strides": strides, "padding": padding, "data_format": data_format, "activation": "tanh"}
    gradcheck_both(lambda: layers.Conv1D(4, 3, **kwargs, bias_initializer="random_normal", **F64), x)
    sequences = images(strides, (2, 9, 3, 1))[..., 0]  # rows of image-like data: zeros, strokes, ties
    sequences = sequences.transpose(0, 2, 1) if data_format == "channels_first" else sequences
    gradcheck_both(lambda: layers.Conv1D(4, 3, **kwargs, **F64), sequences)


def test_causal_convolution_never_looks_ahead(rng):
    layer = layers.Conv1D(2, 3, padding="causal", **F64)
    x = rng.standard_normal((1, 8, 1))
    y = layer(x)
    later = x.copy()
    later[:, 5:] += 1.0
    np.testing.assert_array_equal(layer(later)[:, :5], y[:, :5])
    assert not np.array_equal(layer(later)[:, 5:], y[:, 5:])


@pytest.mark.parametrize("cls", [layers.MaxPooling1D, layers.AveragePooling1D])
@pytest.mark.parametrize(
    ("pool", "strides", "padding"), [(2, None, "valid"), (3, 2, "same"), (3, 1, "same"), (1, 2, "valid")]
)
def test_pooling1d_gradients(rng, cls, pool, strides, padding):
    x = (rng.permutation(2 * 9 * 3).reshape(2, 9, 3) - 27) * 0.01  # distinct values: no max ties
    gradcheck_both(lambda: cls(pool, strides=strides, padding=padding, **F64), x)
    gradcheck_both(lambda: cls(pool, strides=strides, padding=padding, data_format="channels_first", **F64), x)


@pytest.mark.parametrize("cls", [layers.GlobalAveragePooling1D, layers.GlobalMaxPooling1D])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling1d(rng, cls, keepdims):
    x = (rng.permutation(2 * 9 * 3).reshape(2, 9, 3)) * 0.01
    assert_gradients(cls(keepdims=keepdims, **F64), x)
    assert_gradients(cls(keepdims=keepdims, data_format="channels_first", **F64), x)
    ties = np.zeros((1, 4, 2))
    layer = layers.GlobalMaxPooling1D(**F64)
    layer(ties)
    np.testing.assert_array_equal(layer.backward(np.ones((1, 2)))[0], [[1, 1], [0, 0], [0, 0], [0, 0]])


@settings(max_examples=20, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 3), st.integers(1, 8), st.integers(1, 8), st.integers(1, 4)),
    k=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    s=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    same=st.booleans(),
    multiplier=st.integers(1, 3),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**16),
)
def test_numba_twins_equal_the_references(shape, k, s, same, multiplier, dtype, seed):
    """conv2d_input_grad and the depthwise convolution, on image-like and random data, float64 to 1e-12,
    float32 within its rounding."""
    n, h, w, c = shape
    pads = (*same_pads(h, k[0], s[0]), *same_pads(w, k[1], s[1])) if same else (0, 0, 0, 0)
    if h + pads[0] + pads[1] < k[0] or w + pads[2] + pads[3] < k[1]:
        return
    r = np.random.default_rng(seed)
    x = (images(seed, shape) if seed % 2 else r.standard_normal(shape)).astype(dtype)
    tol = {"rtol": 1e-12, "atol": 1e-12} if dtype == np.float64 else {"rtol": 1e-5, "atol": 1e-5}
    kernel = r.standard_normal((*k, c, multiplier)).astype(dtype)
    bias = r.standard_normal(c * multiplier).astype(dtype)
    y = ref.depthwise_conv2d_forward(x, kernel, bias, s, pads)
    np.testing.assert_allclose(fast.depthwise_conv2d_forward(x, kernel, bias, s, pads), y, **tol)
    dy = r.standard_normal(y.shape).astype(dtype)
    for need_dx in (True, False):
        expected = ref.depthwise_conv2d_backward(dy, x, kernel, s, pads, need_dx)
        for got, want in zip(fast.depthwise_conv2d_backward(dy, x, kernel, s, pads, need_dx), expected):
            if want is None:
                assert got is None
            else:
                assert got.dtype == dtype
                np.testing.assert_allclose(got, want, **tol)
    conv_kernel = r.standard_normal((*k, c, 2)).astype(dtype)
    conv_dy = r.standard_normal((n, *y.shape[1:3], 2)).astype(dtype)
    want = ref.conv2d_input_grad(conv_dy, conv_kernel, x.shape, s, pads)
    got = fast.conv2d_input_grad(conv_dy, conv_kernel, x.shape, s, pads)
    assert got.dtype == dtype and got.shape == x.shape
    np.testing.assert_allclose(got, want, **tol)
    # the input gradient is the adjoint of the convolution: ⟨conv(x), dy⟩ = ⟨x, conv_input_grad(dy)⟩
    forward = ref.conv2d_forward(x.astype(np.float64), conv_kernel.astype(np.float64), None, s, pads)
    np.testing.assert_allclose(
        np.sum(forward * conv_dy), np.sum(x * want.astype(np.float64)), rtol=1e-4 if dtype == np.float32 else 1e-10
    )


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: layers.Conv2DTranspose(2, 3, strides=2, output_padding=2), ValueError, "argument 'output_padding'"),
        (lambda: layers.Conv2DTranspose(2, 3, output_padding=-1), ValueError, "argument 'output_padding'"),
        (lambda: layers.Conv2DTranspose(2, 3, dilation_rate=2), ValueError, "no dilated convolutions"),
        (lambda: layers.Conv2DTranspose(0, 3), ValueError, "argument 'filters'"),
        (lambda: layers.DepthwiseConv2D(3, depth_multiplier=0), ValueError, "argument 'depth_multiplier'"),
        (lambda: layers.DepthwiseConv2D(3, padding="full"), ValueError, "argument 'padding'"),
        (lambda: layers.SeparableConv2D(2.0, 3), TypeError, "argument 'filters'"),
        (lambda: layers.Conv1D(2, 3, groups=2), ValueError, "no grouped convolutions"),
        (lambda: layers.Conv1D(2, (3, 3)), TypeError, "argument 'kernel_size'"),
        (lambda: layers.Conv1D(2, 3, dilation_rate=(2,)), ValueError, "no dilated convolutions"),
        (lambda: layers.MaxPooling1D(2, padding="causal"), ValueError, "argument 'padding'"),
        (lambda: layers.AveragePooling1D(0), ValueError, "argument 'pool_size'"),
    ],
)
def test_bad_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_impossible_input_shapes_are_refused_before_any_weight():
    for layer, x in (
        (layers.Conv1D(2, 5), np.ones((2, 4, 3))),
        (layers.Conv1D(2, 3), np.ones((2, 4, 3, 1))),
        (layers.DepthwiseConv2D(5), np.ones((2, 4, 4, 3))),
        (layers.SeparableConv2D(2, 3), np.ones((2, 4, 3))),
        (layers.MaxPooling1D(5), np.ones((2, 4, 3))),
        (layers.GlobalMaxPooling1D(), np.ones((2, 4))),
    ):
        with pytest.raises(ValueError, match="argument 'input_shape'"):
            layer(x)
        assert not layer.built and layer.weights == []


def test_regularizers_and_constraints_are_stored_under_keras_weight_names():
    layer = layers.SeparableConv2D(
        2,
        3,
        depthwise_regularizer="l2",
        pointwise_regularizer="l1",
        bias_regularizer="l1_l2",
        depthwise_constraint="max_norm",
        pointwise_constraint="unit_norm",
        bias_constraint="non_neg",
    )
    layer.ensure_built((None, 5, 5, 3))
    assert isinstance(layer.regularizers["depthwise_kernel"], regularizers.L2)
    assert isinstance(layer.regularizers["pointwise_kernel"], regularizers.L1)
    assert isinstance(layer.constraints["pointwise_kernel"], constraints.UnitNorm)
    assert isinstance(layer.constraints["bias"], constraints.NonNeg)
    depthwise = layers.DepthwiseConv2D(3, depthwise_regularizer="l2", depthwise_constraint="non_neg")
    depthwise.ensure_built((None, 5, 5, 3))
    assert set(depthwise.regularizers) == {"kernel"} and set(depthwise.constraints) == {"kernel"}
    for layer in (
        layers.Conv2DTranspose(2, 3, kernel_regularizer="l2", bias_constraint="non_neg"),
        layers.Conv1D(2, 3, kernel_regularizer="l2", bias_constraint="non_neg"),
    ):
        layer.ensure_built((None, 5, 5, 3) if isinstance(layer, layers.Conv2DTranspose) else (None, 5, 3))
        assert set(layer.regularizers) == {"kernel"} and set(layer.constraints) == {"bias"}


def test_an_image_model_of_the_new_convolutions_trains():
    x = images(9, (32, 8, 8, 2)).astype(np.float32)
    inputs = numcnn.Input((8, 8, 2))
    down = layers.SeparableConv2D(4, 3, strides=2, padding="same", activation="relu", depthwise_regularizer="l2")(
        inputs
    )
    up = layers.Conv2DTranspose(2, 3, strides=2, padding="same", activation="relu")(down)
    out = layers.DepthwiseConv2D(3, padding="same", depthwise_constraint="non_neg")(up)
    model = numcnn.Model(inputs, out)
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, x, epochs=10, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.layers[-1].params["kernel"].min() >= 0  # the constraint ran after each step


def test_a_sequence_model_trains():
    r = np.random.default_rng(1)
    x = r.standard_normal((64, 12, 2)).astype(np.float32)
    y = np.eye(2, dtype=np.float32)[(x[:, :, 0].sum(axis=1) > 0).astype(int)]
    model = numcnn.Sequential(
        [
            numcnn.Input((12, 2)),
            layers.Conv1D(8, 3, padding="causal", activation="relu"),
            layers.MaxPooling1D(2),
            layers.Conv1D(8, 3, padding="same", activation="relu"),
            layers.AveragePooling1D(2),
            layers.GlobalAveragePooling1D(),
            layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(optimizer=numcnn.optimizers.Adam(0.01), loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.8 * history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.8


def test_conv2d_takes_keras_defaults_for_dilation_and_groups():
    """Scripts spell out Keras' defaults (``dilation_rate=(1, 1), groups=1``); other values are refused."""
    from numcnn.layers import Conv2D

    x = np.random.default_rng(0).normal(size=(2, 6, 6, 3)).astype(np.float32)
    plain = Conv2D(4, 3, name="a")
    spelled = Conv2D(4, 3, (1, 1), "valid", None, (1, 1), 1, name="b")  # Keras' positional order
    plain.build(x.shape)
    spelled.build(x.shape)
    spelled.set_weights(plain.get_weights())
    np.testing.assert_array_equal(spelled(x), plain(x))
