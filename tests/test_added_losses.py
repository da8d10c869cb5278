"""``self.add_loss(tensor)`` in a traced ``call``, as keras.io's ActivityRegularizationLayer writes it: the loss
is in what ``fit`` minimises (float64 gradients), in what ``evaluate`` reports, and bad uses are refused."""

from __future__ import annotations

import numpy as np
import pytest
from _model_gradcheck import model_gradient_errors, random_inputs
from test_call_weights import Linear

import numcnn
from numcnn import backend, layers, ops


class ActivityPenalty(layers.Layer):
    """keras.io's ActivityRegularizationLayer, with a square so the penalty's gradient depends on the input."""

    def __init__(self, rate=1e-2):
        super().__init__()
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(ops.square(inputs)))
        return inputs


def test_the_added_loss_is_in_the_gradient_in_float64():
    backend.set_floatx("float64")
    model = numcnn.Sequential([numcnn.Input((3,)), Linear(4), ActivityPenalty(0.5), layers.Dense(2)])
    x = random_inputs([(3,)])
    # weights of order one, so the penalty's share of each gradient is large
    model.set_weights([np.random.default_rng(3).standard_normal(w.shape) for w in model.get_weights()])
    errors = model_gradient_errors(model, x, np.zeros((3, 2)), "mse")
    assert len(errors) == 4 and max(errors.values()) <= 1e-7, errors


def test_evaluate_reports_the_compiled_loss_plus_the_added_one():
    backend.set_floatx("float64")
    inputs = numcnn.Input((3,))
    hidden = layers.Dense(4, activation="relu")(inputs)
    model = numcnn.Model(inputs, layers.Dense(1)(ActivityPenalty(0.25)(hidden)))
    model.compile("sgd", "mse")
    x = np.random.default_rng(0).random((6, 3))
    x[:3, 0] = 0.0
    y = np.ones((6, 1))
    kernel, bias = model.layers[1].get_weights()
    h = np.maximum(x @ kernel + bias, 0.0)
    expected = np.mean((model.predict(x, verbose=0) - y) ** 2) + 0.25 * np.mean(h**2)
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), expected, rtol=1e-12)
    no_penalty = numcnn.Model(inputs, model.layers[-1](hidden))
    no_penalty.compile("sgd", "mse")
    assert no_penalty.evaluate(x, y, verbose=0) < expected


def test_a_subclassed_model_adds_a_loss_and_fit_lowers_it():
    class Sparse(numcnn.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)

        def call(self, inputs):
            y = self.dense(inputs)
            self.add_loss([0.1 * ops.mean(ops.square(y)), ops.abs(y[0])])  # a list; the second summed as it is
            return y

    model = Sparse()
    model.compile(numcnn.optimizers.SGD(0.1), "mse")
    x = np.random.default_rng(0).random((32, 3)).astype("float32")
    y = np.ones((32, 1), "float32")
    history = model.fit(x, y, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    out = np.asarray(model(x))
    expected = np.mean((out - y) ** 2) + 0.1 * np.mean(out**2) + abs(out[0, 0])
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), expected, rtol=1e-5)


def test_add_loss_outside_call_or_of_a_constant_is_refused():
    layer = ActivityPenalty()
    with pytest.raises(ValueError, match=r"add_loss\(\) outside call\(\)"):
        layer.add_loss(np.float32(1.0))

    class Constant(layers.Layer):
        def call(self, inputs):
            self.add_loss(1.0)
            return inputs

    with pytest.raises(TypeError, match=r"'loss': expected a tensor computed in call\(\)"):
        Constant()(np.ones((2, 3)))
