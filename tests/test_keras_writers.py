"""The writers: numcnn's weights HDF5 and .keras zip have the layout Keras writes, and read back bit for bit."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numcnn.saving.keras_weights import KerasWeights, keras_layer_paths, read_weights, write_weights
from numcnn.saving.keras_zip import keras_zip_bytes, read_keras, write_keras

DATA = Path(__file__).parent / "data" / "keras"


def layout(source) -> dict:
    """Every object of an HDF5 file: path → (kind, shape, dtype, attributes)."""
    out = {}
    with h5py.File(io.BytesIO(source) if isinstance(source, bytes) else source, "r") as f:

        def visit(name, obj):
            attrs = {k: str(v) for k, v in obj.attrs.items()}
            if isinstance(obj, h5py.Dataset):
                out[name] = ("dataset", obj.shape, obj.dtype.str, obj.chunks, obj.compression, attrs)
            else:
                out[name] = ("group", attrs)

        f.visititems(visit)
    return out


@pytest.mark.parametrize("name", ["bn_dropout.keras", "residual.keras", "optimizers/adam_amsgrad.keras"])
def test_rewritten_weights_have_the_layout_keras_wrote(name):
    original = read_keras(DATA / name).weights
    weights = read_weights(original)
    written = write_weights(weights, model_name=weights.names[""])
    assert layout(written) == layout(original)
    again = read_weights(written)
    assert again.names == weights.names
    for path, arrays in weights.layers.items():
        assert len(again.layers[path]) == len(arrays)
        for a, b in zip(arrays, again.layers[path]):
            assert a.dtype == b.dtype and np.array_equal(a, b)
    assert all(a.dtype == b.dtype and np.array_equal(a, b) for a, b in zip(weights.optimizer, again.optimizer))


def test_standalone_weights_file_layout():
    weights = read_weights(DATA / "optimizers" / "adam.weights.h5")
    written = write_weights(weights, model_name=weights.names[""])
    assert layout(written) == layout(str(DATA / "optimizers" / "adam.weights.h5"))


def test_nested_model_paths_round_trip():
    kernel = np.arange(6, dtype=np.float32).reshape(2, 3)
    weights = KerasWeights(layers={"layers/functional": [], "layers/functional/layers/dense": [kernel]})
    again = read_weights(write_weights(weights))
    assert again.layers.keys() == weights.layers.keys()
    assert np.array_equal(again.layers["layers/functional/layers/dense"][0], kernel)


def test_default_names_are_the_path_tails():
    weights = KerasWeights(layers={"layers/dense": [np.ones((2, 3), np.float32)], "layers/flatten": []})
    names = read_weights(write_weights(weights)).names
    assert names == {"": "sequential", "layers/dense": "dense", "layers/flatten": "flatten"}


_shapes = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)
_dtypes = st.sampled_from([np.float32, np.float64, np.int64])


@settings(max_examples=25, deadline=None)
@given(
    classes=st.lists(st.sampled_from(["Conv2D", "Dense", "BatchNormalization", "Flatten"]), min_size=1, max_size=12),
    shapes=st.lists(st.lists(st.tuples(_shapes, _dtypes), max_size=4), min_size=12, max_size=12),
    optimizer=st.one_of(st.none(), st.lists(st.tuples(_shapes, _dtypes), max_size=6)),
    seed=st.integers(0, 2**16),
)
def test_weights_round_trip_bit_for_bit(classes, shapes, optimizer, seed):
    rng = np.random.default_rng(seed)

    def arrays(specs):
        return [(rng.standard_normal(shape) * 100).astype(dtype) for shape, dtype in specs]

    paths = keras_layer_paths(classes)
    weights = KerasWeights(
        layers={path: arrays(spec) for path, spec in zip(paths, shapes)},
        optimizer=None if optimizer is None else arrays(optimizer),
    )
    again = read_weights(write_weights(weights))
    assert again.layers.keys() == weights.layers.keys()
    for path, arrays_in in weights.layers.items():
        out = again.layers[path]
        assert [(a.shape, a.dtype) for a in out] == [(a.shape, a.dtype) for a in arrays_in]
        assert all(np.array_equal(a, b) for a, b in zip(arrays_in, out))
    if optimizer is None:
        assert again.optimizer is None
    else:
        assert all(np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(weights.optimizer, again.optimizer))


def test_keras_layer_paths_number_each_class_separately():
    assert keras_layer_paths(["Conv2D", "Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dense", "Dense"]) == [
        "layers/conv2d",
        "layers/conv2d_1",
        "layers/max_pooling2d",
        "layers/flatten",
        "layers/dense",
        "layers/dense_1",
        "layers/dense_2",
    ]
    classes = ["InputLayer", "GlobalAveragePooling2D", "BatchNormalization", "ZeroPadding2D"]
    assert keras_layer_paths(classes, prefix="layers/functional/layers") == [
        "layers/functional/layers/input_layer",
        "layers/functional/layers/global_average_pooling2d",
        "layers/functional/layers/batch_normalization",
        "layers/functional/layers/zero_padding2d",
    ]
    assert keras_layer_paths(["Dense"] * 12)[-1] == "layers/dense_11"


@pytest.mark.parametrize(
    "bad",
    [
        {"dense": []},  # not under layers/
        {"layers/": []},
        {"layers/dense/vars": []},
        {"layers/../x": []},
        {"layers/dense": [np.array(["a"])]},
        {"layers/dense": "not a list"},
    ],
)
def test_write_weights_refuses_bad_structures(bad):
    with pytest.raises((ValueError, TypeError), match="Invalid value for argument 'weights"):
        write_weights(KerasWeights(layers=bad))


def test_keras_zip_round_trip(tmp_path):
    archive = read_keras(DATA / "bn_dropout.keras")
    path = tmp_path / "copy.keras"
    write_keras(path, archive.config, archive.weights, archive.metadata)
    with zipfile.ZipFile(path) as zf:  # Keras' member order, uncompressed
        infos = zf.infolist()
        assert [i.filename for i in infos] == ["metadata.json", "config.json", "model.weights.h5"]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)
    again = read_keras(path)
    assert again.config == archive.config and again.metadata == archive.metadata
    assert again.weights == archive.weights
    assert [p.name for p in tmp_path.iterdir()] == ["copy.keras"]  # no temp file left


def test_keras_zip_metadata_defaults_to_keras_version():
    data = keras_zip_bytes({"class_name": "Sequential", "config": {"layers": []}}, b"x")
    metadata = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("metadata.json"))
    assert metadata["keras_version"] == "3.15.1" and set(metadata) == {"keras_version", "date_saved"}
