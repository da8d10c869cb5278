"""The IDX reader (numcnn.datasets._idx): raw and gzipped files, and a clear error naming the file for every
kind of damage (magic number, dimensions, length, broken or oversized gzip)."""

from __future__ import annotations

import gzip
import re

import numpy as np
import pytest

from numcnn.datasets._idx import gunzip, read_idx


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    magic = (0x0800 | array.ndim) if magic is None else magic
    dims = b"".join(d.to_bytes(4, "big") for d in array.shape)
    return magic.to_bytes(4, "big") + dims + array.astype(np.uint8).tobytes()


@pytest.fixture
def images():
    return np.arange(48, dtype=np.uint8).reshape(3, 4, 4)


def test_read_idx_raw_and_gzipped_give_the_same_writable_array(tmp_path, images):
    raw, gz = tmp_path / "imgs-idx3-ubyte", tmp_path / "imgs-idx3-ubyte.gz"
    raw.write_bytes(idx_bytes(images))
    gz.write_bytes(gzip.compress(idx_bytes(images)))
    for path in (raw, gz):
        for shape in ((3, 4, 4), (None, 4, 4), None):
            array = read_idx(path, shape)
            assert array.dtype == np.uint8 and array.shape == (3, 4, 4)
            np.testing.assert_array_equal(array, images)
            array[0, 0, 0] = 7  # Keras' arrays are writable; so are these
    labels = tmp_path / "labels-idx1-ubyte"
    labels.write_bytes(idx_bytes(np.array([5, 0, 4], dtype=np.uint8)))
    assert read_idx(labels, (3,)).tolist() == [5, 0, 4]


@pytest.mark.parametrize(
    ("mutate", "shape", "message"),
    [
        (lambda d: d[:2], (3, 4, 4), r"not an IDX file: expected a 4-byte magic number, received 2 bytes"),
        (
            lambda d: b"\x00\x00\x08\x02" + d[4:],
            (3, 4, 4),
            r"wrong IDX magic number: expected 0x00000803 .*received 0x00000802",
        ),
        (
            lambda d: b"\x00\x00\x0d\x03" + d[4:],
            (3, 4, 4),
            r"wrong IDX magic number: expected 0x00000803 .*received 0x00000D03",
        ),
        (
            lambda d: d,
            (48,),
            r"wrong IDX magic number: expected 0x00000801 \(unsigned bytes, labels\), received 0x00000803",
        ),
        (lambda d: d[:10], (3, 4, 4), r"truncated IDX header: expected 16 bytes .*received 10 bytes"),
        (lambda d: d, (3, 5, 4), r"wrong IDX dimensions: expected \(3, 5, 4\), received \(3, 4, 4\)"),
        (lambda d: d, (None, 4, 5), r"wrong IDX dimensions: expected \('any', 4, 5\), received \(3, 4, 4\)"),
        (
            lambda d: d[:-1],
            (3, 4, 4),
            r"wrong IDX file length .*expected 64 bytes .*received 63 bytes \(file is truncated\)",
        ),
        (
            lambda d: d + b"\x00\x01",
            None,
            r"wrong IDX file length .*expected 64 bytes .*received 66 bytes \(2 trailing bytes\)",
        ),
    ],
)
def test_read_idx_rejects_bad_files_naming_the_file(tmp_path, images, mutate, shape, message):
    path = tmp_path / "bad-idx3-ubyte"
    path.write_bytes(mutate(idx_bytes(images)))
    with pytest.raises(ValueError, match=re.escape(str(path)) + ": " + message):
        read_idx(path, shape)


def test_read_idx_rejects_broken_gzip_naming_the_file(tmp_path, images):
    good = gzip.compress(idx_bytes(images), mtime=0)
    path = tmp_path / "imgs.gz"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(ValueError, match=re.escape(str(path)) + r": truncated gzip data"):
        read_idx(path, (3, 4, 4))
    path.write_bytes(good[:-8] + bytes(b ^ 0xFF for b in good[-8:-4]) + good[-4:])  # wrong CRC-32
    with pytest.raises(ValueError, match=re.escape(str(path)) + r": corrupt gzip data"):
        read_idx(path, (3, 4, 4))
    path.write_bytes(good + b"trailing junk")
    with pytest.raises(ValueError, match=re.escape(str(path)) + r": corrupt gzip data"):
        read_idx(path, (3, 4, 4))


def test_gzip_may_not_inflate_past_the_expected_size(tmp_path, images):
    path = tmp_path / "bomb-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(images) + bytes(10_000)))
    with pytest.raises(ValueError, match=re.escape(str(path)) + r": expected at most 64 bytes once decompressed"):
        read_idx(path, (3, 4, 4))
    two_members = gzip.compress(b"ab") + gzip.compress(b"cd")
    assert gunzip(two_members, "x", 4) == b"abcd"
    with pytest.raises(ValueError, match="x: expected at most 3 bytes"):
        gunzip(two_members, "x", 3)
