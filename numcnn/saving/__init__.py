"""Model files: numcnn's own ``.npz`` format and Keras' formats; the suffix decides (:mod:`~numcnn.saving.formats`).

The model-level entry points, behind ``model.save``/``save_weights``/``load_weights`` and ``load_model``:

- :mod:`numcnn.saving.npz_model`: numcnn's ``.npz`` (:mod:`numcnn.saving.npz`: the bounded archive itself);
- :mod:`numcnn.saving.keras_files`: Keras 3's ``.keras`` and ``.weights.h5`` both ways, Keras 2's legacy ``.h5``
  read and written (as Keras 3 writes it).

Keras' files need h5py (``pip install 'numcnn[keras-files]'``); their modules are imported on use, so
importing ``numcnn.saving`` never needs h5py:

- file level: :mod:`~numcnn.saving.keras_zip` (the ``.keras`` zip), :mod:`~numcnn.saving.keras_weights`
  (Keras 3's weights HDF5), :mod:`~numcnn.saving.legacy_h5` (Keras 2's ``.h5``, both ways), over the bounded readers
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

from numcnn._checks import invalid
from numcnn.saving.custom_objects import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from numcnn.saving.npz import (
    _META,  # noqa: F401
    FORMAT,
    VERSION,
    ModelFileNotFoundError,
    atomic_write,
    read_archive,
    write_archive,
)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):  # noqa: A002 (Keras' names)
    """``keras.saving.load_model``: :func:`numcnn.models.load_model`."""
    from numcnn.models.files import load_model as load

    return load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def save_model(model, filepath, overwrite=True, zipped=None):
    """``keras.saving.save_model``: ``model.save(filepath, overwrite, zipped)``."""
    if not hasattr(model, "save"):
        raise invalid("model", "a numcnn model", model, TypeError)
    model.save(filepath, overwrite=overwrite, zipped=zipped)


def save_weights(model, filepath, overwrite=True):
    """``keras.saving.save_weights``: ``model.save_weights(filepath, overwrite)``."""
    if not hasattr(model, "save_weights"):
        raise invalid("model", "a numcnn model", model, TypeError)
    model.save_weights(filepath, overwrite=overwrite)


def load_weights(model, filepath, skip_mismatch=False):
    """``keras.saving.load_weights``: ``model.load_weights(filepath, skip_mismatch)``."""
    if not hasattr(model, "load_weights"):
        raise invalid("model", "a numcnn model", model, TypeError)
    model.load_weights(filepath, skip_mismatch=skip_mismatch)


__all__ = [
    "CustomObjectScope",
    "custom_object_scope",
    "get_registered_name",
    "get_registered_object",
    "FORMAT",
    "VERSION",
    "ModelFileNotFoundError",
    "atomic_write",
    "get_custom_objects",
    "load_model",
    "load_weights",
    "read_archive",
    "register_keras_serializable",
    "save_model",
    "save_weights",
    "write_archive",
]
