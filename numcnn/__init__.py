"""numcnn: convolutional neural networks from scratch on NumPy, with numba kernels and Keras' API.

``import numcnn as keras`` gives the names a Keras MNIST notebook uses: ``numcnn.utils.to_categorical``,
``numcnn.layers``, ``numcnn.models.Sequential``, ``numcnn.datasets.mnist``, ``numcnn.backend``; and
``from numcnn import ops`` gives Keras 3's array functions.
"""

from numcnn import (
    activations,
    backend,
    callbacks,
    constraints,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    regularizers,
    utils,
)
from numcnn.layers import Input
from numcnn.models import Model, Sequential, load_model

__version__ = "0.1.0"

__all__ = [
    "Input",
    "Model",
    "Sequential",
    "load_model",
    "activations",
    "backend",
    "callbacks",
    "constraints",
    "datasets",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "ops",
    "optimizers",
    "regularizers",
    "utils",
    "__version__",
]
