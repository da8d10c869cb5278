"""Zip archives read as hostile files: the one checked zip reader of numcnn's model files and data caches.

The end-of-directory record gives the member count and the directory each member's name and sizes, all
before a byte is inflated. ``ZipReader`` checks them against ``Limits`` in this order, so that a small
hostile file cannot make numcnn parse, inflate or allocate what it merely claims:

1. the file: at most ``max_file_bytes``, and a zip (an end-of-directory record in its last 64 KiB);
2. the member count that record declares (zip64 too), *before the directory is parsed*: at most
   ``max_members``, and no more than the file could hold (each member takes at least 76 bytes);
3. the names: each once (``a`` and ``a.npy`` count as one: ``np.load`` takes them for one), none leaving the
   archive (``..`` or absolute), none a folder; then the caller's ``member_caps``, which refuses names
   it does not expect (or misses one it needs) and gives each member its byte cap;
4. each member: not encrypted, stored or deflated, a stored one's two sizes equal, its bytes inside the file,
   and declaring at most its cap and at most ``max_ratio`` times the bytes it stores (+ ``ratio_allowance``);
5. all members: at most ``max_total_bytes``, and at most ``max_ratio`` times the file's own size (+ the
   allowance), which also bounds members whose stored bytes overlap (a bomb of one stream named many times).

A member is then read in pieces of at most 16 MiB into a buffer of exactly the size it declares (zipfile
stops there and checks the CRC-32): never more than it declared, nor than its cap. Every problem,
``MemoryError`` included, is an ``ArchiveError`` (a ``ValueError``) starting with ``context`` (by default
the file's name). A caller may keep its own phrasing of a problem: ``wording`` overrides entries of
``WORDING`` (templates for ``str.format``, given every fact of the problem by keyword).
"""

from __future__ import annotations

import contextlib
import io
import os
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import BinaryIO

_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"
_MIN_MEMBER_BYTES = 30 + 46  # a local header and a directory entry, both with an empty name
_READ_CHUNK = 1 << 24  # zipfile hands back a copy of each piece it reads: bound the copy, not the member

WORDING = {
    "file_bytes": "it is {size} bytes, more than the {limit} allowed",
    "not_zip": "not a zip archive ({reason})",
    "count": "{count} members, expected at most {limit}",
    "count_lies": "its directory declares {count} members, more than a {size}-byte file can hold",
    "duplicate": "member {member!r} appears more than once",
    "escapes": "member {member!r} leaves the archive",
    "folder": "member {member!r} is a folder, not a file",
    "encrypted": "member {member!r} is encrypted",
    "method": "member {member!r} uses compression method {method}: expected stored or deflated",
    "stored_sizes": "member {member!r} is stored but declares {stored} bytes for {size}",
    "outside": "member {member!r} declares more bytes than the file holds (truncated?)",
    "member_bytes": "member {member!r} declares {size} bytes, expected at most {limit}",
    "member_ratio": (
        "member {member!r} declares {size} bytes (more than {ratio:g} times the {stored} it stores) from a "
        "{file_size}-byte file (a zip bomb, or a damaged directory); nothing was inflated"
    ),
    "total_bytes": "members declare {size} bytes in all, expected at most {limit}",
    "total_ratio": (
        "members declare {size} bytes in all from a {file_size}-byte file, more than {ratio:g} times its size "
        "(a zip bomb, or a damaged directory); nothing was inflated"
    ),
    "damaged": "member {member!r} is damaged ({reason})",
    "length": "member {member!r} holds other than the {size} bytes it declares",
    "memory": "not enough memory to read {kind} {member!r}",
}


class ArchiveError(ValueError):
    """A zip or ``.npz`` archive that is malformed, hostile, or not what the caller expects."""


@dataclass(frozen=True)
class Limits:
    """Caps checked before anything is parsed, inflated or allocated (all sizes in bytes).

    ``max_ratio``: a member may declare at most ``max_ratio`` times the bytes it stores, and all members at
    most ``max_ratio`` times the file's size, each plus ``ratio_allowance`` (deflate reaches ~1030:1 on
    zeros; real weights and images reach 1-10:1). ``max_header_bytes`` and ``max_json_bytes`` bound what the
    ``.npz`` layer (``numcnn._archive``) parses: an ``.npy`` header and a JSON member.
    """

    max_file_bytes: int = 64 << 30
    max_members: int = 65536
    max_member_bytes: int = 4 << 30
    max_total_bytes: int = 16 << 30
    max_ratio: float = 100.0
    ratio_allowance: int = 1 << 20
    max_header_bytes: int = 10000  # NumPy's own default cap
    max_json_bytes: int = 64 << 20


def array_name(member: str) -> str:
    """A member's name as ``np.load`` gives it: ``.npy`` stripped."""
    return member[:-4] if member.endswith(".npy") else member


def _declared_member_count(fp: BinaryIO, size: int, error) -> int:
    """The member count the end-of-directory record declares (zip64 included), read from the file's tail."""
    tail_len = min(size, 22 + 65535)
    fp.seek(size - tail_len)
    tail = fp.read(tail_len)
    pos = tail.rfind(_EOCD)
    if pos < 0 or len(tail) - pos < 22:
        raise error("not_zip", reason="no end-of-directory record")
    count = int.from_bytes(tail[pos + 10 : pos + 12], "little")
    if count != 0xFFFF:
        return count
    locator = tail[pos - 20 : pos] if pos >= 20 else b""
    if locator[:4] != _ZIP64_LOCATOR:
        return count
    offset = int.from_bytes(locator[8:16], "little")
    if offset + 56 > size:
        raise error("not_zip", reason="its zip64 directory record points outside the file")
    fp.seek(offset)
    record = fp.read(56)
    if record[:4] != _ZIP64_EOCD:
        raise error("not_zip", reason="unreadable zip64 directory record")
    return int.from_bytes(record[32:40], "little")


def _open_source(source, name):
    if isinstance(source, (bytes, bytearray, memoryview)):
        return io.BytesIO(source), True, name or "<bytes>"
    if isinstance(source, (str, os.PathLike)):
        return open(source, "rb"), True, name or os.fspath(source)  # noqa: SIM115 (closed by the reader)
    return source, False, name or getattr(source, "name", "<file>")


class ZipReader:
    """An open zip whose directory passed every check (see the module docstring); a context manager.

    Args:
        source: a path, the archive's bytes, or a binary file object open for reading and seeking (left open).
        limits: the caps (``Limits()`` by default).
        name: how to name the archive in messages (default: the path).
        context: what every message starts with, before ``": "`` (default: ``name``).
        wording: templates replacing entries of ``WORDING``.
        member_caps: ``member_caps(names, error) -> {name: cap}`` for the stored names in archive order; raises
            ``error(problem)`` for a name the caller does not expect or one it misses (default: every member
            ``max_member_bytes``).
        directory_only: check the count and the names only, not the sizes (to list a zip's members).

    Raises ``ArchiveError`` for anything the checks refuse, ``OSError`` when the file cannot be read.
    """

    def __init__(
        self,
        source,
        limits: Limits | None = None,
        *,
        name: str | None = None,
        context: str | None = None,
        wording: Mapping[str, str] | None = None,
        member_caps: Callable[[list[str], Callable[[str], ArchiveError]], Mapping[str, int]] | None = None,
        directory_only: bool = False,
    ):
        self._fp, self._owned, self.name = _open_source(source, name)
        self.limits = limits or Limits()
        self.context = context or self.name
        self._wording = {**WORDING, **(wording or {})}
        self._zip = None
        try:
            self.size = self._fp.seek(0, io.SEEK_END)
            self._zip = self._directory()
            infos = self._zip.infolist()
            self._check_names(infos)
            if not directory_only:
                names = [info.filename for info in infos]
                default = dict.fromkeys(names, self.limits.max_member_bytes)
                caps = member_caps(names, self.error) if member_caps else default
                self._check_sizes(infos, caps)
        except BaseException:
            self.close()
            raise
        self._infos = {info.filename: info for info in infos}

    # -- messages ---------------------------------------------------------------------------------------------
    def error(self, problem: str) -> ArchiveError:
        """The ``ArchiveError`` saying ``problem`` of this archive."""
        return ArchiveError(f"{self.context}: {problem}")

    def refuse(self, key: str, **facts) -> ArchiveError:
        """The ``ArchiveError`` of problem ``key`` of ``WORDING`` (or the caller's wording), with ``facts``."""
        return self.error(self._wording[key].format(**facts))

    # -- the checks ------------------------------------------------------------------------------------------
    def _directory(self) -> zipfile.ZipFile:
        limits = self.limits
        if self.size > limits.max_file_bytes:
            raise self.refuse("file_bytes", size=self.size, limit=limits.max_file_bytes)
        count = _declared_member_count(self._fp, self.size, self.refuse)
        if count > limits.max_members:
            raise self.refuse("count", count=count, limit=limits.max_members)
        if count * _MIN_MEMBER_BYTES > self.size:
            raise self.refuse("count_lies", count=count, size=self.size)
        self._fp.seek(0)
        try:
            archive = zipfile.ZipFile(self._fp)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, MemoryError) as exc:
            raise self.refuse("not_zip", reason=f"{type(exc).__name__}: {exc}") from None
        if len(archive.infolist()) > limits.max_members:  # the record and the directory disagree
            archive.close()
            raise self.refuse("count", count=len(archive.infolist()), limit=limits.max_members)
        return archive

    def _check_names(self, infos: Iterable[zipfile.ZipInfo]) -> None:
        seen: set[str] = set()
        for info in infos:
            member = info.filename
            if array_name(member) in seen:
                raise self.refuse("duplicate", member=member)
            seen.add(array_name(member))
            if ".." in member.replace("\\", "/").split("/") or member.startswith(("/", "\\")):
                raise self.refuse("escapes", member=member)
            if info.is_dir():
                raise self.refuse("folder", member=member)

    def _check_sizes(self, infos: list[zipfile.ZipInfo], caps: Mapping[str, int]) -> None:
        limits, total = self.limits, 0
        for info in infos:
            facts = {
                "member": info.filename,
                "size": info.file_size,
                "stored": info.compress_size,
                "limit": caps[info.filename],
                "ratio": limits.max_ratio,
                "file_size": self.size,
            }
            if info.flag_bits & 0x1:
                raise self.refuse("encrypted", **facts)
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise self.refuse("method", method=info.compress_type, **facts)
            if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
                raise self.refuse("stored_sizes", **facts)
            if info.header_offset + info.compress_size > self.size:
                raise self.refuse("outside", **facts)
            if info.file_size > caps[info.filename]:
                raise self.refuse("member_bytes", **facts)
            if info.file_size > limits.max_ratio * info.compress_size + limits.ratio_allowance:
                raise self.refuse("member_ratio", **facts)
            total += info.file_size
        if total > limits.max_total_bytes:
            raise self.refuse("total_bytes", size=total, limit=limits.max_total_bytes)
        if total > limits.max_ratio * self.size + limits.ratio_allowance:
            raise self.refuse("total_ratio", size=total, file_size=self.size, ratio=limits.max_ratio)

    # -- reading ---------------------------------------------------------------------------------------------
    def members(self) -> tuple[str, ...]:
        """Every member's stored name, in archive order."""
        return tuple(self._infos)

    def info(self, member: str) -> zipfile.ZipInfo:
        return self._infos[member]

    @contextlib.contextmanager
    def open(self, member: str, kind: str = "member"):
        """The member as a file, inflated as it is read; what reading it raises becomes an ``ArchiveError``
        naming it: as stored, or as ``np.load`` names it (``.npy`` stripped) when ``kind`` is ``"array"``."""
        named = {"kind": kind, "member": array_name(member) if kind == "array" else member}
        try:
            with self._zip.open(self._infos[member]) as f:
                yield f
        except ArchiveError:
            raise
        except MemoryError:
            raise self.refuse("memory", **named) from None
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise self.refuse("damaged", reason=f"{type(exc).__name__}: {exc}", **named) from None

    def fill(self, f, buffer: bytearray, member: str) -> None:
        """Fill ``buffer`` from the open member ``f`` in bounded pieces; the member must end exactly there."""
        view, filled = memoryview(buffer), 0
        while filled < len(buffer):
            got = f.readinto(view[filled : filled + _READ_CHUNK])
            if not got:
                break
            filled += got
        if filled != len(buffer) or f.read(1):
            raise self.refuse("length", member=member, size=self._infos[member].file_size)

    def check_size(self, member: str, max_bytes: int) -> None:
        """Refuse the member, before inflating it, when it declares more than ``max_bytes``."""
        info = self._infos[member]
        if info.file_size > max_bytes:
            facts = {"size": info.file_size, "stored": info.compress_size, "file_size": self.size}
            raise self.refuse("member_bytes", member=member, limit=max_bytes, ratio=self.limits.max_ratio, **facts)

    def read_member(self, member: str, max_bytes: int | None = None) -> bytearray:
        """The whole member, exactly the size it declares (a writable buffer: arrays viewing it need no copy),
        refused before inflating when that is more than ``max_bytes``."""
        info = self._infos[member]
        if max_bytes is not None:
            self.check_size(member, max_bytes)
        with self.open(member) as f:
            data = bytearray(info.file_size)
            self.fill(f, data, member)
        return data

    # -- lifetime --------------------------------------------------------------------------------------------
    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
        if self._owned:
            self._fp.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def member_names(source, *, max_members: int = Limits.max_members, name: str | None = None) -> list[str]:
    """The member names of a zip, as stored and in order, read from its directory alone (nothing inflated).

    Raises ``ArchiveError`` for what is not a readable zip, for duplicate, escaping or folder names, or for
    more than ``max_members`` members (refused before the directory is parsed). Sizes are not checked.
    """
    with ZipReader(source, Limits(max_members=max_members), name=name, directory_only=True) as archive:
        return list(archive.members())
