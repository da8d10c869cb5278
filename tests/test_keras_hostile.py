"""Malformed and hostile Keras files, made by the tests: each is refused with a ValueError naming the problem,
before anything the file merely claims is allocated or inflated."""

from __future__ import annotations

import io
import sys
import warnings
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from numcnn.saving import _h5
from numcnn.saving._h5 import H5Reader, Limits
from numcnn.saving.keras_weights import read_weights
from numcnn.saving.keras_zip import ModelFileNotFoundError, ZipLimits, read_keras
from numcnn.saving.legacy_h5 import read_legacy_h5

DATA = Path(__file__).parent / "data" / "keras"
GOOD = DATA / "layers" / "dense.keras"
MEMBERS = {i.filename: zipfile.ZipFile(GOOD).read(i.filename) for i in zipfile.ZipFile(GOOD).infolist()}


def zip_file(tmp_path, members, compression=zipfile.ZIP_STORED, name="bad.keras") -> Path:
    path = tmp_path / name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate names some tests write
        with zipfile.ZipFile(path, "w", compression=compression) as zf:
            for member, data in members:
                zf.writestr(member, data)
    return path


def h5_bytes(build) -> bytes:
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        build(f)
    return buffer.getvalue()


# -- the .keras zip --------------------------------------------------------------------------------------


def test_a_missing_file(tmp_path):
    with pytest.raises(ModelFileNotFoundError, match="No model file"):
        read_keras(tmp_path / "nope.keras")
    with pytest.raises(ModelFileNotFoundError, match="No model file"):
        read_weights(tmp_path / "nope.weights.h5")
    with pytest.raises(ModelFileNotFoundError, match="No model file"):
        read_legacy_h5(tmp_path / "nope.h5")
    assert issubclass(ModelFileNotFoundError, FileNotFoundError) and issubclass(ModelFileNotFoundError, ValueError)


def test_a_truncated_zip(tmp_path):
    path = tmp_path / "cut.keras"
    path.write_bytes(GOOD.read_bytes()[:2000])
    with pytest.raises(ValueError, match="not a zip archive"):
        read_keras(path)


def test_a_zip_bomb_member_is_refused_before_inflating(tmp_path, monkeypatch):
    small = [(k, v) for k, v in MEMBERS.items() if k != "model.weights.h5"]
    path = zip_file(tmp_path, [*small, ("model.weights.h5", bytes(20 << 20))], compression=zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < 100_000  # 20 MiB of zeros deflate to ~20 KB

    def never(*args, **kwargs):
        raise AssertionError("a member was opened")

    monkeypatch.setattr(zipfile.ZipFile, "open", never)
    with pytest.raises(ValueError, match="model.weights.h5' declares 20,971,520 bytes from"):
        read_keras(path)


def test_a_member_past_its_cap(tmp_path):
    path = zip_file(
        tmp_path, [("metadata.json", b"{}"), ("config.json", b" " * 5000 + b"{}"), ("model.weights.h5", b"")]
    )
    with pytest.raises(ValueError, match="config.json' declares 5,002 bytes"):
        read_keras(path, ZipLimits(max_json_bytes=1000))


def test_a_member_that_inflates_past_its_declared_size(tmp_path):
    path = zip_file(tmp_path, list(MEMBERS.items()), compression=zipfile.ZIP_DEFLATED)
    data = bytearray(path.read_bytes())
    size = len(MEMBERS["config.json"])
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # local and central headers
        at = -1
        while (at := data.find(signature, at + 1)) >= 0:
            if int.from_bytes(data[at + offset : at + offset + 4], "little") == size:
                data[at + offset : at + offset + 4] = (size // 2).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="config.json' cannot be read"):
        read_keras(path)


@pytest.mark.parametrize(
    "members,message",
    [
        ([*MEMBERS.items(), ("config.json", MEMBERS["config.json"])], "two members named 'config.json'"),
        ([*MEMBERS.items(), ("../config.json", b"{}")], "leaves the archive"),
        ([*MEMBERS.items(), ("/etc/passwd", b"")], "leaves the archive"),
        ([*MEMBERS.items(), ("evil.py", b"import os")], "unexpected member 'evil.py'"),
        ([*MEMBERS.items(), ("assets/vocab.txt", b"a")], "assets/vocab.txt"),
        ([(k, v) for k, v in MEMBERS.items() if k != "model.weights.h5"] + [("model.weights.npz", b"")], "npz"),
        ([(k, v) for k, v in MEMBERS.items() if k != "config.json"], "no 'config.json'"),
        ([(k, v) for k, v in MEMBERS.items() if k != "model.weights.h5"], "no 'model.weights.h5'"),
        ([*MEMBERS.items()] + [(f"m{i}", b"") for i in range(20)], "members, more than 16"),
        ([("config.json", b"{not json"), ("model.weights.h5", b"")], "'config.json' is not valid JSON"),
        ([("config.json", b"[1, 2]"), ("model.weights.h5", b"")], "JSON list, not an object"),
        ([("config.json", b"[" * 100_000 + b"]" * 100_000), ("model.weights.h5", b"")], "RecursionError"),
        ([("config.json", b"\xff\xfe{}"), ("model.weights.h5", b"")], "not UTF-8"),
        ([("metadata.json", b"nope"), ("config.json", b"{}"), ("model.weights.h5", b"")], "'metadata.json' is not"),
    ],
    ids=[
        "duplicate",
        "dotdot",
        "absolute",
        "unexpected",
        "assets",
        "npz",
        "no-config",
        "no-weights",
        "count",
        "not-json",
        "json-list",
        "deep-json",
        "not-utf8",
        "bad-metadata",
    ],
)
def test_malformed_keras_zips(tmp_path, members, message):
    with pytest.raises(ValueError, match=message):
        read_keras(zip_file(tmp_path, members))


def test_an_encrypted_member(tmp_path):
    path = zip_file(tmp_path, list(MEMBERS.items()))
    data = bytearray(path.read_bytes())
    at = -1
    while (at := data.find(b"PK\x01\x02", at + 1)) >= 0:  # the central directory's flags: bit 0, encrypted
        data[at + 8] |= 0x1
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="encrypted"):
        read_keras(path)


# -- HDF5 ------------------------------------------------------------------------------------------------


def dense_file():
    def build(f):
        group = f.create_group("layers/dense/vars")
        group.attrs["name"] = "dense"
        group["0"] = np.ones((4, 3), np.float32)
        group["1"] = np.zeros(3, np.float32)

    return build


@pytest.mark.parametrize(
    "build,message",
    [
        (
            lambda f: f.create_dataset("layers/d/vars/0", shape=(10**6, 10**6), dtype="f4", chunks=(64, 64)),
            r"declares shape \(1000000, 1000000\)",
        ),
        (lambda f: f.create_dataset("layers/d/vars/0", shape=(10**5, 10**5), dtype="f4"), "more than a"),
        (lambda f: f.create_dataset("layers/d/vars/0", data=np.array([b"abc"])), "not a numeric one"),
        (lambda f: f.create_dataset("layers/d/vars/0", data=["a", "b"], dtype=h5py.string_dtype()), "not a numeric"),
        (lambda f: f.create_dataset("layers/d/vars/0", data=np.zeros(2, [("a", "f4"), ("b", "i4")])), "not a numeric"),
        (lambda f: f.create_dataset("layers/d/vars/0", data=np.zeros(2, np.complex64)), "not a numeric"),
        (lambda f: f.create_dataset("layers/d/vars/0", shape=(2,), dtype=h5py.vlen_dtype("f4")), "not a numeric"),
        (lambda f: f.create_dataset("layers/d/vars/0", shape=(1,), dtype=h5py.ref_dtype), "not a numeric"),
        (lambda f: f.__setitem__("layers/d", h5py.ExternalLink("/etc/passwd", "/x")), "external link"),
        (lambda f: f.__setitem__("layers/d", h5py.SoftLink("/elsewhere")), "soft link"),
        (
            lambda f: f.create_dataset("layers/d/vars/0", shape=(4,), dtype="f4", external=[("/etc/hostname", 0, 16)]),
            "external files",
        ),
        (lambda f: f.create_dataset("layers/d/vars/0", data=h5py.Empty("f4")), "no shape"),
        (lambda f: f.create_group("/".join(["g"] * 40)), "deeper than 32"),
    ],
    ids=[
        "chunked-bomb",
        "contiguous-bomb",
        "bytes",
        "vlen-str",
        "compound",
        "complex",
        "vlen",
        "reference",
        "external-link",
        "soft-link",
        "external-storage",
        "empty",
        "deep",
    ],
)
def test_hostile_hdf5_is_refused_before_reading(build, message):
    data = h5_bytes(build)
    assert len(data) < 1 << 20
    with pytest.raises(ValueError, match=message):
        read_weights(data)


def test_a_virtual_dataset():
    def build(f):
        f["source"] = np.arange(4, dtype="f4")
        layout = h5py.VirtualLayout(shape=(4,), dtype="f4")
        layout[:] = h5py.VirtualSource(f["source"])
        f.create_virtual_dataset("layers/d/vars/0", layout)

    with pytest.raises(ValueError, match="virtual dataset"):
        H5Reader(h5_bytes(build), "v")


def test_object_count_and_attribute_size_are_bounded():
    many = h5_bytes(lambda f: [f.create_group(f"layers/g{i}") for i in range(100)])
    with pytest.raises(ValueError, match="more than 50 groups and datasets"):
        read_weights(many, limits=Limits(max_objects=50))

    def named(f):
        f.create_group("layers/dense/vars").attrs["name"] = "x" * 1000

    with pytest.raises(ValueError, match="larger than 100 bytes"):
        read_weights(h5_bytes(named), limits=Limits(max_attr_bytes=100))

    def compound(f):
        f.create_group("layers/dense/vars").attrs["name"] = np.zeros(1, [("a", "f4")])

    with pytest.raises(ValueError, match="neither text nor numeric"):
        read_weights(h5_bytes(compound))


@pytest.mark.parametrize(
    "build,message",
    [
        (
            lambda f: [f.create_dataset(f"layers/d/vars/{i}", data=np.ones(2)) for i in (0, 2)],
            "expected datasets named 0 to 1",
        ),
        (lambda f: f.create_dataset("layers/d/vars/01", data=np.ones(2)), "expected datasets named 0 to 0"),
        (lambda f: f.create_dataset("layers/d/kernel", data=np.ones(2)), "outside any 'vars' group"),
        (lambda f: f.create_group("layers/d/vars/inner"), "expected only datasets"),
        (lambda f: f.create_dataset("vars/0", data=np.ones(2)), "the model itself holds 1 variables"),
        (lambda f: f.create_group("metrics/vars"), "unexpected group 'metrics/vars'"),
    ],
)
def test_malformed_weights_layouts(build, message):
    with pytest.raises(ValueError, match=message):
        read_weights(h5_bytes(build))


def test_files_of_the_other_generation_and_not_hdf5():
    with pytest.raises(ValueError, match="Keras 2 / legacy .h5"):
        read_weights(str(DATA / "keras2_weights.h5"))
    with pytest.raises(ValueError, match="Keras 3 weights file"):
        read_legacy_h5(str(DATA / "bn_dropout.weights.h5"))
    with pytest.raises(ValueError, match="not an HDF5 file"):
        read_weights(b"PK\x03\x04 certainly not HDF5" * 10)
    with (
        H5Reader(h5_bytes(dense_file()), "f") as h5,
        pytest.raises(ValueError, match=r"has shape \(4, 3\), expected \(3, 4\)"),
    ):
        h5.read("layers/dense/vars/0", shape=(3, 4))


def legacy_file(layer_names=("dense",), weight_names=("dense/kernel:0",), config='{"class_name": "Sequential"}'):
    def build(f):
        f.attrs["model_config"] = config
        group = f.create_group("model_weights")
        group.attrs["layer_names"] = [n.encode() for n in layer_names]
        layer = group.create_group("dense")
        layer.attrs["weight_names"] = [n.encode() for n in weight_names]
        layer["dense/kernel:0"] = np.ones((2, 2), np.float32)

    return h5_bytes(build)


@pytest.mark.parametrize(
    "data,message",
    [
        (legacy_file(layer_names=("dense", "ghost")), "no group 'model_weights/ghost'"),
        (legacy_file(layer_names=("dense", "dense")), "twice"),
        (legacy_file(weight_names=("dense/missing:0",)), "no dataset 'model_weights/dense/dense/missing:0'"),
        (legacy_file(weight_names=("/model_weights/dense/dense/kernel:0",)), "no dataset"),
        (legacy_file(config="{not json"), "'model_config' is not valid JSON"),
        (legacy_file(config="[1]"), "JSON list, not an object"),
        (h5_bytes(lambda f: f.create_group("something")), "neither 'model_weights' nor 'layer_names'"),
    ],
)
def test_malformed_legacy_files(data, message):
    with pytest.raises(ValueError, match=message):
        read_legacy_h5(data)


def test_legacy_attributes_split_in_chunks_are_joined():
    def build(f):
        f.attrs["layer_names0"] = [b"a"]
        f.attrs["layer_names1"] = [b"b"]
        for name in "ab":
            f.create_group(name).attrs["weight_names"] = np.array([], np.float64)

    assert list(read_legacy_h5(h5_bytes(build)).layers) == ["a", "b"]


def test_without_h5py_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)  # import h5py now raises ImportError
    with pytest.raises(_h5.MissingH5pyError, match=r"pip install 'numcnn\[keras-files\]'") as caught:
        read_weights(str(DATA / "bn_dropout.weights.h5"))
    assert isinstance(caught.value, ImportError) and isinstance(caught.value, ValueError)
