"""Model files: one ``.npz`` holding the weights and a JSON description, never a pickle.

Layout: ``__numcnn__`` (a JSON string: format version, model config, compile config) plus one array per
weight, named ``"<layer>/<weight>"``. Files are written to a temporary file in the same folder, flushed,
fsynced and ``os.replace``d, so a crash at any point leaves the old file or the new one. Reading uses
``np.load(allow_pickle=False)``: an object array inside is refused, never executed.
"""

from __future__ import annotations

import json
import os
import zipfile

import numpy as np

from numcnn import _files
from numcnn._checks import file_path

FORMAT = "numcnn.model"
VERSION = 1
_META = "__numcnn__"


class ModelFileNotFoundError(FileNotFoundError, ValueError):
    """No file at the given path: a ``FileNotFoundError`` that is also the ``ValueError`` Keras raises."""


def atomic_write(path, write) -> None:
    """Call ``write(fileobj)`` on a temp file beside ``path``, then fsync and rename it onto ``path``
    (see :func:`numcnn._files.atomic_write`)."""
    path = file_path("filepath", path)
    if os.path.isdir(path):
        raise ValueError(f"Invalid value for argument 'filepath': expected a file path. Received: a folder {path!r}")
    _files.atomic_write(path, write)


def write_archive(path: str, meta: dict, arrays: dict[str, np.ndarray]) -> None:
    """Write ``meta`` (JSON-able) and named ``arrays`` to ``path`` atomically."""
    payload = {_META: np.array(json.dumps({"format": FORMAT, "version": VERSION, **meta}))}
    for name, value in arrays.items():
        payload[name] = np.asarray(value, order="C")  # not ascontiguousarray: it makes a 0-d weight 1-d
    atomic_write(path, lambda f: np.savez(f, **payload))


def read_archive(path) -> tuple[dict, dict[str, np.ndarray]]:
    """Read a file written by ``write_archive``; raise ``ValueError`` naming the file on anything else.

    Never unpickles: object arrays are refused by ``allow_pickle=False``, before any of their bytes are
    interpreted. Every array that comes back is a numeric (int or float) ndarray.
    """
    path = file_path("filepath", path)
    if not os.path.isfile(path):
        raise ModelFileNotFoundError(f"No model file at '{path}'")
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ValueError("it is a single .npy array, not an .npz archive")
        with loaded as archive:
            if _META not in archive.files:
                raise ValueError("it has no numcnn metadata")
            meta = json.loads(str(archive[_META]))
            arrays = {name: archive[name] for name in archive.files if name != _META}
        for name, array in arrays.items():
            if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
                kind = f"dtype {array.dtype}" if isinstance(array, np.ndarray) else "raw bytes"
                raise ValueError(f"its entry {name!r} is not a numeric array ({kind})")
    except (zipfile.BadZipFile, OSError, EOFError, KeyError, ValueError, RecursionError, MemoryError) as err:
        # JSONDecodeError is a ValueError; RecursionError: absurdly nested JSON; MemoryError: absurd shapes
        raise ValueError(f"Cannot load '{path}' as a numcnn model file: {type(err).__name__}: {err}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else f"a JSON {type(meta).__name__}"
        raise ValueError(f"Cannot load '{path}' as a numcnn model file: unknown format {found!r}")
    if meta.get("version") != VERSION:
        raise ValueError(f"Cannot load '{path}': file format version {meta.get('version')!r}, expected {VERSION}")
    return meta, arrays
