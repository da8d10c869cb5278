"""numcnn: convolutional neural networks from scratch on NumPy, with numba kernels and Keras' API.

``import numcnn as keras`` gives the names a Keras MNIST notebook uses: ``numcnn.utils.to_categorical``,
``numcnn.layers``, ``numcnn.models.Sequential``, ``numcnn.datasets.mnist``, ``numcnn.backend``; and
``from numcnn import ops`` gives Keras 3's array functions.
"""

from numcnn import (
    activations,
    backend,
    callbacks,
    config,
    constraints,
    datasets,
    gradcheck,
    initializers,
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    preprocessing,
    regularizers,
    saving,
    utils,
)
from numcnn.graph import KerasTensor
from numcnn.initializers import Initializer
from numcnn.layers import Input, Layer
from numcnn.losses import Loss
from numcnn.metrics import Metric
from numcnn.models import Model, Sequential, load_model
from numcnn.optimizers import Optimizer
from numcnn.regularizers import Regularizer

__version__ = "0.1.0"


def version() -> str:
    """numcnn's version, as ``keras.version()``."""
    return __version__


__all__ = [
    "Initializer",
    "Input",
    "KerasTensor",
    "Layer",
    "Loss",
    "Metric",
    "Model",
    "Optimizer",
    "Regularizer",
    "Sequential",
    "load_model",
    "version",
    "activations",
    "backend",
    "callbacks",
    "config",
    "constraints",
    "datasets",
    "gradcheck",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "ops",
    "optimizers",
    "preprocessing",
    "regularizers",
    "saving",
    "utils",
    "__version__",
]
