"""``save``, ``save_weights``, ``load_weights`` and ``load_model``: the file name's suffix decides the format
(:mod:`numcnn.saving.formats`), as in Keras 3.

- ``.npz``: numcnn's own format (:mod:`numcnn.saving.npz_model`), weights and optimizer state by position;
- ``.keras``: Keras 3's zip, to and from (:mod:`numcnn.saving.keras_files`), so a model moves to Keras and back;
- ``.weights.h5``: Keras 3's weights file, to and from;
- ``.h5``/``.hdf5``: Keras 2's legacy full-model file, written as Keras 3 writes it (with its warning that the
  format is legacy) and read, with tf.keras' and Keras 2's; ``save_weights`` refuses ``.h5``, as Keras 3 does.

Keras' formats need h5py (``pip install 'numcnn[keras-files]'``). Everything is written atomically and read
as a hostile file: bounded, shapes checked before anything is allocated, no code run, ``ValueError`` naming
the file for anything wrong in it.
"""

from __future__ import annotations

import os

from numcnn._checks import flag, invalid
from numcnn.saving import custom_objects as user_classes
from numcnn.saving import formats


def _refuse_existing(path: str, overwrite) -> None:
    if not flag("overwrite", overwrite) and os.path.exists(path):
        raise FileExistsError(f"Not saving to '{path}': the file exists and overwrite=False")


def _keras_files():
    from numcnn.saving import _h5, keras_files

    _h5.h5py_module()  # the error naming the extra, before anything else
    return keras_files


class FilesMixin:
    """``save``, ``save_weights`` and ``load_weights`` for models."""

    def save(self, filepath, overwrite=True, zipped=None) -> None:
        """Write the architecture, compile settings, weights and optimizer state to ``filepath``: Keras 3's
        ``.keras``, Keras 2's legacy ``.h5``/``.hdf5`` or numcnn's ``.npz``, chosen by the suffix; atomically.

        ``overwrite=False`` refuses an existing file with ``FileExistsError`` (Keras asks on the terminal;
        numcnn never waits for input). ``zipped``: None or True; Keras' unzipped folder form is not written."""
        path, fmt = formats.file_format(filepath, "save")
        if zipped is not None and not flag("zipped", zipped):
            raise invalid("zipped", "None or True (numcnn writes the zipped .keras file only)", zipped)
        _refuse_existing(path, overwrite)
        self._require_built("save")
        if fmt == formats.NPZ:
            from numcnn.saving.npz_model import save_npz

            save_npz(self, path)
        elif fmt == formats.LEGACY_H5:
            _keras_files().save_legacy(self, path)
        else:
            _keras_files().save_keras(self, path)

    def save_weights(self, filepath, overwrite=True) -> None:
        """Write the weights (and a compiled model's optimizer state) to ``filepath``: Keras 3's
        ``.weights.h5`` or numcnn's ``.npz``, chosen by the suffix; atomically. ``overwrite`` as in
        :meth:`save`."""
        path, fmt = formats.file_format(filepath, "save_weights")
        _refuse_existing(path, overwrite)
        self._require_built("save_weights")
        if fmt == formats.NPZ:
            from numcnn.saving.npz_model import save_npz_weights

            save_npz_weights(self, path)
        else:
            _keras_files().save_keras_weights(self, path)

    def load_weights(self, filepath, skip_mismatch=False) -> None:
        """Load the weights of a model of the same structure from ``filepath`` (``.npz``, ``.weights.h5``,
        ``.keras``, or Keras 2's ``.h5``), and the optimizer's state when the file has it and the model's
        optimizer is of the same kind. Every array is checked before any weight changes: all or nothing, so
        ``skip_mismatch=True`` is refused."""
        path, fmt = formats.file_format(filepath, "load_weights")
        if flag("skip_mismatch", skip_mismatch):
            raise invalid("skip_mismatch", "False (numcnn loads every weight or none)", skip_mismatch)
        self._require_built("load_weights")
        if fmt == formats.NPZ:
            from numcnn.saving.npz_model import load_npz_weights

            try:
                load_npz_weights(self, path)
            except MemoryError as err:
                raise ValueError(f"Cannot load '{path}': it needs more memory than there is ({err})") from None
        elif fmt == formats.LEGACY_H5:
            _keras_files().load_legacy_weights(self, path)
        else:
            _keras_files().load_keras_weights(self, path, from_zip=fmt == formats.KERAS)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):  # noqa: A002 (Keras' names)
    """Load a model saved to ``.npz`` (numcnn), ``.keras`` (Keras 3, or numcnn for Keras) or ``.h5``/``.hdf5``
    (Keras 2); with ``compile``, its compile settings and optimizer state too.

    Raises ``ValueError`` for anything but a readable model file of that format (a missing file raises
    ``FileNotFoundError``, which is also a ``ValueError`` as in Keras). No code in a file is ever run:
    ``custom_objects`` names the user's own layer classes a ``.npz`` file holds
    (:mod:`numcnn.saving.custom_objects`); ``safe_mode`` cannot be turned off.
    """
    custom_objects = user_classes.checked(custom_objects)
    if not flag("safe_mode", safe_mode):
        raise invalid("safe_mode", "True (numcnn never runs code from a file)", safe_mode)
    compile = flag("compile", compile)
    path, fmt = formats.file_format(filepath, "load_model")
    if fmt == formats.NPZ:
        from numcnn.saving.npz_model import load_npz

        try:
            with user_classes.CustomObjectScope(custom_objects):
                return load_npz(path, compile)
        except MemoryError as err:
            raise ValueError(f"Cannot load '{path}': it needs more memory than there is ({err})") from None
    if fmt == formats.KERAS:
        return _keras_files().load_keras(path, compile)
    return _keras_files().load_legacy(path, compile)


__all__ = ["FilesMixin", "load_model"]
