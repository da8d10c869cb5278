"""One archive reader for models and data caches (issue 12, item 6): the same hostile zip (a bomb member, a huge
member count, a header declaring an absurd shape) is refused the same way, by the same check and before it is
inflated, by all three entry points: ``mnist.load_data(path=...)``, ``load_model('x.npz')`` and
``load_model('x.keras')``.

Each file is made here, with the member names its format expects, so that only the hostility is refused.
Offline (``env`` from _fake_data): a refused MNIST cache leaves no other source, so load_data raises
DatasetUnavailableError after the warning that says why the file was refused.
"""

# ruff: noqa: F811 (the fixture env is imported from _fake_data)
from __future__ import annotations

import io
import re
import tracemalloc
import warnings
import zipfile

import h5py
import numpy as np
import pytest
from _fake_data import env  # noqa: F401 (fixture)
from _zips import npy_bytes, npy_header, stored, zeros_bomb_member, zip_bytes

from numcnn import layers
from numcnn.datasets import DatasetUnavailableError, mnist
from numcnn.datasets._loader import KEYS
from numcnn.models import Sequential, load_model

BOMB_BYTES = 128 + (512 << 20)  # what the bomb member declares: an .npy header and 512 MiB of zeros
COUNT = 1 << 40  # members a zip64 end record declares
ABSURD = (10**6, 10**6)  # 8 TB of float64 declared by a header followed by 8 bytes
PEAK = 8 << 20  # far below what any of these files claims

# What each kind of hostility is refused for, whichever entry point reads the file.
REFUSED = {
    "bomb": rf"'(x_train\.npy|weight:0\.npy|model\.weights\.h5)' declares ({BOMB_BYTES:,}|{BOMB_BYTES}) bytes",
    "count": rf"({COUNT:,}|{COUNT}) members, (more than|expected at most) \d",
    "absurd-shape": r"declares shape \(1000000, 1000000",
}


def absurd_npy() -> bytes:
    return npy_header(ABSURD, "<f8") + bytes(8)


def absurd_h5() -> bytes:
    """Keras' weights file of Input(3) -> Dense(2) whose kernel declares 4 TB (chunked: nothing stored)."""
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        group = f.create_group("layers/dense/vars")
        group.create_dataset("0", shape=ABSURD, dtype="f4", chunks=(64, 64))
        group["1"] = np.zeros(2, np.float32)
    return buffer.getvalue()


def hostile_zip(members: dict[str, bytes], kind: str, target: str, absurd: bytes) -> bytes:
    """``members`` stored, with ``target`` a bomb (``kind`` 'bomb') or ``absurd``, or a zip64 end record
    declaring ``COUNT`` members ('count')."""
    found = [stored(name, data) for name, data in members.items() if name != target]
    if kind == "bomb":
        return zip_bytes([zeros_bomb_member(target), *found])
    if kind == "count":
        return zip_bytes([stored(target, members[target]), *found], declared_count=COUNT)
    return zip_bytes([stored(target, absurd), *found])


def saved_members(path) -> dict[str, bytes]:
    model = Sequential([layers.Input((3,)), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def mnist_entry(tmp_path, kind):
    path = tmp_path / "mine.npz"
    members = {f"{key}.npy": npy_bytes(np.zeros(3, np.uint8)) for key in KEYS}
    path.write_bytes(hostile_zip(members, kind, "x_train.npy", absurd_npy()))

    def load():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with pytest.raises(DatasetUnavailableError):
                mnist.load_data(path=path)
        return " ".join(str(w.message) for w in caught if issubclass(w.category, RuntimeWarning))

    return load


def model_entry(tmp_path, kind, suffix):
    path = tmp_path / f"m{suffix}"
    members = saved_members(path)
    if suffix == ".npz":
        path.write_bytes(hostile_zip(members, kind, "weight:0.npy", absurd_npy()))
    else:
        path.write_bytes(hostile_zip(members, kind, "model.weights.h5", absurd_h5()))

    def load():
        with pytest.raises(ValueError, match=re.escape(str(path))) as caught:
            load_model(path)
        return str(caught.value)

    return load


ENTRIES = {
    "mnist.load_data": mnist_entry,
    "load_model(.npz)": lambda tmp_path, kind: model_entry(tmp_path, kind, ".npz"),
    "load_model(.keras)": lambda tmp_path, kind: model_entry(tmp_path, kind, ".keras"),
}


@pytest.fixture
def watched(monkeypatch):
    """Records every directory parsed and every member opened (where inflating starts)."""
    seen = {"parsed": 0, "opened": []}
    real_parse, real_open = zipfile.ZipFile._RealGetContents, zipfile.ZipFile.open

    def parse(self):
        seen["parsed"] += 1
        return real_parse(self)

    def open_member(self, name, *args, **kwargs):
        seen["opened"].append(getattr(name, "filename", name))
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents", parse)
    monkeypatch.setattr(zipfile.ZipFile, "open", open_member)
    return seen


@pytest.mark.parametrize("kind", list(REFUSED))
@pytest.mark.parametrize("entry", list(ENTRIES))
def test_the_same_hostile_zip_is_refused_the_same_way_by_every_entry_point(tmp_path, watched, entry, kind):
    load = ENTRIES[entry](tmp_path, kind)
    assert all(p.stat().st_size < 600_000 for p in tmp_path.iterdir())
    watched.update(parsed=0, opened=[])  # making the file read the saved model: only loading counts
    tracemalloc.start()
    try:
        message = load()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert re.search(REFUSED[kind], message), message
    assert peak < PEAK, f"peak {peak / 2**20:.1f} MiB"
    if kind == "count":
        assert watched["parsed"] == 0  # refused from the end record: the directory was never parsed
    if kind != "absurd-shape":  # (a header is read to be refused: the peak says that nothing more was)
        assert watched["opened"] == []  # nothing was inflated
