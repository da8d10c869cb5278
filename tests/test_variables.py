"""Weights as Keras 3's Variables: ``name``, ``path``, ``trainable``, ``numpy()`` (a copy) and ``assign`` (into
the weight the model trains), as Hands-On ML and the keras.io guides use them; metric state alike."""

from __future__ import annotations

import numpy as np
import pytest

import numcnn
from numcnn import layers


def model():
    net = numcnn.Sequential([numcnn.Input((3,)), layers.Dense(2, name="hidden"), layers.BatchNormalization(name="bn")])
    net.compile(optimizer="sgd", loss="mse")
    return net


def test_names_paths_and_trainable_as_keras_lists_them():
    net = model()
    assert [(v.name, v.trainable) for v in net.layers[1].variables] == [
        ("gamma", True),
        ("beta", True),
        ("moving_mean", False),
        ("moving_variance", False),
    ]
    assert [v.path for v in net.weights] == [
        "hidden/kernel",
        "hidden/bias",
        "bn/gamma",
        "bn/beta",
        "bn/moving_mean",
        "bn/moving_variance",
    ]
    net.layers[0].trainable = False
    assert [v.trainable for v in net.layers[0].weights] == [False, False]


def test_numpy_and_get_weights_are_copies_but_assign_writes_into_the_model():
    net = model()
    kernel = net.layers[0].kernel
    snapshot = kernel.numpy()
    assert type(snapshot) is np.ndarray and all(type(w) is np.ndarray for w in net.get_weights())
    kernel.assign(np.ones((3, 2)))
    assert not np.array_equal(snapshot, kernel.numpy())  # the copy kept the old value
    net.layers[0].bias.assign(0.5)  # a scalar broadcasts, as in Keras
    x = np.array([[1.0, 2.0, 3.0]], np.float32)
    np.testing.assert_allclose(net.layers[0](x), [[6.5, 6.5]])
    net.trainable_weights[1].assign_add([1.0, 2.0])
    np.testing.assert_array_equal(net.get_weights()[1], [1.5, 2.5])
    net.layers[0].bias.assign_sub(0.5)
    np.testing.assert_array_equal(net.layers[0].bias.numpy(), [1.0, 2.0])


def test_a_wrong_shape_is_refused_and_nothing_changes():
    net = model()
    before = net.get_weights()
    with pytest.raises(ValueError, match="'value'.*hidden/kernel"):
        net.layers[0].kernel.assign(np.ones((2, 3)))
    assert all(np.array_equal(a, b) for a, b in zip(net.get_weights(), before))


def test_arithmetic_on_a_variable_gives_plain_arrays_and_fit_trains_the_same_arrays():
    net = model()
    kernel = net.layers[0].kernel
    assert type(kernel * 2) is np.ndarray and type(np.sum(kernel)) is not type(kernel)
    x = np.random.default_rng(0).normal(size=(16, 3)).astype(np.float32)
    net.fit(x, np.zeros((16, 2), np.float32), epochs=1, verbose=0)
    np.testing.assert_array_equal(kernel, net.get_weights()[0])  # a view: it sees the trained values


def test_metric_state_variables_are_variables_too():
    class Total(numcnn.metrics.Metric):
        def __init__(self):
            super().__init__(name="total")
            self.sum = self.add_weight(name="sum")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.sum.assign_add(np.sum(y_pred))

        def result(self):
            return float(self.sum)

    metric = Total()
    metric.update_state(None, np.ones(3))
    metric.update_state(None, np.ones(2))
    assert metric.result() == 5.0 and metric.sum.path == "total/sum" and metric.sum.trainable is False
    metric.reset_state()
    assert metric.result() == 0.0


def test_metric_results_are_tensors_with_numpy_as_in_keras():
    accuracy = numcnn.metrics.SparseCategoricalAccuracy()
    accuracy.update_state([1, 0], [[0.1, 0.9], [0.2, 0.8]])
    value = accuracy.result()
    assert value.numpy() == np.float32(0.5) and value.numpy().dtype == np.float32
    assert float(value) == 0.5 and f"{value:.3f}" == "0.500"
    mean = numcnn.metrics.Mean(dtype="float64")
    assert mean([1.0, 2.0]).numpy().dtype == np.float64  # __call__ returns the result too
