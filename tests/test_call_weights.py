"""Weights a Layer subclass (or a subclassed model) makes itself with ``add_weight`` and uses in ``call`` through
``numcnn.ops``, as keras.io's ``Linear`` does: eager values, float64 gradients (a Linear in a Sequential, one
weight used twice, a Linear inside a functional model), training, the weight API and files, and the refusals
(assigning to a weight in call, add_weight in call)."""

from __future__ import annotations

import numpy as np
import pytest
from _model_gradcheck import model_gradient_errors, random_inputs

import numcnn
from numcnn import backend, layers, ops


class Linear(layers.Layer):
    """keras.io's Linear, as the guide writes it."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


class Squared(layers.Layer):
    """One square weight used twice (x W W), and a scalar gain used through a list attribute."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], input_shape[-1]), name="w")
        self.extra = [self.add_weight(shape=(), initializer="ones", name="gain")]

    def call(self, inputs):
        return ops.tanh(ops.matmul(ops.matmul(inputs, self.w), self.w)) * self.extra[0]


def test_an_eager_call_uses_the_weights_values_and_the_weight_api_lists_them():
    layer = Linear(4)
    x = np.random.default_rng(0).random((2, 3)).astype("float32")
    y = layer(x)
    w, b = layer.weights
    np.testing.assert_allclose(y, x @ np.asarray(w) + np.asarray(b), rtol=1e-6)
    assert [v.path for v in layer.weights] == ["linear_1/variable", "linear_1/variable_1"]
    assert len(layer.trainable_weights) == 2 and layer.count_params() == 16
    assert layer.w.shape == (3, 4) and np.shares_memory(layer.w, w)  # self.w is the weight again after tracing
    layer.w.assign(np.zeros((3, 4)))  # outside call() a Variable writes into the weight the graph reads
    np.testing.assert_allclose(layer(x), np.broadcast_to(np.asarray(b), (2, 4)), rtol=1e-6)


def test_gradients_of_a_linear_in_a_sequential_in_float64():
    backend.set_floatx("float64")
    model = numcnn.Sequential([numcnn.Input((3,)), Linear(4), layers.Activation("tanh"), Linear(2)])
    errors = model_gradient_errors(model, random_inputs([(3,)]), np.ones((3, 2)), "mse")
    assert len(errors) == 4 and max(errors.values()) <= 1e-7, errors


def test_a_weight_used_twice_gets_the_sum_of_its_gradients_in_float64():
    backend.set_floatx("float64")
    model = numcnn.Sequential([numcnn.Input((3,)), Squared(), layers.Dense(2)])
    errors = model_gradient_errors(model, random_inputs([(3,)], seed=1), np.zeros((3, 2)), "mse")
    assert sorted(errors) == ["dense_1/bias", "dense_1/kernel", "squared_1/gain", "squared_1/w"]
    assert max(errors.values()) <= 1e-7, errors


def test_a_linear_inside_a_functional_model_and_called_twice_in_float64():
    backend.set_floatx("float64")
    inputs = numcnn.Input((3,))
    shared = Linear(3)
    hidden = layers.Dense(3, activation="tanh")(inputs)
    outputs = Linear(2)(shared(ops.tanh(shared(hidden))))  # the shared Linear's weights get both calls' gradients
    model = numcnn.Model(inputs, outputs)
    assert model.count_params() == 12 + 12 + 8
    # weights of order one: keras.io's random_normal (stddev 0.05) makes the Dense's gradient too small to
    # tell from the central differences' rounding
    rng = np.random.default_rng(5)
    model.set_weights([rng.standard_normal(w.shape) for w in model.get_weights()])
    errors = model_gradient_errors(model, random_inputs([(3,)], seed=2), np.ones((3, 2)), "mse")
    assert len(errors) == 6 and max(errors.values()) <= 1e-7, errors


def _regression(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 3)).astype("float32")
    x[: n // 2, 1] = 0.0  # image-like: exact zeros
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], "float32")) + 0.25


def test_fit_trains_the_own_weights_and_the_loss_falls():
    x, y = _regression()
    model = numcnn.Sequential([numcnn.Input((3,)), Linear(1)])
    model.compile(numcnn.optimizers.SGD(0.1), "mse")
    before = [np.array(w) for w in model.get_weights()]
    history = model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.1 * losses[0]
    assert all(not np.allclose(a, b) for a, b in zip(before, model.get_weights()))
    keys = sorted(model.trainable_params()[0])
    assert keys == ["linear_1/variable", "linear_1/variable_1"]
    model.trainable = False  # freezing the model freezes the layer's own weights
    assert model.trainable_params()[0] == {} and len(model.non_trainable_weights) == 2
    frozen = model.get_weights()
    model.fit(x, y, epochs=1, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(frozen, model.get_weights()))


def test_get_and_set_weights_count_params_summary_and_npz_files(tmp_path):
    model = numcnn.Sequential([numcnn.Input((3,)), Linear(4), layers.Dense(1)])
    assert [w.shape for w in model.get_weights()] == [(3, 4), (4,), (4, 1), (1,)]
    assert model.count_params() == 16 + 5
    lines = []
    model.summary(print_fn=lines.append)
    assert any("linear_1 (Linear)" in line and " 16" in line for line in lines)
    x = np.random.default_rng(1).random((5, 3)).astype("float32")
    new = [np.full_like(w, 0.5) for w in model.get_weights()]
    model.set_weights(new)
    np.testing.assert_allclose(model(x), x.sum(1, keepdims=True) * 0.5 * 0.5 * 4 + 0.5 * 4 * 0.5 + 0.5, rtol=1e-5)
    with pytest.raises(ValueError, match="expected shape"):
        model.set_weights([np.ones((3, 5)), *new[1:]])
    path = tmp_path / "linear.npz"
    model.save_weights(path)
    other = numcnn.Sequential([numcnn.Input((3,)), Linear(4), layers.Dense(1)])
    other.load_weights(path)
    np.testing.assert_allclose(other(x), model(x), rtol=1e-6)


def test_a_subclassed_model_with_weights_of_its_own():
    class Scaled(numcnn.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)
            self.scale = self.add_weight(shape=(2,), initializer="ones", name="scale")

        def call(self, inputs):
            return self.dense(inputs) * self.scale

    model = Scaled()
    x, y = _regression()
    model.compile(numcnn.optimizers.SGD(0.05), "mse")
    history = model.fit(x, np.repeat(y, 2, axis=1), epochs=10, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert sorted(model.trainable_params()[0]) == ["dense_1/bias", "dense_1/kernel", "scaled_1/scale"]
    assert not np.allclose(model.scale, 1.0)


def test_assigning_to_a_weight_or_adding_one_in_call_is_refused_by_name():
    class Counter(layers.Layer):
        def build(self, input_shape):
            self.total = self.add_weight(shape=(), initializer="zeros", trainable=False)

        def call(self, inputs):
            self.total.assign_add(ops.sum(inputs))
            return inputs

    with pytest.raises(NotImplementedError, match=r"'counter_1/variable' is assigned to in call\(\)"):
        Counter()(np.ones((2, 3)))

    class Rebinder(layers.Layer):
        def build(self, input_shape):
            self.total = self.add_weight(shape=(), initializer="zeros", trainable=False)

        def call(self, inputs):
            self.total = self.total + ops.sum(inputs)
            return inputs

    layer = Rebinder()
    with pytest.raises(NotImplementedError, match=r"Rebinder.call\(\) assigns to self.total, which holds a weight"):
        layer(np.ones((2, 3)))
    assert layer.total.path.startswith("rebinder_1/variable") and not layer.built  # restored, and buildable again
    assert layer.weights == []

    class Late(layers.Layer):
        def call(self, inputs):
            return inputs * self.add_weight(shape=())

    with pytest.raises(NotImplementedError, match=r"Late.add_weight\(\) in call\(\)"):
        Late()(np.ones((2, 3)))


def test_variables_of_own_weights_reached_another_way_and_weights_that_do_not_train():
    class ViaList(layers.Layer):
        def build(self, input_shape):
            self.add_weight(shape=(input_shape[-1], 2), name="kernel")
            self.add_weight(shape=(2,), initializer="ones", trainable=False, name="scale")

        def call(self, inputs):  # Variables the trace recognises in op arguments
            return ops.matmul(inputs, self.trainable_weights[0]) * self.non_trainable_weights[0]

    backend.set_floatx("float64")
    layer = ViaList()
    model = numcnn.Sequential([numcnn.Input((3,)), layer])
    x = random_inputs([(3,)], seed=4)
    errors = model_gradient_errors(model, x, np.ones((3, 2)), "mse")
    assert list(errors) == ["via_list_1/kernel"] and errors["via_list_1/kernel"] <= 1e-7, errors
    layer.non_trainable_weights[0].assign([2.0, 0.0])  # the graph reads the state's current value
    np.testing.assert_allclose(model(x[0]), x[0] @ np.asarray(layer.weights[0]) * [2.0, 0.0], rtol=1e-12)
    assert model.count_params() == 8 and len(model.non_trainable_weights) == 1
