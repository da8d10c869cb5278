"""The functional API and subclassed models on the one graph engine: Input, Model(inputs, outputs), several
inputs and outputs, shared layers, nested models, ``call``-traced subclasses, and the model API on them."""

from __future__ import annotations

import numpy as np
import pytest
from _model_gradcheck import model_gradient_errors, random_inputs

import numcnn
from numcnn import backend, layers
from numcnn.models import Model, Sequential, clone_model, model_from_json

F64 = {"dtype": "float64"}


def test_input_is_a_symbolic_tensor_and_layers_record_nodes():
    x = numcnn.Input(shape=(28, 28, 1), name="image")
    assert x.shape == (None, 28, 28, 1) and x.dtype == "float32" and x.name == "image"
    y = layers.Conv2D(4, 3)(x)
    assert y.shape == (None, 26, 26, 4) and y.node.layer.name.startswith("conv2d")
    with pytest.raises(TypeError, match="Python bool"):
        bool(y)
    with pytest.raises(TypeError, match="no value"):
        np.asarray(y)


def test_two_outputs_from_a_shared_trunk_with_losses_weights_and_metrics_per_output():
    x = numcnn.Input((6,), name="x")
    trunk = layers.Dense(8, activation="relu", name="trunk")(x)
    digit = layers.Dense(3, activation="softmax", name="digit")(trunk)
    size = layers.Dense(1, name="size")(trunk)
    model = Model(x, [digit, size])
    assert model.output_names == ["digit", "size"] and [t.shape for t in model.outputs] == [(None, 3), (None, 1)]
    model.compile("adam", loss=["sparse_categorical_crossentropy", "mse"], loss_weights=[1.0, 0.5],
                  metrics=[["accuracy"], ["mae"]])  # fmt: skip
    rng = np.random.default_rng(0)
    data = rng.standard_normal((32, 6))
    labels, sizes = rng.integers(0, 3, 32), rng.standard_normal((32, 1))
    history = model.fit(data, [labels, sizes], epochs=3, verbose=0)
    assert sorted(history.history) == ["digit_accuracy", "digit_loss", "loss", "size_loss", "size_mae"]
    assert history.history["loss"][-1] < history.history["loss"][0]
    logs = model.evaluate(data, {"digit": labels, "size": sizes}, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(logs["digit_loss"] + 0.5 * logs["size_loss"], rel=1e-6)
    probs, predicted = model.predict(data, verbose=0)
    assert probs.shape == (32, 3) and predicted.shape == (32, 1)


def test_dict_inputs_and_outputs_keep_their_structure():
    a, b = numcnn.Input((3,), name="a"), numcnn.Input((2,), name="b")
    out = {"p": layers.Dense(2, name="p")(a), "q": layers.Dense(1, name="q")(b)}
    model = Model({"a": a, "b": b}, out)
    result = model({"a": np.ones((4, 3)), "b": np.ones((4, 2))})
    assert set(result) == {"p", "q"} and result["p"].shape == (4, 2) and type(result["q"].numpy()) is np.ndarray
    with pytest.raises(ValueError, match="keys"):
        model.predict({"a": np.ones((4, 3))}, verbose=0)


@pytest.mark.parametrize("implementation", ["numpy", "numba"])
def test_a_layer_shared_by_two_branches_gets_the_sum_of_its_gradients(implementation):
    backend.set_implementation(implementation)
    shared = layers.Dense(4, activation="tanh", name="shared", **F64)
    a, b = numcnn.Input((5,), name="a", dtype="float64"), numcnn.Input((5,), name="b", dtype="float64")
    model = Model([a, b], [layers.Dense(2, **F64)(shared(a)), layers.Dense(1, **F64)(shared(b))])
    assert len(model.layers) == 5  # two inputs, one shared layer, two heads
    errors = model_gradient_errors(model, random_inputs([(5,), (5,)]), [np.eye(2)[[0, 1, 0]], np.ones((3, 1))],
                                   ["categorical_crossentropy", "mse"])  # fmt: skip
    assert max(errors.values()) <= 1e-7, errors


@pytest.mark.parametrize("outer", ["functional", "sequential"])
def test_a_model_used_as_a_layer_trains_inside_another(outer):
    inner = Sequential(
        [layers.Dense(4, activation="relu", input_shape=(6,), **F64), layers.Dense(3, **F64)], name="inner"
    )
    if outer == "functional":
        x = numcnn.Input((6,), dtype="float64")
        model = Model(x, layers.Activation("softmax", **F64)(inner(x)))
    else:
        model = Sequential([inner, layers.Activation("softmax", **F64)])
    assert model.layers[-2 if outer == "functional" else 0] is inner and model.count_params() == 28 + 15
    rng = np.random.default_rng(1)
    errors = model_gradient_errors(
        model, rng.standard_normal((4, 6)), np.eye(3)[[0, 1, 2, 0]], "categorical_crossentropy"
    )
    assert len(errors) == 4 and max(errors.values()) <= 1e-7, errors
    inner.trainable = False  # freezing the inner model freezes its layers
    assert not inner.layers[0].trainable and model.count_params() == 43


class _TwoBranch(Model):
    def __init__(self):
        super().__init__(name="two_branch")
        self.hidden = layers.Dense(6, activation="relu", **F64)
        self.dropout = layers.Dropout(0.5, **F64)
        self.out = layers.Dense(2, activation="softmax", **F64)

    def call(self, inputs, training=None):
        h = self.hidden(inputs)
        if training:  # a Python branch on the training flag: traced once per mode
            h = self.dropout(h)
        return self.out(h)


def test_a_subclassed_model_is_traced_per_training_mode_and_trains():
    model = _TwoBranch()
    x = np.random.default_rng(2).standard_normal((5, 4))
    y = model(x)
    assert y.shape == (5, 2) and [layer.name for layer in model.layers][:1] == [model.hidden.name]
    assert "dropout" in model.describe_plan(training=True) and "dropout" not in model.describe_plan(training=False)
    model.compile("adam", "categorical_crossentropy")
    before = model.get_weights()
    model.fit(x, np.eye(2)[[0, 1, 0, 1, 0]], epochs=2, verbose=0)
    assert not np.array_equal(before[0], model.get_weights()[0])


def test_untraceable_python_in_call_says_why():
    class Bad(Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, inputs):
            h = self.dense(inputs)
            return h if h else -h

    with pytest.raises(TypeError, match="Python bool"):
        Bad()(np.ones((2, 3)))


def test_the_model_api_on_a_functional_model(tmp_path):
    x = numcnn.Input((8, 8, 1), name="pixels")
    h = layers.Conv2D(3, 3, activation="relu", name="conv")(x)
    h = layers.MaxPooling2D(name="pool")(h)
    y = layers.Dense(2, activation="softmax", name="head")(layers.Flatten(name="flat")(h))
    model = Model(inputs=x, outputs=y, name="net")
    assert model.get_layer("conv") is model.get_layer(index=1)
    with pytest.raises(ValueError, match="No such layer: nope"):
        model.get_layer("nope")
    assert model.input_shape == (None, 8, 8, 1) and model.output_shape == (None, 2)
    lines = []
    model.summary(print_fn=lines.append)
    assert any("pool (MaxPooling2D)" in line and "conv[0][0]" in line for line in lines)
    data = np.random.default_rng(3).random((6, 8, 8, 1))
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    model.fit(data, np.eye(2)[[0, 1] * 3], epochs=1, verbose=0)
    again = model_from_json(model.to_json())
    assert [layer.name for layer in again.layers] == [layer.name for layer in model.layers]
    twin = clone_model(model)
    twin.set_weights(model.get_weights())
    np.testing.assert_array_equal(twin.predict(data, verbose=0), model.predict(data, verbose=0))
    model.save(tmp_path / "net.npz")
    loaded = numcnn.models.load_model(tmp_path / "net.npz")
    np.testing.assert_array_equal(loaded.predict(data, verbose=0), model.predict(data, verbose=0))
    assert loaded.evaluate(data, np.eye(2)[[0, 1] * 3], verbose=0) == pytest.approx(
        model.evaluate(data, np.eye(2)[[0, 1] * 3], verbose=0)
    )
    dot = numcnn.utils.model_to_dot(model, show_shapes=True).to_string()
    assert "conv (Conv2D)" in dot and dot.count("->") == 4


def test_graph_errors_name_the_problem():
    a, b = numcnn.Input((3,)), numcnn.Input((3,))
    y = layers.Dense(2)(b)
    with pytest.raises(ValueError, match="not connected"):
        Model(a, y)
    with pytest.raises(TypeError, match="'inputs'"):
        Model(np.ones(3), y)
    with pytest.raises(ValueError, match=r"expected an array of shape \(None, 3\)"):
        Model(b, y)(np.ones((2, 4)))


def test_clear_session_restarts_the_names():
    layers.Dense(2)
    backend.clear_session()
    assert layers.Dense(2).name == "dense_1" and numcnn.Input((2,)).node.layer.name == "input_layer_1"
