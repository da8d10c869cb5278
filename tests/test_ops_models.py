"""numcnn.ops inside models: functional models built from ops, subclassed models whose ``call`` uses them, the
shapes recorded while a model is built (batch axis None), gradients through whole models in float64 against
central differences of the loss they report, training, and clear errors for code that cannot be traced."""

import json

import numpy as np
import pytest

import numcnn
from numcnn import layers, ops, optimizers
from numcnn.gradcheck import check_layer, numerical_gradient, relative_error
from numcnn.ops._trace import OpLayer


def test_the_guides_model_runs_and_returns_arrays_with_numpy():
    x = numcnn.Input((4,))
    y = ops.mean(x * x, axis=-1, keepdims=True)
    model = numcnn.Model(x, y)
    data = np.arange(8, dtype=np.float32).reshape(2, 4)
    out = model(data)
    assert out.shape == (2, 1) and out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), np.mean(data * data, axis=-1, keepdims=True))
    np.testing.assert_allclose(model.predict(data, verbose=0), out)
    np.testing.assert_allclose(ops.mean(data * data, axis=-1, keepdims=True).numpy(), out)


def test_op_layers_are_named_and_shown_as_keras_names_them():
    x = numcnn.Input((4,))
    model = numcnn.Model(x, ops.softmax(layers.Dense(3)(x) * 2.0 + 1.0))
    ops_layers = [layer for layer in model.operations if isinstance(layer, OpLayer)]
    assert not any(isinstance(layer, OpLayer) for layer in model.layers)  # as in Keras
    assert [type(layer).__name__ for layer in ops_layers] == ["Multiply", "Add", "Softmax"]
    assert [layer.name for layer in ops_layers] == ["multiply_1", "add_1", "softmax_1"]
    lines = []
    model.summary(print_fn=lines.append)
    assert any("softmax_1 (Softmax)" in line and "(None, 3)" in line for line in lines)


SHAPES = [
    (lambda x: x + 1.0, (None, 3, 4)),
    (lambda x: x * np.ones((1, 4)), (None, 3, 4)),
    (lambda x: np.ones((5, 1, 1)) + x[:1], (5, 3, 4)),  # an unknown size broadcast with 5 becomes 5
    (lambda x: ops.sum(x, axis=0), (3, 4)),
    (lambda x: ops.mean(x, axis=(1, 2), keepdims=True), (None, 1, 1)),
    (lambda x: ops.reshape(x, (-1, 12)), (None, 12)),
    (lambda x: ops.reshape(x, (ops.shape(x)[0], -1)), (None, 12)),
    (lambda x: ops.reshape(x, (-1,)), (None,), (60,)),
    (lambda x: ops.transpose(x, (0, 2, 1)), (None, 4, 3)),
    (lambda x: ops.squeeze(ops.expand_dims(x, 1)), (None, 3, 4)),
    (lambda x: ops.concatenate([x, x], axis=0), (None, 3, 4), (10, 3, 4)),
    (lambda x: ops.concatenate([x, x], axis=-1), (None, 3, 8)),
    (lambda x: ops.stack([x, x], axis=1), (None, 2, 3, 4)),
    (lambda x: ops.split(x, [1], axis=0)[1], (None, 3, 4), (4, 3, 4)),
    (lambda x: ops.split(x, 2, axis=2)[0], (None, 3, 2)),
    (lambda x: x[:, 1:, ::2], (None, 2, 2)),
    (lambda x: x[0], (3, 4)),
    (lambda x: x[..., None, 0], (None, 3, 1)),
    (lambda x: x @ np.ones((4, 2)), (None, 3, 2)),
    (lambda x: ops.argmax(x, axis=-1), (None, 3)),
    (lambda x: ops.one_hot(ops.argmax(x, axis=-1), 5), (None, 3, 5)),
    (lambda x: ops.top_k(x, 2)[1], (None, 3, 2)),
    (lambda x: ops.max_pool(x[..., None], 2, padding="same"), (None, 2, 2, 1)),
    (lambda x: ops.conv(x, np.ones((3, 4, 6))), (None, 1, 6)),
    (lambda x: ops.tile(x, (2, 1, 1)), (None, 3, 4), (10, 3, 4)),
    (lambda x: ops.pad(x, ((0, 0), (1, 1), (2, 0))), (None, 5, 6)),
    (lambda x: ops.broadcast_to(x[:, :1], (ops.shape(x)[0], 3, 4)), (None, 3, 4)),
    (lambda x: ops.sparse_categorical_crossentropy(ops.argmax(x, axis=-1), ops.softmax(x)), (None, 3)),
]


@pytest.mark.parametrize("index", range(len(SHAPES)))
def test_shapes_recorded_while_a_model_is_built(index):
    """The recorded shape has None for the batch axis (and for sizes that depend on it); running the model on a
    batch of 5 gives that shape with the batch size (or the size that depends on it)."""
    fn, expected, *ran = SHAPES[index]
    x = numcnn.Input((3, 4))
    y = fn(x)
    assert y.shape == expected
    model = numcnn.Model(x, y)
    data = np.random.default_rng(0).standard_normal((5, 3, 4)).astype(np.float32)
    out = model(data)
    assert out.shape == (ran[0] if ran else tuple(5 if n is None else n for n in expected))
    np.testing.assert_allclose(out, fn(data), rtol=1e-6)


def _gradient_check(model, x, y):
    """Analytic gradients of one training step against central differences of the loss ``test_on_batch``
    reports, for every trainable weight; returns the worst relative error."""
    model.compile(loss="mse", optimizer=optimizers.SGD(learning_rate=0.0))
    model.train_on_batch(x, y)
    params, grads = model.trainable_params()
    analytic = {key: g.copy() for key, g in grads.items()}
    errors = [
        relative_error(analytic[key], numerical_gradient(lambda: model.test_on_batch(x, y), param))
        for key, param in params.items()
    ]
    assert errors
    return max(errors)


def _dense(units, **kwargs):
    return layers.Dense(units, dtype="float64", bias_initializer="random_normal", **kwargs)


def test_gradients_through_ops_between_layers():
    """Broadcasting with constants, two branches that meet, pieces of a split, slicing, reductions, softmax."""
    x = numcnn.Input((4,), dtype="float64")
    h = _dense(6)(x)
    a, b = ops.split(h, [2], axis=-1)  # pieces of 2 and 4
    mixed = ops.concatenate([ops.tanh(a) * 2.0, b[:, ::2] - ops.mean(b, axis=-1, keepdims=True)], axis=-1)
    scaled = mixed / (1.0 + ops.square(h[:, :1])) + np.array([0.5, -0.5, 1.0, 0.0])
    out = ops.softmax(_dense(3)(ops.gelu(scaled)) @ np.eye(3)[::-1])
    model = numcnn.Model(x, out)
    rng = np.random.default_rng(0)
    assert _gradient_check(model, rng.standard_normal((5, 4)), rng.random((5, 3))) <= 1e-7


def test_gradients_where_ops_read_the_input_first():
    """Ops on the model's input (no weights before them), then a layer, then ops to the output."""
    x = numcnn.Input((6, 6, 1), dtype="float64")
    edges = ops.concatenate([x[:, 1:] - x[:, :-1], ops.zeros_like(x[:, :1])], axis=1)
    h = layers.Conv2D(2, 3, dtype="float64", bias_initializer="random_normal")(ops.relu(edges) + x)
    pooled = ops.max_pool(h, 2)
    out = ops.reshape(ops.logsumexp(pooled, axis=-1), (-1, 4))
    model = numcnn.Model(x, _dense(2)(out))
    rng = np.random.default_rng(1)
    assert _gradient_check(model, rng.standard_normal((3, 6, 6, 1)), rng.standard_normal((3, 2))) <= 1e-7


def test_gradients_of_a_shared_input_used_by_several_ops():
    x = numcnn.Input((3,), dtype="float64")
    h = _dense(3)(x)
    out = ops.stack([h * h, ops.maximum(h, 0.1), ops.where(np.array([True, False, True]), h, -h)], axis=1)
    model = numcnn.Model(x, ops.sum(out, axis=1))
    rng = np.random.default_rng(2)
    assert _gradient_check(model, rng.standard_normal((4, 3)), rng.standard_normal((4, 3))) <= 1e-7


class Residual(numcnn.Model):
    """A subclassed model written the way the Keras 3 guides write one, ops in ``call``."""

    def __init__(self):
        super().__init__()
        self.hidden = layers.Dense(16)
        self.head = layers.Dense(3)

    def call(self, inputs, training=None):
        h = ops.relu(self.hidden(inputs))
        h = h - ops.mean(h, axis=-1, keepdims=True)
        if training:  # a Python branch on the mode, not on a tensor: traced once per mode
            h = h * 1.0
        return ops.softmax(self.head(ops.concatenate([h, inputs], axis=-1)))


def test_a_subclassed_model_using_ops_trains():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0)
    model = Residual()
    model.build((None, 4))
    model.compile(optimizer=optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=8, batch_size=32, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.6 * losses[0] and history.history["accuracy"][-1] > 0.8
    out = model(x[:3])
    assert out.shape == (3, 3) and type(out.numpy()) is np.ndarray
    np.testing.assert_allclose(out.numpy().sum(axis=1), 1.0, rtol=1e-6)


def test_mixed_inputs_capture_constants_and_numpy_defers_to_keras_tensors():
    x = numcnn.Input((3,))
    constant = np.array([1.0, 2.0, 3.0], np.float32)
    y = np.float32(2.0) * x + constant  # ndarray + KerasTensor builds a node (array priority)
    constant[:] = 100.0  # the model captured a copy
    model = numcnn.Model(x, 1.0 - y / 4)
    np.testing.assert_allclose(model(np.ones((1, 3), np.float32)), [[1 - 3 / 4, 1 - 4 / 4, 1 - 5 / 4]])


def test_integer_inputs_flow_through_ops_without_gradients():
    labels = numcnn.Input((2,), dtype="int32")
    hot = ops.one_hot(labels, 4)  # (None, 2, 4) float32
    model = numcnn.Model(labels, layers.Dense(1)(ops.reshape(hot, (-1, 8))))
    model.compile(optimizer="sgd", loss="mse")
    data = np.array([[0, 3], [1, 1]])
    model.fit(data, np.ones((2, 1)), epochs=2, verbose=0)
    assert model(data).shape == (2, 1)


def test_op_layer_configs_are_json_and_rebuild_the_op():
    x = numcnn.Input((2, 3))
    y = ops.mean(x[:, 1:, None] * np.array([2.0, 3.0, 4.0], np.float32), axis=(1, 2))
    model = numcnn.Model(x, ops.clip(y, -1.0, 1.0))
    data = np.random.default_rng(0).standard_normal((4, 2, 3)).astype(np.float32)
    rebuilt_x = numcnn.Input((2, 3))
    t = rebuilt_x
    for layer in [layer for layer in model.operations if isinstance(layer, OpLayer)]:
        config = json.loads(json.dumps(layer.get_config()))
        assert config["op"] in ("get_item", "multiply", "mean", "clip")
        clone = type(layer).from_config({**config, "name": config["name"] + "_copy"})
        t = clone(t)
    np.testing.assert_allclose(numcnn.Model(rebuilt_x, t)(data), model(data))


@pytest.mark.parametrize(
    "code, match",
    [
        (lambda x: 1 if x > 0 else 0, r"cannot be used as a Python bool"),
        (lambda x: x.numpy(), r"has no value"),
        (lambda x: np.asarray(x), r"cannot become a NumPy array"),
        (lambda x: len(x), r"has no length"),
        (lambda x: int(x[0, 0]), r"cannot be converted to a Python int"),
        (lambda x: ops.convert_to_numpy(x), r"convert_to_numpy cannot take a symbolic KerasTensor"),
        (lambda x: ops.zeros((ops.shape(x)[0], 3)), r"numcnn.ops.zeros needs a concrete value for 'shape'"),
        (lambda x: ops.arange(ops.shape(x)[0]), r"numcnn.ops.arange needs a concrete value"),
        (lambda x: ops.size(x), r"numcnn.ops.size of a KerasTensor is unknown"),
        (lambda x: ops.nonzero(x), r"depends on the values"),
        (lambda x: ops.where(x > 0), r"depends on the values"),
        (lambda x: ops.unstack(x), r"unstack needs the size"),
        (lambda x: x[np.array([0, 1])], r"basic indices only"),
        (lambda x: x[:, x[0, 0]], r"A KerasTensor cannot index a tensor"),
        (lambda x: ops.pad(x, 1, mode="mean"), r"mode='mean' cannot be used while a model is built"),
        (lambda x: ops.add([x, x], 1.0), r"not a list holding KerasTensors"),
    ],
)
def test_code_that_cannot_be_traced_gets_a_clear_type_error(code, match):
    x = numcnn.Input((3,))
    with pytest.raises(TypeError, match=match):
        code(x)


def test_a_subclassed_model_with_python_control_flow_on_a_tensor_says_why():
    class Branchy(numcnn.Model):
        def call(self, inputs):
            return inputs if ops.sum(inputs) > 0 else -inputs

    with pytest.raises(TypeError, match=r"Use numcnn.ops functions or layers instead of Python control flow"):
        Branchy().build((None, 3))


def test_an_op_layer_passes_the_layer_gradient_check():
    """The recorded layer follows the layer protocol: numcnn.gradcheck.check_layer runs it as it runs Dense."""
    x = numcnn.Input((3, 4), dtype="float64")
    layer = ops.logsumexp(ops.tanh(x) * 2.0, axis=-1).node.layer
    errors = check_layer(layer, np.random.default_rng(3).standard_normal((2, 3, 4)))
    assert list(errors) == ["x"] and errors["x"] <= 1e-7


def test_gradients_when_only_one_piece_of_a_split_is_used():
    """The plan hands unused outputs a placeholder; their gradient is zero, so only the used piece trains."""
    x = numcnn.Input((4,), dtype="float64")
    _, middle, _ = ops.split(_dense(6)(x), 3, axis=-1)
    model = numcnn.Model(x, ops.sum(middle * middle, axis=-1, keepdims=True))
    rng = np.random.default_rng(4)
    assert _gradient_check(model, rng.standard_normal((3, 4)), rng.standard_normal((3, 1))) <= 1e-7
    kernel_grad = model.trainable_params()[1]["dense_1/kernel"]
    assert not kernel_grad[:, [0, 1, 4, 5]].any() and kernel_grad[:, 2:4].all()


def test_a_model_with_ops_saves_and_loads(tmp_path):
    x = numcnn.Input((3,))
    h = layers.Dense(4)(x)
    model = numcnn.Model(x, ops.mean(ops.relu(h) * np.array([1.0, 2.0, 3.0, 4.0], np.float32), axis=-1))
    model.save(tmp_path / "ops.npz")
    loaded = numcnn.models.load_model(tmp_path / "ops.npz")
    data = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict(data, verbose=0), model.predict(data, verbose=0))
    assert [type(layer).__name__ for layer in loaded.operations if isinstance(layer, OpLayer)] == [
        "Relu",
        "Multiply",
        "Mean",
    ]
