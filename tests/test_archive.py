"""numcnn._archive: what np.savez writes reads back exactly, and every hostile archive (made here, by hand) is
refused with a ValueError naming the file, before anything is inflated or allocated."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import zipfile
import zlib

import numpy as np
import pytest
from _zips import Member, deflated, npy_bytes, npy_header, overlapping, stored, zeros_bomb, zeros_bomb_member, zip_bytes

from numcnn import _archive
from numcnn._archive import ArchiveError, ArrayHeader, Limits, member_names, open_npz


@pytest.fixture(scope="module")
def bomb():
    return zeros_bomb()


def savez(compressed=False, **arrays) -> bytes:
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return buffer.getvalue()


@pytest.fixture
def never_inflates(monkeypatch):
    """Fail the test if any member is opened for reading (which is where inflating starts)."""

    def refuse(*args, **kwargs):
        raise AssertionError("a member was opened: the archive was not refused before inflating")

    monkeypatch.setattr(zipfile.ZipFile, "open", refuse)


# ---------------------------------------------------------------------------------------- what numpy writes


@pytest.mark.parametrize("compressed", [False, True])
def test_arrays_numpy_wrote_read_back_exactly_and_headers_come_first(tmp_path, compressed):
    rng = np.random.default_rng(0)
    images = np.zeros((5, 8, 8, 1), np.float32)  # image-like: mostly exact zeros, a stroke of ones
    images[:, 3, 1:7, 0] = 1.0
    arrays = {
        "dense/kernel": rng.standard_normal((7, 3)).astype(np.float32),
        "f": np.asfortranarray(rng.integers(0, 9, (3, 4))),
        "images": images,
        "empty": np.zeros((0, 3)),
        "flags": np.array([True, False]),
        "meta": np.array(json.dumps({"layers": [1, 2]})),
        "big_endian": np.arange(4, dtype=">i4"),
    }
    path = tmp_path / "a.npz"
    path.write_bytes(savez(compressed, **arrays))
    with open_npz(path) as npz:
        assert npz.names() == tuple(arrays)
        headers = npz.headers()
        assert headers["dense/kernel"] == ArrayHeader(np.dtype(np.float32), (7, 3), False)
        assert headers["f"].fortran_order and headers["images"].nbytes == images.nbytes
        for name, want in arrays.items():
            got = npz.read(name)
            assert got.dtype == want.dtype and got.shape == want.shape
            np.testing.assert_array_equal(got, want)
            assert got.flags.writeable
        assert npz.read_json("meta") == {"layers": [1, 2]}
        kernel = npz.read("dense/kernel", dtype=np.float32, shape=(7, 3))
        np.testing.assert_array_equal(kernel, arrays["dense/kernel"])
        with pytest.raises(ArchiveError, match=r"a\.npz: array 'dense/kernel': expected shape \(3, 7\)"):
            npz.read("dense/kernel", shape=(3, 7))
        with pytest.raises(ArchiveError, match=r"expected dtype float64, found float32"):
            npz.read("dense/kernel", dtype=np.float64)
    assert member_names(path) == [f"{name}.npy" for name in arrays]


def test_a_raw_member_is_listed_but_is_not_an_array(tmp_path):
    data = zip_bytes([stored("w.npy", npy_bytes(np.ones(3))), stored("config.json", b'{"a": 1}')])
    with open_npz(data, name="model.npz") as npz:
        assert npz.names() == ("w", "config.json") and list(npz.headers()) == ["w"]
        assert npz.read_json("config.json") == {"a": 1}
        assert npz.read_bytes("config.json") == b'{"a": 1}'
        with pytest.raises(ArchiveError, match=r"model\.npz: member 'config\.json' is raw bytes"):
            npz.read("config.json")
        with pytest.raises(ArchiveError, match="no member 'x'"):
            npz.read("x")


# --------------------------------------------------------------------------------------- hostile directories


def test_a_zip_bomb_is_refused_before_anything_is_inflated(bomb, never_inflates):
    assert len(bomb) < 600_000  # 0.5 MB that would inflate to 512 MiB
    with pytest.raises(ArchiveError, match=r"bomb\.npz: .*536871040 bytes .* from a 522\d+-byte file.*nothing"):
        open_npz(bomb, name="bomb.npz")


def test_a_member_larger_than_the_cap_is_refused_before_inflating(never_inflates):
    data = zip_bytes([stored("a.npy", npy_bytes(np.zeros(1000, np.uint8)))])
    with pytest.raises(ArchiveError, match=r"member 'a\.npy' declares 1128 bytes, expected at most 1000"):
        open_npz(data, Limits(max_member_bytes=1000))
    with pytest.raises(ArchiveError, match=r"members declare 1128 bytes in all, expected at most 1100"):
        open_npz(data, Limits(max_total_bytes=1100))


def test_two_members_of_one_name_are_refused(never_inflates):
    one, two = npy_bytes(np.zeros(2)), npy_bytes(np.ones(2))
    for names in (("w.npy", "w.npy"), ("w.npy", "w")):  # np.load would quietly give one of them
        data = zip_bytes([stored(names[0], one), stored(names[1], two)])
        with pytest.raises(ArchiveError, match=r"twice\.npz: member 'w(\.npy)?' appears more than once"):
            open_npz(data, name="twice.npz")
        with pytest.raises(ArchiveError, match="appears more than once"):
            member_names(data)


def test_too_many_members_are_refused_before_the_directory_is_parsed(monkeypatch):
    data = zip_bytes([stored(f"{i}.npy", npy_bytes(np.zeros(1))) for i in range(5)])
    parsed = []
    monkeypatch.setattr(zipfile, "ZipFile", lambda *a, **k: parsed.append(1))
    with pytest.raises(ArchiveError, match="5 members, expected at most 4"):
        open_npz(data, Limits(max_members=4))
    lying = zip_bytes([stored("a.npy", npy_bytes(np.zeros(1)))], declared_count=60_000)
    with pytest.raises(ArchiveError, match="60000 members, expected at most 1000"):
        member_names(lying, max_members=1000)
    assert parsed == []


@pytest.mark.parametrize(
    ("member", "match"),
    [
        (Member("a.npy", b"x" * 10, 10, 0, flags=0x1), "encrypted"),
        (Member("a.npy", b"x" * 10, 10, 0, method=12), "compression method 12"),
        (Member("a.npy", b"x" * 10, 20, 0), "stored but declares 10 bytes for 20"),
        (Member("folder/", b"", 0, 0), "is a folder"),
    ],
    ids=["encrypted", "bzip2", "stored-size-lies", "folder"],
)
def test_members_numcnn_never_writes_are_refused(member, match, never_inflates):
    with pytest.raises(ArchiveError, match=match):
        open_npz(zip_bytes([member]))


def test_names_leaving_the_archive_are_refused(never_inflates):
    for name in ("../x.npy", "a/../../x.npy", "/etc/x.npy", "\\x.npy"):
        with pytest.raises(ArchiveError, match=r"escape\.npz: member .* leaves the archive"):
            open_npz(zip_bytes([stored(name, npy_bytes(np.zeros(1)))]), name="escape.npz")


def test_a_bomb_member_beside_a_large_honest_one_is_refused_by_its_own_ratio(bomb, never_inflates):
    """All members together stay within 100 times the file's size; the bomb alone does not."""
    honest = stored("images.npy", npy_bytes(np.zeros(6 << 20, np.uint8)))  # 6 MiB stored as it is
    data = zip_bytes([honest, zeros_bomb_member("x.npy", 512)])
    with pytest.raises(ArchiveError, match=r"member 'x\.npy' declares 536871040 bytes \(more than 100 times the"):
        open_npz(data)


def test_members_sharing_one_stream_are_refused_by_the_total_ratio(never_inflates):
    """Each directory entry is honest (stored, 1:1); 200 of them name the same 1 MiB: the overlap bomb."""
    data = overlapping(stored("w.npy", npy_bytes(np.zeros(1 << 20, np.uint8))), [f"w{i}.npy" for i in range(200)])
    assert len(data) < (1 << 20) + 20_000
    with pytest.raises(ArchiveError, match=r"members declare 209740800 bytes in all from a 10\d{5}-byte file"):
        open_npz(data)


def test_a_count_the_file_cannot_hold_is_refused_before_the_directory_is_parsed(monkeypatch):
    lying = zip_bytes([stored("a.npy", npy_bytes(np.zeros(1)))], declared_count=60_000)
    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents", lambda self: pytest.fail("the directory was parsed"))
    with pytest.raises(ArchiveError, match=r"declares 60000 members, more than a \d+-byte file can hold"):
        open_npz(lying)


def test_truncated_and_non_zip_files_are_refused(tmp_path):
    good = savez(a=np.arange(100))
    for data, match in [
        (b"hello, world\n" * 10, "not a zip archive"),
        (good[: len(good) // 2], "not a zip archive"),
        (b"", "not a zip archive"),
    ]:
        path = tmp_path / "f.npz"
        path.write_bytes(data)
        with pytest.raises(ArchiveError, match=match) as caught:
            open_npz(path)
        assert str(path) in str(caught.value)


# ---------------------------------------------------------------------------------------- hostile .npy headers


def test_a_header_declaring_an_absurd_shape_is_refused_without_allocating(monkeypatch):
    data = zip_bytes([stored("x.npy", npy_header((10**6, 10**6), "<f8") + b"\0" * 64)])
    allocated = []
    monkeypatch.setattr(_archive, "bytearray", lambda n: allocated.append(n), raising=False)
    with open_npz(data, name="absurd.npz") as npz:
        with pytest.raises(ArchiveError, match=r"absurd\.npz: array 'x': .*shape \(1000000, 1000000\).*holds 64 data"):
            npz.headers()
        with pytest.raises(ArchiveError, match="holds 64 data bytes"):
            npz.read("x")
    assert allocated == []


def test_object_arrays_are_refused_and_never_unpickled(tmp_path):
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    buffer = io.BytesIO()
    np.savez(buffer, x=np.array([Payload()], dtype=object))
    with open_npz(buffer.getvalue()) as npz:
        with pytest.raises(ArchiveError, match="dtype object is refused"):
            npz.headers()
        with pytest.raises(ArchiveError, match="dtype object is refused"):
            npz.read("x")
    assert not marker.exists()


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        (b"\x93NUMPY\x03\x00" + b"\0" * 60, "format version 3.0"),
        (b"not an npy file at all", "bad .npy header"),
        (npy_bytes(np.zeros(2, dtype=[("a", "<f4"), ("b", "<i2")])), "dtype .* is refused"),
        (npy_header((2,), "<V8") + b"\0" * 16, "dtype \\|V8 is refused"),
    ],
    ids=["version-3", "no-magic", "record", "void"],
)
def test_bad_or_refused_npy_headers(payload, match):
    with open_npz(zip_bytes([stored("x.npy", payload)])) as npz, pytest.raises(ArchiveError, match=match):
        npz.headers()


def test_a_damaged_member_is_an_archive_error_naming_it():
    data = bytearray(zip_bytes([deflated("x.npy", npy_bytes(np.arange(1000)))]))
    data[200] ^= 0xFF  # inside the deflate stream
    with open_npz(bytes(data), name="hurt.npz") as npz, pytest.raises(ArchiveError, match=r"hurt\.npz: .*'x'"):
        npz.read("x")


# ----------------------------------------------------------------------------------------------------- JSON


def test_json_members_are_bounded_and_their_errors_are_archive_errors(never_inflates):
    big = zip_bytes([stored("meta.json", b"[" + b"0," * 600_000 + b"0]")])
    with pytest.raises(ArchiveError, match=r"member 'meta\.json' declares 1200003 bytes, expected at most 1000"):
        open_npz(big).read_json("meta.json", max_bytes=1000)


@pytest.mark.parametrize(
    ("payload", "match"),
    [(b"[" * 100_000 + b"]" * 100_000, "nested too deeply|not valid JSON"), (b"\xff\xfe", "not UTF-8"), (b"{", "JSON")],
)
def test_json_that_cannot_be_parsed(payload, match):
    with open_npz(zip_bytes([stored("m.json", payload)])) as npz, pytest.raises(ArchiveError, match=match):
        npz.read_json("m.json")


def test_json_in_an_npy_member_must_be_a_single_string():
    data = savez(meta=np.array(["{}", "{}"]), n=np.zeros(2))
    with open_npz(data) as npz:
        for name in ("meta", "n"):
            with pytest.raises(ArchiveError, match="is not a single string"):
                npz.read_json(name)


# ----------------------------------------------------------------------------------------- under a memory cap

MEMORY_CAPPED = textwrap.dedent(
    """
    import resource, sys
    from numcnn._archive import ArchiveError, Limits, open_npz
    data = open(sys.argv[1], "rb").read()
    npz = open_npz(data, Limits(max_ratio=2000.0), name="bomb.npz")  # caps lifted: the bytes are not there
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as f:
        in_use = int(f.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (in_use + (256 << 20), hard))
    try:
        npz.read("x_train")
    except ArchiveError as exc:
        print("ValueError:", exc)
    except MemoryError:
        print("MemoryError")
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs RLIMIT_AS and /proc (Linux)")
def test_memory_error_while_reading_becomes_a_value_error_naming_the_file(tmp_path, bomb):
    path = tmp_path / "bomb.npz"
    path.write_bytes(bomb)
    done = subprocess.run([sys.executable, "-c", MEMORY_CAPPED, str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ValueError: bomb.npz: not enough memory to read array 'x_train'"


def test_zlib_and_numpy_agree_with_the_stand_in_bomb(bomb):
    """The bomb is what it claims: a valid zip whose member really inflates to 512 MiB (checked in pieces)."""
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        [info] = archive.infolist()
        assert info.file_size == 128 + (512 << 20)
        with archive.open(info) as f:
            assert f.read(128) == npy_header((512 << 20,))
            assert zlib.crc32(f.read(1 << 20)) == zlib.crc32(bytes(1 << 20))
