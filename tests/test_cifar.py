"""numcnn.datasets.cifar10 / cifar100 on small stand-in archives the tests build (the real ones cannot be
downloaded here): Keras 3's layout (tests/fixtures/keras_cifar_layout.json, recorded from Keras 3.15.1),
the binary records decoded exactly, the tarball read in memory and checked by SHA-256 and MD5, and the cache.

Fixtures from test_datasets.py: private cache folders, a fake network, and no real connection possible.
"""

# ruff: noqa: F811 (the fixture env is imported from _fake_data)
from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import tarfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from _fake_data import env, leftovers  # noqa: F401 (fixtures)

from numcnn import backend
from numcnn.datasets import DatasetUnavailableError, _cache, cifar10, cifar100
from numcnn.datasets._cifar import BinFile

LAYOUT = json.loads((Path(__file__).parent / "fixtures" / "keras_cifar_layout.json").read_text())
URL10 = "https://kriz.invalid/cifar-10-binary.tar.gz"
URL100 = "https://kriz.invalid/cifar-100-binary.tar.gz"


def images(n: int, rng) -> np.ndarray:
    """Image-like stand-ins (N, 32, 32, 3): mostly exact zeros, a bright stroke, one noisy channel."""
    x = np.zeros((n, 32, 32, 3), np.uint8)
    x[:, 10:12, 4:28, 0] = 255
    x[:, :, :, 2] = rng.integers(0, 256, (n, 32, 32))
    x[-1] = 0  # an all-zero image
    return x


def records(x: np.ndarray, *labels: np.ndarray) -> bytes:
    """The binary CIFAR records of ``x``: label byte(s), then the red plane, the green plane, the blue plane."""
    planes = x.transpose(0, 3, 1, 2).reshape(len(x), 3072)
    return np.concatenate([np.stack(labels, axis=1).astype(np.uint8), planes], axis=1).tobytes()


def tarball(members: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return buffer.getvalue()


def pin(spec, tar: bytes, files, url):
    return dataclasses.replace(
        spec,
        tar_size=len(tar),
        tar_sha256=hashlib.sha256(tar).hexdigest(),
        tar_md5=hashlib.md5(tar).hexdigest(),
        urls=(url,),
        files=files,
    )


@pytest.fixture
def c10(monkeypatch):
    """A CIFAR-10 stand-in: two training batches of 3 and 2 images, a test batch of 2, in a real-shaped tarball."""
    rng = np.random.default_rng(0)
    x_train, x_test = images(5, rng), images(2, rng)
    y_train, y_test = np.array([3, 9, 0, 0, 7]), np.array([1, 9])
    bins = {
        "cifar-10-batches-bin/data_batch_1.bin": records(x_train[:3], y_train[:3]),
        "cifar-10-batches-bin/data_batch_2.bin": records(x_train[3:], y_train[3:]),
        "cifar-10-batches-bin/test_batch.bin": records(x_test, y_test),
    }
    files = tuple(
        BinFile(name, "test" if "test" in name else "train", len(data) // 3073, hashlib.sha256(data).hexdigest())
        for name, data in bins.items()
    )
    extra = {"cifar-10-batches-bin/batches.meta.txt": b"airplane\n", "cifar-10-batches-bin/readme.html": b"<html>"}
    tar = tarball({**bins, **extra})
    monkeypatch.setattr(cifar10, "SPEC", pin(cifar10.SPEC, tar, files, URL10))
    return SimpleNamespace(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test, bins=bins, tar=tar)


@pytest.fixture
def c100(monkeypatch):
    """A CIFAR-100 stand-in: 4 training and 2 test images, each record with a coarse and a fine label."""
    rng = np.random.default_rng(1)
    x_train, x_test = images(4, rng), images(2, rng)
    fine_train, coarse_train = np.array([99, 0, 42, 7]), np.array([19, 0, 3, 11])
    fine_test, coarse_test = np.array([5, 63]), np.array([17, 2])
    bins = {
        "cifar-100-binary/train.bin": records(x_train, coarse_train, fine_train),
        "cifar-100-binary/test.bin": records(x_test, coarse_test, fine_test),
    }
    files = tuple(
        BinFile(name, "test" if "test" in name else "train", len(data) // 3074, hashlib.sha256(data).hexdigest())
        for name, data in bins.items()
    )
    tar = tarball({**bins, "cifar-100-binary/fine_label_names.txt": b"apple\n"})
    monkeypatch.setattr(cifar100, "SPEC", pin(cifar100.SPEC, tar, files, URL100))
    fine = ((x_train, fine_train), (x_test, fine_test))
    coarse = ((x_train, coarse_train), (x_test, coarse_test))
    return SimpleNamespace(fine=fine, coarse=coarse, tar=tar, bins=bins)


def assert_keras_layout(result, want, layout):
    (x_train, y_train), (x_test, y_test) = result
    for name, got, expected in (("x_train", x_train, want[0][0]), ("x_test", x_test, want[1][0])):
        dtype, shape = layout[name]
        assert got.dtype == dtype and got.shape[1:] == tuple(shape[1:]) and got.flags.c_contiguous
        np.testing.assert_array_equal(got, expected)
    for name, got, expected in (("y_train", y_train, want[0][1]), ("y_test", y_test, want[1][1])):
        dtype, shape = layout[name]
        assert got.dtype == dtype and got.shape == (len(expected), 1) and len(shape) == 2
        np.testing.assert_array_equal(got[:, 0], expected)


# ------------------------------------------------------------------------------------------------ real specs


def test_real_specs_pin_keras_sizes_and_the_published_sums():
    for spec, key in ((cifar10.SPEC, "cifar10"), (cifar100.SPEC, "cifar100_fine")):
        assert spec.count("train") == LAYOUT[key]["x_train"][1][0] == 50000
        assert spec.count("test") == LAYOUT[key]["x_test"][1][0] == 10000
        assert len(spec.tar_sha256) == 64 and len(spec.tar_md5) == 32 and all(len(f.sha256) == 64 for f in spec.files)
    assert cifar10.SPEC.tar_md5 == "c32a1d4ab5d03f1284b67883e8d87530"  # the authors' page
    assert cifar10.SPEC.tar_sha256.startswith("c4a38c50a1bc5f3a") and cifar10.SPEC.tar_size == 170052171
    assert cifar100.SPEC.tar_md5 == "03b5dce01913d631647c71ecec9e9cb8"
    assert cifar100.SPEC.tar_sha256.startswith("58a81ae192c23a4b") and cifar100.SPEC.tar_size == 168513733
    assert [f.member.split("/")[-1] for f in cifar10.SPEC.files][-1] == "test_batch.bin"
    assert cifar10.SPEC.urls[0].startswith("https://www.cs.toronto.edu/~kriz/")
    assert cifar100.SPEC.labels == ("coarse", "fine") and cifar100.SPEC.num_classes == (20, 100)
    assert LAYOUT["keras_version"].startswith("3.")


# ------------------------------------------------------------------------------------------ loading, caching


def test_cifar10_download_decodes_the_records_in_keras_layout_and_is_cached(env, c10):
    env.net.routes[URL10] = c10.tar
    want = ((c10.x_train, c10.y_train), (c10.x_test, c10.y_test))
    assert_keras_layout(cifar10.load_data(), want, LAYOUT["cifar10"])
    assert env.net.calls == [URL10]
    cache = env.cache / "cifar-10.npz"
    with np.load(cache, allow_pickle=False) as npz:
        assert sorted(npz.files) == ["x_test", "x_train", "y_test", "y_train"]
    env.net.routes.clear()
    assert_keras_layout(cifar10.load_data(), want, LAYOUT["cifar10"])  # from the cache, checked by hash
    assert env.net.calls == [URL10] and leftovers(env.cache) == []


def test_cifar100_one_download_serves_both_label_modes(env, c100):
    env.net.routes[URL100] = c100.tar
    assert_keras_layout(cifar100.load_data(), c100.fine, LAYOUT["cifar100_fine"])
    assert_keras_layout(cifar100.load_data(label_mode="coarse"), c100.coarse, LAYOUT["cifar100_coarse"])
    assert env.net.calls == [URL100]


def test_channels_first_gives_keras_channels_first_images(env, c10):
    env.net.routes[URL10] = c10.tar
    backend.set_image_data_format("channels_first")
    (x_train, _), (x_test, _) = cifar10.load_data()
    np.testing.assert_array_equal(x_train, c10.x_train.transpose(0, 3, 1, 2))
    assert x_test.shape == (2, 3, 32, 32) and x_test.flags.c_contiguous


def test_a_tarball_or_its_folder_put_by_hand_is_used(env, c10):
    env.cache.mkdir()
    (env.cache / "cifar-10-binary.tar.gz").write_bytes(c10.tar)
    want = ((c10.x_train, c10.y_train), (c10.x_test, c10.y_test))
    assert_keras_layout(cifar10.load_data(), want, LAYOUT["cifar10"])
    (env.cache / "cifar-10-binary.tar.gz").unlink()
    (env.cache / "cifar-10.npz").unlink()
    folder = env.cache / "cifar-10-batches-bin"
    folder.mkdir()
    for name, data in c10.bins.items():
        (folder / Path(name).name).write_bytes(data)
    assert_keras_layout(cifar10.load_data(), want, LAYOUT["cifar10"])
    assert env.net.calls == []


def test_a_corrupt_cache_is_moved_aside_and_fetched_again(env, c10):
    env.net.routes[URL10] = c10.tar
    cifar10.load_data()
    cache = env.cache / "cifar-10.npz"
    with np.load(cache) as npz:
        arrays = {key: npz[key] for key in npz.files}
    arrays["x_train"][4, 0, 0, 1] = 1  # one pixel of the second batch, in a well-formed file
    cache.write_bytes(_cache.npz_bytes(arrays))
    with pytest.warns(RuntimeWarning, match=r"its train records of .*data_batch_2\.bin hash to SHA-256 .*moved"):
        cifar10.load_data()
    assert len(env.net.calls) == 2 and len(list(env.cache.glob("cifar-10.npz.corrupt-*"))) == 1


# ------------------------------------------------------------------------------------------- what is refused


def test_a_tarball_with_another_hash_is_rejected_and_never_cached(env, c10, monkeypatch):
    env.net.routes[URL10] = c10.tar[:-1] + bytes([c10.tar[-1] ^ 1])
    with (
        pytest.warns(
            RuntimeWarning, match=r"skipping .*: .*SHA-256 [0-9a-f]{64} and MD5 [0-9a-f]{32}, not the published"
        ),
        pytest.raises(DatasetUnavailableError, match="Could not load CIFAR-10"),
    ):
        cifar10.load_data()
    assert not (env.cache / "cifar-10.npz").exists()
    # The MD5 the authors publish is checked too: the right SHA-256 with another MD5 is refused.
    monkeypatch.setattr(cifar10, "SPEC", dataclasses.replace(cifar10.SPEC, tar_md5="0" * 32))
    env.net.routes[URL10] = c10.tar
    with pytest.warns(RuntimeWarning, match="MD5"), pytest.raises(DatasetUnavailableError):
        cifar10.load_data()


def test_a_member_with_another_hash_or_size_is_rejected(env, c10, monkeypatch):
    member = "cifar-10-batches-bin/test_batch.bin"
    for data, match in ((c10.bins[member][:-1] + b"\x01", "SHA-256"), (c10.bins[member] + b"\0", "bytes, expected")):
        tar = tarball({**c10.bins, member: data})
        monkeypatch.setattr(cifar10, "SPEC", pin(cifar10.SPEC, tar, cifar10.SPEC.files, URL10))
        env.net.routes[URL10] = tar
        with pytest.warns(RuntimeWarning, match=match), pytest.raises(DatasetUnavailableError):
            cifar10.load_data()


def test_labels_out_of_range_and_links_in_the_tarball_are_rejected(env, c100, monkeypatch):
    bins = dict(c100.bins)
    bad = bytearray(bins["cifar-100-binary/test.bin"])
    bad[1] = 100  # a fine label of 100
    bins["cifar-100-binary/test.bin"] = bytes(bad)
    files = tuple(
        dataclasses.replace(f, sha256=hashlib.sha256(bins[f.member]).hexdigest()) for f in cifar100.SPEC.files
    )
    for tar, match in (
        (tarball(bins), r"y_test_fine: expected labels in 0\.\.99, received 100"),
        (
            tarball(
                {"cifar-100-binary/train.bin": bins["cifar-100-binary/train.bin"]},
                {"cifar-100-binary/test.bin": "/etc/passwd"},
            ),
            "test.bin",
        ),
    ):
        monkeypatch.setattr(cifar100, "SPEC", pin(cifar100.SPEC, tar, files, URL100))
        env.net.routes[URL100] = tar
        with pytest.warns(RuntimeWarning, match=match), pytest.raises(DatasetUnavailableError):
            cifar100.load_data()
    assert not (env.cache / "cifar-100.npz").exists() and leftovers(env.tmp) == []


@pytest.mark.parametrize(("label_mode", "error"), [("Fine", ValueError), ("", ValueError), (1, TypeError)])
def test_label_mode_is_checked_before_any_work(env, c100, label_mode, error):
    with pytest.raises(error, match=r"Invalid value for argument 'label_mode': expected one of 'fine', 'coarse'"):
        cifar100.load_data(label_mode=label_mode)
    assert env.net.calls == []


def test_when_everything_fails_the_error_lists_the_sources_and_says_what_to_put_where(env, c10):
    with pytest.raises(DatasetUnavailableError) as info:
        cifar10.load_data()
    message = str(info.value)
    expected = [
        f"cache file {env.cache / 'cifar-10.npz'}: not found",
        f"tarball {env.cache / 'cifar-10-binary.tar.gz'}: not found",
        f"binary files in {env.cache / 'cifar-10-batches-bin'}: not found",
        f"{URL10}: <urlopen error",
        f"download cifar-10-binary.tar.gz (the binary version, {len(c10.tar)} bytes",
        f"put it in {env.cache}, or extract it there (the folder cifar-10-batches-bin/)",
    ]
    positions = [message.find(line) for line in expected]
    assert -1 not in positions, message
    assert positions == sorted(positions)
