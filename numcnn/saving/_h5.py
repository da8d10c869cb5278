"""HDF5 through h5py, read as a hostile file: bounded, checked before anything is allocated.

``H5Reader`` opens a file (a path or bytes already in memory) read-only and walks its whole tree once,
before the caller reads anything:

- at most ``Limits.max_depth`` groups deep and ``Limits.max_objects`` groups and datasets in all;
- hard links only: soft and external links are refused (an external link would open another file);
- every dataset numeric (bool, int, uint or float; no compound, object, variable-length, string,
  reference, enum or opaque types), neither virtual nor stored in external files, and declaring no more
  bytes than the file could hold (its own size for contiguous data; for chunked data, whose unwritten
  chunks cost nothing on disk, ``Limits.max_ratio`` times the bytes it really stores), nor more than
  ``Limits.max_array_bytes``.

So a dataset is only allocated when its bytes are really in the file: a 1 KB file cannot make numcnn
allocate gigabytes. Attributes are read only by the helpers here, which bound their size too.

h5py is an optional dependency (``pip install 'numcnn[keras-files]'``); :func:`h5py_module` imports it or
raises :class:`MissingH5pyError`.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass

import numpy as np

from numcnn._checks import file_path
from numcnn.saving.npz import ModelFileNotFoundError

EXTRA = "pip install 'numcnn[keras-files]'"


class MissingH5pyError(ImportError, ValueError):
    """h5py is not installed: an ``ImportError`` that is also the ``ValueError`` file readers raise."""


def h5py_module():
    """The ``h5py`` module, or :class:`MissingH5pyError` naming the extra that installs it."""
    try:
        import h5py
    except ImportError:
        raise MissingH5pyError(f"Keras' .keras and .h5 files need h5py, which is not installed: {EXTRA}") from None
    return h5py


@dataclass(frozen=True)
class Limits:
    """Caps on what an HDF5 file may make numcnn walk, allocate or parse."""

    max_depth: int = 32  # groups inside groups (Keras nests a model's layers ~4 deep)
    max_objects: int = 200_000  # groups and datasets in the whole file
    max_array_bytes: int = 8 << 30  # one dataset, whatever the file holds
    max_ratio: int = 1000  # declared bytes per stored byte, for compressed datasets
    max_attr_bytes: int = 64 << 20  # one attribute (Keras' JSON model_config, weight_names)
    max_attr_items: int = 1_000_000  # entries of an attribute array (weight_names)


LIMITS = Limits()
_NUMERIC_KINDS = "biuf"


@dataclass(frozen=True)
class DatasetInfo:
    """What a dataset declares: its shape and dtype (native byte order)."""

    shape: tuple[int, ...]
    dtype: np.dtype


class H5Reader:
    """A checked, read-only view of one HDF5 file. Use as a context manager.

    ``source`` is a path or the file's bytes; ``what`` names it in error messages (``'model.weights.h5' in
    'm.keras'``). After construction ``index`` maps every path (``'layers/dense/vars/0'``, no leading slash)
    to a ``DatasetInfo`` for datasets or ``None`` for groups; the root group is ``''``.
    """

    def __init__(self, source, what: str, limits: Limits = LIMITS):
        h5py = h5py_module()
        self.what = what
        self.limits = limits
        if isinstance(source, (bytes, bytearray, memoryview)):
            self._size = len(source)
            opened = io.BytesIO(bytes(source))
        else:
            if not os.path.isfile(source):
                raise ModelFileNotFoundError(f"No model file at '{source}'")
            self._size = os.path.getsize(source)
            opened = source
        try:
            self.file = h5py.File(opened, "r")
        except (OSError, ValueError) as err:
            raise self.error(f"it is not an HDF5 file ({err})") from None
        try:
            self.index: dict[str, DatasetInfo | None] = {"": None}
            self._children: dict[str, list[str]] = {"": []}
            self._stored = self._declared = 0  # all datasets' bytes: really stored; declared by contiguous ones
            self._walk(self.file, "", 0)
        except BaseException:
            self.file.close()
            raise

    def __enter__(self) -> H5Reader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.file.close()

    def error(self, problem: str) -> ValueError:
        return ValueError(f"Cannot read {self.what}: {problem}")

    # -- the walk ---------------------------------------------------------------------------------
    def _walk(self, group, path: str, depth: int) -> None:
        h5py = h5py_module()
        if depth > self.limits.max_depth:
            raise self.error(f"groups nested deeper than {self.limits.max_depth} levels at '{path}'")
        try:
            names = list(group.keys())  # link names only: nothing is resolved yet
        except (OSError, RuntimeError) as err:
            raise self.error(f"the group '{path or '/'}' cannot be listed ({err})") from None
        if len(self.index) + len(names) > self.limits.max_objects:
            raise self.error(f"more than {self.limits.max_objects} groups and datasets")
        for name in names:
            child_path = f"{path}/{name}" if path else name
            link = group.get(name, getlink=True)
            if isinstance(link, h5py.ExternalLink):
                raise self.error(f"'{child_path}' is an external link (to '{link.filename}'), which is refused")
            if isinstance(link, h5py.SoftLink):
                raise self.error(f"'{child_path}' is a soft link (to '{link.path}'), which is refused")
            try:
                child = group[name]
            except (OSError, KeyError, RuntimeError, ValueError) as err:
                raise self.error(f"'{child_path}' cannot be opened ({err})") from None
            self._children[path].append(name)
            if isinstance(child, h5py.Group):
                self.index[child_path] = None
                self._children[child_path] = []
                self._walk(child, child_path, depth + 1)
            elif isinstance(child, h5py.Dataset):
                self.index[child_path] = self._check_dataset(child, child_path)
            else:
                raise self.error(f"'{child_path}' is a {type(child).__name__}, not a group or dataset")

    def _check_dataset(self, ds, path: str) -> DatasetInfo:
        dtype = ds.dtype
        if dtype.kind not in _NUMERIC_KINDS or dtype.fields is not None or dtype.subdtype is not None:
            raise self.error(f"the dataset '{path}' has dtype {dtype}, not a numeric one")
        if h5py_module().check_dtype(vlen=dtype) is not None or dtype.metadata:
            raise self.error(f"the dataset '{path}' has a special dtype ({dtype}, {dtype.metadata})")
        if ds.shape is None:
            raise self.error(f"the dataset '{path}' has no shape (an empty dataspace)")
        if ds.is_virtual:
            raise self.error(f"the dataset '{path}' is a virtual dataset, which is refused")
        if ds.external:
            raise self.error(f"the dataset '{path}' keeps its data in external files, which is refused")
        shape = tuple(int(d) for d in ds.shape)
        declared = dtype.itemsize
        for d in shape:
            declared *= d
        if ds.chunks is None:  # contiguous: the bytes must be in the file
            room = self._size
        else:  # chunked (maybe compressed, maybe mostly unwritten): bounded by the bytes really stored
            stored = min(ds.id.get_storage_size(), self._size)
            room = self.limits.max_ratio * max(stored, 1)
        if declared > min(room, self.limits.max_array_bytes):
            raise self.error(
                f"the dataset '{path}' declares shape {shape} ({declared:,} bytes of {dtype}), more than "
                f"a {self._size:,}-byte file can hold"
            )
        # Datasets may not share their bytes: together they hold no more than the file (or its ratio).
        self._stored += min(ds.id.get_storage_size(), self._size)
        self._declared += declared if ds.chunks is None else 0
        if self._declared > self._size or self._stored > self._size:
            raise self.error(f"its datasets together declare more bytes than the {self._size:,}-byte file holds")
        return DatasetInfo(shape, dtype.newbyteorder("="))

    # -- reading --------------------------------------------------------------------------------------
    def children(self, path: str) -> list[str]:
        """Names of the groups and datasets directly inside the group at ``path``."""
        return list(self._children.get(path, []))

    def read(self, path: str, shape=None) -> np.ndarray:
        """The numeric dataset at ``path`` as a new native-order array; ``shape`` (if given) must match first."""
        info = self.index.get(path)
        if info is None:
            kind = "a group" if path in self.index else "missing"
            raise self.error(f"the dataset '{path}' is {kind}")
        if shape is not None and tuple(shape) != info.shape:
            raise self.error(f"the dataset '{path}' has shape {info.shape}, expected {tuple(shape)}")
        out = np.empty(info.shape, dtype=info.dtype)
        try:
            if out.size:
                self.file[path].read_direct(out)
        except (OSError, RuntimeError, ValueError, TypeError) as err:
            raise self.error(f"the dataset '{path}' cannot be read ({err})") from None
        return out

    def attrs(self, path: str) -> list[str]:
        """The attribute names of the object at ``path`` (bounded in count)."""
        obj = self._object(path)
        names = list(obj.attrs.keys())
        if len(names) > self.limits.max_objects:
            raise self.error(f"'{path or '/'}' has more than {self.limits.max_objects} attributes")
        return names

    def attr(self, path: str, name: str, default=None):
        """The attribute ``name`` of the object at ``path``: a ``str``, a list of ``str``, or a numeric array
        (``default`` when absent). Refuses compound, reference and other non-text, non-numeric types."""
        obj = self._object(path)
        if name not in obj.attrs:
            return default
        attr_id = obj.attrs.get_id(name)
        where = f"the attribute '{name}' of '{path or '/'}'"
        shape = attr_id.shape or ()
        items = 1
        for d in shape:
            items *= int(d)
        if items > self.limits.max_attr_items:
            raise self.error(f"{where} has {items:,} entries, more than {self.limits.max_attr_items:,}")
        dtype = attr_id.dtype
        text = h5py_module().check_string_dtype(dtype) is not None
        if not text and (dtype.kind not in _NUMERIC_KINDS or dtype.fields is not None):
            raise self.error(f"{where} has dtype {dtype}, neither text nor numeric")
        if not text and items * dtype.itemsize > self.limits.max_attr_bytes:
            raise self.error(f"{where} is larger than {self.limits.max_attr_bytes:,} bytes")
        try:
            value = obj.attrs[name]
        except (OSError, RuntimeError, ValueError, TypeError, UnicodeDecodeError) as err:
            raise self.error(f"{where} cannot be read ({err})") from None
        if not text:
            return np.asarray(value)
        if isinstance(value, np.ndarray):
            value = [_text(v) for v in value.reshape(-1)]
            size = sum(len(v) for v in value)
        else:
            value = _text(value)
            size = len(value)
        if size > self.limits.max_attr_bytes:
            raise self.error(f"{where} is larger than {self.limits.max_attr_bytes:,} bytes")
        return value

    def attr_json(self, path: str, name: str):
        """The text attribute ``name`` parsed as JSON (``None`` when absent); ``ValueError`` if it is not JSON."""
        text = self.attr(path, name)
        if text is None:
            return None
        if not isinstance(text, str):
            raise self.error(f"the attribute '{name}' is not a JSON string")
        return parse_json(text, f"the attribute '{name}'", self.error)

    def _object(self, path: str):
        if path not in self.index:
            raise self.error(f"'{path}' is missing")
        return self.file[path] if path else self.file


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def parse_json(text: str, what: str, error=ValueError):
    """``json.loads`` whose failures (bad syntax, absurd nesting) become ``error(...)`` naming ``what``."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as err:  # JSONDecodeError is a ValueError
        raise error(f"{what} is not valid JSON ({type(err).__name__}: {str(err)[:200]})") from None


def write_h5(build) -> bytes:
    """Call ``build(h5py.File)`` on a new in-memory HDF5 file and return its bytes.

    The file uses h5py's defaults, as Keras' writer does: contiguous, uncompressed datasets and the
    earliest file-format version, so every HDF5 library that Keras runs with reads it.
    """
    h5py = h5py_module()
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        build(f)
    return buffer.getvalue()


class CheckedFile:
    """An HDF5 file (a path or bytes) opened through :class:`H5Reader` and checked by the subclass's ``_scan``
    before anything is read; closed again if the check fails. Use as a context manager."""

    def __init__(self, source, what: str, limits: Limits = LIMITS):
        if not isinstance(source, (bytes, bytearray, memoryview)):
            source = file_path("filepath", source)
        self.source = source
        self.h5 = H5Reader(source, what(source) if callable(what) else what, limits)
        try:
            self._scan()
        except BaseException:
            self.h5.close()
            raise

    def _scan(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.h5.close()

    def error(self, problem: str) -> ValueError:
        return self.h5.error(problem)
