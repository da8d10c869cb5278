"""numcnn's own model files: one ``.npz`` holding the weights and a JSON description, never a pickle.

Layout: ``__numcnn__`` (a JSON string: format version, model config, compile config) plus one array per
weight (``weight:<i>``, in ``get_weights`` order) and per optimizer slot (``optimizer:<slot>:<j>``); files of
format version 1 name their weights ``"003:conv2d_2/kernel"``. Files are written to a temporary file in the
same folder, flushed, fsynced and ``os.replace``d, so a crash at any point leaves the old file or the new one.

Reading treats the file as hostile (:class:`NpzArchive`, on :mod:`numcnn._archive`, the reader data caches
use too): the zip directory is checked first (member names, count, declared sizes, see :mod:`numcnn._zip`),
then only the ``.npy`` header of each array (its dtype and shape, which must account for exactly the
member's declared size), then the metadata is read, so that a caller can compare every shape with what the
config implies before any array is inflated. Object arrays are refused from their header: nothing is ever
unpickled.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

import numpy as np

from numcnn import _files
from numcnn._archive import ArchiveError, Limits, open_npz
from numcnn._checks import check_allocation, file_path

FORMAT = "numcnn.model"
VERSION = 1
_META = "__numcnn__"
_MEMBER = re.compile(r"(__numcnn__|weight:\d+|optimizer:[A-Za-z_]+:\d+|\d+:[^\x00]+)\.npy\Z")
_NPY_MAGIC = b"\x93NUMPY"


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


@dataclass(frozen=True)
class NpzLimits:
    """Caps on what an ``.npz`` may make numcnn read."""

    max_file_bytes: int = 64 << 30
    max_members: int = 100_000  # weights, optimizer slots and metadata; a directory this size parses in ~50 MB
    max_meta_bytes: int = 256 << 20  # the JSON as a NumPy unicode array: 4 bytes a character
    max_array_bytes: int = 16 << 30
    max_ratio: int = 200  # np.savez stores (1:1); deflated weights shrink ~1.1:1
    max_header_bytes: int = 1 << 16


NPZ_LIMITS = NpzLimits()

# How model files (numcnn's .npz and Keras' .keras) have always phrased these problems, after
# "Cannot load '<path>' as a ... file: "; the others read as numcnn._zip and numcnn._archive word them.
_DECLARES = (
    "the member {member!r} declares {size:,} bytes from {stored:,} stored (at most {limit:,} bytes and {ratio:g}:1 "
    "allowed)"
)
MODEL_WORDING = {
    "count": "it has {count} members, more than {limit}",
    "duplicate": "it holds two members named {member!r}",
    "member_bytes": _DECLARES,
    "member_ratio": _DECLARES,
    "damaged": "the member {member!r} cannot be read ({reason})",
    "length": "the member {member!r} holds other than the {size:,} bytes it declares",
    "dtype": "its entry {array!r} is not a numeric array (dtype {dtype}: pickled or structured data)",
    "header_size": (
        "its entry {array!r} declares shape {shape} of {dtype} ({nbytes:,} bytes), but the member holds "
        "{data_bytes:,} data bytes"
    ),
}


class NpzArchive:
    """A numcnn ``.npz``, opened and checked, with nothing but its metadata and headers read yet.

    ``meta`` is the parsed metadata (format and version checked); ``headers`` maps each array's name
    (``'weight:0'``) to its :class:`~numcnn._archive.ArrayHeader`. ``read(name)`` inflates one array. Every
    problem raises ``ValueError`` naming the file (a missing file: :class:`ModelFileNotFoundError`). Use as a
    context manager.

    The archive is read by :func:`numcnn._archive.open_npz` (the zip's directory, then the ``.npy`` headers);
    on top of its checks: only numcnn's member names (``__numcnn__`` present), numeric arrays, and all of
    them together small enough for this machine's memory.
    """

    def __init__(self, path, limits: NpzLimits = NPZ_LIMITS):
        self.path = path = file_path("filepath", path)
        self.limits = limits
        if not os.path.isfile(path):
            raise ModelFileNotFoundError(f"No model file at '{path}'")
        with open(path, "rb") as f:
            if f.read(len(_NPY_MAGIC)) == _NPY_MAGIC:
                raise self.error("it is a single .npy array, not an .npz archive")
        caps = Limits(
            max_file_bytes=limits.max_file_bytes,
            max_members=limits.max_members,
            max_total_bytes=limits.max_file_bytes,  # np.savez stores: the arrays are about the file's size
            max_ratio=limits.max_ratio,
            max_header_bytes=limits.max_header_bytes,
            max_json_bytes=limits.max_meta_bytes,
        )
        self._npz = open_npz(path, caps, context=self.context, wording=MODEL_WORDING, member_caps=self._caps)
        try:
            headers = self._npz.headers()
            for name, header in headers.items():
                if name != _META and header.dtype.kind not in "biuf":
                    raise self.error(f"its entry {name!r} is not a numeric array (dtype {header.dtype})")
            check_allocation(f"Cannot load '{path}'", (sum(h.nbytes for h in headers.values()),), 1)
            self.meta = self._metadata()
            del headers[_META]
            self.headers = headers
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> NpzArchive:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if hasattr(self, "_npz"):
            self._npz.close()

    @property
    def context(self) -> str:
        return f"Cannot load '{self.path}' as a numcnn model file"

    def error(self, problem: str) -> ArchiveError:
        return ArchiveError(f"{self.context}: {problem}")

    def _caps(self, names: list[str], error) -> dict[str, int]:
        if f"{_META}.npy" not in names:
            raise error("it has no numcnn metadata")
        for name in names:
            if not _MEMBER.fullmatch(name):
                raise error(f"unexpected member {name!r} (a numcnn file holds {_META}, weight:<i>, optimizer:…)")
        meta, arrays = self.limits.max_meta_bytes, self.limits.max_array_bytes
        return {name: meta if name == f"{_META}.npy" else arrays for name in names}

    def _metadata(self) -> dict:
        meta = self._npz.read_json(_META, max_bytes=self.limits.max_meta_bytes)
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            found = meta.get("format") if isinstance(meta, dict) else f"a JSON {type(meta).__name__}"
            raise ValueError(f"Cannot load '{self.path}' as a numcnn model file: unknown format {found!r}")
        if meta.get("version") != VERSION:
            raise ValueError(
                f"Cannot load '{self.path}': file format version {meta.get('version')!r}, expected {VERSION}"
            )
        return meta

    def read(self, name: str, shape=None) -> np.ndarray:
        """The array ``name`` as a new native-order array; ``shape`` (if given) is compared before inflating."""
        header = self.headers.get(name)
        if header is None:
            raise self.error(f"it has no entry {name!r}")
        if shape is not None and tuple(shape) != header.shape:
            raise self.error(f"its entry {name!r} has shape {header.shape}, expected {tuple(shape)}")
        array = self._npz.read(name)
        if not array.dtype.isnative:
            array = array.astype(array.dtype.newbyteorder("="))
        return array


def read_archive(path) -> tuple[dict, dict[str, np.ndarray]]:
    """Read a whole file written by ``write_archive``: ``(meta, {name: array})``; ``ValueError`` naming the file
    on anything else (see :class:`NpzArchive`, which lets a caller check shapes before reading)."""
    try:
        with NpzArchive(path) as archive:
            return archive.meta, {name: archive.read(name) for name in archive.headers}
    except MemoryError as err:
        raise ValueError(f"Cannot load '{path}' as a numcnn model file: MemoryError: {err}") from None
