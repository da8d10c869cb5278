"""The data set cache: where it lives, how it is read (bounded), and which files numcnn may replace.

The cache file is an uncompressed ``.npz`` that numcnn writes atomically (``numcnn._files.atomic_write``).
numcnn only ever replaces a file it could have written itself, and it never deletes one:

- **numcnn's own cache** is a regular file, no larger than a cache of its data set can be, that is a zip
  whose directory lists exactly that data set's members (e.g. ``x_train.npy``, ``y_train.npy``,
  ``x_test.npy``, ``y_test.npy`` for MNIST: what numcnn writes, and what Keras' ``mnist.npz`` holds). When
  such a file fails any check (an ``.npy`` header, a CRC, a published hash, a header declaring an absurd
  shape) it is corrupt: it is moved aside to ``<name>.corrupt-<YYYYmmdd-HHMMSS>`` (never overwriting a file),
  a warning says where it went, and the other sources are tried and cached in its place.
- **Anything else** at the cache path (a text file, another zip, a truncated file whose directory is gone, a
  300 MB file, a link to a folder) is not numcnn's: it is read no further, left exactly as it is, and
  nothing is cached over it. The loader warns, tries the other sources and returns their data.

Reading goes through ``numcnn._archive``: member names, sizes and ``.npy`` headers are checked against the
shapes the data set must have before a byte is inflated or allocated, and ``allow_pickle`` is never needed.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from numcnn import _archive
from numcnn._checks import invalid
from numcnn._files import atomic_write

# Expected arrays of a data set: member name (without ".npy") -> (dtype, shape), in the order they are written.
Layout = dict[str, tuple[np.dtype, tuple[int, ...]]]
# Room for the zip's own bytes and the .npy headers around the arrays.
_SLACK = 1 << 16


class NotFound(Exception):
    """A local source that simply is not there (not worth a warning)."""


class ForeignFile(Exception):
    """A file at the cache path that numcnn could not have written: it is never moved, replaced or deleted."""


def cache_dir() -> Path:
    """The cache folder: ``$NUMCNN_DATA`` if set, else ``~/.cache/numcnn/datasets``."""
    env = os.environ.get("NUMCNN_DATA")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "numcnn" / "datasets"


def keras_home() -> Path:
    """Keras' folder, as Keras finds it: ``$KERAS_HOME`` if set, else ``~/.keras``."""
    env = os.environ.get("KERAS_HOME")
    return Path(env).expanduser() if env else Path.home() / ".keras"


def resolve_npz_path(path, default_name: str) -> Path:
    """Where the cache file lives: ``path`` relative to ``cache_dir()`` (as Keras takes it relative to
    ``~/.keras/datasets``), or as given when absolute or starting with ``~``; ``None`` means
    ``default_name`` in ``cache_dir()``."""
    if path is None:
        return cache_dir() / default_name
    expected = "a file name or path for the cached .npz file"
    if not isinstance(path, (str, os.PathLike)) or not isinstance(os.fspath(path), str):
        raise invalid("path", f"{expected} (a str or os.PathLike)", path, TypeError)
    if not os.fspath(path).strip():
        raise invalid("path", f"{expected}, not an empty string", path)
    resolved = Path(path).expanduser()
    if not resolved.is_absolute():
        resolved = cache_dir() / resolved
    if resolved.is_dir():
        raise invalid("path", f"{expected}, not a folder", path)
    return resolved


def max_cache_bytes(layout: Layout) -> int:
    """The largest a cache file of ``layout`` can be (its arrays stored uncompressed, plus zip overhead)."""
    return sum(np.dtype(d).itemsize * int(np.prod(s, dtype=np.int64)) for d, s in layout.values()) + _SLACK


def _members(layout: Layout) -> set[str]:
    return {f"{key}.npy" for key in layout}


def check_own(path: Path, layout: Layout) -> None:
    """Raise ``NotFound`` if nothing is at ``path``, ``ForeignFile`` (with the reason) if what is there is not
    a cache numcnn could have written for ``layout``; return if it is one (its contents are not checked)."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        raise NotFound("not found") from None
    if stat.S_ISLNK(info.st_mode):
        try:
            info = path.stat()
        except FileNotFoundError:
            raise ForeignFile("a link to nothing") from None
    if not stat.S_ISREG(info.st_mode):
        raise ForeignFile("not a regular file")
    cap = max_cache_bytes(layout)
    if info.st_size > cap:
        raise ForeignFile(f"{info.st_size} bytes, more than a cache of this data set can be ({cap})")
    with open(path, "rb") as f:
        if f.read(4) != b"PK\x03\x04":
            raise ForeignFile("not an .npz (zip) file")
        try:
            names = _archive.member_names(f, max_members=len(layout), name=str(path))
        except _archive.ArchiveError as exc:
            raise ForeignFile(str(exc).removeprefix(f"{path}: ")) from None
    if set(names) != _members(layout):
        found, wanted = ", ".join(sorted(names)) or "none", ", ".join(sorted(_members(layout)))
        raise ForeignFile(f"its members are {found}, not {wanted}")


def read_npz(source, layout: Layout, name: str) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` (a path or bytes) holding exactly ``layout``'s members, each checked against
    its dtype and shape before it is read. Raises ``ValueError`` (``ArchiveError``) naming ``name``."""
    limits = _archive.Limits(
        max_members=len(layout),
        max_member_bytes=max_cache_bytes(layout),
        max_total_bytes=max_cache_bytes(layout),
        max_ratio=1000.0,  # Keras' mnist.npz is deflated (~5:1); mostly-zero images compress further
    )
    with _archive.open_npz(source, limits, name=name) as npz:
        if set(npz.names()) != set(layout) or len(npz.names()) != len(layout):
            received = ", ".join(npz.names())
            raise npz.error(f"expected arrays {', '.join(layout)}, received {received}")
        headers = npz.headers()
        for key, (dtype, shape) in layout.items():
            header = headers.get(key)
            if header is None or header.dtype != np.dtype(dtype) or header.shape != tuple(shape):
                found = "raw bytes" if header is None else f"a {header.dtype} array of shape {header.shape}"
                raise npz.error(f"{key}: expected a {np.dtype(dtype)} array of shape {tuple(shape)}, found {found}")
        return {key: np.ascontiguousarray(npz.read(key, dtype=d, shape=s)) for key, (d, s) in layout.items()}


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def read_cache(path: Path, layout: Layout, verify: Callable[[dict, str, Callable[[], str]], None]):
    """Read numcnn's cache file at ``path``.

    ``verify(arrays, name, file_digest)`` checks the contents (``file_digest()`` returns the file's SHA-256)
    and raises ``ValueError`` when they are wrong.

    Raises ``NotFound``, ``ForeignFile`` (see ``check_own``), ``ValueError`` when the file is numcnn's but
    corrupt, ``OSError`` when it cannot be read.
    """
    check_own(path, layout)
    arrays = read_npz(path, layout, str(path))
    verify(arrays, str(path), lambda: file_sha256(path))
    return arrays


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """An uncompressed ``.npz`` of ``arrays`` (what ``np.savez`` writes), byte-for-byte the same on every run:
    a fixed timestamp means two processes caching at once write identical files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for key, array in arrays.items():
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            with archive.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def may_replace(path: Path, layout: Layout) -> bool:
    """True if nothing is at ``path`` or what is there is numcnn's own cache of ``layout``."""
    try:
        check_own(path, layout)
    except NotFound:
        return True
    except (ForeignFile, OSError):
        return False
    return True


def write_cache(path: Path, layout: Layout, data: bytes) -> None:
    """Write ``data`` (a whole ``.npz``) to ``path`` atomically, unless a file numcnn did not write is there.

    Raises ``ForeignFile`` when such a file appeared at ``path``, ``OSError`` when the write fails.
    """
    if not may_replace(path, layout):
        raise ForeignFile(f"{path} is not a numcnn cache file")
    atomic_write(path, data)
