"""Bounded reading of ``.npz`` archives, built on the checked zip reader (``numcnn._zip``): one way in for model
files and data caches alike.

``open_npz`` first checks the zip's directory (member count, names, declared sizes and compression ratios:
see ``numcnn._zip``; nothing is inflated until it passed). Each ``.npy`` member starts with a short header
(dtype, shape, Fortran order), and ``headers()`` reads only those, checking

- a plain numeric, bool or string dtype (never an object dtype: nothing is unpickled), and
- a shape whose byte count is exactly the member's declared size, so an absurd shape in a small member is
  refused without allocating it.

``read`` checks the header again, compares it with what the caller expects, allocates exactly the declared
size and fills it in bounded pieces (zip checks the CRC-32 at the end). ``read_json`` parses a bounded JSON
member. Every problem, ``MemoryError`` included, is an ``ArchiveError``: a ``ValueError`` naming the file.

Usage::

    with open_npz(path, Limits(max_total_bytes=1 << 30)) as npz:
        headers = npz.headers()                    # {name: ArrayHeader(dtype, shape, fortran_order)}
        meta = npz.read_json("__numcnn__")         # a 0-d string array or a raw JSON member
        kernel = npz.read("dense/kernel", dtype=np.float32, shape=(784, 128))
"""

from __future__ import annotations

import json
import math
from typing import NamedTuple

import numpy as np

from numcnn._zip import WORDING as ZIP_WORDING
from numcnn._zip import ArchiveError, Limits, ZipReader, array_name, member_names

_DTYPE_KINDS = "biufcSU"  # bool, ints, floats, complex, bytes, unicode: no objects, records or voids

WORDING = {
    **ZIP_WORDING,
    "bad_header": "array {array!r}: bad .npy header ({reason})",
    "dtype": "array {array!r}: dtype {dtype} is refused: expected a plain numeric, bool or string dtype",
    "header_size": (
        "array {array!r}: its header declares shape {shape} of {dtype} ({nbytes} bytes), but the member holds "
        "{data_bytes} data bytes"
    ),
}


class ArrayHeader(NamedTuple):
    """What an ``.npy`` member declares: ``dtype`` (a ``np.dtype``), ``shape`` (ints), ``fortran_order``."""

    dtype: np.dtype
    shape: tuple[int, ...]
    fortran_order: bool

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize


class NpzReader(ZipReader):
    """An open, checked ``.npz`` (or any zip). Make one with ``open_npz``; use it as a context manager.

    Members are named as ``np.load`` names them (``.npy`` stripped); ``members()`` gives the stored names.
    """

    def __init__(self, source, limits: Limits | None = None, *, wording=None, **options):
        super().__init__(source, limits, wording={**WORDING, **(wording or {})}, **options)
        self._stored = {array_name(member): member for member in self.members()}
        self._headers: dict[str, ArrayHeader] | None = None

    # -- what is inside, before reading any array ----------------------------------------------------------
    def names(self) -> tuple[str, ...]:
        """Every member's name, ``.npy`` stripped (as in ``np.load(...).files``), in archive order."""
        return tuple(self._stored)

    def headers(self) -> dict[str, ArrayHeader]:
        """``{name: ArrayHeader}`` for every ``.npy`` member, reading only their headers.

        Members whose stored name does not end in ``.npy`` are left out (``names()`` lists them).
        Raises ``ArchiveError`` for a bad header, a refused dtype, or a shape whose byte count is not the
        member's declared size.
        """
        if self._headers is None:
            headers = {}
            for key, member in self._stored.items():
                if member.endswith(".npy"):
                    with self.open(member, "array") as f:
                        headers[key] = self._read_header(f, key)
            self._headers = headers  # only once every header passed
        return dict(self._headers)

    def _read_header(self, f, key: str) -> ArrayHeader:
        fmt, cap = np.lib.format, self.limits.max_header_bytes
        try:
            version = fmt.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = fmt.read_array_header_1_0(f, max_header_size=cap)
            elif version == (2, 0):
                shape, fortran, dtype = fmt.read_array_header_2_0(f, max_header_size=cap)
            else:
                raise ValueError(f".npy format version {version[0]}.{version[1]} is not supported")
        except (ValueError, SyntaxError, TypeError, EOFError, OverflowError) as exc:
            raise self.refuse("bad_header", array=key, reason=exc) from None
        dtype = np.dtype(dtype)
        if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None or dtype.kind not in _DTYPE_KINDS:
            raise self.refuse("dtype", array=key, dtype=dtype)
        header = ArrayHeader(dtype, tuple(int(d) for d in shape), bool(fortran))
        data_bytes = self.info(self._stored[key]).file_size - f.tell()
        if header.nbytes != data_bytes:
            raise self.refuse(
                "header_size", array=key, shape=header.shape, dtype=dtype, nbytes=header.nbytes, data_bytes=data_bytes
            )
        return header

    def _member(self, name: str) -> str:
        member = self._stored.get(name)
        if member is None:
            raise self.error(f"no member {name!r}")
        return member

    # -- reading --------------------------------------------------------------------------------------------
    def read(self, name: str, *, dtype=None, shape: tuple[int, ...] | None = None) -> np.ndarray:
        """Read the ``.npy`` member ``name`` into a new, writable array (C or Fortran order, as stored).

        ``dtype``/``shape``: what the caller expects; anything else is refused before allocating. The header
        is read again and must equal what ``headers()`` reported. Raises ``ArchiveError``.
        """
        member = self._member(name)
        if not member.endswith(".npy"):
            raise self.error(f"member {name!r} is raw bytes, not an .npy array")
        expected = self.headers()[name]
        with self.open(member, "array") as f:
            header = self._read_header(f, name)
            if header != expected:
                raise self.error(f"array {name!r} changed while it was read")
            if dtype is not None and header.dtype != np.dtype(dtype):
                raise self.error(f"array {name!r}: expected dtype {np.dtype(dtype)}, found {header.dtype}")
            if shape is not None and header.shape != tuple(shape):
                raise self.error(f"array {name!r}: expected shape {tuple(shape)}, found {header.shape}")
            order = "F" if header.fortran_order else "C"
            if header.dtype.itemsize == 0:
                return np.empty(header.shape, header.dtype, order=order)
            buffer = bytearray(header.nbytes)  # exactly the size the directory and the header agree on
            self.fill(f, buffer, member)
        return np.frombuffer(buffer, dtype=header.dtype).reshape(header.shape, order=order)

    def read_bytes(self, name: str, *, max_bytes: int | None = None) -> bytes:
        """The raw bytes of member ``name`` (its stored name, or without ``.npy``), at most ``max_bytes``
        (default ``limits.max_json_bytes``), checked against its declared size before inflating."""
        cap = self.limits.max_json_bytes if max_bytes is None else max_bytes
        return bytes(self.read_member(self._member(array_name(name)), cap))

    def read_json(self, name: str, *, max_bytes: int | None = None):
        """Parse member ``name`` as JSON: a raw member (e.g. ``config.json``) or a 0-d string ``.npy`` array
        (what ``np.savez(f, meta=np.array(json.dumps(...)))`` writes), at most ``max_bytes`` bytes."""
        member = self._member(name)
        cap = self.limits.max_json_bytes if max_bytes is None else max_bytes
        self.check_size(member, cap)
        try:
            if member.endswith(".npy"):
                header = self.headers()[name]
                if header.dtype.kind not in "SU" or header.shape != ():
                    raise self.error(f"member {name!r} is not a single string ({header.dtype})")
                value = self.read(name)[()]
                text = value.decode("utf-8") if isinstance(value, bytes) else str(value)
            else:
                text = self.read_bytes(name, max_bytes=cap).decode("utf-8")
            return json.loads(text)
        except UnicodeDecodeError as exc:
            raise self.error(f"member {name!r} is not UTF-8 text ({exc})") from None
        except RecursionError:
            raise self.error(f"member {name!r} holds JSON nested too deeply") from None
        except json.JSONDecodeError as exc:
            raise self.error(f"member {name!r} is not valid JSON ({exc})") from None


def open_npz(source, limits: Limits | None = None, *, name: str | None = None, **options) -> NpzReader:
    """Open a zip or ``.npz`` archive for bounded reading; see the module docstring.

    Args:
        source: a path, the archive's bytes, or a binary file object open for reading and seeking (left open).
        limits: the caps (``Limits()`` by default).
        name: how to name the archive in error messages (default: the path).
        options: ``context``, ``wording`` and ``member_caps``, as ``numcnn._zip.ZipReader`` takes them.

    Raises:
        ArchiveError: (a ``ValueError``) anything in the directory breaks the limits or is malformed.
        OSError: the file cannot be opened or read.
    """
    return NpzReader(source, limits, name=name, **options)


__all__ = ["ArchiveError", "ArrayHeader", "Limits", "NpzReader", "member_names", "open_npz"]
