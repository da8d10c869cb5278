"""Bounded reading of zip and ``.npz`` archives: one way in for model files and data caches alike.

A zip's directory gives each member's name, compressed size and uncompressed size before a byte is inflated,
and each ``.npy`` member starts with a short header (dtype, shape, Fortran order). ``open_npz`` checks all of
that against ``Limits`` first, so a small hostile file cannot make numcnn allocate what it merely claims:

- the member count, from the end-of-directory record, before the directory itself is parsed;
- member names: no two alike (also not ``a`` and ``a.npy``), no folders, no encryption, only stored or
  deflated members;
- declared sizes: each member, the sum, and the sum against the file's own size (``max_ratio``, so a 0.5 MB
  file cannot inflate to 512 MiB: a zip bomb is refused before anything is inflated);
- each ``.npy`` header (``headers()`` reads only the headers): a plain numeric, bool or string dtype (never
  an object dtype: nothing is unpickled), and a shape whose byte count is exactly the member's declared size,
  so an absurd shape in a small member is refused without allocating it.

``read`` checks the header again, compares it with what the caller expects, allocates exactly the declared
size and fills it (zip checks the CRC-32 at the end). Every problem, ``MemoryError`` included, is an
``ArchiveError``: a ``ValueError`` naming the file.

Usage::

    with open_npz(path, Limits(max_total_bytes=1 << 30)) as npz:
        headers = npz.headers()                    # {name: ArrayHeader(dtype, shape, fortran_order)}
        meta = npz.read_json("__numcnn__")         # a 0-d string array or a raw JSON member
        kernel = npz.read("dense/kernel", dtype=np.float32, shape=(784, 128))
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import zipfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO, NamedTuple

import numpy as np

_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"
_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
_DTYPE_KINDS = "biufcSU"  # bool, ints, floats, complex, bytes, unicode: no objects, records or voids
_READ_CHUNK = 1 << 24  # bytes read at a time: zipfile hands back a copy of what it reads


class ArchiveError(ValueError):
    """A zip or ``.npz`` archive that is malformed, hostile, or not what the caller expects."""


@dataclass(frozen=True)
class Limits:
    """Caps checked before anything is inflated or allocated (all sizes in bytes).

    ``max_ratio``: the declared uncompressed sizes may add up to at most ``max_ratio`` times the archive's own
    size plus ``ratio_allowance`` (deflate reaches ~1030:1 on zeros; real weights and images reach 1-10:1).
    """

    max_members: int = 65536
    max_member_bytes: int = 4 << 30
    max_total_bytes: int = 16 << 30
    max_ratio: float = 100.0
    ratio_allowance: int = 1 << 20
    max_header_bytes: int = 10000  # an .npy header; NumPy's own default cap
    max_json_bytes: int = 64 << 20


class ArrayHeader(NamedTuple):
    """What an ``.npy`` member declares: ``dtype`` (a ``np.dtype``), ``shape`` (ints), ``fortran_order``."""

    dtype: np.dtype
    shape: tuple[int, ...]
    fortran_order: bool

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize


def _declared_member_count(fp: BinaryIO, size: int, name: str) -> int:
    """The member count the end-of-directory record declares (zip64 included), read from the file's tail."""
    tail_len = min(size, 22 + 65535)
    fp.seek(size - tail_len)
    tail = fp.read(tail_len)
    pos = tail.rfind(_EOCD)
    if pos < 0 or len(tail) - pos < 22:
        raise ArchiveError(f"{name}: not a zip archive (no end-of-directory record)")
    count = int.from_bytes(tail[pos + 10 : pos + 12], "little")
    if count != 0xFFFF:
        return count
    locator = tail[pos - 20 : pos] if pos >= 20 else b""
    if locator[:4] != _ZIP64_LOCATOR:
        return count
    offset = int.from_bytes(locator[8:16], "little")
    if offset + 56 > size:
        raise ArchiveError(f"{name}: zip64 directory record points outside the file")
    fp.seek(offset)
    record = fp.read(56)
    if record[:4] != _ZIP64_EOCD:
        raise ArchiveError(f"{name}: unreadable zip64 directory record")
    return int.from_bytes(record[32:40], "little")


def _array_name(member: str) -> str:
    return member[:-4] if member.endswith(".npy") else member


def _directory(fp: BinaryIO, name: str, max_members: int) -> zipfile.ZipFile:
    """Parse the directory of the zip in ``fp`` once its declared member count is known to be small enough."""
    fp.seek(0, io.SEEK_END)
    size = fp.tell()
    count = _declared_member_count(fp, size, name)
    if count > max_members:
        raise ArchiveError(f"{name}: {count} members, expected at most {max_members}")
    fp.seek(0)
    try:
        archive = zipfile.ZipFile(fp)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, MemoryError) as exc:
        raise ArchiveError(f"{name}: unreadable zip archive ({exc})") from None
    infos = archive.infolist()
    if len(infos) > max_members:
        archive.close()
        raise ArchiveError(f"{name}: {len(infos)} members, expected at most {max_members}")
    seen: set[str] = set()
    for info in infos:
        key = _array_name(info.filename)
        if key in seen:
            archive.close()
            raise ArchiveError(f"{name}: member {info.filename!r} appears more than once")
        seen.add(key)
    return archive


def member_names(source, *, max_members: int = Limits.max_members, name: str | None = None) -> list[str]:
    """The member names of a zip, as stored and in order, read from its directory alone (nothing inflated).

    Raises ``ArchiveError`` for what is not a readable zip, for duplicate names, or for more than
    ``max_members`` members (refused before the directory is parsed).
    """
    fp, owned, name = _open_source(source, name)
    try:
        with _directory(fp, name, max_members) as archive:
            return [info.filename for info in archive.infolist()]
    finally:
        if owned:
            fp.close()


def _open_source(source, name):
    if isinstance(source, (bytes, bytearray, memoryview)):
        return io.BytesIO(source), True, name or "<bytes>"
    if isinstance(source, (str, os.PathLike)):
        return open(source, "rb"), True, name or os.fspath(source)  # noqa: SIM115 (closed by the reader)
    return source, False, name or getattr(source, "name", "<file>")


class NpzReader:
    """An open, checked ``.npz`` (or any zip). Make one with ``open_npz``; use it as a context manager."""

    def __init__(self, fp: BinaryIO, name: str, limits: Limits, owned: bool):
        self.name = name
        self.limits = limits
        self._fp, self._owned = fp, owned
        self._headers: dict[str, ArrayHeader] | None = None
        try:
            self._zip = _directory(fp, name, limits.max_members)
        except BaseException:
            self._close_fp()
            raise
        try:
            self._check_members(fp.seek(0, io.SEEK_END))
        except BaseException:
            self.close()
            raise
        self._infos = {_array_name(i.filename): i for i in self._zip.infolist()}

    def _check_members(self, archive_size: int) -> None:
        limits, total = self.limits, 0
        for info in self._zip.infolist():
            where = f"{self.name}: member {info.filename!r}"
            if info.is_dir():
                raise ArchiveError(f"{where} is a folder, not a file")
            if info.flag_bits & 0x1:
                raise ArchiveError(f"{where} is encrypted")
            if info.compress_type not in _METHODS:
                raise ArchiveError(f"{where} uses compression method {info.compress_type}: expected stored or deflated")
            if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
                raise ArchiveError(f"{where} is stored but declares {info.compress_size} bytes for {info.file_size}")
            if info.header_offset + info.compress_size > archive_size:
                raise ArchiveError(f"{where} declares more bytes than the file holds (truncated?)")
            if info.file_size > limits.max_member_bytes:
                raise ArchiveError(
                    f"{where} declares {info.file_size} bytes, expected at most {limits.max_member_bytes}"
                )
            total += info.file_size
        if total > limits.max_total_bytes:
            raise ArchiveError(
                f"{self.name}: members declare {total} bytes in all, expected at most {limits.max_total_bytes}"
            )
        bound = limits.max_ratio * archive_size + limits.ratio_allowance
        if total > bound:
            raise ArchiveError(
                f"{self.name}: members declare {total} bytes in all from a {archive_size}-byte file, more than "
                f"{limits.max_ratio:g} times its size (a zip bomb, or a damaged directory); nothing was inflated"
            )

    # -- what is inside, before reading any array ----------------------------------------------------------
    def names(self) -> tuple[str, ...]:
        """Every member's name, ``.npy`` stripped (as in ``np.load(...).files``), in archive order."""
        return tuple(self._infos)

    def headers(self) -> dict[str, ArrayHeader]:
        """``{name: ArrayHeader}`` for every ``.npy`` member, reading only their headers.

        Members whose stored name does not end in ``.npy`` are left out (``names()`` lists them).
        Raises ``ArchiveError`` for a bad header, a refused dtype, or a shape whose byte count is not the
        member's declared size.
        """
        if self._headers is None:
            headers = {}
            for key, info in self._infos.items():
                if info.filename.endswith(".npy"):
                    with self._guard(key), self._zip.open(info) as f:
                        headers[key] = self._read_header(f, info, key)
            self._headers = headers  # only once every header passed
        return dict(self._headers)

    def _read_header(self, f, info: zipfile.ZipInfo, key: str) -> ArrayHeader:
        where = f"{self.name}: array {key!r}"
        fmt = np.lib.format
        try:
            version = fmt.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = fmt.read_array_header_1_0(f, max_header_size=self.limits.max_header_bytes)
            elif version == (2, 0):
                shape, fortran, dtype = fmt.read_array_header_2_0(f, max_header_size=self.limits.max_header_bytes)
            else:
                raise ValueError(f".npy format version {version[0]}.{version[1]} is not supported")
        except (ValueError, SyntaxError, TypeError, EOFError) as exc:
            raise ArchiveError(f"{where}: bad .npy header ({exc})") from None
        dtype = np.dtype(dtype)
        if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None or dtype.kind not in _DTYPE_KINDS:
            raise ArchiveError(f"{where}: dtype {dtype} is refused: expected a plain numeric, bool or string dtype")
        header = ArrayHeader(dtype, tuple(int(d) for d in shape), bool(fortran))
        data_bytes = info.file_size - f.tell()
        if header.nbytes != data_bytes:
            raise ArchiveError(
                f"{where}: its header declares shape {header.shape} of {dtype} ({header.nbytes} bytes), but the "
                f"member holds {data_bytes} data bytes"
            )
        return header

    # -- reading --------------------------------------------------------------------------------------------
    def read(self, name: str, *, dtype=None, shape: tuple[int, ...] | None = None) -> np.ndarray:
        """Read the ``.npy`` member ``name`` into a new array (C or Fortran order, as stored).

        ``dtype``/``shape``: what the caller expects; anything else is refused before allocating. The header
        is read again and must equal what ``headers()`` reported. Raises ``ArchiveError``.
        """
        info = self._infos.get(name)
        if info is None:
            raise ArchiveError(f"{self.name}: no member {name!r}")
        if not info.filename.endswith(".npy"):
            raise ArchiveError(f"{self.name}: member {name!r} is raw bytes, not an .npy array")
        expected = self.headers()[name]
        with self._guard(name), self._zip.open(info) as f:
            header = self._read_header(f, info, name)
            if header != expected:
                raise ArchiveError(f"{self.name}: array {name!r} changed while it was read")
            self._check_expected(name, header, dtype, shape)
            order = "F" if header.fortran_order else "C"
            if header.dtype.itemsize == 0:
                return np.empty(header.shape, header.dtype, order=order)
            buffer = bytearray(header.nbytes)  # exactly the size the directory and the header agree on
            view, filled = memoryview(buffer), 0
            while filled < len(buffer):
                got = f.readinto(view[filled : filled + _READ_CHUNK])
                if not got:
                    raise ArchiveError(f"{self.name}: array {name!r} ends after {filled} of {len(buffer)} bytes")
                filled += got
            if f.read(1):
                raise ArchiveError(f"{self.name}: array {name!r} has bytes after its data")
            array = np.frombuffer(buffer, dtype=header.dtype).reshape(header.shape, order=order)
        return array

    def _check_expected(self, name, header: ArrayHeader, dtype, shape) -> None:
        if dtype is not None and header.dtype != np.dtype(dtype):
            raise ArchiveError(f"{self.name}: array {name!r}: expected dtype {np.dtype(dtype)}, found {header.dtype}")
        if shape is not None and header.shape != tuple(shape):
            raise ArchiveError(f"{self.name}: array {name!r}: expected shape {tuple(shape)}, found {header.shape}")

    def read_bytes(self, name: str, *, max_bytes: int | None = None) -> bytes:
        """The raw bytes of member ``name`` (its stored name, or without ``.npy``), at most ``max_bytes``
        (default ``limits.max_json_bytes``), checked against its declared size before inflating."""
        info = self._infos.get(name)
        if info is None:
            raise ArchiveError(f"{self.name}: no member {name!r}")
        cap = self.limits.max_json_bytes if max_bytes is None else max_bytes
        if info.file_size > cap:
            raise ArchiveError(f"{self.name}: member {name!r} declares {info.file_size} bytes, expected at most {cap}")
        with self._guard(name), self._zip.open(info) as f:
            return f.read()  # zipfile stops at the declared size, checked above

    def read_json(self, name: str, *, max_bytes: int | None = None):
        """Parse member ``name`` as JSON: a raw member (e.g. ``config.json``) or a 0-d string ``.npy`` array
        (what ``np.savez(f, meta=np.array(json.dumps(...)))`` writes), at most ``max_bytes`` bytes."""
        info = self._infos.get(name)
        if info is None:
            raise ArchiveError(f"{self.name}: no member {name!r}")
        cap = self.limits.max_json_bytes if max_bytes is None else max_bytes
        if info.file_size > cap:
            raise ArchiveError(f"{self.name}: member {name!r} declares {info.file_size} bytes, expected at most {cap}")
        try:
            if info.filename.endswith(".npy"):
                header = self.headers()[name]
                if header.dtype.kind not in "SU" or header.shape != ():
                    raise ArchiveError(f"{self.name}: member {name!r} is not a single string ({header.dtype})")
                value = self.read(name)[()]
                text = value.decode("utf-8") if isinstance(value, bytes) else str(value)
            else:
                text = self.read_bytes(name, max_bytes=cap).decode("utf-8")
            return json.loads(text)
        except UnicodeDecodeError as exc:
            raise ArchiveError(f"{self.name}: member {name!r} is not UTF-8 text ({exc})") from None
        except RecursionError:
            raise ArchiveError(f"{self.name}: member {name!r} holds JSON nested too deeply") from None
        except json.JSONDecodeError as exc:
            raise ArchiveError(f"{self.name}: member {name!r} is not valid JSON ({exc})") from None

    def _guard(self, key: str):
        return _guarded(self.name, key)

    # -- lifetime -------------------------------------------------------------------------------------------
    def _close_fp(self) -> None:
        if self._owned:
            self._fp.close()

    def close(self) -> None:
        self._zip.close()
        self._close_fp()

    def __enter__(self) -> NpzReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@contextlib.contextmanager
def _guarded(name: str, key: str):
    """Turn what reading a member can raise into an ``ArchiveError`` naming the file and the member."""
    try:
        yield
    except MemoryError:
        raise ArchiveError(f"{name}: not enough memory to read array {key!r}") from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise ArchiveError(f"{name}: member {key!r} is damaged ({exc})") from None


def open_npz(source, limits: Limits | None = None, *, name: str | None = None) -> NpzReader:
    """Open a zip or ``.npz`` archive for bounded reading; see the module docstring.

    Args:
        source: a path, the archive's bytes, or a binary file object open for reading and seeking (left open).
        limits: the caps (``Limits()`` by default).
        name: how to name the archive in error messages (default: the path).

    Raises:
        ArchiveError: (a ``ValueError``) anything in the directory breaks the limits or is malformed.
        OSError: the file cannot be opened or read.
    """
    fp, owned, name = _open_source(source, name)
    return NpzReader(fp, name, limits or Limits(), owned)
