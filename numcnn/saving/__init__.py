"""Model files: numcnn's own ``.npz`` format and Keras' formats; the suffix decides (:mod:`~numcnn.saving.formats`).

The model-level entry points, behind ``model.save``/``save_weights``/``load_weights`` and ``load_model``:

- :mod:`numcnn.saving.npz_model`: numcnn's ``.npz`` (:mod:`numcnn.saving.npz`: the bounded archive itself);
- :mod:`numcnn.saving.keras_files`: Keras 3's ``.keras`` and ``.weights.h5`` both ways, Keras 2's ``.h5`` read.

Keras' files need h5py (``pip install 'numcnn[keras-files]'``); their modules are imported on use, so
importing ``numcnn.saving`` never needs h5py:

- file level: :mod:`~numcnn.saving.keras_zip` (the ``.keras`` zip), :mod:`~numcnn.saving.keras_weights`
  (Keras 3's weights HDF5), :mod:`~numcnn.saving.legacy_h5` (Keras 2's ``.h5``), over the bounded readers
  :mod:`~numcnn.saving._h5` and :mod:`numcnn._zip`;
- config level: :mod:`~numcnn.saving.keras_model` (Sequential / Functional, the graph as tuples),
  :mod:`~numcnn.saving.keras_config` (layers), :mod:`~numcnn.saving.keras_objects` (initializers,
  regularizers, constraints, activations, dtype policies), :mod:`~numcnn.saving.keras_compile` (optimizers,
  schedules, compile configs), :mod:`~numcnn.saving.keras_objectives` (losses, metrics), all tables of
  :mod:`~numcnn.saving._keras_table`;
- model level: :mod:`~numcnn.saving.keras_build` (config → planned, checked, built model),
  :mod:`~numcnn.saving.keras_export` (model → Keras' config and weights layout).

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
