"""The whole notebook architecture at small size, through the path ``fit`` runs: every parameter's gradient in
float64 against central differences of the loss the model reports, with both op implementations, on random and
on image-like inputs (exact zeros, strokes of ones, empty images, tied maxima), fused and unfused."""

import numpy as np
import pytest
from strategies import image_like

from numcnn import optimizers, plan
from numcnn.gradcheck import numerical_gradient, relative_error
from numcnn.layers import Conv2D, Dense, Flatten, MaxPooling2D
from numcnn.models import Sequential
from numcnn.utils import to_categorical


def small_notebook_model(last_activation="softmax"):
    f64 = {"dtype": "float64"}
    return Sequential(
        [
            Conv2D(3, (3, 3), activation="relu", input_shape=(8, 8, 1), bias_initializer="random_normal", **f64),
            Conv2D(4, (3, 3), activation="relu", bias_initializer="random_normal", **f64),
            MaxPooling2D(pool_size=(2, 2), **f64),
            Flatten(**f64),
            Dense(6, activation="relu", bias_initializer="random_normal", **f64),
            Dense(6, activation="relu", bias_initializer="random_normal", **f64),
            Dense(3, activation=last_activation, **f64),
        ]
    )


def _inputs(kind, rng):
    if kind == "random":
        return rng.standard_normal((3, 8, 8, 1))
    return image_like(rng, (4, 8, 8, 1), ["strokes", "repeated", "blobs", "empty"])


def _analytic_and_numeric(model, x, y):
    """The gradients one training step computes, and central differences of the loss ``evaluate`` reports."""
    model.compile(loss=model.loss, optimizer=optimizers.SGD(learning_rate=0.0))
    model.train_on_batch(x, y)
    params, grads = model.trainable_params()
    analytic = {key: g.copy() for key, g in grads.items()}

    def total_loss():
        return model.test_on_batch(x, y)

    return {key: (analytic[key], numerical_gradient(total_loss, param)) for key, param in params.items()}


@pytest.mark.parametrize("inputs", ["random", "image-like"])
@pytest.mark.parametrize("loss", ["categorical_crossentropy", "sparse_categorical_crossentropy"])
def test_every_parameter_of_the_small_notebook_model(kernels, loss, inputs):
    rng = np.random.default_rng(3)
    model = small_notebook_model()
    model.compile(loss=loss, optimizer="adam")
    x = _inputs(inputs, rng)
    labels = rng.integers(0, 3, x.shape[0])
    y = labels if loss.startswith("sparse") else to_categorical(labels, 3).astype(np.float64)
    described = model.describe_plan()
    assert "convolution + max-pool fused" in described and "crossentropy head" in described
    checked = _analytic_and_numeric(model, x, y)
    assert len(checked) == 10
    for name, (analytic, numeric) in checked.items():
        err = relative_error(analytic, numeric)
        assert err <= 1e-7, (name, err)


@pytest.mark.parametrize("inputs", ["random", "image-like"])
def test_unfused_path_gives_the_same_gradients(kernels, inputs):
    """Every layer on its own (softmax's own Jacobian, the max-pool's full scatter) equals the fused plan."""
    rng = np.random.default_rng(5)
    x = _inputs(inputs, rng)
    y = to_categorical(rng.integers(0, 3, x.shape[0]), 3).astype(np.float64)
    results = []
    for fuse in (True, False):
        plan.set_fusions(fuse)
        try:
            model = small_notebook_model()
            model.set_weights(_random_weights(model, 5))
            model.compile(loss="categorical_crossentropy", optimizer=optimizers.SGD(learning_rate=0.0))
            model.train_on_batch(x, y)
            results.append([g.copy() for g in model.trainable_params()[1].values()])
        finally:
            plan.set_fusions(True)
    assert len(results[0]) == len(results[1]) == 10
    for unfused, fused in zip(results[1], results[0]):
        np.testing.assert_allclose(unfused, fused, rtol=1e-9, atol=1e-12)


def _random_weights(model, seed):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(w.shape) * 0.5 for w in model.get_weights()]
