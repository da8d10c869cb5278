"""numcnn's own ``.npz`` read as a hostile file (issue 12): names, count and declared sizes are checked before any
member is inflated, the ``.npy`` headers before any array, and the arrays' shapes against the model's config
before the model is built; two metadata members, object arrays and bad statistics are refused."""

from __future__ import annotations

import io
import tracemalloc
import zipfile

import numpy as np
import pytest
from test_models import tiny_model

import numcnn
from numcnn import layers
from numcnn.models import Sequential, load_model
from numcnn.saving import npz


def saved(tmp_path, model=None):
    path = tmp_path / "m.npz"
    (model or tiny_model()).save(path)
    with zipfile.ZipFile(path) as zf:
        return path, {name: zf.read(name) for name in zf.namelist()}


def write_zip(path, items, compression=zipfile.ZIP_STORED):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate names some tests write
        with zipfile.ZipFile(path, "w", compression=compression) as zf:
            for name, data in items:
                zf.writestr(name, data)


def npy(array) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def never_opened(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a member was inflated")

    monkeypatch.setattr(zipfile.ZipFile, "open", refuse)


def test_two_metadata_members_are_refused(tmp_path):
    path, found = saved(tmp_path)
    write_zip(path, [*found.items(), ("__numcnn__.npy", found["__numcnn__.npy"])])
    with pytest.raises(ValueError, match="two members named '__numcnn__.npy'"):
        load_model(path)


def test_an_unexpected_member_is_refused_before_anything_is_inflated(tmp_path, monkeypatch):
    path, found = saved(tmp_path)
    write_zip(path, [*found.items(), ("extra.npy", bytes(64 << 20))], compression=zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < 1 << 20  # 64 MiB of zeros in a ~70 KB file
    never_opened(monkeypatch)
    with pytest.raises(ValueError, match="unexpected member 'extra.npy'"):
        load_model(path)


def test_a_member_inflating_far_beyond_its_stored_size_is_refused_unopened(tmp_path, monkeypatch):
    path, found = saved(tmp_path)
    bomb = npy(np.zeros(5 << 20, np.float32))  # a weight of 20 MiB of zeros, deflated 1000:1
    write_zip(path, [(k, bomb if k == "weight:2.npy" else v) for k, v in found.items()], zipfile.ZIP_DEFLATED)
    never_opened(monkeypatch)
    with pytest.raises(ValueError, match="'weight:2.npy' declares 20,971,648 bytes from .* 200:1"):
        load_model(path)


def test_a_header_declaring_more_than_its_member_holds_is_refused_without_allocating(tmp_path):
    path, found = saved(tmp_path)
    buffer = io.BytesIO()  # 80 GB declared, 8 bytes there
    np.lib.format.write_array_header_1_0(buffer, {"descr": "<f8", "fortran_order": False, "shape": (100000, 100000)})
    fixed = buffer.getvalue() + bytes(8)
    write_zip(path, [(k, fixed if k == "weight:0.npy" else v) for k, v in found.items()])
    tracemalloc.start()
    with pytest.raises(ValueError, match=r"'weight:0' declares shape \(100000, 100000\).*holds"):
        load_model(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 16 << 20


def test_object_arrays_are_refused_from_their_header(tmp_path):
    path, found = saved(tmp_path)
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    write_zip(path, [(k, buffer.getvalue() if k == "weight:1.npy" else v) for k, v in found.items()])
    with pytest.raises(ValueError, match="'weight:1' is not a numeric array.*pickled"):
        load_model(path)


def test_more_than_a_thousand_weights_come_back_in_their_layers(tmp_path):
    """Numbered by position, compared as numbers: "1000" comes after "999"."""
    x = inputs = numcnn.Input((2,))
    for _ in range(253):  # 1012 weight arrays, 4 a layer
        x = layers.BatchNormalization()(x)
    model = numcnn.Model(inputs, x)
    model.set_weights([np.full(2, i + 1, np.float32) for i in range(1012)])
    path, _ = saved(tmp_path, model)
    loaded = load_model(path)
    assert [int(w[0]) for w in loaded.get_weights()] == list(range(1, 1013))


@pytest.mark.parametrize("suffix", [".npz", ".keras"])
def test_a_negative_moving_variance_in_a_file_is_refused(tmp_path, suffix):
    model = Sequential([layers.Input((3,)), layers.BatchNormalization()])
    path = tmp_path / f"m{suffix}"
    model.save(path)
    variance = np.array([1.0, -0.5, 1.0], np.float32)  # written into the file: set_weights may refuse it
    if suffix == ".npz":
        meta, arrays = npz.read_archive(path)
        arrays["weight:3"] = variance
        npz.write_archive(path, {k: v for k, v in meta.items() if k not in ("format", "version")}, arrays)
    else:
        from numcnn.saving.keras_weights import read_weights, write_weights
        from numcnn.saving.keras_zip import read_keras, write_keras

        archive = read_keras(path)
        weights = read_weights(archive.weights)
        weights.layers["layers/batch_normalization"][3] = variance
        write_keras(path, archive.config, write_weights(weights, weights.names[""]))
    with pytest.raises(ValueError, match="moving_variance"):
        load_model(path)


def test_the_archive_reader_reads_headers_before_data(tmp_path):
    path, _ = saved(tmp_path)
    with npz.NpzArchive(path) as archive:
        assert archive.headers["weight:0"].shape == (3, 3, 1, 4) and archive.meta["format"] == "numcnn.model"
        with pytest.raises(ValueError, match="expected \\(2, 2\\)"):
            archive.read("weight:0", shape=(2, 2))
        assert archive.read("weight:0").flags.writeable
