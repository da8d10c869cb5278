"""The machinery behind ``cifar10.load_data`` and ``cifar100.load_data``: the *binary* CIFAR files, never pickles.

Keras downloads the Python versions of CIFAR, which are pickles; numcnn never unpickles, so it reads the
binary versions the authors publish beside them (https://www.cs.toronto.edu/~kriz/cifar.html). Each
``.bin`` file is a run of fixed-size records: the label byte(s) (CIFAR-100: coarse, then fine), then 3072
pixel bytes, the 1024 red values of the 32x32 image row by row, then the green, then the blue.

A data set is described by a ``CifarSpec``: its tarball (size, SHA-256, MD5), the ``.bin`` members inside
and their SHA-256 sums. ``load`` tries, in order:

1. numcnn's cache file (see ``_cache``), accepted when its arrays, written back as ``.bin`` records, hash to
   the published SHA-256 of each member;
2. the tarball put by hand beside the cache file, accepted by its SHA-256 and MD5;
3. the tarball's folder, extracted by hand beside the cache file, each ``.bin`` accepted by its SHA-256;
4. the download from the authors' site, accepted by its SHA-256 and MD5;
5. otherwise ``DatasetUnavailableError``, listing every source and where to put the files by hand.

The tarball is read in memory, member by member, as it streams (never extracted: see ``_fetch``), with each
member's size checked before it is read. The cache holds every label kind (CIFAR-100's coarse and fine), so
one download serves both ``label_mode`` values.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from numcnn.datasets._cache import Layout, NotFound, read_cache, resolve_npz_path
from numcnn.datasets._fetch import ChecksumError, fetch_url, read_tar_members
from numcnn.datasets._sources import Source, load_first

PIXELS = 32 * 32 * 3
_PAGE = "https://www.cs.toronto.edu/~kriz/cifar.html"  # where the authors publish the files and their MD5s
_BLOCK = 2000  # records parsed or re-encoded at a time: a few MB of scratch memory


@dataclass(frozen=True)
class BinFile:
    """One ``.bin`` member: its path inside the tarball, its split, its record count and published SHA-256."""

    member: str  # e.g. "cifar-10-batches-bin/data_batch_1.bin"
    split: str  # "train" or "test"
    records: int
    sha256: str


@dataclass(frozen=True)
class CifarSpec:
    """Everything ``load`` needs to know about CIFAR-10 or CIFAR-100 (``cifar10.SPEC``, ``cifar100.SPEC``)."""

    title: str  # "CIFAR-10", for messages
    npz_name: str  # default cache file name
    tarball: str  # "cifar-10-binary.tar.gz"
    tar_size: int  # its exact length in bytes
    tar_sha256: str
    tar_md5: str  # the authors publish MD5 sums
    urls: tuple[str, ...]
    files: tuple[BinFile, ...]  # in record order: the train files, then the test files
    labels: tuple[str, ...] = ("",)  # label kinds, in record order: ("",) or ("coarse", "fine")
    num_classes: tuple[int, ...] = (10,)

    @property
    def record_bytes(self) -> int:
        return len(self.labels) + PIXELS

    def count(self, split: str) -> int:
        return sum(f.records for f in self.files if f.split == split)


def _label_key(split: str, kind: str) -> str:
    return f"y_{split}_{kind}" if kind else f"y_{split}"


def layout(spec: CifarSpec) -> Layout:
    """The cache's arrays: ``x_train`` (N, 32, 32, 3) and a (N,) label array per kind, then the same for test."""
    u8 = np.dtype(np.uint8)
    arrays: Layout = {}
    for split in ("train", "test"):
        n = spec.count(split)
        arrays[f"x_{split}"] = (u8, (n, 32, 32, 3))
        for kind in spec.labels:
            arrays[_label_key(split, kind)] = (u8, (n,))
    return arrays


def _empty(spec: CifarSpec) -> dict:
    return {key: np.empty(shape, dtype) for key, (dtype, shape) in layout(spec).items()}


def _offset(spec: CifarSpec, f: BinFile) -> int:
    """Index of ``f``'s first record within its split."""
    before = spec.files[: spec.files.index(f)]
    return sum(g.records for g in before if g.split == f.split)


def _fill(spec: CifarSpec, f: BinFile, arrays: dict, stream, name: str) -> None:
    """Parse ``f``'s records from ``stream`` into ``arrays`` (channels last), checking its length and SHA-256."""
    digest, start, nlab = hashlib.sha256(), _offset(spec, f), len(spec.labels)
    x = arrays[f"x_{f.split}"]
    for first in range(0, f.records, _BLOCK):
        n = min(_BLOCK, f.records - first)
        block = stream.read(n * spec.record_bytes)
        if len(block) != n * spec.record_bytes:
            raise ValueError(f"{name}: truncated: expected {f.records * spec.record_bytes} bytes")
        digest.update(block)
        records = np.frombuffer(block, np.uint8).reshape(n, spec.record_bytes)
        rows = slice(start + first, start + first + n)
        for i, kind in enumerate(spec.labels):
            arrays[_label_key(f.split, kind)][rows] = records[:, i]
        x[rows] = records[:, nlab:].reshape(n, 3, 32, 32).transpose(0, 2, 3, 1)
    if stream.read(1):
        raise ValueError(f"{name}: longer than {f.records} records of {spec.record_bytes} bytes")
    if digest.hexdigest() != f.sha256:
        raise ChecksumError(f"{name}: SHA-256 {digest.hexdigest()} is not the published {f.sha256}")


def _check_labels(spec: CifarSpec, arrays: dict, name: str) -> None:
    for split in ("train", "test"):
        for kind, classes in zip(spec.labels, spec.num_classes, strict=True):
            key = _label_key(split, kind)
            labels = arrays[key]
            if labels.size and labels.max() >= classes:
                raise ValueError(f"{name}: {key}: expected labels in 0..{classes - 1}, received {int(labels.max())}")


def _records_sha256(spec: CifarSpec, f: BinFile, arrays: dict) -> str:
    """SHA-256 of the ``.bin`` file that holds ``f``'s share of ``arrays`` (the records written back)."""
    digest, start = hashlib.sha256(), _offset(spec, f)
    nlab = len(spec.labels)
    for first in range(0, f.records, _BLOCK):
        n = min(_BLOCK, f.records - first)
        rows = slice(start + first, start + first + n)
        records = np.empty((n, spec.record_bytes), np.uint8)
        for i, kind in enumerate(spec.labels):
            records[:, i] = arrays[_label_key(f.split, kind)][rows]
        records[:, nlab:] = arrays[f"x_{f.split}"][rows].transpose(0, 3, 1, 2).reshape(n, PIXELS)
        digest.update(records.data)
    return digest.hexdigest()


def _verify_cache(arrays: dict, name: str, file_digest, spec: CifarSpec) -> None:
    for f in spec.files:
        digest = _records_sha256(spec, f, arrays)
        if digest != f.sha256:
            raise ChecksumError(
                f"{name}: its {f.split} records of {f.member} hash to SHA-256 {digest}, not the published "
                f"{f.sha256} (truncated, corrupted, or another data set)"
            )
    _check_labels(spec, arrays, name)


def _check_tarball(spec: CifarSpec, digests: tuple[str, str], size: int, name: str) -> None:
    sha256, md5 = digests
    if size != spec.tar_size or sha256 != spec.tar_sha256 or md5 != spec.tar_md5:
        raise ChecksumError(
            f"{name}: {size} bytes with SHA-256 {sha256} and MD5 {md5}, not the published {spec.tar_size} bytes "
            f"with SHA-256 {spec.tar_sha256} and MD5 {spec.tar_md5} of {spec.tarball}"
        )


def _from_tarball(spec: CifarSpec, tarball, name: str) -> dict:
    """Parse a verified tarball (a path or its bytes) into the cache's arrays."""
    arrays = _empty(spec)
    by_member = {f.member: f for f in spec.files}
    sizes = {f.member: f.records * spec.record_bytes for f in spec.files}

    def read(member, stream, size):
        if size != sizes[member]:
            raise ValueError(f"{name}: member {member} is {size} bytes, expected {sizes[member]}")
        _fill(spec, by_member[member], arrays, stream, f"{name}: {member}")

    read_tar_members(tarball, sizes, name=name, read=read)
    _check_labels(spec, arrays, name)
    return arrays


def _from_cache(npz_path: Path, spec: CifarSpec):
    return read_cache(npz_path, layout(spec), partial(_verify_cache, spec=spec)), None


def _from_local_tarball(path: Path, spec: CifarSpec):
    if not path.is_file():
        raise NotFound("not found")
    sha256, md5, size = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            sha256.update(block)
            md5.update(block)
            size += len(block)
            if size > spec.tar_size:
                break
    _check_tarball(spec, (sha256.hexdigest(), md5.hexdigest()), size, str(path))
    return _from_tarball(spec, path, str(path)), None


def _from_folder(folder: Path, spec: CifarSpec):
    if not folder.is_dir():
        raise NotFound("not found")
    arrays = _empty(spec)
    for f in spec.files:
        path = folder / Path(f.member).name
        if not path.is_file():
            raise NotFound(f"{path.name} not found")
        expected = f.records * spec.record_bytes
        if path.stat().st_size != expected:
            raise ValueError(f"{path}: {path.stat().st_size} bytes, expected {expected}")
        with open(path, "rb") as stream:
            _fill(spec, f, arrays, stream, str(path))
    _check_labels(spec, arrays, str(folder))
    return arrays, None


def _from_url(url: str, spec: CifarSpec):
    data = fetch_url(url, max_bytes=spec.tar_size)
    digests = (hashlib.sha256(data).hexdigest(), hashlib.md5(data, usedforsecurity=False).hexdigest())
    _check_tarball(spec, digests, len(data), url)
    return _from_tarball(spec, data, url), None


def _folder_name(spec: CifarSpec) -> str:
    return spec.files[0].member.split("/")[0]


def _sources(spec: CifarSpec, npz_path: Path):
    here = npz_path.parent
    yield Source(f"cache file {npz_path}", partial(_from_cache, npz_path, spec), "cache")
    yield Source(f"tarball {here / spec.tarball}", partial(_from_local_tarball, here / spec.tarball, spec))
    folder = here / _folder_name(spec)
    yield Source(f"binary files in {folder}", partial(_from_folder, folder, spec))
    for url in spec.urls:
        yield Source(url, partial(_from_url, url, spec))


def _by_hand(spec: CifarSpec, npz_path: Path) -> str:
    return (
        f"To install {spec.title} by hand, download {spec.tarball} (the binary version, {spec.tar_size} bytes, "
        f"SHA-256 {spec.tar_sha256}, MD5 {spec.tar_md5}) from {_PAGE} and put it in {npz_path.parent}, "
        f"or extract it there (the folder {_folder_name(spec)}/); then call load_data() again. "
        "Set NUMCNN_DATA to use another cache folder."
    )


def load(spec: CifarSpec, path=None) -> dict:
    """Load ``spec``'s arrays (the cache's layout) from the first source that has them, verified; cache them.

    Raises ``TypeError``/``ValueError`` for a bad ``path`` and ``DatasetUnavailableError`` (an ``OSError``)
    when every source fails.
    """
    npz_path = resolve_npz_path(path, spec.npz_name)
    return load_first(spec.title, npz_path, layout(spec), _sources(spec, npz_path), _by_hand(spec, npz_path))


def keras_arrays(spec: CifarSpec, arrays: dict, kind: str, label_dtype) -> tuple:
    """``(x_train, y_train), (x_test, y_test)`` as Keras returns them: x uint8 ``(N, 32, 32, 3)`` (or
    ``(N, 3, 32, 32)`` when ``numcnn.backend.image_data_format()`` is ``'channels_first'``), y ``(N, 1)``."""
    from numcnn.backend import image_data_format  # late: the data sets need no more of numcnn than this

    out = []
    for split in ("train", "test"):
        x = arrays[f"x_{split}"]
        if image_data_format() == "channels_first":
            x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
        y = arrays[_label_key(split, kind)].reshape(-1, 1).astype(label_dtype)
        out.append((x, y))
    return tuple(out)
