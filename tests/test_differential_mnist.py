"""The shipped path against the references on real MNIST batches (slow: ``pytest -m slow``).

The models of ``tests/_differential.py`` take one training step on digits, as in ``test_differential.py``: float64
to 1e-10 of each layer's largest gradient, with Keras' zero initial biases (where the bias-gradient bug showed:
20–90 % off on the notebook's second convolution) and with random ones. Then the notebook's own model at full
size, float64, one step on 256 digits: every gradient numba against numpy.
"""

from __future__ import annotations

import numpy as np
import pytest
from _differential import MODELS, one_step, relative_errors

from numcnn import backend, optimizers, plan
from numcnn.datasets import mnist
from numcnn.layers import Conv2D, Dense, Flatten, MaxPooling2D
from numcnn.models import Sequential
from numcnn.utils import set_random_seed, to_categorical

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def digits():
    (x, y), _ = mnist.load_data()
    return (x[:, :, :, None] / 255.0), y


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_each_path_on_real_digits(digits, name, bias):
    x, y = digits
    for start in (0, 1000, 30000):
        batch, labels = x[start : start + 16], y[start : start + 16] % 5
        fast = one_step(name, batch, labels, np.float64, start, bias, "numba")
        ref = one_step(name, batch, labels, np.float64, start, bias, "numpy", fuse=False)
        assert max(relative_errors([[fast[0]]], [[ref[0]]])) <= 1e-10
        errors = relative_errors(fast[1], ref[1])
        assert max(errors) <= 1e-10, (start, errors)


def test_the_notebook_model_on_256_digits(digits):
    x, y = digits
    batch, labels = x[:256], to_categorical(y[:256], 10)
    grads = []
    for implementation, fuse in (("numba", True), ("numpy", False)):
        backend.set_implementation(implementation)
        plan.set_fusions(fuse)
        try:
            set_random_seed(3)
            f64 = {"dtype": "float64"}
            model = Sequential([
                Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1), **f64),
                Conv2D(64, 3, activation="relu", **f64), MaxPooling2D(**f64), Flatten(**f64),
                Dense(128, activation="relu", **f64), Dense(128, activation="relu", **f64),
                Dense(10, activation="softmax", **f64),
            ])  # fmt: skip
            model.compile(optimizer=optimizers.SGD(learning_rate=0.0), loss="categorical_crossentropy")
            model.train_on_batch(batch, batch_labels := labels)
            grads.append([[layer.grads[k] for k in layer.params] for layer in model.leaf_layers() if layer.params])
        finally:
            plan.set_fusions(True)
            backend.set_implementation("numba")
    assert batch_labels.shape == (256, 10)
    errors = relative_errors(grads[0], grads[1])
    assert max(errors) <= 1e-10, errors
