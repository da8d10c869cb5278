"""Float64 gradchecks of whole functional models through the path fit runs (every trainable weight against
central differences of the loss test_on_batch reports): a residual block (Add), a two-branch Concatenate, a
two-input/two-output model and a nested model, on random and on image-like inputs, with the numba kernels and the
NumPy references. (A layer shared by two branches: tests/test_functional_api.py.)"""

from __future__ import annotations

import numpy as np
import pytest
from _model_gradcheck import model_gradient_errors
from strategies import image_like

import numcnn
from numcnn import backend, layers

F64 = {"dtype": "float64"}
TOL = 1e-7


def _images(kind, shape, seed=0):
    rng = np.random.default_rng(seed)
    if kind == "random":
        return rng.standard_normal(shape)
    # moved off the ReLU kinks at exact zeros; ties and plateaus stay
    return image_like(rng, shape, ["strokes", "blobs", "empty", "repeated"][: shape[0]]) + 0.0137


def _labels(n, classes, seed=1):
    return np.eye(classes)[np.random.default_rng(seed).integers(0, classes, n)]


def residual():
    x = numcnn.Input((6, 6, 2), dtype="float64")
    h = layers.Conv2D(2, 3, padding="same", activation="relu", bias_initializer="random_normal", **F64)(x)
    h = layers.Add(**F64)([layers.Conv2D(2, 3, padding="same", **F64)(h), x])
    h = layers.GlobalAveragePooling2D(**F64)(layers.ReLU(**F64)(h))
    return numcnn.Model(x, layers.Dense(3, activation="softmax", **F64)(h))


def two_branch():
    x = numcnn.Input((6, 6, 1), dtype="float64")
    left = layers.Conv2D(3, 3, padding="same", activation="relu", bias_initializer="random_normal", **F64)(x)
    right = layers.Conv2D(2, 5, padding="same", activation="tanh", **F64)(x)
    h = layers.MaxPooling2D(**F64)(layers.Concatenate(**F64)([left, right]))
    return numcnn.Model(x, layers.Dense(3, activation="softmax", **F64)(layers.Flatten(**F64)(h)))


def nested():
    inner_in = numcnn.Input((6, 6, 1), dtype="float64")
    inner = numcnn.Model(inner_in, layers.Conv2D(3, 3, activation="relu", bias_initializer="ones", **F64)(inner_in))
    x = numcnn.Input((6, 6, 1), dtype="float64")
    h = layers.Flatten(**F64)(inner(x))
    return numcnn.Model(x, layers.Dense(3, activation="softmax", **F64)(h))


GRAPHS = {"residual": (residual, 2), "concatenate": (two_branch, 1), "nested": (nested, 1)}


@pytest.mark.parametrize("implementation", ["numba", "numpy"])
@pytest.mark.parametrize("kind", ["random", "image_like"])
@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_single_input_graphs(name, kind, implementation):
    build, channels = GRAPHS[name]
    backend.set_implementation(implementation)
    try:
        numcnn.utils.set_random_seed(4)
        x = _images(kind, (4, 6, 6, channels))
        errors = model_gradient_errors(build(), x, _labels(4, 3), "categorical_crossentropy")
    finally:
        backend.set_implementation("numba")
    assert len(errors) >= 4 and max(errors.values()) <= TOL, errors


@pytest.mark.parametrize("kind", ["random", "image_like"])
def test_two_inputs_and_two_outputs(kind):
    numcnn.utils.set_random_seed(5)
    image, features = numcnn.Input((6, 6, 1), dtype="float64"), numcnn.Input((4,), dtype="float64")
    h = layers.Flatten(**F64)(layers.Conv2D(2, 3, activation="relu", bias_initializer="ones", **F64)(image))
    joined = layers.Concatenate(**F64)([h, layers.Dense(3, activation="tanh", **F64)(features)])
    classes = layers.Dense(3, activation="softmax", name="classes", **F64)(joined)
    value = layers.Dense(1, name="value", **F64)(layers.Multiply(**F64)([joined, joined]))
    model = numcnn.Model([image, features], [classes, value])
    x = [_images(kind, (4, 6, 6, 1)), np.random.default_rng(2).standard_normal((4, 4))]
    y = [_labels(4, 3), np.random.default_rng(3).standard_normal((4, 1))]
    errors = model_gradient_errors(model, x, y, ["categorical_crossentropy", "mse"], loss_weights=[1.0, 0.5])
    assert len(errors) == 8 and max(errors.values()) <= TOL, errors
