"""Model files: save → load gives the same predictions; broken, foreign or pickled files are refused."""

import os
import pickle
import zipfile

import numpy as np
import pytest
from test_models import tiny_data, tiny_model

from numcnn import saving
from numcnn.models import load_model


def test_save_load_round_trip_predicts_identically(tmp_path):
    x, y, _ = tiny_data(12)
    model = tiny_model()
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert loaded.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0))


def test_save_keeps_the_exact_file_name(tmp_path):
    model = tiny_model()
    model.save(tmp_path / "model.keras")
    assert os.listdir(tmp_path) == ["model.keras"]


def test_weights_only_round_trip(tmp_path):
    x, _, _ = tiny_data(4)
    a, b = tiny_model(), tiny_model()
    a.save_weights(tmp_path / "w.npz")
    b.load_weights(tmp_path / "w.npz")
    np.testing.assert_array_equal(a.predict(x), b.predict(x))
    with pytest.raises(ValueError, match="weights only"):
        load_model(tmp_path / "w.npz")


def test_truncated_file_is_refused(tmp_path):
    path = tmp_path / "model.npz"
    tiny_model().save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="Cannot load .*model.npz"):
        load_model(path)


def test_file_of_another_format_is_refused(tmp_path):
    text = tmp_path / "notes.npz"
    text.write_text("not a model")
    with pytest.raises(ValueError, match="Cannot load"):
        load_model(text)
    plain = tmp_path / "plain.npz"
    np.savez(plain, a=np.zeros(3))
    with pytest.raises(ValueError, match="no numcnn metadata"):
        load_model(plain)
    single = tmp_path / "single.npz"  # a lone .npy array under an .npz name
    with open(single, "wb") as f:
        np.save(f, np.zeros(3))
    with pytest.raises(ValueError, match="single .npy"):
        load_model(single)


def test_arrays_of_the_wrong_shape_are_refused(tmp_path):
    path = tmp_path / "model.npz"
    model = tiny_model()
    model.save(path)
    meta, arrays = saving.read_archive(path)
    name = next(iter(arrays))
    arrays[name] = np.zeros((2, 2), dtype=np.float32)
    saving.write_archive(path, {k: v for k, v in meta.items() if k not in ("format", "version")}, arrays)
    with pytest.raises(ValueError, match="expected shape"):
        load_model(path)


class _Marker:
    """Unpickling this writes a marker file: proof that code ran."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_pickled_objects_are_never_executed(tmp_path):
    marker = tmp_path / "executed"
    path = tmp_path / "evil.npz"
    model = tiny_model()
    model.save(path)
    with zipfile.ZipFile(path, "a") as archive, archive.open("payload.npy", "w") as member:
        np.lib.format.write_array(member, np.array([_Marker(str(marker))], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="Cannot load"):
        load_model(path)
    for name, message in (("evil.pkl", "ending in .keras"), ("evil-raw.npz", "Cannot load")):
        raw = tmp_path / name  # a pickle: refused by its suffix, or as a file that is no .npz archive
        raw.write_bytes(pickle.dumps(_Marker(str(marker))))
        with pytest.raises(ValueError, match=message):
            load_model(raw)
    assert not marker.exists()


def test_an_interrupted_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    model = tiny_model()
    model.save(path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(saving.np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        model.save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.npz"]  # no temp file left behind
