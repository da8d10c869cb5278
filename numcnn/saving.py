"""Model files: one ``.npz`` holding the weights and a JSON description, never a pickle.

Layout: ``__numcnn__`` (a JSON string: format version, model config, compile config) plus one array per
weight, named ``"<layer>/<weight>"``. Files are written to a temporary file in the same folder, flushed,
fsynced and ``os.replace``d, so a crash at any point leaves the old file or the new one. Reading uses
``np.load(allow_pickle=False)``: an object array inside is refused, never executed.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile

import numpy as np

FORMAT = "numcnn.model"
VERSION = 1
_META = "__numcnn__"


def atomic_write(path: str, write) -> None:
    """Call ``write(fileobj)`` on a temp file beside ``path``, then fsync and rename it onto ``path``."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def write_archive(path: str, meta: dict, arrays: dict[str, np.ndarray]) -> None:
    """Write ``meta`` (JSON-able) and named ``arrays`` to ``path`` atomically."""
    payload = {_META: np.array(json.dumps({"format": FORMAT, "version": VERSION, **meta}))}
    for name, value in arrays.items():
        payload[name] = np.ascontiguousarray(value)
    atomic_write(path, lambda f: np.savez(f, **payload))


def read_archive(path) -> tuple[dict, dict[str, np.ndarray]]:
    """Read a file written by ``write_archive``; raise ``ValueError`` naming the file on anything else."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No model file at '{path}'")
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ValueError("it is a single .npy array, not an .npz archive")
        with loaded as archive:
            if _META not in archive.files:
                raise ValueError("it has no numcnn metadata")
            meta = json.loads(str(archive[_META]))
            arrays = {name: archive[name] for name in archive.files if name != _META}
    except (zipfile.BadZipFile, OSError, EOFError, json.JSONDecodeError, KeyError, ValueError) as err:
        raise ValueError(f"Cannot load '{path}' as a numcnn model file: {err}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"Cannot load '{path}' as a numcnn model file: unknown format {meta.get('format')!r}")
    if meta.get("version") != VERSION:
        raise ValueError(f"Cannot load '{path}': file format version {meta.get('version')!r}, expected {VERSION}")
    return meta, arrays
