"""The whole notebook architecture at small size: every parameter's gradient, float64, fused loss."""

import numpy as np
import pytest

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


@pytest.mark.parametrize("loss", ["categorical_crossentropy", "sparse_categorical_crossentropy"])
def test_every_parameter_of_the_small_notebook_model(kernels, loss):
    rng = np.random.default_rng(3)
    model = small_notebook_model()
    model.compile(loss=loss, optimizer="adam")
    x = rng.standard_normal((3, 8, 8, 1))
    labels = rng.integers(0, 3, 3)
    y = labels if loss.startswith("sparse") else to_categorical(labels, 3).astype(np.float64)
    assert model._fused()

    def total_loss():
        return model.loss(y, model._forward(x, training=True))

    model._backward(y, model._forward(x, training=True))
    params, grads = model.trainable_params()
    analytic = {name: g.copy() for name, g in grads.items()}
    assert len(analytic) == 10
    for name, param in params.items():
        err = relative_error(analytic[name], numerical_gradient(total_loss, param))
        assert err <= 1e-7, (name, err)


def test_unfused_path_gives_the_same_gradients(kernels):
    """Softmax's own Jacobian followed by the probability gradient equals the fused shortcut."""
    rng = np.random.default_rng(5)
    model = small_notebook_model()
    model.compile(loss="categorical_crossentropy", optimizer="adam")
    x, y = rng.standard_normal((3, 8, 8, 1)), to_categorical(rng.integers(0, 3, 3), 3).astype(np.float64)
    out = model._forward(x, training=True)
    model._backward(y, out)
    fused = {k: v.copy() for k, v in model.trainable_params()[1].items()}
    grad = model.loss.gradient(y, out)
    for layer in reversed(model.layers):
        grad = layer.backward(grad)
        if grad is None:
            break
    unfused = model.trainable_params()[1]
    for name in fused:
        np.testing.assert_allclose(unfused[name], fused[name], rtol=1e-9, atol=1e-12)
