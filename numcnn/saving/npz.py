"""numcnn's own model files: one ``.npz`` holding the weights and a JSON description, never a pickle.

Layout: ``__numcnn__`` (a JSON string: format version, model config, compile config) plus one array per
weight (``weight:<i>``, in ``get_weights`` order) and per optimizer slot (``optimizer:<slot>:<j>``); files of
format version 1 name their weights ``"003:conv2d_2/kernel"``. Files are written to a temporary file in the
same folder, flushed, fsynced and ``os.replace``d, so a crash at any point leaves the old file or the new one.

Reading treats the file as hostile (:class:`NpzArchive`): the zip directory is checked first (member names,
count, declared sizes, see :mod:`numcnn.saving._zip`), then the metadata is read, then only the ``.npy``
header of each array (its dtype and shape, which must account for exactly the member's declared size), so
that a caller can compare every shape with what the config implies before any array is inflated. Object
arrays are refused from their header: nothing is ever unpickled.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from dataclasses import dataclass

import numpy as np

from numcnn import _files
from numcnn._checks import check_allocation, file_path
from numcnn.saving._zip import checked_members, read_member, read_prefix

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
    max_members: int = 1_000_000
    max_meta_bytes: int = 256 << 20  # the JSON as a NumPy unicode array: 4 bytes a character
    max_array_bytes: int = 16 << 30
    max_ratio: int = 200  # np.savez stores (1:1); deflated weights shrink ~1.1:1
    max_header_bytes: int = 1 << 16


NPZ_LIMITS = NpzLimits()


@dataclass(frozen=True)
class ArrayHeader:
    """What an ``.npy`` member declares: ``shape``, ``dtype`` (native order) and where its data starts."""

    shape: tuple[int, ...]
    dtype: np.dtype
    fortran_order: bool
    offset: int


class NpzArchive:
    """A numcnn ``.npz``, opened and checked, with nothing but its metadata and headers read yet.

    ``meta`` is the parsed metadata (format and version checked); ``headers`` maps each array's name
    (``'weight:0'``) to its :class:`ArrayHeader`. ``read(name)`` inflates one array. Every problem raises
    ``ValueError`` naming the file (a missing file: :class:`ModelFileNotFoundError`). Use as a context manager.
    """

    def __init__(self, path, limits: NpzLimits = NPZ_LIMITS):
        self.path = path = file_path("filepath", path)
        self.limits = limits
        if not os.path.isfile(path):
            raise ModelFileNotFoundError(f"No model file at '{path}'")
        size = os.path.getsize(path)
        if size > limits.max_file_bytes:
            raise self.error(f"it is {size:,} bytes, more than the {limits.max_file_bytes:,} allowed")
        with open(path, "rb") as f:
            if f.read(len(_NPY_MAGIC)) == _NPY_MAGIC:
                raise self.error("it is a single .npy array, not an .npz archive")
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
            raise self.error(f"it is not an .npz (zip) archive ({type(err).__name__}: {err})") from None
        try:
            if f"{_META}.npy" not in self._zip.namelist():
                raise self.error("it has no numcnn metadata")
            self._infos = checked_members(self._zip, self.error, self._cap, limits.max_members, limits.max_ratio)
            headers = {name[: -len(".npy")]: self._header(info) for name, info in self._infos.items()}
            check_allocation(
                f"Cannot load '{path}'", (sum(h.dtype.itemsize * _count(h.shape) for h in headers.values()),), 1
            )
            self.meta = self._metadata(headers.pop(_META))
            self.headers = headers
        except BaseException:
            self._zip.close()
            raise

    def __enter__(self) -> NpzArchive:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()

    def error(self, problem: str) -> ValueError:
        return ValueError(f"Cannot load '{self.path}' as a numcnn model file: {problem}")

    def _cap(self, name: str) -> int:
        if not _MEMBER.fullmatch(name):
            raise self.error(f"unexpected member {name!r} (a numcnn file holds {_META}, weight:<i>, optimizer:…)")
        return self.limits.max_meta_bytes if name == f"{_META}.npy" else self.limits.max_array_bytes

    def _header(self, info: zipfile.ZipInfo) -> ArrayHeader:
        """The member's ``.npy`` header, read from its first bytes only, checked against its declared size."""
        name = info.filename[: -len(".npy")]
        head = io.BytesIO(read_prefix(self._zip, info, self.limits.max_header_bytes, self.error))
        try:
            version = np.lib.format.read_magic(head)
            reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, fortran_order, dtype = reader(head, max_header_size=self.limits.max_header_bytes)
        except (ValueError, TypeError, SyntaxError, EOFError, OverflowError) as err:
            raise self.error(f"its entry {name!r} is not an .npy array ({type(err).__name__}: {err})") from None
        text = name == _META and dtype.kind == "U" and shape == ()
        if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None:
            raise self.error(f"its entry {name!r} is not a numeric array (dtype {dtype}: pickled or structured data)")
        if not text and dtype.kind not in "biuf":
            raise self.error(f"its entry {name!r} is not a numeric array (dtype {dtype})")
        declared = head.tell() + dtype.itemsize * _count(shape)
        if declared != info.file_size:
            raise self.error(
                f"its entry {name!r} declares shape {shape} of {dtype} ({declared:,} bytes with its header), "
                f"but the member holds {info.file_size:,} bytes"
            )
        return ArrayHeader(tuple(int(d) for d in shape), dtype, bool(fortran_order), head.tell())

    def _metadata(self, header: ArrayHeader) -> dict:
        if header.dtype.kind != "U" or header.shape != ():
            raise self.error(f"its metadata is not a JSON string (dtype {header.dtype}, shape {header.shape})")
        data = read_member(self._zip, self._infos[f"{_META}.npy"], self.error)
        try:
            text = str(np.frombuffer(data, header.dtype, 1, header.offset)[0])
            meta = json.loads(text)
        except (ValueError, RecursionError, UnicodeDecodeError) as err:  # JSONDecodeError is a ValueError
            raise self.error(f"its metadata is not valid JSON ({type(err).__name__}: {str(err)[:200]})") from None
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
        data = read_member(self._zip, self._infos[f"{name}.npy"], self.error)
        flat = np.frombuffer(data, header.dtype, _count(header.shape), header.offset)
        array = flat.reshape(header.shape, order="F" if header.fortran_order else "C")
        if not header.dtype.isnative:
            array = array.astype(header.dtype.newbyteorder("="))
        return array


def _count(shape) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


def read_archive(path) -> tuple[dict, dict[str, np.ndarray]]:
    """Read a whole file written by ``write_archive``: ``(meta, {name: array})``; ``ValueError`` naming the file
    on anything else (see :class:`NpzArchive`, which lets a caller check shapes before reading)."""
    try:
        with NpzArchive(path) as archive:
            return archive.meta, {name: archive.read(name) for name in archive.headers}
    except MemoryError as err:
        raise ValueError(f"Cannot load '{path}' as a numcnn model file: MemoryError: {err}") from None
