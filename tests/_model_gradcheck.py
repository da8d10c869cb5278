"""A float64 gradcheck of a whole model through the path fit runs: one training step's gradients against
central differences of the loss that test_on_batch reports."""

from __future__ import annotations

import numpy as np

from numcnn import optimizers
from numcnn.gradcheck import numerical_gradient, relative_error


def model_gradient_errors(model, x, y, loss, **compile_args) -> dict[str, float]:
    """``{weight key: relative error}`` of every trainable weight of ``model`` (float64 layers)."""
    model.compile(loss=loss, optimizer=optimizers.SGD(learning_rate=0.0), **compile_args)
    model.train_on_batch(x, y)
    params, grads = model.trainable_params()
    analytic = {key: g.copy() for key, g in grads.items()}

    def total_loss():
        result = model.test_on_batch(x, y)
        return result[0] if isinstance(result, list) else result

    return {key: relative_error(analytic[key], numerical_gradient(total_loss, p)) for key, p in params.items()}


def random_inputs(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((3, *shape)) for shape in shapes]
