"""The data set cache never deletes a user's file (issue 12, item 1), and a hostile cache (a zip bomb, an absurd
.npy header: items 6 and 8) is moved aside while the other sources are tried, never a MemoryError.

Fixtures and fakes come from test_datasets.py: no test reaches the network or needs the real data.
"""

# ruff: noqa: F811 (the fixtures env and fake are imported from _fake_data)
from __future__ import annotations

import hashlib
import io
import os
import zipfile

import numpy as np
import pytest
from _fake_data import assert_loaded, env, fake, leftovers, serve_npm  # noqa: F401 (fixtures)
from _zips import npy_bytes, npy_header, stored, zeros_bomb_member, zip_bytes

from numcnn.datasets import DatasetUnavailableError, _cache, mnist
from numcnn.datasets._loader import KEYS


def fingerprint(path):
    info = path.lstat()
    small = info.st_size < (1 << 20) and path.is_file()
    return info.st_ino, info.st_size, info.st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest() if small else ""


def user_zip(names):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, b"the user's own data")
    return buffer.getvalue()


def make_text(npz, fake):
    npz.write_text("my notes, not a data set\n")


def make_user_zip(npz, fake):
    npz.write_bytes(user_zip(["report.docx", "photo.jpg"]))


def make_npz_with_an_extra_member(npz, fake):
    arrays = dict(zip(KEYS, fake.arrays, strict=True))
    np.savez(npz, **arrays, notes=np.arange(3))  # the right arrays and one more: not what numcnn writes


def make_huge_file(npz, fake):
    with open(npz, "wb") as f:
        f.truncate(300 << 20)  # 300 MB (sparse): no cache of this data set is that large


def make_truncated_cache(npz, fake):
    npz.write_bytes(_cache.npz_bytes(dict(zip(KEYS, fake.arrays, strict=True)))[:-200])  # its directory is gone


def make_link_to_a_folder(npz, fake):
    (npz.parent / "photos").mkdir()
    npz.symlink_to(npz.parent / "photos")


FOREIGN = [make_text, make_user_zip, make_npz_with_an_extra_member, make_huge_file, make_truncated_cache]
FOREIGN += [make_link_to_a_folder] if hasattr(os, "symlink") else []


@pytest.mark.parametrize("make", FOREIGN, ids=lambda f: f.__name__.removeprefix("make_"))
def test_a_file_numcnn_did_not_write_is_never_deleted_or_replaced(env, fake, make):
    npz = env.cache / "mnist.npz"
    npz.parent.mkdir(parents=True)
    make(npz, fake)
    before = fingerprint(npz)

    with (
        pytest.warns(RuntimeWarning, match=r"mnist\.npz is not a MNIST cache file that numcnn wrote .*left as it is"),
        pytest.raises(DatasetUnavailableError, match=r"cache file .*mnist\.npz: not a numcnn cache file"),
    ):
        mnist.load_data()  # offline: nothing to replace it with
    assert fingerprint(npz) == before

    serve_npm(env, fake)
    with pytest.warns(RuntimeWarning, match="will not be cached there"):
        assert_loaded(mnist.load_data(), fake)  # the other sources are still tried
    assert fingerprint(npz) == before  # ... and nothing is cached over the user's file
    assert sorted(p.name for p in env.cache.iterdir()) == sorted(
        ["mnist.npz"] + (["photos"] if npz.is_symlink() else [])
    )
    assert leftovers(env.cache) == []


def test_a_file_given_as_path_is_left_alone_too(env, fake, tmp_path):
    mine = tmp_path / "thesis.zip"
    mine.write_bytes(user_zip(["chapter1.tex"]))
    before = fingerprint(mine)
    serve_npm(env, fake)
    with pytest.warns(RuntimeWarning, match=r"thesis\.zip is not a MNIST cache file"):
        assert_loaded(mnist.load_data(path=mine), fake)
    assert fingerprint(mine) == before


def fake_cache(fake, x_train):
    """A cache file with numcnn's four members, whose x_train member is ``x_train`` (a Member)."""
    others = [stored(f"{key}.npy", npy_bytes(a)) for key, a in zip(KEYS[1:], fake.arrays[1:], strict=True)]
    return zip_bytes([x_train, *others])


def test_a_cache_whose_header_declares_an_absurd_shape_is_moved_aside_and_the_other_sources_tried(env, fake):
    npz = env.cache / "mnist.npz"
    npz.parent.mkdir(parents=True)
    hostile = fake_cache(fake, stored("x_train.npy", npy_header((10**6, 10**6, 28)) + fake.arrays[0].tobytes()))
    npz.write_bytes(hostile)
    serve_npm(env, fake)
    with pytest.warns(RuntimeWarning, match=r"array 'x_train': its header declares shape \(1000000, 1000000, 28\)"):
        assert_loaded(mnist.load_data(), fake)  # was: MemoryError on every call
    [aside] = npz.parent.glob("mnist.npz.corrupt-*")
    assert aside.read_bytes() == hostile
    assert_loaded(mnist.load_data(), fake)  # the rebuilt cache
    assert len(env.npm.calls) == 1


def test_a_zip_bomb_cache_is_moved_aside_before_anything_is_inflated(env, monkeypatch):
    # The real MNIST spec: a 0.5 MB file with its four members could be numcnn's (the cache is 55 MB).
    npz = env.cache / "mnist.npz"
    npz.parent.mkdir(parents=True)
    others = [stored(f"{key}.npy", npy_bytes(np.zeros(3, np.uint8))) for key in KEYS[1:]]
    hostile = zip_bytes([zeros_bomb_member("x_train.npy"), *others])
    assert len(hostile) < 600_000  # 0.5 MB that would inflate to 512 MiB
    npz.write_bytes(hostile)
    opened = []
    real_open = zipfile.ZipFile.open

    def recording_open(self, name, *args, **kwargs):
        opened.append(getattr(name, "filename", name))
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", recording_open)
    with (
        pytest.warns(
            RuntimeWarning, match=r"member 'x_train.npy' declares 536871040 bytes, expected at most 55015536; moved"
        ),
        pytest.raises(DatasetUnavailableError, match="Could not load MNIST"),  # offline here
    ):
        mnist.load_data()
    assert opened == []  # no member was opened, so nothing was inflated
    [aside] = npz.parent.glob("mnist.npz.corrupt-*")
    assert aside.read_bytes() == hostile and not npz.exists()
