"""The file name's suffix decides the format, as in Keras 3 (case-sensitive, as Keras compares them).

=================  =============================  ===========================================
suffix             ``save`` / ``load_model``      ``save_weights`` / ``load_weights``
=================  =============================  ===========================================
``.npz``           numcnn's own (any ``*.npz``)   numcnn's own
``.keras``         Keras 3's zip                  — / the weights inside a ``.keras`` (as Keras)
``.weights.h5``    — (weights only)               Keras 3's weights file
``.h5``/``.hdf5``  Keras 2's full model (legacy)  — / Keras 2's weights (or full model) file
=================  =============================  ===========================================

``save('x.h5')`` writes the legacy full-model HDF5 as Keras 3 does, with Keras 3's warning that the format is
legacy (``.keras`` is the one to prefer); ``save_weights('x.h5')`` is refused, as Keras 3 refuses it ("The
filename must end in `.weights.h5`"). Any other suffix is refused with the list of choices.
"""

from __future__ import annotations

import os

from numcnn._checks import file_path

NPZ, KERAS, WEIGHTS_H5, LEGACY_H5 = "npz", "keras", "weights.h5", "h5"

_SUFFIXES = ((".weights.h5", WEIGHTS_H5), (".keras", KERAS), (".npz", NPZ), (".h5", LEGACY_H5), (".hdf5", LEGACY_H5))
_CHOICES = {
    "save": ".keras (Keras 3), .h5/.hdf5 (Keras 2's legacy format) or .npz (numcnn's own format)",
    "load_model": ".keras (Keras 3), .h5/.hdf5 (Keras 2) or .npz (numcnn's own format)",
    "save_weights": ".weights.h5 (Keras 3) or .npz (numcnn's own format)",
    "load_weights": ".weights.h5 (Keras 3), .keras, .h5/.hdf5 (Keras 2) or .npz (numcnn's own format)",
}
_ACCEPTS = {
    "save": (KERAS, LEGACY_H5, NPZ),
    "load_model": (KERAS, LEGACY_H5, NPZ),
    "save_weights": (WEIGHTS_H5, NPZ),
    "load_weights": (WEIGHTS_H5, KERAS, LEGACY_H5, NPZ),
}


def file_format(filepath, action: str) -> tuple[str, str]:
    """``(path, format)`` for ``action`` (``'save'``, ``'load_model'``, ``'save_weights'``, ``'load_weights'``)
    on ``filepath``; ``ValueError`` naming the suffixes ``action`` takes when ``filepath``'s is not one of them."""
    path = file_path("filepath", filepath)
    if os.path.isdir(path):
        raise ValueError(f"Invalid value for argument 'filepath': expected a file path. Received: a folder {path!r}")
    found = next((fmt for suffix, fmt in _SUFFIXES if path.endswith(suffix)), None)
    if found in _ACCEPTS[action]:
        return path, found
    hint = ""
    if action == "save" and found == WEIGHTS_H5:
        hint = " (a .weights.h5 file holds weights only: use save_weights)"
    elif action == "load_model" and found == WEIGHTS_H5:
        hint = " (a .weights.h5 file holds weights only: build the model, then load_weights)"
    elif action == "save_weights" and found == KERAS:
        hint = " (Keras 3 writes weights to a name ending in .weights.h5)"
    elif action == "save_weights" and found == LEGACY_H5:
        hint = (
            " (Keras 3 writes weights to a name ending in .weights.h5 and refuses .h5 here too; save() writes a "
            "legacy .h5 whose weights load_weights reads, Keras 2's too)"
        )
    raise ValueError(
        f"Invalid value for argument 'filepath': expected a file name ending in {_CHOICES[action]}; the suffix "
        f"decides the format{hint}. Received: filepath={path!r}"
    )
