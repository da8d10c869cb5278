"""Layer subclasses written with ``call``, as Keras' guides and Hands-On ML's ResNet write them: traced into their
sublayers and ops, in Sequential and functional models, with float64 gradients; sublayers made in ``build``;
``training`` in ``call``; activations called on symbolic tensors; and the refusal of ``call`` overriding one of
numcnn's layers (weights of the layer's own: tests/test_call_weights.py)."""

from __future__ import annotations

import numpy as np
import pytest
from _model_gradcheck import model_gradient_errors, random_inputs

import numcnn
from numcnn import backend, layers, ops


class ResidualUnit(layers.Layer):
    """Hands-On ML's ResidualUnit (chapter 14), smaller."""

    def __init__(self, filters, strides=1, activation="relu", **kwargs):
        super().__init__(**kwargs)
        self.activation = numcnn.activations.get(activation)
        self.main_layers = [
            layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.Activation(self.activation),
            layers.Conv2D(filters, 3, padding="same", use_bias=False),
            layers.BatchNormalization(),
        ]
        self.skip_layers = []
        if strides > 1:
            self.skip_layers = [layers.Conv2D(filters, 1, strides=strides, use_bias=False), layers.BatchNormalization()]

    def call(self, inputs):
        z = inputs
        for layer in self.main_layers:
            z = layer(z)
        skip = inputs
        for layer in self.skip_layers:
            skip = layer(skip)
        return self.activation(z + skip)


def _images(n=24, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.random((n, 8, 8, 1)).astype("float32") * 0.1
    for i, label in enumerate(y):
        x[i, 2 * label : 2 * label + 2] = 1.0
    return x, y


def test_a_residual_unit_trains_in_a_sequential_and_computes_its_call():
    x, y = _images()
    unit = ResidualUnit(4, strides=2)
    assert isinstance(unit, ResidualUnit) and type(unit).__name__ == "ResidualUnit"
    model = numcnn.Sequential([numcnn.Input((8, 8, 1)), layers.Conv2D(4, 3, padding="same"), unit,
                               layers.GlobalAveragePooling2D(), layers.Dense(3, activation="softmax")])  # fmt: skip
    assert unit.output_shape == (None, 4, 4, 4)
    # its layers: the seven it made, then the Activation its call() recorded (Keras would record an op there)
    assert unit.layers[:7] == unit.main_layers + unit.skip_layers and len(unit.layers) == 8
    params = 2 * (9 * 4 * 4) + 4 * 4 + 3 * (4 * 4)  # two 3x3 convolutions, the 1x1 skip, three BNs
    assert unit.count_params() == sum(s.count_params() for s in unit.layers) == params
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    features = model.layers[0](x)
    main, skip = features, features
    for layer in unit.main_layers:
        main = layer(main)
    for layer in unit.skip_layers:
        skip = layer(skip)
    np.testing.assert_allclose(unit(features), np.maximum(np.asarray(main) + skip, 0), rtol=1e-5, atol=1e-6)
    lines = []
    model.summary(print_fn=lines.append)
    assert any(line.startswith(unit.name + " (ResidualUni") for line in lines)  # Keras 2 cuts the type


class _Block(layers.Layer):
    """Two convolutions and a skip, without BatchNormalization (whose training-mode loss is not the loss a
    gradcheck differentiates)."""

    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.first = layers.Conv2D(filters, 3, padding="same", activation="tanh")
        self.second = layers.Conv2D(filters, 3, padding="same")
        self.skip = layers.Conv2D(filters, 1, strides=2)

    def call(self, inputs):
        main = layers.MaxPooling2D()(self.second(self.first(inputs)))
        return numcnn.activations.tanh(main + self.skip(inputs)) * 0.5


def test_gradients_through_a_call_layer_in_float64():
    backend.set_floatx("float64")
    inputs = numcnn.Input((6, 6, 2))
    outputs = layers.Dense(2)(layers.Flatten()(_Block(3)(layers.Conv2D(2, 1)(inputs))))
    model = numcnn.Model(inputs, outputs)
    errors = model_gradient_errors(model, random_inputs([(6, 6, 2)]), np.ones((3, 2)), "mse")
    assert len(errors) == 10 and max(errors.values()) <= 1e-7, errors


class _Gated(layers.Layer):
    """Sublayers made in build() (the other pattern of Keras' guide), training= honoured, ops in call."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.value = layers.Dense(self.units)
        self.gate = layers.Dense(self.units, activation="sigmoid")
        self.dropout = layers.Dropout(0.5)

    def call(self, inputs, training=None):
        return self.dropout(self.value(inputs), training=training) * self.gate(inputs) + ops.mean(inputs)


def test_sublayers_made_in_build_and_training_in_call():
    gated = _Gated(4)
    x = np.random.default_rng(3).random((8, 5)).astype("float32")
    inference = gated(x)
    expected = gated.value(x) * np.asarray(gated.gate(x)) + x.mean()
    np.testing.assert_allclose(inference, expected, rtol=1e-5)
    training = np.asarray(gated(x, training=True))
    assert not np.allclose(training, inference)  # dropout acted
    model = numcnn.Sequential([numcnn.Input((5,)), gated, layers.Dense(1)])
    model.compile("sgd", "mse")
    assert len(model.trainable_weights) == 6
    model.fit(x, np.ones((8, 1)), epochs=1, verbose=0)


def test_activations_called_on_symbolic_tensors_record_a_layer():
    inputs = numcnn.Input((3,))
    out = numcnn.activations.relu(layers.Dense(2)(inputs))
    assert out.shape == (None, 2) and type(out.node.layer).__name__ == "Activation"
    model = numcnn.Model(inputs, numcnn.activations.get("sigmoid")(out))
    value = model.predict(np.ones((2, 3)), verbose=0)
    assert np.all((value >= 0.5) & (value < 1))


def test_what_cannot_be_traced_is_refused_by_name():
    class DoubledDense(layers.Dense):
        def call(self, inputs):
            return super().call(inputs) * 2

    with pytest.raises(TypeError, match=r"overrides call\(\) of numcnn's Dense"):
        DoubledDense(3)


def test_a_layer_written_numcnn_s_way_keeps_its_forward_even_with_a_call_method():
    class Twice(layers.Layer):
        def forward(self, x, training=False):
            return x * 2

        def backward(self, dy):
            return dy * 2

        def call(self, inputs):  # a helper of the user's own; numcnn runs forward()
            return inputs

    layer = Twice()
    assert not isinstance(layer, numcnn.Model)
    np.testing.assert_allclose(layer(np.ones((1, 2))), 2.0)
