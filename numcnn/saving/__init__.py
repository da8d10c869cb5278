"""Model files: numcnn's own ``.npz`` format (:mod:`numcnn.saving.npz`) and Keras' formats.

Keras' files need h5py (``pip install 'numcnn[keras-files]'``); their readers and writers live beside this
module and are imported on use, so importing ``numcnn.saving`` never needs h5py:

- :mod:`numcnn.saving.keras_zip`: the ``.keras`` zip (``config.json``, ``metadata.json``, ``model.weights.h5``);
- :mod:`numcnn.saving.keras_weights`: Keras 3's weights HDF5 (``.weights.h5`` and ``model.weights.h5``);
- :mod:`numcnn.saving.legacy_h5`: Keras 2 / tf.keras full-model ``.h5`` and weights-only ``.h5``;
- :mod:`numcnn.saving.keras_config`: Keras 3 layer specs ↔ numcnn layers, initializers, activations;
- :mod:`numcnn.saving.keras_compile`: Keras ``compile_config`` ↔ numcnn optimizers, schedules, losses, metrics;
- :mod:`numcnn.saving.keras_model`: the Sequential / Functional level of a Keras config (the graph as tuples).

The layouts they read and write are described in ``tests/data/KERAS_FILES.md``.
"""

from __future__ import annotations

# os and np: tests inject faults through ``saving.os`` / ``saving.np`` as they did when this was one module.
import os  # noqa: F401

import numpy as np  # noqa: F401

from numcnn.saving.npz import (
    _META,  # noqa: F401
    FORMAT,
    VERSION,
    ModelFileNotFoundError,
    atomic_write,
    read_archive,
    write_archive,
)

__all__ = ["FORMAT", "VERSION", "ModelFileNotFoundError", "atomic_write", "read_archive", "write_archive"]
